//! The client profile service: the unified corporate client record.
//!
//! `domain` holds the rules, `store` the persistence (SQLite or PostgreSQL), `service` the
//! application calls and their gRPC adapter; [`serve`] runs it on a listener.

pub mod domain;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{
    audit::AuditSink,
    auth::TokenVerifier,
    config::{FeedConfig, Limits},
    crypto::FieldCipher,
    db::Db,
    paging::PageTokens,
    reply::Replier,
    server::Shutdown,
    write::Writer,
};
use crm_proto::crm::profile::v1::client_profile_service_server::ClientProfileServiceServer;
use tokio::net::TcpListener;

pub use service::{DOMAIN, ProfileApp, ProfileGrpc, SERVICE_NAME};
pub use store::ProfileStore;

/// Everything the profile service needs to run.
#[derive(Clone, Debug)]
pub struct ProfileDeps {
    /// Migrated database.
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    /// Signs page tokens (the key is shared by replicas).
    pub page_tokens: PageTokens,
    /// Bounds on requests (message size, filter length).
    pub limits: Limits,
    /// Who receives clear values from the change feed.
    pub feeds: FeedConfig,
    /// Seals tax ids, phones and e-mails at rest (its key is outside the database).
    pub cipher: FieldCipher,
    /// Region a phone number without its country code is read in when a call names none.
    pub phone_region: String,
}

/// The application over the service database, auditing sensitive reads to `audit`.
pub fn app(deps: &ProfileDeps, audit: AuditSink, shutdown: Shutdown) -> ProfileApp {
    let store = Arc::new(ProfileStore::new(Writer::new(deps.db.clone()), deps.cipher.clone()));
    ProfileApp::new(store, audit, deps.page_tokens.clone(), deps.limits.clone(), deps.feeds.clone(), shutdown)
        .with_phone_region(&deps.phone_region)
}

/// Serves the profile service on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, deps: ProfileDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let audit = AuditSink::spawn(deps.db.clone());
    let app = Arc::new(app(&deps, audit.clone(), shutdown.clone()));
    let grpc = ProfileGrpc::new(app, Replier::with_limits(DOMAIN, audit, &deps.limits));
    crm_kit::serve_grpc!(listener, ClientProfileServiceServer::new(grpc), deps, shutdown).await
}
