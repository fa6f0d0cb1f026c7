//! A profile server on port 0 over a fresh database of either backend, with typed clients.

use std::time::Duration;

use crm_kit::{
    auth::{Bearer, Role},
    config::Limits,
    db::Db,
    paging::PageTokens,
    server::{Shutdown, ShutdownTrigger},
};
use crm_profile::ProfileDeps;
use crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient;
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{TestDb, TestKeys};
use tonic::{service::interceptor::InterceptedService, transport::Channel};

pub type Client = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

/// A running profile service.
pub struct TestApp {
    pub channel: Channel,
    pub db: Db,
    keys: TestKeys,
    trigger: ShutdownTrigger,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
    store: TestDb,
}

impl TestApp {
    /// Starts a profile server on a fresh database and waits until health says SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        let store = TestDb::create(backend, "profile.db", crm_profile::store::migrations()).await;
        let keys = TestKeys::new();
        let deps = ProfileDeps {
            db: store.db.clone(),
            verifier: keys.verifier.clone(),
            page_tokens: PageTokens::new(uuid::Uuid::new_v4().as_bytes()),
            limits: Limits::default(),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("addr");
        let (trigger, shutdown) = Shutdown::new();
        let server = tokio::spawn(crm_profile::serve(listener, deps, shutdown));
        let channel = Channel::from_shared(format!("http://{addr}")).expect("uri").connect_lazy();
        crm_kit::server::wait_serving(channel.clone(), crm_profile::SERVICE_NAME, Duration::from_secs(30))
            .await
            .expect("service became SERVING");
        Self { channel, db: store.db.clone(), keys, trigger, server, store }
    }

    /// A client acting as `role`/`subject`.
    pub fn client_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> Client {
        ClientProfileServiceClient::with_interceptor(self.channel.clone(), self.keys.bearer(role, subject, portfolio))
    }

    pub fn admin(&self) -> Client {
        self.client_as(Role::Admin, "admin-1", None)
    }

    pub fn rm(&self, subject: &str) -> Client {
        self.client_as(Role::RelationshipManager, subject, None)
    }

    /// Stops the server (draining) and removes the database.
    pub async fn finish(self) {
        self.trigger.fire();
        self.server.await.expect("server task").expect("server ran cleanly");
        self.store.remove().await;
    }
}
