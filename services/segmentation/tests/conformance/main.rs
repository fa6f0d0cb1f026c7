//! Service conformance: every scenario runs against SQLite and PostgreSQL through the real
//! gRPC servers (a profile service and the segmentation service following its feed), as a
//! client would use them.

mod access;
mod currency;
mod feed;
mod lifecycle;
mod recovery;
mod scoring;
mod support;
mod target;

use crm_kit::auth::Role;
use crm_proto::{
    crm::{
        profile::v1::{Client, CreateClientRequest, Holding, ProductLine, UpsertHoldingRequest},
        segmentation::v1::{
            ActivateSchemeRequest, Activation, ActivationState, CreateSchemeRequest, GetActivationRequest,
            GetClientSegmentsRequest, GetSchemeReportRequest, GetSchemeRequest, ListSchemesRequest,
            ListSegmentMembersRequest, PreviewSchemeRequest, Scheme, SchemeState, Segment, SegmentationBasis,
            UpdateSchemeRequest, preview_scheme_request::Target,
        },
    },
    google::r#type::Money,
};
use prost_types::FieldMask;
use support::{TestApp, conformance, eventually, reason, violations};
use tonic::Code;

pub fn new_client(display: &str, reg: &str, industry: &str, turnover: i64) -> Client {
    Client {
        display_name: display.into(),
        registration_number: reg.into(),
        country_code: "GB".into(),
        industry_code: industry.into(),
        annual_turnover: Some(Money { currency_code: "GBP".into(), units: turnover, nanos: 0 }),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    }
}

/// Creates a client in the profile; returns its name.
pub async fn create_client(app: &TestApp, client: Client) -> String {
    let request = CreateClientRequest { client: Some(client), request_id: String::new() };
    app.profile().create_client(request).await.expect("create client").into_inner().name
}

/// Gives a client a holding of `line`.
pub async fn hold(app: &TestApp, client: &str, line: ProductLine, account: &str) {
    let holding = Holding {
        product_code: "P-1".into(),
        product_line: line as i32,
        account_number: account.into(),
        ..Default::default()
    };
    app.profile()
        .upsert_holding(UpsertHoldingRequest { parent: client.into(), holding: Some(holding) })
        .await
        .expect("upsert holding");
}

pub fn seg(id: &str, rule: &str, subs: Vec<Segment>) -> Segment {
    Segment {
        segment_id: id.into(),
        display_name: id.to_uppercase(),
        rule: rule.into(),
        sub_segments: subs,
        ..Default::default()
    }
}

/// Finance (ISIC 64xx) split into big ones and trade-finance users; then large clients.
pub fn plan() -> Scheme {
    Scheme {
        display_name: "Industry and size".into(),
        bases: vec![SegmentationBasis::Industry as i32, SegmentationBasis::Size as i32],
        segments: vec![
            seg(
                "finance",
                r#"client.industry_code.startsWith("64")"#,
                vec![
                    seg("big", "client.annual_turnover_units > 50000000", vec![]),
                    seg("traders", r#""TRADE_FINANCE" in client.product_lines"#, vec![]),
                ],
            ),
            seg("large", "client.annual_turnover_units > 10000000", vec![]),
        ],
        ..Default::default()
    }
}

/// The plan with a first segment for key accounts (a value score moves clients into it).
pub fn keyed_plan() -> Scheme {
    let mut scheme = plan();
    scheme.segments.insert(0, seg("key", r#"client.value_tier == "KEY_ACCOUNT""#, vec![]));
    scheme
}

/// Five clients: finance/big, finance/traders, finance only, large, unassigned.
pub struct Portfolio {
    pub big: String,
    pub trader: String,
    pub finance: String,
    pub large: String,
    pub small: String,
}

pub async fn portfolio(app: &TestApp) -> Portfolio {
    let big = create_client(app, new_client("Big Bank", "R1", "6419", 80_000_000)).await;
    let trader = create_client(app, new_client("Trader", "R2", "6430", 2_000_000)).await;
    let finance = create_client(app, new_client("Fund", "R3", "6499", 1_000_000)).await;
    let large = create_client(app, new_client("Steelworks", "R4", "2410", 20_000_000)).await;
    let small = create_client(app, new_client("Corner Shop", "R5", "4711", 300_000)).await;
    hold(app, &trader, ProductLine::TradeFinance, "ACC-1").await;
    hold(app, &large, ProductLine::TradeFinance, "ACC-2").await;
    hold(app, &large, ProductLine::Lending, "ACC-3").await;
    let p = Portfolio { big, trader, finance, large, small };
    // Every holding, the last one included: TRADE_FINANCE is complete one event before it.
    wait_for_penetration(app, 5, &[("TRADE_FINANCE", 0.4), ("LENDING", 0.2)]).await;
    p
}

/// Waits until the projection holds `clients` live clients with `trade` TRADE_FINANCE penetration.
pub async fn wait_for_projection(app: &TestApp, clients: i64, trade: f64) {
    wait_for_penetration(app, clients, &[("TRADE_FINANCE", trade)]).await;
}

/// Waits until the projection holds `clients` live clients with each product line's
/// penetration as given.
pub async fn wait_for_penetration(app: &TestApp, clients: i64, lines: &[(&str, f64)]) {
    eventually("the projection to catch up with the profile", || async {
        let preview = PreviewSchemeRequest { target: Some(Target::Scheme(plan())) };
        let report = app.analyst().preview_scheme(preview).await.expect("preview").into_inner();
        let reached = lines.iter().all(|(line, share)| {
            let penetration = report.product_penetration.get(*line).copied().unwrap_or(0.0);
            (penetration - share).abs() < 1e-9
        });
        (report.population == clients && reached).then_some(())
    })
    .await;
}

/// Creates and activates `scheme`; returns it (ACTIVE) with the finished activation.
pub async fn activate(app: &TestApp, scheme: Scheme) -> (Scheme, Activation) {
    let request = CreateSchemeRequest { scheme: Some(scheme), request_id: String::new() };
    let created = app.analyst().create_scheme(request).await.expect("create scheme").into_inner();
    let started = app
        .analyst()
        .activate_scheme(ActivateSchemeRequest { name: created.name.clone(), etag: created.etag.clone() })
        .await
        .expect("activate")
        .into_inner();
    let done = eventually("the activation to finish", || async {
        let a = app
            .analyst()
            .get_activation(GetActivationRequest { name: started.name.clone() })
            .await
            .expect("get activation")
            .into_inner();
        (a.state != ActivationState::Running as i32).then_some(a)
    })
    .await;
    let scheme = app.analyst().get_scheme(GetSchemeRequest { name: created.name }).await.expect("get").into_inner();
    (scheme, done)
}

/// A client's (segment id, level) pairs in active schemes, now or at `read_time`.
pub async fn segments_of(app: &TestApp, client: &str, read_time: Option<prost_types::Timestamp>) -> Vec<(String, i32)> {
    let request = GetClientSegmentsRequest { client: client.into(), read_time };
    let reply = app.seg_as(Role::ContactCentreAgent, "cc-1").get_client_segments(request).await.expect("segments");
    reply
        .into_inner()
        .memberships
        .into_iter()
        .map(|m| (m.segment.rsplit('/').next().unwrap_or_default().to_owned(), m.level))
        .collect()
}

fn at(segment: &str, level: i32) -> (String, i32) {
    (segment.to_owned(), level)
}

conformance!(a_bad_rule_is_invalid_argument_with_its_position, async |app: &TestApp| {
    let mut scheme = plan();
    scheme.segments[1].rule = "client.annual_turnover_units > ".into();
    scheme.segments[0].sub_segments[1].rule = "client.tax_id == 'x'".into();
    let request = CreateSchemeRequest { scheme: Some(scheme), request_id: String::new() };
    let err = app.analyst().create_scheme(request).await.expect_err("bad rules");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["scheme.segments[0].sub_segments[1].rule", "scheme.segments[1].rule"]);
    use tonic_types::StatusExt;
    let details = err.get_details_bad_request().expect("bad request");
    let syntax = &details.field_violations[1].description;
    assert!(syntax.contains("line 1, column"), "{syntax}");
    assert!(details.field_violations[0].description.contains("client.tax_id"));
    let mut typed = plan();
    typed.segments[1].rule = "client.city > 3".into();
    let request = CreateSchemeRequest { scheme: Some(typed), request_id: String::new() };
    let err = app.analyst().create_scheme(request).await.expect_err("type error");
    assert_eq!(violations(&err), ["scheme.segments[1].rule"]);
});

conformance!(a_role_without_rights_cannot_manage_schemes, async |app: &TestApp| {
    for role in [Role::RelationshipManager, Role::KeyAccountManager, Role::ContactCentreAgent, Role::Channel] {
        let request = CreateSchemeRequest { scheme: Some(plan()), request_id: String::new() };
        let err = app.seg_as(role, "someone").create_scheme(request).await.expect_err("denied");
        assert_eq!(err.code(), Code::PermissionDenied, "{role}");
        assert_eq!(reason(&err), "ROLE_NOT_PERMITTED");
    }
    let created = app
        .seg_as(Role::Admin, "root")
        .create_scheme(CreateSchemeRequest { scheme: Some(plan()), request_id: String::new() })
        .await
        .expect("admin creates")
        .into_inner();
    let mut rm = app.seg_as(Role::RelationshipManager, "rm-1");
    let read = rm.get_scheme(GetSchemeRequest { name: created.name.clone() }).await.expect("everyone reads");
    assert_eq!(read.into_inner().segments.len(), 2);
    let err = rm
        .activate_scheme(ActivateSchemeRequest { name: created.name.clone(), etag: String::new() })
        .await
        .expect_err("denied");
    assert_eq!(err.code(), Code::PermissionDenied);
    let audit = crm_kit::audit::list(app.seg_db.reader(), 0, 100, Some(&created.name)).await.expect("audit");
    let denied: Vec<(&str, &str)> =
        audit.iter().filter(|r| r.outcome == "DENIED").map(|r| (r.action.as_str(), r.subject.as_str())).collect();
    assert_eq!(denied, [("ActivateScheme", "rm-1")], "a refusal is audited under the RPC, with the scheme");
    let err = rm
        .activate_scheme(ActivateSchemeRequest { name: "schemes/nope".into(), etag: String::new() })
        .await
        .expect_err("permission before existence");
    assert_eq!(err.code(), Code::PermissionDenied);
});

conformance!(create_is_idempotent_and_update_checks_etag_and_state, async |app: &TestApp| {
    let request = CreateSchemeRequest { scheme: Some(plan()), request_id: "req-1".into() };
    let first = app.analyst().create_scheme(request.clone()).await.expect("create").into_inner();
    let again = app.analyst().create_scheme(request).await.expect("replay").into_inner();
    assert_eq!(first.name, again.name);
    assert_eq!(first.state, SchemeState::Draft as i32);
    assert_eq!(first.segments[0].sub_segments[0].name, format!("{}/segments/big", first.name));
    let other = CreateSchemeRequest {
        scheme: Some(Scheme { display_name: "Other".into(), ..plan() }),
        request_id: "req-1".into(),
    };
    assert_eq!(app.analyst().create_scheme(other).await.expect_err("reused id").code(), Code::InvalidArgument);

    let mask = |p: &[&str]| Some(FieldMask { paths: p.iter().map(|s| (*s).to_owned()).collect() });
    let mut patch =
        Scheme { name: first.name.clone(), etag: first.etag.clone(), display_name: "Renamed".into(), ..plan() };
    patch.segments.truncate(1);
    let updated = app
        .analyst()
        .update_scheme(UpdateSchemeRequest {
            scheme: Some(patch.clone()),
            update_mask: mask(&["display_name", "segments"]),
        })
        .await
        .expect("update")
        .into_inner();
    assert_eq!((updated.display_name.as_str(), updated.segments.len()), ("Renamed", 1));
    assert_ne!(updated.etag, first.etag);
    let stale = app
        .analyst()
        .update_scheme(UpdateSchemeRequest { scheme: Some(patch), update_mask: mask(&["display_name"]) })
        .await
        .expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);

    let (active, _) = activate(app, plan()).await;
    let rules = Scheme { name: active.name.clone(), ..plan() };
    let err = app
        .analyst()
        .update_scheme(UpdateSchemeRequest { scheme: Some(rules.clone()), update_mask: mask(&["segments"]) })
        .await
        .expect_err("rules are frozen once active");
    assert_eq!(err.code(), Code::FailedPrecondition);
    let renamed = app
        .analyst()
        .update_scheme(UpdateSchemeRequest { scheme: Some(rules), update_mask: mask(&["display_name"]) })
        .await
        .expect("display name may change");
    assert_eq!(renamed.into_inner().state, SchemeState::Active as i32);
});

conformance!(activation_assigns_every_client_first_match_wins_else_unassigned, async |app: &TestApp| {
    let p = portfolio(app).await;
    let (scheme, activation) = activate(app, plan()).await;
    assert_eq!(activation.state, ActivationState::Succeeded as i32, "{}", activation.error);
    assert_eq!((activation.processed, activation.total), (5, 5));
    assert_eq!(activation.fraction_done, 1.0);
    assert_eq!(scheme.state, SchemeState::Active as i32);
    assert_eq!(scheme.latest_activation, activation.name);
    assert_eq!(segments_of(app, &p.big, None).await, [at("finance", 1), at("big", 2)]);
    assert_eq!(segments_of(app, &p.trader, None).await, [at("finance", 1), at("traders", 2)]);
    assert_eq!(segments_of(app, &p.finance, None).await, [at("finance", 1)]);
    assert_eq!(segments_of(app, &p.large, None).await, [at("large", 1)], "first match wins");
    assert_eq!(segments_of(app, &p.small, None).await, [at("unassigned", 1)]);

    let request = ListSegmentMembersRequest {
        segment: format!("{}/segments/finance", scheme.name),
        page_size: 2,
        page_token: String::new(),
    };
    let page = app.analyst().list_segment_members(request.clone()).await.expect("members").into_inner();
    assert_eq!(page.memberships.len(), 2);
    let rest = ListSegmentMembersRequest { page_token: page.next_page_token, ..request };
    let rest = app.analyst().list_segment_members(rest).await.expect("page 2").into_inner();
    let mut members: Vec<String> = page.memberships.iter().chain(&rest.memberships).map(|m| m.client.clone()).collect();
    members.sort();
    let mut expected = vec![p.big.clone(), p.trader.clone(), p.finance.clone()];
    expected.sort();
    assert_eq!(members, expected);
    assert!(rest.next_page_token.is_empty());
    assert_eq!(page.memberships[0].scheme_display_name, "Industry and size");
});

conformance!(report_counts_shares_and_penetration_match, async |app: &TestApp| {
    portfolio(app).await;
    let (scheme, _) = activate(app, plan()).await;
    let report = app
        .seg_as(Role::Channel, "svc:interaction")
        .get_scheme_report(GetSchemeReportRequest { name: scheme.name.clone(), max_staleness: None })
        .await
        .expect("report")
        .into_inner();
    assert_eq!(report.population, 5);
    let by: std::collections::HashMap<String, _> =
        report.segments.iter().map(|s| (s.segment.rsplit('/').next().unwrap_or_default().to_owned(), s)).collect();
    let counts: Vec<(i64, f64)> = ["finance", "big", "traders", "large", "unassigned"]
        .iter()
        .map(|id| (by[*id].member_count, by[*id].share))
        .collect();
    assert_eq!(counts, [(3, 0.6), (1, 0.2), (1, 0.2), (1, 0.2), (1, 0.2)]);
    let top: i64 = report.segments.iter().filter(|s| s.level == 1).map(|s| s.member_count).sum();
    assert_eq!(top, report.population, "top level and unassigned partition the portfolio");
    assert_eq!(report.product_penetration["TRADE_FINANCE"], 0.4);
    assert_eq!(report.product_penetration["LENDING"], 0.2);
    assert!((by["finance"].product_penetration["TRADE_FINANCE"] - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(by["large"].product_penetration["LENDING"], 1.0);
    assert_eq!(by["big"].parent_segment, format!("{}/segments/finance", scheme.name));
    assert_eq!(report.segment_count, 4);
    assert!(report.manageable);
    let size = report.homogeneity.iter().find(|h| h.variable == "annual_turnover_reporting").expect("size basis");
    assert!(size.eta_squared > 0.0 && size.eta_squared <= 1.0);
    // The industry basis has Cramér's V at level 1 and within `finance` at level 2.
    let industry: Vec<(i32, &str, bool)> = report
        .level_homogeneity
        .iter()
        .filter(|h| h.variable == "industry_division")
        .map(|h| (h.level, h.parent_segment.rsplit('/').next().unwrap_or_default(), h.categorical))
        .collect();
    assert_eq!(industry, [(1, "", true), (2, "finance", true)]);
    let top = report.homogeneity.iter().find(|h| h.variable == "industry_division").expect("level 1");
    assert!(top.cramers_v > 0.0 && top.cramers_v <= 1.0, "{top:?}");
    assert!(by["finance"].identifiability > 0.99, "created facts are PRIMARY");
    let industry = &by["finance"].category_shares[0];
    assert_eq!(
        (industry.variable.as_str(), industry.modal_value.as_str(), industry.share),
        ("industry_division", "64", 1.0)
    );
    let preview = PreviewSchemeRequest { target: Some(Target::Name(scheme.name.clone())) };
    let preview = app.analyst().preview_scheme(preview).await.expect("preview").into_inner();
    let preview_counts: Vec<i64> = preview.segments.iter().map(|s| s.member_count).collect();
    let report_counts: Vec<i64> = report.segments.iter().map(|s| s.member_count).collect();
    assert_eq!(preview_counts, report_counts, "preview and materialised memberships agree");
});

conformance!(list_schemes_pages_newest_first_and_filters_by_state, async |app: &TestApp| {
    let mut names = Vec::new();
    for n in 0..3 {
        let scheme = Scheme { display_name: format!("Plan {n}"), ..plan() };
        let request = CreateSchemeRequest { scheme: Some(scheme), request_id: String::new() };
        names.push(app.analyst().create_scheme(request).await.expect("create").into_inner().name);
    }
    let (active, _) = activate(app, plan()).await;
    let request = ListSchemesRequest { page_size: 2, page_token: String::new(), state: SchemeState::Draft as i32 };
    let first = app.analyst().list_schemes(request.clone()).await.expect("page 1").into_inner();
    let second = ListSchemesRequest { page_token: first.next_page_token.clone(), ..request.clone() };
    let second = app.analyst().list_schemes(second).await.expect("page 2").into_inner();
    let listed: Vec<String> = first.schemes.iter().chain(&second.schemes).map(|s| s.name.clone()).collect();
    names.reverse();
    assert_eq!(listed, names, "drafts, newest first, no gap and no repeat");
    assert!(second.next_page_token.is_empty());
    let all = ListSchemesRequest { page_size: 0, page_token: String::new(), state: 0 };
    let all = app.seg_as(Role::RelationshipManager, "rm-1").list_schemes(all).await.expect("all").into_inner();
    assert_eq!(all.schemes.first().map(|s| s.name.as_str()), Some(active.name.as_str()));
    let other = ListSchemesRequest { page_token: first.next_page_token, state: SchemeState::Active as i32, ..request };
    assert_eq!(
        app.analyst().list_schemes(other).await.expect_err("token of another query").code(),
        Code::InvalidArgument
    );
});
