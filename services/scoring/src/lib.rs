//! Value scoring service: value models, profitability inputs, risk-adjusted value scores.
//!
//! `domain` holds the rules (exact decimal arithmetic, the model, the score), `store` the
//! persistence (SQLite or PostgreSQL), `service` the application calls and their gRPC
//! adapter, `peers` the calls to the profile service (as this service's CHANNEL account
//! `svc:scoring`) and `follow` the profile feed follower; [`serve`] runs it on a listener.

pub mod domain;
mod follow;
pub mod peers;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{
    audit::AuditSink, auth::TokenVerifier, config::Limits, db::Db, jobs::Jobs, paging::PageTokens, peer::PeerAuth,
    relay::StreamFollow, reply::Replier, server::Shutdown,
};
use crm_proto::crm::scoring::v1::value_scoring_service_server::ValueScoringServiceServer;
use tokio::net::TcpListener;

pub use peers::Peers;
pub use service::{DOMAIN, SERVICE_NAME, ScoringApp, ScoringGrpc};
pub use store::{ScoringStore, migrations};

/// Everything the scoring service needs to run.
#[derive(Clone, Debug)]
pub struct ScoringDeps {
    /// Migrated database.
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    pub page_tokens: PageTokens,
    pub limits: Limits,
    /// Channel to the client profile service (e.g. `crm_kit::peer::channel(url)`).
    pub profile: tonic::transport::Channel,
    /// This service's token towards its peers (`PeerAuth::minted(secret, "scoring")`).
    pub peer_auth: PeerAuth,
    /// With `[nats] follow`: the stream the profile feed is read from instead of WatchChanges.
    pub stream: Option<StreamFollow>,
}

/// Builds the application over the scoring database of `deps`.
pub fn app(deps: &ScoringDeps, shutdown: Shutdown) -> Arc<ScoringApp> {
    Arc::new(ScoringApp {
        store: ScoringStore::new(deps.db.clone()),
        peers: Peers::new(deps.profile.clone(), deps.peer_auth.clone()),
        jobs: Jobs::new(deps.db.clone()),
        tokens: deps.page_tokens.clone(),
        limits: deps.limits.clone(),
        shutdown,
        dirty: service::DirtyCells::default(),
    })
}

/// Serves the scoring service on `listener` until `shutdown`. On first start it creates the
/// built-in value model version 1; it marks runs a restart interrupted as failed, and
/// follows the profile feed to rescore clients whose credit grade or parent changes, and
/// re-ranks market-access cells in the background.
pub async fn serve(listener: TcpListener, deps: ScoringDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let app = app(&deps, shutdown.clone());
    app.ensure_model().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let interrupted = Jobs::new(deps.db.clone()).fail_interrupted().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    if interrupted > 0 {
        tracing::warn!(interrupted, "portfolio scoring runs interrupted by a restart were marked failed");
    }
    tokio::spawn(follow::follow_profile(Arc::clone(&app), deps.db.clone(), deps.stream.clone(), shutdown.clone()));
    tokio::spawn(service::rerank_marked(Arc::clone(&app)));
    let replier = Replier::with_limits(DOMAIN, AuditSink::spawn(deps.db.clone()), &deps.limits);
    crm_kit::serve_grpc!(listener, ValueScoringServiceServer::new(ScoringGrpc::new(app, replier)), deps, shutdown).await
}
