//! Value scoring service: value models, profitability inputs, risk-adjusted value scores.
//!
//! `domain` holds the rules (exact decimal arithmetic, the model, the score), `store` the
//! persistence (SQLite or PostgreSQL), `service` the application calls and their gRPC
//! adapter; [`serve`] runs it on a listener. The service reads clients from the profile
//! service as its own CHANNEL account (`svc:scoring`).

pub mod domain;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{auth::TokenVerifier, config::Limits, db::Db, paging::PageTokens, peer::PeerAuth, server::Shutdown};
use crm_proto::crm::scoring::v1::value_scoring_service_server::ValueScoringServiceServer;
use tokio::net::TcpListener;

pub use service::{DOMAIN, ProfilePeer, SERVICE_NAME, ScoringApp, ScoringGrpc};
pub use store::{ScoringStore, SqlScoringStore, migrations};

/// Everything the scoring service needs to run.
#[derive(Clone, Debug)]
pub struct ScoringDeps {
    /// Migrated database.
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    /// Signs page tokens.
    pub page_tokens: PageTokens,
    /// Request limits.
    pub limits: Limits,
    /// Channel to the client profile service (e.g. `crm_kit::peer::channel(url)`).
    pub profile: tonic::transport::Channel,
    /// This service's token towards its peers (`PeerAuth::minted(secret, "scoring")`).
    pub peer_auth: PeerAuth,
}

/// Builds the application over the SQL store.
pub fn app(deps: &ScoringDeps, shutdown: Shutdown) -> Arc<ScoringApp<SqlScoringStore>> {
    let store = Arc::new(SqlScoringStore::new(deps.db.clone()));
    let profile = ProfilePeer::new(deps.profile.clone(), deps.peer_auth.clone());
    Arc::new(ScoringApp::new(store, profile, deps.page_tokens.clone(), deps.limits.clone(), shutdown))
}

/// Serves the scoring service on `listener` until `shutdown`. On first start it creates the
/// built-in value model version 1; it marks runs a restart interrupted as failed, and
/// follows the profile feed to rescore clients whose credit grade or parent changes.
pub async fn serve(listener: TcpListener, deps: ScoringDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let app = app(&deps, shutdown.clone());
    app.store().ensure_model(domain::model::default_model()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let interrupted = crm_kit::jobs::fail_interrupted(&deps.db).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "portfolio scoring runs interrupted by a restart were marked failed");
    }
    tokio::spawn(Arc::clone(&app).follow_profile(shutdown.clone()));
    crm_kit::serve_grpc!(listener, ValueScoringServiceServer::new(ScoringGrpc::new(app)), deps, shutdown).await
}
