//! Quality of a segmentation (docs/domain.md §2): size and share, homogeneity (η² and coefficient
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
    /// Inputs the measures lacked (value scores, exchange rates), one sentence each.
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

    // A segment whose revenue is (partly) in another currency than `min_revenue` cannot be
    // compared without exchange rates: not substantial, and said in `missing_inputs`.
    let quality = |members: Vec<&ClientRecord>, fields: &[&str]| -> (SegmentQuality, Option<BTreeSet<String>>) {
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
        let reachable = members.iter().filter(|r| !r.facts.client.relationship_manager.is_empty()).count();
        let scored: Vec<_> = members.iter().filter_map(|r| r.value.as_ref()).collect();
        let revenue: i64 = scored.iter().map(|v| v.revenue_units).fold(0, i64::saturating_add);
        let currency = scored.first().map(|v| v.currency.clone()).unwrap_or_default();
        let currencies: BTreeSet<String> = scored.iter().map(|v| v.currency.clone()).collect();
        let (enough_revenue, uncomparable) = match (&thresholds.min_revenue, scored.is_empty()) {
            (Some(min), false) if currencies.iter().all(|c| *c == min.currency_code) => (revenue >= min.units, None),
            (Some(_), false) => (false, Some(currencies)),
            _ => (true, None),
        };
        let quality = SegmentQuality {
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
        };
        (quality, uncomparable)
    };
    let mut uncomparable: Vec<(String, BTreeSet<String>)> = Vec::new();

    let mut segments = Vec::with_capacity(compiled.segments.len() + 1);
    for (index, segment) in compiled.segments.iter().enumerate() {
        let level = usize::try_from(segment.level - 1).unwrap_or(0);
        let members: Vec<&ClientRecord> =
            all.iter().filter(|a| a.path.get(level) == Some(&index)).map(|a| a.record).collect();
        let (mut q, currencies) = quality(members, &compiled.rule_fields(index));
        q.segment = name(&segment.id);
        if let Some(currencies) = currencies {
            uncomparable.push((q.segment.clone(), currencies));
        }
        q.display_name = segment.display_name.clone();
        q.level = segment.level;
        q.parent_segment = segment.parent.map(|p| name(&compiled.segments[p].id)).unwrap_or_default();
        segments.push(q);
    }
    let root_fields: BTreeSet<&str> = compiled.roots.iter().flat_map(|&r| compiled.segments[r].rule.fields()).collect();
    let unassigned: Vec<&ClientRecord> = all.iter().filter(|a| a.path.is_empty()).map(|a| a.record).collect();
    let (mut q, currencies) = quality(unassigned, &root_fields.into_iter().collect::<Vec<_>>());
    q.segment = name(UNASSIGNED);
    if let Some(currencies) = currencies {
        uncomparable.push((q.segment.clone(), currencies));
    }
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
    if let Some(min) = &thresholds.min_revenue {
        for (segment, currencies) in &uncomparable {
            let currencies: Vec<&str> = currencies.iter().map(String::as_str).collect();
            missing_inputs.push(format!(
                "exchange rates: {segment} has revenue in {} that cannot be compared with the minimum revenue in {}, \
                 so it is not counted as substantial",
                currencies.join(", "),
                min.currency_code
            ));
        }
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
    use crate::domain::{
        scheme,
        view::{HoldingFacts, ProfileFacts, ValueFacts},
    };
    use crm_kit::client_view::ClientFacts;
    use crm_proto::crm::segmentation::v1::{Scheme, Segment};

    /// One root segment `big` (turnover above 1000) on the size basis.
    fn size_plan() -> CompiledScheme {
        let plan = Scheme {
            display_name: "Size".into(),
            bases: vec![SegmentationBasis::Size as i32],
            segments: vec![Segment {
                segment_id: "big".into(),
                display_name: "Big".into(),
                rule: "client.annual_turnover_units > 1000".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        scheme::check(&plan, "scheme").expect("valid plan")
    }

    fn client(turnover: Option<(i64, &str)>, value: Option<(i64, &str)>) -> ClientRecord {
        let (units, currency) = turnover.unwrap_or((0, ""));
        ClientRecord {
            facts: ProfileFacts {
                client: ClientFacts {
                    annual_turnover_units: units,
                    annual_turnover_currency: currency.into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            value: value.map(|(revenue_units, currency)| ValueFacts {
                score: 50.0,
                tier: "GROW".into(),
                revenue_units,
                currency: currency.into(),
            }),
            ..Default::default()
        }
    }

    fn spread<'a>(m: &'a Measures, segment: &str, variable: &str) -> &'a VariableSpread {
        let q = m.segments.iter().find(|q| q.segment == format!("schemes/s/segments/{segment}")).expect("segment");
        q.spreads.iter().find(|v| v.variable == variable).expect("variable")
    }

    #[test]
    fn a_missing_turnover_is_left_out_of_spreads_and_eta_squared() {
        let compiled = size_plan();
        let records = [
            client(Some((2_000, "GBP")), None),
            client(Some((4_000, "GBP")), None),
            client(Some((100, "GBP")), None),
            client(None, None),
        ];
        let paths = [vec![0], vec![0], vec![], vec![]];
        let all: Vec<Assignment<'_>> =
            records.iter().zip(paths).map(|(record, path)| Assignment { record, path }).collect();
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &all);
        let unassigned = spread(&m, UNASSIGNED, "annual_turnover_units");
        assert_eq!(unassigned.mean, 100.0, "the client without a turnover is not a turnover of 0");
        assert_eq!(unassigned.coefficient_of_variation, 0.0);
        assert_eq!(spread(&m, "big", "annual_turnover_units").mean, 3_000.0);
        let eta = m.homogeneity.iter().find(|h| h.variable == "annual_turnover_units").expect("η²");
        let expected = eta_squared(&[vec![2_000.0, 4_000.0], vec![100.0]]);
        assert_eq!((eta.eta_squared, eta.between_sum_of_squares, eta.total_sum_of_squares), expected);
    }

    #[test]
    fn min_revenue_in_another_currency_is_not_met_and_said_so() {
        let compiled = size_plan();
        let thresholds = QualityThresholds {
            min_members: 1,
            min_revenue: Some(Money { currency_code: "GBP".into(), units: 1_000, nanos: 0 }),
            max_segments: 0,
        };
        // `big` earns plenty, but in euros; the unassigned bucket earns enough pounds.
        let records =
            [client(Some((5_000, "GBP")), Some((1_000_000, "EUR"))), client(Some((10, "GBP")), Some((2_000, "GBP")))];
        let paths = [vec![0], vec![]];
        let all: Vec<Assignment<'_>> =
            records.iter().zip(paths).map(|(record, path)| Assignment { record, path }).collect();
        let m = measure("schemes/s", &compiled, &thresholds, &all);
        let substantial: Vec<(&str, bool)> = m.segments.iter().map(|q| (q.segment.as_str(), q.substantial)).collect();
        assert_eq!(substantial, [("schemes/s/segments/big", false), ("schemes/s/segments/unassigned", true)]);
        let said: Vec<&String> = m.missing_inputs.iter().filter(|i| i.starts_with("exchange rates")).collect();
        assert_eq!(said.len(), 1, "{:?}", m.missing_inputs);
        assert!(said[0].contains("schemes/s/segments/big") && said[0].contains("EUR") && said[0].contains("GBP"));

        // Mixed currencies within one segment are not comparable either.
        let mixed =
            [client(Some((5_000, "GBP")), Some((900, "GBP"))), client(Some((6_000, "GBP")), Some((900, "EUR")))];
        let all: Vec<Assignment<'_>> = mixed.iter().map(|record| Assignment { record, path: vec![0] }).collect();
        let m = measure("schemes/s", &compiled, &thresholds, &all);
        assert!(!m.segments[0].substantial);
        assert!(m.missing_inputs.iter().any(|i| i.contains("EUR, GBP")), "{:?}", m.missing_inputs);
        // Without a revenue minimum, currencies do not matter.
        let m = measure("schemes/s", &compiled, &QualityThresholds { min_revenue: None, ..thresholds }, &all);
        assert!(m.missing_inputs.iter().all(|i| !i.starts_with("exchange rates")));
    }

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
