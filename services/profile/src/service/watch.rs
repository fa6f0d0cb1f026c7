//! WatchChanges: the committed change feed as `ChangeEvent`s, ending at shutdown.

use crm_kit::{
    ApiError, ApiResult,
    feed::{self, FeedEvent},
    time,
};
use crm_proto::crm::profile::v1::{
    ChangeEvent, ChangeKind, Client, Contact, FinancialStatement, Holding, WatchChangesRequest,
    change_event::ResourceState,
};
use prost::Message;

use super::{Caller, ProfileApp};
use crate::{domain::policy, store::ProfileStore};

/// The stream WatchChanges returns.
pub type ChangeStream = feed::EventStream<ChangeEvent>;

fn decode<M: Message + Default>(bytes: &[u8]) -> ApiResult<M> {
    M::decode(bytes).map_err(|err| ApiError::internal(anyhow::anyhow!("corrupt feed payload: {err}")))
}

/// The contract's change kind for a stored one ("CREATED", "MERGED", ...).
pub fn change_kind(kind: &str) -> ChangeKind {
    match kind {
        "CREATED" => ChangeKind::Created,
        "UPDATED" => ChangeKind::Updated,
        "DELETED" => ChangeKind::Deleted,
        "UNDELETED" => ChangeKind::Undeleted,
        "MERGED" => ChangeKind::Merged,
        _ => ChangeKind::Unspecified,
    }
}

/// Converts a stored feed event (kind `entity.CHANGE`) to the contract's `ChangeEvent`.
pub fn to_change_event(event: FeedEvent) -> ApiResult<ChangeEvent> {
    let (entity, change) = event.kind.split_once('.').unwrap_or((event.kind.as_str(), ""));
    let kind = change_kind(change);
    let state = if event.payload.is_empty() {
        None // a thin event (bulk load): read the resource for its state
    } else {
        match entity {
            "client" => Some(ResourceState::ClientState(decode::<Client>(&event.payload)?)),
            "contact" => Some(ResourceState::ContactState(decode::<Contact>(&event.payload)?)),
            "holding" => Some(ResourceState::HoldingState(decode::<Holding>(&event.payload)?)),
            "financial_statement" => {
                Some(ResourceState::FinancialStatementState(decode::<FinancialStatement>(&event.payload)?))
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

impl<S: ProfileStore> ProfileApp<S> {
    /// WatchChanges: backlog after `after_sequence`, then live; ends when the server shuts down.
    pub fn watch_changes(&self, caller: &Caller, req: WatchChangesRequest) -> ApiResult<ChangeStream> {
        policy::can_watch(&caller.principal)?;
        feed::watch_changes(req.after_sequence, |after| self.store.watch(after), to_change_event, self.shutdown.clone())
    }
}
