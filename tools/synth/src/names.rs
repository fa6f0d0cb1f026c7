//! The words around a trade name: legal forms, English adjectives, sector words of
//! associations, and the districts and sub-units in public bodies' names.

/// Legal forms by size band (0 SME, 1 mid-market, 2 large) for a country.
pub(crate) fn legal_forms(country: &str, band: usize) -> &'static [&'static str] {
    let table: [&'static [&'static str]; 3] = match country {
        "CN" => [
            &["有限公司", "有限公司", "有限公司", "有限公司", "有限公司", "有限责任公司"],
            &["有限公司", "股份有限公司"],
            &["股份有限公司", "集团有限公司", "有限公司"],
        ],
        "GB" => [&["Ltd", "Limited"], &["Limited", "Ltd"], &["PLC", "Group PLC", "Holdings Limited"]],
        "US" => [&["LLC", "Inc."], &["Inc.", "Corporation"], &["Corporation", "Holdings, Inc.", "Inc."]],
        "AU" => [&["Pty Ltd"], &["Pty Ltd", "Limited"], &["Limited", "Group Limited"]],
        "SG" => [&["Pte. Ltd."], &["Pte. Ltd."], &["Limited", "Holdings Limited", "Pte. Ltd."]],
        "HK" => [&["Limited", "Company Limited"], &["Limited", "Company Limited"], &["Holdings Limited", "Limited"]],
        "DE" => [&["GmbH"], &["GmbH", "GmbH & Co. KG"], &["AG", "SE", "GmbH"]],
        "FR" => [&["SARL", "SAS"], &["SAS", "SA"], &["SA", "SE"]],
        "NL" => [&["B.V."], &["B.V."], &["N.V.", "B.V.", "Holding B.V."]],
        "JP" => [&["Co., Ltd."], &["Co., Ltd.", "K.K."], &["Corporation", "K.K.", "Holdings, Inc."]],
        "KR" => [&["Co., Ltd."], &["Co., Ltd."], &["Co., Ltd.", "Corporation", "Holdings Co., Ltd."]],
        // Latin names of foreign-invested companies in mainland China.
        _ => [&["Co., Ltd."], &["Co., Ltd."], &["Co., Ltd."]],
    };
    table[band.min(2)]
}

/// Words between a trade name and the industry in English names ("Harbour Pacific Logistics").
pub(crate) const EN_ADJECTIVES: &[&str] = &[
    "Global",
    "Asia",
    "Pacific",
    "International",
    "United",
    "First",
    "Prime",
    "Allied",
    "General",
    "National",
    "Modern",
    "Premier",
    "Royal",
    "Golden",
    "New",
    "Advanced",
    "Integrated",
    "Continental",
    "Eastern",
    "Western",
];

/// Industry sectors in association names, per language (Chinese, English, German, French, Dutch).
pub(crate) const SECTORS: [&[&str]; 5] = [
    &[
        "机械工业",
        "电子商务",
        "物流与采购",
        "软件",
        "建筑业",
        "纺织",
        "餐饮",
        "进出口",
        "汽车流通",
        "家具",
        "印刷",
        "珠宝",
        "旅游",
        "化工",
        "五金",
    ],
    &[
        "Logistics",
        "Electronics",
        "Textile",
        "Food",
        "Software",
        "Construction",
        "Chemical",
        "Shipping",
        "Retail",
        "Metals",
        "Furniture",
        "Tourism",
        "Jewellery",
        "Printing",
        "Plastics",
    ],
    &[
        "Logistik",
        "Elektronik",
        "Textil",
        "Lebensmittel",
        "Software",
        "Bau",
        "Chemie",
        "Schifffahrt",
        "Handels",
        "Metall",
        "Möbel",
        "Tourismus",
        "Schmuck",
        "Druck",
        "Kunststoff",
    ],
    &[
        "Logistique",
        "Électronique",
        "Textile",
        "Agroalimentaire",
        "Logiciel",
        "Bâtiment",
        "Chimie",
        "Maritime",
        "Commerce",
        "Métallurgie",
        "Ameublement",
        "Tourisme",
        "Joaillerie",
        "Imprimerie",
        "Plasturgie",
    ],
    &[
        "Logistiek",
        "Elektronica",
        "Textiel",
        "Voeding",
        "Software",
        "Bouw",
        "Chemie",
        "Scheepvaart",
        "Handel",
        "Metaal",
        "Meubel",
        "Toerisme",
        "Sieraden",
        "Drukkerij",
        "Kunststof",
    ],
];

/// Sub-units of public bodies (Chinese, English).
pub(crate) const UNITS: [&[&str]; 2] = [
    &["信息中心", "机关服务中心", "综合行政执法大队", "事务中心", "办公室", "财务结算中心"],
    &["Finance Department", "Procurement Office", "Estates Division", "IT Services", "Treasury"],
];

/// Generic district names used in Chinese public bodies' names.
pub(crate) const CN_DISTRICTS: &[&str] =
    &["高新区", "经济技术开发区", "城东区", "城西区", "新区", "南城区", "北城区", "滨江区", "临港新区", "江北区"];
