//! ISO 17442 Legal Entity Identifier: 18 alphanumeric characters and two check digits
//! computed with ISO 7064 MOD 97-10 (the same scheme as IBAN).

/// Why a string is not a valid LEI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeiError {
    /// Not exactly 20 characters.
    Length,
    /// A character other than `0-9` / `A-Z` (upper case) in the first 18, or a non-digit check.
    Character,
    /// The check digits do not match.
    CheckDigits,
}

impl std::fmt::Display for LeiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Length => "an LEI has exactly 20 characters",
            Self::Character => "an LEI has 18 upper-case letters or digits followed by 2 digits",
            Self::CheckDigits => "the LEI check digits are wrong (ISO 17442, MOD 97-10)",
        })
    }
}

/// A Legal Entity Identifier whose check digits are right, in upper case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lei(String);

impl Lei {
    /// Parses an LEI as written: surrounding space and lower case are forgiven.
    pub fn parse(raw: &str) -> Result<Self, LeiError> {
        let lei = raw.trim().to_ascii_uppercase();
        validate(&lei)?;
        Ok(Self(lei))
    }

    /// The 20 characters.
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Validates an LEI (check digits included).
pub fn validate(lei: &str) -> Result<(), LeiError> {
    let bytes = lei.as_bytes();
    if bytes.len() != 20 {
        return Err(LeiError::Length);
    }
    let (body, check) = bytes.split_at(18);
    if !body.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) || !check.iter().all(u8::is_ascii_digit) {
        return Err(LeiError::Character);
    }
    if mod97(bytes) == 1 { Ok(()) } else { Err(LeiError::CheckDigits) }
}

/// The two check digits for an 18-character LEI body (upper-case letters and digits).
pub fn check_digits(body: &str) -> Result<String, LeiError> {
    let bytes = body.as_bytes();
    if bytes.len() != 18 {
        return Err(LeiError::Length);
    }
    if !bytes.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return Err(LeiError::Character);
    }
    let mut padded = bytes.to_vec();
    padded.extend_from_slice(b"00");
    Ok(format!("{:02}", 98 - mod97(&padded)))
}

/// Remainder mod 97 of the number formed by replacing letters with 10..35.
fn mod97(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| {
        if b.is_ascii_digit() {
            (acc * 10 + u32::from(b - b'0')) % 97
        } else {
            (acc * 100 + u32::from(b - b'A' + 10)) % 97
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_leis() {
        // GLEIF's own LEI and a bank's LEI, as published.
        assert_eq!(validate("506700GE1G29325QX363"), Ok(()));
        assert_eq!(validate("5493001KJTIIGC8Y1R12"), Ok(()));
    }

    #[test]
    fn rejects_wrong_check_digits_length_and_characters() {
        assert_eq!(validate("506700GE1G29325QX364"), Err(LeiError::CheckDigits));
        assert_eq!(validate("506700GE1G29325QX36"), Err(LeiError::Length));
        assert_eq!(validate("506700ge1g29325qx363"), Err(LeiError::Character));
    }

    #[test]
    fn parsing_forgives_case_and_space_only() {
        assert_eq!(Lei::parse(" 506700ge1g29325qx363 ").map(Lei::into_string), Ok("506700GE1G29325QX363".into()));
        assert_eq!(Lei::parse("506700GE1G29325QX364"), Err(LeiError::CheckDigits));
    }

    #[test]
    fn computed_check_digits_validate() {
        let body = "5493001KJTIIGC8Y1R";
        let lei = format!("{body}{}", check_digits(body).expect("body"));
        assert_eq!(lei, "5493001KJTIIGC8Y1R12");
        assert_eq!(validate(&lei), Ok(()));
    }
}
