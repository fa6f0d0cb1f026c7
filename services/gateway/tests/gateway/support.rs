//! The suite in one test process: a profile service and a gateway on port 0, each awaited
//! through its health service (no sleeps), with typed gRPC clients and a plain HTTP/1.1
//! client for REST, gRPC-Web and CORS. The gateway's rate limits read a clock the test moves
//! by hand, so a refusal never depends on how fast the calls ran.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use bytes::Bytes;
use crm_gateway::edge::Clock;
use crm_kit::{
    auth::{Bearer, Role, TokenVerifier},
    config::{BackendConfig, GatewayConfig, Limits},
};
use crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient;
use crm_testkit::{Backend, ProfileClient, TestKeys, TestProfile, TestServer, http::HttpClient};
use http_body_util::Full;
use tonic::{metadata::MetadataValue, service::interceptor::InterceptedService, transport::Channel};

pub use crm_testkit::http::{grpc_web_frame, grpc_web_parts};

/// A profile service and a gateway in front of it.
pub struct Suite {
    pub profile: Option<TestProfile>,
    pub gateway: TestServer,
    pub keys: TestKeys,
    /// The clock of the gateway's rate limits: it stands still until the test moves it.
    pub clock: Arc<HandClock>,
    http: HttpClient,
}

/// A clock that moves only when the test says so.
#[derive(Debug)]
pub struct HandClock(Mutex<Instant>);

impl HandClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(Instant::now())))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.0.lock().expect("clock") += by;
    }
}

impl Clock for HandClock {
    fn now(&self) -> Instant {
        *self.0.lock().expect("clock")
    }
}

/// Gateway settings for tests: generous limits unless a test says otherwise.
/// A gateway with no backends but the test's profile service (added by `Suite::start`):
/// the other services' parts of a client 360 view are BACKEND_NOT_CONFIGURED.
pub fn gateway_config() -> GatewayConfig {
    GatewayConfig {
        rate_limit_per_second: 0,
        part_timeout_ms: 2_000,
        backends: Default::default(),
        ..GatewayConfig::default()
    }
}

impl Suite {
    /// Profile + gateway with `config` (its profile backend pointed at the test profile).
    pub async fn start(mut config: GatewayConfig) -> Self {
        let keys = TestKeys::new();
        let limits = Limits { drain_timeout_ms: 2_000, ..Limits::default() };
        let profile = TestProfile::start_with(Backend::Sqlite, keys.verifier.clone(), limits.clone()).await;
        config.backends.insert(
            "profile".into(),
            BackendConfig { url: profile.url(), services: vec![crm_profile::SERVICE_NAME.into()] },
        );
        let clock = HandClock::new();
        let gateway = start_gateway_with_clock(config, keys.verifier.clone(), limits, clock.clone()).await;
        let http = HttpClient::new(gateway.url());
        Self { profile: Some(profile), gateway, keys, clock, http }
    }

    /// A bearer header value for `role`/`subject`.
    /// A client-side interceptor carrying a fresh token for `role`/`subject`.
    pub fn interceptor(&self, role: Role, subject: &str) -> Bearer {
        self.keys.bearer(role, subject, None)
    }

    pub fn bearer(&self, role: Role, subject: &str) -> MetadataValue<tonic::metadata::Ascii> {
        format!("Bearer {}", self.keys.token(role, subject, None)).parse().expect("header")
    }

    /// A profile client straight to the profile service.
    pub fn direct(&self, role: Role, subject: &str) -> ProfileClient {
        self.profile.as_ref().expect("profile running").client(self.interceptor(role, subject))
    }

    /// A profile client through the gateway.
    pub fn via_gateway(&self, role: Role, subject: &str) -> ProfileClient {
        ClientProfileServiceClient::with_interceptor(self.gateway_channel(), self.interceptor(role, subject))
    }

    /// A channel to the gateway.
    pub fn gateway_channel(&self) -> Channel {
        self.gateway.channel()
    }

    /// One HTTP/1.1 request to the gateway; the response status, headers and body.
    pub async fn http(&self, request: http::Request<Full<Bytes>>) -> (http::StatusCode, http::HeaderMap, Bytes) {
        let response = self.http.send(request).await;
        (response.status, response.headers, response.body)
    }

    /// A REST call as `role`; the status and JSON body.
    pub async fn rest(
        &self,
        method: http::Method,
        path: &str,
        role: Role,
        subject: &str,
        body: Option<&str>,
    ) -> (http::StatusCode, serde_json::Value) {
        let response = self.rest_response(method, path, role, subject, body).await;
        (response.status, response.json())
    }

    /// A REST call as `role`; the whole response.
    pub async fn rest_response(
        &self,
        method: http::Method,
        path: &str,
        role: Role,
        subject: &str,
        body: Option<&str>,
    ) -> crm_testkit::http::HttpResponse {
        self.http.rest(method, path, &self.keys.token(role, subject, None), body).await
    }

    /// Stops everything and removes the database.
    pub async fn finish(self) {
        self.gateway.stop().await;
        if let Some(profile) = self.profile {
            profile.stop().await;
        }
    }
}

/// Starts a gateway on port 0 and waits until its health says SERVING.
pub async fn start_gateway(config: GatewayConfig, verifier: TokenVerifier, limits: Limits) -> TestServer {
    start_gateway_with_clock(config, verifier, limits, HandClock::new()).await
}

/// Starts a gateway whose rate limits read `clock`.
pub async fn start_gateway_with_clock(
    config: GatewayConfig,
    verifier: TokenVerifier,
    limits: Limits,
    clock: Arc<HandClock>,
) -> TestServer {
    let deps = crm_gateway::GatewayDeps { config, verifier, limits };
    TestServer::start(crm_gateway::SERVICE_NAME, deps, move |listener, deps, shutdown| {
        crm_gateway::serve_with_clock(listener, deps, shutdown, clock)
    })
    .await
}

/// A gRPC channel with a bearer token.
pub type InterceptedChannel = InterceptedService<Channel, Bearer>;

/// A second gateway with `config` (e.g. a backend that never answers), same token key.
pub async fn second_gateway(suite: &Suite, config: GatewayConfig) -> TestServer {
    start_gateway(config, suite.keys.verifier.clone(), Limits::default()).await
}

/// A backend that accepts connections and never answers: nothing it is asked ever comes
/// back, so a call to it ends only by a deadline. Its URL; it lives as long as the runtime.
pub async fn stalled_backend() -> String {
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = hole.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = hole.accept().await {
            held.push(socket);
        }
    });
    format!("http://{addr}")
}

/// A backend entry for `service` at `url`.
pub fn backend(url: String, service: &str) -> BackendConfig {
    BackendConfig { url, services: vec![service.to_owned()] }
}
