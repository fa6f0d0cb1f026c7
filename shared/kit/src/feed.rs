//! The change feed: a transactional outbox whose sequence order is commit order.
//!
//! Each write appends its events inside its own transaction after bumping a single counter
//! row. On PostgreSQL the row lock is held until commit, so a later sequence can never
//! become visible before an earlier one: a consumer that reads `sequence > cursor` sees no
//! gap and no repeat. SQLite has one writer, which gives the same order.

mod tail;

use std::{pin::Pin, sync::Arc, time::Duration};

use futures::{Stream, StreamExt};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::{
    error::{ApiError, ApiResult},
    server::Shutdown,
    time::now_micros,
};

/// A stream of converted feed events, as a WatchChanges-style RPC returns it.
pub type EventStream<T> = Pin<Box<dyn Stream<Item = ApiResult<T>> + Send>>;

/// What a WatchChanges call answers: the events after `after_sequence` from `watch` (a
/// store's feed watch), the backlog then live, each converted by `convert`, ending when
/// `shutdown` fires. INVALID_ARGUMENT on a negative `after_sequence`, before `watch` runs.
pub fn watch_changes<T, W>(
    after_sequence: i64,
    watch: impl FnOnce(i64) -> W,
    convert: impl Fn(FeedEvent) -> ApiResult<T> + Send + 'static,
    shutdown: Shutdown,
) -> ApiResult<EventStream<T>>
where
    T: 'static,
    W: Stream<Item = ApiResult<FeedEvent>> + Send + 'static,
{
    if after_sequence < 0 {
        return Err(ApiError::invalid("after_sequence", "must not be negative"));
    }
    let events = watch(after_sequence)
        .map(move |event| event.and_then(&convert))
        .take_until(async move { shutdown.cancelled().await });
    Ok(Box::pin(events))
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    /// Kind, e.g. "CREATED".
    pub kind: &'a str,
    /// Resource name that changed.
    pub resource: &'a str,
    /// The aggregate (e.g. the client) the resource belongs to.
    pub aggregate: &'a str,
    /// Request id of the write.
    pub request_id: &'a str,
    /// Encoded resource state after the change.
    pub payload: Vec<u8>,
}

/// One committed event.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    /// Position in the feed.
    pub sequence: i64,
    /// Commit time, microseconds since the epoch.
    pub commit_time: i64,
    /// Kind, e.g. "CREATED".
    pub kind: String,
    /// Resource name that changed.
    pub resource: String,
    /// The aggregate the resource belongs to.
    pub aggregate: String,
    /// Request id of the write.
    pub request_id: String,
    /// W3C traceparent of the write.
    pub traceparent: String,
    /// Encoded resource state.
    pub payload: Vec<u8>,
}

/// Appends events and wakes watchers in this process after commit.
#[derive(Clone, Debug)]
pub struct Feed {
    shared: Arc<tail::Shared>,
}

impl Default for Feed {
    fn default() -> Self {
        Self::new(Duration::from_millis(500))
    }
}

impl Feed {
    /// A feed whose watchers also poll every `poll_interval` (for writes by other replicas).
    pub fn new(poll_interval: Duration) -> Self {
        Self { shared: Arc::new(tail::Shared::new(poll_interval)) }
    }

    /// Appends one event inside `tx`; returns its sequence.
    pub async fn append(&self, tx: &mut Transaction<'_, Any>, event: NewEvent<'_>) -> ApiResult<i64> {
        let sequence: i64 = sqlx::query_scalar(
            "UPDATE feed_counter SET last_sequence = last_sequence + 1 WHERE id = 1 RETURNING last_sequence",
        )
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (sequence, commit_time, kind, resource, aggregate, request_id, traceparent, payload) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(sequence)
        .bind(now_micros())
        .bind(event.kind)
        .bind(event.resource)
        .bind(event.aggregate)
        .bind(event.request_id)
        .bind(crate::telemetry::current_traceparent().unwrap_or_default())
        .bind(event.payload)
        .execute(&mut **tx)
        .await?;
        Ok(sequence)
    }

    /// Tells watchers in this process that a transaction with events has committed.
    pub fn notify_committed(&self, sequence: i64) {
        self.shared.committed.send_if_modified(|last| {
            let newer = sequence > *last;
            if newer {
                *last = sequence;
            }
            newer
        });
    }

    /// Reads up to `limit` events after `after`, in order.
    pub async fn read(pool: &AnyPool, after: i64, limit: i64) -> ApiResult<Vec<FeedEvent>> {
        let rows = sqlx::query(
            "SELECT sequence, commit_time, kind, resource, aggregate, request_id, traceparent, payload \
             FROM outbox WHERE sequence > $1 ORDER BY sequence LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?;
        rows.iter().map(row_to_event).collect()
    }

    /// Streams events after `after`: the backlog, then live events as they commit (one
    /// reader per feed shares them among all watchers, see `tail`).
    ///
    /// Ends only when the receiver is dropped or a read fails (the error is yielded last).
    pub fn watch(&self, pool: AnyPool, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        tail::watch(&self.shared, pool, after)
    }
}

/// Decodes the encoded resource state of an event.
pub fn decode_payload<M: prost::Message + Default>(payload: &[u8]) -> ApiResult<M> {
    M::decode(payload).map_err(|err| ApiError::internal(anyhow::anyhow!("corrupt feed payload: {err}")))
}

/// Decodes a row of `outbox` (all its columns).
pub fn row_to_event(row: &sqlx::any::AnyRow) -> ApiResult<FeedEvent> {
    Ok(FeedEvent {
        sequence: row.try_get("sequence")?,
        commit_time: row.try_get("commit_time")?,
        kind: row.try_get("kind")?,
        resource: row.try_get("resource")?,
        aggregate: row.try_get("aggregate")?,
        request_id: row.try_get::<Option<String>, _>("request_id")?.unwrap_or_default(),
        traceparent: row.try_get::<Option<String>, _>("traceparent")?.unwrap_or_default(),
        payload: row.try_get("payload")?,
    })
}
