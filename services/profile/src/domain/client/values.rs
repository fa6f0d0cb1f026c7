//! The values of a client's fields, each parsed once from what a caller wrote: trimmed,
//! upper-cased where the form is a code, and checked. A value that exists is valid.
//!
//! Each `parse` records its violations under `field` (a path such as `client.country_code`)
//! and returns `None` when it recorded any.

use std::collections::BTreeMap;

use crm_kit::Violations;
use crm_proto::crm::profile::v1::{DecisionStyle, Purchasing as PurchasingProto};

use crate::domain::{codes, names};

fn too_long(v: &mut Violations, field: &str, value: &str, max: usize) -> bool {
    let long = value.chars().count() > max;
    if long {
        v.add(field.to_owned(), format!("must be at most {max} characters"));
    }
    long
}

/// The name the bank uses for the client: required, at most 200 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let name = raw.trim();
        if name.is_empty() {
            v.add(field.to_owned(), "is required");
            return None;
        }
        (!too_long(v, field, name, 200)).then(|| Self(name.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Free text of at most `MAX` characters, trimmed; may be empty (the field is not set).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let text = raw.trim();
        (!too_long(v, field, text, MAX)).then(|| Self(text.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A company registration number as the registry of its country writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationNumber(String);

impl RegistrationNumber {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let number = raw.trim();
        let long = too_long(v, field, number, 64);
        let plain = number.chars().all(|c| c.is_alphanumeric() || " -/.".contains(c));
        if !plain {
            v.add(field.to_owned(), "may hold only letters, digits, space, '-', '/' and '.'");
        }
        (!long && plain).then(|| Self(number.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let code = raw.trim().to_ascii_uppercase();
        if !codes::is_country(&code) {
            v.add(field.to_owned(), "must be an ISO 3166-1 alpha-2 code such as CN or GB");
            return None;
        }
        Some(Self(code))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An ISIC Rev.4 class: four digits in an existing division.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndustryCode(String);

impl IndustryCode {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let code = raw.trim();
        if !codes::is_isic_class(code) {
            v.add(field.to_owned(), "must be an ISIC Rev.4 class: four digits, e.g. 6419");
            return None;
        }
        Some(Self(code.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// One of the bank's internal credit grades.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditGrade(&'static str);

impl CreditGrade {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let grade = raw.trim().to_ascii_uppercase();
        match codes::CREDIT_GRADES.iter().find(|g| **g == grade) {
            Some(grade) => Some(Self(grade)),
            None => {
                v.add(field.to_owned(), format!("must be one of {}", codes::CREDIT_GRADES.join(", ")));
                None
            }
        }
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// A member of staff (a relationship manager's id or portfolio key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffId(String);

impl StaffId {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let id = raw.trim();
        if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b)) {
            v.add(field.to_owned(), "must be a staff id of at most 64 letters, digits, '-', '_', '.', '@'");
            return None;
        }
        Some(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The name of another client (`clients/{client}`); whether it exists is the store's
/// question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientRef(String);

impl ClientRef {
    pub fn parse(v: &mut Violations, field: &str, raw: &str) -> Option<Self> {
        let name = raw.trim();
        if names::client_id(field, name).is_err() {
            v.add(field.to_owned(), "must be a client name of the form clients/{client}");
            return None;
        }
        Some(Self(name.to_owned()))
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// How the client buys: decision style, cycle and the roles that decide.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchasing {
    style: DecisionStyle,
    cycle_days: i32,
    makers: Vec<String>,
}

impl Purchasing {
    /// Parses `p` at `at` (`client.purchasing`).
    pub fn parse(v: &mut Violations, at: &str, p: PurchasingProto) -> Option<Self> {
        let style = DecisionStyle::try_from(p.decision_style).ok();
        if style.is_none() {
            v.add(format!("{at}.decision_style"), "is not a known decision style");
        }
        let cycle_ok = (0..=3650).contains(&p.decision_cycle_days);
        if !cycle_ok {
            v.add(format!("{at}.decision_cycle_days"), "must be between 0 and 3650");
        }
        let makers_ok = p.decision_makers.len() <= 20 && p.decision_makers.iter().all(|m| m.chars().count() <= 100);
        if !makers_ok {
            v.add(format!("{at}.decision_makers"), "at most 20 entries of at most 100 characters");
        }
        let style = style.filter(|_| cycle_ok && makers_ok)?;
        Some(Self { style, cycle_days: p.decision_cycle_days, makers: p.decision_makers })
    }

    pub fn into_proto(self) -> PurchasingProto {
        PurchasingProto {
            decision_style: self.style as i32,
            decision_cycle_days: self.cycle_days,
            decision_makers: self.makers,
        }
    }
}

/// Free-form labels: at most 64, keys in lower snake or kebab case (at most 63), values at
/// most 256 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub fn parse(v: &mut Violations, field: &str, labels: impl IntoIterator<Item = (String, String)>) -> Option<Self> {
        let labels: BTreeMap<String, String> = labels.into_iter().collect();
        let mut ok = labels.len() <= 64;
        if !ok {
            v.add(field.to_owned(), "at most 64 labels");
        }
        for (key, value) in &labels {
            let key_ok = key.len() <= 63
                && key.starts_with(|c: char| c.is_ascii_lowercase())
                && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
            if !key_ok {
                v.add(format!("{field}[{key}]"), "keys are lower-case letters, digits, '_' or '-' (max 63)");
            }
            let value_ok = value.chars().count() <= 256;
            if !value_ok {
                v.add(format!("{field}[{key}]"), "values are at most 256 characters");
            }
            ok &= key_ok && value_ok;
        }
        ok.then_some(Self(labels))
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recorded as fields;

    #[test]
    fn codes_are_normalised_before_they_are_checked() {
        let mut v = Violations::default();
        assert_eq!(CountryCode::parse(&mut v, "c", " cn ").map(CountryCode::into_string).as_deref(), Some("CN"));
        assert_eq!(CreditGrade::parse(&mut v, "g", "bbb").map(|g| g.as_str()), Some("BBB"));
        assert!(CountryCode::parse(&mut v, "client.country_code", "UK").is_none());
        assert!(IndustryCode::parse(&mut v, "client.industry_code", "0411").is_none());
        assert_eq!(fields(v), ["client.country_code", "client.industry_code"]);
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        let mut v = Violations::default();
        assert_eq!(Text::<5>::parse(&mut v, "t", "  abc ").map(Text::into_string).as_deref(), Some("abc"));
        assert!(Text::<2>::parse(&mut v, "client.city", "abc").is_none());
        assert!(DisplayName::parse(&mut v, "client.display_name", "   ").is_none());
        assert!(RegistrationNumber::parse(&mut v, "client.registration_number", "12#4").is_none());
        assert!(StaffId::parse(&mut v, "client.relationship_manager", "rm 1").is_none());
        assert_eq!(
            fields(v),
            ["client.city", "client.display_name", "client.registration_number", "client.relationship_manager"]
        );
    }

    #[test]
    fn labels_and_purchasing_name_each_bad_entry() {
        let mut v = Violations::default();
        let labels = [("Bad".to_owned(), "x".to_owned()), ("ok".to_owned(), "y".repeat(257))];
        assert!(Labels::parse(&mut v, "client.labels", labels).is_none());
        let p = PurchasingProto { decision_style: 9, decision_cycle_days: 4000, decision_makers: vec![] };
        assert!(Purchasing::parse(&mut v, "client.purchasing", p).is_none());
        assert_eq!(
            fields(v),
            [
                "client.labels[Bad]",
                "client.labels[ok]",
                "client.purchasing.decision_style",
                "client.purchasing.decision_cycle_days"
            ]
        );
    }
}
