//! The real profile service, which every other service follows, over a fresh database.

use std::net::SocketAddr;

use crm_kit::{
    auth::{Bearer, TokenVerifier},
    config::Limits,
    db::Db,
};
use crm_profile::ProfileDeps;
use crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{Backend, TestDb, TestKeys, TestServer, page_tokens};

/// A profile client carrying a bearer token.
pub type ProfileClient = ClientProfileServiceClient<InterceptedService<Channel, Bearer>>;

/// A running profile service that owns its database.
pub struct TestProfile {
    /// Its database (audit checks, direct store access).
    pub db: Db,
    server: TestServer,
}

impl TestProfile {
    /// Starts it on a fresh `backend` database, trusting `keys`, with default limits.
    pub async fn start(backend: Backend, keys: &TestKeys) -> Self {
        Self::start_with(backend, keys.verifier.clone(), Limits::default()).await
    }

    /// Starts it on a fresh `backend` database with `verifier` and `limits`.
    pub async fn start_with(backend: Backend, verifier: TokenVerifier, limits: Limits) -> Self {
        let store = TestDb::create(backend, "profile.db", crm_profile::store::migrations()).await;
        let db = store.db.clone();
        let deps = ProfileDeps {
            db: db.clone(),
            verifier,
            page_tokens: page_tokens(),
            limits,
            feeds: Default::default(),
            cipher: crm_kit::crypto::FieldCipher::ephemeral(),
            phone_region: "CN".to_owned(),
        };
        let server = TestServer::start(crm_profile::SERVICE_NAME, deps, crm_profile::serve).await.owning(store);
        Self { db, server }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Its `http://` URL.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// A channel to it.
    pub fn channel(&self) -> Channel {
        self.server.channel()
    }

    /// A client presenting `bearer`.
    pub fn client(&self, bearer: Bearer) -> ProfileClient {
        ClientProfileServiceClient::with_interceptor(self.channel(), bearer)
    }

    /// Stops it (draining) and removes its database.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
