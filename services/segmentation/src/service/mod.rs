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

use crm_kit::{ApiResult, audit::AuditSink, config::Limits, paging::PageTokens, server::Shutdown};

pub use grpc::SegmentationGrpc;

pub use crm_kit::call::Caller;

use crate::store::SegmentationStore;

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.segmentation";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.segmentation.v1.SegmentationService";

/// The segmentation application over a store.
pub struct SegmentationApp<S> {
    store: Arc<S>,
    reports: cache::ReportCache,
    audit: AuditSink,
    tokens: PageTokens,
    limits: Limits,
    shutdown: Shutdown,
}

impl<S> std::fmt::Debug for SegmentationApp<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SegmentationApp").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl<S: SegmentationStore> SegmentationApp<S> {
    /// Builds the application (inside a Tokio runtime: it starts the audit writer).
    pub fn new(store: Arc<S>, tokens: PageTokens, limits: Limits, shutdown: Shutdown) -> Self {
        let audit = AuditSink::spawn(store.db().clone());
        Self { store, reports: cache::ReportCache::default(), audit, tokens, limits, shutdown }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, shared (for the feed followers).
    pub fn store_arc(&self) -> Arc<S> {
        Arc::clone(&self.store)
    }

    /// Authorises a management call, auditing a refusal.
    async fn require_manager(&self, caller: &Caller, action: &'static str, resource: &str) -> ApiResult<()> {
        match crate::domain::policy::can_manage(&caller.principal) {
            Ok(()) => Ok(()),
            Err(err) => Err(self.audit.denied(caller, action, resource, err).await),
        }
    }
}
