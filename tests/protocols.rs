//! Segmentation, value scoring and interaction through the gateway as a browser or `curl`
//! reaches them: REST/JSON (the README's calls) and gRPC-Web, each answer checked for its
//! status and content and, for gRPC-Web, against the same call over gRPC.

use crm_e2e::{
    FEED_TIMEOUT, Running,
    portfolio::{self, WHOLESALE},
    start,
};
use crm_kit::auth::Role;
use crm_proto::crm::{
    interaction::v1::{
        ListInteractionsRequest, ListInteractionsResponse, interaction_service_client::InteractionServiceClient,
    },
    profile::v1::ProductLine,
    scoring::v1::{GetValueScoreRequest, ValueScore, value_scoring_service_client::ValueScoringServiceClient},
    segmentation::v1::{
        ActivationState, GetClientSegmentsRequest, GetClientSegmentsResponse, SchemeState, SegmentationBasis,
        segmentation_service_client::SegmentationServiceClient,
    },
};
use crm_testkit::poll_until;
use http::{Method, StatusCode};
use serde_json::{Value, json};

/// The target client of the portfolio module, with a deposit account.
async fn one_client(running: &Running) -> String {
    let client = portfolio::create_client(running, portfolio::target_client()).await.name;
    portfolio::hold(running, &client, &[ProductLine::Deposits]).await;
    client
}

/// GET `path` as `role` until `done` says yes; any answer but 200 fails at once.
async fn poll_rest(running: &Running, what: &str, path: &str, role: Role, done: impl Fn(&Value) -> bool) -> Value {
    poll_until(what, FEED_TIMEOUT, || async {
        let response = running.rest(Method::GET, path, role, None).await;
        if response.status != StatusCode::OK {
            return Err(format!("GET {path}: {} {}", response.status, String::from_utf8_lossy(&response.body)));
        }
        let json = response.json();
        Ok(done(&json).then_some(json))
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmentation_over_rest_and_grpc_web() {
    let running = start().await;
    let client = one_client(&running).await;
    let analyst = Role::MarketingAnalyst;

    let scheme = json!({
        "displayName": "Wholesale first",
        "bases": [SegmentationBasis::Industry.as_str_name()],
        "segments": [
            {"segmentId": "wholesale", "displayName": WHOLESALE, "rule": "client.industry_code.startsWith(\"51\")"},
            {"segmentId": "others", "displayName": "Everyone else", "rule": "true"},
        ],
    })
    .to_string();
    let created = running.rest_ok(Method::POST, "/v1/schemes", analyst, Some(&scheme)).await;
    let name = created["name"].as_str().expect("a scheme name").to_owned();
    assert!(name.starts_with("schemes/"), "{created}");
    assert_eq!(created["state"], SchemeState::Draft.as_str_name(), "{created}");
    assert_eq!(created["segments"][0]["name"], format!("{name}/segments/wholesale"), "{created}");

    let listed = running.rest_ok(Method::GET, "/v1/schemes", Role::ContactCentreAgent, None).await;
    let schemes = listed["schemes"].as_array().expect("schemes");
    assert_eq!(schemes.len(), 1, "{listed}");
    assert_eq!((&schemes[0]["name"], &schemes[0]["displayName"]), (&json!(name), &json!("Wholesale first")));

    let body = json!({"etag": created["etag"]}).to_string();
    let activation = running.rest_ok(Method::POST, &format!("/v1/{name}:activate"), analyst, Some(&body)).await;
    let activation = activation["name"].as_str().expect("an activation name").to_owned();
    let running_state = ActivationState::Running.as_str_name();
    let done = poll_rest(&running, "the activation to finish", &format!("/v1/{activation}"), analyst, |a| {
        a["state"] != running_state
    })
    .await;
    assert_eq!(done["state"], ActivationState::Succeeded.as_str_name(), "{done}");
    // The client reaches segmentation through the profile feed, before or after activation.
    let segments = format!("/v1/{client}/segments");
    let memberships = poll_rest(&running, "the client's segment", &segments, Role::ContactCentreAgent, |m| {
        m["memberships"][0]["segment"] == format!("{name}/segments/wholesale")
    })
    .await;
    assert_eq!(memberships["memberships"][0]["segmentDisplayName"], WHOLESALE, "{memberships}");
    assert_eq!(memberships["memberships"][0]["level"], 1, "{memberships}");
    let report = running.rest_ok(Method::GET, &format!("/v1/{name}:report"), analyst, None).await;
    assert_eq!(report["scheme"], name, "{report}");
    assert_eq!(report["population"], "1", "int64 is a JSON string: {report}");

    let request = GetClientSegmentsRequest { client: client.clone(), read_time: None };
    let web = running.grpc_web("/crm.segmentation.v1.SegmentationService/GetClientSegments", analyst, &request).await;
    assert!(web.response.header("access-control-expose-headers").contains("grpc-status"), "{web:?}");
    let via_web: GetClientSegmentsResponse = web.decode();
    let mut segmentation = running.client(analyst, SegmentationServiceClient::new);
    let via_grpc = segmentation.get_client_segments(request).await.expect("gRPC").into_inner();
    assert_eq!(via_web, via_grpc);
    assert_eq!(via_web.memberships[0].segment_display_name, WHOLESALE);

    running.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn value_scoring_over_rest_and_grpc_web() {
    let running = start().await;
    let client = one_client(&running).await;
    let risk = Role::RiskAnalyst;

    let record = json!({
        "period": "2026-Q3",
        "netInterestIncome": {"currencyCode": "CNY", "units": "4200000"},
        "feeIncome": {"currencyCode": "CNY", "units": "900000"},
        "costToServe": {"currencyCode": "CNY", "units": "1100000"},
        "exposureAtDefault": {"currencyCode": "CNY", "units": "120000000"},
    })
    .to_string();
    let path = format!("/v1/{client}/profitabilityRecords:record");
    let recorded = running.rest_ok(Method::POST, &path, risk, Some(&record)).await;
    assert_eq!((&recorded["client"], &recorded["period"]), (&json!(client), &json!("2026-Q3")), "{recorded}");

    let computed = running.rest_ok(Method::POST, &format!("/v1/{client}/valueScore:compute"), risk, Some("{}")).await;
    assert_eq!(computed["name"], format!("{client}/valueScore"), "{computed}");
    assert_eq!(computed["creditGrade"], "BBB", "read from the profile: {computed}");
    assert!(computed["compositeScore"].is_number(), "{computed}");
    let tier = computed["tier"].as_str().expect("a tier").to_owned();
    assert!(tier.starts_with("TIER_") && tier != "TIER_UNSPECIFIED", "{computed}");
    let components = computed["components"].as_array().expect("components");
    assert!(!components.is_empty(), "{computed}");

    let read = running.rest_ok(Method::GET, &format!("/v1/{client}/valueScore"), Role::RelationshipManager, None).await;
    assert_eq!(read["compositeScore"], computed["compositeScore"], "{read}");
    let listed = running.rest_ok(Method::GET, &format!("/v1/valueScores?tier={tier}&page_size=5"), risk, None).await;
    let names: Vec<&Value> =
        listed["valueScores"].as_array().expect("valueScores").iter().map(|s| &s["name"]).collect();
    assert_eq!(names, [&computed["name"]], "{listed}");
    let model = running.rest_ok(Method::GET, "/v1/valueModels/current", risk, None).await;
    assert!(model["name"].as_str().is_some_and(|n| n.starts_with("valueModels/")), "{model}");
    assert!(model["version"].as_str().and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v >= 1), "{model}");

    let missing = running.rest(Method::GET, "/v1/clients/nobody/valueScore", risk, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");
    assert_eq!(missing.json()["error"]["status"], "NOT_FOUND");

    let request = GetValueScoreRequest { name: format!("{client}/valueScore"), read_time: None };
    let web = running.grpc_web("/crm.scoring.v1.ValueScoringService/GetValueScore", risk, &request).await;
    let via_web: ValueScore = web.decode();
    let mut scoring = running.client(risk, ValueScoringServiceClient::new);
    let via_grpc = scoring.get_value_score(request).await.expect("gRPC").into_inner();
    assert_eq!(via_web, via_grpc);
    assert_eq!(via_web.tier().as_str_name(), tier);

    running.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactions_over_rest_and_grpc_web() {
    let running = start().await;
    let client = one_client(&running).await;
    let agent = Role::ContactCentreAgent;

    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3_600);
    let logged = json!({
        "channel": "CHANNEL_PHONE",
        "direction": "DIRECTION_INBOUND",
        "kind": "INTERACTION_KIND_SERVICE_REQUEST",
        "occurTime": prost_types::Timestamp::from(an_hour_ago).to_string(),
        "summary": "客户来电：电子汇款未到账",
    })
    .to_string();
    let path = format!("/v1/{client}/interactions");
    let created = running.rest_ok(Method::POST, &path, agent, Some(&logged)).await;
    let name = created["name"].as_str().expect("an interaction name").to_owned();
    assert!(name.starts_with(&format!("{client}/interactions/")), "{created}");
    assert_eq!(created["summary"], "客户来电：电子汇款未到账", "{created}");
    assert_eq!(created["channel"], "CHANNEL_PHONE", "{created}");

    let listed = running.rest_ok(Method::GET, &format!("{path}?page_size=5"), agent, None).await;
    let names: Vec<&Value> =
        listed["interactions"].as_array().expect("interactions").iter().map(|i| &i["name"]).collect();
    assert_eq!(names, [&json!(name)], "{listed}");
    let reach = running.rest_ok(Method::GET, &format!("/v1/{client}/contactability"), agent, None).await;
    assert_eq!(reach["name"], format!("{client}/contactability"), "{reach}");
    assert!(reach["permissions"].as_array().is_some_and(|p| !p.is_empty()), "per channel and purpose: {reach}");

    let request = ListInteractionsRequest { parent: client.clone(), page_size: 5, page_token: String::new() };
    let web = running.grpc_web("/crm.interaction.v1.InteractionService/ListInteractions", agent, &request).await;
    let via_web: ListInteractionsResponse = web.decode();
    let mut interactions = running.client(agent, InteractionServiceClient::new);
    let via_grpc = interactions.list_interactions(request).await.expect("gRPC").into_inner();
    assert_eq!(via_web, via_grpc);
    assert_eq!(via_web.interactions.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), [name.as_str()]);

    running.finish().await;
}
