//! Profitability: portfolio rules, idempotent upserts, all-or-nothing imports.

use crm_kit::auth::Role;
use crm_proto::crm::scoring::v1::{
    ImportProfitabilityRequest, ListProfitabilityRecordsRequest, RecordProfitabilityRequest,
};
use tonic::Code;

use super::support::{TestApp, cny, component, conformance, reason, record, violations};

fn recording(client: &str, period: &str) -> RecordProfitabilityRequest {
    RecordProfitabilityRequest { record: Some(record(client, period, 100_000, 20_000, 30_000, 5_000_000)) }
}

conformance!(managers_record_profitability_only_in_their_portfolio, async |app: &TestApp| {
    let client = app.client("Lotus Electronics", "rm-1", "BBB", "2630", "East China", "").await;
    let foreign = app.rm("rm-2").record_profitability(recording(&client, "2026-Q3")).await.expect_err("foreign");
    let made_up =
        app.rm("rm-2").record_profitability(recording("clients/made-up", "2026-Q3")).await.expect_err("missing");
    assert_eq!((foreign.code(), reason(&foreign).as_str()), (Code::PermissionDenied, "NOT_IN_PORTFOLIO"));
    assert_eq!((made_up.code(), made_up.message()), (foreign.code(), foreign.message()), "indistinguishable");
    let missing = app.admin().record_profitability(recording("clients/made-up", "2026-Q3")).await.expect_err("missing");
    assert_eq!(missing.code(), Code::NotFound);
    let agent = app.scoring_as(Role::ContactCentreAgent, "cc-1", None);
    let err = agent.clone().record_profitability(recording(&client, "2026-Q3")).await.expect_err("role");
    assert_eq!(err.code(), Code::PermissionDenied);

    let mine = app.rm("rm-1").record_profitability(recording(&client, "2026-q3")).await.expect("own").into_inner();
    assert_eq!(
        (mine.name, mine.period.as_str(), mine.etag.as_str()),
        (format!("{client}/profitabilityRecords/2026-Q3"), "2026-Q3", "1")
    );
    let replay =
        app.scoring_as(Role::Channel, "svc:mis", None).record_profitability(recording(&client, "2026-Q3")).await;
    let replay = replay.expect("replay").into_inner();
    assert_eq!((replay.etag.as_str(), replay.update_time), ("1", mine.update_time), "same figures change nothing");
    let mut changed = recording(&client, "2026-Q3");
    if let Some(r) = changed.record.as_mut() {
        r.fee_income = cny(25_000);
    }
    let updated = app.analyst().record_profitability(changed).await.expect("update").into_inner();
    assert_eq!((updated.etag.as_str(), updated.updater.as_str()), ("2", "ra-1"));

    // Two writes (the replay wrote nothing) and the refused attempts are in the audit trail.
    let trail = crm_kit::audit::list(app.scoring_db.reader(), 0, 100, Some(&updated.name)).await.expect("audit");
    let writes: Vec<_> = trail.iter().map(|r| (r.subject.as_str(), r.outcome.as_str(), r.detail.as_str())).collect();
    assert_eq!(writes, [("rm-1", "OK", "CREATED"), ("ra-1", "OK", "UPDATED")]);
    let denied = crm_kit::audit::list(app.scoring_db.reader(), 0, 100, Some(&client)).await.expect("audit");
    assert!(denied.iter().any(|r| r.subject == "rm-2" && r.outcome == "DENIED"), "{denied:?}");
    assert_eq!(crm_kit::audit::verify_chain(&app.scoring_db).await.expect("chain"), None);

    let listed = app
        .scoring_as(Role::MarketingAnalyst, "mk-1", None)
        .list_profitability_records(ListProfitabilityRecordsRequest { parent: client.clone(), ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.records, vec![updated]);
    let err = agent
        .clone()
        .list_profitability_records(ListProfitabilityRecordsRequest { parent: client, ..Default::default() })
        .await
        .expect_err("agents see no figures");
    assert_eq!(err.code(), Code::PermissionDenied);
});

conformance!(bad_profitability_names_the_fields, async |app: &TestApp| {
    let client = app.client("Golden Bay Resorts", "rm-1", "BB", "5510", "South China", "").await;
    let mut bad = record(&client, "2026-Q5", 1, -2, 3, 4);
    bad.exposure_at_default =
        Some(crm_proto::google::r#type::Money { currency_code: "USD".into(), units: 4, nanos: 0 });
    let err =
        app.admin().record_profitability(RecordProfitabilityRequest { record: Some(bad) }).await.expect_err("bad");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["record.period", "record.fee_income", "record.exposure_at_default.currency_code"]);
});

conformance!(an_import_with_one_bad_row_writes_nothing, async |app: &TestApp| {
    let a = app.client("Alpha Steel", "rm-1", "BBB", "2410", "North China", "").await;
    let b = app.client("Beta Chemicals", "rm-2", "BB", "2011", "East China", "").await;
    let mut rows = vec![
        record(&a, "2026-Q2", 10_000, 1_000, 2_000, 100_000),
        record(&a, "2026-Q3", 11_000, 1_000, 2_000, 100_000),
        record(&b, "2026-Q3", 9_000, 500, 1_000, 90_000),
    ];
    rows[2].fee_income = cny(-500);
    let import = |records| ImportProfitabilityRequest { records };
    let err = app.admin().import_profitability(import(rows.clone())).await.expect_err("bad row");
    assert_eq!((err.code(), violations(&err)), (Code::InvalidArgument, vec!["records[2].fee_income".to_owned()]));
    let list = ListProfitabilityRecordsRequest { parent: a.clone(), ..Default::default() };
    let stored = app.admin().list_profitability_records(list.clone()).await.expect("list").into_inner();
    assert!(stored.records.is_empty(), "nothing written");

    let mut unknown = rows.clone();
    unknown[2] = record("clients/made-up", "2026-Q3", 1, 1, 1, 1);
    let err = app.admin().import_profitability(import(unknown)).await.expect_err("unknown client");
    assert_eq!(violations(&err), ["records[2].client"]);
    let mut twice = rows.clone();
    twice[2] = rows[1].clone();
    let err = app.admin().import_profitability(import(twice)).await.expect_err("duplicate");
    assert_eq!(violations(&err), ["records[2].period"]);

    rows[2].fee_income = cny(500);
    let err = app.rm("rm-1").import_profitability(import(rows.clone())).await.expect_err("b is rm-2's");
    assert_eq!(err.code(), Code::PermissionDenied);
    let done = app.admin().import_profitability(import(rows.clone())).await.expect("import").into_inner();
    assert_eq!((done.created_count, done.updated_count, done.unchanged_count), (3, 0, 0));
    let again = app.analyst().import_profitability(import(rows)).await.expect("replay").into_inner();
    assert_eq!((again.created_count, again.updated_count, again.unchanged_count), (0, 0, 3));
    let stored = app.admin().list_profitability_records(list).await.expect("list").into_inner();
    let periods: Vec<_> = stored.records.iter().map(|r| r.period.as_str()).collect();
    assert_eq!(periods, ["2026-Q3", "2026-Q2"], "newest first");
});

conformance!(profitability_in_another_currency_is_converted_when_scored, async |app: &TestApp| {
    let client = app.client("Kowloon Traders", "rm-1", "BBB", "4690", "Hong Kong", "").await;
    let hkd = |units| Some(crm_proto::google::r#type::Money { currency_code: "HKD".into(), units, nanos: 0 });
    let mut rec = record(&client, "2026", 0, 0, 0, 0);
    (rec.net_interest_income, rec.fee_income, rec.cost_to_serve, rec.exposure_at_default) =
        (hkd(1_000_000), hkd(0), hkd(0), hkd(0));
    let mut chf = rec.clone();
    if let Some(m) = chf.net_interest_income.as_mut() {
        m.currency_code = "CHF".into();
    }
    let err =
        app.admin().record_profitability(RecordProfitabilityRequest { record: Some(chf) }).await.expect_err("CHF");
    assert_eq!(violations(&err)[0], "record.net_interest_income.currency_code");
    app.admin().record_profitability(RecordProfitabilityRequest { record: Some(rec) }).await.expect("HKD");
    let score = app.score(&client).await;
    // 1 000 000 HKD × 0.917431 CNY per HKD, shown as a component.
    assert_eq!(component(&score, "net_interest_income"), "917431.000000000");
    assert_eq!(score.revenue.as_ref().map(|m| (m.units, m.currency_code.as_str())), Some((917_431, "CNY")));
    assert_eq!(score.recorded_currency, "HKD");
});

conformance!(a_records_own_lgd_and_collateral_are_kept_and_scored, async |app: &TestApp| {
    let client = app.client("Yangtze Shipping", "rm-1", "BBB", "5012", "Central China", "").await;
    let mut bad = record(&client, "2026", 1_000_000, 0, 0, 10_000_000);
    bad.lgd = Some(1.5);
    bad.collateral_value = cny(-1);
    let err =
        app.admin().record_profitability(RecordProfitabilityRequest { record: Some(bad) }).await.expect_err("bad");
    assert_eq!(violations(&err), ["record.collateral_value", "record.lgd"]);

    let mut secured = record(&client, "2026", 1_000_000, 0, 0, 10_000_000);
    secured.lgd = Some(0.25);
    secured.collateral_value = cny(4_000_000);
    let stored = app.admin().record_profitability(RecordProfitabilityRequest { record: Some(secured) }).await;
    let stored = stored.expect("recorded").into_inner();
    assert_eq!((stored.lgd, stored.collateral_value.map(|m| m.units)), (Some(0.25), Some(4_000_000)));
    let score = app.score(&client).await;
    // EL = 0.0025 × 0.25 × (10 000 000 − 4 000 000); capital = 6 000 000 × 75 % × 10.5 %.
    assert_eq!(component(&score, "expected_loss"), "3750.000000000");
    assert_eq!(component(&score, "regulatory_capital"), "472500.000000000");
});
