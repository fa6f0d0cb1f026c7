//! WatchChanges: the committed change feed as `ChangeEvent`s, ending at shutdown.

use super::{Caller, ProfileApp};
use crate::{
    domain::{mask, policy},
    store::ProfileStore,
};
use crm_kit::{
    ApiResult,
    feed::{self, FeedEvent},
    time,
};
use crm_proto::crm::profile::v1::{
    ChangeEvent, ChangeKind, Client, Contact, FinancialStatement, Holding, WatchChangesRequest,
    change_event::ResourceState,
};

/// The stream WatchChanges returns.
pub type ChangeStream = feed::EventStream<ChangeEvent>;

/// The contract's change kind for a stored one ("CREATED", "MERGED", ...).
pub fn change_kind(kind: &str) -> ChangeKind {
    match kind {
        "CREATED" => ChangeKind::Created,
        "UPDATED" => ChangeKind::Updated,
        "DELETED" => ChangeKind::Deleted,
        "UNDELETED" => ChangeKind::Undeleted,
        "MERGED" => ChangeKind::Merged,
        "ERASED" => ChangeKind::Erased,
        _ => ChangeKind::Unspecified,
    }
}

/// Converts a stored feed event (kind `entity.CHANGE`) to the contract's `ChangeEvent`, its
/// sealed values opened by `store`.
pub fn to_change_event(store: &ProfileStore, event: FeedEvent) -> ApiResult<ChangeEvent> {
    let (entity, change) = event.kind.split_once('.').unwrap_or((event.kind.as_str(), ""));
    let kind = change_kind(change);
    let state = if event.payload.is_empty() {
        None // a thin event (an import): read the resource for its state
    } else {
        match entity {
            "client" => Some(ResourceState::ClientState(store.open_payload::<Client>(&event.payload)?)),
            "contact" => Some(ResourceState::ContactState(store.open_payload::<Contact>(&event.payload)?)),
            "holding" => Some(ResourceState::HoldingState(store.open_payload::<Holding>(&event.payload)?)),
            "financial_statement" => {
                Some(ResourceState::FinancialStatementState(store.open_payload::<FinancialStatement>(&event.payload)?))
            }
            _ => None,
        }
    };
    Ok(ChangeEvent {
        sequence: event.sequence,
        kind: kind as i32,
        resource: event.resource,
        client: event.aggregate,
        commit_time: Some(time::to_timestamp(event.commit_time)),
        request_id: event.request_id,
        traceparent: event.traceparent,
        resource_state: state,
    })
}

impl ProfileApp {
    /// WatchChanges: backlog after `after_sequence`, then live; ends when the server shuts
    /// down. Tax ids and contact details come masked unless configuration grants the
    /// subscriber's role clear values.
    pub fn watch_changes(&self, caller: &Caller, req: WatchChangesRequest) -> ApiResult<ChangeStream> {
        policy::can_watch(&caller.principal)?;
        let clear = self.feeds.grants_clear_values(&caller.principal);
        let store = self.store.clone();
        let convert = move |event| {
            let mut change = to_change_event(&store, event)?;
            if !clear {
                mask_state(&mut change);
            }
            Ok(change)
        };
        feed::watch_changes(req.after_sequence, |after| self.store.watch(after), convert, self.shutdown.clone())
    }
}

/// Masks the sensitive values of an event's resource state, as reads mask them for callers
/// without need to know.
fn mask_state(change: &mut ChangeEvent) {
    match &mut change.resource_state {
        Some(ResourceState::ClientState(client)) => mask::client(client),
        Some(ResourceState::ContactState(contact)) => mask::contact(contact),
        _ => {}
    }
}
