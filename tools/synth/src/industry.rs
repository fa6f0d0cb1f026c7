//! ISIC Rev.4 classes of the portfolio, weighted like a commercial bank's corporate book.

use crate::bodies::*;
use crate::themes::*;

/// What kind of organisation a class holds; drives customer type and naming.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An ordinary company; customer type follows turnover.
    Corporate,
    /// Banks, insurers, lenders, asset managers (ISIC 64-66).
    Financial,
    /// Public administration (ISIC 84).
    Public,
    /// Membership organisations and charities (ISIC 94, 8810).
    NonProfit,
    /// Hospitals, clinics, care; public or private.
    Health,
    /// Schools and universities; public or private.
    Education,
}

/// One ISIC Rev.4 class.
#[derive(Debug)]
pub(crate) struct IsicClass {
    /// Four-digit class code.
    pub code: &'static str,
    /// Relative weight in the portfolio (per 10,000 clients).
    pub weight: u32,
    /// Naming and financial shape.
    pub theme: &'static Theme,
    pub kind: Kind,
}

const fn c(code: &'static str, weight: u32, theme: &'static Theme) -> IsicClass {
    IsicClass { code, weight, theme, kind: Kind::Corporate }
}

const fn k(code: &'static str, weight: u32, theme: &'static Theme, kind: Kind) -> IsicClass {
    IsicClass { code, weight, theme, kind }
}

use Kind::{Education as Edu, Financial as Fin, Health, NonProfit as Npo, Public as Pub};

/// Every class the generator uses; weights sum to 10,000.
pub(crate) static CLASSES: &[IsicClass] = &[
    // Agriculture (2.5%).
    c("0111", 60, &AGRI),
    c("0113", 50, &AGRI),
    c("0122", 20, &AGRI),
    c("0141", 25, &AGRI),
    c("0145", 35, &AGRI),
    c("0146", 30, &AGRI),
    c("0161", 30, &AGRI),
    // Mining and quarrying (1.5%).
    c("0510", 30, &ENERGY),
    c("0610", 10, &ENERGY),
    c("0620", 10, &ENERGY),
    c("0710", 20, &MINING),
    c("0729", 25, &MINING),
    c("0810", 30, &MINING),
    c("0910", 15, &ENERGY),
    c("0990", 10, &MINING),
    // Manufacturing (26%).
    c("1010", 50, &FOOD),
    c("1050", 40, &FOOD),
    c("1061", 30, &FOOD),
    c("1079", 80, &FOOD),
    c("1104", 30, &FOOD),
    c("1312", 40, &TEXTILES),
    c("1410", 110, &TEXTILES),
    c("1520", 40, &TEXTILES),
    c("1610", 20, &INDUSTRIAL),
    c("1701", 30, &INDUSTRIAL),
    c("1811", 30, &INDUSTRIAL),
    c("1920", 20, &ENERGY),
    c("2011", 50, &CHEM),
    c("2012", 20, &CHEM),
    c("2013", 30, &CHEM),
    c("2023", 30, &CHEM),
    c("2100", 70, &PHARMA),
    c("2220", 130, &INDUSTRIAL),
    c("2310", 25, &INDUSTRIAL),
    c("2394", 35, &INDUSTRIAL),
    c("2410", 60, &METALS),
    c("2420", 30, &METALS),
    c("2511", 90, &METALS),
    c("2592", 60, &METALS),
    c("2610", 170, &ELECTRONICS),
    c("2620", 80, &ELECTRONICS),
    c("2630", 100, &ELECTRONICS),
    c("2640", 60, &ELECTRONICS),
    c("2651", 50, &ELECTRONICS),
    c("2710", 80, &ELECTRONICS),
    c("2720", 70, &ELECTRONICS),
    c("2750", 60, &ELECTRONICS),
    c("2811", 30, &MACHINERY),
    c("2819", 100, &MACHINERY),
    c("2822", 70, &MACHINERY),
    c("2824", 40, &MACHINERY),
    c("2829", 130, &MACHINERY),
    c("2910", 40, &AUTO),
    c("2930", 190, &AUTO),
    c("3011", 20, &MACHINERY),
    c("3030", 10, &MACHINERY),
    c("3100", 80, &INDUSTRIAL),
    c("3250", 40, &PHARMA),
    c("3312", 30, &MACHINERY),
    // Utilities (2%).
    c("3510", 90, &UTIL),
    c("3520", 30, &UTIL),
    c("3530", 15, &UTIL),
    c("3600", 35, &UTIL),
    c("3700", 10, &UTIL),
    c("3821", 20, &UTIL),
    // Construction (9%).
    c("4100", 330, &CONSTR),
    c("4210", 150, &CONSTR),
    c("4220", 100, &CONSTR),
    c("4290", 80, &CONSTR),
    c("4321", 80, &CONSTR),
    c("4322", 60, &CONSTR),
    c("4330", 60, &CONSTR),
    c("4390", 40, &CONSTR),
    // Wholesale and retail trade (22%).
    c("4510", 60, &TRADING),
    c("4530", 40, &TRADING),
    c("4610", 60, &TRADING),
    c("4620", 60, &TRADING),
    c("4630", 140, &TRADING),
    c("4641", 120, &TRADING),
    c("4649", 150, &TRADING),
    c("4651", 120, &TRADING),
    c("4652", 140, &TRADING),
    c("4653", 30, &TRADING),
    c("4659", 220, &TRADING),
    c("4661", 90, &TRADING),
    c("4662", 130, &TRADING),
    c("4663", 130, &TRADING),
    c("4669", 80, &TRADING),
    c("4690", 200, &TRADING),
    c("4711", 120, &RETAIL),
    c("4719", 50, &RETAIL),
    c("4741", 60, &RETAIL),
    c("4771", 80, &RETAIL),
    c("4772", 60, &RETAIL),
    c("4791", 60, &RETAIL),
    // Transport and storage (7%).
    c("4911", 5, &LOGISTICS),
    c("4912", 15, &LOGISTICS),
    c("4923", 200, &LOGISTICS),
    c("5012", 60, &SHIPPING),
    c("5022", 30, &SHIPPING),
    c("5110", 10, &AVIATION),
    c("5120", 10, &AVIATION),
    c("5210", 120, &LOGISTICS),
    c("5221", 30, &LOGISTICS),
    c("5222", 30, &SHIPPING),
    c("5224", 40, &SHIPPING),
    c("5229", 120, &LOGISTICS),
    c("5320", 30, &LOGISTICS),
    // Accommodation and food service (2%).
    c("5510", 90, &HOSPITALITY),
    c("5610", 110, &HOSPITALITY),
    // Information and communication (7%).
    c("5811", 20, &MEDIA),
    c("5820", 90, &SOFTWARE),
    c("5911", 25, &MEDIA),
    c("6010", 5, &MEDIA),
    c("6110", 20, &TELECOM),
    c("6120", 20, &TELECOM),
    c("6201", 260, &SOFTWARE),
    c("6202", 120, &SOFTWARE),
    c("6209", 60, &SOFTWARE),
    c("6311", 60, &SOFTWARE),
    c("6312", 20, &SOFTWARE),
    // Financial and insurance activities (3%).
    k("6419", 60, &BANK, Fin),
    k("6420", 30, &HOLDING, Fin),
    k("6430", 10, &TRUST, Fin),
    k("6491", 40, &LEASING, Fin),
    k("6492", 50, &LENDING, Fin),
    k("6499", 15, &ASSET, Fin),
    k("6511", 15, &LIFE, Fin),
    k("6512", 15, &NONLIFE, Fin),
    k("6520", 5, &REINSURANCE, Fin),
    k("6612", 20, &SECURITIES, Fin),
    k("6619", 10, &ASSET, Fin),
    k("6622", 10, &BROKER, Fin),
    k("6630", 20, &FUNDS, Fin),
    // Real estate (5%).
    c("6810", 330, &PROPERTY),
    c("6820", 170, &PROPMGMT),
    // Professional, scientific, administrative and support services (6%).
    c("6910", 40, &CONSULT),
    c("6920", 40, &CONSULT),
    c("7010", 60, &HOLDING),
    c("7020", 120, &CONSULT),
    c("7110", 100, &CONSULT),
    c("7120", 40, &CONSULT),
    c("7210", 30, &CONSULT),
    c("7310", 50, &MEDIA),
    c("7710", 20, &SERVICES),
    c("7810", 40, &SERVICES),
    c("8110", 30, &SERVICES),
    c("8299", 30, &SERVICES),
    // Public administration (1.5%).
    k("8411", 70, &PUB_GENERAL, Pub),
    k("8412", 30, &PUB_SOCIAL, Pub),
    k("8413", 40, &PUB_ECONOMIC, Pub),
    k("8430", 10, &PUB_SECURITY, Pub),
    // Education (1.5%).
    k("8510", 20, &SCHOOL, Edu),
    k("8521", 30, &SCHOOL, Edu),
    k("8522", 30, &SCHOOL, Edu),
    k("8530", 40, &UNIVERSITY, Edu),
    k("8549", 30, &SCHOOL, Edu),
    // Human health and social work (2.5%).
    k("8610", 120, &HOSPITAL, Health),
    k("8620", 40, &CARE, Health),
    k("8690", 40, &CARE, Health),
    k("8710", 30, &CARE, Health),
    k("8810", 20, &SOCIAL, Npo),
    // Membership organisations (1.5%).
    k("9411", 60, &ASSOCIATION, Npo),
    k("9412", 15, &PROFESSION, Npo),
    k("9499", 75, &FOUNDATION, Npo),
];

/// Classes a group sets up subsidiaries in beside its own (trading arms, logistics, property,
/// finance companies, IT and service centres).
pub(crate) const GROUP_SUPPORT: &[&str] =
    &["4690", "4659", "4610", "5210", "5229", "6810", "6820", "6420", "6492", "6491", "7020", "6201", "4100", "4662"];

/// Classes a financial group sets up subsidiaries in.
pub(crate) const FINANCIAL_SUPPORT: &[&str] = &["6491", "6630", "6612", "6499", "6419", "6622"];

/// The class with `code`, if the table has it.
pub(crate) fn by_code(code: &str) -> Option<&'static IsicClass> {
    CLASSES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_ten_thousand_and_codes_are_unique_classes() {
        assert_eq!(CLASSES.iter().map(|c| c.weight).sum::<u32>(), 10_000);
        let mut codes: Vec<_> = CLASSES.iter().map(|c| c.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CLASSES.len());
        assert!(CLASSES.iter().all(|c| c.code.len() == 4 && c.code.bytes().all(|b| b.is_ascii_digit())));
        for code in GROUP_SUPPORT.iter().chain(FINANCIAL_SUPPORT) {
            assert!(by_code(code).is_some(), "{code}");
        }
        for c in CLASSES {
            let fin = matches!(&c.code[..2], "64" | "65" | "66");
            assert_eq!(fin, c.kind == Kind::Financial, "{}", c.code);
            assert_eq!(c.code.starts_with("84"), c.kind == Kind::Public, "{}", c.code);
        }
    }
}
