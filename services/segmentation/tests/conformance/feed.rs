//! Conformance: memberships follow the profile's change feed; history and retirement.

use crm_kit::{
    auth::{Principal, Role},
    call::WriteCtx,
};
use crm_proto::{
    crm::{
        profile::v1::{
            Client, ClientImport, DeleteClientRequest, GetClientRequest, Holding, ImportClientsRequest, ProductLine,
            UpdateClientRequest,
        },
        segmentation::v1::{
            GetClientSegmentsRequest, GetSchemeReportRequest, QualityThresholds, RetireSchemeRequest, SchemeState,
        },
    },
    google::r#type::Money,
};
use crm_segmentation::{SegmentationStore, domain::view::ValueFacts};
use prost_types::FieldMask;

use crate::{
    activate, at, create_client, new_client, plan, portfolio, segments_of,
    support::{TestApp, conformance, eventually},
};

fn now() -> prost_types::Timestamp {
    crm_kit::time::to_timestamp(crm_kit::time::now_micros())
}

conformance!(a_client_update_moves_it_and_as_of_reads_keep_the_old_segment, async |app: &TestApp| {
    let p = portfolio(app).await;
    let (_, _) = activate(app, plan()).await;
    assert_eq!(segments_of(app, &p.small, None).await, [at("unassigned", 1)]);
    let before = now();

    let current = app.profile().get_client(GetClientRequest { name: p.small.clone(), read_time: None }).await;
    let current = current.expect("get").into_inner();
    let patch = Client {
        name: p.small.clone(),
        etag: current.etag,
        annual_turnover: Some(Money { currency_code: "GBP".into(), units: 30_000_000, nanos: 0 }),
        ..Default::default()
    };
    let mask = Some(FieldMask { paths: vec!["annual_turnover".into()] });
    app.profile().update_client(UpdateClientRequest { client: Some(patch), update_mask: mask }).await.expect("update");
    eventually("the client to move to the large segment", || async {
        (segments_of(app, &p.small, None).await == [at("large", 1)]).then_some(())
    })
    .await;
    assert_eq!(segments_of(app, &p.small, Some(before)).await, [at("unassigned", 1)], "as of before the change");

    // A client that arrives after activation is assigned too, and so is a new holding.
    let newcomer = create_client(app, new_client("Newcomer", "R9", "6419", 100)).await;
    eventually("the newcomer to be assigned", || async {
        (segments_of(app, &newcomer, None).await == [at("finance", 1)]).then_some(())
    })
    .await;
    crate::hold(app, &newcomer, ProductLine::TradeFinance, "ACC-9").await;
    eventually("the newcomer to move into the traders sub-segment", || async {
        (segments_of(app, &newcomer, None).await == [at("finance", 1), at("traders", 2)]).then_some(())
    })
    .await;
    let big = app.profile().get_client(GetClientRequest { name: p.big.clone(), read_time: None }).await;
    let delete = DeleteClientRequest { name: p.big.clone(), etag: big.expect("get").into_inner().etag };
    app.profile().delete_client(delete).await.expect("delete");
    eventually("a deleted client to leave its segments", || async {
        segments_of(app, &p.big, None).await.is_empty().then_some(())
    })
    .await;
});

conformance!(retiring_ends_memberships_but_keeps_their_history, async |app: &TestApp| {
    let p = portfolio(app).await;
    let (scheme, _) = activate(app, plan()).await;
    let while_active = now();
    let retired = app
        .analyst()
        .retire_scheme(RetireSchemeRequest { name: scheme.name.clone(), etag: scheme.etag.clone() })
        .await
        .expect("retire")
        .into_inner();
    assert_eq!(retired.state, SchemeState::Retired as i32);
    assert!(segments_of(app, &p.large, None).await.is_empty());
    assert_eq!(segments_of(app, &p.large, Some(while_active)).await, [at("large", 1)]);
    let again = app
        .analyst()
        .retire_scheme(RetireSchemeRequest { name: scheme.name.clone(), etag: String::new() })
        .await
        .expect_err("already retired");
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    let request = GetClientSegmentsRequest { client: "not-a-name".into(), read_time: None };
    let err = app.seg_as(Role::Admin, "root").get_client_segments(request).await.expect_err("bad name");
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
});

conformance!(imported_clients_are_read_back_from_the_profile, async |app: &TestApp| {
    let (scheme, _) = activate(app, plan()).await;
    let record = |id: &str, industry: &str, line: ProductLine| ClientImport {
        client: Some(Client { name: format!("clients/{id}"), ..new_client(id, id, industry, 1_000) }),
        holdings: vec![Holding {
            product_code: "TF-1".into(),
            product_line: line as i32,
            account_number: format!("ACC-{id}"),
            ..Default::default()
        }],
        ..Default::default()
    };
    let clients =
        vec![record("seeded-1", "6419", ProductLine::TradeFinance), record("seeded-2", "4711", ProductLine::Fx)];
    let request = ImportClientsRequest { clients, request_id: "seed-1".into() };
    let loaded = app.profile().import_clients(request).await.expect("import").into_inner();
    assert_eq!(loaded.imported_count, 2);
    eventually("thin events to be read back and assigned", || async {
        let one = segments_of(app, "clients/seeded-1", None).await;
        let two = segments_of(app, "clients/seeded-2", None).await;
        (one == [at("finance", 1), at("traders", 2)] && two == [at("unassigned", 1)]).then_some(())
    })
    .await;
    assert_eq!(scheme.state, SchemeState::Active as i32);
});

conformance!(value_scores_feed_rules_and_the_report, async |app: &TestApp| {
    let p = portfolio(app).await;
    let mut scheme = crate::keyed_plan();
    scheme.thresholds = Some(QualityThresholds {
        min_members: 1,
        min_revenue: Some(Money { currency_code: "GBP".into(), units: 2_000_000, nanos: 0 }),
        ..Default::default()
    });
    let (scheme, _) = activate(app, scheme).await;
    assert_eq!(segments_of(app, &p.small, None).await, [at("unassigned", 1)]);
    let value = |tier: &str, score: f64, revenue: i64| ValueFacts {
        score,
        tier: tier.into(),
        revenue_units: revenue,
        risk_adjusted_income_units: Some(revenue / 10),
        currency: "GBP".into(),
        ..Default::default()
    };
    let report = |name: String| async move {
        let request = GetSchemeReportRequest { name, max_staleness: None };
        app.analyst().get_scheme_report(request).await.expect("report").into_inner()
    };
    let before = report(scheme.name.clone()).await;
    assert_eq!(before.segments.iter().find(|s| s.segment.ends_with("/key")).map(|s| s.member_count), Some(0));
    let store = SegmentationStore::new(app.seg_db.clone());
    let follower = Principal::system("test");
    let ctx = WriteCtx::internal(&follower, "FollowScoring", "");
    let small = p.small.trim_start_matches("clients/").to_owned();
    let large = p.large.trim_start_matches("clients/").to_owned();
    store
        .apply_values(ctx, vec![(small.clone(), value("GROW", 40.0, 100)), (large, value("MAINTAIN", 30.0, 500_000))])
        .await
        .expect("values");
    store.apply_values(ctx, vec![(small, value("KEY_ACCOUNT", 90.0, 3_000_000))]).await.expect("newer value");
    assert_eq!(segments_of(app, &p.small, None).await, [at("key", 1)], "the score change moved the client");
    // Written through another store instance: the served report catches up within its TTL.
    let report = eventually("the report to show the scored client", || async {
        let r = report(scheme.name.clone()).await;
        r.segments.iter().any(|s| s.segment.ends_with("/key") && s.member_count == 1).then_some(r)
    })
    .await;
    let key = report.segments.iter().find(|s| s.segment.ends_with("/key")).expect("key segment");
    // GBP 3 000 000 in the reporting currency (CNY 9.52381 per GBP).
    let revenue = key.total_revenue.as_ref().map(|m| (m.units, m.currency_code.as_str()));
    assert_eq!(revenue, Some((28_571_430, "CNY")));
    assert_eq!((key.mean_value, key.scored_count, key.substantial), (90.0, 1, true));
    let large = report.segments.iter().find(|s| s.segment.ends_with("/large")).expect("large segment");
    assert!(!large.substantial, "revenue below the minimum");
    assert!(report.missing_inputs.iter().all(|m| !m.starts_with("value scores")));
});

conformance!(activation_runs_in_steps_over_an_imported_portfolio, async |app: &TestApp| {
    const CLIENTS: usize = 1_100;
    let records: Vec<ClientImport> = (0..CLIENTS)
        .map(|n| {
            let id = format!("bulk-{n:05}");
            let industry = if n % 4 == 0 { "6419" } else { "4711" };
            let client = Client { name: format!("clients/{id}"), ..new_client(&id, &id, industry, n as i64 * 100_000) };
            ClientImport { client: Some(client), ..Default::default() }
        })
        .collect();
    // An import takes at most 1,000 clients.
    for (n, clients) in records.chunks(1_000).enumerate() {
        let request = ImportClientsRequest { clients: clients.to_vec(), request_id: format!("seed-2-{n}") };
        app.profile().import_clients(request).await.expect("import");
    }
    crate::wait_for_projection(app, CLIENTS as i64, 0.0).await;
    let (scheme, activation) = activate(app, plan()).await;
    assert_eq!((activation.processed, activation.total), (CLIENTS as i64, CLIENTS as i64), "{}", activation.error);
    let report = app
        .analyst()
        .get_scheme_report(GetSchemeReportRequest { name: scheme.name.clone(), max_staleness: None })
        .await
        .expect("report")
        .into_inner();
    let count =
        |id: &str| report.segments.iter().find(|s| s.segment.ends_with(&format!("/{id}"))).map(|s| s.member_count);
    // Every fourth client is in finance; of the others, turnover above 10M means n > 100.
    let finance = CLIENTS.div_ceil(4) as i64;
    let large = (101..CLIENTS).filter(|n| n % 4 != 0).count() as i64;
    assert_eq!((count("finance"), count("large")), (Some(finance), Some(large)));
    assert_eq!(count("unassigned"), Some(CLIENTS as i64 - finance - large));
});
