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
    ApiResult,
    audit::{AuditEvent, AuditSink, Outcome},
    config::Limits,
    paging::PageTokens,
    server::Shutdown,
};

pub use grpc::ProfileGrpc;

pub use crm_kit::call::Caller;

use crate::store::ProfileStore;

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.profile";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.profile.v1.ClientProfileService";

/// Rows ListClients may read for one page before it returns what it has (bounds filter cost).
const MAX_SCAN_PER_PAGE: usize = 5_000;

/// Provenance source recorded for facts `caller` writes without stating one.
fn source_of(caller: &Caller) -> String {
    format!("{}:{}", caller.principal.role.as_str(), caller.principal.subject)
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
