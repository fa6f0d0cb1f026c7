//! The interaction application: each call validates, authorises, then uses the store and
//! the peers. `grpc` adapts it to tonic; nothing here knows about transport.

mod cases;
mod consent;
mod content;
mod exit_reviews;
mod feed;
mod grpc;
mod interactions;
mod plans;
mod recommendations;

use std::sync::Arc;

use crm_kit::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    paging::{self, PageTokens},
    policy::check_portfolio,
    server::Shutdown,
    time::from_timestamp,
};
use crm_proto::crm::profile::v1::Client;
use prost_types::Timestamp;

pub use crm_kit::call::Caller;
pub use feed::{to_change_event, to_timeline_event};
pub use grpc::InteractionGrpc;

use crate::{
    domain::{names, policy},
    peers::Peers,
    store::{InteractionStore, Keyset},
};

/// ErrorInfo domain of this service.
pub const DOMAIN: &str = "crm.interaction";

/// Fully qualified gRPC service name.
pub const SERVICE_NAME: &str = "crm.interaction.v1.InteractionService";

/// Whether `caller` is a person on the bank's staff (not a channel system).
fn is_staff(caller: &Caller) -> bool {
    caller.principal.role != Role::Channel && !caller.principal.is_system()
}

/// The interaction application over its store and its peers.
#[derive(Debug)]
pub struct InteractionApp {
    store: Arc<InteractionStore>,
    peers: Peers,
    tokens: PageTokens,
    shutdown: Shutdown,
}

/// One page of a newest-first list of a client's records.
struct Page<'a> {
    /// What the page token is bound to (the list and its filters).
    query: String,
    /// Records asked for.
    size: usize,
    /// Where the previous page ended.
    after: Option<Keyset>,
    /// The client ids whose records make up the list (see [`InteractionApp::history_of`]).
    clients: Vec<String>,
    tokens: &'a PageTokens,
}

impl Page<'_> {
    /// Cuts `found` (read with [`Page::limit`]) to the page size; returns it with the token
    /// of the next page, positioned by each record's name and its list time (`time`).
    fn finish<T>(&self, mut found: Vec<T>, key: impl Fn(&T) -> (&str, Option<&Timestamp>)) -> (Vec<T>, String) {
        let more = found.len() > self.size;
        found.truncate(self.size);
        let next_page_token = match found.last().map(key) {
            Some((name, time)) if more => {
                let id = name.rsplit('/').next().unwrap_or_default().to_owned();
                self.tokens.encode(&self.query, &(time.map_or(0, from_timestamp), id))
            }
            _ => String::new(),
        };
        (found, next_page_token)
    }

    /// Records to read: one more than the page, to tell whether another page follows.
    fn limit(&self) -> usize {
        self.size + 1
    }
}

impl InteractionApp {
    /// The application over `store`, calling `peers`; streams end at `shutdown`.
    pub fn new(store: Arc<InteractionStore>, peers: Peers, tokens: PageTokens, shutdown: Shutdown) -> Self {
        Self { store, peers, tokens, shutdown }
    }

    /// The client ids whose records make up `client_id`'s history: itself and every client
    /// the profile merged into it.
    async fn history_of(&self, client_id: &str) -> ApiResult<Vec<String>> {
        let mut ids = vec![client_id.to_owned()];
        ids.extend(self.store.merged_into(client_id).await?);
        Ok(ids)
    }

    /// The page a list call asks for: `kind|client_id` plus `filter` binds its page token.
    async fn page(
        &self,
        kind: &str,
        client_id: &str,
        filter: &str,
        page_size: i32,
        page_token: &str,
    ) -> ApiResult<Page<'_>> {
        let size = paging::page_size(page_size)?;
        let query = format!("{kind}|{client_id}{filter}");
        let after: Option<Keyset> = self.tokens.cursor(&query, page_token)?;
        let clients = self.history_of(client_id).await?;
        Ok(Page { query, size, after, clients, tokens: &self.tokens })
    }

    /// The peers, with calls bounded by the caller's deadline.
    fn peers(&self, caller: &Caller) -> Peers {
        self.peers.within(caller.deadline)
    }

    /// Authorises a write for client `client_id`: the role may write, the client exists (as
    /// the profile service says) and, for managers, is in their portfolio. Permission is
    /// decided before existence is revealed. Returns the live client record.
    async fn authorize_write(&self, caller: &Caller, client_id: &str) -> ApiResult<Client> {
        self.authorize_checked(caller, client_id, policy::can_write, false).await
    }

    /// [`Self::authorize_write`] for progressing a record kept under `client_id` (a case):
    /// when the profile merged that client into a survivor, the write is authorised against
    /// the survivor (its portfolio, its liveness), since the record is now part of the
    /// survivor's history. Returns the live (survivor's) client record.
    async fn authorize_history_write(&self, caller: &Caller, client_id: &str) -> ApiResult<Client> {
        self.authorize_checked(caller, client_id, policy::can_write, true).await
    }

    /// [`Self::authorize_write`] with another role check.
    async fn authorize_for(
        &self,
        caller: &Caller,
        client_id: &str,
        role_check: fn(&Principal) -> ApiResult<()>,
    ) -> ApiResult<Client> {
        self.authorize_checked(caller, client_id, role_check, false).await
    }

    /// The authorisation of a write: `role_check`, then the client as the profile has it (the
    /// survivor when it was merged), its portfolio and liveness. A merged client is refused
    /// with CLIENT_MERGED unless `follow_merge`. Refusals name the client.
    async fn authorize_checked(
        &self,
        caller: &Caller,
        client_id: &str,
        role_check: fn(&Principal) -> ApiResult<()>,
        follow_merge: bool,
    ) -> ApiResult<Client> {
        let resource = names::client_name(client_id);
        role_check(&caller.principal).map_err(|err| err.with_resource(&resource))?;
        let client = self.peers(caller).client(client_id).await?;
        check_portfolio(&caller.principal, &resource, client.as_ref().map(|c| c.relationship_manager.as_str()))?;
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
