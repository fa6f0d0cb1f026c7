//! The identifiers LookupClient accepts, normalised the same way on write and on lookup.

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::profile::v1::LookupClientRequest;

use super::{codes, lei::Lei, phone};

/// One normalised lookup key: `kind` and `value` as stored in the key index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKey {
    /// lei | reg | tax | acct | phone | email
    pub kind: &'static str,
    /// Normalised value.
    pub value: String,
}

impl LookupKey {
    /// An LEI, upper case.
    pub fn lei(value: &str) -> Self {
        Self { kind: "lei", value: value.trim().to_ascii_uppercase() }
    }
    /// A registration number within its country (`GB:08812345`), upper case, without spaces.
    pub fn registration(country: &str, number: &str) -> Self {
        Self { kind: "reg", value: format!("{}:{}", country.trim().to_ascii_uppercase(), normalize_reg(number)) }
    }
    /// A tax id, upper case, without spaces and dashes.
    pub fn tax(value: &str) -> Self {
        Self { kind: "tax", value: value.trim().to_ascii_uppercase().replace([' ', '-'], "") }
    }
    /// An account or facility number, upper case, without spaces and dashes.
    pub fn account(value: &str) -> Self {
        Self { kind: "acct", value: value.trim().to_ascii_uppercase().replace([' ', '-'], "") }
    }
    /// Contact phone in E.164 form; a number without its country code is read in `region`
    /// (see [`phone::lookup_form`]).
    pub fn phone(value: &str, region: &str) -> Self {
        Self { kind: "phone", value: phone::lookup_form(value, region) }
    }
    /// Contact e-mail (case-insensitive).
    pub fn email(value: &str) -> Self {
        Self { kind: "email", value: value.trim().to_lowercase() }
    }
}

/// Registration numbers compare without spaces and case.
fn normalize_reg(number: &str) -> String {
    number.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
}

/// Turns a LookupClient request into exactly one key, or INVALID_ARGUMENT; a phone without
/// its country code is read in the request's `phone_region`, else in `default_region`.
pub fn from_request(req: &LookupClientRequest, default_region: &str) -> ApiResult<LookupKey> {
    let mut keys = Vec::new();
    let mut v = Violations::default();
    if !req.lei.is_empty() {
        if let Err(err) = Lei::parse(&req.lei) {
            v.add("lei", err.to_string());
        }
        keys.push(LookupKey::lei(&req.lei));
    }
    match (req.registration_number.is_empty(), req.country_code.is_empty()) {
        (false, false) => {
            if !codes::is_country(&req.country_code.trim().to_ascii_uppercase()) {
                v.add("country_code", "must be an ISO 3166-1 alpha-2 code");
            }
            keys.push(LookupKey::registration(&req.country_code, &req.registration_number));
        }
        (false, true) => v.add("country_code", "is required with registration_number"),
        (true, false) => v.add("registration_number", "is required with country_code"),
        (true, true) => {}
    }
    if !req.tax_id.is_empty() {
        keys.push(LookupKey::tax(&req.tax_id));
    }
    if !req.account_number.is_empty() {
        keys.push(LookupKey::account(&req.account_number));
    }
    let region = if req.phone_region.is_empty() { default_region } else { req.phone_region.as_str() };
    if !req.phone_region.is_empty() && phone::region(&req.phone_region).is_none() {
        v.add("phone_region", "must be an ISO 3166-1 alpha-2 code with a telephone numbering plan");
    }
    if !req.contact_phone.is_empty() {
        let key = LookupKey::phone(&req.contact_phone, region);
        if key.value.trim_start_matches('+').len() < 5 {
            v.add("contact_phone", "must hold at least 5 digits");
        }
        keys.push(key);
    }
    if !req.contact_email.is_empty() {
        if !req.contact_email.contains('@') {
            v.add("contact_email", "must be an e-mail address");
        }
        keys.push(LookupKey::email(&req.contact_email));
    }
    if keys.len() != 1 {
        v.add(
            "key",
            "set exactly one of lei, registration_number with country_code, tax_id, account_number, contact_phone, contact_email",
        );
    }
    v.check()?;
    Ok(keys.remove(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_looked_up_in_e164() {
        for raw in ["+86 138-0013 8000", "0086 13800138000", "(+86)13800138000", "138 0013 8000"] {
            let req = LookupClientRequest { contact_phone: raw.into(), ..Default::default() };
            assert_eq!(from_request(&req, "CN").ok(), Some(LookupKey::phone("+8613800138000", "")), "{raw}");
        }
        let london = LookupClientRequest {
            contact_phone: "020 7946 0018".into(),
            phone_region: "gb".into(),
            ..Default::default()
        };
        assert_eq!(from_request(&london, "CN").map(|k| k.value).ok().as_deref(), Some("+442079460018"));
        let nowhere =
            LookupClientRequest { contact_phone: "1".repeat(8), phone_region: "XX".into(), ..Default::default() };
        assert_eq!(from_request(&nowhere, "CN").expect_err("region").violations()[0].field, "phone_region");
    }

    #[test]
    fn exactly_one_key() {
        let none = LookupClientRequest::default();
        assert!(from_request(&none, "CN").is_err());
        let two = LookupClientRequest { tax_id: "X".into(), contact_email: "a@b.c".into(), ..Default::default() };
        assert!(from_request(&two, "CN").is_err());
        let reg_only = LookupClientRequest { registration_number: "123".into(), ..Default::default() };
        assert!(from_request(&reg_only, "CN").is_err());
        let email = LookupClientRequest { contact_email: " Wang@Example.COM ".into(), ..Default::default() };
        assert_eq!(from_request(&email, "CN").ok(), Some(LookupKey::email("wang@example.com")));
    }
}
