//! One parsed write of a client's fields: the value of each field a request sets, the
//! sources it states for them, and how they land on the stored record (the one place a
//! parsed value becomes the stored proto).

use std::collections::BTreeMap;

use crm_kit::{Violations, time};
use crm_proto::crm::profile::v1::{Client, CustomerType, LifecycleStage, Provenance, SourceType};

use super::{
    aliases::Aliases,
    field::Field,
    values::{
        ClientRef, CountryCode, CreditGrade, DisplayName, IndustryCode, Labels, Purchasing, RegistrationNumber,
        StaffId, Text,
    },
};
use crate::domain::{lei::Lei, money::Amount};

/// The parsed value of one writable field; an empty optional value clears the field.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    DisplayName(DisplayName),
    LegalName(Text<300>),
    RegistrationNumber(Option<RegistrationNumber>),
    CountryCode(Option<CountryCode>),
    Lei(Option<Lei>),
    TaxId(Text<64>),
    CustomerType(CustomerType),
    IndustryCode(Option<IndustryCode>),
    Region(Text<100>),
    City(Text<100>),
    AnnualTurnover(Option<Amount>),
    EmployeeCount(u64),
    BranchCount(u32),
    Parent(Option<ClientRef>),
    RelationshipManager(Option<StaffId>),
    LifecycleStage(LifecycleStage),
    Purchasing(Option<Purchasing>),
    CreditGrade(Option<CreditGrade>),
    Labels(Labels),
    Aliases(Aliases),
}

/// The order in which a request's fields are checked: its violations are listed in it.
const CHECK_ORDER: [Field; 21] = [
    Field::DisplayName,
    Field::LegalName,
    Field::Aliases,
    Field::Region,
    Field::City,
    Field::TaxId,
    Field::RegistrationNumber,
    Field::CountryCode,
    Field::Lei,
    Field::CustomerType,
    Field::IndustryCode,
    Field::AnnualTurnover,
    Field::EmployeeCount,
    Field::BranchCount,
    Field::Parent,
    Field::RelationshipManager,
    Field::LifecycleStage,
    Field::Purchasing,
    Field::CreditGrade,
    Field::Provenance,
    Field::Labels,
];

/// `Some(None)` for an empty value, else what `parse` makes of the trimmed one.
fn optional<T>(raw: &str, parse: impl FnOnce(&str) -> Option<T>) -> Option<Option<T>> {
    let raw = raw.trim();
    if raw.is_empty() { Some(None) } else { parse(raw).map(Some) }
}

impl Value {
    /// Parses `field` of `c` (taking its value), recording violations at `{at}.{field}`.
    fn parse(field: Field, c: &mut Client, v: &mut Violations, at: &str) -> Option<Self> {
        let path = format!("{at}.{}", field.name());
        let path = path.as_str();
        Some(match field {
            Field::DisplayName => Self::DisplayName(DisplayName::parse(v, path, &c.display_name)?),
            Field::LegalName => Self::LegalName(Text::parse(v, path, &c.legal_name)?),
            Field::Region => Self::Region(Text::parse(v, path, &c.region)?),
            Field::City => Self::City(Text::parse(v, path, &c.city)?),
            Field::TaxId => Self::TaxId(Text::parse(v, path, &c.tax_id)?),
            Field::RegistrationNumber => Self::RegistrationNumber(optional(&c.registration_number, |raw| {
                RegistrationNumber::parse(v, path, raw)
            })?),
            Field::CountryCode => Self::CountryCode(optional(&c.country_code, |raw| CountryCode::parse(v, path, raw))?),
            Field::Lei => Self::Lei(optional(&c.lei, |raw| {
                Lei::parse(raw).map_err(|err| v.add(path.to_owned(), err.to_string())).ok()
            })?),
            Field::CustomerType => match CustomerType::try_from(c.customer_type) {
                Ok(kind) => Self::CustomerType(kind),
                Err(_) => return Self::refuse(v, path, "is not a known customer type"),
            },
            Field::IndustryCode => {
                Self::IndustryCode(optional(&c.industry_code, |raw| IndustryCode::parse(v, path, raw))?)
            }
            Field::AnnualTurnover => {
                let turnover = c.annual_turnover.take().map(|mut money| {
                    money.currency_code = money.currency_code.trim().to_ascii_uppercase();
                    money
                });
                Self::AnnualTurnover(Amount::parse_opt(v, path, turnover, false)?)
            }
            Field::EmployeeCount => match u64::try_from(c.employee_count) {
                Ok(count) => Self::EmployeeCount(count),
                Err(_) => return Self::refuse(v, path, "must not be negative"),
            },
            Field::BranchCount => match u32::try_from(c.branch_count) {
                Ok(count) => Self::BranchCount(count),
                Err(_) => return Self::refuse(v, path, "must not be negative"),
            },
            Field::Parent => Self::Parent(optional(&c.parent, |raw| ClientRef::parse(v, path, raw))?),
            Field::RelationshipManager => {
                Self::RelationshipManager(optional(&c.relationship_manager, |raw| StaffId::parse(v, path, raw))?)
            }
            Field::LifecycleStage => match LifecycleStage::try_from(c.lifecycle_stage) {
                Ok(stage) => Self::LifecycleStage(stage),
                Err(_) => return Self::refuse(v, path, "is not a known lifecycle stage"),
            },
            Field::Purchasing => match c.purchasing.take() {
                None => Self::Purchasing(None),
                Some(p) => Self::Purchasing(Some(Purchasing::parse(v, path, p)?)),
            },
            Field::CreditGrade => Self::CreditGrade(optional(&c.credit_grade, |raw| CreditGrade::parse(v, path, raw))?),
            Field::Labels => Self::Labels(Labels::parse(v, path, std::mem::take(&mut c.labels))?),
            Field::Aliases => Self::Aliases(Aliases::parse(v, path, std::mem::take(&mut c.aliases))?),
            Field::Provenance => return None,
        })
    }

    fn refuse(v: &mut Violations, path: &str, description: &str) -> Option<Self> {
        v.add(path.to_owned(), description);
        None
    }

    /// Sets the field on the stored record.
    fn write(self, c: &mut Client) {
        match self {
            Self::DisplayName(name) => c.display_name = name.into_string(),
            Self::LegalName(name) => c.legal_name = name.into_string(),
            Self::RegistrationNumber(number) => {
                c.registration_number = number.map(RegistrationNumber::into_string).unwrap_or_default();
            }
            Self::CountryCode(code) => c.country_code = code.map(CountryCode::into_string).unwrap_or_default(),
            Self::Lei(lei) => c.lei = lei.map(Lei::into_string).unwrap_or_default(),
            Self::TaxId(id) => c.tax_id = id.into_string(),
            Self::CustomerType(kind) => c.customer_type = kind as i32,
            Self::IndustryCode(code) => c.industry_code = code.map(IndustryCode::into_string).unwrap_or_default(),
            Self::Region(region) => c.region = region.into_string(),
            Self::City(city) => c.city = city.into_string(),
            Self::AnnualTurnover(amount) => c.annual_turnover = amount.map(Amount::into_money),
            Self::EmployeeCount(count) => c.employee_count = i64::try_from(count).unwrap_or(i64::MAX),
            Self::BranchCount(count) => c.branch_count = i32::try_from(count).unwrap_or(i32::MAX),
            Self::Parent(parent) => c.parent = parent.map(ClientRef::into_string).unwrap_or_default(),
            Self::RelationshipManager(id) => c.relationship_manager = id.map(StaffId::into_string).unwrap_or_default(),
            Self::LifecycleStage(stage) => c.lifecycle_stage = stage as i32,
            Self::Purchasing(p) => c.purchasing = p.map(Purchasing::into_proto),
            Self::CreditGrade(grade) => c.credit_grade = grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
            Self::Labels(labels) => c.labels = labels.into_map(),
            Self::Aliases(aliases) => c.aliases = aliases.into_vec(),
        }
    }
}

/// A registration number is only meaningful in its country.
pub(super) fn check_registration_country(v: &mut Violations, at: &str, c: &Client) -> bool {
    let missing = Field::RegistrationNumber.is_set(c) && !Field::CountryCode.is_set(c);
    if missing {
        v.add(format!("{at}.country_code"), "is required with registration_number");
    }
    !missing
}

/// The parsed fields of one write, with the sources the request states for its facts.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Facts {
    values: Vec<Value>,
    written: Vec<Field>,
    stated: BTreeMap<&'static str, Provenance>,
}

impl Facts {
    /// Parses `fields` of `c` at `at` (`client`). `written` are the fields the write sets,
    /// for which `c.provenance` may state a source; a source stated for any other field is
    /// a false claim, reported alone.
    pub(super) fn parse(
        v: &mut Violations,
        at: &str,
        mut c: Client,
        fields: &[Field],
        written: &[Field],
    ) -> Option<Self> {
        let stated = std::mem::take(&mut c.provenance);
        let false_claims: Vec<&String> =
            stated.keys().filter(|key| Field::named(key).is_none_or(|f| !written.contains(&f))).collect();
        for key in &false_claims {
            v.add(format!("{at}.provenance[{key}]"), "states a source for a field this request does not write");
        }
        if !false_claims.is_empty() {
            return None;
        }
        let mut ok = true;
        let mut values = Vec::with_capacity(fields.len());
        for field in CHECK_ORDER {
            if field == Field::Provenance {
                ok &= check_stated(v, at, &stated);
            } else if fields.contains(&field) {
                match Value::parse(field, &mut c, v, at) {
                    Some(value) => values.push(value),
                    None => ok = false,
                }
                if field == Field::RegistrationNumber && fields.contains(&Field::CountryCode) {
                    ok &= check_registration_country(v, at, &c);
                }
            }
        }
        let stated = stated
            .into_iter()
            .filter_map(|(key, p)| Field::named(&key).filter(|f| f.is_fact()).map(|f| (f.name(), p)))
            .collect();
        ok.then(|| Self { values, written: written.to_vec(), stated })
    }

    /// The relationship manager this write sets, if it sets one.
    pub(super) fn relationship_manager(&self) -> Option<&str> {
        self.values.iter().find_map(|value| match value {
            Value::RelationshipManager(id) => Some(id.as_ref().map_or("", StaffId::as_str)),
            _ => None,
        })
    }

    /// Sets every parsed field on `c`.
    pub(super) fn write(self, c: &mut Client) -> Sourcing {
        for value in self.values {
            value.write(c);
        }
        Sourcing { written: self.written, stated: self.stated }
    }
}

/// Where the facts a write set came from, to be recorded once the record is final.
#[derive(Debug)]
#[must_use = "a write records where its facts came from"]
pub(super) struct Sourcing {
    written: Vec<Field>,
    stated: BTreeMap<&'static str, Provenance>,
}

impl Sourcing {
    /// For every written fact: the source the request stated for it, else `default_source`
    /// as of now, unverified, of the field's default source type (PRIMARY; DERIVED for the
    /// credit grade, a rating the bank computes). A fact the write cleared loses its entry.
    pub(super) fn record(mut self, c: &mut Client, default_source: &str) {
        let now = time::to_timestamp(time::now_micros());
        for field in self.written.into_iter().filter(|f| f.is_fact()) {
            if !field.is_set(c) {
                c.provenance.remove(field.name());
                continue;
            }
            let mut p = self.stated.remove(field.name()).unwrap_or_else(|| Provenance {
                source_type: field.default_source_type() as i32,
                source_name: default_source.to_owned(),
                as_of_time: None,
                verified: false,
            });
            if p.source_type == SourceType::Unspecified as i32 {
                p.source_type = field.default_source_type() as i32;
            }
            if p.source_name.is_empty() {
                p.source_name = default_source.to_owned();
            }
            p.as_of_time.get_or_insert(now);
            c.provenance.insert(field.name().to_owned(), p);
        }
    }
}

/// Checks the stated sources of facts (sources of labels are ignored, as they always were).
fn check_stated(v: &mut Violations, at: &str, stated: &BTreeMap<String, Provenance>) -> bool {
    let mut ok = true;
    for (key, p) in stated.iter().filter(|(key, _)| Field::named(key).is_some_and(Field::is_fact)) {
        if SourceType::try_from(p.source_type).is_err() {
            v.add(format!("{at}.provenance[{key}].source_type"), "is not a known source type");
            ok = false;
        }
        if p.source_name.chars().count() > 100 {
            v.add(format!("{at}.provenance[{key}].source_name"), "must be at most 100 characters");
            ok = false;
        }
    }
    ok
}
