//! WatchChanges: the committed score changes as `ChangeEvent`s, ending at shutdown.

use crm_kit::{
    ApiResult,
    feed::{self, FeedEvent, decode_payload},
    time,
};
use crm_proto::crm::scoring::v1::{ChangeEvent, WatchChangesRequest};

use super::{Caller, ScoringApp};
use crate::domain::policy;

/// The stream WatchChanges returns.
pub type ChangeStream = feed::EventStream<ChangeEvent>;

/// Converts a stored feed event to the contract's `ChangeEvent`.
pub fn to_change_event(event: FeedEvent) -> ApiResult<ChangeEvent> {
    let value_score = if event.payload.is_empty() { None } else { Some(decode_payload(&event.payload)?) };
    Ok(ChangeEvent {
        sequence: event.sequence,
        resource: event.resource,
        client: event.aggregate,
        commit_time: Some(time::to_timestamp(event.commit_time)),
        value_score,
        request_id: event.request_id,
        traceparent: event.traceparent,
    })
}

impl ScoringApp {
    /// WatchChanges: backlog after `after_sequence`, then live; ends when the server shuts down.
    pub fn watch_changes(&self, caller: &Caller, req: WatchChangesRequest) -> ApiResult<ChangeStream> {
        policy::can_watch(&caller.principal)?;
        feed::watch_changes(req.after_sequence, |after| self.store.watch(after), to_change_event, self.shutdown.clone())
    }
}
