//! The scoring application: each call validates, authorises, then uses the store and the
//! profile service. `grpc` adapts it to tonic; nothing here knows about transport.

mod follow;
mod group;
mod grpc;
mod models;
mod peer;
mod pricing;
mod profitability;
mod runs;
mod scores;
mod watch;

use std::sync::Arc;

use crm_kit::{audit::AuditSink, config::Limits, paging::PageTokens, server::Shutdown};

pub use grpc::ScoringGrpc;
pub use peer::{ProfileClient, ProfilePeer};

pub use crm_kit::call::Caller;

use crate::store::ScoringStore;

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.scoring";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.scoring.v1.ValueScoringService";

/// The value scoring application over a store.
pub struct ScoringApp<S> {
    store: Arc<S>,
    profile: ProfilePeer,
    audit: AuditSink,
    tokens: PageTokens,
    limits: Limits,
    shutdown: Shutdown,
}

impl<S> std::fmt::Debug for ScoringApp<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScoringApp").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl<S: ScoringStore> ScoringApp<S> {
    /// Builds the application (inside a Tokio runtime: it starts the audit writer).
    pub fn new(store: Arc<S>, profile: ProfilePeer, tokens: PageTokens, limits: Limits, shutdown: Shutdown) -> Self {
        let audit = AuditSink::spawn(store.db().clone());
        Self { store, profile, audit, tokens, limits, shutdown }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }
}
