//! Support for the end-to-end tests: the whole suite started in process on free ports over a
//! fresh data directory, exactly as `crm up` starts it, with tokens for any role.

pub use crm::suite::{Service, Suite};
use crm_kit::{
    auth::{Bearer, Role},
    config::Config,
};
use crm_testkit::TestKeys;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

/// A running suite.
pub struct Running {
    /// The services.
    pub suite: Suite,
    /// Its data directory (removed by `finish`).
    pub data_dir: std::path::PathBuf,
    /// A channel to the gateway.
    pub gateway: Channel,
    keys: TestKeys,
}

/// Starts the suite and waits until every service is SERVING.
pub async fn start() -> Running {
    let data_dir = std::env::temp_dir().join(format!("crm-360-{}", uuid::Uuid::new_v4().simple()));
    let mut config = Config { data_dir: data_dir.clone(), ..Config::default() };
    let any_port = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    for service in [&mut config.profile, &mut config.segmentation, &mut config.scoring, &mut config.interaction] {
        service.listen = any_port.into();
    }
    config.gateway.listen = any_port.into();
    config.limits.drain_timeout_ms = 1_000;
    let suite = Suite::start(&config).await.expect("suite starts");
    for service in Service::ALL {
        crm_testkit::serving_channel(suite.addr(service).expect("bound"), service.grpc_name()).await;
    }
    let gateway = crm_testkit::channel(suite.addr(Service::Gateway).expect("gateway"));
    let secret = crm_kit::auth::load_or_create_secret(&data_dir).expect("embedded key");
    Running { suite, data_dir, gateway, keys: TestKeys::from_secret(secret) }
}

impl Running {
    /// A bearer for `role`.
    pub fn bearer(&self, role: Role, subject: &str) -> Bearer {
        self.keys.bearer(role, subject, None)
    }

    /// A typed client of the gateway acting as `role`.
    pub fn client<C>(&self, role: Role, make: impl FnOnce(InterceptedService<Channel, Bearer>) -> C) -> C {
        make(InterceptedService::new(self.gateway.clone(), self.bearer(role, "e2e-user")))
    }

    /// Stops every service and removes the data directory.
    pub async fn finish(self) {
        self.suite.stop().await.expect("the suite drains cleanly");
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}
