//! Company names: trade names, legal and display names, the stem of the web domain, and
//! the name variants a duplicate re-entry carries.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::geo::{City, Country, Lang};
use crate::industry::{IsicClass, Kind};
use crate::names::{CN_DISTRICTS, EN_ADJECTIVES, SECTORS, UNITS, legal_forms};
use crate::people::{JA_FAMILY, KO_FAMILY, LAST_NAMES, person_pool};
use crate::stems::{CN_SYLLABLES, COINED, LATIN_PARTS, LATIN_TRADES, latin_pool};

/// The distinctive part of a company name, shared by a group's companies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Trade {
    /// Chinese characters (字号), for mainland trade names.
    pub zh: Option<String>,
    /// Latin spelling: pinyin ("Huaxin") or a Western name ("Northbridge", "Lumenix").
    pub latin: String,
}

impl Trade {
    /// A trade name native to `country`.
    pub fn random(country: &Country, rng: &mut ChaCha8Rng) -> Self {
        if country.lang == Lang::Zh {
            let n = CN_SYLLABLES.len();
            let a = rng.random_range(0..n);
            let b = (a + rng.random_range(1..n)) % n;
            let c = if rng.random_bool(0.3) {
                (0..8).map(|_| rng.random_range(0..n)).find(|&c| c != a && c != b)
            } else {
                None
            };
            let (mut zh, mut latin) = (String::with_capacity(9), String::with_capacity(18));
            for i in [Some(a), Some(b), c].into_iter().flatten() {
                zh.push_str(CN_SYLLABLES[i].0);
                latin.push_str(CN_SYLLABLES[i].1);
            }
            if let Some(first) = latin.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            return Self { zh: Some(zh), latin };
        }
        let pool = latin_pool(country.code);
        let people = person_pool(country.code);
        let latin = match rng.random_range(0..20) {
            0 => any(rng, LATIN_TRADES[pool]).to_owned(),
            1..6 => {
                let (first, second) = LATIN_PARTS[pool];
                format!("{}{}", any(rng, first), any(rng, second))
            }
            6..16 => {
                let mut s = String::with_capacity(14);
                s.push_str(any(rng, COINED.0));
                for _ in 0..if rng.random_bool(0.4) { 1 } else { 2 } {
                    s.push_str(any(rng, COINED.1));
                }
                s.push_str(any(rng, COINED.2));
                s
            }
            16..19 => {
                let (a, b) = (surname(country.code, rng), surname(country.code, rng));
                if a == b {
                    a
                } else if people == 1 {
                    format!("{a}-{b}")
                } else {
                    format!("{a} & {b}")
                }
            }
            _ => surname(country.code, rng),
        };
        Self { zh: None, latin }
    }
}

/// A founder's surname in Latin letters, for names like "Schmidt-Weber" or "Tanaka".
fn surname(country: &str, rng: &mut ChaCha8Rng) -> String {
    let romanised = match country {
        "JP" => JA_FAMILY,
        "KR" => KO_FAMILY,
        _ => return any(rng, LAST_NAMES[person_pool(country)]).to_owned(),
    };
    let mut s = romanised[rng.random_range(0..romanised.len())].1.to_owned();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

/// What a company name is built from.
#[derive(Debug)]
pub(crate) struct NameSpec<'a> {
    /// Country of registration.
    pub country: &'a Country,
    pub city: &'a City,
    pub class: &'a IsicClass,
    pub trade: &'a Trade,
    /// Size band: 0 SME, 1 mid-market, 2 large.
    pub band: usize,
    /// Head of a group.
    pub head: bool,
    /// A public body (government organ, public hospital or school).
    pub public_body: bool,
    /// Country of the parent, for subsidiaries.
    pub parent_country: Option<&'a Country>,
}

/// Legal name, display name and the ASCII stem of the web domain.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    /// Registered legal name.
    pub legal: String,
    /// Short name for screens.
    pub display: String,
    /// Lower-case ASCII letters for the domain.
    pub slug: String,
}

fn any<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// Replaces `{c}` city, `{t}` trade, `{i}` industry word, `{s}` sector, `{u}` sub-unit,
/// `{d}` district and `{n}` a small number in `template`.
fn fill(template: &str, lang: usize, city: &str, trade: &str, word: &str, rng: &mut ChaCha8Rng) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let tag = rest.as_bytes().get(start + 1).copied();
        rest = rest.get(start + 3..).unwrap_or("");
        match tag {
            Some(b'c') => out.push_str(city),
            Some(b't') => out.push_str(trade),
            Some(b'i') => out.push_str(word),
            Some(b's') => out.push_str(any(rng, SECTORS[lang])),
            Some(b'u') => out.push_str(any(rng, UNITS[lang.min(1)])),
            Some(b'd') => out.push_str(any(rng, CN_DISTRICTS)),
            _ => out.push_str(&rng.random_range(1..13u32).to_string()),
        }
    }
    out.push_str(rest);
    out
}

/// Appends the lower-case ASCII letters and digits of `s`, folding accents (ü → ue).
pub(crate) fn ascii_fold(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            'a'..='z' | '0'..='9' => out.push(ch),
            'A'..='Z' => out.push(ch.to_ascii_lowercase()),
            'ä' | 'Ä' => out.push_str("ae"),
            'ö' | 'Ö' => out.push_str("oe"),
            'ü' | 'Ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            'é' | 'è' | 'ê' | 'ë' | 'É' => out.push('e'),
            'à' | 'â' => out.push('a'),
            'î' | 'ï' => out.push('i'),
            'ô' => out.push('o'),
            'ù' | 'û' => out.push('u'),
            'ç' => out.push('c'),
            _ => {}
        }
    }
}

/// The names of a company: public bodies and associations from their theme's templates,
/// companies from city, trade name, industry word and a legal form for their size.
pub(crate) fn company_names(spec: &NameSpec<'_>, rng: &mut ChaCha8Rng) -> Names {
    let theme = spec.class.theme;
    let zh = spec.country.lang == Lang::Zh && spec.trade.zh.is_some();
    let lang = match spec.country.lang {
        _ if zh => 0,
        Lang::De => 2,
        Lang::Fr => 3,
        Lang::Nl => 4,
        _ => 1,
    };
    let word = any(rng, theme.words[lang]);
    let trade = match &spec.trade.zh {
        Some(chinese) if zh => chinese.as_str(),
        _ => spec.trade.latin.as_str(),
    };
    let mut slug = String::with_capacity(24);
    let templated = matches!(spec.class.kind, Kind::Public | Kind::NonProfit) || spec.public_body;
    if templated && !theme.tpl[lang].is_empty() {
        let city = if zh { spec.city.name } else { spec.city.latin };
        let legal = fill(any(rng, theme.tpl[lang]), lang, city, trade, word, rng);
        ascii_fold(spec.city.latin, &mut slug);
        ascii_fold(theme.words[1][0].split(' ').next().unwrap_or(""), &mut slug);
        return Names { display: legal.clone(), legal, slug };
    }
    ascii_fold(&spec.trade.latin, &mut slug);
    ascii_fold(theme.words[1][0].split(' ').next().unwrap_or(""), &mut slug);
    let abroad = spec.parent_country.is_some_and(|p| p.code != spec.country.code);
    let band = if spec.head { 2 } else { spec.band };
    if zh {
        let form = if spec.head {
            any(rng, &["集团有限公司", "集团股份有限公司"])
        } else if spec.parent_country.is_some() {
            theme.cn_form.unwrap_or("有限公司")
        } else {
            theme.cn_form.unwrap_or_else(|| any(rng, legal_forms("CN", band)))
        };
        let city = spec.city.name;
        let group_style = spec.head && rng.random_bool(0.5);
        let mut word = word;
        let legal = match () {
            _ if group_style => format!("{city}{trade}{form}"),
            _ if spec.parent_country.is_some() => match rng.random_range(0..10) {
                0..3 => format!("{trade}{word}（{city}）{form}"),
                3..7 => format!("{city}{trade}{word}{form}"),
                _ => {
                    word = any(rng, &["科技", "发展", "实业", "国际", "服务", "工程", "商务"]);
                    format!("{city}{trade}{word}{form}")
                }
            },
            _ if rng.random_bool(0.75) => format!("{city}{trade}{word}{form}"),
            _ => format!("{trade}{word}{form}"),
        };
        let short: String = match spec.class.kind {
            _ if group_style => "集团".to_owned(),
            Kind::Financial => word.to_owned(),
            _ => short_word(word),
        };
        return Names { legal, display: format!("{trade}{short}"), slug };
    }
    let code = if spec.country.code == "CN" { "CN-LATIN" } else { spec.country.code };
    let form = any(rng, legal_forms(code, band));
    let place = if spec.country.code == "CN" { spec.city.latin } else { spec.country.name };
    let legal = if spec.head && rng.random_bool(0.5) {
        if form.contains("Group") || form.contains("Holding") {
            format!("{trade} {form}")
        } else {
            let group = ["", "Group", "Gruppe", "Groupe", "Groep"][lang];
            if lang == 3 { format!("{group} {trade} {form}") } else { format!("{trade} {group} {form}") }
        }
    } else if abroad {
        format!("{trade} {word} ({place}) {form}")
    } else if spec.parent_country.is_some() && rng.random_bool(0.7) {
        if rng.random_bool(0.55) {
            format!("{trade} {word} ({}) {form}", spec.city.latin)
        } else {
            let extra = [
                &["Services", "International", "Solutions", "Operations"][..],
                &["Service", "International", "Vertrieb"],
                &["Services", "International", "Distribution"],
                &["Services", "International", "Diensten"],
            ];
            format!("{trade} {word} {} {form}", any(rng, extra[lang - 1]))
        }
    } else if lang > 1 && rng.random_bool(0.35) {
        format!("{trade} {word} {} {form}", spec.city.latin)
    } else if lang == 1 && rng.random_bool(0.35) {
        let adjective = any(rng, EN_ADJECTIVES);
        return Names {
            legal: format!("{trade} {adjective} {word} {form}"),
            display: format!("{trade} {adjective} {word}"),
            slug,
        };
    } else {
        format!("{trade} {word} {form}")
    };
    Names { legal, display: format!("{trade} {word}"), slug }
}

/// The short form of a Chinese industry word used in display names ("精密机械" → "精密").
fn short_word(word: &str) -> String {
    let short = match word {
        "房地产开发" => "地产",
        "生态农业" => "农业",
        "文化传媒" => "传媒",
        "管理咨询" => "咨询",
        "企业服务" => "服务",
        "生物医药" => "医药",
        "供应链管理" => "供应链",
        "投资控股" => "控股",
        _ if word.chars().count() <= 3 => word,
        _ => return word.chars().take(2).collect(),
    };
    short.to_owned()
}

const ZH_FORMS: [&str; 5] = ["集团股份有限公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司"];

const LATIN_SWAPS: [(&str, &str); 18] = [
    ("Co., Ltd.", "Company Limited"),
    ("Pte. Ltd.", "Pte Ltd"),
    ("Pty Ltd", "Pty. Limited"),
    ("Holdings, Inc.", "Holdings Inc"),
    ("Limited", "Ltd"),
    ("Ltd", "Limited"),
    ("Inc.", "Incorporated"),
    ("Corporation", "Corp."),
    ("LLC", "L.L.C."),
    ("GmbH & Co. KG", "GmbH & Co KG"),
    ("GmbH", "G.m.b.H."),
    ("B.V.", "BV"),
    ("N.V.", "NV"),
    ("K.K.", "Kabushiki Kaisha"),
    ("PLC", "plc"),
    ("SAS", "S.A.S."),
    ("SARL", "S.A.R.L."),
    ("SA", "S.A."),
];

/// How a re-entry spells a Chinese legal name: without or with another legal form, with or
/// without the city, other brackets, stray spaces.
pub(crate) fn vary_zh(legal: &str, city: &str, rng: &mut ChaCha8Rng) -> String {
    let mut s = legal.to_owned();
    let drop_form = |s: &mut String| {
        if let Some(form) = ZH_FORMS.iter().find(|f| s.ends_with(*f)) {
            s.truncate(s.len() - form.len());
        }
    };
    for _ in 0..rng.random_range(1..3) {
        match rng.random_range(0..20) {
            0..5 => drop_form(&mut s),
            5..9 => {
                s = if s.ends_with("股份有限公司") {
                    s.replacen("股份有限公司", "有限公司", 1)
                } else {
                    s.replacen("有限公司", "股份有限公司", 1)
                }
            }
            9..14 => {
                let with_shi = format!("{city}市");
                s = match s.strip_prefix(&with_shi).or_else(|| s.strip_prefix(city)) {
                    Some(rest) => rest.to_owned(),
                    None => format!("{city}{s}"),
                }
            }
            14..17 if s.contains('（') => s = s.replace('（', "(").replace('）', ")"),
            14..17 => s = s.replacen("有限公司", "有限责任公司", 1),
            _ => {
                let at = s.char_indices().nth(city.chars().count().max(2)).map_or(s.len(), |(i, _)| i);
                s.insert(at, ' ');
            }
        }
    }
    let mut s = s.trim().to_owned();
    if s == legal || s.is_empty() {
        s = legal.to_owned();
        drop_form(&mut s);
        if s == legal {
            s = format!("{city} {}", legal.strip_prefix(city).unwrap_or(legal));
        }
    }
    s
}

/// How a re-entry spells a Latin legal name: "Ltd" for "Limited", no legal form, upper case,
/// no punctuation, "and" for "&", a missing space.
pub(crate) fn vary_latin(legal: &str, rng: &mut ChaCha8Rng) -> String {
    let mut s = legal.to_owned();
    for _ in 0..rng.random_range(1..3) {
        match rng.random_range(0..6) {
            0 => {
                if let Some((from, to)) = LATIN_SWAPS.iter().find(|(from, _)| s.ends_with(from)) {
                    s.truncate(s.len() - from.len());
                    s.push_str(to);
                }
            }
            1 => {
                if let Some((from, _)) = LATIN_SWAPS.iter().find(|(from, _)| s.ends_with(from)) {
                    s.truncate(s.len() - from.len());
                    s.truncate(s.trim_end_matches([' ', ',']).len());
                }
            }
            2 => s = s.to_uppercase(),
            3 => s.retain(|c| c != '.' && c != ','),
            4 => s = if s.contains('&') { s.replace('&', "and") } else { s.replacen(' ', "  ", 1) },
            _ => s = s.replacen(' ', "", 1),
        }
    }
    if s.trim() == legal || s.trim().is_empty() {
        s = legal.to_lowercase();
    }
    s.trim().to_owned()
}
