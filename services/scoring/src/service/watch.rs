//! WatchChanges: the committed score changes as `ChangeEvent`s, ending at shutdown.

use std::pin::Pin;

use crm_kit::{ApiError, ApiResult, feed::FeedEvent, time};
use crm_proto::crm::scoring::v1::{ChangeEvent, ValueScore, WatchChangesRequest};
use futures::{Stream, StreamExt};
use prost::Message;

use super::{Caller, ScoringApp};
use crate::{domain::policy, store::ScoringStore};

/// The stream WatchChanges returns.
pub type ChangeStream = Pin<Box<dyn Stream<Item = ApiResult<ChangeEvent>> + Send>>;

/// Converts a stored feed event to the contract's `ChangeEvent`.
pub fn to_change_event(event: FeedEvent) -> ApiResult<ChangeEvent> {
    let value_score = if event.payload.is_empty() {
        None
    } else {
        Some(
            ValueScore::decode(event.payload.as_slice())
                .map_err(|err| ApiError::internal(anyhow::anyhow!("corrupt feed payload: {err}")))?,
        )
    };
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

impl<S: ScoringStore> ScoringApp<S> {
    /// WatchChanges: backlog after `after_sequence`, then live; ends when the server shuts down.
    pub fn watch_changes(&self, caller: &Caller, req: WatchChangesRequest) -> ApiResult<ChangeStream> {
        policy::can_watch(&caller.principal)?;
        if req.after_sequence < 0 {
            return Err(ApiError::invalid("after_sequence", "must not be negative"));
        }
        let shutdown = self.shutdown.clone();
        let events = self
            .store
            .watch(req.after_sequence)
            .map(|event| event.and_then(to_change_event))
            .take_until(async move { shutdown.cancelled().await });
        Ok(Box::pin(events))
    }
}
