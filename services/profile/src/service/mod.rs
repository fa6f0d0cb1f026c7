//! The profile application: each call validates, authorises, then uses the store.
//! `grpc` adapts it to tonic; nothing here knows about transport.

mod children;
mod clients;
mod grpc;
mod history;
mod search;
mod watch;

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

pub use grpc::ProfileGrpc;

use crate::store::{Idempotency, ProfileStore, WriteCtx};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.profile";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.profile.v1.ClientProfileService";

/// Rows ListClients may read for one page before it returns what it has (bounds filter cost).
const MAX_SCAN_PER_PAGE: usize = 5_000;

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

    /// Provenance source recorded for facts this caller writes without stating one.
    fn source(&self) -> String {
        format!("{}:{}", self.principal.role.as_str(), self.principal.subject)
    }
}

/// The client profile application over a store.
pub struct ProfileApp<S> {
    store: Arc<S>,
    audit: AuditSink,
    tokens: PageTokens,
    limits: Limits,
    shutdown: Shutdown,
}

impl<S> std::fmt::Debug for ProfileApp<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileApp").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl<S: ProfileStore> ProfileApp<S> {
    /// Builds the application (inside a Tokio runtime: it starts the audit writer).
    pub fn new(store: Arc<S>, tokens: PageTokens, limits: Limits, shutdown: Shutdown) -> Self {
        let audit = AuditSink::spawn(store.db().clone());
        Self { store, audit, tokens, limits, shutdown }
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

    /// Audits a read that returned unmasked sensitive values; fails the read if it cannot.
    async fn audit_sensitive_read(&self, caller: &Caller, action: &'static str, resources: &[&str]) -> ApiResult<()> {
        if resources.is_empty() {
            return Ok(());
        }
        let resource = if resources.len() == 1 { resources[0] } else { "clients" };
        let detail =
            if resources.len() == 1 { "tax_id".to_owned() } else { format!("tax_id of {}", resources.join(",")) };
        let event = AuditEvent {
            principal: &caller.principal,
            action,
            resource,
            request_id: &caller.request_id,
            outcome: Outcome::Ok,
            detail,
        };
        self.audit.record(&event).await
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
