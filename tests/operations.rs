//! Operating the suite as `crm up` runs it: `GET /metrics` on the gateway's port shows the
//! whole process (every server's calls, the databases, the change-feed followers), and the
//! probes tell liveness from readiness.

use crm_e2e::{FEED_TIMEOUT, portfolio, sample, start};
use crm_kit::auth::Role;
use crm_proto::crm::profile::v1::{
    Client, GetClientRequest, client_profile_service_client::ClientProfileServiceClient,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_calls_errors_latency_pools_and_feed_lag_of_the_whole_process() {
    let running = start().await;
    let before = running.get("/metrics").await;
    assert_eq!(before.status, http::StatusCode::OK);
    let before = String::from_utf8_lossy(&before.body).into_owned();
    let created_before = |server: &str| {
        sample(&before, "crm_rpc_requests_total", &[("server", server), ("method", "CreateClient"), ("code", "OK")])
            .unwrap_or(0.0)
    };
    let (gateway_before, profile_before) = (created_before("gateway"), created_before("profile"));
    let rest_before = |method: &str, code: &str| {
        let labels = [("server", "gateway"), ("protocol", "rest"), ("method", method), ("code", code)];
        sample(&before, "crm_rpc_requests_total", &labels).unwrap_or(0.0)
    };
    let (rest_found_before, rest_missing_before) =
        (rest_before("GetClient", "OK"), rest_before("GetClient", "NOT_FOUND"));

    const CLIENTS: usize = 3;
    // REST calls through the gateway count under the gRPC method they become.
    let mut last = None;
    for n in 0..CLIENTS {
        let client = Client {
            display_name: format!("Metrics Test {n}"),
            registration_number: format!("MT-{}", uuid::Uuid::new_v4().simple()),
            country_code: "CN".into(),
            industry_code: "6419".into(),
            ..portfolio::target_client()
        };
        last = Some(portfolio::create_client(&running, client).await);
    }
    let created_name = last.expect("created").name;
    running.rest_ok(http::Method::GET, &format!("/v1/{created_name}"), Role::Admin, None).await;
    let missing = running.rest(http::Method::GET, "/v1/clients/does-not-exist", Role::Admin, None).await;
    assert_eq!(missing.status, http::StatusCode::NOT_FOUND);
    let nowhere = running.rest(http::Method::GET, "/v1/no/such/route", Role::Admin, None).await;
    assert_eq!(nowhere.status, http::StatusCode::NOT_FOUND);
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);
    let missing = GetClientRequest { name: "clients/does-not-exist".into(), ..Default::default() };
    let status = profiles.get_client(missing).await.expect_err("no such client");
    assert_eq!(status.code(), tonic::Code::NotFound);

    // Segmentation follows the profile feed: once it has applied the creates, its lag is 0.
    let text = crm_testkit::poll_until("the segmentation follower caught up", FEED_TIMEOUT, || async {
        let text = String::from_utf8_lossy(&running.get("/metrics").await.body).into_owned();
        let lag = [("follower", "segmentation"), ("source", "profile")];
        let caught_up = sample(&text, "crm_feed_lag_events", &lag) == Some(0.0)
            && sample(&text, "crm_feed_follower_cursor", &lag).is_some_and(|c| c >= CLIENTS as f64);
        Ok::<_, std::convert::Infallible>(caught_up.then_some(text))
    })
    .await;

    let created = |server: &str| {
        sample(&text, "crm_rpc_requests_total", &[("server", server), ("method", "CreateClient"), ("code", "OK")])
    };
    // (Other tests of this process may create clients too: at least ours were counted.)
    assert!(created("gateway").is_some_and(|n| n >= gateway_before + CLIENTS as f64), "{text}");
    assert!(created("profile").is_some_and(|n| n >= profile_before + CLIENTS as f64), "{text}");
    let rest = |method: &str, code: &str| {
        let labels = [("server", "gateway"), ("protocol", "rest"), ("method", method), ("code", code)];
        sample(&text, "crm_rpc_requests_total", &labels)
    };
    assert!(rest("GetClient", "OK").is_some_and(|n| n >= rest_found_before + 1.0), "{text}");
    assert!(rest("GetClient", "NOT_FOUND").is_some_and(|n| n >= rest_missing_before + 1.0), "{text}");
    assert!(rest("unknown", "NOT_FOUND").is_some_and(|n| n >= 1.0), "a path of no route: {text}");
    let rest_timed = [("server", "gateway"), ("protocol", "rest"), ("method", "GetClient"), ("le", "+Inf")];
    assert!(sample(&text, "crm_rpc_duration_seconds_bucket", &rest_timed).is_some_and(|n| n >= 2.0), "{text}");
    let grpc = [("server", "gateway"), ("protocol", "grpc"), ("method", "CreateClient"), ("code", "OK")];
    assert!(sample(&text, "crm_rpc_requests_total", &grpc).is_some(), "gRPC calls say so: {text}");
    let not_found = [("server", "profile"), ("method", "GetClient"), ("code", "NOT_FOUND")];
    assert!(sample(&text, "crm_rpc_requests_total", &not_found).is_some_and(|n| n >= 1.0), "{text}");
    let timed = [("server", "profile"), ("method", "CreateClient"), ("le", "+Inf")];
    assert!(
        sample(&text, "crm_rpc_duration_seconds_bucket", &timed).is_some_and(|n| n >= CLIENTS as f64),
        "a latency histogram per method: {text}"
    );
    let pool = [("db", "profile"), ("pool", "writer"), ("state", "idle")];
    assert!(sample(&text, "crm_db_pool_connections", &pool).is_some(), "{text}");
    // One writer connection per SQLite database (every suite of this process adds up).
    let writers = sample(&text, "crm_db_pool_max_connections", &[("db", "profile"), ("pool", "writer")]);
    assert!(writers.is_some_and(|n| n >= 1.0), "{text}");
    let commits = [("db", "profile"), ("outcome", "commit"), ("le", "+Inf")];
    assert!(sample(&text, "crm_db_transaction_seconds_bucket", &commits).is_some_and(|n| n >= CLIENTS as f64));
    let appends = [("db", "profile"), ("statement", "feed_append"), ("le", "+Inf")];
    assert!(sample(&text, "crm_db_statement_seconds_bucket", &appends).is_some_and(|n| n >= CLIENTS as f64));
    assert!(sample(&text, "crm_db_acquire_seconds_count", &[("db", "profile")]).is_some(), "{text}");
    assert!(sample(&text, "crm_feed_head_sequence", &[("feed", "profile")]).is_some_and(|h| h >= CLIENTS as f64));
    let lag_seconds = [("follower", "segmentation"), ("source", "profile")];
    assert!(sample(&text, "crm_feed_lag_seconds", &lag_seconds).is_some(), "{text}");

    let live = running.get("/livez").await;
    assert_eq!(live.status, http::StatusCode::OK);
    let ready = running.get("/readyz").await;
    assert_eq!(ready.status, http::StatusCode::OK, "{}", String::from_utf8_lossy(&ready.body));
    running.finish().await;
}
