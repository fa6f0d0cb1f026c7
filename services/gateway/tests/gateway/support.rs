//! The suite in one test process: a profile service and a gateway on port 0, each awaited
//! through its health service (no sleeps), with typed gRPC clients and a plain HTTP/1.1
//! client for REST, gRPC-Web and CORS.

use bytes::Bytes;
use crm_kit::{
    auth::{Bearer, Role, TokenVerifier},
    config::{BackendConfig, GatewayConfig, Limits},
};
use crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient;
use crm_testkit::{Backend, ProfileClient, TestKeys, TestProfile, TestServer};
use http_body_util::{BodyExt as _, Full};
use hyper_util::{client::legacy::Client as HttpClient, rt::TokioExecutor};
use tonic::{metadata::MetadataValue, service::interceptor::InterceptedService, transport::Channel};

/// A profile service and a gateway in front of it.
pub struct Suite {
    pub profile: Option<TestProfile>,
    pub gateway: TestServer,
    pub keys: TestKeys,
    http: HttpClient<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
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
        let gateway = start_gateway(config, keys.verifier.clone(), limits).await;
        let http = HttpClient::builder(TokioExecutor::new()).build_http();
        Self { profile: Some(profile), gateway, keys, http }
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
        let (mut parts, body) = request.into_parts();
        parts.uri = format!("{}{}", self.gateway.url(), parts.uri).parse().expect("uri");
        let response = self.http.request(http::Request::from_parts(parts, body)).await.expect("http call");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (parts.status, parts.headers, body)
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
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", self.bearer(role, subject).to_str().expect("ascii"));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = Full::new(Bytes::from(body.unwrap_or_default().to_owned()));
        let (status, _, bytes) = self.http(request.body(body).expect("request")).await;
        let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| panic!("JSON body: {bytes:?}"));
        (status, json)
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
    let deps = crm_gateway::GatewayDeps { config, verifier, limits };
    TestServer::start(crm_gateway::SERVICE_NAME, deps, crm_gateway::serve).await
}

/// A gRPC-Web (binary) request body: one uncompressed message frame.
pub fn grpc_web_frame(message: &impl prost::Message) -> Bytes {
    let encoded = message.encode_to_vec();
    let mut out = Vec::with_capacity(encoded.len() + 5);
    out.push(0);
    out.extend_from_slice(&u32::try_from(encoded.len()).expect("small").to_be_bytes());
    out.extend_from_slice(&encoded);
    Bytes::from(out)
}

/// Splits a gRPC-Web response body into its message and its trailers text.
pub fn grpc_web_parts(body: &[u8]) -> (Option<Bytes>, String) {
    let (mut message, mut trailers, mut at) = (None, String::new(), 0);
    while at + 5 <= body.len() {
        let flag = body[at];
        let len = u32::from_be_bytes(body[at + 1..at + 5].try_into().expect("4 bytes")) as usize;
        let frame = &body[at + 5..at + 5 + len];
        if flag & 0x80 == 0 {
            message = Some(Bytes::copy_from_slice(frame));
        } else {
            trailers = String::from_utf8_lossy(frame).into_owned();
        }
        at += 5 + len;
    }
    (message, trailers)
}

/// A gRPC channel with a bearer token.
pub type InterceptedChannel = InterceptedService<Channel, Bearer>;

/// A second gateway with `config` (e.g. a backend that never answers), same token key.
pub async fn hanging_gateway(suite: &Suite, config: GatewayConfig) -> TestServer {
    start_gateway(config, suite.keys.verifier.clone(), Limits::default()).await
}
