//! One currency (docs/domain.md §2): money in rules, spreads, η², substantiality and target
//! markets is compared in a scheme's reporting currency, converted with the scheme's table of
//! exchange rates. A scheme created without a table gets the bank's default ([`default_rates`]).

use std::collections::BTreeMap;

use crm_kit::Violations;
use crm_proto::crm::segmentation::v1::ExchangeRates;

/// Highest accepted rate (units of the reporting currency per unit).
pub const MAX_RATE: f64 = 1_000_000.0;

/// The bank's default table: CNY reporting, the same approximate reference rates as the value
/// model's built-in first version, dated and sourced as a bank setting.
pub fn default_rates() -> ExchangeRates {
    ExchangeRates {
        reporting_currency: crm_kit::fx::REPORTING_CURRENCY.to_owned(),
        rates: crm_kit::fx::REFERENCE_RATES.into_iter().map(|(c, r)| (c.to_owned(), r)).collect(),
        as_of_date: crm_kit::fx::REFERENCE_AS_OF.to_owned(),
        source: "bank setting: approximate year-end 2025 reference rates (CNY per unit)".to_owned(),
    }
}

/// A checked table.
#[derive(Clone, Debug, PartialEq)]
pub struct Fx {
    pub currency: String,
    /// Reporting units per unit of each other currency.
    pub rates: BTreeMap<String, f64>,
    pub as_of_date: String,
    pub source: String,
}

impl Default for Fx {
    fn default() -> Self {
        let d = default_rates();
        Self {
            currency: d.reporting_currency,
            rates: d.rates.into_iter().collect(),
            as_of_date: d.as_of_date,
            source: d.source,
        }
    }
}

fn iso_currency(code: &str) -> bool {
    code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase())
}

fn iso_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
        && (1..=12).contains(&m.parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)))
}

impl Fx {
    /// Checks `table` (field `field`), adding violations to `v`; `None` means the default.
    pub fn check(table: Option<&ExchangeRates>, field: &str, v: &mut Violations) -> Self {
        let Some(t) = table else { return Self::default() };
        if !iso_currency(&t.reporting_currency) {
            v.add(format!("{field}.reporting_currency"), "must be an ISO 4217 currency code");
        }
        for (code, rate) in &t.rates {
            if !iso_currency(code) {
                v.add(format!("{field}.rates[{code}]"), "must be keyed by an ISO 4217 currency code");
            } else if !rate.is_finite() || *rate <= 0.0 || *rate > MAX_RATE {
                v.add(format!("{field}.rates[{code}]"), format!("must be in (0, {MAX_RATE}]"));
            }
        }
        if !iso_date(&t.as_of_date) {
            v.add(format!("{field}.as_of_date"), "must be a date YYYY-MM-DD");
        }
        if t.source.trim().is_empty() || t.source.chars().count() > 200 {
            v.add(format!("{field}.source"), "is required, at most 200 characters");
        }
        Self {
            currency: t.reporting_currency.clone(),
            rates: t.rates.iter().map(|(k, r)| (k.clone(), *r)).collect(),
            as_of_date: t.as_of_date.clone(),
            source: t.source.clone(),
        }
    }

    /// The table as the contract shows it.
    pub fn to_proto(&self) -> ExchangeRates {
        ExchangeRates {
            reporting_currency: self.currency.clone(),
            rates: self.rates.iter().map(|(k, r)| (k.clone(), *r)).collect(),
            as_of_date: self.as_of_date.clone(),
            source: self.source.clone(),
        }
    }

    /// The rate of `currency` into the reporting currency (1 for itself); `None` without one.
    pub fn rate(&self, currency: &str) -> Option<f64> {
        if currency == self.currency { Some(1.0) } else { self.rates.get(currency).copied() }
    }

    /// `units` of `currency` in whole reporting units (rounded half away from zero,
    /// saturating); `None` when the currency is unknown or has no rate.
    pub fn convert(&self, units: i64, currency: &str) -> Option<i64> {
        let rate = self.rate(currency)?;
        let x = (units as f64 * rate).round();
        Some(if x >= i64::MAX as f64 {
            i64::MAX
        } else if x <= i64::MIN as f64 {
            i64::MIN
        } else {
            x as i64
        })
    }

    /// How an amount was converted, e.g. "KRW → CNY at 0.005128 (2025-12-31, bank setting …)".
    pub fn describe(&self, currency: &str) -> String {
        match self.rate(currency) {
            Some(_) if currency == self.currency => self.currency.clone(),
            Some(r) => format!("{currency} → {} at {r} ({}, {})", self.currency, self.as_of_date, self.source),
            None => format!("{currency}: no rate into {}", self.currency),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_into_the_reporting_currency_or_says_it_cannot() {
        let fx = Fx::default();
        assert_eq!(fx.currency, "CNY");
        assert_eq!(fx.convert(10_000_000_000, "KRW"), Some(51_280_000));
        assert_eq!(fx.convert(1_000, "CNY"), Some(1_000));
        assert_eq!(fx.convert(100, "USD"), Some(714));
        assert_eq!(fx.convert(100, "XYZ"), None);
        assert_eq!(fx.convert(100, ""), None);
        assert!(fx.describe("JPY").contains("0.047619") && fx.describe("JPY").contains("2025-12-31"));
    }

    #[test]
    fn a_table_is_checked_field_by_field() {
        let mut v = Violations::default();
        let bad = ExchangeRates {
            reporting_currency: "cny".into(),
            rates: [("USD".to_owned(), 0.0), ("usd".to_owned(), 7.0)].into(),
            as_of_date: "2025-13-01".into(),
            source: String::new(),
        };
        Fx::check(Some(&bad), "scheme.exchange_rates", &mut v);
        let fields: Vec<String> =
            v.check().expect_err("invalid").violations().iter().map(|f| f.field.clone()).collect();
        for f in ["reporting_currency", "rates[USD]", "rates[usd]", "as_of_date", "source"] {
            assert!(fields.contains(&format!("scheme.exchange_rates.{f}")), "{f}: {fields:?}");
        }
        let mut v = Violations::default();
        assert_eq!(Fx::check(None, "x", &mut v), Fx::default());
        assert_eq!(Fx::check(Some(&default_rates()), "x", &mut v), Fx::default());
        assert!(v.check().is_ok());
    }
}
