//! End-to-end tests of the gateway in front of a real profile service, all in process.

mod console;
mod support;

use std::time::Duration;

use bytes::Bytes;
use crm_kit::auth::Role;
use crm_proto::crm::{
    gateway::v1::{Client360, GetClient360Request, Part, client_view_service_client::ClientViewServiceClient},
    profile::v1::{
        Client, Contact, CreateClientRequest, CreateContactRequest, GetClientRequest, Holding, LookupClientRequest,
        MergeClientsRequest, ProductLine, UpsertHoldingRequest, WatchChangesRequest,
    },
};
use http::{Method, StatusCode};
use http_body_util::Full;
use prost::Message as _;
use support::{Suite, gateway_config, grpc_web_frame, grpc_web_parts};

const REG: &str = "91310000MA1FL0XX12";

async fn seed_client(suite: &Suite) -> Client {
    let mut admin = suite.direct(Role::Admin, "admin-1");
    let client = Client {
        display_name: "华信精密".into(),
        legal_name: "上海华信精密机械股份有限公司".into(),
        registration_number: REG.into(),
        country_code: "CN".into(),
        industry_code: "2822".into(),
        tax_id: "91310000123456789X".into(),
        relationship_manager: "rm-1".into(),
        ..Default::default()
    };
    let created = admin
        .create_client(CreateClientRequest { client: Some(client), request_id: String::new() })
        .await
        .expect("create")
        .into_inner();
    admin
        .create_contact(CreateContactRequest {
            parent: created.name.clone(),
            contact: Some(Contact {
                display_name: "Wang Li".into(),
                email: "wang@example.cn".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("contact");
    admin
        .upsert_holding(UpsertHoldingRequest {
            parent: created.name.clone(),
            holding: Some(Holding {
                product_code: "DEP-CURRENT".into(),
                product_line: ProductLine::Deposits as i32,
                account_number: "CN0012-3456".into(),
                ..Default::default()
            }),
        })
        .await
        .expect("holding");
    created
}

fn lookup() -> LookupClientRequest {
    LookupClientRequest { registration_number: REG.into(), country_code: "CN".into(), ..Default::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_lookup_through_grpc_grpc_web_and_rest_returns_the_same_client() {
    let suite = Suite::start(gateway_config()).await;
    let created = seed_client(&suite).await;
    // A contact-centre agent: the profile service masks the tax id, on every protocol.
    let (role, who) = (Role::ContactCentreAgent, "cc-1");

    let direct = suite.direct(role, who).lookup_client(lookup()).await.expect("direct").into_inner();
    assert_eq!(direct.name, created.name);
    assert_ne!(direct.tax_id, created.tax_id, "masked for an agent");

    let via_gateway = suite.via_gateway(role, who).lookup_client(lookup()).await.expect("gateway gRPC").into_inner();
    assert_eq!(via_gateway, direct);

    let request = http::Request::post("/crm.profile.v1.ClientProfileService/LookupClient")
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("origin", "https://branch.example")
        .header("authorization", suite.bearer(role, who).to_str().expect("ascii"))
        .body(Full::new(grpc_web_frame(&lookup())))
        .expect("request");
    let (status, headers, body) = suite.http(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("x-request-id"));
    assert!(
        headers
            .get("access-control-expose-headers")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("grpc-status")),
        "{headers:?}"
    );
    let (message, trailers) = grpc_web_parts(&body);
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let via_web = Client::decode(message.expect("a message")).expect("decodes");
    assert_eq!(via_web, direct);

    let path = format!("/v1/clients:lookup?registration_number={REG}&country_code=CN");
    let (status, json) = suite.rest(Method::GET, &path, role, who, None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["name"], direct.name);
    assert_eq!(json["displayName"], direct.display_name);
    assert_eq!(json["legalName"], "上海华信精密机械股份有限公司");
    assert_eq!(json["taxId"], direct.tax_id);
    assert_eq!(json["etag"], direct.etag);

    let (status, json) = suite.rest(Method::GET, &format!("/v1/{}", created.name), role, who, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["name"], direct.name);
    suite.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_errors_are_aip_193_json() {
    let suite = Suite::start(gateway_config()).await;
    let created = seed_client(&suite).await;

    let (status, json) = suite.rest(Method::GET, "/v1/nothing/here", Role::Admin, "a", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["error"]["code"], 404);
    assert_eq!(json["error"]["status"], "NOT_FOUND");
    assert_eq!(json["error"]["details"][0]["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(json["error"]["details"][0]["domain"], "crm.gateway");

    let (status, json) =
        suite.rest(Method::POST, "/v1/clients", Role::Admin, "a", Some(r#"{"displayName": "Broken"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    assert_eq!(json["error"]["status"], "INVALID_ARGUMENT");
    let violation = &json["error"]["details"][1];
    assert_eq!(violation["@type"], "type.googleapis.com/google.rpc.BadRequest");
    assert_eq!(violation["fieldViolations"][0]["field"], "client");

    let (status, json) =
        suite.rest(Method::POST, "/v1/clients", Role::Admin, "a", Some(r#"{"displayName": 12, "colour": 1}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{json}");
    assert_eq!(json["error"]["details"][1]["fieldViolations"][0]["field"], "client");

    let (status, json) = suite.rest(Method::GET, "/v1/clients?page_size=ten", Role::Admin, "a", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error"]["details"][1]["fieldViolations"][0]["field"], "page_size");

    // Errors of the service come back with its own details, as JSON.
    let (status, json) = suite.rest(Method::GET, "/v1/clients/does-not-exist", Role::Admin, "a", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    assert_eq!(json["error"]["details"][0]["domain"], "crm.profile");

    // A write through REST: body mapping, then custom verb + body "*".
    let body = r#"{"displayName": "Nordic Paper AB", "registrationNumber": "556000-1234", "countryCode": "SE"}"#;
    let (status, json) = suite.rest(Method::POST, "/v1/clients", Role::Admin, "a", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let name = json["name"].as_str().expect("name").to_owned();
    let path = format!("/v1/{name}?update_mask=city");
    let (status, json) = suite.rest(Method::PATCH, &path, Role::Admin, "a", Some(r#"{"city": "Umeå"}"#)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["city"], "Umeå");
    let (status, _) = suite.rest(Method::DELETE, &format!("/v1/{name}"), Role::Admin, "a", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, json) = suite.rest(Method::POST, &format!("/v1/{name}:undelete"), Role::Admin, "a", Some("{}")).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert!(json.get("deleteTime").is_none());

    // Unauthenticated on REST is 401 with the auth domain.
    let request = http::Request::get(format!("/v1/{}", created.name)).body(Full::new(Bytes::new())).expect("req");
    let (status, headers, body) = suite.http(request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("x-request-id"));
    let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(json["error"]["details"][0]["domain"], "crm.auth");

    let request = http::Request::get("/openapi.json").body(Full::new(Bytes::new())).expect("req");
    let (status, _, body) = suite.http(request).await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(doc["openapi"], "3.0.3");
    assert!(doc["paths"]["/v1/clients:lookup"]["get"].is_object());
    suite.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_preflight_is_accepted() {
    let suite = Suite::start(gateway_config()).await;
    let request = http::Request::builder()
        .method(Method::OPTIONS)
        .uri("/crm.profile.v1.ClientProfileService/LookupClient")
        .header("origin", "https://branch.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-grpc-web,x-user-agent,grpc-timeout,content-type,authorization")
        .body(Full::new(Bytes::new()))
        .expect("request");
    let (status, headers, _) = suite.http(request).await;
    assert!(status.is_success(), "{status}");
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_lowercase();
    assert_eq!(header("access-control-allow-origin"), "*");
    assert!(header("access-control-allow-methods").contains("post"));
    for wanted in ["x-grpc-web", "x-user-agent", "grpc-timeout", "content-type", "authorization"] {
        assert!(header("access-control-allow-headers").contains(wanted), "{wanted} in {headers:?}");
    }
    assert!(headers.contains_key("x-request-id"));
    suite.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_streams_and_errors_pass_through_grpc() {
    let suite = Suite::start(gateway_config()).await;
    let created = seed_client(&suite).await;
    let mut feed = suite
        .via_gateway(Role::Admin, "admin-1")
        .watch_changes(WatchChangesRequest { after_sequence: 0 })
        .await
        .expect("watch")
        .into_inner();
    let first = tokio::time::timeout(Duration::from_secs(10), feed.message()).await.expect("in time");
    assert_eq!(first.expect("ok").expect("an event").client, created.name);
    drop(feed);

    let missing = suite
        .via_gateway(Role::Admin, "admin-1")
        .get_client(GetClientRequest { name: "clients/nope".into(), ..Default::default() })
        .await
        .expect_err("not found");
    assert_eq!(missing.code(), tonic::Code::NotFound);

    let mut anonymous = crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient::new(
        suite.gateway_channel(),
    );
    let err = anonymous.lookup_client(lookup()).await.expect_err("no token");
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    suite.finish().await;
}

fn view_client(suite: &Suite, role: Role) -> ClientViewServiceClient<support::InterceptedChannel> {
    ClientViewServiceClient::with_interceptor(suite.gateway_channel(), suite.interceptor(role, "view-1"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_360_returns_every_part_and_degrades_when_the_backend_stops() {
    let mut suite = Suite::start(gateway_config()).await;
    let created = seed_client(&suite).await;

    let view = view_client(&suite, Role::ContactCentreAgent)
        .get_client360(GetClient360Request { name: created.name.clone(), ..Default::default() })
        .await
        .expect("360")
        .into_inner();
    assert_eq!(view.client.as_ref().map(|c| c.name.as_str()), Some(created.name.as_str()));
    assert_ne!(view.client.as_ref().map(|c| c.tax_id.as_str()), Some(created.tax_id.as_str()), "masked");
    assert_eq!(view.contacts.len(), 1);
    assert_eq!(view.holdings.len(), 1);
    assert_eq!(warned(&view), PROFILE_PARTS.map(|_| None), "the profile's parts are all there");
    assert!(
        view.warnings.iter().all(|w| w.reason == "BACKEND_NOT_CONFIGURED" && !PROFILE_PARTS.contains(&w.part())),
        "only the services this gateway has no backend for are missing: {:?}",
        view.warnings
    );
    assert_eq!(view.warnings.len(), 6);

    let by_key = view_client(&suite, Role::ContactCentreAgent)
        .get_client360(GetClient360Request { contact_email: "wang@example.cn".into(), ..Default::default() })
        .await
        .expect("360 by e-mail")
        .into_inner();
    assert_eq!(by_key.client.map(|c| c.name), Some(created.name.clone()));

    let path = format!("/v1/{}:view360", created.name);
    let (status, json) = suite.rest(Method::GET, &path, Role::ContactCentreAgent, "cc-1", None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["client"]["name"], created.name);
    let path = format!("/v1/clients:view360?registration_number={REG}&country_code=CN");
    let (status, json) = suite.rest(Method::GET, &path, Role::ContactCentreAgent, "cc-1", None).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["contacts"].as_array().map(Vec::len), Some(1));

    // A stopped backend refuses the connection: the parts are reported unavailable at once
    // (not cut by their deadline, which would say DEADLINE_EXCEEDED).
    suite.profile.take().expect("profile").stop().await;
    let request = tonic::Request::new(GetClient360Request { name: created.name.clone(), ..Default::default() });
    let view = view_within_guard(view_client(&suite, Role::Admin), request).await;
    assert!(view.client.is_none());
    assert_eq!(warned(&view), PROFILE_PARTS.map(|_| Some("BACKEND_UNAVAILABLE")), "{:?}", view.warnings);
    suite.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_360_of_a_merged_duplicate_shows_the_survivor_whole() {
    let suite = Suite::start(gateway_config()).await;
    let survivor = seed_client(&suite).await;
    let mut admin = suite.direct(Role::Admin, "admin-1");
    let duplicate = admin
        .create_client(CreateClientRequest {
            client: Some(Client {
                display_name: "华信精密机械".into(),
                country_code: "CN".into(),
                relationship_manager: "rm-1".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("duplicate")
        .into_inner();
    admin
        .merge_clients(MergeClientsRequest {
            survivor: survivor.name.clone(),
            duplicate: duplicate.name.clone(),
            etag: String::new(),
        })
        .await
        .expect("merge");

    let view = view_client(&suite, Role::Admin)
        .get_client360(GetClient360Request { name: duplicate.name.clone(), ..Default::default() })
        .await
        .expect("360 by the old name")
        .into_inner();
    assert_eq!(view.client.as_ref().map(|c| c.name.as_str()), Some(survivor.name.as_str()));
    assert_eq!(view.contacts.len(), 1, "the survivor's contacts, not the duplicate's (none)");
    assert_eq!(view.holdings.len(), 1);
    assert!(view.contacts.iter().all(|c| c.name.starts_with(&survivor.name)));
    assert_eq!(warned(&view), PROFILE_PARTS.map(|_| None));
    suite.finish().await;
}

/// The parts a client 360 view takes from the profile service.
const PROFILE_PARTS: [Part; 4] = [Part::Profile, Part::Contacts, Part::Holdings, Part::FinancialStatements];

/// For each profile part, the reason of its warning (`None`: the part is there).
fn warned(view: &Client360) -> [Option<&str>; 4] {
    PROFILE_PARTS.map(|part| view.warnings.iter().find(|w| w.part() == part).map(|w| w.reason.as_str()))
}

/// Longest any call below may take before the test fails: far beyond every deadline the
/// gateway is given, so only a gateway that does not apply them can reach it.
const GUARD: Duration = Duration::from_secs(30);

/// `get_client360` under [`GUARD`].
async fn view_within_guard(
    mut client: ClientViewServiceClient<support::InterceptedChannel>,
    request: tonic::Request<GetClient360Request>,
) -> Client360 {
    tokio::time::timeout(GUARD, client.get_client360(request))
        .await
        .expect("the view answers: a stalled part must not hold it")
        .expect("the view answers with the parts it has")
        .into_inner()
}

const SCORING: &str = "crm.scoring.v1.ValueScoringService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_360_cuts_a_stalled_part_at_its_deadline_and_keeps_the_other_parts() {
    let suite = Suite::start(gateway_config()).await;
    let created = seed_client(&suite).await;
    // The profile answers; the value score's backend accepts the call and never answers.
    let mut config = gateway_config();
    config.part_timeout_ms = 2_000;
    let profile_url = suite.profile.as_ref().expect("profile").url();
    config.backends.insert("profile".into(), support::backend(profile_url, crm_profile::SERVICE_NAME));
    config.backends.insert("scoring".into(), support::backend(support::stalled_backend().await, SCORING));
    let gateway = support::second_gateway(&suite, config).await;
    let client = ClientViewServiceClient::with_interceptor(gateway.channel(), suite.interceptor(Role::Admin, "a"));

    // No caller deadline: only the part deadline can end the stalled fetch, so an answer at
    // all proves it was applied.
    let request = tonic::Request::new(GetClient360Request { name: created.name.clone(), ..Default::default() });
    let view = view_within_guard(client, request).await;
    assert_eq!(view.client.as_ref().map(|c| c.name.as_str()), Some(created.name.as_str()));
    assert_eq!(view.contacts.len(), 1, "the profile's parts are all there");
    assert_eq!(view.holdings.len(), 1);
    assert_eq!(warned(&view), PROFILE_PARTS.map(|_| None), "{:?}", view.warnings);
    assert!(view.value_score.is_none());
    let score = view.warnings.iter().find(|w| w.part() == Part::ValueScore).expect("a value score warning");
    assert_eq!(score.reason, "DEADLINE_EXCEEDED", "{score:?}");
    let others: Vec<(Part, &str)> =
        view.warnings.iter().filter(|w| w.part() != Part::ValueScore).map(|w| (w.part(), w.reason.as_str())).collect();
    assert_eq!(
        others,
        [
            (Part::Segments, "BACKEND_NOT_CONFIGURED"),
            (Part::Interactions, "BACKEND_NOT_CONFIGURED"),
            (Part::Cases, "BACKEND_NOT_CONFIGURED"),
            (Part::Contactability, "BACKEND_NOT_CONFIGURED"),
            (Part::Recommendations, "BACKEND_NOT_CONFIGURED"),
        ],
        "only the unconfigured services besides"
    );
    gateway.stop().await;
    suite.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_360_with_a_stalled_profile_still_answers_with_every_profile_part_named() {
    let suite = Suite::start(gateway_config()).await;
    let mut config = gateway_config();
    config.part_timeout_ms = 2_000;
    config
        .backends
        .insert("profile".into(), support::backend(support::stalled_backend().await, crm_profile::SERVICE_NAME));
    let gateway = support::second_gateway(&suite, config).await;
    let client = ClientViewServiceClient::with_interceptor(gateway.channel(), suite.interceptor(Role::Admin, "a"));
    let request = tonic::Request::new(GetClient360Request { name: "clients/x".into(), ..Default::default() });
    let view = view_within_guard(client, request).await;
    assert!(view.client.is_none());
    assert_eq!(warned(&view), PROFILE_PARTS.map(|_| Some("DEADLINE_EXCEEDED")), "{:?}", view.warnings);
    gateway.stop().await;
    suite.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_principal_over_its_rate_limit_is_refused_while_others_are_served() {
    // The gateway's clock stands still until the test moves it: the burst is all there is,
    // however long the calls take.
    let config = crm_kit::config::GatewayConfig { rate_limit_per_second: 1, rate_limit_burst: 3, ..gateway_config() };
    let suite = Suite::start(config).await;
    seed_client(&suite).await;
    let mut greedy = suite.via_gateway(Role::ContactCentreAgent, "greedy");
    for call in 1..=3 {
        greedy.lookup_client(lookup()).await.unwrap_or_else(|err| panic!("call {call} is within the burst: {err:?}"));
    }
    let refused = greedy.lookup_client(lookup()).await.expect_err("the fourth call is over the limit");
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted, "{refused:?}");
    assert_eq!(crm_testkit::reason(&refused), "RATE_LIMITED");
    let retry = tonic_types::StatusExt::get_details_retry_info(&refused).and_then(|r| r.retry_delay);
    assert_eq!(retry, Some(Duration::from_secs(1)), "one token comes back after 1/rate");

    let path = format!("/v1/clients:lookup?registration_number={REG}&country_code=CN");
    let response = suite.rest_response(Method::GET, &path, Role::ContactCentreAgent, "greedy", None).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.header("retry-after"), "1");
    assert_eq!(response.json()["error"]["details"][0]["reason"], "RATE_LIMITED");

    let mut other = suite.via_gateway(Role::ContactCentreAgent, "patient");
    other.lookup_client(lookup()).await.expect("another principal is unaffected");
    let (status, _) = suite.rest(Method::GET, &path, Role::ContactCentreAgent, "patient", None).await;
    assert_eq!(status, StatusCode::OK);

    // One second later, one more call of the greedy principal's is let in, and only one.
    suite.clock.advance(Duration::from_secs(1));
    greedy.lookup_client(lookup()).await.expect("refilled after one second");
    let refused = greedy.lookup_client(lookup()).await.expect_err("over the limit again");
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    suite.finish().await;
}
