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

use crm_kit::{
    ApiError, ApiResult,
    audit::{AuditEvent, AuditSink, Outcome},
    auth::Principal,
    config::Limits,
    idempotency,
    paging::PageTokens,
    server::Shutdown,
};
use prost::Message;

pub use grpc::SegmentationGrpc;

use crate::store::{Idempotency, SegmentationStore, WriteCtx};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.segmentation";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.segmentation.v1.SegmentationService";

/// Who is calling, with the request id of the call.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The authenticated principal.
    pub principal: Principal,
    /// The request id (from the request-id layer).
    pub request_id: String,
}

impl Caller {
    fn ctx(&self, action: &'static str) -> WriteCtx<'_> {
        WriteCtx { principal: &self.principal, request_id: &self.request_id, action }
    }
}

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

    /// Records a refused call in the audit trail (its own transaction), then returns the error.
    async fn audit_denial(&self, caller: &Caller, action: &'static str, resource: &str, err: ApiError) -> ApiError {
        if err.code() == tonic::Code::PermissionDenied {
            let event = AuditEvent {
                principal: &caller.principal,
                action,
                resource,
                request_id: &caller.request_id,
                outcome: Outcome::Denied,
                detail: err.reason().to_owned(),
            };
            if let Err(audit_err) = self.audit.record(&event).await {
                tracing::error!(error = %audit_err, "could not audit a denied call");
            }
        }
        err
    }

    /// Authorises a management call, auditing a refusal.
    async fn require_manager(&self, caller: &Caller, action: &'static str, resource: &str) -> ApiResult<()> {
        match crate::domain::policy::can_manage(&caller.principal) {
            Ok(()) => Ok(()),
            Err(err) => Err(self.audit_denial(caller, action, resource, err).await),
        }
    }
}

/// Idempotency key of a create request (`None` without a request id).
fn idempotency_of(request_id: &str, payload: &impl Message) -> ApiResult<Option<Idempotency>> {
    let request_id = request_id.trim();
    if request_id.is_empty() {
        return Ok(None);
    }
    if request_id.len() > 128 {
        return Err(ApiError::invalid("request_id", "must be at most 128 characters"));
    }
    Ok(Some(Idempotency {
        request_id: request_id.to_owned(),
        fingerprint: idempotency::fingerprint(&payload.encode_to_vec()),
    }))
}
