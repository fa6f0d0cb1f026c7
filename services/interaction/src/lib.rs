//! Interaction and channels service: interactions, cases, consent and channel preferences,
//! the client timeline, content, key-account plans and next best actions.
//!
//! `domain` holds the rules, `store` the persistence (SQLite or PostgreSQL), `peers` the
//! calls to the profile, segmentation and scoring services, `follow` the feed consumers
//! (client merges and erasures from the profile, exit reviews from value scoring), `service` the application calls and their gRPC adapter; [`serve`] runs
//! it on a listener.

pub mod domain;
pub mod follow;
pub mod peers;
pub mod service;
pub mod store;

use std::sync::Arc;

use crm_kit::{
    audit::AuditSink, auth::TokenVerifier, config::Limits, db::Db, paging::PageTokens, peer::PeerAuth,
    relay::StreamFollow, reply::Replier, server::Shutdown,
};
use crm_proto::crm::interaction::v1::interaction_service_server::InteractionServiceServer;
use tokio::net::TcpListener;

pub use peers::Peers;
pub use service::{DOMAIN, InteractionApp, InteractionGrpc, SERVICE_NAME};
pub use store::{InteractionStore, migrations};

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
    /// Channel to the value scoring service (value tiers for the risk checks of next best
    /// actions); `None` when the suite runs without it.
    pub scoring: Option<tonic::transport::Channel>,
    /// This service's token for its peers (CHANNEL, subject `svc:interaction`).
    pub peer_auth: PeerAuth,
    /// With `[nats] follow`: the stream the profile feed is read from instead of WatchChanges.
    pub stream: Option<StreamFollow>,
}

/// Builds the application over `store` (the store of `deps.db`, shared with the feed
/// follower).
pub fn app(deps: &InteractionDeps, store: Arc<InteractionStore>, shutdown: Shutdown) -> Arc<InteractionApp> {
    let peers =
        Peers::new(deps.profile.clone(), deps.segmentation.clone(), deps.scoring.clone(), deps.peer_auth.clone());
    Arc::new(InteractionApp::new(store, peers, deps.page_tokens.clone(), shutdown))
}

/// Serves the interaction service on `listener` until `shutdown`, following the profile's
/// change feed for client merges meanwhile (and value scoring's, when configured, for exit
/// reviews).
pub async fn serve(listener: TcpListener, deps: InteractionDeps, shutdown: Shutdown) -> anyhow::Result<()> {
    let store = Arc::new(InteractionStore::new(deps.db.clone()));
    let app = app(&deps, store.clone(), shutdown.clone());
    let mut followers = vec![tokio::spawn(follow::follow_profile(
        store.clone(),
        deps.db.clone(),
        deps.profile.clone(),
        deps.peer_auth.clone(),
        deps.stream.clone(),
        shutdown.clone(),
    ))];
    if let Some(scoring) = &deps.scoring {
        let peers = Peers::new(deps.profile.clone(), deps.segmentation.clone(), None, deps.peer_auth.clone());
        followers.push(tokio::spawn(follow::follow_scoring(
            store,
            deps.db.clone(),
            scoring.clone(),
            peers,
            deps.peer_auth.clone(),
            shutdown.clone(),
        )));
    }
    let replier = Replier::with_limits(DOMAIN, AuditSink::spawn(deps.db.clone()), &deps.limits);
    let grpc = InteractionGrpc::new(app, replier);
    let served = crm_kit::serve_grpc!(listener, InteractionServiceServer::new(grpc), deps, shutdown).await;
    for follower in followers {
        if served.is_err() {
            follower.abort();
        } else if let Err(err) = follower.await {
            // The server returns after shutdown, which also stops the followers.
            tracing::error!(error = %err, "feed follower failed");
        }
    }
    served
}
