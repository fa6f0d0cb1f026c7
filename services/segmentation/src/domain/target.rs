//! Target-market selection (docs/domain.md §2): how attractive each segment is, from three groups of
//! criteria, each 0..1 and shown with its inputs. Money is in the scheme's reporting currency.
//!
//! * profit opportunity: size and revenue (relative to the largest and richest segment of the
//!   same level), return (members' EVA from value scoring) and growth (members' revenue over
//!   the previous period of the same length);
//! * market opportunity: unmet demand (the analyst's, else the segment's product gap),
//!   competitors' weakness and the external climate (the analyst's);
//! * internal opportunity: fit with the risk appetite (scored members whose PD is within it),
//!   reach (members with a relationship manager and a consented channel), and the analyst's
//!   resource fit and stakeholder support.
//!
//! Attractiveness is the weighted mean of the three. An input that cannot be known is left
//! out of its group's mean and lowers the evaluation's `confidence` (known / expected inputs),
//! named in `missing_inputs`. Each level is ranked on its own.

use std::collections::HashMap;

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::segmentation::v1::{
    AttractivenessInput, AttractivenessWeights, MarketingMix, OpportunityScore, RiskAppetite, SegmentOutlook,
    TargetMarketEvaluation,
};

use super::{
    quality::{Assignment, mean, penetration},
    scheme::CompiledScheme,
    view::ClientRecord,
};

/// Default highest PD within the risk appetite: the built-in value model's BBB (the bank's setting).
pub const DEFAULT_MAX_PD: f64 = 0.0025;
/// Growth at which the growth input is ¾: 10 % a year (the bank's setting).
pub const GROWTH_SCALE: f64 = 0.10;
/// Inputs an evaluation expects: profit 4, market 3, internal 4.
const EXPECTED_INPUTS: usize = 11;

/// Checks weights and normalises them to sum to 1 (unset or all zero: equal weights).
pub fn weights(given: Option<&AttractivenessWeights>, field: &str) -> ApiResult<AttractivenessWeights> {
    let w = given.cloned().unwrap_or_default();
    let mut v = Violations::default();
    for (name, x) in [("profit", w.profit), ("market", w.market), ("internal", w.internal)] {
        if !x.is_finite() || x < 0.0 {
            v.add(format!("{field}.{name}"), "must be a non-negative number");
        }
    }
    v.check()?;
    let sum = w.profit + w.market + w.internal;
    if sum == 0.0 {
        let third = 1.0 / 3.0;
        return Ok(AttractivenessWeights { profit: third, market: third, internal: third });
    }
    Ok(AttractivenessWeights { profit: w.profit / sum, market: w.market / sum, internal: w.internal / sum })
}

/// Checks a risk appetite (unset or 0: the default).
pub fn risk_appetite(given: Option<&RiskAppetite>, field: &str) -> ApiResult<RiskAppetite> {
    let max = given.map_or(0.0, |r| r.max_probability_of_default);
    if !max.is_finite() || !(0.0..=1.0).contains(&max) {
        let mut v = Violations::default();
        v.add(format!("{field}.max_probability_of_default"), "must be between 0 and 1");
        v.check()?;
    }
    Ok(RiskAppetite { max_probability_of_default: if max == 0.0 { DEFAULT_MAX_PD } else { max } })
}

/// Checks a marketing mix (`field`): products, price, promotion, channels and team are required.
pub fn check_mix(mix: Option<&MarketingMix>, field: &str, v: &mut Violations) {
    let Some(m) = mix else {
        v.add(field.to_owned(), "give the marketing mix: products, price, promotion, channels and responsible team");
        return;
    };
    let long = |s: &str, max: usize| s.chars().count() > max;
    if m.products.is_empty() || m.products.iter().any(|p| p.trim().is_empty() || long(p, 100)) {
        v.add(format!("{field}.products"), "name at least one product, each 1 to 100 characters");
    }
    if m.channels.is_empty() || m.channels.iter().any(|c| c.trim().is_empty() || long(c, 100)) {
        v.add(format!("{field}.channels"), "name at least one channel, each 1 to 100 characters");
    }
    for (name, text) in [("price", &m.price), ("promotion", &m.promotion), ("responsible_team", &m.responsible_team)] {
        if text.trim().is_empty() || long(text, 1000) {
            v.add(format!("{field}.{name}"), "is required, at most 1000 characters");
        }
    }
}

/// Checks outlooks (`field[i]`) against the scheme's segments: index of segment → outlook.
pub fn outlooks<'a>(
    given: &'a [SegmentOutlook],
    scheme_name: &str,
    compiled: &CompiledScheme,
    field: &str,
) -> ApiResult<HashMap<usize, &'a SegmentOutlook>> {
    let mut v = Violations::default();
    let mut out = HashMap::new();
    for (i, o) in given.iter().enumerate() {
        let id = o.segment.strip_prefix(&format!("{scheme_name}/segments/"));
        match id.and_then(|id| compiled.index_of(id)) {
            None => v.add(format!("{field}[{i}].segment"), format!("is not a segment of {scheme_name}")),
            Some(index) if out.insert(index, o).is_some() => {
                v.add(format!("{field}[{i}].segment"), "has another outlook in this request");
            }
            Some(_) => {}
        }
        let values = [
            ("unmet_demand", o.unmet_demand),
            ("competitor_strength", o.competitor_strength),
            ("external_climate", o.external_climate),
            ("resource_fit", o.resource_fit),
            ("stakeholder_support", o.stakeholder_support),
        ];
        for (name, value) in values {
            if value.is_some_and(|x| !(0.0..=1.0).contains(&x)) {
                v.add(format!("{field}[{i}].{name}"), "must be between 0 and 1");
            }
        }
    }
    v.check()?;
    Ok(out)
}

fn input(name: &str, value: f64, source: String) -> AttractivenessInput {
    AttractivenessInput { name: name.to_owned(), value: value.clamp(0.0, 1.0), source }
}

fn opportunity(inputs: Vec<AttractivenessInput>) -> OpportunityScore {
    let score = mean(&inputs.iter().map(|i| i.value).collect::<Vec<_>>());
    OpportunityScore { score, inputs }
}

fn ratio(part: f64, whole: f64) -> f64 {
    if whole > 0.0 { part / whole } else { 0.0 }
}

/// ½ + ½ · x / (|x| + k): ½ at 0, ¾ at x = k, approaching 1 (0) for large gains (losses).
fn squash(x: f64, k: f64) -> f64 {
    0.5 + 0.5 * x / (x.abs() + k)
}

/// What a segment's members amount to, money in the reporting currency.
struct Totals {
    members: usize,
    revenue: Option<f64>,
}

/// The inputs of one segment, with the sentences of those missing.
struct Inputs {
    profit: Vec<AttractivenessInput>,
    market: Vec<AttractivenessInput>,
    internal: Vec<AttractivenessInput>,
    missing: Vec<String>,
}

/// Context shared by every segment of one level.
struct Level<'a> {
    largest: usize,
    richest: f64,
    fx: &'a super::fx::Fx,
    appetite: &'a RiskAppetite,
}

fn inputs(m: &[&ClientRecord], totals: &Totals, level: &Level<'_>, outlook: Option<&&SegmentOutlook>) -> Inputs {
    let cur = &level.fx.currency;
    let mut missing = Vec::new();
    let count = m.len();
    let mut profit = vec![input(
        "size",
        ratio(count as f64, level.largest as f64),
        format!("members / largest segment's of this level ({count} / {})", level.largest),
    )];
    match totals.revenue {
        Some(own) => profit.push(input(
            "revenue",
            ratio(own, level.richest),
            format!("annual revenue / richest segment's of this level ({cur} {own:.0} / {cur} {:.0})", level.richest),
        )),
        None => missing.push("revenue: no member has a value score".to_owned()),
    }
    let scored: Vec<_> = m.iter().filter_map(|r| r.value.as_ref().map(|v| (r, v))).collect();
    let eva: Vec<f64> =
        scored.iter().filter_map(|(_, v)| level.fx.convert(v.eva_units?, &v.currency)).map(|x| x as f64).collect();
    if eva.is_empty() {
        missing.push("return: no member has an EVA from value scoring".to_owned());
    } else {
        let (sum, abs) = (eva.iter().sum::<f64>(), eva.iter().map(|x| x.abs()).sum::<f64>());
        let raroc: Vec<f64> = scored.iter().filter_map(|(_, v)| v.raroc).collect();
        let value = if abs > 0.0 { 0.5 + 0.5 * sum / abs } else { 0.5 };
        profit.push(input(
            "return",
            value,
            format!(
                "½ + ½ · ΣEVA / Σ|EVA| over {} scored members (EVA {cur} {sum:.0}; mean RAROC {:.3})",
                eva.len(),
                mean(&raroc)
            ),
        ));
    }
    let grown: Vec<(f64, f64)> = scored
        .iter()
        .filter_map(|(_, v)| {
            let now = level.fx.convert(v.revenue_units, &v.currency)? as f64;
            let before = level.fx.convert(v.previous_revenue_units?, &v.currency)? as f64;
            Some((now, before))
        })
        .collect();
    let before: f64 = grown.iter().map(|(_, b)| b).sum();
    if grown.is_empty() || before <= 0.0 {
        missing.push("growth: no member has revenue for a previous period of the same length".to_owned());
    } else {
        let now: f64 = grown.iter().map(|(n, _)| n).sum();
        let g = now / before - 1.0;
        profit.push(input(
            "growth",
            squash(g, GROWTH_SCALE),
            format!(
                "½ + ½ · g / (|g| + {GROWTH_SCALE}), g = revenue growth over the previous period of the same length \
                 ({:+.1} % over {} members)",
                g * 100.0,
                grown.len()
            ),
        ));
    }
    let mut market = Vec::new();
    match outlook.and_then(|o| o.unmet_demand) {
        Some(x) => market.push(input("unmet_demand", x, "analyst".to_owned())),
        None => {
            let held = mean(&penetration(m).into_values().collect::<Vec<_>>());
            market.push(input("unmet_demand", 1.0 - held, format!("1 − mean product penetration ({held:.3})")));
        }
    }
    match outlook.and_then(|o| o.competitor_strength) {
        Some(x) => {
            market.push(input("competitor_weakness", 1.0 - x, format!("1 − analyst's competitor strength ({x})")))
        }
        None => missing.push("competitor_weakness: no analyst's outlook".to_owned()),
    }
    match outlook.and_then(|o| o.external_climate) {
        Some(x) => market.push(input("external_climate", x, "analyst".to_owned())),
        None => missing.push("external_climate: no analyst's outlook".to_owned()),
    }
    let mut internal = Vec::new();
    let with_pd: Vec<f64> = scored.iter().filter_map(|(_, v)| v.pd).collect();
    let max_pd = level.appetite.max_probability_of_default;
    if with_pd.is_empty() {
        missing.push("risk_fit: no member has a PD from value scoring".to_owned());
    } else {
        let fit = with_pd.iter().filter(|pd| **pd <= max_pd).count();
        internal.push(input(
            "risk_fit",
            ratio(fit as f64, with_pd.len() as f64),
            format!("scored members with PD ≤ the risk appetite's {max_pd} ({fit} / {})", with_pd.len()),
        ));
    }
    let reached = m.iter().filter(|r| r.reachable()).count();
    internal.push(input(
        "reach",
        ratio(reached as f64, count as f64),
        format!("members with a relationship manager and a consented marketing channel ({reached} / {count})"),
    ));
    for (name, value) in [
        ("resource_fit", outlook.and_then(|o| o.resource_fit)),
        ("stakeholder_support", outlook.and_then(|o| o.stakeholder_support)),
    ] {
        match value {
            Some(x) => internal.push(input(name, x, "analyst".to_owned())),
            None => missing.push(format!("{name}: no analyst's outlook")),
        }
    }
    Inputs { profit, market, internal, missing }
}

/// Evaluates every segment (all levels): level by level, most attractive first within a
/// level, each with its rank in its level.
pub fn evaluate(
    scheme_name: &str,
    compiled: &CompiledScheme,
    all: &[Assignment<'_>],
    weights: &AttractivenessWeights,
    outlooks: &HashMap<usize, &SegmentOutlook>,
    appetite: &RiskAppetite,
) -> Vec<TargetMarketEvaluation> {
    let fx = &compiled.fx;
    let members: Vec<Vec<&ClientRecord>> = (0..compiled.segments.len())
        .map(|index| {
            let level = usize::try_from(compiled.segments[index].level - 1).unwrap_or(0);
            all.iter().filter(|a| a.path.get(level) == Some(&index)).map(|a| a.record).collect()
        })
        .collect();
    let totals: Vec<Totals> = members
        .iter()
        .map(|m| {
            let revenues: Vec<i64> = m.iter().filter_map(|r| r.reported(fx).revenue).collect();
            Totals {
                members: m.len(),
                revenue: (!revenues.is_empty()).then(|| revenues.iter().map(|x| *x as f64).sum()),
            }
        })
        .collect();
    let level_of = |i: usize| compiled.segments[i].level;
    let mut evaluations: Vec<TargetMarketEvaluation> = compiled
        .segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            let peers = (0..compiled.segments.len()).filter(|&j| level_of(j) == segment.level);
            let level = Level {
                largest: peers.clone().map(|j| totals[j].members).max().unwrap_or(0),
                richest: peers.filter_map(|j| totals[j].revenue).fold(0.0, f64::max),
                fx,
                appetite,
            };
            let i = inputs(&members[index], &totals[index], &level, outlooks.get(&index));
            let known = i.profit.len() + i.market.len() + i.internal.len();
            let (profit, market, internal) = (opportunity(i.profit), opportunity(i.market), opportunity(i.internal));
            let attractiveness =
                weights.profit * profit.score + weights.market * market.score + weights.internal * internal.score;
            TargetMarketEvaluation {
                segment: format!("{scheme_name}/segments/{}", segment.id),
                display_name: segment.display_name.clone(),
                level: segment.level,
                member_count: i64::try_from(members[index].len()).unwrap_or(i64::MAX),
                attractiveness,
                profit: Some(profit),
                market: Some(market),
                internal: Some(internal),
                rank_in_level: 0,
                confidence: known as f64 / EXPECTED_INPUTS as f64,
                missing_inputs: i.missing,
            }
        })
        .collect();
    evaluations.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then_with(|| b.attractiveness.total_cmp(&a.attractiveness))
            .then_with(|| a.segment.cmp(&b.segment))
    });
    let mut rank = 0;
    let mut level = 0;
    for e in &mut evaluations {
        if e.level != level {
            (level, rank) = (e.level, 0);
        }
        rank += 1;
        e.rank_in_level = rank;
    }
    evaluations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_checked_and_normalised() {
        let w =
            weights(Some(&AttractivenessWeights { profit: 2.0, market: 1.0, internal: 1.0 }), "weights").expect("ok");
        assert_eq!((w.profit, w.market, w.internal), (0.5, 0.25, 0.25));
        let equal = weights(None, "weights").expect("default");
        assert!((equal.profit - 1.0 / 3.0).abs() < 1e-12);
        let err = weights(Some(&AttractivenessWeights { profit: -1.0, ..Default::default() }), "weights")
            .expect_err("negative");
        assert_eq!(err.violations()[0].field, "weights.profit");
    }

    #[test]
    fn opportunity_is_the_mean_of_clamped_inputs() {
        let o = opportunity(vec![input("a", 0.5, String::new()), input("b", 1.5, String::new())]);
        assert_eq!(o.score, 0.75);
        assert_eq!(opportunity(Vec::new()).score, 0.0);
    }

    use crate::domain::{
        scheme,
        view::{ContactFacts, ValueFacts},
    };
    use crm_proto::crm::segmentation::v1::{Scheme, Segment};

    fn seg(id: &str, rule: &str, subs: Vec<Segment>) -> Segment {
        Segment {
            segment_id: id.into(),
            display_name: id.into(),
            rule: rule.into(),
            sub_segments: subs,
            ..Default::default()
        }
    }

    /// `all` (everyone) with sub-segment `kr` (country KR); `other` (nobody).
    fn plan() -> CompiledScheme {
        let scheme = Scheme {
            display_name: "T".into(),
            bases: vec![crm_proto::crm::segmentation::v1::SegmentationBasis::Geography as i32],
            segments: vec![
                seg("all", "true", vec![seg("kr", "client.country_code == \"KR\"", vec![])]),
                seg("other", "false", vec![]),
            ],
            ..Default::default()
        };
        scheme::check(&scheme, "scheme").expect("valid")
    }

    fn member(revenue: i64, previous: Option<i64>, eva: i64, pd: f64, currency: &str) -> ClientRecord {
        let mut r = ClientRecord {
            value: Some(ValueFacts {
                score: 60.0,
                revenue_units: revenue,
                previous_revenue_units: previous,
                eva_units: Some(eva),
                pd: Some(pd),
                currency: currency.into(),
                ..Default::default()
            }),
            contact: Some(ContactFacts { marketing_channels: vec!["EMAIL".into()] }),
            ..Default::default()
        };
        r.facts.client.relationship_manager = "rm-1".into();
        r
    }

    fn find<'a>(e: &'a [TargetMarketEvaluation], id: &str) -> &'a TargetMarketEvaluation {
        e.iter().find(|x| x.segment.ends_with(&format!("/{id}"))).expect("segment")
    }

    fn value(o: Option<&OpportunityScore>, name: &str) -> f64 {
        o.expect("group").inputs.iter().find(|i| i.name == name).map(|i| i.value).expect(name)
    }

    #[test]
    fn growth_return_and_risk_fit_come_from_scoring_and_levels_rank_apart() {
        let compiled = plan();
        // Revenue 110 vs 100 before (+10 %): growth ¾. EVA +300 and −100: return ½ + ½ · 200/400.
        let mut a = member(110, Some(100), 300, 0.001, "CNY");
        a.facts.client.country_code = "KR".into();
        let b = member(1_000, None, -100, 0.03, "CNY");
        let records = [a, b];
        let all: Vec<Assignment<'_>> = vec![
            Assignment { record: &records[0], path: vec![0, 1] },
            Assignment { record: &records[1], path: vec![0] },
        ];
        let w = weights(None, "w").expect("w");
        let appetite = risk_appetite(None, "r").expect("default");
        assert_eq!(appetite.max_probability_of_default, DEFAULT_MAX_PD);
        let e = evaluate("schemes/s", &compiled, &all, &w, &HashMap::new(), &appetite);
        let top = find(&e, "all");
        assert!((value(top.profit.as_ref(), "growth") - 0.75).abs() < 1e-9, "{top:?}");
        assert!((value(top.profit.as_ref(), "return") - 0.75).abs() < 1e-9);
        assert_eq!(value(top.internal.as_ref(), "risk_fit"), 0.5, "PD 0.1 % within, 3 % outside");
        assert_eq!(value(top.internal.as_ref(), "reach"), 1.0);
        // A wider appetite takes both in.
        let wide = risk_appetite(Some(&RiskAppetite { max_probability_of_default: 0.05 }), "r").expect("wide");
        let e2 = evaluate("schemes/s", &compiled, &all, &w, &HashMap::new(), &wide);
        assert_eq!(value(find(&e2, "all").internal.as_ref(), "risk_fit"), 1.0);
        // Levels are ranked apart: `kr` (level 2) is first of its level, never against `all`.
        let order: Vec<(i32, i32)> = e.iter().map(|x| (x.level, x.rank_in_level)).collect();
        assert_eq!(order, [(1, 1), (1, 2), (2, 1)]);
        assert_eq!(find(&e, "kr").rank_in_level, 1);
        assert_eq!(value(find(&e, "kr").profit.as_ref(), "size"), 1.0, "largest of its own level");
        // Missing inputs lower confidence and are named, rather than silently averaged away.
        let other = find(&e, "other");
        assert!(other.confidence < top.confidence, "{} vs {}", other.confidence, top.confidence);
        assert!(other.missing_inputs.iter().any(|m| m.starts_with("growth")));
        assert!(top.missing_inputs.iter().any(|m| m.starts_with("external_climate")));
        assert!((top.confidence - 7.0 / 11.0).abs() < 1e-9, "4 analyst inputs missing: {:?}", top.missing_inputs);
    }

    #[test]
    fn a_marketing_mix_needs_all_five_parts() {
        let mut v = Violations::default();
        check_mix(None, "marketing_mixes[x]", &mut v);
        let partial = MarketingMix { products: vec!["TRADE_FINANCE".into()], ..Default::default() };
        check_mix(Some(&partial), "m", &mut v);
        let full = MarketingMix {
            products: vec!["TRADE_FINANCE".into()],
            price: "risk-based".into(),
            promotion: "seminars".into(),
            channels: vec!["RM".into()],
            responsible_team: "SME trade desk".into(),
        };
        check_mix(Some(&full), "ok", &mut v);
        let fields: Vec<String> = v.check().expect_err("bad").violations().iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["marketing_mixes[x]", "m.channels", "m.price", "m.promotion", "m.responsible_team"]);
        assert!(risk_appetite(Some(&RiskAppetite { max_probability_of_default: 2.0 }), "r").is_err());
    }
}
