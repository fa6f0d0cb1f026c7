//! Conformance across services: value scores reach segmentation through the real scoring
//! service's change feed (recorded and scored over its gRPC API), and move clients between
//! segments whose rules read them.

use std::ops::Deref;

use crm_kit::auth::Role;
use crm_proto::{
    crm::{
        profile::v1::Client,
        scoring::v1::{ProfitabilityRecord, RecordProfitabilityRequest, ScoreClientRequest, Tier, ValueScore},
        segmentation::v1::{EvaluateTargetMarketsRequest, GetSchemeReportRequest},
    },
    google::r#type::Money,
};

use crate::{
    activate, at, create_client, keyed_plan, new_client, segments_of,
    support::{self, Backend, conformance, eventually},
};

/// The suite with the scoring service running too (the scenarios below start it as
/// `TestApp`); everything else is the plain suite's.
pub struct TestApp(support::TestApp);

impl TestApp {
    async fn spawn(backend: Backend) -> Self {
        Self(support::TestApp::spawn_with_scoring(backend).await)
    }

    async fn finish(self) {
        self.0.finish().await;
    }
}

impl Deref for TestApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.0
    }
}

fn cny(units: i64) -> Option<Money> {
    Some(Money { currency_code: "CNY".into(), units, nanos: 0 })
}

/// Records a quarter's profitability of `client` (exposure 10 000 000) and scores it, over
/// the scoring service's API.
async fn score(app: &TestApp, client: &str, period: &str, interest: i64, fees: i64, cost: i64) -> ValueScore {
    let record = ProfitabilityRecord {
        client: client.into(),
        period: period.into(),
        net_interest_income: cny(interest),
        fee_income: cny(fees),
        cost_to_serve: cny(cost),
        exposure_at_default: cny(10_000_000),
        source: "test".into(),
        ..Default::default()
    };
    let request = RecordProfitabilityRequest { record: Some(record) };
    app.scoring_as(Role::Admin, "admin-1").record_profitability(request).await.expect("recorded");
    let request = ScoreClientRequest { name: format!("{client}/valueScore") };
    app.scoring_as(Role::RiskAnalyst, "ra-1").score_client(request).await.expect("scored").into_inner()
}

conformance!(a_score_from_the_scoring_service_moves_the_client_between_segments, async |app: &TestApp| {
    // With a region, the client's industry × region market access counts in its score.
    let client = Client {
        credit_grade: "BBB".into(),
        region: "London".into(),
        ..new_client("Jinhai Trading", "R7", "4711", 300_000)
    };
    let client = create_client(app, client).await;
    crate::wait_for_projection(app, 1, 0.0).await;
    let (scheme, _) = activate(app, keyed_plan()).await;
    assert_eq!(segments_of(app, &client, None).await, [at("unassigned", 1)]);

    let scored = score(app, &client, "2026-Q3", 300_000, 100_000, 50_000).await;
    assert_eq!(scored.tier, Tier::KeyAccount as i32);
    eventually("the score to move the client into the key segment", || async {
        (segments_of(app, &client, None).await == [at("key", 1)]).then_some(())
    })
    .await;
    let request = GetSchemeReportRequest { name: scheme.name.clone(), max_staleness: None };
    let report = app.analyst().get_scheme_report(request).await.expect("report").into_inner();
    let key = report.segments.iter().find(|s| s.segment.ends_with("/key")).expect("key segment");
    // The quarter's revenue annualised: (300 000 + 100 000) × 4.
    let revenue = key.total_revenue.as_ref().map(|m| (m.units, m.currency_code.as_str()));
    assert_eq!(revenue, Some((1_600_000, "CNY")));
    assert_eq!((key.member_count, key.scored_count, key.mean_value), (1, 1, scored.composite_score));

    // The next quarter makes a loss: the rescore moves the client out again.
    let rescored = score(app, &client, "2026-Q4", 1_000, 0, 50_000).await;
    assert_ne!(rescored.tier, Tier::KeyAccount as i32);
    eventually("the rescore to move the client out of the key segment", || async {
        (segments_of(app, &client, None).await == [at("unassigned", 1)]).then_some(())
    })
    .await;
});

conformance!(substance_and_return_come_from_risk_adjusted_figures_and_growth_from_history, async |app: &TestApp| {
    let scored =
        create_client(app, Client { credit_grade: "A".into(), ..new_client("Jinhai", "R7", "4711", 300_000) }).await;
    let unscored = create_client(app, new_client("Quiet", "R8", "2410", 20_000_000)).await;
    crate::wait_for_projection(app, 2, 0.0).await;
    let mut scheme = crate::plan();
    scheme.segments.insert(0, crate::seg("retail", r#"client.industry_code.startsWith("47")"#, vec![]));
    let (scheme, _) = activate(app, scheme).await;
    assert_eq!(segments_of(app, &unscored, None).await, [at("large", 1)]);

    // Two comparable quarters: revenue 400 000 after 320 000 (+25 %).
    score(app, &scored, "2026-Q2", 220_000, 100_000, 50_000).await;
    let latest = score(app, &scored, "2026-Q3", 300_000, 100_000, 50_000).await;
    let request = GetSchemeReportRequest { name: scheme.name.clone(), max_staleness: None };
    let report = eventually("the second score to reach the report", || async {
        let report = app.analyst().get_scheme_report(request.clone()).await.expect("report").into_inner();
        let retail = report.segments.iter().find(|s| s.segment.ends_with("/retail")).expect("retail");
        (retail.total_revenue.as_ref().map(|m| m.units) == Some(1_600_000)).then_some(report)
    })
    .await;
    let quality = |id: &str| report.segments.iter().find(|s| s.segment.ends_with(&format!("/{id}"))).expect(id);
    let retail = quality("retail");
    let rai = latest.risk_adjusted_income.as_ref().map(|m| m.units);
    assert_eq!(retail.total_risk_adjusted_income.as_ref().map(|m| m.units), rai);
    assert!(retail.substantial, "{}", retail.substantial_reason);
    let large = quality("large");
    assert!(!large.substantial, "members without value scores show no risk-adjusted income");
    assert!(large.substantial_reason.contains("no risk-adjusted income"), "{}", large.substantial_reason);

    let request = EvaluateTargetMarketsRequest { name: scheme.name.clone(), ..Default::default() };
    let reply = app.analyst().evaluate_target_markets(request).await.expect("evaluate").into_inner();
    let retail = reply.evaluations.iter().find(|e| e.segment.ends_with("/retail")).expect("retail");
    let profit = retail.profit.as_ref().expect("profit");
    let input = |name: &str| profit.inputs.iter().find(|i| i.name == name).map(|i| i.value);
    // g = 0.25: ½ + ½ · 0.25 / 0.35.
    let growth = input("growth").expect("growth from the previous quarter");
    assert!((growth - (0.5 + 0.5 * 0.25 / 0.35)).abs() < 1e-6, "{growth}");
    assert!(input("return").is_some_and(|r| r > 0.5), "EVA above zero");
    let large = reply.evaluations.iter().find(|e| e.segment.ends_with("/large")).expect("large");
    assert!(large.confidence < retail.confidence, "no scores: lower confidence");
    assert!(large.missing_inputs.iter().any(|m| m.starts_with("return")));
});
