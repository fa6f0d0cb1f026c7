//! Are two client records the same company? A score with its reasons.
//!
//! Names decide whether a pair is considered at all; location, industry and identifiers
//! raise or lower the score. Two different registration numbers, LEIs or tax ids mean two
//! legal entities (unless a registration number differs by one character: a typo), and a
//! parent and its subsidiary are never duplicates.

use crm_proto::crm::profile::v1::Client;

use super::text;

/// Lowest name similarity for a pair to be considered.
const MIN_NAME_SIMILARITY: f64 = 0.6;

fn names(c: &Client) -> impl Iterator<Item = &str> {
    [c.legal_name.as_str(), c.display_name.as_str()].into_iter().filter(|n| !n.is_empty())
}

fn both<'a>(a: &'a str, b: &'a str) -> Option<(&'a str, &'a str)> {
    (!a.is_empty() && !b.is_empty()).then_some((a, b))
}

/// Score (0..1) and reasons when `a` and `b` may be the same company.
pub fn score(a: &Client, b: &Client) -> Option<(f64, Vec<String>)> {
    if a.name == b.name || a.parent == b.name || b.parent == a.name {
        return None;
    }
    let name_similarity = names(a).flat_map(|x| names(b).map(move |y| text::similarity(x, y))).fold(0.0_f64, f64::max);
    if name_similarity < MIN_NAME_SIMILARITY {
        return None;
    }
    let mut reasons = Vec::new();
    let mut score = 0.6 * name_similarity;
    if name_similarity >= 1.0 {
        reasons.push("same name without legal form".to_owned());
    } else {
        reasons.push(format!("similar names ({name_similarity:.2})"));
    }
    match both(&a.country_code, &b.country_code) {
        Some((x, y)) if x == y => score += 0.1,
        Some(_) => {
            score *= 0.4;
            reasons.push("different countries".to_owned());
        }
        None => {}
    }
    match both(&a.city, &b.city) {
        Some((x, y)) if x == y => {
            score += 0.15;
            reasons.push(format!("same city ({x})"));
        }
        Some(_) => score -= 0.1,
        None => {}
    }
    if both(&a.industry_code, &b.industry_code).is_some_and(|(x, y)| x == y) {
        score += 0.1;
        reasons.push(format!("same industry ({})", a.industry_code));
    }
    if let Some((x, y)) = both(&a.registration_number, &b.registration_number) {
        match text::edit_distance(&x.to_uppercase(), &y.to_uppercase(), 2) {
            0 => {
                score += 0.15;
                reasons.push("same registration number".to_owned());
            }
            1 => {
                score += 0.05;
                reasons.push("registration numbers differ by one character".to_owned());
            }
            _ => {
                score *= 0.5;
                reasons.push("different registration numbers".to_owned());
            }
        }
    }
    for (field, x, y) in [("LEI", &a.lei, &b.lei), ("tax id", &a.tax_id, &b.tax_id)] {
        if both(x, y).is_some_and(|(x, y)| x != y) {
            score *= 0.4;
            reasons.push(format!("different {field}s"));
        }
    }
    Some((score.clamp(0.0, 1.0), reasons))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firm(name: &str, legal: &str, city: &str, reg: &str) -> Client {
        Client {
            name: name.into(),
            legal_name: legal.into(),
            country_code: "CN".into(),
            city: city.into(),
            industry_code: "2822".into(),
            registration_number: reg.into(),
            ..Default::default()
        }
    }

    #[test]
    fn re_entries_score_high_and_namesakes_low() {
        let original = firm("clients/a", "上海华信精密机械股份有限公司", "上海", "91310000MA1FL0XX12");
        let re_entry = firm("clients/b", "上海华信精密机械", "上海", "");
        let typo = firm("clients/c", "上海华信精密机械有限公司", "上海", "91310000MA1FL0XX13");
        let namesake = firm("clients/d", "上海华信精密机械股份有限公司", "上海", "91310000MA7777777X");
        let elsewhere = firm("clients/e", "上海华信精密机械股份有限公司", "成都", "");
        let (s_re, reasons) = score(&original, &re_entry).expect("candidate");
        assert!(s_re >= 0.9, "{s_re} {reasons:?}");
        assert!(score(&original, &typo).expect("typo").0 >= 0.9);
        assert!(score(&original, &namesake).expect("namesake").0 < 0.75);
        assert!(score(&original, &elsewhere).expect("elsewhere").0 < 0.75);
        assert!(score(&original, &firm("clients/f", "北京国际信托有限公司", "上海", "")).is_none());
    }

    #[test]
    fn a_parent_and_its_subsidiary_are_not_duplicates() {
        let parent = firm("clients/p", "华信精密", "上海", "");
        let mut child = firm("clients/q", "华信精密有限公司", "上海", "");
        child.parent = "clients/p".into();
        assert!(score(&parent, &child).is_none());
    }
}
