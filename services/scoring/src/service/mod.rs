//! The scoring application: each call validates, authorises, then uses the store and the
//! profile service. `grpc` adapts it to tonic; nothing here knows about transport.

mod access;
mod group;
mod grpc;
mod models;
mod pricing;
mod profitability;
mod runs;
mod scores;
mod watch;

use crm_kit::{config::Limits, jobs::Jobs, paging::PageTokens, server::Shutdown};

pub use access::{DirtyCells, rerank_marked};
pub use grpc::ScoringGrpc;
pub(crate) use scores::{access_of, is_sme};

pub use crm_kit::call::Caller;

use crate::{peers::Peers, store::ScoringStore};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.scoring";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.scoring.v1.ValueScoringService";

/// The value scoring application; [`crate::app`] builds it.
pub struct ScoringApp {
    pub(crate) store: ScoringStore,
    /// The profile service.
    pub(crate) peers: Peers,
    /// Portfolio scoring runs.
    pub(crate) jobs: Jobs,
    pub(crate) tokens: PageTokens,
    pub(crate) limits: Limits,
    /// Ends portfolio runs and change streams.
    pub(crate) shutdown: Shutdown,
    /// Access cells waiting to be re-ranked (`access::rerank_marked`).
    pub(crate) dirty: DirtyCells,
}

impl std::fmt::Debug for ScoringApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScoringApp").field("limits", &self.limits).finish_non_exhaustive()
    }
}
