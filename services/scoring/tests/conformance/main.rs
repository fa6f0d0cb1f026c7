//! Scoring conformance: every scenario runs against SQLite and PostgreSQL through the real
//! gRPC servers (a real profile service included), as a client would use them.

mod models;
mod portfolio;
mod profitability;
mod support;

use crm_kit::auth::Role;
use crm_proto::crm::scoring::v1::{
    GetValueScoreRequest, ListValueScoresRequest, ScoreClientRequest, Tier, WatchChangesRequest,
};
use std::time::Duration;

use support::{TestApp, component, conformance, eventually, reason};
use tonic::Code;

conformance!(recorded_profitability_scores_to_hand_computed_values, async |app: &TestApp| {
    let client = app.client("Jinhai Trading", "rm-1", "BBB", "4690", "East China", "").await;
    app.record(&client, "2026-Q3", 300_000, 100_000, 50_000, 10_000_000).await;
    let score = app.score(&client).await;
    // Q3 × 4: revenue 1 600 000, cost 200 000; EL = 0.0025 × 0.45 × 10 000 000 = 11 250.
    let units =
        |m: &Option<crm_proto::google::r#type::Money>| m.as_ref().map(|m| (m.units, m.nanos, m.currency_code.clone()));
    assert_eq!(units(&score.expected_loss), Some((11_250, 0, "CNY".into())));
    assert_eq!(units(&score.risk_adjusted_income), Some((1_388_750, 0, "CNY".into())));
    // Regulatory capital 10 000 000 × 75 % × 10.5 %.
    assert_eq!(units(&score.economic_capital), Some((787_500, 0, "CNY".into())));
    assert_eq!(units(&score.eva), Some((1_294_250, 0, "CNY".into())));
    assert_eq!(component(&score, "raroc"), "1.763492063");
    assert_eq!(component(&score, "composite_score"), "76.181415900");
    assert_eq!((score.tier, score.model_version, score.period.as_str()), (Tier::KeyAccount as i32, 1, "2026-Q3"));
    assert_eq!((score.credit_grade.as_str(), score.annualisation_factor), ("BBB", 4));
    assert!(score.score_time.is_some());

    // Every role reads it; a contact-centre agent sees the tier but no money.
    let name = format!("{client}/valueScore");
    let mut agent = app.scoring_as(Role::ContactCentreAgent, "cc-1", None);
    let seen = agent
        .get_value_score(GetValueScoreRequest { name: name.clone(), read_time: None })
        .await
        .expect("read")
        .into_inner();
    assert!(seen.money_withheld && seen.components.is_empty() && seen.eva.is_none());
    assert_eq!((seen.tier, seen.composite_score), (score.tier, score.composite_score));
    let mut marketing = app.scoring_as(Role::MarketingAnalyst, "mk-1", None);
    let full =
        marketing.get_value_score(GetValueScoreRequest { name, read_time: None }).await.expect("read").into_inner();
    assert_eq!(full, score);
});

conformance!(scoring_needs_rights_a_client_and_its_profitability, async |app: &TestApp| {
    let client = app.client("Nanfeng Foods", "rm-1", "A", "1079", "South China", "").await;
    let score = |name: &str| ScoreClientRequest { name: format!("{name}/valueScore") };
    let err = app.analyst().score_client(score(&client)).await.expect_err("nothing recorded");
    assert_eq!((err.code(), reason(&err).as_str()), (Code::FailedPrecondition, "NO_PROFITABILITY"));
    let err = app.analyst().score_client(score("clients/made-up")).await.expect_err("no such client");
    assert_eq!(err.code(), Code::NotFound);
    let err = app.rm("rm-2").score_client(score(&client)).await.expect_err("not in portfolio");
    assert_eq!((err.code(), reason(&err).as_str()), (Code::PermissionDenied, "NOT_IN_PORTFOLIO"));
    let err =
        app.scoring_as(Role::MarketingAnalyst, "mk-1", None).score_client(score(&client)).await.expect_err("role");
    assert_eq!(err.code(), Code::PermissionDenied);
    app.record(&client, "2026-10", 20_000, 5_000, 1_000, 2_000_000).await;
    let mine = app.rm("rm-1").score_client(score(&client)).await.expect("own portfolio").into_inner();
    assert_eq!(mine.period, "2026-10");
});

conformance!(an_as_of_read_returns_the_score_before_a_rescore, async |app: &TestApp| {
    let client = app.client("Yangtze Shipping", "rm-1", "BB", "5012", "Central China", "").await;
    app.record(&client, "2026-Q2", 200_000, 50_000, 40_000, 8_000_000).await;
    let first = app.score(&client).await;
    let again = app.score(&client).await;
    assert_eq!(again.score_time, first.score_time, "an unchanged score is not stored again");
    app.record(&client, "2026-Q3", 50_000, 10_000, 60_000, 8_000_000).await;
    let second = app.score(&client).await;
    assert_eq!(second.period, "2026-Q3");
    assert_ne!(second.composite_score, first.composite_score);

    let name = format!("{client}/valueScore");
    let read = |read_time| GetValueScoreRequest { name: name.clone(), read_time };
    let now = app.admin().get_value_score(read(None)).await.expect("current").into_inner();
    assert_eq!(now, second);
    let then = app.admin().get_value_score(read(first.score_time)).await.expect("as of").into_inner();
    assert_eq!(then, first);
    let before = first.score_time.map(|t| prost_types::Timestamp { seconds: t.seconds - 60, nanos: 0 });
    let err = app.admin().get_value_score(read(before)).await.expect_err("not scored yet then");
    assert_eq!(err.code(), Code::NotFound);
});

conformance!(list_orders_by_composite_score_and_filters_by_tier, async |app: &TestApp| {
    let mut expected = Vec::new();
    for (i, (fee, cost)) in
        [(100_000, 50_000), (10_000, 9_000), (60_000, 40_000), (1_000, 30_000)].into_iter().enumerate()
    {
        let client = app.client(&format!("Client {i}"), "rm-1", "BBB", "6419", &format!("Region {i}"), "").await;
        app.record(&client, "2026-Q3", 20_000, fee, cost, 1_000_000).await;
        let score = app.score(&client).await;
        expected.push((score.composite_score, score.client.clone(), score.tier));
    }
    expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut listed = Vec::new();
    let mut token = String::new();
    loop {
        let request = ListValueScoresRequest { page_size: 1, page_token: token.clone(), ..Default::default() };
        let page = app
            .scoring_as(Role::MarketingAnalyst, "mk-1", None)
            .list_value_scores(request)
            .await
            .expect("page")
            .into_inner();
        listed.extend(page.value_scores.into_iter().map(|s| (s.composite_score, s.client, s.tier)));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
        let wrong = ListValueScoresRequest {
            page_size: 1,
            page_token: token.clone(),
            tier: Tier::Grow as i32,
            ..Default::default()
        };
        let err = app.admin().list_value_scores(wrong).await.expect_err("token of another query");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
    assert_eq!(listed, expected, "highest composite score first, every score once");
    let tier = expected[0].2;
    let only = app
        .admin()
        .list_value_scores(ListValueScoresRequest { tier, ..Default::default() })
        .await
        .expect("filtered")
        .into_inner();
    let want: Vec<_> = expected.iter().filter(|e| e.2 == tier).map(|e| e.1.clone()).collect();
    assert_eq!(only.value_scores.iter().map(|s| s.client.clone()).collect::<Vec<_>>(), want);
    assert!(expected.iter().any(|e| e.2 != tier), "the filter must exclude something");
});

conformance!(watch_changes_delivers_score_changes, async |app: &TestApp| {
    let err = app.rm("rm-1").watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect_err("role");
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut feed = app.changes().await;
    let client = app.client("Pearl River Textiles", "rm-1", "B", "1311", "South China", "").await;
    app.record(&client, "2026-Q3", 80_000, 20_000, 30_000, 3_000_000).await;
    let score = app.score(&client).await;
    let event = tokio::time::timeout(std::time::Duration::from_secs(10), feed.message())
        .await
        .expect("event in time")
        .expect("stream ok")
        .expect("an event");
    assert!(event.sequence > 0);
    assert_eq!((event.client.as_str(), event.resource), (client.as_str(), format!("{client}/valueScore")));
    assert_eq!(event.value_score, Some(score));
});

conformance!(clients_with_the_same_access_discount_each_other_and_groups_add_value, async |app: &TestApp| {
    let parent = app.client("Huaxia Holdings", "rm-1", "A", "6420", "North China", "").await;
    app.record(&parent, "2026", 3_000_000, 1_000_000, 1_000_000, 10_000_000).await;
    let first = app.score(&parent).await;
    assert_eq!(first.tier, Tier::KeyAccount as i32);
    assert_eq!((component(&first, "marginal_factor").as_str(), first.access_rank), ("1.000000000", 0));
    // A subsidiary in the same industry division and region that earns far less: it ranks second,
    // and its access part is discounted, 1 / (1 + 0.25 × 1), not its own risk-adjusted profit.
    let sub = app.client("Huaxia Leasing", "rm-1", "A", "6491", "north china", &parent).await;
    app.record(&sub, "2026", 500_000, 1_000_000, 1_000_000, 10_000_000).await;
    let second = app.score(&sub).await;
    assert_eq!((component(&second, "marginal_factor").as_str(), second.access_rank), ("0.800000000", 1));
    let parent_now = app
        .admin()
        .get_value_score(GetValueScoreRequest { name: format!("{parent}/valueScore"), read_time: None })
        .await
        .expect("parent score")
        .into_inner();
    assert_eq!((component(&parent_now, "marginal_factor").as_str(), parent_now.access_rank), ("1.000000000", 0));
    assert!(parent_now.composite_score > second.composite_score);
    // The parent's risk-adjusted income counts for the subsidiary: 0.1 × RAI of the parent.
    let rai = first.risk_adjusted_income.as_ref().map_or(0, |m| m.units);
    assert_eq!(component(&second, "group_income"), format!("{rai}.000000000"));
    assert_eq!(second.relationship_value.as_ref().map(|m| m.units), Some(rai / 10));
    // The parent, scored before the subsidiary, is rescored with the subsidiary's income, so
    // scoring it again later moves nothing.
    let sub_rai = second.risk_adjusted_income.as_ref().map_or(0, |m| m.units);
    let parent_name = parent.as_str();
    let updated =
        eventually("the parent to count its subsidiary's income", Duration::from_secs(20), move || async move {
            let now = app
                .admin()
                .get_value_score(GetValueScoreRequest { name: format!("{parent_name}/valueScore"), read_time: None })
                .await
                .expect("parent score")
                .into_inner();
            (component(&now, "group_income") == format!("{sub_rai}.000000000")).then_some(now)
        })
        .await;
    assert_eq!(app.score(&parent).await, updated, "rescoring an unchanged client moves nothing");
});
