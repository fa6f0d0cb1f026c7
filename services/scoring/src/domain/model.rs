//! The value model: its built-in first version, validation of a new version, and the
//! exact parameters a score is computed with.

use std::collections::BTreeMap;

use crm_kit::{ApiResult, Violations};
use crm_proto::{
    crm::scoring::v1::{
        GradeParameters, RelationshipWeights, ScoreWeights, TermPremium, Tier, TierThresholds, ValueModel,
    },
    google::r#type::Money,
};

use super::decimal::{Dec, MAX_UNITS};

/// Largest risk weight accepted (1250 %, the regulatory maximum).
const MAX_RISK_WEIGHT: f64 = 12.5;
/// Largest portfolio-overlap factor accepted.
const MAX_OVERLAP: f64 = 10.0;
/// Largest exchange rate accepted.
const MAX_EXCHANGE_RATE: f64 = 1_000_000.0;

/// The first version, created on first start: typical one-year PDs per internal grade; risk
/// weights of the Basel standardised approach for rated corporates (CRE20), 100 % unrated and
/// 85 % unrated SME (Basel and China's 2023 capital rules alike); 45 % LGD; a 10.5 % capital
/// ratio (8 % minimum + 2.5 % conservation buffer); 12 % hurdle rate. docs/domain.md §3.
pub fn default_model() -> ValueModel {
    let grade = |grade: &str, pd: f64, risk_weight: f64| GradeParameters { grade: grade.into(), pd, risk_weight };
    ValueModel {
        description: "built-in first version".into(),
        currency_code: "CNY".into(),
        grades: vec![
            grade("AAA", 0.0003, 0.20),
            grade("AA", 0.0005, 0.20),
            grade("A", 0.001, 0.50),
            grade("BBB", 0.0025, 0.75),
            grade("BB", 0.01, 1.00),
            grade("B", 0.03, 1.50),
            grade("CCC", 0.10, 1.50),
            grade("CC", 0.20, 1.50),
            grade("C", 0.35, 1.50),
            grade("D", 1.00, 1.50),
        ],
        unrated_grade: "B".into(),
        default_lgd: 0.45,
        capital_ratio: 0.105,
        hurdle_rate: 0.12,
        relationship_weights: Some(RelationshipWeights { group: 0.10, referral: 0.50, growth: 0.50 }),
        portfolio_overlap_factor: 0.25,
        score_weights: Some(ScoreWeights { raroc: 0.35, eva: 0.35, relationship: 0.15, access: 0.15 }),
        value_scale: Some(Money { currency_code: "CNY".into(), units: 1_000_000, nanos: 0 }),
        tier_thresholds: Some(TierThresholds { key_account: 70.0, grow: 55.0, maintain: 40.0 }),
        unrated_risk_weight: Some(1.0),
        unrated_sme_risk_weight: Some(0.85),
        below_hurdle_tier: Tier::ReviewForExit as i32,
        // A bank's treasury sets its own curve; these are typical upward-sloping premiums.
        term_funding_curve: [(12, 0.0), (36, 0.003), (60, 0.005), (120, 0.008), (360, 0.012)]
            .into_iter()
            .map(|(tenor_months, premium)| TermPremium { tenor_months, premium })
            .collect(),
        target_margin_rate: 0.005,
        // The bank's reference rates (CNY per unit); update them with UpdateValueModel.
        exchange_rates: crm_kit::fx::REFERENCE_RATES.into_iter().map(|(code, rate)| (code.to_owned(), rate)).collect(),
        ..Default::default()
    }
}

/// Parameters of one grade, exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grade {
    /// Label, e.g. "BBB".
    pub grade: String,
    /// Probability of default.
    pub pd: Dec,
    pub risk_weight: Dec,
}

/// A validated model version with every rate as an exact decimal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub version: i64,
    /// Reporting currency.
    pub currency: String,
    /// Grades, best first.
    pub grades: Vec<Grade>,
    /// Grade of unrated clients.
    pub unrated_grade: String,
    /// Loss given default.
    pub lgd: Dec,
    pub capital_ratio: Dec,
    pub hurdle_rate: Dec,
    /// Weight of the other group members' risk-adjusted income.
    pub group_weight: Dec,
    /// Weight of referred income.
    pub referral_weight: Dec,
    /// Weight of revenue growth.
    pub growth_weight: Dec,
    /// Discount per key account already giving the same industry × region access.
    pub overlap_factor: Dec,
    /// Weight of the RAROC part of the composite score.
    pub raroc_weight: Dec,
    /// Weight of the EVA part.
    pub eva_weight: Dec,
    /// Weight of the relationship part.
    pub relationship_weight: Dec,
    /// Weight of the market-access part (the marginal factor).
    pub access_weight: Dec,
    /// The amount that scales EVA and relationship value into the composite's 0..1 parts.
    pub value_scale: Dec,
    /// Units of the model currency per unit of another currency.
    pub exchange_rates: BTreeMap<String, Dec>,
    /// Lowest score of KEY_ACCOUNT.
    pub key_account: Dec,
    /// Lowest score of GROW.
    pub grow: Dec,
    /// Lowest score of MAINTAIN.
    pub maintain: Dec,
    /// Risk weight of an unrated client (`None`: the unrated grade's).
    pub unrated_risk_weight: Option<Dec>,
    /// Risk weight of an unrated SME (`None`: `unrated_risk_weight`).
    pub unrated_sme_risk_weight: Option<Dec>,
    /// Best tier of a client below the hurdle (EVA + relationship value < 0).
    pub below_hurdle_tier: Tier,
    /// Term funding premium per tenor in months, tenors ascending.
    pub term_funding_curve: Vec<(i32, Dec)>,
    /// Margin a loan quote adds over its floor.
    pub target_margin_rate: Dec,
}

/// The PD and risk weight a client is scored with, and where each came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The grade used (the unrated grade for an unrated client).
    pub grade: String,
    pub pd: Dec,
    pub risk_weight: Dec,
    /// Source of the grade (and of the PD: the model's row of that grade).
    pub grade_source: String,
    /// Source of the risk weight.
    pub risk_weight_source: String,
}

impl Params {
    /// The parameters of `grade`.
    pub fn grade(&self, grade: &str) -> Option<&Grade> {
        self.grades.iter().find(|g| g.grade == grade)
    }

    /// Whether profitability in `currency` is accepted (the model's or one with a rate).
    pub fn accepts(&self, currency: &str) -> bool {
        currency == self.currency || self.exchange_rates.contains_key(currency)
    }

    /// The PD and risk weight for a client whose profile says `profile_grade` (`sme`: its
    /// customer type is SME): its grade's, or for an unrated client (no grade the model
    /// knows) the unrated grade's PD and the unrated risk weight.
    pub fn resolve_grade(&self, profile_grade: &str, sme: bool) -> Option<Resolved> {
        let model = format!("value model v{}", self.version);
        if let Some(g) = self.grade(profile_grade.trim()) {
            return Some(Resolved {
                grade: g.grade.clone(),
                pd: g.pd,
                risk_weight: g.risk_weight,
                grade_source: "profile credit_grade".to_owned(),
                risk_weight_source: format!("{model} grade {}", g.grade),
            });
        }
        let why = if profile_grade.trim().is_empty() { "unrated" } else { "grade unknown to the model" };
        let unrated = self.grade(&self.unrated_grade)?;
        let (risk_weight, risk_weight_source) = match (sme, self.unrated_sme_risk_weight, self.unrated_risk_weight) {
            (true, Some(w), _) => (w, format!("{model} unrated_sme_risk_weight")),
            (_, _, Some(w)) => (w, format!("{model} unrated_risk_weight")),
            _ => (unrated.risk_weight, format!("{model} grade {}", unrated.grade)),
        };
        Some(Resolved {
            grade: unrated.grade.clone(),
            pd: unrated.pd,
            risk_weight,
            grade_source: format!("{model} unrated_grade ({why}: {profile_grade:?})"),
            risk_weight_source,
        })
    }
}

impl Params {
    /// The term funding premium at `tenor_months`: linear between the curve's points, flat
    /// beyond its ends, zero without a curve. Also says how it was read off the curve.
    pub fn term_premium(&self, tenor_months: i32) -> Result<(Dec, String), super::decimal::Overflow> {
        let curve = &self.term_funding_curve;
        let (Some(first), Some(last)) = (curve.first(), curve.last()) else {
            return Ok((Dec::ZERO, "no term funding curve".to_owned()));
        };
        if tenor_months <= first.0 {
            return Ok((first.1, format!("curve point {} months", first.0)));
        }
        if tenor_months >= last.0 {
            return Ok((last.1, format!("curve point {} months", last.0)));
        }
        let upper = curve.iter().position(|(t, _)| *t >= tenor_months).unwrap_or(curve.len() - 1);
        let ((t0, p0), (t1, p1)) = (curve[upper - 1], curve[upper]);
        if t1 == tenor_months {
            return Ok((p1, format!("curve point {t1} months")));
        }
        let share = Dec::from_int(i64::from(tenor_months - t0)).over(Dec::from_int(i64::from(t1 - t0)))?;
        let premium = p0.plus(p1.minus(p0)?.times(share)?)?;
        Ok((premium, format!("linear between curve points {t0} and {t1} months")))
    }
}

/// Collects violations while reading rates under `value_model.`.
struct Reader {
    v: Violations,
}

impl Reader {
    fn rate(&mut self, field: &str, x: f64, lo: f64, hi: f64, lo_open: bool) -> Dec {
        let ok = x.is_finite() && x <= hi && if lo_open { x > lo } else { x >= lo };
        if !ok {
            let range = if lo_open { format!("({lo}, {hi}]") } else { format!("[{lo}, {hi}]") };
            self.v.add(format!("value_model.{field}"), format!("must be in {range}"));
        }
        Dec::from_f64(x).unwrap_or_default()
    }

    fn required<'a, T>(&mut self, field: &str, value: Option<&'a T>) -> Option<&'a T> {
        if value.is_none() {
            self.v.add(format!("value_model.{field}"), "is required");
        }
        value
    }
}

/// Validates a complete model version and converts it (every problem reported at once).
pub fn validate(model: &ValueModel) -> ApiResult<Params> {
    let mut r = Reader { v: Violations::default() };
    let currency = model.currency_code.trim();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        r.v.add("value_model.currency_code", "must be an ISO 4217 code such as CNY");
    }
    if model.grades.is_empty() {
        r.v.add("value_model.grades", "at least one grade is required");
    }
    let mut grades: Vec<Grade> = Vec::with_capacity(model.grades.len());
    for (i, g) in model.grades.iter().enumerate() {
        let label = g.grade.trim();
        if label.is_empty()
            || label.len() > 8
            || !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-')
        {
            r.v.add(format!("value_model.grades[{i}].grade"), "must be 1 to 8 letters, digits, + or -");
        } else if grades.iter().any(|other| other.grade == label) {
            r.v.add(format!("value_model.grades[{i}].grade"), format!("grade {label} is listed twice"));
        }
        let pd = r.rate(&format!("grades[{i}].pd"), g.pd, 0.0, 1.0, false);
        if let Some(prev) = grades.last()
            && pd < prev.pd
        {
            r.v.add(
                format!("value_model.grades[{i}].pd"),
                format!(
                    "PDs must not decrease from the best grade to the worst: {} is below {} of {}",
                    g.pd, prev.pd, prev.grade
                ),
            );
        }
        let risk_weight = r.rate(&format!("grades[{i}].risk_weight"), g.risk_weight, 0.0, MAX_RISK_WEIGHT, false);
        grades.push(Grade { grade: label.to_owned(), pd, risk_weight });
    }
    let unrated = model.unrated_grade.trim();
    if !grades.iter().any(|g| g.grade == unrated) {
        r.v.add("value_model.unrated_grade", "must be one of the model's grades");
    }
    let lgd = r.rate("default_lgd", model.default_lgd, 0.0, 1.0, false);
    let capital_ratio = r.rate("capital_ratio", model.capital_ratio, 0.0, 1.0, true);
    let hurdle_rate = r.rate("hurdle_rate", model.hurdle_rate, 0.0, 1.0, true);
    let overlap_factor = r.rate("portfolio_overlap_factor", model.portfolio_overlap_factor, 0.0, MAX_OVERLAP, false);
    let rel = r.required("relationship_weights", model.relationship_weights.as_ref()).cloned().unwrap_or_default();
    let group_weight = r.rate("relationship_weights.group", rel.group, 0.0, 1.0, false);
    let referral_weight = r.rate("relationship_weights.referral", rel.referral, 0.0, 1.0, false);
    let growth_weight = r.rate("relationship_weights.growth", rel.growth, 0.0, 1.0, false);
    let sw = r.required("score_weights", model.score_weights.as_ref()).cloned().unwrap_or_default();
    let raroc_weight = r.rate("score_weights.raroc", sw.raroc, 0.0, 1.0, false);
    let eva_weight = r.rate("score_weights.eva", sw.eva, 0.0, 1.0, false);
    let relationship_weight = r.rate("score_weights.relationship", sw.relationship, 0.0, 1.0, false);
    let access_weight = r.rate("score_weights.access", sw.access, 0.0, 1.0, false);
    let sum =
        raroc_weight.plus(eva_weight).and_then(|s| s.plus(relationship_weight)).and_then(|s| s.plus(access_weight));
    if model.score_weights.is_some() && raroc_weight == Dec::ONE {
        r.v.add("value_model.score_weights.raroc", "must be below 1: a client without capital has no RAROC");
    }
    if model.score_weights.is_some() && sum != Ok(Dec::ONE) {
        r.v.add("value_model.score_weights", "raroc + eva + relationship + access must sum to 1");
    }
    let value_scale = match r.required("value_scale", model.value_scale.as_ref()) {
        None => Dec::ZERO,
        Some(m) => {
            let amount = Dec::from_money(m).filter(|_| m.units.abs() <= MAX_UNITS);
            if m.currency_code != currency {
                r.v.add("value_model.value_scale.currency_code", "must be the model's currency_code");
            }
            match amount {
                Some(a) if a > Dec::ZERO => a,
                _ => {
                    r.v.add("value_model.value_scale", "must be a positive amount");
                    Dec::ZERO
                }
            }
        }
    };
    let mut exchange_rates = BTreeMap::new();
    for (code, rate) in &model.exchange_rates {
        let field = format!("exchange_rates[{code}]");
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) || code == currency {
            r.v.add(format!("value_model.{field}"), "must be keyed by an ISO 4217 code other than currency_code");
        }
        exchange_rates.insert(code.clone(), r.rate(&field, *rate, 0.0, MAX_EXCHANGE_RATE, true));
    }
    let t = r.required("tier_thresholds", model.tier_thresholds.as_ref()).cloned().unwrap_or_default();
    let key_account = r.rate("tier_thresholds.key_account", t.key_account, 0.0, 100.0, false);
    let grow = r.rate("tier_thresholds.grow", t.grow, 0.0, 100.0, false);
    let maintain = r.rate("tier_thresholds.maintain", t.maintain, 0.0, 100.0, false);
    if model.tier_thresholds.is_some() && !(maintain <= grow && grow <= key_account) {
        r.v.add("value_model.tier_thresholds", "must satisfy maintain <= grow <= key_account");
    }
    if model.description.chars().count() > 1000 {
        r.v.add("value_model.description", "must be at most 1000 characters");
    }
    let mut optional_weight = |field: &str, w: Option<f64>| w.map(|w| r.rate(field, w, 0.0, MAX_RISK_WEIGHT, false));
    let unrated_risk_weight = optional_weight("unrated_risk_weight", model.unrated_risk_weight);
    let unrated_sme_risk_weight = optional_weight("unrated_sme_risk_weight", model.unrated_sme_risk_weight);
    let below_hurdle_tier = match Tier::try_from(model.below_hurdle_tier) {
        Ok(Tier::Unspecified) => Tier::ReviewForExit,
        Ok(t) => t,
        Err(_) => {
            r.v.add("value_model.below_hurdle_tier", "is not a known tier");
            Tier::ReviewForExit
        }
    };
    let mut term_funding_curve: Vec<(i32, Dec)> = Vec::with_capacity(model.term_funding_curve.len());
    for (i, point) in model.term_funding_curve.iter().enumerate() {
        if !(1..=360).contains(&point.tenor_months)
            || term_funding_curve.last().is_some_and(|(t, _)| *t >= point.tenor_months)
        {
            r.v.add(
                format!("value_model.term_funding_curve[{i}].tenor_months"),
                "must be 1 to 360 and above the previous point's",
            );
        }
        let premium = r.rate(&format!("term_funding_curve[{i}].premium"), point.premium, 0.0, 1.0, false);
        term_funding_curve.push((point.tenor_months, premium));
    }
    let target_margin_rate = r.rate("target_margin_rate", model.target_margin_rate, 0.0, 1.0, false);
    r.v.check()?;
    Ok(Params {
        version: model.version,
        currency: currency.to_owned(),
        grades,
        unrated_grade: unrated.to_owned(),
        lgd,
        capital_ratio,
        hurdle_rate,
        group_weight,
        referral_weight,
        growth_weight,
        overlap_factor,
        raroc_weight,
        eva_weight,
        relationship_weight,
        access_weight,
        value_scale,
        exchange_rates,
        key_account,
        grow,
        maintain,
        unrated_risk_weight,
        unrated_sme_risk_weight,
        below_hurdle_tier,
        term_funding_curve,
        target_margin_rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(model: &ValueModel) -> Vec<String> {
        let err = validate(model).expect_err("invalid");
        err.violations().iter().map(|v| v.field.clone()).collect()
    }

    #[test]
    fn the_default_model_is_valid_and_exact() {
        let params = validate(&default_model()).expect("valid");
        assert_eq!(params.grades.len(), 10);
        assert_eq!(params.grade("BBB").map(|g| g.pd.to_string()), Some("0.002500000".into()));
        assert_eq!(params.lgd.to_string(), "0.450000000");
        assert_eq!(params.value_scale, Dec::from_int(1_000_000));
    }

    #[test]
    fn non_monotone_pds_name_the_offending_grade() {
        let mut model = default_model();
        model.grades[4].pd = 0.001; // BB below BBB
        assert_eq!(fields(&model), ["value_model.grades[4].pd"]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut model = default_model();
        model.grades[0].pd = 1.5;
        model.default_lgd = -0.1;
        model.hurdle_rate = 0.0;
        model.unrated_grade = "Z".into();
        model.score_weights = Some(ScoreWeights { raroc: 0.5, eva: 0.5, relationship: 0.5, access: 0.0 });
        model.tier_thresholds = Some(TierThresholds { key_account: 40.0, grow: 50.0, maintain: 25.0 });
        let got = fields(&model);
        for want in [
            "value_model.grades[0].pd",
            "value_model.default_lgd",
            "value_model.hurdle_rate",
            "value_model.unrated_grade",
            "value_model.score_weights",
            "value_model.tier_thresholds",
        ] {
            assert!(got.iter().any(|f| f == want), "{want} missing from {got:?}");
        }
    }
}
