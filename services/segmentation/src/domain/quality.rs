//! Quality of a segmentation (DOMAIN §2): size and share, homogeneity (η² and coefficient
//! of variation on the numeric variables of the scheme's bases), identifiability,
//! accessibility, substantial, manageable, and product penetration.

use std::collections::{BTreeMap, BTreeSet};

use crm_proto::{
    crm::segmentation::v1::{
        CategoryShare, Homogeneity, QualityThresholds, SegmentQuality, SegmentationBasis, VariableSpread,
    },
    google::r#type::Money,
};

use super::{
    scheme::{CompiledScheme, UNASSIGNED},
    view::{ClientRecord, product_line_names},
};

/// Default maximum number of segments of a manageable scheme.
pub const DEFAULT_MAX_SEGMENTS: i32 = 12;

/// The numeric variables of a basis (categorical bases have none).
pub fn numeric_variables(basis: SegmentationBasis) -> &'static [&'static str] {
    match basis {
        SegmentationBasis::Size => &["annual_turnover_units", "employee_count", "branch_count"],
        SegmentationBasis::ProductUsage => {
            &["monthly_transaction_count", "monthly_transaction_volume_units", "total_balance_units"]
        }
        SegmentationBasis::Product => &["product_count"],
        SegmentationBasis::PurchasingSystem => &["decision_cycle_days"],
        _ => &[],
    }
}

/// The categorical variables of a basis (homogeneity as the share of the modal value).
pub fn categorical_variables(basis: SegmentationBasis) -> &'static [&'static str] {
    match basis {
        SegmentationBasis::CustomerType => &["customer_type"],
        SegmentationBasis::Industry => &["industry_division"],
        SegmentationBasis::Geography => &["country_code", "region"],
        SegmentationBasis::PurchasingSystem => &["decision_style"],
        _ => &[],
    }
}

/// The most common value (ties: the smallest) and its share of `values`.
pub fn modal_share<'a>(values: impl Iterator<Item = &'a str>) -> (String, f64) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut total = 0;
    for v in values {
        *counts.entry(v).or_default() += 1;
        total += 1;
    }
    let best = counts.iter().fold(None, |best: Option<(&str, usize)>, (v, c)| match best {
        Some((_, bc)) if bc >= *c => best,
        _ => Some((v, *c)),
    });
    best.map_or((String::new(), 0.0), |(v, c)| (v.to_owned(), share(c, total)))
}

/// Mean of `values` (0 for none).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Population coefficient of variation: standard deviation / |mean| (0 when the mean is 0).
pub fn coefficient_of_variation(values: &[f64]) -> f64 {
    let m = mean(values);
    if values.is_empty() || m == 0.0 {
        return 0.0;
    }
    let variance = values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / values.len() as f64;
    variance.sqrt() / m.abs()
}

/// η² of groups of observations: (between-group SS / total SS, between SS, total SS).
/// η² is 0 when the total SS is 0 (every observation equal).
pub fn eta_squared(groups: &[Vec<f64>]) -> (f64, f64, f64) {
    let all: Vec<f64> = groups.iter().flatten().copied().collect();
    let grand = mean(&all);
    let total: f64 = all.iter().map(|x| (x - grand).powi(2)).sum();
    let between: f64 =
        groups.iter().filter(|g| !g.is_empty()).map(|g| g.len() as f64 * (mean(g) - grand).powi(2)).sum();
    let eta = if total > 0.0 { (between / total).clamp(0.0, 1.0) } else { 0.0 };
    (eta, between, total)
}

/// Share of `members` holding each product line (every line is a key).
pub fn penetration(members: &[&ClientRecord]) -> BTreeMap<String, f64> {
    let lines = product_line_names();
    let mut counts: BTreeMap<String, usize> = lines.iter().map(|l| ((*l).to_owned(), 0)).collect();
    for record in members {
        for line in record.product_lines() {
            if let Some(c) = counts.get_mut(line) {
                *c += 1;
            }
        }
    }
    counts.into_iter().map(|(line, c)| (line, share(c, members.len()))).collect()
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}

/// What a report is computed from: live clients with their segment paths.
#[derive(Debug)]
pub struct Assignment<'a> {
    /// The client.
    pub record: &'a ClientRecord,
    /// Segment indexes, one per level; empty for the unassigned bucket.
    pub path: Vec<usize>,
}

/// The measures of a scheme over the assigned portfolio.
#[derive(Debug, Default)]
pub struct Measures {
    /// Live clients.
    pub population: i64,
    /// Each segment in pre-order, then the unassigned bucket.
    pub segments: Vec<SegmentQuality>,
    /// η² per numeric basis variable over the top-level segments (and the unassigned bucket).
    pub homogeneity: Vec<Homogeneity>,
    /// Segments in the scheme.
    pub segment_count: i32,
    /// Configured maximum.
    pub max_segments: i32,
    /// Within the maximum.
    pub manageable: bool,
    /// Portfolio-wide penetration.
    pub product_penetration: BTreeMap<String, f64>,
    /// Missing inputs.
    pub missing_inputs: Vec<String>,
}

/// Computes every measure; segment names are `{scheme}/segments/{id}`.
pub fn measure(
    scheme: &str,
    compiled: &CompiledScheme,
    thresholds: &QualityThresholds,
    all: &[Assignment<'_>],
) -> Measures {
    let population = all.len();
    let variables: Vec<(SegmentationBasis, &str)> =
        compiled.bases.iter().flat_map(|&b| numeric_variables(b).iter().map(move |v| (b, *v))).collect();
    let categories: Vec<&str> = compiled.bases.iter().flat_map(|&b| categorical_variables(b).iter().copied()).collect();
    let min_members = thresholds.min_members.max(1);
    let max_segments = if thresholds.max_segments > 0 { thresholds.max_segments } else { DEFAULT_MAX_SEGMENTS };
    let scored_any = all.iter().any(|a| a.record.value.is_some());
    let name = |id: &str| format!("{scheme}/segments/{id}");

    let quality = |members: Vec<&ClientRecord>, fields: &[&str]| -> SegmentQuality {
        let count = members.len();
        let spreads = variables
            .iter()
            .map(|(_, var)| {
                let values: Vec<f64> = members.iter().filter_map(|r| r.numeric(var)).collect();
                VariableSpread {
                    variable: (*var).to_owned(),
                    mean: mean(&values),
                    coefficient_of_variation: coefficient_of_variation(&values),
                }
            })
            .collect();
        let category_shares = categories
            .iter()
            .map(|var| {
                let values: Vec<String> = members.iter().map(|r| r.categorical(var)).collect();
                let (modal_value, share) = modal_share(values.iter().map(String::as_str));
                CategoryShare { variable: (*var).to_owned(), modal_value, share }
            })
            .collect();
        let identifiable = members.iter().filter(|r| fields.iter().all(|f| r.identifiable(f))).count();
        let reachable = members.iter().filter(|r| !r.facts.relationship_manager.is_empty()).count();
        let scored: Vec<_> = members.iter().filter_map(|r| r.value.as_ref()).collect();
        let revenue: i64 = scored.iter().map(|v| v.revenue_units).fold(0, i64::saturating_add);
        let currency = scored.first().map(|v| v.currency.clone()).unwrap_or_default();
        let enough_revenue = match (&thresholds.min_revenue, scored.is_empty()) {
            (Some(min), false) if min.currency_code == currency => revenue >= min.units,
            _ => true,
        };
        SegmentQuality {
            member_count: i64::try_from(count).unwrap_or(i64::MAX),
            share: share(count, population),
            product_penetration: penetration(&members).into_iter().collect(),
            spreads,
            identifiability: if count == 0 { 0.0 } else { share(identifiable, count) },
            accessibility: share(reachable, count),
            substantial: i64::try_from(count).unwrap_or(i64::MAX) >= min_members && enough_revenue,
            total_revenue: (!scored.is_empty()).then_some(Money { currency_code: currency, units: revenue, nanos: 0 }),
            mean_value: mean(&scored.iter().map(|v| v.score).collect::<Vec<_>>()),
            scored_count: i64::try_from(scored.len()).unwrap_or(i64::MAX),
            category_shares,
            ..Default::default()
        }
    };

    let mut segments = Vec::with_capacity(compiled.segments.len() + 1);
    for (index, segment) in compiled.segments.iter().enumerate() {
        let level = usize::try_from(segment.level - 1).unwrap_or(0);
        let members: Vec<&ClientRecord> =
            all.iter().filter(|a| a.path.get(level) == Some(&index)).map(|a| a.record).collect();
        let mut q = quality(members, &compiled.rule_fields(index));
        q.segment = name(&segment.id);
        q.display_name = segment.display_name.clone();
        q.level = segment.level;
        q.parent_segment = segment.parent.map(|p| name(&compiled.segments[p].id)).unwrap_or_default();
        segments.push(q);
    }
    let root_fields: BTreeSet<&str> = compiled.roots.iter().flat_map(|&r| compiled.segments[r].rule.fields()).collect();
    let unassigned: Vec<&ClientRecord> = all.iter().filter(|a| a.path.is_empty()).map(|a| a.record).collect();
    let mut q = quality(unassigned, &root_fields.into_iter().collect::<Vec<_>>());
    q.segment = name(UNASSIGNED);
    q.display_name = "Unassigned".to_owned();
    q.level = 1;
    segments.push(q);

    let homogeneity = variables
        .iter()
        .map(|&(basis, var)| {
            let mut groups: Vec<Vec<f64>> = vec![Vec::new(); compiled.roots.len() + 1];
            for a in all {
                let group = a.path.first().and_then(|i| compiled.roots.iter().position(|r| r == i));
                if let Some(x) = a.record.numeric(var) {
                    groups[group.unwrap_or(compiled.roots.len())].push(x);
                }
            }
            let (eta, between, total) = eta_squared(&groups);
            Homogeneity {
                basis: basis as i32,
                variable: var.to_owned(),
                eta_squared: eta,
                between_sum_of_squares: between,
                total_sum_of_squares: total,
            }
        })
        .collect();

    let mut missing_inputs = vec![
        "consent: accessibility counts members with an assigned relationship manager; channel consent is not known here"
            .to_owned(),
    ];
    if !scored_any {
        missing_inputs.push("value scores: none received yet, so revenue and mean value are absent".to_owned());
    }
    let segment_count = i32::try_from(compiled.segments.len()).unwrap_or(i32::MAX);
    let records: Vec<&ClientRecord> = all.iter().map(|a| a.record).collect();
    Measures {
        population: i64::try_from(population).unwrap_or(i64::MAX),
        segments,
        homogeneity,
        segment_count,
        max_segments,
        manageable: segment_count <= max_segments,
        product_penetration: penetration(&records),
        missing_inputs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::view::HoldingFacts;

    #[test]
    fn eta_squared_matches_a_hand_computation() {
        // Groups {1,2,3} and {7,8,9}: grand mean 5; total SS = 16+9+4+4+9+16 = 58;
        // between SS = 3·(2−5)² + 3·(8−5)² = 54; η² = 54/58.
        let (eta, between, total) = eta_squared(&[vec![1.0, 2.0, 3.0], vec![7.0, 8.0, 9.0]]);
        assert!((between - 54.0).abs() < 1e-9 && (total - 58.0).abs() < 1e-9);
        assert!((eta - 54.0 / 58.0).abs() < 1e-12);
        // Identical groups explain nothing; constant data has no variance to explain.
        assert_eq!(eta_squared(&[vec![1.0, 3.0], vec![1.0, 3.0]]).0, 0.0);
        assert_eq!(eta_squared(&[vec![4.0, 4.0], vec![4.0], vec![]]), (0.0, 0.0, 0.0));
    }

    #[test]
    fn modal_share_is_the_share_of_the_most_common_value() {
        assert_eq!(modal_share(["SME", "SME", "MID_MARKET"].into_iter()), ("SME".to_owned(), 2.0 / 3.0));
        assert_eq!(modal_share(["B", "A"].into_iter()), ("A".to_owned(), 0.5), "ties: the smallest");
        assert_eq!(modal_share(std::iter::empty()), (String::new(), 0.0));
    }

    #[test]
    fn coefficient_of_variation_is_sd_over_mean() {
        // {2,4,4,4,5,5,7,9}: mean 5, population sd 2 → CV 0.4.
        assert!((coefficient_of_variation(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) - 0.4).abs() < 1e-12);
        assert_eq!(coefficient_of_variation(&[0.0, 0.0]), 0.0);
        assert_eq!(coefficient_of_variation(&[]), 0.0);
    }

    #[test]
    fn penetration_is_the_share_of_members_holding_each_line() {
        let holder = |lines: &[&str]| ClientRecord {
            holdings: lines.iter().map(|l| HoldingFacts { product_line: (*l).into(), ..Default::default() }).collect(),
            ..Default::default()
        };
        let (a, b) = (holder(&["FX", "FX", "LENDING"]), holder(&["LENDING"]));
        let p = penetration(&[&a, &b]);
        assert_eq!(p["LENDING"], 1.0);
        assert_eq!(p["FX"], 0.5, "two FX holdings of one client count once");
        assert_eq!(p["TRADE_FINANCE"], 0.0);
        assert_eq!(p.len(), 8);
    }
}
