//! The segmentation application: each call authorises, validates, then uses the store.
//! `grpc` adapts it to tonic; nothing here knows about transport.

mod activation;
mod cache;
mod convert;
mod grpc;
mod members;
mod report;
mod schemes;
mod target;

use std::sync::Arc;

use crm_kit::{ApiResult, jobs::Jobs, paging::PageTokens, server::Shutdown};

pub use grpc::SegmentationGrpc;

pub use crm_kit::call::Caller;

use crate::{domain::policy, store::SegmentationStore};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.segmentation";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.segmentation.v1.SegmentationService";

/// The segmentation application over its store.
pub struct SegmentationApp {
    store: Arc<SegmentationStore>,
    /// Activations run as durable jobs.
    jobs: Jobs,
    reports: cache::ReportCache,
    tokens: PageTokens,
    shutdown: Shutdown,
}

impl std::fmt::Debug for SegmentationApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentationApp").field("store", &self.store).finish_non_exhaustive()
    }
}

impl SegmentationApp {
    /// The application over `store`, running activations as `jobs`; activation workers stop
    /// at `shutdown`.
    pub fn new(store: Arc<SegmentationStore>, jobs: Jobs, tokens: PageTokens, shutdown: Shutdown) -> Self {
        Self { store, jobs, reports: cache::ReportCache::default(), tokens, shutdown }
    }

    /// The store, shared with the feed followers.
    pub fn store(&self) -> &Arc<SegmentationStore> {
        &self.store
    }
}

/// Authorises a management call on `resource` (named in the refusal's audit record).
fn require_manager(caller: &Caller, resource: &str) -> ApiResult<()> {
    policy::can_manage(&caller.principal).map_err(|e| e.with_resource(resource))
}
