//! The segmentation service: segmentation plans (schemes) with ordered, multi-level segments
//! whose CEL rules assign every client of the portfolio, membership history, segment quality
//! and product penetration (docs/domain.md §2).
//!
//! `domain` holds the rules, `store` the persistence (SQLite or PostgreSQL), `service` the
//! application calls and their gRPC adapter, `peers` the calls to other services and
//! `follow` the followers of their change feeds that keep the local client projection
//! current; [`serve`] runs it on a listener.

pub mod domain;
pub mod follow;
pub mod peers;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{
    audit::AuditSink, auth::TokenVerifier, config::Limits, db::Db, jobs::Jobs, paging::PageTokens, peer::PeerAuth,
    relay::StreamFollow, reply::Replier, server::Shutdown,
};
use crm_proto::crm::segmentation::v1::segmentation_service_server::SegmentationServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Channel;

pub use service::{DOMAIN, SERVICE_NAME, SegmentationApp, SegmentationGrpc};
pub use store::{SegmentationStore, migrations};

/// Everything the segmentation service needs to run.
#[derive(Clone, Debug)]
pub struct SegmentationDeps {
    /// Migrated database.
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    /// Signs page tokens.
    pub page_tokens: PageTokens,
    /// Message size, concurrency and deadline limits of the server.
    pub limits: Limits,
    /// Channel to the profile service (its change feed, and reads after bulk loads).
    pub profile: Channel,
    /// Channel to the scoring service, when it runs (its feed of value scores).
    pub scoring: Option<Channel>,
    /// Channel to the interaction service, when it runs (its feed, and contactability for
    /// accessibility).
    pub interaction: Option<Channel>,
    /// This service's token for its peers (it calls them as CHANNEL, `svc:segmentation`).
    pub peer_auth: PeerAuth,
    /// With `[nats] follow`: the stream the feeds are read from instead of WatchChanges.
    pub stream: Option<StreamFollow>,
}

/// The application over the database of `deps`; its activation workers stop at `shutdown`.
pub fn app(deps: &SegmentationDeps, shutdown: Shutdown) -> Arc<SegmentationApp> {
    let store = Arc::new(SegmentationStore::new(deps.db.clone()));
    Arc::new(SegmentationApp::new(store, Jobs::new(deps.db.clone()), deps.page_tokens.clone(), shutdown))
}

/// Serves the segmentation service on `listener` until `shutdown`, following the profile
/// (and, when configured, scoring) feeds meanwhile. Activations interrupted by an earlier
/// stop are marked failed first.
pub async fn serve(listener: TcpListener, deps: SegmentationDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let app = app(&deps, shutdown.clone());
    app.recover().await.map_err(|e| anyhow::anyhow!("recovering interrupted activations: {e}"))?;
    let peers =
        peers::Peers::new(deps.profile.clone(), deps.scoring.clone(), deps.interaction.clone(), deps.peer_auth.clone());
    let followers = follow::spawn(&deps.db, app.store(), peers, deps.stream.clone(), &shutdown);
    let replier = Replier::with_limits(DOMAIN, AuditSink::spawn(deps.db.clone()), &deps.limits);
    let grpc = SegmentationGrpc::new(app, replier);
    let served = crm_kit::serve_grpc!(listener, SegmentationServiceServer::new(grpc), deps, shutdown).await;
    for task in followers {
        if let Err(err) = task.await {
            tracing::error!(error = %err, "a feed follower ended abnormally");
        }
    }
    served
}
