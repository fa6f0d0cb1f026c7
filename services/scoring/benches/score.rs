//! Computing one client's value score (every component in exact decimals, with its inputs)
//! under the default value model.
//!
//! Calls `crm_scoring::domain::score::compute`, with `model::{default_model, validate}`,
//! `period::Period::parse`, `profitability::Figures` and `decimal::Dec::from_int`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crm_scoring::domain::{
    decimal::Dec,
    model::{default_model, validate},
    period::Period,
    profitability::Figures,
    score::{GroupIncome, ScoreInputs, compute},
};

fn figures(nii: i64, fee: i64, cost: i64, ead: i64) -> Figures {
    Figures {
        currency: "CNY".into(),
        net_interest_income: Dec::from_int(nii),
        fee_income: Dec::from_int(fee),
        cost_to_serve: Dec::from_int(cost),
        exposure_at_default: Dec::from_int(ead),
        referred_income: Dec::ZERO,
        ..Default::default()
    }
}

fn score(c: &mut Criterion) {
    let mut model = validate(&default_model()).expect("the default model is valid");
    model.version = 1;
    let period = Period::parse("2026-Q3").expect("period");
    let alone = ScoreInputs {
        client_id: "c1".into(),
        credit_grade: "BBB".into(),
        sme: false,
        period,
        figures: figures(300_000, 100_000, 50_000, 10_000_000),
        previous: None,
        group: GroupIncome::default(),
        access: "64×East China".into(),
        access_rank: 0,
    };
    // With a previous period (growth) and a scored group (relationship value).
    let in_group = ScoreInputs {
        previous: Some((period.previous(), figures(250_000, 90_000, 48_000, 9_000_000))),
        group: GroupIncome { members_scored: 3, income: Dec::from_int(2_400_000) },
        access_rank: 2,
        ..alone.clone()
    };
    c.bench_function("score/compute/single_client", |b| {
        b.iter(|| compute(&model, black_box(&alone)).expect("computes"))
    });
    c.bench_function("score/compute/group_member_with_history", |b| {
        b.iter(|| compute(&model, black_box(&in_group)).expect("computes"))
    });
}

criterion_group!(benches, score);
criterion_main!(benches);
