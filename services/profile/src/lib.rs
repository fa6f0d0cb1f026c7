//! The client profile service: the unified corporate client record.
//!
//! `domain` holds the rules, `store` the persistence (SQLite or PostgreSQL), `service` the
//! application calls and their gRPC adapter; [`serve`] runs it on a listener.

pub mod domain;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{auth::TokenVerifier, config::Limits, db::Db, paging::PageTokens, server::Shutdown};
use crm_proto::crm::profile::v1::client_profile_service_server::ClientProfileServiceServer;
use tokio::net::TcpListener;

pub use service::{ProfileApp, ProfileGrpc, SERVICE_NAME};
pub use store::SqlProfileStore;

/// Everything the profile service needs to run.
#[derive(Clone, Debug)]
pub struct ProfileDeps {
    /// Migrated database.
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    /// Signs page tokens.
    pub page_tokens: PageTokens,
    /// Request limits.
    pub limits: Limits,
}

/// Builds the application over the SQL store.
pub fn app(deps: &ProfileDeps, shutdown: Shutdown) -> Arc<ProfileApp<SqlProfileStore>> {
    let store = Arc::new(SqlProfileStore::new(deps.db.clone()));
    Arc::new(ProfileApp::new(store, deps.page_tokens.clone(), deps.limits.clone(), shutdown))
}

/// Serves the profile service on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, deps: ProfileDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let app = app(&deps, shutdown.clone());
    crm_kit::serve_grpc!(listener, ClientProfileServiceServer::new(ProfileGrpc::new(app)), deps, shutdown).await
}
