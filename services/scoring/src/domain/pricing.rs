//! Risk-based loan pricing (docs/domain.md §3: better information allows loan pricing that matches
//! the client's risk profile): floor = funding cost + term funding premium + expected-loss
//! rate + capital charge (net of the funding the equity replaces) + operating cost; rate =
//! floor + margin. Each term is recorded with its inputs.

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
    /// Margin over the floor, when it differs from the model's target margin.
    pub margin_rate: Option<Dec>,
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
    let margin_rate = req.margin_rate.map(|l| rate("margin_rate", l));
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
    Ok(LoanTerms {
        amount,
        currency,
        tenor_months: req.tenor_months,
        funding_cost_rate,
        operating_cost_rate,
        lgd,
        margin_rate,
    })
}

/// A computed quote.
#[derive(Clone, Debug, PartialEq)]
pub struct Quote {
    /// Grade used.
    pub grade: String,
    /// All-in annual rate (floor + margin).
    pub rate: Dec,
    /// The rate that covers cost, loss and capital only.
    pub floor: Dec,
    /// The margin over the floor.
    pub margin: Dec,
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
    let (premium, premium_src) = m.term_premium(t.tenor_months)?;
    let tenor = Dec::from_int(i64::from(t.tenor_months));
    let term_premium = s.term(
        "term_funding_premium",
        "term_funding_curve(tenor_months)",
        "ratio",
        vec![
            x("tenor_months", tenor, "request"),
            x("term_funding_premium", premium, format!("{model} term_funding_curve, {premium_src}")),
        ],
        premium,
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
    // The capital share of the loan is funded by equity, not borrowed: it earns the hurdle
    // rate but needs no term funding, so the funding it replaces is credited.
    let capital = s.term(
        "capital_charge_rate",
        "(risk_weight × capital_ratio) × (hurdle_rate − (funding_cost_rate + term_funding_premium))",
        "ratio",
        vec![
            x("risk_weight", grade.risk_weight, grade.risk_weight_source.clone()),
            x("capital_ratio", m.capital_ratio, format!("{model} capital_ratio")),
            x("hurdle_rate", m.hurdle_rate, format!("{model} hurdle_rate")),
            x("funding_cost_rate", funding, from("funding_cost_rate")),
            x("term_funding_premium", term_premium, from("term_funding_premium")),
        ],
        grade.risk_weight.times(m.capital_ratio)?.times(m.hurdle_rate.minus(funding.plus(term_premium)?)?)?,
    );
    let operating = s.term(
        "operating_cost_rate",
        "operating_cost_rate",
        "ratio",
        vec![x("operating_cost_rate", t.operating_cost_rate, "request")],
        t.operating_cost_rate,
    );
    let floor = s.term(
        "floor_rate",
        "funding_cost_rate + term_funding_premium + expected_loss_rate + capital_charge_rate + operating_cost_rate",
        "ratio",
        vec![
            x("funding_cost_rate", funding, from("funding_cost_rate")),
            x("term_funding_premium", term_premium, from("term_funding_premium")),
            x("expected_loss_rate", el, from("expected_loss_rate")),
            x("capital_charge_rate", capital, from("capital_charge_rate")),
            x("operating_cost_rate", operating, from("operating_cost_rate")),
        ],
        funding.plus(term_premium)?.plus(el)?.plus(capital)?.plus(operating)?,
    );
    let (margin_in, margin_src) = match t.margin_rate {
        Some(r) => (r, "request".to_owned()),
        None => (m.target_margin_rate, format!("{model} target_margin_rate")),
    };
    let margin =
        s.term("margin_rate", "margin_rate", "ratio", vec![x("margin_rate", margin_in, margin_src)], margin_in);
    let rate = s.term(
        "rate",
        "floor_rate + margin_rate",
        "ratio",
        vec![x("floor_rate", floor, from("floor_rate")), x("margin_rate", margin, from("margin_rate"))],
        floor.plus(margin)?,
    );
    let annual_interest = s.term(
        "annual_interest",
        "amount × rate",
        "money",
        vec![x("amount", t.amount, "request"), x("rate", rate, from("rate"))],
        t.amount.times(rate)?,
    );
    Ok(Quote { grade: grade.grade.clone(), rate, floor, margin, annual_interest, terms: s.into_components() })
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
            margin_rate: None,
        }
    }

    #[test]
    fn a_bbb_loan_prices_each_term() {
        let model = validate_model(&default_model()).expect("model");
        let q = quote(&model, "BBB", false, &validate(&request()).expect("valid")).expect("quote");
        let term = |name: &str| q.terms.iter().find(|t| t.name == name).map(|t| t.value.clone()).unwrap_or_default();
        // 36 months: premium 0.003 off the curve.
        assert_eq!(term("term_funding_premium"), "0.003000000");
        assert_eq!(term("expected_loss_rate"), "0.001125000");
        // 0.75 × 0.105 × (0.12 − (0.025 + 0.003)): the equity share needs no funding.
        assert_eq!(term("capital_charge_rate"), "0.007245000");
        // 0.025 + 0.003 + 0.001125 + 0.007245 + 0.004, then the 0.005 margin.
        assert_eq!(q.floor.to_string(), "0.040370000");
        assert_eq!(q.margin.to_string(), "0.005000000");
        assert_eq!(q.rate.to_string(), "0.045370000");
        assert_eq!(q.annual_interest.to_string(), "453700.000000000");
        let names: Vec<_> = q.terms.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "credit_grade",
                "funding_cost_rate",
                "term_funding_premium",
                "expected_loss_rate",
                "capital_charge_rate",
                "operating_cost_rate",
                "floor_rate",
                "margin_rate",
                "rate",
                "annual_interest"
            ]
        );
        // A collateralised loan of a worse grade: LGD and margin from the request.
        let mut secured = request();
        secured.lgd = Some(0.2);
        secured.margin_rate = Some(0.0);
        let q = quote(&model, "B", false, &validate(&secured).expect("valid")).expect("quote");
        // 0.025 + 0.003 + 0.03 × 0.2 + 1.5 × 0.105 × 0.092 + 0.004
        assert_eq!(q.rate.to_string(), "0.052490000");
    }

    #[test]
    fn the_tenor_changes_the_quote() {
        let model = validate_model(&default_model()).expect("model");
        let at = |tenor_months: i32| {
            let terms = validate(&QuoteLoanPriceRequest { tenor_months, ..request() }).expect("valid");
            quote(&model, "BBB", false, &terms).expect("quote").rate
        };
        let (short, mid, long, longest) = (at(6), at(48), at(120), at(360));
        assert!(short < mid && mid < long && long < longest, "{short} {mid} {long} {longest}");
        // 48 months: halfway between 36 (0.003) and 60 (0.005) months.
        let terms = validate(&QuoteLoanPriceRequest { tenor_months: 48, ..request() }).expect("valid");
        let q = quote(&model, "BBB", false, &terms).expect("quote");
        let premium = q.terms.iter().find(|t| t.name == "term_funding_premium").expect("premium");
        assert_eq!(premium.value, "0.004000000");
        assert!(premium.inputs[1].source.contains("linear between curve points 36 and 60 months"));
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
