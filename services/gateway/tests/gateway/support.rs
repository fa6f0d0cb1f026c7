//! The suite in one test process: a profile service and a gateway on port 0, each awaited
//! through its health service (no sleeps), with typed gRPC clients and a plain HTTP/1.1
//! client for REST, gRPC-Web and CORS.

use std::{net::SocketAddr, time::Duration};

use bytes::Bytes;
use crm_kit::{
    auth::{Bearer, Role, SecretKey, TokenIssuer, TokenVerifier},
    config::{BackendConfig, GatewayConfig, Limits},
    db::{Db, DbConfig},
    paging::PageTokens,
    server::{Shutdown, ShutdownTrigger},
};
use crm_profile::ProfileDeps;
use crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient;
use http_body_util::{BodyExt as _, Full};
use hyper_util::{client::legacy::Client as HttpClient, rt::TokioExecutor};
use tonic::{metadata::MetadataValue, service::interceptor::InterceptedService, transport::Channel};

pub type Profiles = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

/// A running server task.
pub struct Running {
    pub addr: SocketAddr,
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops the server and waits until it has drained.
    pub async fn stop(self) {
        self.trigger.fire();
        self.task.await.expect("server task").expect("server ran cleanly");
    }
}

/// A profile service and a gateway in front of it.
pub struct Suite {
    pub profile: Option<Running>,
    pub gateway: Running,
    pub issuer: TokenIssuer,
    pub verifier: TokenVerifier,
    pub db: Db,
    dir: std::path::PathBuf,
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
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("crm-gw-test-{unique}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let db = Db::connect_and_migrate(
            &DbConfig {
                url: format!("sqlite:{}", dir.join("profile.db").display()),
                max_connections: 4,
                ..DbConfig::default()
            },
            crm_profile::store::migrations(),
        )
        .await
        .expect("migrated database");
        let secret = SecretKey::generate().expect("secret");
        let issuer = TokenIssuer::new(&secret).expect("issuer");
        let verifier = TokenVerifier::from_secret(&secret, &Default::default()).expect("verifier");
        let limits = Limits { drain_timeout_ms: 2_000, ..Limits::default() };
        let deps = ProfileDeps {
            db: db.clone(),
            verifier: verifier.clone(),
            page_tokens: PageTokens::new(unique.as_bytes()),
            limits: limits.clone(),
        };
        let profile = spawn(|listener, shutdown| crm_profile::serve(listener, deps, shutdown)).await;
        crm_kit::server::wait_serving(channel(&profile.addr), crm_profile::SERVICE_NAME, Duration::from_secs(30))
            .await
            .expect("SERVING");

        config.backends.insert(
            "profile".into(),
            BackendConfig { url: format!("http://{}", profile.addr), services: vec![crm_profile::SERVICE_NAME.into()] },
        );
        let gateway = start_gateway(config, verifier.clone(), limits).await;
        let http = HttpClient::builder(TokioExecutor::new()).build_http();
        Self { profile: Some(profile), gateway, issuer, verifier, db, dir, http }
    }

    /// A bearer header value for `role`/`subject`.
    /// A client-side interceptor carrying a fresh token for `role`/`subject`.
    pub fn interceptor(&self, role: Role, subject: &str) -> Bearer {
        let token = self.issuer.mint(subject, role, None, Duration::from_secs(600)).expect("token");
        Bearer::new(&token).expect("header")
    }

    pub fn bearer(&self, role: Role, subject: &str) -> MetadataValue<tonic::metadata::Ascii> {
        let token = self.issuer.mint(subject, role, None, Duration::from_secs(600)).expect("token");
        format!("Bearer {token}").parse().expect("header")
    }

    /// A profile client straight to the profile service.
    pub fn direct(&self, role: Role, subject: &str) -> Profiles {
        let addr = self.profile.as_ref().expect("profile running").addr;
        ClientProfileServiceClient::with_interceptor(channel(&addr), self.interceptor(role, subject))
    }

    /// A profile client through the gateway.
    pub fn via_gateway(&self, role: Role, subject: &str) -> Profiles {
        ClientProfileServiceClient::with_interceptor(channel(&self.gateway.addr), self.interceptor(role, subject))
    }

    /// A channel to the gateway.
    pub fn gateway_channel(&self) -> Channel {
        channel(&self.gateway.addr)
    }

    /// One HTTP/1.1 request to the gateway; the response status, headers and body.
    pub async fn http(&self, request: http::Request<Full<Bytes>>) -> (http::StatusCode, http::HeaderMap, Bytes) {
        let (mut parts, body) = request.into_parts();
        parts.uri = format!("http://{}{}", self.gateway.addr, parts.uri).parse().expect("uri");
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
    pub async fn finish(mut self) {
        self.gateway.stop().await;
        if let Some(profile) = self.profile.take() {
            profile.stop().await;
        }
        self.db.close().await;
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts a gateway on port 0 and waits until its health says SERVING.
pub async fn start_gateway(config: GatewayConfig, verifier: TokenVerifier, limits: Limits) -> Running {
    let deps = crm_gateway::GatewayDeps { config, verifier, limits };
    let gateway = spawn(|listener, shutdown| crm_gateway::serve(listener, deps, shutdown)).await;
    crm_kit::server::wait_serving(channel(&gateway.addr), crm_gateway::SERVICE_NAME, Duration::from_secs(30))
        .await
        .expect("SERVING");
    gateway
}

async fn spawn<F, Fut>(start: F) -> Running
where
    F: FnOnce(tokio::net::TcpListener, Shutdown) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("addr");
    let (trigger, shutdown) = Shutdown::new();
    let task = tokio::spawn(start(listener, shutdown));
    Running { addr, trigger, task }
}

pub fn channel(addr: &SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}")).expect("uri").connect_lazy()
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
pub async fn hanging_gateway(suite: &Suite, config: GatewayConfig) -> Running {
    start_gateway(config, suite.verifier.clone(), Limits::default()).await
}
