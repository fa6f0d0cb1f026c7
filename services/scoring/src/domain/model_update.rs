//! Updating the value model: applying an update mask to the current version, and writing
//! back the exact rates a version will be computed with.

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::scoring::v1::{RelationshipWeights, ScoreWeights, TierThresholds, ValueModel};

use super::{decimal::Dec, model::Params};

/// Top-level fields UpdateValueModel may name in its mask.
pub const UPDATABLE: [&str; 18] = [
    "description",
    "currency_code",
    "grades",
    "unrated_grade",
    "default_lgd",
    "capital_ratio",
    "hurdle_rate",
    "relationship_weights",
    "portfolio_overlap_factor",
    "score_weights",
    "value_scale",
    "tier_thresholds",
    "exchange_rates",
    "unrated_risk_weight",
    "unrated_sme_risk_weight",
    "below_hurdle_tier",
    "term_funding_curve",
    "target_margin_rate",
];

/// Copies the masked top-level fields of `changes` onto `current` (empty or `*`: all).
pub fn apply_mask(current: &ValueModel, changes: &ValueModel, paths: &[String]) -> ApiResult<ValueModel> {
    let all = paths.is_empty() || paths.iter().any(|p| p == "*");
    let mut v = Violations::default();
    for (i, path) in paths.iter().enumerate() {
        if path != "*" && !UPDATABLE.contains(&path.as_str()) {
            v.add(
                format!("update_mask.paths[{i}]"),
                format!("{path} cannot be updated; use one of {}", UPDATABLE.join(", ")),
            );
        }
    }
    v.check()?;
    let on = |field: &str| all || paths.iter().any(|p| p == field);
    let mut next = current.clone();
    if on("description") {
        next.description.clone_from(&changes.description);
    }
    if on("currency_code") {
        next.currency_code.clone_from(&changes.currency_code);
    }
    if on("grades") {
        next.grades.clone_from(&changes.grades);
    }
    if on("unrated_grade") {
        next.unrated_grade.clone_from(&changes.unrated_grade);
    }
    if on("default_lgd") {
        next.default_lgd = changes.default_lgd;
    }
    if on("capital_ratio") {
        next.capital_ratio = changes.capital_ratio;
    }
    if on("hurdle_rate") {
        next.hurdle_rate = changes.hurdle_rate;
    }
    if on("relationship_weights") {
        next.relationship_weights.clone_from(&changes.relationship_weights);
    }
    if on("portfolio_overlap_factor") {
        next.portfolio_overlap_factor = changes.portfolio_overlap_factor;
    }
    if on("score_weights") {
        next.score_weights.clone_from(&changes.score_weights);
    }
    if on("value_scale") {
        next.value_scale.clone_from(&changes.value_scale);
    }
    if on("tier_thresholds") {
        next.tier_thresholds.clone_from(&changes.tier_thresholds);
    }
    if on("exchange_rates") {
        next.exchange_rates.clone_from(&changes.exchange_rates);
    }
    if on("unrated_risk_weight") {
        next.unrated_risk_weight = changes.unrated_risk_weight;
    }
    if on("unrated_sme_risk_weight") {
        next.unrated_sme_risk_weight = changes.unrated_sme_risk_weight;
    }
    if on("below_hurdle_tier") {
        next.below_hurdle_tier = changes.below_hurdle_tier;
    }
    if on("term_funding_curve") {
        next.term_funding_curve.clone_from(&changes.term_funding_curve);
    }
    if on("target_margin_rate") {
        next.target_margin_rate = changes.target_margin_rate;
    }
    Ok(next)
}

/// Rewrites every rate as its exact (nine-digit) value, so the stored model shows what is used.
pub fn normalize(model: &mut ValueModel, params: &Params) {
    model.currency_code.clone_from(&params.currency);
    model.unrated_grade.clone_from(&params.unrated_grade);
    for (g, p) in model.grades.iter_mut().zip(&params.grades) {
        g.grade.clone_from(&p.grade);
        g.pd = p.pd.to_f64();
        g.risk_weight = p.risk_weight.to_f64();
    }
    model.default_lgd = params.lgd.to_f64();
    model.capital_ratio = params.capital_ratio.to_f64();
    model.hurdle_rate = params.hurdle_rate.to_f64();
    model.portfolio_overlap_factor = params.overlap_factor.to_f64();
    model.relationship_weights = Some(RelationshipWeights {
        group: params.group_weight.to_f64(),
        referral: params.referral_weight.to_f64(),
        growth: params.growth_weight.to_f64(),
    });
    model.score_weights = Some(ScoreWeights {
        raroc: params.raroc_weight.to_f64(),
        eva: params.eva_weight.to_f64(),
        relationship: params.relationship_weight.to_f64(),
        access: params.access_weight.to_f64(),
    });
    model.exchange_rates = params.exchange_rates.iter().map(|(code, rate)| (code.clone(), rate.to_f64())).collect();
    model.unrated_risk_weight = params.unrated_risk_weight.map(Dec::to_f64);
    model.unrated_sme_risk_weight = params.unrated_sme_risk_weight.map(Dec::to_f64);
    model.below_hurdle_tier = params.below_hurdle_tier as i32;
    for (point, (_, premium)) in model.term_funding_curve.iter_mut().zip(&params.term_funding_curve) {
        point.premium = premium.to_f64();
    }
    model.target_margin_rate = params.target_margin_rate.to_f64();
    model.tier_thresholds = Some(TierThresholds {
        key_account: params.key_account.to_f64(),
        grow: params.grow.to_f64(),
        maintain: params.maintain.to_f64(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::default_model;

    #[test]
    fn masks_change_only_named_fields_and_reject_unknown_ones() {
        let current = default_model();
        let changes = ValueModel { hurdle_rate: 0.15, default_lgd: 0.2, ..Default::default() };
        let next = apply_mask(&current, &changes, &["hurdle_rate".into()]).expect("masked");
        assert_eq!((next.hurdle_rate, next.default_lgd), (0.15, 0.45));
        let err = apply_mask(&current, &changes, &["version".into()]).expect_err("output only");
        assert_eq!(err.violations()[0].field, "update_mask.paths[0]");
    }
}
