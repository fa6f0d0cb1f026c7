//! Interaction and channels service: interactions, cases, consent and channel preferences,
//! and next best actions.
//!
//! `domain` holds the rules, `store` the persistence (SQLite or PostgreSQL), `peers` the
//! calls to the profile and segmentation services, `follower` the profile feed consumer
//! (client merges), `service` the application calls and their gRPC adapter; [`serve`] runs
//! it on a listener.

pub mod domain;
pub mod follower;
pub mod peers;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{auth::TokenVerifier, config::Limits, db::Db, paging::PageTokens, peer::PeerAuth, server::Shutdown};
use crm_proto::crm::interaction::v1::interaction_service_server::InteractionServiceServer;
use tokio::net::TcpListener;

pub use peers::Peers;
pub use service::{InteractionApp, InteractionGrpc, SERVICE_NAME};
pub use store::{SqlInteractionStore, migrations};

/// Everything the interaction service needs to run.
#[derive(Clone, Debug)]
pub struct InteractionDeps {
    /// Migrated database (see [`migrations`]).
    pub db: Db,
    /// Verifies bearer tokens.
    pub verifier: TokenVerifier,
    /// Signs page tokens.
    pub page_tokens: PageTokens,
    /// Request limits.
    pub limits: Limits,
    /// Channel to the profile service (`crm_kit::peer::channel(url)`).
    pub profile: tonic::transport::Channel,
    /// Channel to the segmentation service.
    pub segmentation: tonic::transport::Channel,
    /// This service's token for its peers (CHANNEL, subject `svc:interaction`).
    pub peer_auth: PeerAuth,
}

/// Builds the application over the SQL store.
pub fn app(deps: &InteractionDeps, shutdown: Shutdown) -> Arc<InteractionApp<SqlInteractionStore>> {
    let store = Arc::new(SqlInteractionStore::new(deps.db.clone()));
    let peers = Peers::new(deps.profile.clone(), deps.segmentation.clone(), deps.peer_auth.clone());
    Arc::new(InteractionApp::new(store, peers, deps.page_tokens.clone(), shutdown))
}

/// Serves the interaction service on `listener` until `shutdown`, following the profile's
/// change feed for client merges meanwhile.
pub async fn serve(listener: TcpListener, deps: InteractionDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let app = app(&deps, shutdown.clone());
    let follower = tokio::spawn(follower::follow_profile(
        app.store_arc(),
        deps.profile.clone(),
        deps.peer_auth.clone(),
        shutdown.clone(),
    ));
    let served =
        crm_kit::serve_grpc!(listener, InteractionServiceServer::new(InteractionGrpc::new(app)), deps, shutdown).await;
    if served.is_err() {
        follower.abort();
    } else if let Err(err) = follower.await {
        // The server returns after shutdown, which also stops the follower.
        tracing::error!(error = %err, "profile feed follower failed");
    }
    served
}
