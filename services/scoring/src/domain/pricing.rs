//! Risk-based loan pricing (docs/domain.md §3: better information allows loan pricing that matches
//! the client's risk profile): rate = funding cost + expected-loss rate + capital charge +
//! operating cost, each term recorded with its inputs.

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::scoring::v1::{QuoteLoanPriceRequest, ScoreComponent};

use super::{
    decimal::{Dec, MAX_UNITS, Overflow},
    model::Params,
    sheet::{Sheet, from, x},
};

/// Longest tenor quoted, in months.
const MAX_TENOR: i32 = 360;

/// A validated quote request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoanTerms {
    /// The principal lent.
    pub amount: Dec,
    /// The currency of `amount`.
    pub currency: String,
    pub tenor_months: i32,
    /// Annual funding cost rate.
    pub funding_cost_rate: Dec,
    /// Annual operating cost rate.
    pub operating_cost_rate: Dec,
    /// LGD of this loan, when it differs from the model's default.
    pub lgd: Option<Dec>,
}

/// Validates the request's terms (every problem at once).
pub fn validate(req: &QuoteLoanPriceRequest) -> ApiResult<LoanTerms> {
    let mut v = Violations::default();
    let mut rate = |field: &str, value: f64| {
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            v.add(field, "must be a rate in [0, 1]");
        }
        Dec::from_f64(value).unwrap_or_default()
    };
    let funding_cost_rate = rate("funding_cost_rate", req.funding_cost_rate);
    let operating_cost_rate = rate("operating_cost_rate", req.operating_cost_rate);
    let lgd = req.lgd.map(|l| rate("lgd", l));
    let (amount, currency) = match &req.amount {
        None => {
            v.add("amount", "is required");
            (Dec::ZERO, String::new())
        }
        Some(m) => {
            let amount = Dec::from_money(m).filter(|a| *a > Dec::ZERO && m.units <= MAX_UNITS);
            if amount.is_none() {
                v.add("amount", format!("must be a positive amount of at most {MAX_UNITS} units"));
            }
            if m.currency_code.len() != 3 || !m.currency_code.bytes().all(|b| b.is_ascii_uppercase()) {
                v.add("amount.currency_code", "must be an ISO 4217 code such as CNY");
            }
            (amount.unwrap_or_default(), m.currency_code.clone())
        }
    };
    if !(1..=MAX_TENOR).contains(&req.tenor_months) {
        v.add("tenor_months", format!("must be 1 to {MAX_TENOR}"));
    }
    v.check()?;
    Ok(LoanTerms { amount, currency, tenor_months: req.tenor_months, funding_cost_rate, operating_cost_rate, lgd })
}

/// A computed quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    /// Grade used.
    pub grade: String,
    /// All-in annual rate.
    pub rate: Dec,
    /// One year's interest on the amount.
    pub annual_interest: Dec,
    /// The terms, in computation order.
    pub terms: Vec<ScoreComponent>,
}

/// Prices a loan for a client whose profile grade is `profile_grade`.
pub fn quote(m: &Params, profile_grade: &str, sme: bool, t: &LoanTerms) -> Result<Quote, Overflow> {
    let model = format!("value model v{}", m.version);
    let grade = m.resolve_grade(profile_grade, sme).ok_or(Overflow)?;
    let grade_model = format!("{model} grade {}", grade.grade);
    let mut s = Sheet::new(&t.currency);
    s.push(
        "credit_grade",
        "grade of the client",
        "grade",
        vec![("credit_grade", grade.grade.clone(), grade.grade_source.clone())],
        grade.grade.clone(),
    );
    let funding = s.term(
        "funding_cost_rate",
        "funding_cost_rate",
        "ratio",
        vec![x("funding_cost_rate", t.funding_cost_rate, "request")],
        t.funding_cost_rate,
    );
    let (lgd, lgd_src) = match t.lgd {
        Some(l) => (l, "request".to_owned()),
        None => (m.lgd, format!("{model} default_lgd")),
    };
    let el = s.term(
        "expected_loss_rate",
        "pd × lgd",
        "ratio",
        vec![x("pd", grade.pd, &grade_model), x("lgd", lgd, lgd_src)],
        grade.pd.times(lgd)?,
    );
    let capital = s.term(
        "capital_charge_rate",
        "(risk_weight × capital_ratio) × hurdle_rate",
        "ratio",
        vec![
            x("risk_weight", grade.risk_weight, grade.risk_weight_source.clone()),
            x("capital_ratio", m.capital_ratio, format!("{model} capital_ratio")),
            x("hurdle_rate", m.hurdle_rate, format!("{model} hurdle_rate")),
        ],
        grade.risk_weight.times(m.capital_ratio)?.times(m.hurdle_rate)?,
    );
    let operating = s.term(
        "operating_cost_rate",
        "operating_cost_rate",
        "ratio",
        vec![x("operating_cost_rate", t.operating_cost_rate, "request")],
        t.operating_cost_rate,
    );
    let rate = s.term(
        "rate",
        "funding_cost_rate + expected_loss_rate + capital_charge_rate + operating_cost_rate",
        "ratio",
        vec![
            x("funding_cost_rate", funding, from("funding_cost_rate")),
            x("expected_loss_rate", el, from("expected_loss_rate")),
            x("capital_charge_rate", capital, from("capital_charge_rate")),
            x("operating_cost_rate", operating, from("operating_cost_rate")),
        ],
        funding.plus(el)?.plus(capital)?.plus(operating)?,
    );
    let annual_interest = s.term(
        "annual_interest",
        "amount × rate",
        "money",
        vec![x("amount", t.amount, "request"), x("rate", rate, from("rate"))],
        t.amount.times(rate)?,
    );
    Ok(Quote { grade: grade.grade.clone(), rate, annual_interest, terms: s.into_components() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{default_model, validate as validate_model};
    use crm_proto::google::r#type::Money;

    fn request() -> QuoteLoanPriceRequest {
        QuoteLoanPriceRequest {
            client: "clients/c1".into(),
            amount: Some(Money { currency_code: "CNY".into(), units: 10_000_000, nanos: 0 }),
            tenor_months: 36,
            funding_cost_rate: 0.025,
            operating_cost_rate: 0.004,
            lgd: None,
        }
    }

    #[test]
    fn a_bbb_loan_prices_each_term() {
        let model = validate_model(&default_model()).expect("model");
        let q = quote(&model, "BBB", false, &validate(&request()).expect("valid")).expect("quote");
        // 0.025 + 0.0025 × 0.45 + 0.75 × 0.105 × 0.12 + 0.004 = 0.025 + 0.001125 + 0.00945 + 0.004
        assert_eq!(q.rate.to_string(), "0.039575000");
        assert_eq!(q.annual_interest.to_string(), "395750.000000000");
        let names: Vec<_> = q.terms.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "credit_grade",
                "funding_cost_rate",
                "expected_loss_rate",
                "capital_charge_rate",
                "operating_cost_rate",
                "rate",
                "annual_interest"
            ]
        );
        // A collateralised loan of a worse grade: LGD from the request.
        let mut secured = request();
        secured.lgd = Some(0.2);
        let q = quote(&model, "B", false, &validate(&secured).expect("valid")).expect("quote");
        // 0.025 + 0.03 × 0.2 + 1.5 × 0.105 × 0.12 + 0.004
        assert_eq!(q.rate.to_string(), "0.053900000");
    }

    #[test]
    fn bad_terms_name_their_fields() {
        let mut bad = request();
        bad.amount = Some(Money { currency_code: "cny".into(), units: -1, nanos: 0 });
        bad.tenor_months = 0;
        bad.funding_cost_rate = 2.0;
        let err = validate(&bad).expect_err("invalid");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["funding_cost_rate", "amount", "amount.currency_code", "tenor_months"]);
    }
}
