//! Countries, regions and cities of the synthetic portfolio, with the currency, naming
//! language and telephone numbering of each country.

use crate::perm::Perm;

/// Language whose words and legal forms a company name uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Chinese characters (mainland China).
    Zh,
    /// English words (GB, US, HK, SG, AU, and Latin names of JP/KR companies).
    En,
    De,
    Fr,
    Nl,
    /// Japanese company, English words; people named in kanji.
    Ja,
    /// Korean company, English words; people named in hangul.
    Ko,
}

/// A city, with its region inside the country.
#[derive(Debug)]
pub(crate) struct City {
    /// Name as stored in `Client.city` (Chinese for mainland cities).
    pub name: &'static str,
    /// Latin spelling, used in English-language names.
    pub latin: &'static str,
    /// Region inside the country (English).
    pub region: &'static str,
    /// First four digits of the administrative division code (mainland China only).
    pub division: u16,
    /// Relative weight among the country's cities.
    pub weight: u32,
}

/// A country the bank serves.
#[derive(Debug)]
pub(crate) struct Country {
    /// ISO 3166-1 alpha-2 code.
    pub code: &'static str,
    /// English name, used in subsidiaries' names ("Harbour Logistics (Singapore) Pte. Ltd.").
    pub name: &'static str,
    /// ISO 4217 currency.
    pub currency: &'static str,
    /// Units of `currency` per Chinese yuan (approximate 2025 rates).
    pub per_cny: f64,
    /// Whether the currency has minor units (cents); JPY and KRW have none.
    pub cents: bool,
    pub lang: Lang,
    /// Share of the portfolio in per mille.
    pub weight: u32,
    /// Top-level domain of company web sites.
    pub tld: &'static str,
    /// Cities, weighted.
    pub cities: &'static [City],
}

const fn city(name: &'static str, latin: &'static str, region: &'static str, division: u16, weight: u32) -> City {
    City { name, latin, region, division, weight }
}

const fn intl(name: &'static str, region: &'static str, weight: u32) -> City {
    City { name, latin: name, region, division: 0, weight }
}

const CN_CITIES: &[City] = &[
    city("上海", "Shanghai", "East China", 3101, 140),
    city("北京", "Beijing", "North China", 1101, 120),
    city("深圳", "Shenzhen", "South China", 4403, 90),
    city("广州", "Guangzhou", "South China", 4401, 70),
    city("杭州", "Hangzhou", "East China", 3301, 60),
    city("苏州", "Suzhou", "East China", 3205, 60),
    city("成都", "Chengdu", "Southwest China", 5101, 50),
    city("重庆", "Chongqing", "Southwest China", 5001, 40),
    city("武汉", "Wuhan", "Central China", 4201, 40),
    city("南京", "Nanjing", "East China", 3201, 40),
    city("天津", "Tianjin", "North China", 1201, 40),
    city("西安", "Xi'an", "Northwest China", 6101, 30),
    city("宁波", "Ningbo", "East China", 3302, 30),
    city("青岛", "Qingdao", "East China", 3702, 30),
    city("厦门", "Xiamen", "East China", 3502, 20),
    city("长沙", "Changsha", "Central China", 4301, 20),
    city("郑州", "Zhengzhou", "Central China", 4101, 20),
    city("合肥", "Hefei", "East China", 3401, 20),
    city("济南", "Jinan", "East China", 3701, 20),
    city("无锡", "Wuxi", "East China", 3202, 20),
    city("东莞", "Dongguan", "South China", 4419, 20),
    city("佛山", "Foshan", "South China", 4406, 20),
    city("福州", "Fuzhou", "East China", 3501, 15),
    city("沈阳", "Shenyang", "Northeast China", 2101, 15),
    city("大连", "Dalian", "Northeast China", 2102, 15),
    city("哈尔滨", "Harbin", "Northeast China", 2301, 10),
    city("长春", "Changchun", "Northeast China", 2201, 10),
    city("昆明", "Kunming", "Southwest China", 5301, 10),
    city("贵阳", "Guiyang", "Southwest China", 5201, 8),
    city("南宁", "Nanning", "South China", 4501, 8),
    city("石家庄", "Shijiazhuang", "North China", 1301, 8),
    city("太原", "Taiyuan", "North China", 1401, 8),
    city("南昌", "Nanchang", "East China", 3601, 8),
    city("兰州", "Lanzhou", "Northwest China", 6201, 5),
    city("乌鲁木齐", "Urumqi", "Northwest China", 6501, 5),
    city("呼和浩特", "Hohhot", "North China", 1501, 4),
    city("海口", "Haikou", "South China", 4601, 4),
];

const HK_CITIES: &[City] = &[
    intl("Hong Kong", "Hong Kong Island", 60),
    intl("Kowloon", "Kowloon", 25),
    intl("Kwun Tong", "Kowloon", 8),
    intl("Tsuen Wan", "New Territories", 5),
    intl("Sha Tin", "New Territories", 4),
];

const SG_CITIES: &[City] = &[
    intl("Singapore", "Central Region", 80),
    intl("Singapore", "West Region", 12),
    intl("Singapore", "East Region", 8),
];

const GB_CITIES: &[City] = &[
    intl("London", "London", 80),
    intl("Manchester", "North West England", 20),
    intl("Birmingham", "West Midlands", 20),
    intl("Leeds", "Yorkshire and the Humber", 10),
    intl("Glasgow", "Scotland", 10),
    intl("Edinburgh", "Scotland", 10),
    intl("Bristol", "South West England", 10),
    intl("Liverpool", "North West England", 8),
];

/// German cities are the seats of the register courts; the registration number picks one
/// (see `ids::registration`), so all weights are equal.
pub(crate) const DE_CITIES: &[City] = &[
    intl("München", "Bavaria", 1),
    intl("Hamburg", "Hamburg", 1),
    intl("Berlin", "Berlin", 1),
    intl("Frankfurt am Main", "Hesse", 1),
    intl("Köln", "North Rhine-Westphalia", 1),
    intl("Düsseldorf", "North Rhine-Westphalia", 1),
    intl("Stuttgart", "Baden-Württemberg", 1),
    intl("Hannover", "Lower Saxony", 1),
    intl("Nürnberg", "Bavaria", 1),
    intl("Bremen", "Bremen", 1),
];

const US_CITIES: &[City] = &[
    intl("New York", "New York", 30),
    intl("Los Angeles", "California", 15),
    intl("San Francisco", "California", 12),
    intl("Chicago", "Illinois", 12),
    intl("Houston", "Texas", 10),
    intl("Dallas", "Texas", 8),
    intl("Seattle", "Washington", 8),
    intl("Boston", "Massachusetts", 8),
    intl("Miami", "Florida", 6),
    intl("Atlanta", "Georgia", 6),
];

const JP_CITIES: &[City] = &[
    intl("Tokyo", "Kanto", 60),
    intl("Osaka", "Kansai", 30),
    intl("Yokohama", "Kanto", 15),
    intl("Nagoya", "Chubu", 15),
    intl("Fukuoka", "Kyushu", 8),
    intl("Kobe", "Kansai", 8),
    intl("Sapporo", "Hokkaido", 6),
    intl("Kyoto", "Kansai", 6),
];

const FR_CITIES: &[City] = &[
    intl("Paris", "Île-de-France", 60),
    intl("Lyon", "Auvergne-Rhône-Alpes", 15),
    intl("Marseille", "Provence-Alpes-Côte d'Azur", 10),
    intl("Toulouse", "Occitanie", 8),
    intl("Lille", "Hauts-de-France", 8),
    intl("Bordeaux", "Nouvelle-Aquitaine", 8),
    intl("Nantes", "Pays de la Loire", 6),
    intl("Strasbourg", "Grand Est", 6),
];

const NL_CITIES: &[City] = &[
    intl("Amsterdam", "North Holland", 40),
    intl("Rotterdam", "South Holland", 30),
    intl("The Hague", "South Holland", 10),
    intl("Utrecht", "Utrecht", 10),
    intl("Eindhoven", "North Brabant", 10),
    intl("Groningen", "Groningen", 5),
];

const AU_CITIES: &[City] = &[
    intl("Sydney", "New South Wales", 50),
    intl("Melbourne", "Victoria", 40),
    intl("Brisbane", "Queensland", 20),
    intl("Perth", "Western Australia", 20),
    intl("Adelaide", "South Australia", 10),
];

const KR_CITIES: &[City] = &[
    intl("Seoul", "Seoul Capital Area", 60),
    intl("Busan", "Yeongnam", 15),
    intl("Incheon", "Seoul Capital Area", 10),
    intl("Daegu", "Yeongnam", 8),
    intl("Daejeon", "Chungcheong", 6),
    intl("Gwangju", "Honam", 5),
    intl("Ulsan", "Yeongnam", 6),
];

#[allow(clippy::too_many_arguments)]
const fn country(
    code: &'static str,
    name: &'static str,
    currency: &'static str,
    per_cny: f64,
    lang: Lang,
    weight: u32,
    tld: &'static str,
    cities: &'static [City],
) -> Country {
    let cents = !matches!(lang, Lang::Ja | Lang::Ko);
    Country { code, name, currency, per_cny, cents, lang, weight, tld, cities }
}

/// Every country, mainland China first (index 0).
pub(crate) const COUNTRIES: &[Country] = &[
    country("CN", "China", "CNY", 1.0, Lang::Zh, 700, "com.cn", CN_CITIES),
    country("HK", "Hong Kong", "HKD", 1.09, Lang::En, 60, "com.hk", HK_CITIES),
    country("SG", "Singapore", "SGD", 0.18, Lang::En, 40, "com.sg", SG_CITIES),
    country("GB", "UK", "GBP", 0.105, Lang::En, 40, "co.uk", GB_CITIES),
    country("DE", "Germany", "EUR", 0.125, Lang::De, 35, "de", DE_CITIES),
    country("US", "USA", "USD", 0.14, Lang::En, 40, "com", US_CITIES),
    country("JP", "Japan", "JPY", 21.0, Lang::Ja, 25, "co.jp", JP_CITIES),
    country("FR", "France", "EUR", 0.125, Lang::Fr, 15, "fr", FR_CITIES),
    country("NL", "Netherlands", "EUR", 0.125, Lang::Nl, 15, "nl", NL_CITIES),
    country("AU", "Australia", "AUD", 0.215, Lang::En, 15, "com.au", AU_CITIES),
    country("KR", "Korea", "KRW", 195.0, Lang::Ko, 15, "co.kr", KR_CITIES),
];

pub(crate) fn china() -> &'static Country {
    &COUNTRIES[0]
}

/// Units of `currency` per Chinese yuan at the generator's rates, for the currencies of the
/// countries it generates (`None` for any other).
pub fn units_per_cny(currency: &str) -> Option<f64> {
    COUNTRIES.iter().find(|c| c.currency == currency).map(|c| c.per_cny)
}

/// Where a mainland group most often sets up abroad (weights over `COUNTRIES` indices).
pub(crate) const CN_OUTBOUND: &[(usize, u32)] = &[(1, 40), (2, 15), (5, 10), (4, 10), (3, 10), (6, 5), (9, 5), (8, 5)];

/// Mobile numbering: country calling code, leading digits and how many digits follow them.
#[derive(Debug)]
pub(crate) struct Numbering {
    /// Country calling code without '+'.
    pub calling: &'static str,
    /// Leading digits of subscriber numbers (operator prefixes); empty for the US, whose
    /// leads are an area code from `US_AREAS` and an exchange digit 2-9.
    pub leads: &'static [&'static str],
    /// Digits after the lead.
    pub rest: u32,
    /// Permutation of the whole number space (leads × 10^rest).
    pub perm: Perm,
}

const fn plan(calling: &'static str, leads: &'static [&'static str], rest: u32) -> Numbering {
    let count = if leads.is_empty() { US_AREAS.len() as u64 * 8 } else { leads.len() as u64 };
    Numbering { calling, leads, rest, perm: Perm::new(count * 10u64.pow(rest)) }
}

const CN_MOBILE: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156",
    "157", "158", "159", "166", "170", "173", "175", "176", "177", "178", "180", "181", "182", "183", "184", "185",
    "186", "187", "188", "189", "191", "198", "199",
];

/// US area codes; each is followed by an exchange digit 2-9.
pub(crate) const US_AREAS: &[&str] =
    &["212", "646", "917", "310", "213", "415", "312", "713", "214", "206", "617", "305", "404", "347"];

static PLANS: [Numbering; 11] = [
    plan("86", CN_MOBILE, 8),
    plan("852", &["2", "3", "5", "6", "9"], 7),
    plan("65", &["6", "8", "9"], 7),
    plan("44", &["74", "75", "77", "78", "79"], 8),
    plan("49", &["151", "152", "157", "160", "170", "171", "172", "175", "176", "177", "178", "179"], 8),
    plan("1", &[], 6),
    plan("81", &["70", "80", "90"], 8),
    plan("33", &["6", "7"], 8),
    plan("31", &["6"], 8),
    plan("61", &["4"], 8),
    plan("82", &["10"], 8),
];

/// Numbering plan of a country (same order as `COUNTRIES`).
pub(crate) fn numbering(country: &str) -> &'static Numbering {
    let index = COUNTRIES.iter().position(|c| c.code == country).unwrap_or(COUNTRIES.len() - 1);
    &PLANS[index]
}
