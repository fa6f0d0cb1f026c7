//! How SearchClients ranks a client for a query by name, and the keys that find it.
//!
//! A caller names a firm the way people say it. For a Chinese company that is its common
//! short name (简称), made of characters of the legal name taken in order (中国工商银行股份
//! 有限公司 → 工商银行, 招商银行股份有限公司 → 招行, 贵州茅台酒股份有限公司 → 茅台); for a
//! European one the name without its legal form, typed without accents or apostrophes
//! ("Societe Generale", "LOreal"), or its initials ("BBVA"). Brands and former names are
//! kept on the record as aliases and ranked like its other names.
//!
//! The score of a name is the best of
//! - its similarity to the query ([`text::similarity`]: 1 for the same core name);
//! - for a CJK query, a characters-in-order match of the query's core within the name's
//!   core, or within the core without its leading region (中国, 北京市, 贵州, ...):
//!   0.55 + 0.25 × the share of the name's characters matched + 0.1 when both start with
//!   the same character + 0.05 × the share of the query's adjacent characters that stay
//!   adjacent;
//! - for a Latin query, the initials of the name's core words (0.9), or each query word
//!   starting a word of the name in order (0.6 + 0.3 × the share of letters matched);
//!
//! and never more than 0.95 unless the core names are the same, so a full name still comes
//! first. A client's score is that of its best name (legal, display, aliases).

use std::collections::BTreeSet;

use crm_proto::crm::profile::v1::Client;

use super::text;

/// Regions a Chinese legal name may start with (provinces, their capitals and the largest
/// cities), each also with 省, 市 or 自治区 after it.
const REGIONS: [&str; 58] = [
    "中国",
    "中华",
    "北京",
    "上海",
    "天津",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
    "深圳",
    "广州",
    "杭州",
    "南京",
    "苏州",
    "武汉",
    "成都",
    "西安",
    "青岛",
    "大连",
    "厦门",
    "宁波",
    "珠海",
    "佛山",
    "东莞",
    "无锡",
    "长沙",
    "郑州",
    "济南",
    "沈阳",
    "宜宾",
    "合肥",
];

/// Highest score of a name that is not the query's own core name.
const MAX_PARTIAL: f64 = 0.95;

/// Every name of a client search reads: legal, display and aliases.
pub fn names(client: &Client) -> impl Iterator<Item = &str> {
    [client.legal_name.as_str(), client.display_name.as_str()]
        .into_iter()
        .chain(client.aliases.iter().map(|a| a.name.as_str()))
        .filter(|n| !n.trim().is_empty())
}

/// The score of `client` for `query`, 0..1 (the best of its names).
pub fn client_score(query: &str, client: &Client) -> f64 {
    names(client).map(|n| score(query, n)).fold(0.0, f64::max)
}

/// The score of one name for `query`, 0..1.
pub fn score(query: &str, name: &str) -> f64 {
    text::similarity(query, name).max(spoken(query, name))
}

/// How well `query` reads as the way people say `name` (0 when it does not).
fn spoken(query: &str, name: &str) -> f64 {
    let q: Vec<char> = text::name_key(query).chars().collect();
    if q.len() < 2 {
        return 0.0;
    }
    let best = if q.iter().any(|c| text::is_cjk(*c)) {
        cores(name).iter().filter_map(|core| in_order(&q, core)).fold(0.0, f64::max)
    } else {
        latin(query, name)
    };
    best.min(MAX_PARTIAL)
}

/// The name's core without spaces, and without its leading region when two characters or
/// more are left.
fn cores(name: &str) -> Vec<Vec<char>> {
    let key = text::name_key(name);
    let mut out = vec![key.chars().collect::<Vec<char>>()];
    if let Some(rest) = without_region(&key) {
        out.push(rest.chars().collect());
    }
    out
}

/// `key` without the region it starts with, if what is left has two characters or more.
pub fn without_region(key: &str) -> Option<&str> {
    let rest = REGIONS.iter().find_map(|r| key.strip_prefix(r))?;
    let rest = ["省", "市", "自治区"].iter().find_map(|s| rest.strip_prefix(s)).unwrap_or(rest);
    (rest.chars().count() >= 2).then_some(rest)
}

/// The characters-in-order score of `q` within `target`, if every character of `q` occurs
/// there in order (leftmost match).
fn in_order(q: &[char], target: &[char]) -> Option<f64> {
    if q.len() > target.len() {
        return None;
    }
    let mut positions = Vec::with_capacity(q.len());
    let mut from = 0;
    for c in q {
        let at = from + target[from..].iter().position(|t| t == c)?;
        positions.push(at);
        from = at + 1;
    }
    let coverage = q.len() as f64 / target.len() as f64;
    let first = if positions[0] == 0 { 0.1 } else { 0.0 };
    let adjacent = positions.windows(2).filter(|w| w[1] == w[0] + 1).count() as f64 / (q.len() - 1) as f64;
    Some(0.55 + 0.25 * coverage + first + 0.05 * adjacent)
}

/// Initials ("BBVA") or word beginnings in order ("Soc Gen") of a Latin name's core.
fn latin(query: &str, name: &str) -> f64 {
    let core = text::core(name);
    let words: Vec<&str> = core.split(' ').filter(|w| !w.is_empty()).collect();
    let query = text::core(query);
    let asked: Vec<&str> = query.split(' ').filter(|w| !w.is_empty()).collect();
    if words.len() >= 2 && asked.len() == 1 && initials(&words) == asked[0] {
        return 0.9;
    }
    let mut rest = words.iter();
    let starts = asked.iter().all(|a| rest.by_ref().any(|w| w.starts_with(a)));
    if !starts || asked.is_empty() {
        return 0.0;
    }
    let letters = |ws: &[&str]| ws.iter().map(|w| w.chars().count()).sum::<usize>() as f64;
    0.6 + 0.3 * letters(&asked) / letters(&words).max(1.0)
}

fn initials(words: &[&str]) -> String {
    words.iter().filter_map(|w| w.chars().next()).collect()
}

/// The index keys of a client beyond the grams of its names ([`text::grams`]): each CJK
/// character of its names (`#招`), so that a short name made of characters taken from the
/// legal name finds it, and the initials of its Latin names (`^bbva`).
pub fn extra_keys(client: &Client) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for name in names(client) {
        keys.extend(char_keys(name));
        let core = text::core(name);
        let words: Vec<&str> = core.split(' ').filter(|w| !w.is_empty()).collect();
        if words.len() >= 2 && words.iter().all(|w| !w.chars().any(text::is_cjk)) {
            keys.insert(format!("^{}", initials(&words)));
        }
    }
    keys
}

/// Longest CJK query (in characters of its core) that looks up its single characters: a
/// short name is at most this long, a longer query finds its client through its bigrams, and
/// the postings of common characters are not read for it.
const MAX_CHARS_LOOKED_UP: usize = 6;

/// The keys a query looks up beyond its grams: the characters of a short CJK name, and for
/// one Latin word the initials it may be.
pub fn query_keys(query: &str) -> BTreeSet<String> {
    let chars = char_keys(query);
    let mut keys = if chars.len() <= MAX_CHARS_LOOKED_UP { chars } else { BTreeSet::new() };
    let core = text::core(query);
    if !core.is_empty() && !core.contains(' ') && !core.chars().any(text::is_cjk) {
        keys.insert(format!("^{core}"));
    }
    keys
}

fn char_keys(name: &str) -> BTreeSet<String> {
    text::name_key(name).chars().filter(|c| text::is_cjk(*c)).map(|c| format!("#{c}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(query: &str, names: &[&str]) -> String {
        let mut scored: Vec<(f64, &str)> = names.iter().map(|n| (score(query, n), *n)).collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        scored[0].1.to_owned()
    }

    const BANKS: [&str; 6] = [
        "中国工商银行股份有限公司",
        "中国建设银行股份有限公司",
        "中国银行股份有限公司",
        "招商银行股份有限公司",
        "中信银行股份有限公司",
        "上海浦东发展银行股份有限公司",
    ];

    #[test]
    fn short_names_find_their_bank() {
        assert_eq!(top("工商银行", &BANKS), "中国工商银行股份有限公司");
        assert_eq!(top("招行", &BANKS), "招商银行股份有限公司");
        assert_eq!(top("建行", &BANKS), "中国建设银行股份有限公司");
        assert_eq!(top("浦发银行", &BANKS), "上海浦东发展银行股份有限公司");
        assert_eq!(top("中国银行", &BANKS), "中国银行股份有限公司");
    }

    #[test]
    fn the_region_prefix_does_not_hide_the_name() {
        assert!(score("茅台", "贵州茅台酒股份有限公司") > 0.85);
        assert_eq!(without_region("深圳市腾讯计算机系统"), Some("腾讯计算机系统"));
        assert_eq!(without_region("中国银行"), Some("银行"));
        assert_eq!(without_region("中国"), None);
    }

    #[test]
    fn the_full_name_outranks_any_partial_match() {
        assert!((score("招商银行股份有限公司", "招商银行股份有限公司") - 1.0).abs() < f64::EPSILON);
        assert!(score("招行", "招商银行股份有限公司") <= MAX_PARTIAL);
        assert!(score("中国银行", "中国建设银行股份有限公司") < score("中国银行", "中国银行（香港）有限公司"));
    }

    #[test]
    fn latin_names_by_initials_and_word_starts() {
        assert!((score("BBVA", "Banco Bilbao Vizcaya Argentaria, S.A.") - 0.9).abs() < 1e-9);
        assert!(score("Soc Gen", "Société Générale S.A.") > 0.6);
        assert!((score("Societe Generale", "Société Générale S.A.") - 1.0).abs() < f64::EPSILON);
        assert!((score("LOreal", "L'Oréal S.A.") - 1.0).abs() < f64::EPSILON);
        assert!(score("Gen Soc", "Société Générale S.A.") < 0.6, "words keep their order");
    }

    #[test]
    fn keys_hold_characters_and_initials() {
        let client = Client { legal_name: "招商银行股份有限公司".into(), ..Default::default() };
        assert!(extra_keys(&client).contains("#招"));
        let bbva = Client { legal_name: "Banco Bilbao Vizcaya Argentaria, S.A.".into(), ..Default::default() };
        assert!(extra_keys(&bbva).contains("^bbva"));
        assert!(query_keys("BBVA").contains("^bbva") && query_keys("招行").contains("#行"));
        assert!(query_keys("上海浦东发展银行股份有限公司").is_empty(), "a full name looks up its bigrams only");
    }
}
