//! Hand-computed scores, and recomputation of every component from what it shows.

use std::collections::HashMap;

use crm_proto::crm::scoring::v1::{ScoreComponent, Tier, ValueScore};

use super::{
    decimal::Dec,
    model::{Params, default_model, validate},
    period::Period,
    profitability::Figures,
    score::{GroupIncome, ScoreInputs, compute},
};

fn d(text: &str) -> Dec {
    Dec::parse(text).expect("decimal")
}

fn model() -> Params {
    let mut m = validate(&default_model()).expect("default model");
    m.version = 1;
    m
}

fn figures(nii: i64, fee: i64, cost: i64, ead: i64, referred: i64) -> Figures {
    Figures {
        currency: "CNY".into(),
        net_interest_income: Dec::from_int(nii),
        fee_income: Dec::from_int(fee),
        cost_to_serve: Dec::from_int(cost),
        exposure_at_default: Dec::from_int(ead),
        referred_income: Dec::from_int(referred),
        ..Default::default()
    }
}

fn inputs(grade: &str, period: &str, f: Figures) -> ScoreInputs {
    ScoreInputs {
        client_id: "c1".into(),
        credit_grade: grade.into(),
        sme: false,
        period: Period::parse(period).expect("period"),
        figures: f,
        previous: None,
        group: GroupIncome::default(),
        access: "64×East".into(),
        access_rank: 0,
    }
}

fn component<'a>(score: &'a ValueScore, name: &str) -> &'a ScoreComponent {
    score.components.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no component {name}"))
}

fn value(score: &ValueScore, name: &str) -> String {
    component(score, name).value.clone()
}

#[test]
fn a_profitable_bbb_client_is_a_key_account() {
    // Q3 figures × 4: revenue 1 600 000, cost 200 000; EL = 0.0025 × 0.45 × 10 000 000.
    let c = compute(&model(), &inputs("BBB", "2026-Q3", figures(300_000, 100_000, 50_000, 10_000_000, 0)))
        .expect("computes");
    let s = &c.score;
    assert_eq!(value(s, "expected_loss"), "11250.000000000");
    assert_eq!(value(s, "risk_adjusted_income"), "1388750.000000000");
    // Regulatory capital: 10 000 000 × 75 % × 10.5 % (8 % minimum + 2.5 % buffer).
    assert_eq!(value(s, "regulatory_capital"), "787500.000000000");
    assert_eq!(value(s, "raroc"), "1.763492063");
    assert_eq!(value(s, "eva"), "1294250.000000000");
    // RAROC part 0.5 + 0.5 × 1.643492063 / 1.763492063; EVA part 0.5 + 0.5 × 1 294 250 / 2 294 250.
    assert_eq!(value(s, "raroc_part"), "0.965976598");
    assert_eq!(value(s, "eva_part"), "0.782063856");
    assert_eq!(value(s, "standalone_score"), "61.181415900");
    assert_eq!(value(s, "composite_score"), "76.181415900");
    assert_eq!(c.tier, Tier::KeyAccount);
    assert_eq!(s.expected_loss.as_ref().map(|m| (m.units, m.nanos)), Some((11_250, 0)));
    assert_eq!(s.eva.as_ref().map(|m| m.units), Some(1_294_250));
    assert_eq!(s.annualisation_factor, 4);
    assert!((s.raroc - 1.763492063).abs() < 1e-12);
}

#[test]
fn a_client_below_the_hurdle_is_reviewed_not_maintained() {
    // Month × 12: revenue 300 000, cost 180 000, EL = 0.03 × 0.45 × 5 000 000 = 67 500;
    // capital 5 000 000 × 150 % × 10.5 % = 787 500; EVA = 52 500 − 94 500 < 0.
    let thin = inputs("B", "2026-10", figures(20_000, 5_000, 15_000, 5_000_000, 0));
    let c = compute(&model(), &thin).expect("computes");
    let s = &c.score;
    assert_eq!(value(s, "risk_adjusted_income"), "52500.000000000");
    assert_eq!(value(s, "raroc"), "0.066666667");
    assert_eq!(value(s, "eva"), "-42000.000000000");
    // The score alone would keep it in MAINTAIN (≥ 40) ...
    assert!(c.composite >= model().maintain, "composite {}", c.composite);
    // ... but it earns below the hurdle with no relationship value to make up for it.
    assert_eq!(c.tier, Tier::ReviewForExit);
    assert_eq!(value(s, "tier"), "REVIEW_FOR_EXIT");
    // A bank that keeps such clients maintained says so in its model.
    let mut lenient = model();
    lenient.below_hurdle_tier = Tier::Maintain;
    assert_eq!(compute(&lenient, &thin).expect("computes").tier, Tier::Maintain);
    // Group income that makes up the shortfall lifts the cap: 0.1 × 500 000 > 42 000.
    let grouped = ScoreInputs { group: GroupIncome { members_scored: 1, income: Dec::from_int(500_000) }, ..thin };
    assert_ne!(compute(&model(), &grouped).expect("computes").tier, Tier::ReviewForExit);
}

#[test]
fn value_parts_keep_rising_for_large_clients() {
    // Two large clients, one ten times the other: both used to get full marks.
    let large = compute(&model(), &inputs("A", "2026", figures(20_000_000, 2_000_000, 2_000_000, 100_000_000, 0)))
        .expect("large");
    let larger = compute(&model(), &inputs("A", "2026", figures(200_000_000, 20_000_000, 20_000_000, 100_000_000, 0)))
        .expect("larger");
    for part in ["eva_part", "raroc_part"] {
        let (a, b) = (d(&value(&large.score, part)), d(&value(&larger.score, part)));
        assert!(a < b && b < Dec::ONE, "{part}: {a} then {b}");
    }
    assert!(large.composite < larger.composite);
}

#[test]
fn collateral_and_the_clients_own_lgd_reduce_loss_and_capital() {
    let mut secured = figures(1_000_000, 0, 0, 10_000_000, 0);
    secured.collateral_value = Dec::from_int(4_000_000);
    secured.lgd = Some(d("0.25"));
    let c = compute(&model(), &inputs("BBB", "2026", secured)).expect("computes");
    let s = &c.score;
    assert_eq!(value(s, "exposure_after_collateral"), "6000000.000000000");
    // 0.0025 × 0.25 × 6 000 000, the LGD from the record.
    assert_eq!(value(s, "expected_loss"), "3750.000000000");
    assert_eq!(component(s, "expected_loss").inputs[1].source, "profitability 2026 lgd");
    // 6 000 000 × 75 % × 10.5 %.
    assert_eq!(value(s, "regulatory_capital"), "472500.000000000");
}

#[test]
fn unrated_clients_get_the_standardised_unrated_risk_weight() {
    let unrated = compute(&model(), &inputs("", "2026", figures(1_000_000, 0, 0, 10_000_000, 0))).expect("computes");
    // PD of the unrated grade (B), risk weight 100 % (not B's 150 %).
    assert_eq!(value(&unrated.score, "regulatory_capital"), "1050000.000000000");
    let mut sme = inputs("", "2026", figures(1_000_000, 0, 0, 10_000_000, 0));
    sme.sme = true;
    let sme = compute(&model(), &sme).expect("computes");
    assert_eq!(value(&sme.score, "regulatory_capital"), "892500.000000000");
    let rw = &component(&sme.score, "regulatory_capital").inputs[1];
    assert_eq!((rw.value.as_str(), rw.source.as_str()), ("0.850000000", "value model v1 unrated_sme_risk_weight"));
}

#[test]
fn foreign_currency_figures_are_converted_as_components() {
    // 1 000 000 HKD of interest at 0.917431 CNY per HKD.
    let mut i = inputs("BBB", "2026", figures(1_000_000, 0, 0, 0, 0));
    i.figures.currency = "HKD".into();
    let c = compute(&model(), &i).expect("computes");
    let converted = component(&c.score, "net_interest_income");
    assert_eq!((converted.value.as_str(), converted.unit.as_str()), ("917431.000000000", "CNY"));
    assert_eq!(converted.inputs[1].source, "value model v1 exchange_rates[HKD]");
    assert_eq!(value(&c.score, "revenue"), "917431.000000000");
    assert_eq!(c.score.recorded_currency, "HKD");
    assert_eq!(c.score.revenue.as_ref().map(|m| m.currency_code.as_str()), Some("CNY"));
}

#[test]
fn relationship_value_and_overlap_discount() {
    let mut i = inputs("A", "2026", figures(1_000_000, 200_000, 400_000, 20_000_000, 100_000));
    i.previous = Some((Period::parse("2025").expect("p"), figures(800_000, 200_000, 0, 0, 0)));
    i.group = GroupIncome { members_scored: 2, income: Dec::from_int(3_000_000) };
    i.access_rank = 2;
    let c = compute(&model(), &i).expect("computes");
    let s = &c.score;
    assert_eq!(value(s, "revenue_growth"), "200000.000000000");
    // 0.1 × 3 000 000 + 0.5 × 100 000 + 0.5 × 200 000
    assert_eq!(value(s, "relationship_value"), "450000.000000000");
    assert_eq!(value(s, "marginal_factor"), "0.666666667");
    assert_eq!(c.score.access_rank, 2);
    // An unrated client uses the model's unrated grade and says so.
    let unrated = compute(&model(), &inputs("", "2026", figures(1, 0, 0, 1_000, 0))).expect("computes");
    assert_eq!(unrated.score.credit_grade, "B");
    assert!(component(&unrated.score, "credit_grade").inputs[0].source.contains("unrated"));
}

#[test]
fn the_overlap_discount_touches_only_the_market_access_part() {
    let first = inputs("A", "2026", figures(1_000_000, 200_000, 400_000, 20_000_000, 0));
    let third = ScoreInputs { access_rank: 2, ..first.clone() };
    let unknown = ScoreInputs { access: String::new(), access_rank: 5, ..first.clone() };
    let (a, b, u) = (
        compute(&model(), &first).expect("first"),
        compute(&model(), &third).expect("third"),
        compute(&model(), &unknown).expect("unknown"),
    );
    // The client's own risk-adjusted profit is not discounted: same standalone score.
    assert_eq!(a.standalone, b.standalone);
    assert_eq!(a.standalone, u.standalone);
    // Only the access part is: 100 × 0.15 × (1 − 1 / (1 + 0.25 × 2)).
    assert_eq!(a.composite.minus(b.composite).map(|v| v.to_string()), Ok("5.000000000".to_owned()));
    assert_eq!(value(&b.score, "marginal_factor"), "0.666666667");
    // Unknown industry or region gives no access to credit, whatever the rank.
    assert_eq!(value(&u.score, "marginal_factor"), "0.000000000");
    assert_eq!((u.score.access_rank, u.composite), (0, u.standalone));
}

#[test]
fn a_client_without_capital_has_no_raroc_and_can_be_a_key_account() {
    // Fee-only: 10 100 000 fees, 100 000 cost, no exposure: EVA = RAI = 10 000 000 (a year).
    let c = compute(&model(), &inputs("BBB", "2026", figures(0, 10_100_000, 100_000, 0, 0))).expect("computes");
    let s = &c.score;
    assert!(s.raroc_not_applicable);
    assert!(component(s, "raroc").formula.starts_with("not applicable"));
    assert!(s.components.iter().all(|c| c.name != "raroc_part"), "no RAROC part");
    // The other weights scaled by 1 / (1 − 0.35): EVA part (10/11 → 0.954545454) × 0.35 / 0.65,
    // access 1 × 0.15 / 0.65. Counting a RAROC part of 0 instead would give 48.4 (MAINTAIN).
    assert_eq!(value(s, "eva_part"), "0.954545454");
    assert_eq!(value(s, "weight_scale"), "1.538461538");
    assert_eq!(value(s, "standalone_score"), "51.398601400");
    assert_eq!(value(s, "composite_score"), "74.475524500");
    assert_eq!(c.tier, Tier::KeyAccount);
    // A client with capital reports RAROC as applicable.
    let lender =
        compute(&model(), &inputs("BBB", "2026", figures(1_500_000, 0, 100_000, 1_000_000, 0))).expect("computes");
    assert!(!lender.score.raroc_not_applicable);
}

/// 0.5 + 0.5 × x / (|x| + scale).
fn excess_part(excess: Dec, scale: Dec) -> Result<Dec, crate::domain::decimal::Overflow> {
    let half = d("0.5");
    excess.abs().plus(scale).and_then(|v| excess.over(v)).and_then(|v| half.times(v)).and_then(|v| half.plus(v))
}

/// Recomputes one component from its displayed inputs alone.
fn recompute(c: &ScoreComponent) -> String {
    let i: HashMap<&str, Dec> =
        c.inputs.iter().filter_map(|x| Some((x.name.as_str(), Dec::parse(&x.value)?))).collect();
    let g = |name: &str| *i.get(name).unwrap_or_else(|| panic!("{} lacks input {name}", c.name));
    let floor0 = |v: Dec| if v.is_negative() { Dec::ZERO } else { v };
    if c.formula == "recorded_amount × exchange_rate" {
        return g("recorded_amount").times(g("exchange_rate")).expect("converts").to_string();
    }
    let r = match c.name.as_str() {
        "revenue" => g("net_interest_income").plus(g("fee_income")),
        "annualised_revenue" => g("revenue").times(g("annualisation_factor")),
        "annualised_cost_to_serve" => g("cost_to_serve").times(g("annualisation_factor")),
        "annualised_referred_income" => g("referred_income").times(g("annualisation_factor")),
        "credit_grade" | "tier" => return c.value.clone(),
        "exposure_after_collateral" => g("exposure_at_default").minus(g("collateral_value")).map(floor0),
        "expected_loss" => g("pd").times(g("lgd")).and_then(|v| v.times(g("exposure_after_collateral"))),
        "risk_adjusted_income" => {
            g("annualised_revenue").minus(g("annualised_cost_to_serve")).and_then(|v| v.minus(g("expected_loss")))
        }
        "regulatory_capital" => {
            g("exposure_after_collateral").times(g("risk_weight")).and_then(|v| v.times(g("capital_ratio")))
        }
        "raroc" if g("regulatory_capital").is_zero() => Ok(Dec::ZERO),
        "raroc" => g("risk_adjusted_income").over(g("regulatory_capital")),
        "capital_charge" => g("hurdle_rate").times(g("regulatory_capital")),
        "eva" => g("risk_adjusted_income").minus(g("capital_charge")),
        "revenue_growth" if c.inputs.is_empty() => Ok(Dec::ZERO),
        "revenue_growth" => g("annualised_revenue").minus(g("previous_annualised_revenue")).map(floor0),
        "previous_annualised_revenue" => g("previous_net_interest_income")
            .plus(g("previous_fee_income"))
            .and_then(|v| v.times(g("annualisation_factor"))),
        "group_income" => Ok(floor0(g("other_members_risk_adjusted_income"))),
        "relationship_value" => {
            let a = g("group_weight").times(g("group_income")).expect("a");
            let b = g("referral_weight").times(g("annualised_referred_income")).expect("b");
            let c2 = g("growth_weight").times(g("revenue_growth")).expect("c");
            a.plus(b).and_then(|v| v.plus(c2))
        }
        "marginal_factor" if c.inputs.is_empty() => Ok(Dec::ZERO),
        "marginal_factor" => g("portfolio_overlap_factor")
            .times(g("access_rank"))
            .and_then(|v| Dec::ONE.plus(v))
            .and_then(|v| Dec::ONE.over(v)),
        "raroc_part" => {
            let excess = g("raroc").minus(g("hurdle_rate")).expect("excess");
            excess_part(excess, g("hurdle_rate"))
        }
        "eva_part" => excess_part(g("eva"), g("value_scale")),
        "relationship_part" => {
            g("relationship_value").plus(g("value_scale")).and_then(|v| g("relationship_value").over(v))
        }
        "weight_scale" => Dec::ONE.minus(g("raroc_weight")).and_then(|v| Dec::ONE.over(v)),
        "access_weight" => g("weight_scale").times(g("score_weights_access")),
        "standalone_score" if i.contains_key("weight_scale") => {
            let e = g("eva_weight").times(g("eva_part")).expect("e");
            let l = g("relationship_weight").times(g("relationship_part")).expect("l");
            e.plus(l).and_then(|v| g("weight_scale").times(v)).and_then(|v| Dec::from_int(100).times(v))
        }
        "standalone_score" => {
            let w = g("raroc_weight").times(g("raroc_part")).expect("r");
            let e = g("eva_weight").times(g("eva_part")).expect("e");
            let l = g("relationship_weight").times(g("relationship_part")).expect("l");
            w.plus(e).and_then(|v| v.plus(l)).and_then(|v| Dec::from_int(100).times(v))
        }
        "composite_score" => g("access_weight")
            .times(g("marginal_factor"))
            .and_then(|v| Dec::from_int(100).times(v))
            .and_then(|v| g("standalone_score").plus(v)),
        other => panic!("unknown component {other}"),
    };
    r.expect("recomputes").to_string()
}

#[test]
fn every_component_recomputes_exactly_from_what_it_shows() {
    let mut rich = inputs("CCC", "2026-H1", figures(123_457, 9_876, 54_321, 7_654_321, 1_111));
    rich.previous = Some((Period::parse("2025-H2").expect("p"), figures(100_000, 3_333, 0, 0, 0)));
    rich.group = GroupIncome { members_scored: 3, income: d("-12345.678901234") };
    rich.access_rank = 3;
    let mut foreign = inputs("BB", "2026-Q2", figures(7_777_777, 123_456, 2_000_000, 99_999_999, 5));
    foreign.figures.currency = "JPY".into();
    foreign.previous =
        Some((Period::parse("2026-Q1").expect("p"), Figures { currency: "USD".into(), ..figures(1, 2, 3, 4, 5) }));
    let fee_only = inputs("AA", "2026-Q1", figures(0, 654_321, 123_456, 0, 7));
    for i in [rich, foreign, fee_only, inputs("BBB", "2026-Q3", figures(300_000, 100_000, 50_000, 10_000_000, 0))] {
        let score = compute(&model(), &i).expect("computes").score;
        let by_name: HashMap<&str, &str> =
            score.components.iter().map(|c| (c.name.as_str(), c.value.as_str())).collect();
        for c in &score.components {
            assert_eq!(recompute(c), c.value, "component {} does not recompute", c.name);
            for input in c.inputs.iter().filter(|x| x.source.starts_with("component ")) {
                let source = input.source.trim_start_matches("component ");
                assert_eq!(by_name.get(source).copied(), Some(input.value.as_str()), "{}.{}", c.name, input.name);
            }
        }
        // The headline fields are the components' values.
        let money = |m: &Option<crm_proto::google::r#type::Money>| {
            Dec::from_money(m.as_ref().expect("money")).expect("valid").to_string()
        };
        assert_eq!(money(&score.expected_loss), by_name["expected_loss"]);
        assert_eq!(money(&score.risk_adjusted_income), by_name["risk_adjusted_income"]);
        assert_eq!(money(&score.economic_capital), by_name["regulatory_capital"]);
        assert_eq!(money(&score.eva), by_name["eva"]);
        assert_eq!(money(&score.relationship_value), by_name["relationship_value"]);
        assert_eq!(
            Dec::from_f64(score.composite_score).map(|v| v.to_string()).as_deref(),
            Some(by_name["composite_score"])
        );
        assert_eq!(Dec::from_f64(score.raroc).map(|v| v.to_string()).as_deref(), Some(by_name["raroc"]));
    }
}
