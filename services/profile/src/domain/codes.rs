//! Reference code lists: ISO 3166-1 alpha-2 countries, ISO 4217 currencies, ISIC Rev.4
//! classes and the bank's credit grades.

/// ISO 3166-1 alpha-2 codes (officially assigned).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET \
FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR \
IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN \
MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR \
TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// ISO 4217 active currency codes.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN \
BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF \
GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL \
LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG \
QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS \
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG";

/// Internal credit grades, best first.
pub const CREDIT_GRADES: [&str; 10] = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D"];

/// ISIC Rev.4 divisions (first two digits of a class) that exist.
const ISIC_DIVISIONS: &str = "01 02 03 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 \
30 31 32 33 35 36 37 38 39 41 42 43 45 46 47 49 50 51 52 53 55 56 58 59 60 61 62 63 64 65 66 68 69 70 71 72 73 74 75 \
77 78 79 80 81 82 84 85 86 87 88 90 91 92 93 94 95 96 97 98 99";

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code (upper case).
pub fn is_country(code: &str) -> bool {
    code.len() == 2 && COUNTRIES.split(' ').any(|c| c == code)
}

/// Whether `code` is an active ISO 4217 currency code (upper case).
pub fn is_currency(code: &str) -> bool {
    code.len() == 3 && CURRENCIES.split(' ').any(|c| c == code)
}

/// Whether `code` has the form of an ISIC Rev.4 class: four digits in an existing division.
pub fn is_isic_class(code: &str) -> bool {
    code.len() == 4
        && code.bytes().all(|b| b.is_ascii_digit())
        && ISIC_DIVISIONS.split(' ').any(|d| code.starts_with(d))
}

/// Whether `grade` is one of [`CREDIT_GRADES`].
pub fn is_credit_grade(grade: &str) -> bool {
    CREDIT_GRADES.contains(&grade)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists() {
        assert!(is_country("CN") && is_country("HK") && is_country("GB"));
        assert!(!is_country("UK") && !is_country("cn") && !is_country("CHN"));
        assert!(is_currency("CNY") && is_currency("EUR") && !is_currency("RMB"));
        assert!(is_isic_class("6419") && is_isic_class("0111"));
        assert!(!is_isic_class("641") && !is_isic_class("0411") && !is_isic_class("64a9"));
        assert!(is_credit_grade("BBB") && !is_credit_grade("BBB+"));
    }
}
