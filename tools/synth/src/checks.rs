//! National and international check-digit algorithms of the identifiers the generator
//! issues, each as published by its standard or registry.

const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const SG_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPQRSTUVWXY";

/// The decimal digits of `s`, anything else skipped.
pub(crate) fn digits(s: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    s.bytes().filter(u8::is_ascii_digit).map(|b| u32::from(b - b'0'))
}

/// GB 11714 organisation code check character for eight digits.
pub(crate) fn org_code_check(body: &str) -> char {
    let sum: u32 = digits(body).zip([3, 7, 9, 10, 5, 8, 4, 2]).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from(b'0' + c as u8),
    }
}

/// GB 32100-2015 check character of a unified social credit code (17 leading characters).
pub(crate) fn uscc_check(s17: &str) -> Option<char> {
    let mut sum = 0;
    for (b, w) in s17.bytes().zip(USCC_WEIGHTS) {
        sum += USCC_CHARS.iter().position(|&c| c == b)? as u32 * w;
    }
    Some(char::from(USCC_CHARS[((31 - sum % 31) % 31) as usize]))
}

/// Check letter of a Singapore UEN (nine leading characters).
pub(crate) fn sg_check(s9: &str) -> char {
    let sum: u32 = digits(s9).zip([10, 4, 9, 3, 8, 2, 7, 1, 6]).map(|(d, w)| d * w).sum();
    char::from(SG_LETTERS[(sum % 23) as usize])
}

/// Luhn check digit for `body` (digits only).
pub(crate) fn luhn(body: &str) -> u32 {
    let sum: u32 = digits(body)
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                d
            } else if d * 2 > 9 {
                d * 2 - 9
            } else {
                d * 2
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// Check digit of an Australian Company Number (eight leading digits).
pub(crate) fn acn_check(body8: &str) -> u32 {
    let sum: u32 = digits(body8).zip([8, 7, 6, 5, 4, 3, 2, 1]).map(|(d, w)| d * w).sum();
    (10 - sum % 10) % 10
}

/// Check digit of a Korean corporate registration number (twelve leading digits).
pub(crate) fn kr_corp_check(body12: &str) -> u32 {
    let sum: u32 = digits(body12).zip([1, 2].into_iter().cycle()).map(|(d, w)| d * w).sum();
    (10 - sum % 10) % 10
}

/// Check digit of a Korean business registration number (nine leading digits).
pub(crate) fn kr_brn_check(body9: &str) -> u32 {
    let d: Vec<u32> = digits(body9).collect();
    let mut sum: u32 = d.iter().zip([1, 3, 7, 1, 3, 7, 1, 3, 5]).map(|(d, w)| d * w).sum();
    sum += d.get(8).map_or(0, |d| d * 5 / 10);
    (10 - sum % 10) % 10
}

/// Leading check digit of a Japanese corporate number (the twelve digits after it).
pub(crate) fn jp_check(body12: &str) -> u32 {
    let sum: u32 = digits(body12).rev().enumerate().map(|(i, d)| if i % 2 == 0 { d } else { d * 2 }).sum();
    9 - sum % 9
}

/// ISO 7064 MOD 11,10 (German VAT numbers).
pub(crate) fn mod_11_10(body: &str) -> u32 {
    let mut product = 10;
    for d in digits(body) {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    (11 - product) % 10
}

/// ISO 7064 MOD 97-10 check digits of an 18-character LEI body (ISO 17442); `None` unless
/// the body is 18 upper-case letters or digits.
pub(crate) fn lei_check(body: &str) -> Option<String> {
    let bytes = body.as_bytes();
    if bytes.len() != 18 || !bytes.iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return None;
    }
    Some(format!("{:02}", 98 - mod97(bytes.iter().chain(b"00"))))
}

/// Remainder mod 97 of the number the characters spell, letters counting as 10 to 35.
pub(crate) fn mod97<'a>(chars: impl IntoIterator<Item = &'a u8>) -> u32 {
    chars.into_iter().fold(0, |acc, &b| {
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
    fn national_check_digits_match_published_examples() {
        // Unified social credit code example of GB 32100-2015.
        assert_eq!(uscc_check("91350100M000100Y4"), Some('3'));
        assert_eq!(luhn("7992739871"), 3);
        assert_eq!(acn_check("00000001"), 9); // ACN 000 000 019
        assert_eq!(acn_check("00025000"), 0); // ACN 000 250 000
        assert_eq!(jp_check("000012050002"), 7); // National Tax Agency, 7000012050002
        assert_eq!(mod_11_10("13669597"), 6); // DE136695976
        assert_eq!(kr_corp_check("130111000624"), 6); // 130111-0006246
        assert_eq!(kr_brn_check("124810099"), 8); // 124-81-00998
    }

    #[test]
    fn lei_check_digits_match_published_leis() {
        // GLEIF's own LEI and a bank's LEI, as published.
        assert_eq!(lei_check("506700GE1G29325QX3").as_deref(), Some("63"));
        assert_eq!(lei_check("5493001KJTIIGC8Y1R").as_deref(), Some("12"));
        assert_eq!(mod97(b"506700GE1G29325QX363"), 1);
        assert_eq!(lei_check("5493001kjtiigc8y1r"), None);
        assert_eq!(lei_check("5493001KJTIIGC8Y1"), None);
    }
}
