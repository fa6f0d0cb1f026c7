//! Next best actions: product lines commonly held in the client's segments that the client
//! lacks, ranked, each with the numbers that justify it (docs/domain.md §4, cross-selling).

use std::collections::{BTreeMap, BTreeSet};

/// A product line is "commonly held" in a segment from this penetration on.
pub const MIN_SEGMENT_PENETRATION: f64 = 0.25;
/// Segments smaller than this say too little to recommend from.
pub const MIN_SEGMENT_MEMBERS: i64 = 5;
/// Lift counted in the score at most (a tiny portfolio share should not dominate the ranking).
const MAX_SCORED_LIFT: f64 = 5.0;

/// What the segmentation service reports about one segment the client belongs to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentFacts {
    /// `schemes/{scheme}`.
    pub scheme: String,
    /// `schemes/{scheme}/segments/{segment}`.
    pub segment: String,
    pub display_name: String,
    /// Members of the segment; `None` when the report does not say.
    pub members: Option<i64>,
    /// Share of members holding each product line (names without prefix), 0..1.
    pub penetration: BTreeMap<String, f64>,
    /// Share of the whole portfolio holding each product line, 0..1.
    pub portfolio_penetration: BTreeMap<String, f64>,
}

/// One ranked recommendation before contactability is added.
#[derive(Clone, Debug, PartialEq)]
pub struct Ranked {
    /// Product line name without prefix, e.g. "TRADE_FINANCE".
    pub product_line: String,
    /// The segment it comes from.
    pub segment: String,
    pub segment_display_name: String,
    /// The segment's scheme.
    pub scheme: String,
    /// Segment penetration, 0..1.
    pub segment_penetration: f64,
    /// Portfolio penetration, 0..1.
    pub portfolio_penetration: f64,
    /// segment / portfolio penetration.
    pub lift: f64,
    /// segment penetration × min(lift, 5).
    pub score: f64,
    /// Human-readable reason.
    pub reason: String,
}

fn is_unassigned(segment: &str) -> bool {
    segment.ends_with("/segments/unassigned")
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Ranks the product lines of `segments` the client does not hold (`held`), best first, at
/// most `limit`. A product line recommended by several segments keeps its best score.
pub fn rank(segments: &[SegmentFacts], held: &BTreeSet<String>, limit: usize) -> Vec<Ranked> {
    let mut best: BTreeMap<&str, Ranked> = BTreeMap::new();
    for facts in segments {
        if is_unassigned(&facts.segment) || facts.members.is_some_and(|m| m < MIN_SEGMENT_MEMBERS) {
            continue;
        }
        for (line, &share) in &facts.penetration {
            let portfolio = facts.portfolio_penetration.get(line).copied().unwrap_or(0.0);
            if held.contains(line) || !share.is_finite() || share < MIN_SEGMENT_PENETRATION || portfolio <= 0.0 {
                continue;
            }
            let lift = share / portfolio;
            if lift <= 1.0 {
                continue; // no more common in the segment than anywhere: not a segment insight
            }
            let score = share * lift.min(MAX_SCORED_LIFT);
            let reason = format!(
                "{} of clients in segment {} hold {line} against {} of the portfolio (lift {lift:.2}); the client holds no {line} product",
                percent(share),
                facts.display_name,
                percent(portfolio),
            );
            let candidate = Ranked {
                product_line: line.clone(),
                segment: facts.segment.clone(),
                segment_display_name: facts.display_name.clone(),
                scheme: facts.scheme.clone(),
                segment_penetration: share,
                portfolio_penetration: portfolio,
                lift,
                score,
                reason,
            };
            match best.get(line.as_str()) {
                Some(existing) if existing.score >= score => {}
                _ => {
                    best.insert(line, candidate);
                }
            }
        }
    }
    let mut ranked: Vec<Ranked> = best.into_values().collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.product_line.cmp(&b.product_line)));
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(segment: &str, members: i64, lines: &[(&str, f64, f64)]) -> SegmentFacts {
        SegmentFacts {
            scheme: "schemes/s".into(),
            segment: format!("schemes/s/segments/{segment}"),
            display_name: segment.to_uppercase(),
            members: Some(members),
            penetration: lines.iter().map(|(l, s, _)| ((*l).to_owned(), *s)).collect(),
            portfolio_penetration: lines.iter().map(|(l, _, p)| ((*l).to_owned(), *p)).collect(),
        }
    }

    fn held(lines: &[&str]) -> BTreeSet<String> {
        lines.iter().map(|l| (*l).to_owned()).collect()
    }

    #[test]
    fn recommends_common_segment_products_the_client_lacks_best_first() {
        let importers = facts(
            "importers",
            40,
            &[("TRADE_FINANCE", 0.6, 0.2), ("FX", 0.5, 0.4), ("DEPOSITS", 0.95, 0.9), ("CARDS", 0.1, 0.05)],
        );
        let ranked = rank(&[importers], &held(&["DEPOSITS"]), 10);
        let lines: Vec<_> = ranked.iter().map(|r| r.product_line.as_str()).collect();
        assert_eq!(lines, ["TRADE_FINANCE", "FX"], "CARDS is not common; DEPOSITS is held");
        let top = &ranked[0];
        assert!((top.lift - 3.0).abs() < 1e-9);
        assert!((top.score - 1.8).abs() < 1e-9);
        assert_eq!(
            top.reason,
            "60% of clients in segment IMPORTERS hold TRADE_FINANCE against 20% of the portfolio (lift 3.00); the client holds no TRADE_FINANCE product"
        );
    }

    #[test]
    fn no_lift_no_small_segments_no_unassigned_bucket() {
        let flat = facts("flat", 50, &[("PAYMENTS", 0.8, 0.8)]);
        let tiny = facts("tiny", 3, &[("FX", 1.0, 0.1)]);
        let rest = facts("unassigned", 500, &[("LENDING", 0.9, 0.3)]);
        assert!(rank(&[flat, tiny, rest], &held(&[]), 10).is_empty());
    }

    #[test]
    fn one_line_from_several_schemes_keeps_its_best_evidence_and_limit_applies() {
        let a = facts("a", 10, &[("FX", 0.4, 0.2), ("LENDING", 0.9, 0.3)]);
        let b = facts("b", 10, &[("FX", 0.8, 0.2)]);
        let ranked = rank(&[a, b], &held(&[]), 1);
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].product_line, "FX");
        assert_eq!(ranked[0].segment, "schemes/s/segments/b");
    }
}
