//! The profile application: each call parses its request, authorises, converts, then uses
//! the store. `grpc` adapts it to tonic; nothing here knows about transport.

mod children;
mod clients;
mod grpc;
mod history;
mod import;
mod search;
mod watch;

use std::sync::Arc;

use crm_kit::{
    ApiResult,
    audit::{AuditEvent, AuditSink, Outcome},
    config::{FeedConfig, Limits},
    paging::PageTokens,
    server::Shutdown,
};
use crm_proto::crm::profile::v1::Client;

pub use crm_kit::call::Caller;

pub use self::grpc::ProfileGrpc;
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

/// The profile's calls without transport: what the gRPC adapter serves and in-process
/// callers (the seed loader) use.
pub struct ProfileApp {
    store: Arc<ProfileStore>,
    audit: AuditSink,
    tokens: PageTokens,
    limits: Limits,
    feeds: FeedConfig,
    shutdown: Shutdown,
    /// Region phone numbers without a country code are read in when a call names none.
    phone_region: String,
}

impl std::fmt::Debug for ProfileApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileApp").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl ProfileApp {
    /// The application over `store`; sensitive reads are audited to `audit`, page tokens
    /// signed with `tokens`, and WatchChanges streams end at `shutdown`.
    pub fn new(
        store: Arc<ProfileStore>,
        audit: AuditSink,
        tokens: PageTokens,
        limits: Limits,
        feeds: FeedConfig,
        shutdown: Shutdown,
    ) -> Self {
        let phone_region = crate::domain::phone::DEFAULT_REGION.to_owned();
        Self { store, audit, tokens, limits, feeds, shutdown, phone_region }
    }

    /// Reads phone numbers without a country code, where a call names no region, in `region`
    /// (ISO 3166-1 alpha-2; the default is [`crate::domain::phone::DEFAULT_REGION`]).
    #[must_use]
    pub fn with_phone_region(mut self, region: &str) -> Self {
        if !region.trim().is_empty() {
            self.phone_region = region.trim().to_ascii_uppercase();
        }
        self
    }

    /// Where national phone numbers of client `id`'s contacts are read: its country. For a
    /// client the caller may not see, or that does not exist, the default region, so the
    /// answer says nothing of it (the write then refuses it as it would have).
    async fn client_country(&self, caller: &Caller, id: &str) -> ApiResult<String> {
        let visible = |c: &Client| {
            crm_kit::policy::check_portfolio(
                &caller.principal,
                &crate::domain::names::client_name(id),
                Some(&c.relationship_manager),
            )
            .is_ok()
        };
        Ok(match self.store.client(id).await? {
            Some(client) if visible(&client) => client.country_code,
            _ => self.phone_region.clone(),
        })
    }

    /// Audits a read that returned unmasked sensitive values; fails the read if it cannot.
    async fn audit_sensitive_read(&self, caller: &Caller, resources: &[&str]) -> ApiResult<()> {
        if resources.is_empty() {
            return Ok(());
        }
        let resource = if resources.len() == 1 { resources[0] } else { "clients" };
        let detail =
            if resources.len() == 1 { "tax_id".to_owned() } else { format!("tax_id of {}", resources.join(",")) };
        let event = AuditEvent::of_call(caller, resource, Outcome::Ok, detail);
        self.audit.record(&event).await
    }
}
