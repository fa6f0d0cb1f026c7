//! The ratios derived from a financial statement. A missing amount is not zero: a ratio that
//! needs it is absent, with the reason. Flows of an interim period (EBITDA, operating cash
//! flow) are annualised (× 12 / months) where they are set against a stock (debt): leverage,
//! net leverage and cash flow to debt. Flow-to-flow ratios (interest cover, EBITDA margin)
//! need no annualisation.

use std::collections::BTreeMap;

use crm_proto::{
    crm::profile::v1::{FinancialRatios, FinancialStatement, Provenance, SourceType},
    google::r#type::Money,
};

const NANOS: i128 = 1_000_000_000;

/// Months an interim period covers when `period_months` is 0, from its label.
fn months_of_label(period: &str) -> i32 {
    let label = period.to_uppercase();
    if ["H1", "H2"].iter().any(|h| label.contains(h)) {
        6
    } else if ["Q1", "Q2", "Q3", "Q4"].iter().any(|q| label.contains(q)) {
        3
    } else {
        12
    }
}

/// Months the statement's period covers: `period_months` when set, else from the label.
pub fn period_months(s: &FinancialStatement) -> i32 {
    if (1..=12).contains(&s.period_months) { s.period_months } else { months_of_label(&s.period) }
}

fn nanos(m: &Money) -> i128 {
    i128::from(m.units) * NANOS + i128::from(m.nanos)
}

fn value(m: Option<&Money>) -> Option<f64> {
    m.map(|m| nanos(m) as f64 / 1e9)
}

/// `debt − cash` as money, when both are stated.
fn net_debt(s: &FinancialStatement) -> Result<Money, String> {
    let (debt, cash) = match (s.total_debt.as_ref(), s.cash.as_ref()) {
        (Some(debt), Some(cash)) => (debt, cash),
        (debt, _) => return Err(missing(&[("total_debt", debt.is_some()), ("cash", s.cash.is_some())])),
    };
    let net = nanos(debt) - nanos(cash);
    let units = i64::try_from(net / NANOS).map_err(|_| "net debt is out of range".to_owned())?;
    // |net % NANOS| < 1e9, so it fits an i32.
    let nanos = (net % NANOS) as i32;
    Ok(Money { currency_code: debt.currency_code.clone(), units, nanos })
}

fn missing(inputs: &[(&str, bool)]) -> String {
    let names: Vec<String> =
        inputs.iter().filter(|(_, present)| !present).map(|(n, _)| format!("{n} is missing")).collect();
    names.join("; ")
}

/// `numerator / denominator`, or why not: an input is missing, or the denominator is not
/// positive (a zero or negative EBITDA, equity or liability base makes the ratio meaningless).
fn divide(numerator: (&str, Option<f64>), denominator: (&str, Option<f64>)) -> Result<f64, String> {
    let (Some(n), Some(d)) = (numerator.1, denominator.1) else {
        return Err(missing(&[(numerator.0, numerator.1.is_some()), (denominator.0, denominator.1.is_some())]));
    };
    if d > 0.0 {
        Ok(n / d)
    } else if d == 0.0 {
        Err(format!("{} is zero", denominator.0))
    } else {
        Err(format!("{} is negative", denominator.0))
    }
}

/// The ratios the service derives from a statement, each with its reason when absent.
pub fn ratios(s: &FinancialStatement) -> FinancialRatios {
    let months = period_months(s);
    let per_year = 12.0 / f64::from(months);
    let ebitda = value(s.ebitda.as_ref());
    let annual_ebitda = ebitda.map(|e| e * per_year);
    let debt = value(s.total_debt.as_ref());
    let annual_cash_flow = value(s.operating_cash_flow.as_ref()).map(|c| c * per_year);
    let net = net_debt(s);
    let mut absent_reasons = BTreeMap::new();
    let mut keep = |field: &str, result: Result<f64, String>| match result {
        Ok(ratio) => Some(ratio),
        Err(reason) => {
            absent_reasons.insert(field.to_owned(), reason);
            None
        }
    };
    let leverage = keep("leverage", divide(("total_debt", debt), ("ebitda", annual_ebitda)));
    let interest_cover =
        keep("interest_cover", divide(("ebitda", ebitda), ("interest_expense", value(s.interest_expense.as_ref()))));
    let current_ratio = keep(
        "current_ratio",
        divide(
            ("current_assets", value(s.current_assets.as_ref())),
            ("current_liabilities", value(s.current_liabilities.as_ref())),
        ),
    );
    let ebitda_margin = keep("ebitda_margin", divide(("ebitda", ebitda), ("revenue", value(s.revenue.as_ref()))));
    let debt_to_equity =
        keep("debt_to_equity", divide(("total_debt", debt), ("total_equity", value(s.total_equity.as_ref()))));
    let net_leverage = keep(
        "net_leverage",
        net.clone().and_then(|m| divide(("net_debt", value(Some(&m))), ("ebitda", annual_ebitda))),
    );
    let cash_flow_to_debt =
        keep("cash_flow_to_debt", divide(("operating_cash_flow", annual_cash_flow), ("total_debt", debt)));
    let net_debt = match net {
        Ok(money) => Some(money),
        Err(reason) => {
            absent_reasons.insert("net_debt".to_owned(), reason);
            None
        }
    };
    FinancialRatios {
        leverage,
        interest_cover,
        current_ratio,
        ebitda_margin,
        provenance: Some(Provenance {
            source_type: SourceType::Derived as i32,
            source_name: format!("derived from {}", s.name),
            as_of_time: s.period_end_time,
            verified: s.provenance.as_ref().is_some_and(|p| p.verified),
        }),
        debt_to_equity,
        net_debt,
        net_leverage,
        cash_flow_to_debt,
        absent_reasons,
        period_months: months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(units: i64) -> Option<Money> {
        Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
    }

    fn full_year() -> FinancialStatement {
        FinancialStatement {
            period: "FY2025".into(),
            revenue: cny(1_000),
            ebitda: cny(200),
            total_debt: cny(500),
            current_assets: cny(300),
            current_liabilities: cny(150),
            interest_expense: cny(40),
            total_equity: cny(250),
            cash: cny(100),
            operating_cash_flow: cny(150),
            ..Default::default()
        }
    }

    #[test]
    fn ratios_match_hand_computation() {
        let r = ratios(&full_year());
        assert_eq!(r.leverage, Some(2.5));
        assert_eq!(r.interest_cover, Some(5.0));
        assert_eq!(r.current_ratio, Some(2.0));
        assert_eq!(r.ebitda_margin, Some(0.2));
        assert_eq!(r.debt_to_equity, Some(2.0));
        assert_eq!(r.net_debt, cny(400));
        assert_eq!(r.net_leverage, Some(2.0));
        assert_eq!(r.cash_flow_to_debt, Some(0.3));
        assert_eq!(r.period_months, 12);
        assert!(r.absent_reasons.is_empty(), "{:?}", r.absent_reasons);
        let none = ratios(&FinancialStatement { ebitda: cny(-5), ..Default::default() });
        assert_eq!((none.leverage, none.interest_cover, none.current_ratio), (None, None, None));
    }

    #[test]
    fn a_missing_amount_is_not_zero_the_ratio_is_absent_with_its_reason() {
        let s = FinancialStatement { total_debt: None, cash: None, interest_expense: cny(0), ..full_year() };
        let r = ratios(&s);
        assert_eq!(r.leverage, None, "no debt stated is not zero debt");
        assert_eq!(r.absent_reasons["leverage"], "total_debt is missing");
        assert_eq!(r.absent_reasons["net_debt"], "total_debt is missing; cash is missing");
        assert_eq!(r.absent_reasons["net_leverage"], "total_debt is missing; cash is missing");
        assert_eq!(r.absent_reasons["interest_cover"], "interest_expense is zero");
        assert_eq!(r.absent_reasons["debt_to_equity"], "total_debt is missing");
        assert_eq!(r.absent_reasons["cash_flow_to_debt"], "total_debt is missing");
        assert_eq!(r.ebitda_margin, Some(0.2), "what can be computed still is");
        let negative = ratios(&FinancialStatement { total_equity: cny(-10), ..full_year() });
        assert_eq!(negative.absent_reasons["debt_to_equity"], "total_equity is negative");
    }

    #[test]
    fn interim_flows_are_annualised_against_stocks() {
        // A half year: EBITDA 100 and operating cash flow 75 are 200 and 150 a year.
        let half = FinancialStatement {
            period: "2026-H1".into(),
            ebitda: cny(100),
            operating_cash_flow: cny(75),
            interest_expense: cny(20),
            revenue: cny(500),
            ..full_year()
        };
        let r = ratios(&half);
        assert_eq!(r.period_months, 6);
        assert_eq!(r.leverage, Some(2.5));
        assert_eq!(r.net_leverage, Some(2.0));
        assert_eq!(r.cash_flow_to_debt, Some(0.3));
        assert_eq!((r.interest_cover, r.ebitda_margin), (Some(5.0), Some(0.2)), "flow over flow is not annualised");
        let quarter = ratios(&FinancialStatement { period: "2026 Q3".into(), ebitda: cny(50), ..full_year() });
        assert_eq!((quarter.period_months, quarter.leverage), (3, Some(2.5)));
        let stated =
            ratios(&FinancialStatement { period: "9M2026".into(), period_months: 9, ebitda: cny(150), ..full_year() });
        assert_eq!((stated.period_months, stated.leverage), (9, Some(2.5)));
    }

    #[test]
    fn net_debt_is_exact_and_may_be_net_cash() {
        let s = FinancialStatement {
            total_debt: Some(Money { currency_code: "CNY".into(), units: 1, nanos: 250_000_000 }),
            cash: Some(Money { currency_code: "CNY".into(), units: 3, nanos: 0 }),
            ..full_year()
        };
        let net = ratios(&s).net_debt.expect("net debt");
        assert_eq!((net.units, net.nanos), (-1, -750_000_000));
    }
}
