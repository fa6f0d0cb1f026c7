//! A profile server on port 0 over a fresh database of either backend, with typed clients.

use crm_kit::{auth::Role, db::Db};
pub use crm_testkit::{Backend, conformance, reason, violations};
use crm_testkit::{ProfileClient, TestKeys, TestProfile};

/// A running profile service.
pub struct TestApp {
    pub db: Db,
    keys: TestKeys,
    profile: TestProfile,
}

impl TestApp {
    /// Starts a profile server on a fresh database and waits until health says SERVING.
    pub async fn spawn(backend: Backend) -> Self {
        let keys = TestKeys::new();
        let profile = TestProfile::start(backend, &keys).await;
        Self { db: profile.db.clone(), keys, profile }
    }

    /// A client acting as `role`/`subject`.
    pub fn client_as(&self, role: Role, subject: &str, portfolio: Option<&str>) -> ProfileClient {
        self.profile.client(self.keys.bearer(role, subject, portfolio))
    }

    /// A channel to the server (health checks).
    pub fn channel(&self) -> tonic::transport::Channel {
        self.profile.channel()
    }

    pub fn admin(&self) -> ProfileClient {
        self.client_as(Role::Admin, "admin-1", None)
    }

    pub fn rm(&self, subject: &str) -> ProfileClient {
        self.client_as(Role::RelationshipManager, subject, None)
    }

    /// Stops the server (draining) and removes the database.
    pub async fn finish(self) {
        self.profile.stop().await;
    }
}
