//! The scoring application: each call validates, authorises, then uses the store and the
//! profile service. `grpc` adapts it to tonic; nothing here knows about transport.

mod group;
mod grpc;
mod models;
mod pricing;
mod profitability;
mod runs;
mod scores;
mod watch;

use crm_kit::{config::Limits, jobs::Jobs, paging::PageTokens, server::Shutdown};

pub use grpc::ScoringGrpc;
pub(crate) use scores::access_of;

pub use crm_kit::call::Caller;

use crate::{peers::Peers, store::ScoringStore};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.scoring";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.scoring.v1.ValueScoringService";

/// The value scoring application.
pub struct ScoringApp {
    store: ScoringStore,
    peers: Peers,
    /// Portfolio scoring runs.
    jobs: Jobs,
    tokens: PageTokens,
    limits: Limits,
    shutdown: Shutdown,
}

impl std::fmt::Debug for ScoringApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScoringApp").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl ScoringApp {
    /// The application over `store`, calling the profile service through `peers`; portfolio
    /// runs are kept in `jobs`, and stop at `shutdown`.
    pub fn new(
        store: ScoringStore,
        peers: Peers,
        jobs: Jobs,
        tokens: PageTokens,
        limits: Limits,
        shutdown: Shutdown,
    ) -> Self {
        Self { store, peers, jobs, tokens, limits, shutdown }
    }

    pub(crate) fn store(&self) -> &ScoringStore {
        &self.store
    }

    pub(crate) fn peers(&self) -> &Peers {
        &self.peers
    }
}
