//! Financial statements: a client's figures for a period, and the ratios derived from them.

use crm_kit::{ApiResult, Violations};
use crm_proto::{
    crm::profile::v1::{FinancialRatios, FinancialStatement, Provenance, SourceType},
    google::r#type::Money,
};

use super::amount_ok;
use crate::domain::parse_whole;

fn amounts(s: &FinancialStatement) -> [(&'static str, Option<&Money>); 7] {
    [
        ("revenue", s.revenue.as_ref()),
        ("ebitda", s.ebitda.as_ref()),
        ("total_assets", s.total_assets.as_ref()),
        ("total_debt", s.total_debt.as_ref()),
        ("current_assets", s.current_assets.as_ref()),
        ("current_liabilities", s.current_liabilities.as_ref()),
        ("interest_expense", s.interest_expense.as_ref()),
    ]
}

/// A financial statement to record: a period, its end, amounts in one currency (all
/// non-negative but EBITDA).
#[derive(Clone, Debug, PartialEq)]
pub struct NewStatement(FinancialStatement);

impl NewStatement {
    /// The statement of a create request (violations at `financial_statement.*`).
    pub fn parse(statement: FinancialStatement) -> ApiResult<Self> {
        parse_whole("financial_statement", statement, Self::parse_at)
    }

    /// Parses `s`, recording violations at `{at}.*`.
    pub fn parse_at(v: &mut Violations, at: &str, mut s: FinancialStatement) -> Option<Self> {
        s.period = s.period.trim().to_owned();
        let mut ok = true;
        let refuse = |v: &mut Violations, field: String, description: &str| {
            v.add(field, description);
            false
        };
        if s.period.is_empty() || s.period.chars().count() > 16 {
            ok &= refuse(v, format!("{at}.period"), "is required, at most 16 characters (e.g. FY2025)");
        }
        if s.period_end_time.is_none() {
            ok &= refuse(v, format!("{at}.period_end_time"), "is required");
        }
        let mut currency: Option<&str> = None;
        for (field, money) in amounts(&s) {
            ok &= amount_ok(v, at, field, money, field == "ebitda");
            if let Some(m) = money {
                match currency {
                    None => currency = Some(&m.currency_code),
                    Some(c) if c != m.currency_code => {
                        ok &= refuse(v, format!("{at}.{field}.currency_code"), "all amounts must share one currency");
                    }
                    Some(_) => {}
                }
            }
        }
        if let Some(p) = &s.provenance
            && SourceType::try_from(p.source_type).is_err()
        {
            ok &= refuse(v, format!("{at}.provenance.source_type"), "is not a known source type");
        }
        ok.then(|| Self(FinancialStatement { name: String::new(), ratios: None, create_time: None, ..s }))
    }

    /// The period (e.g. FY2025): one statement per client and period.
    pub fn period(&self) -> &str {
        &self.0.period
    }

    /// The record to store (the store names it and derives its ratios).
    pub fn into_statement(self) -> FinancialStatement {
        self.0
    }
}

fn amount(m: Option<&Money>) -> f64 {
    m.map_or(0.0, |m| m.units as f64 + f64::from(m.nanos) / 1e9)
}

fn ratio(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// The operating ratios the service derives from a statement.
pub fn ratios(s: &FinancialStatement) -> FinancialRatios {
    let ebitda = amount(s.ebitda.as_ref());
    FinancialRatios {
        leverage: ratio(amount(s.total_debt.as_ref()), ebitda),
        interest_cover: ratio(ebitda, amount(s.interest_expense.as_ref())),
        current_ratio: ratio(amount(s.current_assets.as_ref()), amount(s.current_liabilities.as_ref())),
        ebitda_margin: ratio(ebitda, amount(s.revenue.as_ref())),
        provenance: Some(Provenance {
            source_type: SourceType::Derived as i32,
            source_name: format!("derived from {}", s.name),
            as_of_time: s.period_end_time,
            verified: s.provenance.as_ref().is_some_and(|p| p.verified),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64) -> Option<Money> {
        Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
    }

    #[test]
    fn ratios_match_hand_computation() {
        let s = FinancialStatement {
            revenue: cny(1_000),
            ebitda: cny(200),
            total_debt: cny(500),
            current_assets: cny(300),
            current_liabilities: cny(150),
            interest_expense: cny(40),
            ..Default::default()
        };
        let r = ratios(&s);
        assert_eq!(r.leverage, Some(2.5));
        assert_eq!(r.interest_cover, Some(5.0));
        assert_eq!(r.current_ratio, Some(2.0));
        assert_eq!(r.ebitda_margin, Some(0.2));
        let none = ratios(&FinancialStatement { ebitda: cny(-5), ..Default::default() });
        assert_eq!((none.leverage, none.interest_cover, none.current_ratio), (None, None, None));
    }

    #[test]
    fn statement_amounts_share_one_currency() {
        let s = FinancialStatement {
            period: "FY2025".into(),
            period_end_time: Some(prost_types::Timestamp::default()),
            revenue: cny(1),
            ebitda: Some(Money { currency_code: "USD".into(), units: 1, nanos: 0 }),
            ..Default::default()
        };
        let err = NewStatement::parse(s).expect_err("mixed currency");
        assert_eq!(err.violations()[0].field, "financial_statement.ebitda.currency_code");
    }
}
