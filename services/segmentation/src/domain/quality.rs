//! Quality of a segmentation (docs/domain.md §2): size and share, homogeneity (η² and
//! coefficient of variation on numeric basis variables, Cramér's V on categorical ones, at
//! every level), identifiability, accessibility, substantial, manageable, and product
//! penetration. Money is compared in the scheme's reporting currency.

use std::collections::{BTreeMap, BTreeSet};

use crm_proto::{
    crm::segmentation::v1::{
        CategoryShare, Homogeneity, QualityThresholds, SegmentQuality, SegmentationBasis, VariableSpread,
    },
    google::r#type::Money,
};

use super::{
    fx::Fx,
    homogeneity::{self, Member},
    scheme::{CompiledScheme, UNASSIGNED},
    view::{ClientRecord, product_line_names},
};

/// Default maximum number of segments of a manageable scheme.
pub const DEFAULT_MAX_SEGMENTS: i32 = 12;

/// The numeric variables of a basis (money in the reporting currency).
pub fn numeric_variables(basis: SegmentationBasis) -> &'static [&'static str] {
    match basis {
        SegmentationBasis::Size => &["annual_turnover_reporting", "employee_count", "branch_count"],
        SegmentationBasis::ProductUsage => {
            &["monthly_transaction_count", "monthly_transaction_volume_reporting", "deposit_balance", "loan_balance"]
        }
        SegmentationBasis::Product => &["product_count"],
        SegmentationBasis::PurchasingSystem => &["decision_cycle_days"],
        _ => &[],
    }
}

/// The categorical variables of a basis (homogeneity as Cramér's V and the modal share).
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

pub use super::homogeneity::eta_squared;

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

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
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
    /// Level-1 homogeneity per basis variable (η² numeric, Cramér's V categorical).
    pub homogeneity: Vec<Homogeneity>,
    /// Homogeneity at every level.
    pub level_homogeneity: Vec<Homogeneity>,
    /// Segments in the scheme.
    pub segment_count: i32,
    /// Configured maximum.
    pub max_segments: i32,
    /// Within the maximum.
    pub manageable: bool,
    /// Portfolio-wide penetration.
    pub product_penetration: BTreeMap<String, f64>,
    /// Inputs the measures lacked (value scores, consent, exchange rates), one sentence each.
    pub missing_inputs: Vec<String>,
}

/// The substantiality thresholds in the reporting currency.
struct Minimums {
    members: i64,
    revenue: Option<i64>,
    risk_adjusted_income: i64,
}

impl Minimums {
    fn of(t: &QualityThresholds, fx: &Fx) -> Self {
        let reported = |m: Option<&Money>| m.and_then(|m| fx.convert(m.units, &m.currency_code));
        Self {
            members: t.min_members.max(1),
            revenue: reported(t.min_revenue.as_ref()),
            risk_adjusted_income: reported(t.min_risk_adjusted_income.as_ref()).unwrap_or(0),
        }
    }
}

/// Quality of one group of members identified by `fields`.
fn segment_quality(
    members: &[&ClientRecord],
    fields: &[&str],
    population: usize,
    variables: &[(SegmentationBasis, &str)],
    categories: &[(SegmentationBasis, &str)],
    min: &Minimums,
    fx: &Fx,
) -> SegmentQuality {
    let n = members.len();
    let spreads = variables
        .iter()
        .map(|(_, var)| {
            let values: Vec<f64> = members.iter().filter_map(|r| r.numeric(var, fx)).collect();
            VariableSpread {
                variable: (*var).to_owned(),
                mean: mean(&values),
                coefficient_of_variation: coefficient_of_variation(&values),
            }
        })
        .collect();
    let category_shares = categories
        .iter()
        .map(|(_, var)| {
            let values: Vec<String> = members.iter().map(|r| r.categorical(var)).collect();
            let (modal_value, share) = modal_share(values.iter().map(String::as_str));
            CategoryShare { variable: (*var).to_owned(), modal_value, share }
        })
        .collect();
    let identifiable = members.iter().filter(|r| fields.iter().all(|f| r.identifiable(f))).count();
    let reachable = members.iter().filter(|r| r.reachable()).count();
    let scored: Vec<_> = members.iter().filter_map(|r| r.value.as_ref()).collect();
    let reported: Vec<_> = members.iter().filter(|r| r.value.is_some()).map(|r| r.reported(fx)).collect();
    let revenue: i64 = reported.iter().filter_map(|r| r.revenue).fold(0, i64::saturating_add);
    let rai: Vec<i64> = reported.iter().filter_map(|r| r.risk_adjusted_income).collect();
    let total_rai = rai.iter().copied().fold(0, i64::saturating_add);
    let money = |units| Money { currency_code: fx.currency.clone(), units, nanos: 0 };
    let cur = &fx.currency;
    let (substantial, reason) = if count(n) < min.members {
        (false, format!("{n} members < minimum {}", min.members))
    } else if rai.is_empty() {
        (false, "no risk-adjusted income known (no value scores for its members)".to_owned())
    } else if total_rai < min.risk_adjusted_income {
        (false, format!("risk-adjusted income {cur} {total_rai} < minimum {cur} {}", min.risk_adjusted_income))
    } else if let Some(min_revenue) = min.revenue.filter(|m| revenue < *m) {
        (false, format!("revenue {cur} {revenue} < minimum {cur} {min_revenue}"))
    } else {
        (true, format!("{n} members, risk-adjusted income {cur} {total_rai} >= {cur} {}", min.risk_adjusted_income))
    };
    SegmentQuality {
        member_count: count(n),
        share: share(n, population),
        product_penetration: penetration(members).into_iter().collect(),
        spreads,
        identifiability: share(identifiable, n),
        accessibility: share(reachable, n),
        substantial,
        total_revenue: (!scored.is_empty()).then(|| money(revenue)),
        mean_value: mean(&scored.iter().map(|v| v.score).collect::<Vec<_>>()),
        scored_count: count(scored.len()),
        category_shares,
        reachable_count: count(reachable),
        total_risk_adjusted_income: (!rai.is_empty()).then(|| money(total_rai)),
        identifiable_count: count(identifiable),
        substantial_reason: reason,
        ..Default::default()
    }
}

/// What the inputs lacked, one sentence each.
fn missing(all: &[Assignment<'_>], fx: &Fx) -> Vec<String> {
    let mut out = Vec::new();
    if !all.iter().any(|a| a.record.contact.is_some()) {
        out.push(
            "consent: no contactability received from the interaction service, so no member counts as reachable"
                .to_owned(),
        );
    }
    if !all.iter().any(|a| a.record.value.is_some()) {
        out.push(
            "value scores: none received yet, so revenue, risk-adjusted income and substantiality are absent"
                .to_owned(),
        );
    }
    let mut unconvertible: BTreeMap<String, usize> = BTreeMap::new();
    for a in all {
        for c in a.record.unconvertible(fx) {
            *unconvertible.entry(c).or_default() += 1;
        }
    }
    for (currency, clients) in unconvertible {
        out.push(format!(
            "exchange rates: {clients} clients have money in {currency} with no rate into {} (as of {}); it is left out \
             of rules, means, spreads, η² and totals",
            fx.currency, fx.as_of_date
        ));
    }
    out
}

/// Computes every measure; segment names are `{scheme}/segments/{id}`.
pub fn measure(
    scheme: &str,
    compiled: &CompiledScheme,
    thresholds: &QualityThresholds,
    all: &[Assignment<'_>],
) -> Measures {
    let fx = &compiled.fx;
    let population = all.len();
    let variables: Vec<(SegmentationBasis, &str)> =
        compiled.bases.iter().flat_map(|&b| numeric_variables(b).iter().map(move |v| (b, *v))).collect();
    let categories: Vec<(SegmentationBasis, &str)> =
        compiled.bases.iter().flat_map(|&b| categorical_variables(b).iter().map(move |v| (b, *v))).collect();
    let min = Minimums::of(thresholds, fx);
    let max_segments = if thresholds.max_segments > 0 { thresholds.max_segments } else { DEFAULT_MAX_SEGMENTS };
    let name = |id: &str| format!("{scheme}/segments/{id}");
    let quality = |members: &[&ClientRecord], fields: &[&str]| {
        segment_quality(members, fields, population, &variables, &categories, &min, fx)
    };

    let mut segments = Vec::with_capacity(compiled.segments.len() + 1);
    for (index, segment) in compiled.segments.iter().enumerate() {
        let level = usize::try_from(segment.level - 1).unwrap_or(0);
        let members: Vec<&ClientRecord> =
            all.iter().filter(|a| a.path.get(level) == Some(&index)).map(|a| a.record).collect();
        let mut q = quality(&members, &compiled.rule_fields(index));
        q.segment = name(&segment.id);
        q.display_name = segment.display_name.clone();
        q.level = segment.level;
        q.parent_segment = segment.parent.map(|p| name(&compiled.segments[p].id)).unwrap_or_default();
        segments.push(q);
    }
    let root_fields: BTreeSet<&str> = compiled.roots.iter().flat_map(|&r| compiled.segments[r].rule.fields()).collect();
    let unassigned: Vec<&ClientRecord> = all.iter().filter(|a| a.path.is_empty()).map(|a| a.record).collect();
    let mut q = quality(&unassigned, &root_fields.into_iter().collect::<Vec<_>>());
    q.segment = name(UNASSIGNED);
    q.display_name = "Unassigned".to_owned();
    q.level = 1;
    segments.push(q);

    let members: Vec<Member<'_>> = all.iter().map(|a| Member { record: a.record, path: &a.path }).collect();
    let level_homogeneity =
        homogeneity::per_level(compiled, &variables, &categories, &members, fx, |i| name(&compiled.segments[i].id));
    let homogeneity = level_homogeneity.iter().filter(|h| h.level == 1).cloned().collect();
    let segment_count = i32::try_from(compiled.segments.len()).unwrap_or(i32::MAX);
    let records: Vec<&ClientRecord> = all.iter().map(|a| a.record).collect();
    Measures {
        population: count(population),
        segments,
        homogeneity,
        level_homogeneity,
        segment_count,
        max_segments,
        manageable: segment_count <= max_segments,
        product_penetration: penetration(&records),
        missing_inputs: missing(all, fx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        scheme,
        view::{ContactFacts, HoldingFacts, ProfileFacts, ValueFacts},
    };
    use crm_kit::client_view::ClientFacts;
    use crm_proto::crm::segmentation::v1::{Scheme, Segment};

    /// One root segment `big` (turnover above CNY 1000) on the size and customer-type bases.
    fn size_plan() -> CompiledScheme {
        let plan = Scheme {
            display_name: "Size".into(),
            bases: vec![SegmentationBasis::Size as i32, SegmentationBasis::CustomerType as i32],
            segments: vec![Segment {
                segment_id: "big".into(),
                display_name: "Big".into(),
                rule: "client.annual_turnover_reporting > 1000".into(),
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
                risk_adjusted_income_units: Some(revenue_units / 2),
                currency: currency.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn assigned<'a>(records: &'a [ClientRecord], paths: &[Vec<usize>]) -> Vec<Assignment<'a>> {
        records.iter().zip(paths).map(|(record, path)| Assignment { record, path: path.clone() }).collect()
    }

    fn segment<'a>(m: &'a Measures, id: &str) -> &'a SegmentQuality {
        m.segments.iter().find(|q| q.segment == format!("schemes/s/segments/{id}")).expect("segment")
    }

    fn spread<'a>(m: &'a Measures, id: &str, variable: &str) -> &'a VariableSpread {
        segment(m, id).spreads.iter().find(|v| v.variable == variable).expect("variable")
    }

    #[test]
    fn money_is_measured_in_the_reporting_currency_and_a_missing_turnover_is_left_out() {
        let compiled = size_plan();
        let records = [
            client(Some((2_000, "CNY")), None),
            client(Some((84_000, "JPY")), None), // CNY 4 000
            client(Some((100, "CNY")), None),
            client(None, None),
        ];
        let all = assigned(&records, &[vec![0], vec![0], vec![], vec![]]);
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &all);
        let turnover = "annual_turnover_reporting";
        let unassigned = spread(&m, UNASSIGNED, turnover);
        assert_eq!(unassigned.mean, 100.0, "the client without a turnover is not a turnover of 0");
        assert_eq!(unassigned.coefficient_of_variation, 0.0);
        assert_eq!(spread(&m, "big", turnover).mean, 3_000.0, "JPY 84 000 counts as CNY 4 000");
        let eta = m.homogeneity.iter().find(|h| h.variable == turnover).expect("η²");
        let expected = eta_squared(&[vec![2_000.0, 4_000.0], vec![100.0]]);
        assert_eq!((eta.eta_squared, eta.between_sum_of_squares, eta.total_sum_of_squares), expected);
        assert_eq!(eta.level, 1);
    }

    #[test]
    fn a_currency_without_a_rate_is_left_out_and_said_so() {
        let compiled = size_plan();
        let records = [client(Some((5_000, "XAU")), None), client(Some((5_000, "CNY")), None)];
        let all = assigned(&records, &[vec![], vec![0]]);
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &all);
        assert_eq!(segment(&m, UNASSIGNED).spreads[0].mean, 0.0, "no number, not 5 000");
        let said: Vec<&String> = m.missing_inputs.iter().filter(|i| i.starts_with("exchange rates")).collect();
        assert_eq!(said.len(), 1, "{:?}", m.missing_inputs);
        assert!(said[0].contains("1 clients") && said[0].contains("XAU") && said[0].contains("CNY"));
    }

    #[test]
    fn substantial_needs_members_and_risk_adjusted_income_in_the_reporting_currency() {
        let compiled = size_plan();
        let thresholds = QualityThresholds {
            min_members: 1,
            // EUR 1 000 = CNY 8 000.
            min_risk_adjusted_income: Some(Money { currency_code: "EUR".into(), units: 1_000, nanos: 0 }),
            ..Default::default()
        };
        // `big`: RAI USD 1 500 = CNY 10 714 ≥ 8 000. Unassigned: RAI CNY 5 000 < 8 000.
        let records =
            [client(Some((5_000, "CNY")), Some((3_000, "USD"))), client(Some((10, "CNY")), Some((10_000, "CNY")))];
        let all = assigned(&records, &[vec![0], vec![]]);
        let m = measure("schemes/s", &compiled, &thresholds, &all);
        let big = segment(&m, "big");
        assert!(big.substantial, "{}", big.substantial_reason);
        assert_eq!(
            big.total_risk_adjusted_income.as_ref().map(|x| (x.currency_code.as_str(), x.units)),
            Some(("CNY", 10_714))
        );
        assert_eq!(big.total_revenue.as_ref().map(|x| x.units), Some(21_429));
        let rest = segment(&m, UNASSIGNED);
        assert!(
            !rest.substantial && rest.substantial_reason.contains("< minimum CNY 8000"),
            "{}",
            rest.substantial_reason
        );

        // Without value scores nothing shows it repays the effort; the default minimum is 0.
        let unscored = [client(Some((5_000, "CNY")), None)];
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &assigned(&unscored, &[vec![0]]));
        assert!(!segment(&m, "big").substantial);
        assert!(segment(&m, "big").substantial_reason.contains("no risk-adjusted income"));
        let mut losing = client(Some((5_000, "CNY")), Some((1_000, "CNY")));
        losing.value.as_mut().expect("scored").risk_adjusted_income_units = Some(-1);
        let losing = [losing];
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &assigned(&losing, &[vec![0]]));
        assert!(!segment(&m, "big").substantial, "loses money after risk");
    }

    #[test]
    fn accessibility_needs_a_relationship_manager_and_a_consented_channel() {
        let compiled = size_plan();
        let with = |rm: &str, channels: Option<&[&str]>| {
            let mut r = client(Some((5_000, "CNY")), None);
            r.facts.client.relationship_manager = rm.into();
            r.contact =
                channels.map(|c| ContactFacts { marketing_channels: c.iter().map(|s| (*s).to_owned()).collect() });
            r
        };
        let records =
            [with("rm-1", Some(&["EMAIL"])), with("rm-1", Some(&[])), with("", Some(&["EMAIL"])), with("rm-2", None)];
        let all = assigned(&records, &[vec![0], vec![0], vec![0], vec![0]]);
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &all);
        assert_eq!((segment(&m, "big").accessibility, segment(&m, "big").reachable_count), (0.25, 1));
        assert!(m.missing_inputs.iter().all(|i| !i.starts_with("consent")), "{:?}", m.missing_inputs);
        let unknown = [with("rm-1", None)];
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &assigned(&unknown, &[vec![0]]));
        assert_eq!(segment(&m, "big").accessibility, 0.0, "an RM alone does not make a client reachable");
        assert!(m.missing_inputs.iter().any(|i| i.starts_with("consent")));
    }

    #[test]
    fn categorical_bases_get_cramers_v_at_every_level() {
        let plan = Scheme {
            display_name: "Types".into(),
            bases: vec![SegmentationBasis::CustomerType as i32],
            segments: vec![Segment {
                segment_id: "corp".into(),
                display_name: "Corporates".into(),
                rule: "client.customer_type in [\"SME\", \"LARGE_CORPORATE\"]".into(),
                sub_segments: vec![Segment {
                    segment_id: "sme".into(),
                    display_name: "SME".into(),
                    rule: "client.customer_type == \"SME\"".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let compiled = scheme::check(&plan, "scheme").expect("valid");
        let typed = |t: &str| {
            let mut r = client(None, None);
            r.facts.client.customer_type = t.into();
            r
        };
        let records = [typed("SME"), typed("SME"), typed("LARGE_CORPORATE"), typed("NON_PROFIT")];
        let all = assigned(&records, &[vec![0, 1], vec![0, 1], vec![0], vec![]]);
        let m = measure("schemes/s", &compiled, &QualityThresholds::default(), &all);
        let top = m.homogeneity.iter().find(|h| h.variable == "customer_type").expect("level 1");
        assert!(top.categorical && top.level == 1 && top.cramers_v > 0.99, "{top:?}");
        let sub = m.level_homogeneity.iter().find(|h| h.level == 2).expect("level 2");
        assert_eq!(sub.parent_segment, "schemes/s/segments/corp");
        assert!((sub.cramers_v - 1.0).abs() < 1e-12, "SME sub-segment vs the rest of corp: {sub:?}");
        assert_eq!(sub.observations, 3);
    }

    #[test]
    fn identifiability_counts_members_whose_rule_fields_are_verified_or_sourced() {
        let compiled = size_plan();
        let mut sourced = client(Some((5_000, "CNY")), None);
        sourced.facts.trusted.insert("annual_turnover".into());
        let unsourced = client(Some((5_000, "CNY")), None);
        let records = [sourced, unsourced];
        let m =
            measure("schemes/s", &compiled, &QualityThresholds::default(), &assigned(&records, &[vec![0], vec![0]]));
        assert_eq!((segment(&m, "big").identifiability, segment(&m, "big").identifiable_count), (0.5, 1));
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
