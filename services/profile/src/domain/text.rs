//! Company-name matching in Latin and CJK scripts: normalisation, the core name without
//! legal form, search grams and similarity.
//!
//! "中国银行股份有限公司", "中国银行" and "中國銀行 股份有限公司" share the core name 中国银行
//! (after NFKC, case folding, punctuation and legal-form removal; traditional characters
//! are not folded). "Harbour Logistics Co., Ltd." and "HARBOUR LOGISTICS LIMITED" share
//! "harbour logistics"; Latin letters lose their accents and apostrophes vanish, so
//! "L'Oréal S.A." and "LOreal" share "loreal", "A.P. Møller - Mærsk A/S" reads
//! "ap moller maersk".

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;

/// Chinese legal forms and generic words, longest first.
const CJK_FORMS: [&str; 10] =
    ["股份有限公司", "有限责任公司", "有限公司", "集团公司", "股份公司", "总公司", "分公司", "公司", "集团", "股份"];

/// Latin legal forms (whole words after normalisation).
const LATIN_FORMS: [&str; 34] = [
    "limited",
    "ltd",
    "co",
    "company",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "plc",
    "llc",
    "llp",
    "gmbh",
    "ag",
    "kg",
    "kk",
    "sa",
    "sas",
    "sarl",
    "bv",
    "nv",
    "pte",
    "pty",
    "spa",
    "srl",
    "ab",
    "oy",
    "oyj",
    "asa",
    "as",
    "se",
    "aktiengesellschaft",
    "kgaa",
    "sl",
    "the",
];

/// Whether `c` is a Han, kana or Hangul character (CJK names are compared by character).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF | 0x3040..=0x30FF | 0xAC00..=0xD7AF)
}

/// Apostrophes join the letters around them ("L'Oréal" reads "loreal").
const APOSTROPHES: [char; 5] = ['\'', '\u{2019}', '\u{2018}', '\u{02BC}', '`'];

/// A Latin letter without its accents, ligatures spelt out (`é` → `e`, `ø` → `o`,
/// `æ` → `ae`, `ß` → `ss`); anything else as it is.
fn fold_latin(c: char, out: &mut String) {
    match c {
        'ø' => out.push('o'),
        'æ' => out.push_str("ae"),
        'œ' => out.push_str("oe"),
        'ß' => out.push_str("ss"),
        'ł' => out.push('l'),
        'đ' | 'ð' => out.push('d'),
        'þ' => out.push_str("th"),
        'ı' => out.push('i'),
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            out.extend(std::iter::once(c).nfd().filter(|d| !unicode_normalization::char::is_combining_mark(*d)));
        }
        _ => out.push(c),
    }
}

/// NFKC, lower case, Latin accents folded, apostrophes dropped, other punctuation to
/// spaces, CJK runs kept apart from Latin words.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_space = true;
    for c in name.nfkc().flat_map(char::to_lowercase) {
        if APOSTROPHES.contains(&c) {
            continue;
        }
        if c.is_alphanumeric() && !c.is_ascii() && !is_cjk(c) {
            fold_latin(c, &mut out);
            last_space = false;
        } else if c.is_alphanumeric() {
            out.push(c);
            last_space = false;
        } else if !last_space {
            out.push(' ');
            last_space = true;
        }
    }
    out.trim_end().to_owned()
}

/// The name without legal forms: the part that identifies the company.
pub fn core(name: &str) -> String {
    let normalized = normalize(name);
    let words: Vec<String> = join_initials(&normalized)
        .into_iter()
        .filter(|w| !LATIN_FORMS.contains(&w.as_str()) && !CJK_FORMS.contains(&w.as_str()))
        .map(|w| strip_cjk_forms(&w))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() { normalized } else { words.join(" ") }
}

/// Words, with runs of single letters joined ("b v" from "B.V." becomes "bv").
fn join_initials(normalized: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut initials = String::new();
    for word in normalized.split(' ').filter(|w| !w.is_empty()) {
        if word.chars().count() == 1 && word.chars().all(|c| c.is_ascii_alphabetic()) {
            initials.push_str(word);
            continue;
        }
        if !initials.is_empty() {
            words.push(std::mem::take(&mut initials));
        }
        words.push(word.to_owned());
    }
    if !initials.is_empty() {
        words.push(initials);
    }
    words
}

/// Removes trailing Chinese legal forms ("…股份有限公司", "…集团有限公司") from a word.
fn strip_cjk_forms(word: &str) -> String {
    let mut word = word.to_owned();
    while let Some(form) = CJK_FORMS.iter().find(|f| word.chars().count() > f.chars().count() && word.ends_with(*f)) {
        word.truncate(word.len() - form.len());
    }
    word
}

/// Blocking key for duplicate detection: the core name without spaces.
pub fn name_key(name: &str) -> String {
    core(name).replace(' ', "")
}

/// Blocking key of a company in `city`: as [`name_key`], without the city where the name
/// carries it ("杭州川蓝电子科技" and "川蓝电子科技 (杭州)" in Hangzhou both give 川蓝电子科技).
pub fn name_key_in(name: &str, city: &str) -> String {
    let key = name_key(name);
    let city = normalize(city).replace(' ', "");
    if city.is_empty() {
        return key;
    }
    let without = key.replacen(&city, "", 1);
    if without.chars().count() >= 2 { without } else { key }
}

/// Search grams of a name: CJK character bigrams, Latin words and their trigrams.
pub fn grams(name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for word in core(name).split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        if chars.iter().any(|c| is_cjk(*c)) {
            if chars.len() == 1 {
                out.insert(word.to_owned());
            }
            out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        } else {
            out.insert(word.to_owned());
            if chars.len() > 3 {
                out.extend(chars.windows(3).map(|w| format!("~{}", w.iter().collect::<String>())));
            }
        }
    }
    out
}

/// Similarity of two names, 0..1: 1 for the same core name; otherwise the Dice coefficient
/// of their grams, raised when one core name starts with the other.
pub fn similarity(a: &str, b: &str) -> f64 {
    let (ca, cb) = (name_key(a), name_key(b));
    if ca.is_empty() || cb.is_empty() {
        return 0.0;
    }
    if ca == cb {
        return 1.0;
    }
    let (ga, gb) = (grams(a), grams(b));
    let shared = ga.intersection(&gb).count();
    let dice = if ga.is_empty() && gb.is_empty() { 0.0 } else { 2.0 * shared as f64 / (ga.len() + gb.len()) as f64 };
    let prefix = ca.starts_with(&cb) || cb.starts_with(&ca) || ca.ends_with(&cb) || cb.ends_with(&ca);
    if prefix { (0.5 + dice / 2.0).min(0.95) } else { dice.min(0.95) }
}

/// Levenshtein distance, bounded: returns `max + 1` as soon as it is exceeded.
pub fn edit_distance(a: &str, b: &str, max: usize) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return max + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            row[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(row[j] + 1);
        }
        if row.iter().min().is_some_and(|m| *m > max) {
            return max + 1;
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_names_drop_legal_forms_case_and_punctuation() {
        assert_eq!(core("中国银行股份有限公司"), "中国银行");
        assert_eq!(name_key("中国银行"), name_key("中国银行 股份有限公司"));
        assert_eq!(core("Harbour Logistics Co., Ltd."), "harbour logistics");
        assert_eq!(name_key("HARBOUR  LOGISTICS LIMITED"), "harbourlogistics");
        assert_eq!(core("ＡＢＣ（香港）有限公司"), "abc 香港");
        assert_eq!(core("Ltd"), "ltd", "a name that is only a legal form keeps it");
    }

    #[test]
    fn latin_names_fold_accents_and_apostrophes() {
        assert_eq!(name_key("L'Oréal S.A."), name_key("LOreal"));
        assert_eq!(name_key("Société Générale S.A."), name_key("Societe Generale"));
        assert_eq!(name_key("Nestlé S.A."), "nestle");
        assert_eq!(core("A.P. Møller - Mærsk A/S"), "ap moller maersk");
        assert_eq!(core("Škoda Auto a.s."), "skoda auto");
        assert_eq!(core("Allianz SE"), "allianz");
        assert_eq!(core("Straße"), "strasse");
        assert_eq!(core("株式会社カプコン"), "株式会社カプコン", "kana keep their voicing marks");
    }

    #[test]
    fn blocking_keys_ignore_the_city_and_dotted_or_partial_legal_forms() {
        assert_eq!(name_key_in("杭州川蓝电子科技有限公司", "杭州"), name_key_in("川蓝电子科技", "杭州"));
        assert_eq!(name_key_in("川蓝电子科技（杭州）有限公司", "杭州"), "川蓝电子科技");
        assert_eq!(name_key("天津元恒光电股份有限公司"), name_key("天津元恒光电股份"));
        assert_eq!(name_key("Walitaren Groothandel Rotterdam B.V."), name_key("Walitaren Groothandel Rotterdam"));
        assert_eq!(name_key_in("杭州", "杭州"), "杭州", "a name that is only the city keeps it");
    }

    #[test]
    fn the_full_legal_name_ranks_above_other_banks() {
        let q = "中国银行";
        let same = similarity(q, "中国银行股份有限公司");
        let branch = similarity(q, "中国银行（香港）有限公司");
        let other = similarity(q, "中国建设银行股份有限公司");
        let unrelated = similarity(q, "招商银行股份有限公司");
        assert!(same > branch && branch > other && other > unrelated, "{same} {branch} {other} {unrelated}");
    }

    #[test]
    fn grams_mix_cjk_bigrams_and_latin_trigrams() {
        let g = grams("华信精密 Precision Ltd");
        assert!(g.contains("华信") && g.contains("精密") && g.contains("precision") && g.contains("~pre"));
        assert!(!g.contains("ltd"));
    }

    #[test]
    fn bounded_edit_distance() {
        assert_eq!(edit_distance("91310000MA1FL0XX12", "91310000MA1FL0XX13", 2), 1);
        assert_eq!(edit_distance("abc", "xyz", 1), 2);
        assert_eq!(edit_distance("", "", 1), 0);
    }
}
