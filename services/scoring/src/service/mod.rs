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

use crm_kit::{
    ApiError,
    audit::{AuditEvent, AuditSink, Outcome},
    auth::Principal,
    config::Limits,
    paging::PageTokens,
    server::Shutdown,
};

pub use grpc::ScoringGrpc;
pub use peer::{ProfileClient, ProfilePeer};

use crate::store::{ScoringStore, WriteCtx};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.scoring";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.scoring.v1.ValueScoringService";

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

    /// Records a refused write in the audit trail (its own transaction), then returns the error.
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
}
