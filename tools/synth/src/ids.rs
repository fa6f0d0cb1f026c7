//! Identifiers in plausible national formats: registration numbers, tax ids, LEIs, phone
//! numbers and account numbers.
//!
//! Every identifier embeds the client key through a [`Perm`], a bijection on `0..m`, so
//! identifiers are unique without any state (up to [`MAX_UNIQUE_CLIENTS`] clients).
//! Where the national format has a check digit it is computed with the real algorithm
//! (see [`crate::checks`]); duplicates' mistyped registration numbers always fail that
//! check, so they can never collide with a genuine one.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::checks::{
    acn_check, digits, jp_check, kr_brn_check, kr_corp_check, lei_check, luhn, mod_11_10, org_code_check, sg_check,
    uscc_check,
};
use crate::geo::{self, City, Country};
use crate::perm::Perm;
use crate::random::pick;

/// Largest portfolio for which every identifier is guaranteed unique (the tightest format
/// is the Singapore mobile number space: 3 × 10⁷ numbers, four contacts per client).
pub const MAX_UNIQUE_CLIENTS: u64 = 7_500_000;

const E7: Perm = Perm::new(10_000_000);
const E8: Perm = Perm::new(100_000_000);
const E10: Perm = Perm::new(10_000_000_000);
const LEI_SPACE: Perm = Perm::new(36u64.pow(12));

// Registration and tax numbers embed keys below 10^7 at the narrowest.
const _: () = assert!(E7.size() >= MAX_UNIQUE_CLIENTS);

/// Per-seed salts of each identifier family.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Salts {
    pub reg: u64,
    pub tax: u64,
    pub lei: u64,
    pub phone: u64,
    pub account: u64,
}

/// Where a German client is registered: index into `geo::DE_CITIES` (the register court).
pub(crate) fn de_court(key: u64, salts: &Salts) -> usize {
    (E7.apply(key, salts.reg) / 1_000_000) as usize
}

const JP_OFFICES: [&str; 10] = ["0100", "0104", "0110", "0111", "1200", "1201", "1800", "1801", "0200", "4000"];
const KR_OFFICES: [&str; 10] =
    ["110111", "110114", "110115", "131111", "134811", "160111", "170111", "180111", "200111", "230111"];
const US_STATES: [(&str, u32); 8] =
    [("DE", 60), ("NY", 8), ("CA", 10), ("TX", 6), ("IL", 4), ("WA", 4), ("MA", 4), ("FL", 4)];
const EIN_PREFIXES: [&str; 12] = ["10", "12", "20", "26", "27", "30", "36", "41", "46", "52", "81", "94"];

/// The prefix of a mainland code: registration authority and organisation category.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CnOrg {
    /// 91: company registered with market regulation.
    Enterprise,
    /// 11: government organ.
    Organ,
    /// 12: public institution (hospital, school).
    Institution,
    /// 51: social organisation (association).
    Association,
    /// 53: foundation.
    Foundation,
}

/// Canonical registration number and tax id of client `key` (tax id empty when the format
/// cannot express this key, which happens for a few Dutch numbers).
pub(crate) fn registration(
    country: &Country,
    city: &City,
    cn_org: CnOrg,
    key: u64,
    salts: &Salts,
    rng: &mut ChaCha8Rng,
) -> (String, String) {
    let reg7 = E7.apply(key, salts.reg);
    let reg8 = E8.apply(key, salts.reg);
    let tax7 = E7.apply(key, salts.tax);
    let tax8 = E8.apply(key, salts.tax);
    match country.code {
        "CN" => {
            let prefix = match cn_org {
                CnOrg::Enterprise => "91",
                CnOrg::Organ => "11",
                CnOrg::Institution => "12",
                CnOrg::Association => "51",
                CnOrg::Foundation => "53",
            };
            let org = format!("{reg8:08}");
            let s17 = format!("{prefix}{}{:02}{org}{}", city.division, rng.random_range(1..19), org_code_check(&org));
            let code = uscc_check(&s17).map(|c| format!("{s17}{c}")).unwrap_or_default();
            (code.clone(), code)
        }
        "HK" => (format!("{reg7:07}"), format!("{tax8:08}")),
        "SG" => {
            let s9 = format!("{}{:05}", 2024 - reg7 / 100_000, reg7 % 100_000);
            let uen = format!("{s9}{}", sg_check(&s9));
            (uen.clone(), uen)
        }
        "GB" => {
            let sum: u64 = format!("{tax7:07}").bytes().zip((2..=8).rev()).map(|(b, w)| u64::from(b - b'0') * w).sum();
            (format!("{reg7:08}"), format!("GB{tax7:07}{:02}", (97 - sum % 97) % 97))
        }
        "DE" => {
            let court = geo::DE_CITIES[(reg7 / 1_000_000) as usize].name;
            let vat = format!("{tax8:08}");
            (format!("{court} HRB {}", reg7 % 1_000_000 + 1), format!("DE{vat}{}", mod_11_10(&vat)))
        }
        "US" => {
            let state = pick(rng, &US_STATES, |s| s.1).0;
            let prefix = EIN_PREFIXES[rng.random_range(0..EIN_PREFIXES.len())];
            (format!("{state}-{reg7:07}"), format!("{prefix}-{tax7:07}"))
        }
        "JP" => {
            let body = format!("{}01{:06}", JP_OFFICES[(reg7 / 1_000_000) as usize], reg7 % 1_000_000);
            (format!("{}-{}-{}", &body[..4], &body[4..6], &body[6..]), format!("{}{body}", jp_check(&body)))
        }
        "FR" => {
            let body = format!("{reg8:08}");
            let siren = format!("{body}{}", luhn(&body));
            let n: u64 = siren.parse().unwrap_or(0);
            (siren.clone(), format!("FR{:02}{siren}", (12 + 3 * (n % 97)) % 97))
        }
        "NL" => {
            let body = format!("{tax8:08}");
            let sum: u32 = digits(&body).zip((2..=9).rev()).map(|(d, w)| d * w).sum();
            let tax = if sum % 11 == 10 { String::new() } else { format!("NL{body}{}B01", sum % 11) };
            (format!("{reg8:08}"), tax)
        }
        "AU" => {
            let body = format!("{reg8:08}");
            let acn = format!("{body}{}", acn_check(&body));
            let s: u32 = digits(&acn).zip([3, 5, 7, 9, 11, 13, 15, 17, 19]).map(|(d, w)| d * w).sum();
            let abn = format!("{:02}{acn}", 10 + (89 - s % 89) % 89);
            let spaced = |s: &str, cuts: &[usize]| {
                let mut out = String::with_capacity(s.len() + cuts.len());
                for (i, ch) in s.chars().enumerate() {
                    if cuts.contains(&i) {
                        out.push(' ');
                    }
                    out.push(ch);
                }
                out
            };
            (spaced(&acn, &[3, 6]), spaced(&abn, &[2, 5, 8]))
        }
        _ => {
            let body = format!("{}{:06}", KR_OFFICES[(reg7 / 1_000_000) as usize], reg7 % 1_000_000);
            let brn =
                format!("{:03}{}{:04}", tax7 / 10_000, ["81", "86", "87", "88"][rng.random_range(0..4)], tax7 % 10_000);
            let reg = format!("{}-{}{}", &body[..6], &body[6..], kr_corp_check(&body));
            (reg, format!("{}-{}-{}{}", &brn[..3], &brn[3..5], &brn[5..], kr_brn_check(&brn)))
        }
    }
}

/// Whether `reg` passes the national check digit (true for formats without one).
pub(crate) fn registration_checks(country: &str, reg: &str) -> bool {
    let digits_only: String = reg.chars().filter(char::is_ascii_digit).collect();
    match country {
        "CN" => reg.len() == 18 && uscc_check(&reg[..17]).is_some_and(|c| reg.ends_with(c)),
        "SG" => reg.len() == 10 && reg.is_char_boundary(9) && reg.ends_with(sg_check(&reg[..9])),
        "FR" => digits_only.len() == 9 && luhn(&digits_only[..8]).to_string() == digits_only[8..],
        "AU" => digits_only.len() == 9 && acn_check(&digits_only[..8]).to_string() == digits_only[8..],
        "KR" => digits_only.len() == 13 && kr_corp_check(&digits_only[..12]).to_string() == digits_only[12..],
        _ => true,
    }
}

/// A mistyped copy of `reg` (one digit changed or two adjacent digits swapped) that fails
/// the national check, so it can never equal another client's genuine number; empty when
/// the format has no check digit or the typo happened to pass it.
pub(crate) fn mistype(country: &str, reg: &str, rng: &mut ChaCha8Rng) -> String {
    if !matches!(country, "CN" | "SG" | "FR" | "AU" | "KR") {
        return String::new();
    }
    let mut bytes = reg.as_bytes().to_vec();
    let positions: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i].is_ascii_digit()).collect();
    if positions.len() < 2 {
        return String::new();
    }
    let i = positions[rng.random_range(0..positions.len() - 1)];
    if rng.random_bool(0.5) && bytes[i + 1].is_ascii_digit() && bytes[i] != bytes[i + 1] {
        bytes.swap(i, i + 1);
    } else {
        bytes[i] = b'0' + (bytes[i] - b'0' + rng.random_range(1..10u8)) % 10;
    }
    match String::from_utf8(bytes) {
        Ok(typo) if !registration_checks(country, &typo) => typo,
        _ => String::new(),
    }
}

/// A valid, unique LEI for client `key`: the local operating unit's prefix, "00", twelve
/// characters embedding the key and the ISO 7064 check digits.
pub(crate) fn lei(country: &str, key: u64, salts: &Salts) -> String {
    let lou = match country {
        "CN" => "3003",
        "GB" => "2138",
        "DE" => "5299",
        "FR" => "9695",
        "NL" => "7245",
        "JP" => "3538",
        "KR" => "9884",
        _ => "5493",
    };
    let mut v = LEI_SPACE.apply(key, salts.lei);
    let mut entity = [b'0'; 12];
    for slot in entity.iter_mut().rev() {
        *slot = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(v % 36) as usize];
        v /= 36;
    }
    let body = format!("{lou}00{}", String::from_utf8_lossy(&entity));
    lei_check(&body).map(|check| format!("{body}{check}")).unwrap_or_default()
}

/// The E.164 mobile number of contact `index` (0..4) of client `key`.
pub(crate) fn phone(country: &str, key: u64, index: u64, salts: &Salts) -> String {
    let plan = geo::numbering(country);
    let tail_space = 10u64.pow(plan.rest);
    let v = plan.perm.apply(key * 4 + index, salts.phone);
    let (lead, tail) = ((v / tail_space) as usize, v % tail_space);
    let width = plan.rest as usize;
    if plan.leads.is_empty() {
        format!("+{}{}{}{tail:0width$}", plan.calling, geo::US_AREAS[lead / 8], 2 + lead % 8)
    } else {
        format!("+{}{}{tail:0width$}", plan.calling, plan.leads[lead])
    }
}

/// A 16-digit account number: branch, product line, key and index embedded, Luhn check.
pub(crate) fn account(key: u64, index: u64, branch: u32, line: i32, salts: &Salts) -> String {
    let body = format!("{branch:04}{line}{:010}", E10.apply(key * 8 + index, salts.account));
    format!("{body}{}", luhn(&body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_spaces_hold_the_guaranteed_portfolio() {
        for country in geo::COUNTRIES {
            assert!(geo::numbering(country.code).perm.size() / 4 >= MAX_UNIQUE_CLIENTS, "{}", country.code);
        }
    }

    #[test]
    fn mistyped_registrations_fail_the_check_and_differ() {
        use rand::SeedableRng;
        let salts = Salts { reg: 1, tax: 2, lei: 3, phone: 4, account: 5 };
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut typos = 0;
        for country in geo::COUNTRIES {
            for key in 0..200 {
                let org = CnOrg::Enterprise;
                let (reg, _) = registration(country, &country.cities[0], org, key, &salts, &mut rng);
                assert!(registration_checks(country.code, &reg), "{reg}");
                let typo = mistype(country.code, &reg, &mut rng);
                if !typo.is_empty() {
                    typos += 1;
                    assert!(typo != reg && !registration_checks(country.code, &typo), "{reg} {typo}");
                }
            }
        }
        assert!(typos > 600, "{typos}");
    }

    #[test]
    fn registration_checks_accept_published_numbers() {
        assert!(registration_checks("FR", "732829320"));
        assert!(!registration_checks("FR", "732829321"));
    }
}
