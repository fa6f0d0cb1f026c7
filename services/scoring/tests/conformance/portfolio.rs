//! Beyond one client: loan pricing, group roll-ups, whole-portfolio runs, and rescoring
//! when the profile changes.

use std::time::Duration;

use crm_kit::auth::Role;
use crm_proto::crm::{
    profile::v1::{Client, DeleteClientRequest, UpdateClientRequest},
    scoring::v1::{
        GetGroupValueRequest, GetScoringRunRequest, GetValueScoreRequest, QuoteLoanPriceRequest, ScorePortfolioRequest,
        ScoringRun, ScoringRunState, Tier, ValueScore,
    },
};
use prost_types::FieldMask;
use tonic::Code;

use super::support::{TestApp, cny, component, conformance, eventually, violations};

fn quote(client: &str) -> QuoteLoanPriceRequest {
    QuoteLoanPriceRequest {
        client: client.into(),
        amount: cny(10_000_000),
        tenor_months: 36,
        funding_cost_rate: 0.025,
        operating_cost_rate: 0.004,
        lgd: None,
        margin_rate: None,
    }
}

conformance!(loan_quotes_show_every_term_of_the_rate, async |app: &TestApp| {
    let client = app.client("Harbin Machinery", "rm-1", "BBB", "2822", "Northeast", "").await;
    let q = app.rm("rm-7").quote_loan_price(quote(&client)).await.expect("quote").into_inner();
    // 0.025 + 0.003 (36 months) + 0.0025 × 0.45 + 0.75 × 0.105 × (0.12 − 0.028) + 0.004,
    // then the model's 0.005 margin.
    let term = |name: &str| q.terms.iter().find(|t| t.name == name).map(|t| t.value.clone()).unwrap_or_default();
    assert_eq!(term("term_funding_premium"), "0.003000000");
    assert_eq!(term("expected_loss_rate"), "0.001125000");
    assert_eq!(term("capital_charge_rate"), "0.007245000");
    assert_eq!(term("floor_rate"), "0.040370000");
    assert_eq!(term("rate"), "0.045370000");
    assert!((q.rate - 0.04537).abs() < 1e-12 && (q.floor_rate - 0.04037).abs() < 1e-12);
    assert!((q.margin_rate - 0.005).abs() < 1e-12);
    assert_eq!(q.annual_interest.as_ref().map(|m| m.units), Some(453_700));
    // A longer tenor costs more: the term funding premium.
    let long = QuoteLoanPriceRequest { tenor_months: 120, ..quote(&client) };
    let long = app.rm("rm-7").quote_loan_price(long).await.expect("quote").into_inner();
    assert!(long.rate > q.rate, "{} vs {}", long.rate, q.rate);
    assert_eq!((q.credit_grade.as_str(), q.model_version), ("BBB", 1));

    let mut bad = quote(&client);
    bad.tenor_months = 0;
    bad.lgd = Some(1.2);
    let err = app.analyst().quote_loan_price(bad).await.expect_err("bad terms");
    assert_eq!(violations(&err), ["lgd", "tenor_months"]);
    let err = app.analyst().quote_loan_price(quote("clients/made-up")).await.expect_err("no client");
    assert_eq!(err.code(), Code::NotFound);
    let agent = app.scoring_as(Role::ContactCentreAgent, "cc-1", None);
    assert_eq!(agent.clone().quote_loan_price(quote(&client)).await.expect_err("role").code(), Code::PermissionDenied);
});

conformance!(group_value_rolls_up_member_scores, async |app: &TestApp| {
    let parent = app.client("Dragon Group", "rm-1", "AA", "6420", "East China", "").await;
    let sub = app.client("Dragon Logistics", "rm-1", "BB", "5229", "East China", &parent).await;
    let unscored = app.client("Dragon Realty", "rm-1", "BBB", "6810", "East China", &sub).await;
    app.record(&parent, "2026", 2_000_000, 500_000, 400_000, 20_000_000).await;
    app.record(&sub, "2026-Q3", 100_000, 20_000, 30_000, 4_000_000).await;
    let a = app.score(&parent).await;
    let b = app.score(&sub).await;
    let value = app
        .scoring_as(Role::KeyAccountManager, "kam-1", None)
        .get_group_value(GetGroupValueRequest { name: format!("{unscored}/groupValue") })
        .await
        .expect("group")
        .into_inner();
    assert_eq!(value.ultimate_parent, parent);
    assert_eq!((value.scored_member_count, value.unscored_member_count), (2, 1));
    let members: Vec<_> = value.members.iter().map(|m| (m.client.clone(), m.depth, m.scored)).collect();
    assert_eq!(members, [(parent.clone(), 0, true), (sub.clone(), 1, true), (unscored.clone(), 2, false)]);
    let units = |m: &Option<crm_proto::google::r#type::Money>| m.as_ref().map_or(0, |m| m.units);
    assert_eq!(units(&value.risk_adjusted_income), units(&a.risk_adjusted_income) + units(&b.risk_adjusted_income));
    assert_eq!(units(&value.economic_capital), units(&a.economic_capital) + units(&b.economic_capital));
    // Annualised revenue: 2 500 000 × 1 + 120 000 × 4.
    assert_eq!(units(&value.annualised_revenue), 2_980_000);
    let best = [a.tier, b.tier].into_iter().min().unwrap_or_default();
    assert_eq!(value.best_tier, best);

    let agent = app.scoring_as(Role::ContactCentreAgent, "cc-1", None);
    let seen = agent.clone().get_group_value(GetGroupValueRequest { name: format!("{parent}/groupValue") }).await;
    let seen = seen.expect("agents read the group").into_inner();
    assert!(seen.money_withheld && seen.eva.is_none() && seen.members.iter().all(|m| m.eva.is_none()));
    assert_eq!(seen.best_tier, best);
});

/// Polls a run until it ends (bounded); a run that cannot be read fails the test at once.
async fn finished(app: &TestApp, run: &ScoringRun) -> ScoringRun {
    let request = &GetScoringRunRequest { name: run.name.clone() };
    eventually("the run to end", Duration::from_secs(30), move || async move {
        let now = app.analyst().get_scoring_run(request.clone()).await.expect("run").into_inner();
        (now.state != ScoringRunState::Running as i32).then_some(now)
    })
    .await
}

conformance!(a_portfolio_run_scores_every_client_with_profitability, async |app: &TestApp| {
    let mut clients = Vec::new();
    for i in 0..3 {
        let client = app.client(&format!("Portfolio {i}"), "rm-1", "BBB", "4690", &format!("Area {i}"), "").await;
        app.record(&client, "2026-Q3", 50_000 * (i + 1), 10_000, 20_000, 2_000_000).await;
        clients.push(client);
    }
    app.client("No Figures Yet", "rm-1", "A", "4690", "Area 9", "").await;
    let err = app.rm("rm-1").score_portfolio(ScorePortfolioRequest {}).await.expect_err("role");
    assert_eq!(err.code(), Code::PermissionDenied);

    let run = app.admin().score_portfolio(ScorePortfolioRequest {}).await.expect("started").into_inner();
    assert!(run.name.starts_with("scoringRuns/"));
    assert_eq!(run.total_count, 3);
    let done = finished(app, &run).await;
    assert_eq!(done.state, ScoringRunState::Succeeded as i32, "{}", done.error);
    assert_eq!((done.processed_count, done.scored_count, done.skipped_count, done.failed_count), (3, 3, 1, 0));
    assert_eq!(done.fraction_done, 1.0);
    for client in &clients {
        let name = format!("{client}/valueScore");
        let score = app.admin().get_value_score(GetValueScoreRequest { name, read_time: None }).await.expect("scored");
        assert_ne!(score.into_inner().tier, Tier::Unspecified as i32);
    }
    let again = app.analyst().score_portfolio(ScorePortfolioRequest {}).await.expect("second run").into_inner();
    let again = finished(app, &again).await;
    assert_eq!((again.scored_count, again.unchanged_count), (0, 3), "nothing changed since the first run");
    let err =
        app.admin().get_scoring_run(GetScoringRunRequest { name: "scoringRuns/nope".into() }).await.expect_err("none");
    assert_eq!(err.code(), Code::NotFound);
});

conformance!(a_credit_grade_change_in_the_profile_rescores_the_client, async |app: &TestApp| {
    let mut feed = app.changes().await;
    let next = async |feed: &mut tonic::Streaming<crm_proto::crm::scoring::v1::ChangeEvent>| {
        tokio::time::timeout(Duration::from_secs(20), feed.message())
            .await
            .expect("event in time")
            .expect("ok")
            .expect("event")
    };
    let client = app.client("Tianjin Ports", "rm-1", "A", "5222", "North China", "").await;
    app.record(&client, "2026-Q3", 200_000, 50_000, 60_000, 6_000_000).await;
    let first = app.score(&client).await;
    assert_eq!(next(&mut feed).await.value_score.map(|s| s.credit_grade), Some("A".into()));

    let patch = Client { name: client.clone(), credit_grade: "CCC".into(), ..Default::default() };
    let mask = Some(FieldMask { paths: vec!["credit_grade".into()] });
    app.profile()
        .update_client(UpdateClientRequest { client: Some(patch), update_mask: mask })
        .await
        .expect("downgraded");
    let event = next(&mut feed).await;
    let rescored = event.value_score.expect("score");
    assert_eq!((event.client.as_str(), rescored.credit_grade.as_str()), (client.as_str(), "CCC"));
    // EL = PD × 0.45 × 6 000 000: A (0.001) gives 2 700, CCC (0.10) gives 270 000.
    assert_eq!(component(&first, "expected_loss"), "2700.000000000");
    assert_eq!(component(&rescored, "expected_loss"), "270000.000000000");
    assert!(rescored.composite_score < first.composite_score);
});

/// How long the profile-feed follower may take to act on a profile change.
const FOLLOWER: Duration = Duration::from_secs(20);

async fn set_client(app: &TestApp, patch: Client, field: &str) {
    let mask = Some(FieldMask { paths: vec![field.into()] });
    app.profile().update_client(UpdateClientRequest { client: Some(patch), update_mask: mask }).await.expect("updated");
}

conformance!(a_score_from_inputs_read_before_a_newer_score_is_not_stored_over_it, async |app: &TestApp| {
    use crm_scoring::{
        ScoringStore,
        store::{NewScore, WriteCtx},
    };
    let client = app.client("Shenzhen Optics", "rm-1", "BBB", "2670", "South China", "").await;
    app.record(&client, "2026-Q3", 300_000, 100_000, 50_000, 10_000_000).await;
    // ScoreClient read grade BBB and computed this score (stored revision 1 seen).
    let bbb = app.score(&client).await;
    let read = &|| GetValueScoreRequest { name: format!("{client}/valueScore"), read_time: None };
    // The grade becomes CCC and the profile-feed follower stores the CCC score (revision 2).
    set_client(app, Client { name: client.clone(), credit_grade: "CCC".into(), ..Default::default() }, "credit_grade")
        .await;
    let ccc = eventually("the follower's CCC score", FOLLOWER, move || async move {
        let now = app.admin().get_value_score(read()).await.expect("read").into_inner();
        (now.credit_grade == "CCC").then_some(now)
    })
    .await;
    // Then the BBB score computed before arrives: it must not overwrite the CCC one.
    let store = ScoringStore::new(app.scoring_db.clone());
    let principal = crm_kit::auth::Principal::system("conformance");
    let ctx = WriteCtx::internal(&principal, "ScoreClient", "");
    let late = |seen_revision| NewScore {
        score: bbb.clone(),
        composite: 80_000_000_000,
        tier: Tier::try_from(bbb.tier).expect("tier"),
        standalone: 0,
        access_rank: 0,
        access: "26|south china".into(),
        profile_grade: "BBB".into(),
        parent: String::new(),
        seen_revision,
    };
    let err = store.save_score(ctx, late(Some(1))).await.expect_err("stale revision");
    assert_eq!(err.code(), Code::Aborted);
    let err = store.save_score(ctx, late(None)).await.expect_err("a score was stored meanwhile");
    assert_eq!(err.code(), Code::Aborted);
    assert_eq!(app.admin().get_value_score(read()).await.expect("read").into_inner(), ccc, "CCC score kept");
    // A ScoreClient now answers the current score, not an error.
    assert_eq!(app.score(&client).await, ccc);
    // With the revision it saw current, a writer does store.
    let (stored, changed) = store.save_score(ctx, late(Some(2))).await.expect("current revision");
    assert!(changed);
    assert_eq!(stored.credit_grade, "BBB");
});

async fn current(app: &TestApp, client: &str) -> ValueScore {
    let name = format!("{client}/valueScore");
    app.admin().get_value_score(GetValueScoreRequest { name, read_time: None }).await.expect("score").into_inner()
}

conformance!(market_access_is_ranked_by_the_portfolio_not_by_the_scoring_order, async |app: &TestApp| {
    // Two cells of five clients with the same figures: k = 1..5 raises both EVA and RAROC.
    let (mut east, mut west) = (Vec::new(), Vec::new());
    for k in 1..=5 {
        for (cell, region) in [(&mut east, "East China"), (&mut west, "West China")] {
            let client = app.client(&format!("{region} Foods {k}"), "rm-1", "BBB", "1071", region, "").await;
            app.record(&client, "2026", 300_000 * k, 100_000, 300_000, 100_000_000).await;
            cell.push(client);
        }
    }
    // East is scored worst first (each newcomer moves the others down), West best first.
    for client in &east {
        app.score(client).await;
    }
    for client in west.iter().rev() {
        app.score(client).await;
    }
    // The neighbours a newcomer moved down are re-ranked in the background.
    let (east_ref, west_ref) = (&east, &west);
    let settled = eventually("both cells to be ranked alike", FOLLOWER, move || async move {
        let mut pairs = Vec::new();
        for (e, w) in east_ref.iter().zip(west_ref) {
            let (e, w) = (current(app, e).await, current(app, w).await);
            if (e.composite_score, e.tier) != (w.composite_score, w.tier) {
                return None;
            }
            pairs.push(e);
        }
        Some(pairs)
    })
    .await;
    let mut tiers = Vec::new();
    for (k, e) in settled.iter().enumerate() {
        assert_eq!(e.access_rank, 4 - i32::try_from(k).expect("small"), "ranked by the portfolio");
        tiers.push(e.tier);
    }
    // A better client (higher EVA and RAROC) in the same cell is never in a lower tier.
    assert!(tiers.windows(2).all(|w| w[1] <= w[0]), "tiers by k: {tiers:?}");
    // Rescoring an unchanged client stores nothing and moves nothing.
    for client in &east {
        let before = current(app, client).await;
        assert_eq!(app.score(client).await, before);
    }
});

conformance!(moved_and_deleted_clients_leave_their_access_cell, async |app: &TestApp| {
    let rank = |s: &ValueScore| (s.access_rank, component(s, "marginal_factor"));
    let scored = async |name: &str, industry: &str, nii: i64| {
        let client = app.client(name, "rm-1", "A", industry, "North China", "").await;
        app.record(&client, "2026", nii, 1_000_000, 1_000_000, 10_000_000).await;
        app.score(&client).await;
        client
    };
    let peer = scored("Bohai Alloys", "2420", 1_000_000).await;
    let peer = peer.as_str();
    let moved = scored("Bohai Steel", "2410", 4_000_000).await;
    eventually("one better client in 24|north china", FOLLOWER, move || async move {
        (rank(&current(app, peer).await) == (1, "0.800000000".into())).then_some(())
    })
    .await;

    // The better client moves to another region: the peer is first in its cell again.
    set_client(app, Client { name: moved.clone(), region: "South China".into(), ..Default::default() }, "region").await;
    eventually("the moved client to leave the cell", FOLLOWER, move || async move {
        (rank(&current(app, peer).await) == (0, "1.000000000".into())).then_some(())
    })
    .await;

    // A better newcomer ranks ahead of the peer; once deleted, it no longer does.
    let deleted = scored("Bohai Wire", "2431", 4_000_000).await;
    eventually("the newcomer to rank ahead", FOLLOWER, move || async move {
        (rank(&current(app, peer).await) == (1, "0.800000000".into())).then_some(())
    })
    .await;
    app.profile()
        .delete_client(DeleteClientRequest { name: deleted.clone(), etag: String::new() })
        .await
        .expect("deleted");
    eventually("the deleted client to leave the cell", FOLLOWER, move || async move {
        (rank(&current(app, peer).await) == (0, "1.000000000".into())).then_some(())
    })
    .await;
});
