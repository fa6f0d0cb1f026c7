//! The interaction application: each call validates, authorises, then uses the store and
//! the peers. `grpc` adapts it to tonic; nothing here knows about transport.

mod cases;
mod consent;
mod content;
mod feed;
mod grpc;
mod interactions;
mod plans;
mod recommendations;

use std::sync::Arc;

use crm_kit::{
    ApiError, ApiResult,
    audit::AuditSink,
    auth::{Principal, Role},
    paging::PageTokens,
    server::Shutdown,
};
use crm_proto::crm::profile::v1::Client;

pub use crm_kit::call::Caller;
pub use feed::{to_change_event, to_timeline_event};
pub use grpc::InteractionGrpc;

use crate::{
    domain::{names, policy},
    peers::Peers,
    store::InteractionStore,
};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.interaction";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.interaction.v1.InteractionService";

/// Whether `caller` is a person on the bank's staff (not a channel system).
fn is_staff(caller: &Caller) -> bool {
    caller.principal.role != Role::Channel && !caller.principal.is_system()
}

/// The interaction application over a store and its peers.
pub struct InteractionApp<S> {
    store: Arc<S>,
    peers: Peers,
    audit: AuditSink,
    tokens: PageTokens,
    shutdown: Shutdown,
}

impl<S> std::fmt::Debug for InteractionApp<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InteractionApp").field("peers", &self.peers).finish_non_exhaustive()
    }
}

impl<S: InteractionStore> InteractionApp<S> {
    /// Builds the application (inside a Tokio runtime: it starts the audit writer).
    pub fn new(store: Arc<S>, peers: Peers, tokens: PageTokens, shutdown: Shutdown) -> Self {
        let audit = AuditSink::spawn(store.db().clone());
        Self { store, peers, audit, tokens, shutdown }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, shared (for background tasks such as the feed follower).
    pub fn store_arc(&self) -> Arc<S> {
        self.store.clone()
    }

    /// The client ids whose records make up `client_id`'s history: itself and every client
    /// the profile merged into it.
    async fn history_of(&self, client_id: &str) -> ApiResult<Vec<String>> {
        let mut ids = vec![client_id.to_owned()];
        ids.extend(self.store.merged_into(client_id).await?);
        Ok(ids)
    }

    /// The peers, with calls bounded by the caller's deadline.
    fn peers(&self, caller: &Caller) -> Peers {
        self.peers.within(caller.deadline)
    }

    /// Authorises a write for client `client_id`: the role may write, the client exists (as
    /// the profile service says) and, for managers, is in their portfolio. Permission is
    /// decided before existence is revealed. Returns the live client record.
    async fn authorize_write(&self, caller: &Caller, action: &'static str, client_id: &str) -> ApiResult<Client> {
        self.authorize_for(caller, action, client_id, policy::can_write).await
    }

    /// [`Self::authorize_write`] for progressing a record kept under `client_id` (a case):
    /// when the profile merged that client into a survivor, the write is authorised against
    /// the survivor (its portfolio, its liveness), since the record is now part of the
    /// survivor's history. Returns the live (survivor's) client record.
    async fn authorize_history_write(
        &self,
        caller: &Caller,
        action: &'static str,
        client_id: &str,
    ) -> ApiResult<Client> {
        self.authorize_checked(caller, action, client_id, policy::can_write, true).await
    }

    /// [`Self::authorize_write`] with another role check.
    async fn authorize_for(
        &self,
        caller: &Caller,
        action: &'static str,
        client_id: &str,
        role_check: fn(&Principal) -> ApiResult<()>,
    ) -> ApiResult<Client> {
        self.authorize_checked(caller, action, client_id, role_check, false).await
    }

    /// The authorisation of a write: `role_check`, then the client as the profile has it (the
    /// survivor when it was merged), its portfolio and liveness. A merged client is refused
    /// with CLIENT_MERGED unless `follow_merge`.
    async fn authorize_checked(
        &self,
        caller: &Caller,
        action: &'static str,
        client_id: &str,
        role_check: fn(&Principal) -> ApiResult<()>,
        follow_merge: bool,
    ) -> ApiResult<Client> {
        let resource = names::client_name(client_id);
        if let Err(err) = role_check(&caller.principal) {
            return Err(self.audit.denied(caller, action, &resource, err).await);
        }
        let client = self.peers(caller).client(client_id).await?;
        if let Err(err) = policy::check_client(&caller.principal, &resource, client.as_ref()) {
            return Err(self.audit.denied(caller, action, &resource, err).await);
        }
        let client = client.ok_or_else(|| ApiError::not_found(&resource))?;
        if client.name != resource && !follow_merge {
            return Err(ApiError::failed_precondition(
                "CLIENT_MERGED",
                format!("{resource} was merged into {}; record it there", client.name),
            )
            .with_metadata("survivor", client.name));
        }
        if client.delete_time.is_some() {
            return Err(ApiError::failed_precondition("CLIENT_DELETED", format!("{resource} is deleted")));
        }
        Ok(client)
    }
}
