//! Industry themes: the words a company name uses for its business and the financial shape
//! of the industry (margins, asset intensity, staff), for companies and financial
//! institutions; the themes of organisations named from a template are in `bodies`.
//!
//! Word and template lists are indexed by language: 0 Chinese, 1 English, 2 German,
//! 3 French, 4 Dutch.

/// How an industry names its organisations and what its financial statements look like.
#[derive(Debug)]
pub(crate) struct Theme {
    /// Industry words per language.
    pub words: [&'static [&'static str]; 5],
    /// Name templates per language for public bodies and associations (empty: company style).
    pub tpl: [&'static [&'static str]; 5],
    /// Chinese legal form that replaces the size-based one (banks, insurers, ...).
    pub cn_form: Option<&'static str>,
    /// Typical EBITDA margin.
    pub margin: f64,
    /// Total assets per unit of revenue.
    pub assets: f64,
    /// Revenue per employee, thousand CNY.
    pub rpe: f64,
    /// Employees per branch or site.
    pub site: f64,
    /// Whether the industry trades across borders (trade finance and FX affinity).
    pub trade: bool,
}

/// The words or templates of one language.
pub(crate) type W = &'static [&'static str];

const NONE: W = &[];

const fn t(words: [W; 5], margin: f64, assets: f64, rpe: f64, site: f64, trade: bool) -> Theme {
    Theme { words, tpl: [NONE; 5], cn_form: None, margin, assets, rpe, site, trade }
}

const fn fi(words: [W; 5], cn_form: &'static str, margin: f64, assets: f64, rpe: f64) -> Theme {
    Theme { words, tpl: [NONE; 5], cn_form: Some(cn_form), margin, assets, rpe, site: 60.0, trade: false }
}

pub(crate) const AGRI: Theme = t(
    [&["农业", "农牧", "种业", "生态农业"], &["Agriculture", "Farms", "Agri"], &["Agrar"], &["Agricole"], &["Agro"]],
    0.10,
    1.1,
    500.0,
    150.0,
    false,
);
pub(crate) const ENERGY: Theme = t(
    [
        &["能源", "石油", "天然气", "煤业"],
        &["Energy", "Petroleum", "Resources"],
        &["Energie", "Rohstoffe"],
        &["Énergie"],
        &["Energie"],
    ],
    0.18,
    1.8,
    3000.0,
    400.0,
    true,
);
pub(crate) const MINING: Theme = t(
    [&["矿业", "资源", "矿产"], &["Mining", "Minerals", "Resources"], &["Bergbau"], &["Mines"], &["Mijnbouw"]],
    0.22,
    1.6,
    1500.0,
    400.0,
    true,
);
pub(crate) const FOOD: Theme = t(
    [
        &["食品", "乳业", "粮油", "饮品"],
        &["Foods", "Dairy", "Beverages"],
        &["Lebensmittel", "Nahrungsmittel"],
        &["Alimentaire"],
        &["Voeding"],
    ],
    0.10,
    0.8,
    1200.0,
    200.0,
    false,
);
pub(crate) const TEXTILES: Theme = t(
    [
        &["纺织", "服饰", "制衣", "鞋业"],
        &["Textiles", "Apparel", "Fashion"],
        &["Textil", "Mode"],
        &["Textile", "Mode"],
        &["Textiel"],
    ],
    0.08,
    0.7,
    500.0,
    300.0,
    true,
);
pub(crate) const INDUSTRIAL: Theme = t(
    [
        &["实业", "塑胶", "建材", "纸业", "家具", "包装"],
        &["Industries", "Plastics", "Packaging", "Furniture"],
        &["Werke", "Kunststoff", "Verpackung"],
        &["Industrie", "Plasturgie"],
        &["Industrie", "Verpakking"],
    ],
    0.10,
    0.9,
    900.0,
    200.0,
    false,
);
pub(crate) const CHEM: Theme = t(
    [&["化工", "新材料", "化学"], &["Chemicals", "Materials"], &["Chemie"], &["Chimie"], &["Chemie"]],
    0.14,
    1.1,
    2500.0,
    300.0,
    true,
);
pub(crate) const PHARMA: Theme = t(
    [
        &["制药", "生物医药", "医疗器械"],
        &["Pharmaceuticals", "Biotech", "Medical"],
        &["Pharma", "Medizintechnik"],
        &["Pharma", "Biotech"],
        &["Farma"],
    ],
    0.20,
    1.4,
    1500.0,
    300.0,
    true,
);
pub(crate) const METALS: Theme = t(
    [
        &["钢铁", "金属制品", "有色金属", "精工"],
        &["Steel", "Metals", "Metalworks"],
        &["Stahl", "Metallbau"],
        &["Métallurgie", "Aciers"],
        &["Staal", "Metaal"],
    ],
    0.09,
    1.0,
    2000.0,
    300.0,
    true,
);
pub(crate) const ELECTRONICS: Theme = t(
    [
        &["电子科技", "光电", "半导体", "智能科技", "电气"],
        &["Electronics", "Semiconductor", "Technologies", "Electric"],
        &["Elektronik", "Elektrotechnik"],
        &["Électronique"],
        &["Elektronica"],
    ],
    0.11,
    0.9,
    1200.0,
    400.0,
    true,
);
pub(crate) const MACHINERY: Theme = t(
    [
        &["精密机械", "机械制造", "重工", "装备制造", "机电"],
        &["Precision", "Machinery", "Engineering", "Heavy Industries"],
        &["Maschinenbau", "Anlagenbau", "Präzisionstechnik"],
        &["Mécanique", "Industries"],
        &["Machinebouw", "Techniek"],
    ],
    0.11,
    1.0,
    1000.0,
    300.0,
    true,
);
pub(crate) const AUTO: Theme = t(
    [
        &["汽车零部件", "汽车", "车桥"],
        &["Automotive", "Auto Parts"],
        &["Fahrzeugtechnik", "Automobil"],
        &["Automobile", "Équipements Auto"],
        &["Automotive"],
    ],
    0.09,
    0.9,
    1500.0,
    500.0,
    true,
);
pub(crate) const UTIL: Theme = t(
    [
        &["电力", "水务", "燃气", "热力", "环保"],
        &["Power", "Water", "Utilities", "Gas"],
        &["Energieversorgung", "Wasserwerke"],
        &["Énergie", "Eaux"],
        &["Energie", "Water"],
    ],
    0.28,
    3.0,
    2500.0,
    150.0,
    false,
);
pub(crate) const CONSTR: Theme = t(
    [
        &["建设工程", "建筑", "建工", "路桥", "安装工程"],
        &["Construction", "Builders", "Infrastructure"],
        &["Bau", "Hochbau", "Tiefbau"],
        &["Construction", "BTP"],
        &["Bouw", "Aannemers"],
    ],
    0.07,
    1.1,
    1000.0,
    300.0,
    false,
);
pub(crate) const TRADING: Theme = t(
    [
        &["贸易", "商贸", "进出口", "国际贸易", "供应链"],
        &["Trading", "Supply", "Distribution", "Import & Export"],
        &["Handel", "Großhandel"],
        &["Négoce", "Distribution"],
        &["Handel", "Groothandel"],
    ],
    0.04,
    0.5,
    5000.0,
    40.0,
    true,
);
pub(crate) const RETAIL: Theme = t(
    [
        &["商业", "百货", "零售", "超市"],
        &["Retail", "Stores"],
        &["Warenhaus", "Einzelhandel"],
        &["Commerce", "Magasins"],
        &["Winkels", "Retail"],
    ],
    0.06,
    0.6,
    800.0,
    30.0,
    false,
);
pub(crate) const LOGISTICS: Theme = t(
    [
        &["物流", "运输", "供应链管理", "快运"],
        &["Logistics", "Freight", "Transport"],
        &["Logistik", "Spedition"],
        &["Logistique", "Transports"],
        &["Logistiek", "Transport"],
    ],
    0.10,
    0.9,
    800.0,
    60.0,
    true,
);
pub(crate) const SHIPPING: Theme = t(
    [
        &["航运", "海运", "港务"],
        &["Shipping", "Marine"],
        &["Reederei", "Schifffahrt"],
        &["Maritime"],
        &["Scheepvaart", "Rederij"],
    ],
    0.18,
    2.0,
    2500.0,
    100.0,
    true,
);
pub(crate) const AVIATION: Theme = t(
    [&["航空", "航空货运"], &["Airlines", "Aviation", "Air Cargo"], &["Luftfahrt"], &["Aviation"], &["Luchtvaart"]],
    0.15,
    1.5,
    1800.0,
    200.0,
    true,
);
pub(crate) const HOSPITALITY: Theme = t(
    [
        &["酒店", "餐饮", "酒店管理"],
        &["Hotels", "Hospitality", "Dining"],
        &["Hotels", "Gastronomie"],
        &["Hôtellerie", "Restauration"],
        &["Hotels", "Horeca"],
    ],
    0.15,
    1.5,
    300.0,
    50.0,
    false,
);
pub(crate) const SOFTWARE: Theme = t(
    [
        &["软件", "信息技术", "网络科技", "数据科技"],
        &["Software", "Digital", "Systems", "Data"],
        &["Software", "Informatik"],
        &["Informatique", "Numérique"],
        &["Software", "ICT"],
    ],
    0.18,
    1.0,
    800.0,
    150.0,
    false,
);
pub(crate) const TELECOM: Theme = t(
    [&["通信", "电信"], &["Telecom", "Communications"], &["Telekom", "Kommunikation"], &["Télécom"], &["Telecom"]],
    0.35,
    2.5,
    3000.0,
    100.0,
    false,
);
pub(crate) const MEDIA: Theme = t(
    [
        &["文化传媒", "出版", "影视", "广告"],
        &["Media", "Publishing", "Pictures"],
        &["Medien", "Verlag"],
        &["Médias", "Éditions"],
        &["Media", "Uitgeverij"],
    ],
    0.15,
    1.2,
    1000.0,
    100.0,
    false,
);
pub(crate) const BANK: Theme = fi(
    [&["农村商业银行", "村镇银行"], &["Bank"], &["Bank"], &["Banque"], &["Bank"]],
    "股份有限公司",
    0.40,
    20.0,
    5000.0,
);
pub(crate) const HOLDING: Theme = Theme {
    cn_form: None,
    ..fi(
        [
            &["控股", "投资控股", "实业投资"],
            &["Holdings", "Capital", "Investments"],
            &["Beteiligungen", "Holding"],
            &["Participations", "Holding"],
            &["Holding", "Participaties"],
        ],
        "",
        0.25,
        4.0,
        5000.0,
    )
};
pub(crate) const TRUST: Theme =
    fi([&["信托"], &["Trust"], &["Treuhand"], &["Fiducie"], &["Trust"]], "有限责任公司", 0.50, 5.0, 8000.0);
pub(crate) const LEASING: Theme = fi(
    [&["融资租赁", "金融租赁"], &["Leasing", "Asset Finance"], &["Leasing"], &["Crédit-Bail"], &["Lease"]],
    "有限公司",
    0.70,
    8.0,
    10000.0,
);
pub(crate) const LENDING: Theme = fi(
    [
        &["小额贷款", "商业保理", "融资担保"],
        &["Finance", "Credit"],
        &["Finanz", "Kredit"],
        &["Financement", "Crédit"],
        &["Financiering", "Krediet"],
    ],
    "有限公司",
    0.50,
    4.0,
    3000.0,
);
pub(crate) const ASSET: Theme = fi(
    [
        &["资产管理", "金融服务", "投资管理"],
        &["Asset Management", "Capital", "Financial Services"],
        &["Kapitalverwaltung", "Invest"],
        &["Gestion", "Capital"],
        &["Vermogensbeheer", "Capital"],
    ],
    "有限公司",
    0.35,
    3.0,
    5000.0,
);
pub(crate) const LIFE: Theme = fi(
    [
        &["人寿保险"],
        &["Life Assurance", "Life"],
        &["Lebensversicherung"],
        &["Assurances Vie"],
        &["Levensverzekeringen"],
    ],
    "股份有限公司",
    0.12,
    5.0,
    3000.0,
);
pub(crate) const NONLIFE: Theme = fi(
    [&["财产保险"], &["Insurance", "General Insurance"], &["Versicherung"], &["Assurances"], &["Verzekeringen"]],
    "股份有限公司",
    0.10,
    2.0,
    3000.0,
);
pub(crate) const REINSURANCE: Theme = fi(
    [&["再保险"], &["Reinsurance", "Re"], &["Rückversicherung"], &["Réassurance"], &["Herverzekering"]],
    "股份有限公司",
    0.10,
    3.0,
    10000.0,
);
pub(crate) const SECURITIES: Theme = fi(
    [&["证券"], &["Securities", "Brokerage"], &["Wertpapierhandel"], &["Bourse"], &["Effecten"]],
    "股份有限公司",
    0.35,
    6.0,
    4000.0,
);
pub(crate) const BROKER: Theme = fi(
    [&["保险经纪", "保险代理"], &["Insurance Brokers"], &["Versicherungsmakler"], &["Courtage"], &["Assurantiën"]],
    "有限公司",
    0.15,
    1.0,
    1000.0,
);
pub(crate) const FUNDS: Theme = fi(
    [&["基金管理"], &["Fund Management", "Investors"], &["Fondsverwaltung"], &["Gestion d'Actifs"], &["Fondsbeheer"]],
    "有限公司",
    0.40,
    2.0,
    5000.0,
);
pub(crate) const PROPERTY: Theme = t(
    [
        &["置业", "房地产开发", "地产"],
        &["Properties", "Estates", "Land"],
        &["Immobilien", "Grundbesitz"],
        &["Immobilier"],
        &["Vastgoed"],
    ],
    0.25,
    4.0,
    5000.0,
    100.0,
    false,
);
pub(crate) const PROPMGMT: Theme = t(
    [
        &["物业管理", "物业服务"],
        &["Property Management", "Facilities"],
        &["Hausverwaltung", "Facility Management"],
        &["Gestion Immobilière"],
        &["Vastgoedbeheer"],
    ],
    0.10,
    0.8,
    200.0,
    80.0,
    false,
);
pub(crate) const CONSULT: Theme = t(
    [
        &["咨询", "管理咨询", "工程设计", "检测技术"],
        &["Consulting", "Advisory", "Partners", "Engineering Services"],
        &["Beratung", "Ingenieure"],
        &["Conseil", "Ingénierie"],
        &["Advies", "Ingenieurs"],
    ],
    0.15,
    0.8,
    600.0,
    80.0,
    false,
);
pub(crate) const SERVICES: Theme = t(
    [
        &["企业服务", "人力资源", "租赁服务"],
        &["Services", "Solutions", "Staffing"],
        &["Dienstleistungen", "Personal"],
        &["Services"],
        &["Diensten"],
    ],
    0.08,
    0.7,
    300.0,
    100.0,
    false,
);
