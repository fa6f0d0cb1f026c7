//! Target-market selection (docs/domain.md §2): how attractive each segment is, from three groups of
//! criteria, each 0..1 and shown with its inputs.
//!
//! * profit opportunity: size (members relative to the largest segment), and when value
//!   scores are known revenue (relative to the richest segment), mean value score and the
//!   share of members the scoring service sees room to grow in;
//! * market opportunity: unmet demand (the analyst's, else the segment's product gap),
//!   competitors' weakness and the external climate (the analyst's);
//! * internal opportunity: fit with the risk appetite (share of graded members with an
//!   investment grade), reach (share with a relationship manager), and the analyst's
//!   resource fit and stakeholder support.
//!
//! Attractiveness is the weighted mean of the three.

use std::collections::HashMap;

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::segmentation::v1::{
    AttractivenessInput, AttractivenessWeights, OpportunityScore, SegmentOutlook, TargetMarketEvaluation,
};

use super::{
    quality::{Assignment, mean, penetration},
    scheme::CompiledScheme,
    view::ClientRecord,
};

/// Investment grades (within the bank's usual risk appetite).
const INVESTMENT_GRADES: [&str; 4] = ["AAA", "AA", "A", "BBB"];

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

/// Evaluates every segment (all levels); most attractive first.
pub fn evaluate(
    scheme_name: &str,
    compiled: &CompiledScheme,
    all: &[Assignment<'_>],
    weights: &AttractivenessWeights,
    outlooks: &HashMap<usize, &SegmentOutlook>,
) -> Vec<TargetMarketEvaluation> {
    let members: Vec<Vec<&ClientRecord>> = (0..compiled.segments.len())
        .map(|index| {
            let level = usize::try_from(compiled.segments[index].level - 1).unwrap_or(0);
            all.iter().filter(|a| a.path.get(level) == Some(&index)).map(|a| a.record).collect()
        })
        .collect();
    let revenue =
        |m: &[&ClientRecord]| m.iter().filter_map(|r| r.value.as_ref()).map(|v| v.revenue_units as f64).sum::<f64>();
    let largest = members.iter().map(Vec::len).max().unwrap_or(0);
    let richest = members.iter().map(|m| revenue(m)).fold(0.0, f64::max);
    let scored_any = all.iter().any(|a| a.record.value.is_some());

    let mut evaluations: Vec<TargetMarketEvaluation> = compiled
        .segments
        .iter()
        .enumerate()
        .map(|(index, segment)| {
            let m = &members[index];
            let count = m.len();
            let outlook = outlooks.get(&index);
            let mut profit = vec![input(
                "size",
                ratio(count as f64, largest as f64),
                format!("members / largest segment's members ({count} / {largest})"),
            )];
            if scored_any {
                let scored: Vec<_> = m.iter().filter_map(|r| r.value.as_ref()).collect();
                let own = revenue(m);
                profit.push(input(
                    "revenue",
                    ratio(own, richest),
                    format!("annual revenue / richest segment's ({own:.0} / {richest:.0})"),
                ));
                let value = mean(&scored.iter().map(|v| v.score).collect::<Vec<_>>());
                profit.push(input("value", value / 100.0, format!("mean composite value score / 100 ({value:.1})")));
                let growing = scored.iter().filter(|v| v.tier == "GROW" || v.tier == "KEY_ACCOUNT").count();
                profit.push(input(
                    "growth",
                    ratio(growing as f64, scored.len() as f64),
                    format!("scored members in tier GROW or KEY_ACCOUNT ({growing} / {})", scored.len()),
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
            if let Some(x) = outlook.and_then(|o| o.competitor_strength) {
                market.push(input("competitor_weakness", 1.0 - x, format!("1 − analyst's competitor strength ({x})")));
            }
            if let Some(x) = outlook.and_then(|o| o.external_climate) {
                market.push(input("external_climate", x, "analyst".to_owned()));
            }
            let mut internal = Vec::new();
            let graded: Vec<_> = m.iter().filter(|r| !r.facts.client.credit_grade.is_empty()).collect();
            if !graded.is_empty() {
                let fit =
                    graded.iter().filter(|r| INVESTMENT_GRADES.contains(&r.facts.client.credit_grade.as_str())).count();
                internal.push(input(
                    "risk_fit",
                    ratio(fit as f64, graded.len() as f64),
                    format!("graded members with an investment grade ({fit} / {})", graded.len()),
                ));
            }
            let reached = m.iter().filter(|r| !r.facts.client.relationship_manager.is_empty()).count();
            internal.push(input(
                "reach",
                ratio(reached as f64, count as f64),
                format!("members with a relationship manager ({reached} / {count})"),
            ));
            if let Some(x) = outlook.and_then(|o| o.resource_fit) {
                internal.push(input("resource_fit", x, "analyst".to_owned()));
            }
            if let Some(x) = outlook.and_then(|o| o.stakeholder_support) {
                internal.push(input("stakeholder_support", x, "analyst".to_owned()));
            }
            let (profit, market, internal) = (opportunity(profit), opportunity(market), opportunity(internal));
            let attractiveness =
                weights.profit * profit.score + weights.market * market.score + weights.internal * internal.score;
            TargetMarketEvaluation {
                segment: format!("{scheme_name}/segments/{}", segment.id),
                display_name: segment.display_name.clone(),
                level: segment.level,
                member_count: i64::try_from(count).unwrap_or(i64::MAX),
                attractiveness,
                profit: Some(profit),
                market: Some(market),
                internal: Some(internal),
            }
        })
        .collect();
    evaluations.sort_by(|a, b| b.attractiveness.total_cmp(&a.attractiveness).then_with(|| a.segment.cmp(&b.segment)));
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
}
