//! Phone numbers, read with libphonenumber's rules and numbering metadata (the `phonenumber`
//! crate) and kept in E.164 form, so that what a relationship manager types the local way
//! (`010-6543 2100`, `138 0013 8000`) meets the caller id a contact centre receives
//! (`+861065432100`).

use phonenumber::{Mode, PhoneNumber, country::Id};

/// Region numbers without a country code are read in when nothing more specific is known
/// (the bank's home market); `phone_region` in the configuration overrides it.
pub const DEFAULT_REGION: &str = "CN";

/// The region of an ISO 3166-1 alpha-2 code, if libphonenumber knows one.
pub fn region(code: &str) -> Option<Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

/// Whether `raw` carries its country code: `+…`, `(+86)…` or the `00` international prefix.
fn is_international(raw: &str) -> bool {
    let start = raw.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    start.starts_with('+') || start.starts_with("00")
}

/// Parses `raw` (its `00` prefix read as `+`), in `region` when it has no country code.
fn parse(raw: &str, region: Option<Id>) -> Option<PhoneNumber> {
    let raw = raw.trim();
    let start = raw.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let text = match start.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => raw.to_owned(),
    };
    let region = if is_international(raw) { None } else { Some(region?) };
    phonenumber::parse(region, text).ok()
}

fn format(number: &PhoneNumber) -> String {
    number.format().mode(Mode::E164).to_string()
}

/// The E.164 form of a number as written for a client in `country` (ISO alpha-2, may be
/// empty): international as it stands, national read in that country. `None` when it is
/// not a phone number there.
pub fn e164(raw: &str, country: &str) -> Option<String> {
    let number = parse(raw, region(country))?;
    let text = format(&number);
    (9..=16).contains(&text.len()).then_some(text)
}

/// The E.164 form a lookup query stands for. A number with its country code is read as
/// such; otherwise as a national number of `region` when that is a valid number there, else
/// as E.164 digits without their `+` when those are valid (`8613800138000`), else as
/// national in `region` anyway. Whatever libphonenumber cannot read keeps its digits (so an
/// unknown number finds nothing instead of failing).
pub fn lookup_form(raw: &str, region_code: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if is_international(raw) {
        return parse(raw, None).map_or_else(|| format!("+{}", digits.trim_start_matches("00")), |n| format(&n));
    }
    let national = parse(raw, region(region_code));
    if let Some(number) = national.as_ref().filter(|n| phonenumber::is_valid(n)) {
        return format(number);
    }
    if let Some(number) = phonenumber::parse(None, format!("+{digits}")).ok().filter(phonenumber::is_valid) {
        return format(&number);
    }
    national.map_or(digits, |n| format(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_forms_become_e164_in_the_clients_country() {
        assert_eq!(e164("010-6543 2100", "CN").as_deref(), Some("+861065432100"));
        assert_eq!(e164("138 0013 8000", "CN").as_deref(), Some("+8613800138000"));
        assert_eq!(e164("020 7946 0018", "GB").as_deref(), Some("+442079460018"));
        assert_eq!(e164("0211 5550100", "de").as_deref(), Some("+492115550100"));
        for raw in ["+86 138-0013 8000", "0086 13800138000", "(+86)13800138000"] {
            assert_eq!(e164(raw, "").as_deref(), Some("+8613800138000"), "{raw}");
            assert_eq!(e164(raw, "GB").as_deref(), Some("+8613800138000"), "{raw}");
        }
        assert_eq!(e164("+86 (0)10 6543 2100", "GB").as_deref(), Some("+861065432100"));
        assert_eq!(e164("138 0013 8000", ""), None, "a national number needs a country");
        assert_eq!(e164("not a phone", "CN"), None);
    }

    #[test]
    fn lookups_try_the_country_code_then_the_default_region() {
        assert_eq!(lookup_form("+861065432100", "GB"), "+861065432100");
        assert_eq!(lookup_form("010 6543 2100", "CN"), "+861065432100");
        assert_eq!(lookup_form("13800138000", "CN"), "+8613800138000");
        assert_eq!(lookup_form("8613800138000", "CN"), "+8613800138000");
        assert_eq!(lookup_form("020 7946 0018", "GB"), "+442079460018");
        assert_eq!(lookup_form("12345", "CN"), "12345");
    }
}
