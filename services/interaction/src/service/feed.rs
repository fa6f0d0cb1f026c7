//! The change feed as the contract shows it: WatchChanges (every change, for ADMIN and
//! CHANNEL) and StreamTimeline (one client's backlog, then live events).

use crm_kit::{
    ApiError, ApiResult,
    feed::{self, EventStream, FeedEvent, decode_payload},
    time,
};
use crm_proto::crm::interaction::v1::{
    AccountPlan, Case, ChangeEvent, ChangeKind, ChannelPreference, ContentItem, ExitReview, Interaction,
    StreamTimelineRequest, TimelineEvent, WatchChangesRequest, change_event, timeline_event,
};
use futures::StreamExt;

use super::{Caller, InteractionApp};
use crate::domain::{names, policy};

/// Events read from the outbox per backlog query.
const BACKLOG_BATCH: usize = 500;

/// A stored event's resource, decoded from its kind (`entity.CHANGE`).
enum State {
    Interaction(Interaction),
    Case(Case),
    Preference(ChannelPreference),
    Content(ContentItem),
    Plan(AccountPlan),
    ExitReview(ExitReview),
}

fn split(event: &FeedEvent) -> ApiResult<(ChangeKind, Option<State>)> {
    let (entity, change) = event.kind.split_once('.').unwrap_or((event.kind.as_str(), ""));
    let kind = match change {
        "CREATED" => ChangeKind::Created,
        "UPDATED" => ChangeKind::Updated,
        "ERASED" => ChangeKind::Erased,
        _ => ChangeKind::Unspecified,
    };
    let state = match entity {
        "interaction" => Some(State::Interaction(decode_payload(&event.payload)?)),
        "case" => Some(State::Case(decode_payload(&event.payload)?)),
        "channel_preference" => Some(State::Preference(decode_payload(&event.payload)?)),
        "content_item" => Some(State::Content(decode_payload(&event.payload)?)),
        "account_plan" => Some(State::Plan(decode_payload(&event.payload)?)),
        "exit_review" => Some(State::ExitReview(decode_payload(&event.payload)?)),
        _ => None,
    };
    Ok((kind, state))
}

/// Converts a stored feed event to the contract's `ChangeEvent`.
pub fn to_change_event(event: FeedEvent) -> ApiResult<ChangeEvent> {
    let (kind, state) = split(&event)?;
    Ok(ChangeEvent {
        sequence: event.sequence,
        resource: event.resource,
        client: event.aggregate,
        commit_time: Some(time::to_timestamp(event.commit_time)),
        kind: kind as i32,
        request_id: event.request_id,
        traceparent: event.traceparent,
        resource_state: state.map(|s| match s {
            State::Interaction(i) => change_event::ResourceState::InteractionState(i),
            State::Case(c) => change_event::ResourceState::CaseState(c),
            State::Preference(p) => change_event::ResourceState::ChannelPreferenceState(p),
            State::Content(c) => change_event::ResourceState::ContentItemState(c),
            State::Plan(p) => change_event::ResourceState::AccountPlanState(p),
            State::ExitReview(r) => change_event::ResourceState::ExitReviewState(r),
        }),
    })
}

/// Converts a stored feed event to a `TimelineEvent` with its business time.
pub fn to_timeline_event(event: FeedEvent) -> ApiResult<TimelineEvent> {
    let (kind, state) = split(&event)?;
    let event_time = match &state {
        Some(State::Interaction(i)) => i.occur_time,
        Some(State::Case(c)) => c.update_time,
        Some(State::Preference(p)) => p.effective_time,
        Some(State::Plan(p)) => p.update_time.or(p.create_time),
        Some(State::ExitReview(r)) => r.decide_time.or(r.create_time),
        Some(State::Content(c)) => c.update_time,
        None => None,
    };
    let resource_state = match state {
        Some(State::Interaction(i)) => Some(timeline_event::ResourceState::Interaction(i)),
        Some(State::Case(c)) => Some(timeline_event::ResourceState::Case(c)),
        Some(State::Preference(p)) => Some(timeline_event::ResourceState::ChannelPreference(p)),
        Some(State::Plan(p)) => Some(timeline_event::ResourceState::AccountPlan(p)),
        Some(State::ExitReview(r)) => Some(timeline_event::ResourceState::ExitReview(r)),
        Some(State::Content(_)) | None => None, // content is not about one client
    };
    Ok(TimelineEvent {
        sequence: event.sequence,
        resource: event.resource,
        client: event.aggregate,
        commit_time: Some(time::to_timestamp(event.commit_time)),
        kind: kind as i32,
        event_time: event_time.or(Some(time::to_timestamp(event.commit_time))),
        resource_state,
    })
}

impl InteractionApp {
    /// Every change after `after_sequence` (ADMIN and CHANNEL): the backlog, then live; ends
    /// when the server shuts down.
    pub fn watch_changes(&self, caller: &Caller, req: WatchChangesRequest) -> ApiResult<EventStream<ChangeEvent>> {
        policy::can_watch(&caller.principal)?;
        feed::watch_changes(req.after_sequence, |after| self.store.watch(after), to_change_event, self.shutdown.clone())
    }

    /// One client's timeline: its events (and those of clients merged into it) after
    /// `after_sequence` up to the feed's head at subscription (read by client, through an
    /// index), then every later event of those clients as it commits. Commit order equals
    /// sequence order, so nothing falls between the two.
    pub async fn stream_timeline(
        &self,
        _caller: &Caller,
        req: StreamTimelineRequest,
    ) -> ApiResult<EventStream<TimelineEvent>> {
        let client_id = names::client_id("parent", &req.parent)?;
        if req.after_sequence < 0 {
            return Err(ApiError::invalid("after_sequence", "must not be negative"));
        }
        // The client and every client merged into it (as of subscription).
        let clients: Vec<String> = self.history_of(client_id).await?.iter().map(|id| names::client_name(id)).collect();
        let head = self.store.head_sequence().await?;
        let store = self.store.clone();
        let backlog_clients = clients.clone();
        let backlog = futures::stream::unfold(Some(req.after_sequence), move |cursor| {
            let (store, clients) = (store.clone(), backlog_clients.clone());
            async move {
                let cursor = cursor?;
                match store.client_events(&clients, cursor, head, BACKLOG_BATCH).await {
                    Ok(events) if events.is_empty() => None,
                    Ok(events) => {
                        let next = events.last().map(|e| e.sequence);
                        let batch: Vec<ApiResult<FeedEvent>> = events.into_iter().map(Ok).collect();
                        Some((futures::stream::iter(batch), next))
                    }
                    Err(err) => Some((futures::stream::iter(vec![Err(err)]), None)),
                }
            }
        })
        .flatten();
        let live = self
            .store
            .watch(head.max(req.after_sequence))
            .filter(move |event| std::future::ready(event.as_ref().map_or(true, |e| clients.contains(&e.aggregate))));
        let shutdown = self.shutdown.clone();
        let events = backlog
            .chain(live)
            .map(|event| event.and_then(to_timeline_event))
            .take_until(async move { shutdown.cancelled().await });
        Ok(Box::pin(events))
    }
}
