//! The evaluation set of SearchClients by the name people say: real, well-known Chinese and
//! European companies, each with its registered legal name, the name a caller uses for it
//! (a 简称 made of characters of the legal name, a name typed without accents or
//! apostrophes, initials, or a brand or former name the record keeps as an alias), and those
//! aliases with their kind.

use crm_proto::crm::profile::v1::AliasKind::{self, Brand, FormerName};

/// One company: legal name, country, the name a caller says, the aliases on its record.
pub struct Company {
    pub legal: &'static str,
    pub country: &'static str,
    pub spoken: &'static str,
    pub aliases: &'static [(&'static str, AliasKind)],
}

const fn cn(legal: &'static str, spoken: &'static str) -> Company {
    Company { legal, country: "CN", spoken, aliases: &[] }
}

const fn eu(legal: &'static str, country: &'static str, spoken: &'static str) -> Company {
    Company { legal, country, spoken, aliases: &[] }
}

const fn aka(
    legal: &'static str,
    country: &'static str,
    spoken: &'static str,
    aliases: &'static [(&'static str, AliasKind)],
) -> Company {
    Company { legal, country, spoken, aliases }
}

/// 86 companies: 52 Chinese, 34 European.
pub const COMPANIES: [Company; 86] = [
    cn("中国工商银行股份有限公司", "工商银行"),
    cn("中国建设银行股份有限公司", "建行"),
    cn("中国农业银行股份有限公司", "农行"),
    cn("中国银行股份有限公司", "中行"),
    cn("交通银行股份有限公司", "交行"),
    cn("招商银行股份有限公司", "招行"),
    cn("上海浦东发展银行股份有限公司", "浦发银行"),
    cn("中国民生银行股份有限公司", "民生银行"),
    cn("兴业银行股份有限公司", "兴业银行"),
    cn("中信银行股份有限公司", "中信银行"),
    cn("中国光大银行股份有限公司", "光大银行"),
    aka("平安银行股份有限公司", "CN", "深发展", &[("深圳发展银行股份有限公司", FormerName)]),
    cn("中国平安保险(集团)股份有限公司", "中国平安"),
    cn("中国人民保险集团股份有限公司", "人保"),
    cn("中国人寿保险股份有限公司", "国寿"),
    cn("中国石油天然气股份有限公司", "中石油"),
    cn("中国石油化工股份有限公司", "中石化"),
    cn("中国海洋石油集团有限公司", "中海油"),
    cn("国家电网有限公司", "国网"),
    cn("中国移动通信集团有限公司", "中国移动"),
    cn("中国联合网络通信集团有限公司", "中国联通"),
    cn("中国电信集团有限公司", "中国电信"),
    cn("华为技术有限公司", "华为"),
    cn("深圳市腾讯计算机系统有限公司", "腾讯"),
    cn("阿里巴巴(中国)有限公司", "阿里"),
    cn("北京百度网讯科技有限公司", "百度"),
    cn("北京京东世纪贸易有限公司", "京东"),
    aka("北京三快在线科技有限公司", "CN", "美团", &[("美团", Brand)]),
    aka("北京小桔科技有限公司", "CN", "滴滴", &[("滴滴出行", Brand)]),
    cn("北京小米科技有限责任公司", "小米"),
    cn("比亚迪股份有限公司", "比亚迪"),
    cn("宁德时代新能源科技股份有限公司", "宁德时代"),
    cn("贵州茅台酒股份有限公司", "茅台"),
    cn("宜宾五粮液股份有限公司", "五粮液"),
    cn("珠海格力电器股份有限公司", "格力"),
    cn("美的集团股份有限公司", "美的"),
    aka("海尔智家股份有限公司", "CN", "青岛海尔", &[("青岛海尔股份有限公司", FormerName)]),
    cn("联想集团有限公司", "联想"),
    cn("中兴通讯股份有限公司", "中兴"),
    cn("万科企业股份有限公司", "万科"),
    cn("中粮集团有限公司", "中粮"),
    cn("中国国际航空股份有限公司", "国航"),
    cn("中国东方航空股份有限公司", "东航"),
    cn("中国南方航空股份有限公司", "南航"),
    cn("中国远洋海运集团有限公司", "中远海运"),
    cn("上海汽车集团股份有限公司", "上汽"),
    cn("中信证券股份有限公司", "中信证券"),
    cn("海通证券股份有限公司", "海通"),
    cn("内蒙古伊利实业集团股份有限公司", "伊利"),
    cn("内蒙古蒙牛乳业(集团)股份有限公司", "蒙牛"),
    cn("中国中车股份有限公司", "中车"),
    cn("中国建筑股份有限公司", "中建"),
    eu("Société Générale S.A.", "FR", "Societe Generale"),
    eu("L'Oréal S.A.", "FR", "LOreal"),
    eu("Nestlé S.A.", "CH", "Nestle"),
    eu("Crédit Agricole S.A.", "FR", "Credit Agricole"),
    eu("BNP Paribas SA", "FR", "BNP Paribas"),
    eu("Banco Bilbao Vizcaya Argentaria, S.A.", "ES", "BBVA"),
    eu("Banco Santander, S.A.", "ES", "Santander"),
    eu("Telefónica, S.A.", "ES", "Telefonica"),
    aka("Industria de Diseño Textil, S.A.", "ES", "Zara", &[("Inditex", FormerName), ("Zara", Brand)]),
    eu("Deutsche Bank Aktiengesellschaft", "DE", "Deutsche Bank"),
    eu("Siemens Aktiengesellschaft", "DE", "Siemens"),
    eu("Allianz SE", "DE", "Allianz"),
    eu("BASF SE", "DE", "BASF"),
    eu("Bayerische Motoren Werke Aktiengesellschaft", "DE", "BMW"),
    aka("Mercedes-Benz Group AG", "DE", "Daimler", &[("Daimler AG", FormerName)]),
    aka("Münchener Rückversicherungs-Gesellschaft AG", "DE", "Munich Re", &[("Munich Re", Brand)]),
    eu("Deutsche Lufthansa AG", "DE", "Lufthansa"),
    eu("Robert Bosch GmbH", "DE", "Bosch"),
    eu("Volkswagen AG", "DE", "Volkswagen"),
    eu("A.P. Møller - Mærsk A/S", "DK", "Maersk"),
    eu("Novo Nordisk A/S", "DK", "Novo Nordisk"),
    eu("Telefonaktiebolaget LM Ericsson", "SE", "Ericsson"),
    eu("Nokia Oyj", "FI", "Nokia"),
    eu("Equinor ASA", "NO", "Equinor"),
    eu("Koninklijke Philips N.V.", "NL", "Philips"),
    eu("ING Groep N.V.", "NL", "ING"),
    eu("Heineken N.V.", "NL", "Heineken"),
    eu("Assicurazioni Generali S.p.A.", "IT", "Generali"),
    eu("Ferrero S.p.A.", "IT", "Ferrero"),
    eu("Škoda Auto a.s.", "CZ", "Skoda"),
    eu("Hermès International", "FR", "Hermes"),
    eu("Compagnie Générale des Établissements Michelin", "FR", "Michelin"),
    aka("Stellantis N.V.", "NL", "Peugeot", &[("Peugeot S.A.", FormerName)]),
    eu("LVMH Moët Hennessy Louis Vuitton SE", "FR", "LVMH"),
];
