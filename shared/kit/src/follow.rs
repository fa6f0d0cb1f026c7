//! Following another service's change feed (docs/architecture.md §5).
//!
//! A follower reads its cursor from its own database, opens the peer's `WatchChanges` after
//! it, hands events to the service in batches, and stores the new cursor once a batch is
//! applied. Appliers must be idempotent (recompute from current state, upsert), so that a
//! crash between applying and storing the cursor re-applies a batch harmlessly and a restart
//! neither loses nor double-counts an event. Disconnects are retried with backoff.

use std::{future::Future, time::Duration};

use futures::{Stream, StreamExt as _};
use sqlx::{Any, Transaction};
use tracing::Instrument as _;

use crate::{db::Db, server::Shutdown, time::now_micros};

/// Events that carry their position in the feed.
pub trait Sequenced {
    /// The event's sequence number in its feed.
    fn sequence(&self) -> i64;

    /// When the event was committed, microseconds since the epoch (for the lag metrics).
    fn commit_micros(&self) -> Option<i64> {
        None
    }

    /// The W3C traceparent of the write that caused the event ("" when it was not traced).
    fn traceparent(&self) -> &str {
        ""
    }
}

/// `Sequenced` for the change events of the suite's services (each has `sequence`,
/// `commit_time` and `traceparent`).
macro_rules! sequenced {
    ($($event:ty),+) => {
        $(impl Sequenced for $event {
            fn sequence(&self) -> i64 {
                self.sequence
            }

            fn commit_micros(&self) -> Option<i64> {
                self.commit_time.as_ref().map(|t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1_000)
            }

            fn traceparent(&self) -> &str {
                &self.traceparent
            }
        })+
    };
}

sequenced!(
    crm_proto::crm::profile::v1::ChangeEvent,
    crm_proto::crm::scoring::v1::ChangeEvent,
    crm_proto::crm::interaction::v1::ChangeEvent
);

/// Largest batch handed to an applier.
const BATCH: usize = 256;
/// How long a partial batch waits for more events before it is applied.
const LINGER: Duration = Duration::from_millis(50);
/// How long a follower waits for an event before it reports that it has caught up.
const IDLE: Duration = Duration::from_secs(1);

/// The stored cursor of `source` (0 when it has never run).
pub async fn load_cursor(db: &Db, source: &str) -> sqlx::Result<i64> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT last_sequence FROM feed_cursor WHERE source = $1")
        .bind(source)
        .fetch_optional(db.reader())
        .await?;
    Ok(row.map_or(0, |r| r.0))
}

/// Stores the cursor of `source` inside `tx` (so a service can commit it with its effects).
pub async fn save_cursor(tx: &mut Transaction<'_, Any>, source: &str, sequence: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO feed_cursor (source, last_sequence, update_time) VALUES ($1, $2, $3) \
         ON CONFLICT (source) DO UPDATE SET last_sequence = excluded.last_sequence, \
         update_time = excluded.update_time WHERE feed_cursor.last_sequence < excluded.last_sequence",
    )
    .bind(source)
    .bind(sequence)
    .bind(now_micros())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Follows a feed until `shutdown`.
///
/// `open(after)` opens the peer's stream of events after a sequence; `apply(batch)` applies
/// a batch (idempotently). The cursor advances only after `apply` succeeds; a failed batch
/// is retried from the stored cursor after a backoff.
pub async fn follow<E, S, O, OF, A, AF>(db: Db, source: &str, mut open: O, mut apply: A, shutdown: Shutdown)
where
    E: Sequenced,
    S: Stream<Item = Result<E, tonic::Status>> + Unpin,
    O: FnMut(i64) -> OF,
    OF: Future<Output = Result<S, tonic::Status>>,
    A: FnMut(Vec<E>) -> AF,
    AF: Future<Output = anyhow::Result<()>>,
{
    let mut backoff = FIRST_RETRY;
    while !shutdown.is_cancelled() {
        let outcome = tokio::select! {
            outcome = run_once(&db, source, &mut open, &mut apply, &mut backoff) => outcome,
            () = shutdown.cancelled() => return,
        };
        match outcome {
            Ok(()) => backoff = FIRST_RETRY,
            Err(error) => {
                tracing::warn!(source, error = %error, retry_in_ms = backoff.as_millis() as u64, "feed follower interrupted");
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    () = shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// The first retry delay; it doubles while reconnecting fails, and is back to this once a
/// batch has been applied.
const FIRST_RETRY: Duration = Duration::from_millis(200);

async fn run_once<E, S, O, OF, A, AF>(
    db: &Db,
    source: &str,
    open: &mut O,
    apply: &mut A,
    backoff: &mut Duration,
) -> anyhow::Result<()>
where
    E: Sequenced,
    S: Stream<Item = Result<E, tonic::Status>> + Unpin,
    O: FnMut(i64) -> OF,
    OF: Future<Output = Result<S, tonic::Status>>,
    A: FnMut(Vec<E>) -> AF,
    AF: Future<Output = anyhow::Result<()>>,
{
    let mut cursor = load_cursor(db, source).await?;
    let mut stream = open(cursor).await?;
    loop {
        let first = loop {
            match tokio::time::timeout(IDLE, stream.next()).await {
                Ok(next) => break next,
                Err(_) => crate::metrics::follower_progress(db.name(), source, cursor, 0, None),
            }
        };
        let Some(first) = first else { anyhow::bail!("feed closed by the peer") };
        let mut batch = vec![first?];
        let deadline = tokio::time::Instant::now() + LINGER;
        while batch.len() < BATCH {
            match tokio::time::timeout_at(deadline, stream.next()).await {
                Ok(Some(event)) => batch.push(event?),
                Ok(None) | Err(_) => break,
            }
        }
        batch.retain(|e| e.sequence() > cursor);
        let Some((last, committed)) = batch.last().map(|e| (e.sequence(), e.commit_micros())) else { continue };
        let applied = batch.len() as u64;
        let span = batch_span(db.name(), source, &batch);
        async {
            apply(batch).await?;
            let mut tx = db.begin_write().await?;
            db.timed("feed_cursor_save", save_cursor(&mut tx, source, last)).await?;
            tx.commit().await?;
            anyhow::Ok(())
        }
        .instrument(span)
        .await?;
        *backoff = FIRST_RETRY;
        cursor = last;
        crate::metrics::follower_progress(db.name(), source, cursor, applied, committed);
    }
}

/// The span of applying one batch: a child of the trace of the batch's first traced write,
/// linked to the traces of the others, so each write's trace shows the work it caused in
/// its followers. Without OpenTelemetry this is a plain span.
pub fn batch_span<E: Sequenced>(follower: &str, source: &str, batch: &[E]) -> tracing::Span {
    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;

    let span = tracing::info_span!(
        "follow_feed",
        follower,
        source,
        events = batch.len(),
        first_sequence = batch.first().map_or(0, Sequenced::sequence),
    );
    let mut traced = batch
        .iter()
        .map(Sequenced::traceparent)
        .filter(|tp| !tp.is_empty())
        .map(crate::telemetry::context_from_traceparent)
        .filter(|cx| cx.span().span_context().is_valid());
    let mut seen = std::collections::HashSet::new();
    if let Some(parent) = traced.next() {
        seen.insert(parent.span().span_context().trace_id());
        let _ = span.set_parent(parent);
    }
    for cx in traced.take(MAX_LINKS) {
        let linked = cx.span().span_context().clone();
        if seen.insert(linked.trace_id()) {
            span.add_link(linked);
        }
    }
    span
}

/// Most writes a batch's span links to (the first is its parent).
const MAX_LINKS: usize = 32;
