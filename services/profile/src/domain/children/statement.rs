//! Financial statements: a client's figures for a period, and the ratios derived from them.

use crm_kit::{ApiResult, Violations};
use crm_proto::{
    crm::profile::v1::{FinancialStatement, SourceType},
    google::r#type::Money,
};

use super::amount_ok;
use crate::domain::parse_whole;

/// The amounts of a statement, each with whether it may be negative.
fn amounts(s: &FinancialStatement) -> [(&'static str, Option<&Money>, bool); 10] {
    [
        ("revenue", s.revenue.as_ref(), false),
        ("ebitda", s.ebitda.as_ref(), true),
        ("total_assets", s.total_assets.as_ref(), false),
        ("total_debt", s.total_debt.as_ref(), false),
        ("current_assets", s.current_assets.as_ref(), false),
        ("current_liabilities", s.current_liabilities.as_ref(), false),
        ("interest_expense", s.interest_expense.as_ref(), false),
        ("total_equity", s.total_equity.as_ref(), true),
        ("cash", s.cash.as_ref(), false),
        ("operating_cash_flow", s.operating_cash_flow.as_ref(), true),
    ]
}

/// A financial statement to record: a period, its end, amounts in one currency (all
/// non-negative but EBITDA, equity and operating cash flow).
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
        if !(0..=12).contains(&s.period_months) {
            ok &= refuse(v, format!("{at}.period_months"), "must be 1..12, or 0 to take it from the period label");
        }
        for (field, money, signed) in amounts(&s) {
            ok &= amount_ok(v, at, field, money, signed);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64) -> Option<Money> {
        Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
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
