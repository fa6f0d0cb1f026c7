//! Industry themes: the words a company name uses for its business, name templates of
//! public bodies, and the financial shape of the industry (margins, asset intensity, staff).
//!
//! Word and template lists are indexed by language: 0 Chinese, 1 English, 2 German,
//! 3 French, 4 Dutch. Templates use `{c}` city, `{t}` trade name, `{i}` industry word,
//! `{d}` district and `{n}` a small number; an empty template list means the ordinary
//! company pattern (city, trade name, industry word, legal form).

/// An industry theme.
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

type W = &'static [&'static str];

const NONE: W = &[];

const fn t(words: [W; 5], margin: f64, assets: f64, rpe: f64, site: f64, trade: bool) -> Theme {
    Theme { words, tpl: [NONE; 5], cn_form: None, margin, assets, rpe, site, trade }
}

const fn fi(words: [W; 5], cn_form: &'static str, margin: f64, assets: f64, rpe: f64) -> Theme {
    Theme { words, tpl: [NONE; 5], cn_form: Some(cn_form), margin, assets, rpe, site: 60.0, trade: false }
}

const fn body(words: [W; 5], tpl: [W; 5], margin: f64, assets: f64, rpe: f64, site: f64) -> Theme {
    Theme { words, tpl, cn_form: None, margin, assets, rpe, site, trade: false }
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
pub(crate) const PUB_GENERAL: Theme = body(
    [
        &["财政局", "机关事务管理局", "国有资产监督管理委员会", "公共资源交易中心", "审计局"],
        &["City Council", "Treasury Office", "Municipal Office"],
        &["Stadtverwaltung", "Stadtkämmerei"],
        &["Mairie de", "Métropole de"],
        &["Gemeente"],
    ],
    [
        &["{c}市{i}", "{c}市{d}{i}", "{c}市{i}{u}", "{c}市{d}{i}{u}"],
        &["{c} {i}", "{c} {i} {u}"],
        &["{i} {c}"],
        &["{i} {c}"],
        &["{i} {c}"],
    ],
    0.05,
    3.0,
    500.0,
    200.0,
);
pub(crate) const PUB_SOCIAL: Theme = body(
    [
        &["教育局", "卫生健康委员会", "文化和旅游局", "体育局", "民政局"],
        &["Department of Education", "Health Authority", "Cultural Services"],
        &["Schulamt", "Gesundheitsamt", "Kulturamt"],
        &["Académie de", "Direction de la Culture de"],
        &["GGD", "Onderwijsdienst"],
    ],
    [
        &["{c}市{i}", "{c}市{d}{i}", "{c}市{d}{i}{u}"],
        &["{c} {i}", "{c} {i} {u}"],
        &["{i} {c}"],
        &["{i} {c}"],
        &["{i} {c}"],
    ],
    0.05,
    2.0,
    400.0,
    200.0,
);
pub(crate) const PUB_ECONOMIC: Theme = body(
    [
        &["交通运输局", "住房和城乡建设局", "商务局", "发展和改革委员会", "水务局", "港务管理局"],
        &["Transport Authority", "Port Authority", "Housing Authority", "Development Agency"],
        &["Hafenbehörde", "Wirtschaftsförderung"],
        &["Port de", "Agence de Développement de"],
        &["Havenbedrijf", "Ontwikkelingsbedrijf"],
    ],
    [
        &["{c}市{i}", "{c}市{d}{i}", "{c}市{i}{u}", "{c}市{d}{i}{u}"],
        &["{c} {i}", "{c} {i} {u}"],
        &["{i} {c}"],
        &["{i} {c}"],
        &["{i} {c}"],
    ],
    0.08,
    4.0,
    800.0,
    200.0,
);
pub(crate) const PUB_SECURITY: Theme = body(
    [
        &["社会保险事业管理中心", "医疗保障局", "住房公积金管理中心"],
        &["Social Security Office", "Pension Fund"],
        &["Versorgungswerk", "Rentenkasse"],
        &["Caisse de Retraite de", "URSSAF"],
        &["Pensioenfonds", "Sociale Dienst"],
    ],
    [&["{c}市{i}"], &["{c} {i}"], &["{i} {c}"], &["{i} {c}"], &["{i} {c}"]],
    0.05,
    8.0,
    1000.0,
    200.0,
);
pub(crate) const HOSPITAL: Theme = body(
    [
        &["医疗", "医院管理", "健康产业"],
        &["Healthcare", "Medical Group", "Clinics"],
        &["Kliniken", "Gesundheit"],
        &["Santé", "Cliniques"],
        &["Zorg", "Klinieken"],
    ],
    [
        &["{c}市第{n}人民医院", "{c}市中医医院", "{c}市妇幼保健院", "{c}市{d}人民医院", "{c}市中心医院"],
        &["{c} General Hospital", "{c} University Hospital"],
        &["Klinikum {c}", "Universitätsklinikum {c}"],
        &["Centre Hospitalier de {c}", "CHU de {c}"],
        &["Ziekenhuis {c}", "Medisch Centrum {c}"],
    ],
    0.10,
    1.2,
    500.0,
    600.0,
);
pub(crate) const CARE: Theme = body(
    [
        &["健康管理", "口腔医疗", "养老服务", "康复医疗"],
        &["Care", "Health Services", "Dental"],
        &["Pflege", "Gesundheitsdienste"],
        &["Soins", "Santé"],
        &["Zorg", "Thuiszorg"],
    ],
    [
        &["{c}市{d}社区卫生服务中心", "{c}市第{n}福利院"],
        &["{c} Community Health Centre"],
        &["Gesundheitszentrum {c}"],
        &["Centre de Santé de {c}"],
        &["Zorgcentrum {c}"],
    ],
    0.09,
    1.0,
    350.0,
    80.0,
);
pub(crate) const SCHOOL: Theme = body(
    [
        &["教育科技", "教育", "培训"],
        &["Education", "Learning", "Academy"],
        &["Bildung", "Akademie"],
        &["Éducation", "Formation"],
        &["Onderwijs", "Academie"],
    ],
    [
        &["{c}市第{n}中学", "{c}市{d}实验小学", "{c}市第{n}职业技术学校"],
        &["{c} Grammar School", "{c} College"],
        &["Gymnasium {c}", "Berufsschule {c}"],
        &["Lycée de {c}", "Collège de {c}"],
        &["Lyceum {c}", "ROC {c}"],
    ],
    0.08,
    2.5,
    300.0,
    300.0,
);
pub(crate) const UNIVERSITY: Theme = body(
    [&["教育", "职业培训"], &["Education", "Institute"], &["Akademie"], &["Institut"], &["Instituut"]],
    [
        &["{c}{t}职业技术学院", "{c}理工学院", "{c}{t}学院"],
        &["University of {c}", "{c} Institute of Technology"],
        &["Hochschule {c}", "Universität {c}"],
        &["Université de {c}", "École d'Ingénieurs de {c}"],
        &["Hogeschool {c}", "Universiteit {c}"],
    ],
    0.08,
    3.0,
    400.0,
    1500.0,
);
pub(crate) const ASSOCIATION: Theme = body(
    [&["行业协会", "商会"], &["Association", "Industry Council"], &["Verband"], &["Fédération"], &["Vereniging"]],
    [
        &["{c}市{s}行业协会", "{c}市{d}{s}商会", "{c}市{s}商会", "{c}市{d}{s}协会"],
        &["{c} {s} Association", "{c} {s} Industry Council", "{s} Traders' Association of {c}"],
        &["{s}verband {c}", "Fachverband {s} {c}"],
        &["Fédération {s} de {c}", "Chambre Syndicale {s} de {c}"],
        &["Vereniging {s} {c}", "Branchevereniging {s} {c}"],
    ],
    0.03,
    1.5,
    600.0,
    30.0,
);
pub(crate) const PROFESSION: Theme = body(
    [
        &[
            "注册会计师协会",
            "律师协会",
            "工程师学会",
            "医师协会",
            "药师协会",
            "税务师协会",
            "建筑师学会",
            "资产评估协会",
            "护理学会",
            "房地产估价师协会",
        ],
        &[
            "Law Society",
            "Institute of Accountants",
            "Engineering Institute",
            "Medical Association",
            "Society of Architects",
            "Institute of Surveyors",
            "Bar Association",
            "Nursing Council",
        ],
        &["Rechtsanwaltskammer", "Ingenieurkammer"],
        &["Ordre des Avocats de", "Ordre des Experts-Comptables de"],
        &["Orde van Advocaten", "Beroepsvereniging"],
    ],
    [&["{c}市{i}", "{c}市{d}{i}", "{c}市{d}{i}"], &["{c} {i}"], &["{i} {c}"], &["{i} {c}"], &["{i} {c}"]],
    0.03,
    1.5,
    600.0,
    30.0,
);
pub(crate) const FOUNDATION: Theme = body(
    [
        &["慈善基金会", "公益基金会", "教育基金会"],
        &["Foundation", "Charitable Trust"],
        &["Stiftung"],
        &["Fondation"],
        &["Stichting"],
    ],
    [&["{t}{i}", "{c}市{t}{i}"], &["{t} {i}"], &["{t} {i}"], &["{i} {t}"], &["{i} {t}"]],
    0.02,
    3.0,
    500.0,
    30.0,
);
pub(crate) const SOCIAL: Theme = body(
    [
        &["社会工作服务中心", "养老服务中心", "助残服务中心"],
        &["Community Trust", "Care Trust"],
        &["Sozialwerk", "Diakonie"],
        &["Association d'Entraide", "Solidarité"],
        &["Zorggroep", "Welzijn"],
    ],
    [&["{c}市{t}{i}", "{c}市{d}{i}"], &["{t} {i}"], &["{i} {t}"], &["{i} {t}"], &["{i} {t}"]],
    0.02,
    1.0,
    200.0,
    50.0,
);
