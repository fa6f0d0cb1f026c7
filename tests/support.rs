//! Support for the end-to-end tests: the whole suite started in process on free ports over a
//! fresh data directory, exactly as `crm up` starts it, with tokens for any role, typed gRPC
//! clients of the gateway, and REST and gRPC-Web calls to it.

#[path = "support/portfolio.rs"]
pub mod portfolio;

use std::time::Duration;

pub use crm::suite::{Service, Suite};
use crm_kit::{
    auth::{Bearer, Role},
    config::Config,
};
use crm_testkit::{
    TestKeys,
    http::{GrpcWebResponse, HttpClient, HttpResponse},
};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

/// How long a condition that depends on a feed between services may take to hold.
pub const FEED_TIMEOUT: Duration = Duration::from_secs(30);

/// A running suite.
pub struct Running {
    /// The services.
    pub suite: Suite,
    /// Its data directory (removed by `finish`).
    pub data_dir: std::path::PathBuf,
    /// A channel to the gateway.
    pub gateway: Channel,
    /// The configuration it runs with.
    pub config: Config,
    http: HttpClient,
    keys: TestKeys,
}

/// The configuration of a suite under test: a fresh data directory, every port free.
fn test_config() -> Config {
    let data_dir = crm_testkit::scratch_dir("suite");
    let mut config = Config { data_dir, ..Config::default() };
    let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    for service in [&mut config.profile, &mut config.segmentation, &mut config.scoring, &mut config.interaction] {
        service.listen = any_port.into();
    }
    config.gateway.listen = any_port.into();
    config.limits.drain_timeout_ms = 1_000;
    config
}

/// Starts the suite and waits until every service is SERVING.
pub async fn start() -> Running {
    start_with(test_config()).await
}

/// Starts the suite with `edit` made to the test configuration (e.g. `[nats]`).
pub async fn start_configured(edit: impl FnOnce(&mut Config)) -> Running {
    let mut config = test_config();
    edit(&mut config);
    start_with(config).await
}

/// Starts the suite as `crm up --demo --demo-clients <clients>` does: the deterministic demo
/// portfolio first, then every service, then the demo's scores, interactions, cases and
/// segmentation scheme through the services' APIs.
pub async fn start_demo(clients: u64) -> Running {
    let config = test_config();
    let db = crm::runtime::profile_db(&config).await.expect("profile database");
    crm::seeding::ensure_demo(&config, &db, clients).await.expect("demo portfolio");
    db.close().await;
    let running = start_with(config).await;
    crm::demo::ensure(&running.config, &running.suite, clients).await.expect("demo data");
    running
}

async fn start_with(config: Config) -> Running {
    let data_dir = config.data_dir.clone();
    let suite = Suite::start(&config).await.expect("suite starts");
    for service in Service::ALL {
        crm_testkit::serving_channel(suite.addr(service).expect("bound"), service.grpc_name()).await;
    }
    let gateway_addr = suite.addr(Service::Gateway).expect("gateway");
    let gateway = crm_testkit::channel(gateway_addr);
    let http = HttpClient::new(format!("http://{gateway_addr}"));
    let secret = crm_kit::auth::load_or_create_secret(&data_dir).expect("embedded key");
    Running { suite, data_dir, gateway, http, keys: TestKeys::from_secret(secret), config }
}

impl Running {
    /// The keys that sign this suite's tokens.
    pub fn keys(&self) -> &TestKeys {
        &self.keys
    }

    /// A token for `role` signed with the suite's key, as `crm token` mints it.
    pub fn token(&self, role: Role, subject: &str, portfolio: Option<&str>) -> String {
        self.keys.token(role, subject, portfolio)
    }

    /// A bearer for `role`.
    pub fn bearer(&self, role: Role, subject: &str) -> Bearer {
        self.keys.bearer(role, subject, None)
    }

    /// A typed client of the gateway acting as `role`.
    pub fn client<C>(&self, role: Role, make: impl FnOnce(InterceptedService<Channel, Bearer>) -> C) -> C {
        make(InterceptedService::new(self.gateway.clone(), self.bearer(role, "e2e-user")))
    }

    /// A REST call to the gateway as `role`.
    pub async fn rest(&self, method: http::Method, path: &str, role: Role, body: Option<&str>) -> HttpResponse {
        self.http.rest(method, path, &self.keys.token(role, "e2e-user", None), body).await
    }

    /// A REST call that must answer 200; its JSON body.
    pub async fn rest_ok(&self, method: http::Method, path: &str, role: Role, body: Option<&str>) -> serde_json::Value {
        let response = self.rest(method.clone(), path, role, body).await;
        assert_eq!(
            response.status,
            http::StatusCode::OK,
            "{method} {path}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()
    }

    /// A plain `GET path` on the gateway's port, without credentials (`/metrics`, probes).
    pub async fn get(&self, path: &str) -> HttpResponse {
        self.http.get(path).await
    }

    /// A unary gRPC-Web call to the gateway as `role`.
    pub async fn grpc_web(&self, path: &str, role: Role, message: &impl prost::Message) -> GrpcWebResponse {
        self.http.grpc_web(path, &self.keys.token(role, "e2e-user", None), message).await
    }

    /// Stops every service and removes the data directory.
    pub async fn finish(self) {
        self.suite.stop().await.expect("the suite drains cleanly");
        std::fs::remove_dir_all(&self.data_dir)
            .unwrap_or_else(|err| panic!("removing {}: {err}", self.data_dir.display()));
    }
}

/// The value, in a Prometheus text exposition, of the series `name` whose labels include every one of `labels`.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
        let matches = metric == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
        if matches { value.parse().ok() } else { None }
    })
}
