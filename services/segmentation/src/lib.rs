//! The segmentation service: segmentation plans (schemes) with ordered, multi-level segments
//! whose CEL rules assign every client of the portfolio, membership history, segment quality
//! and product penetration (DOMAIN §2).
//!
//! `domain` holds the rules, `store` the persistence (SQLite or PostgreSQL), `service` the
//! application calls and their gRPC adapter, `feed` the followers of other services' change
//! feeds that keep the local client projection current; [`serve`] runs it on a listener.

pub mod domain;
pub mod feed;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{auth::TokenVerifier, config::Limits, db::Db, paging::PageTokens, peer::PeerAuth, server::Shutdown};
use crm_proto::crm::segmentation::v1::segmentation_service_server::SegmentationServiceServer;
use tokio::net::TcpListener;
use tonic::transport::Channel;

pub use service::{DOMAIN, SERVICE_NAME, SegmentationApp, SegmentationGrpc};
pub use store::{SqlSegmentationStore, migrations};

/// Everything the segmentation service needs to run.
#[derive(Clone, Debug)]
pub struct SegmentationDeps {
    /// Migrated database.
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    /// Signs page tokens.
    pub page_tokens: PageTokens,
    /// Request limits.
    pub limits: Limits,
    /// Channel to the profile service (its change feed, and reads after bulk loads).
    pub profile: Channel,
    /// Channel to the scoring service, when it runs (value scores for the report).
    pub scoring: Option<Channel>,
    /// This service's token for its peers (it calls them as CHANNEL, `svc:segmentation`).
    pub peer_auth: PeerAuth,
}

/// Builds the application over the SQL store.
pub fn app(deps: &SegmentationDeps, shutdown: Shutdown) -> Arc<SegmentationApp<SqlSegmentationStore>> {
    let store = Arc::new(SqlSegmentationStore::new(deps.db.clone()));
    Arc::new(SegmentationApp::new(store, deps.page_tokens.clone(), deps.limits.clone(), shutdown))
}

/// Serves the segmentation service on `listener` until `shutdown`, following the profile
/// (and, when configured, scoring) feeds meanwhile. Activations interrupted by an earlier stop are marked failed first.
pub async fn serve(listener: TcpListener, deps: SegmentationDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let app = app(&deps, shutdown.clone());
    app.recover().await.map_err(|e| anyhow::anyhow!("recovering interrupted activations: {e}"))?;
    let follower = tokio::spawn(feed::profile::follow_profile(
        app.store_arc(),
        deps.profile.clone(),
        deps.peer_auth.clone(),
        shutdown.clone(),
    ));
    let scoring = deps.scoring.clone().map(|channel| {
        tokio::spawn(feed::scoring::follow_scoring(app.store_arc(), channel, deps.peer_auth.clone(), shutdown.clone()))
    });
    let served =
        crm_kit::serve_grpc!(listener, SegmentationServiceServer::new(SegmentationGrpc::new(app)), deps, shutdown)
            .await;
    for task in std::iter::once(follower).chain(scoring) {
        if let Err(err) = task.await {
            tracing::error!(error = %err, "a feed follower ended abnormally");
        }
    }
    served
}
