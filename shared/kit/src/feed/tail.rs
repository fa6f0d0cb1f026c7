//! One reader per feed, many watchers: the tail reads newly committed events once and
//! broadcasts them to every watcher in the process. A watcher reads its own backlog from the
//! database, then follows the broadcast; a watcher that falls too far behind (the broadcast
//! buffer overflowed) reads from the database again until it has caught up. Idle, a feed
//! costs one query per poll interval, however many watchers it has (the poll picks up
//! writes by other replicas; local commits wake the tail at once).

use std::{
    collections::VecDeque,
    sync::{Arc, Weak},
    time::Duration,
};

use futures::Stream;
use sqlx::AnyPool;
use tokio::sync::{Mutex, broadcast, watch};

use super::{Feed, FeedEvent};
use crate::ApiResult;

/// Events read from the database at once.
const BATCH: i64 = 500;
/// Events kept for watchers that are momentarily behind.
const BUFFER: usize = 1_024;

/// What a feed shares with its tail task.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) committed: watch::Sender<i64>,
    pub(super) poll: Duration,
    live: Mutex<Option<broadcast::Sender<Arc<FeedEvent>>>>,
}

impl Shared {
    pub(super) fn new(poll: Duration) -> Self {
        Self { committed: watch::channel(0).0, poll, live: Mutex::new(None) }
    }
}

/// A receiver of the live events of `shared`'s feed, starting its tail if none runs. A new
/// tail starts after the head it reads here, before anyone can subscribe to it: an event
/// committed later is broadcast, one committed earlier is in the database.
async fn subscribe(shared: &Arc<Shared>, pool: &AnyPool) -> ApiResult<broadcast::Receiver<Arc<FeedEvent>>> {
    let mut live = shared.live.lock().await;
    if let Some(sender) = live.as_ref() {
        return Ok(sender.subscribe());
    }
    let cursor = head(pool).await?;
    let (sender, receiver) = broadcast::channel(BUFFER);
    *live = Some(sender.clone());
    tokio::spawn(run_tail(Arc::downgrade(shared), pool.clone(), sender, cursor));
    Ok(receiver)
}

/// Reads what commits after `cursor` and broadcasts it, until the feed is dropped, the pool
/// is closed, or no watcher is left.
async fn run_tail(shared: Weak<Shared>, pool: AnyPool, sender: broadcast::Sender<Arc<FeedEvent>>, mut cursor: i64) {
    loop {
        let Some(feed) = shared.upgrade() else { return };
        let mut committed = feed.committed.subscribe();
        committed.borrow_and_update();
        match Feed::read(&pool, cursor, BATCH).await {
            Ok(events) if !events.is_empty() => {
                for event in events {
                    cursor = event.sequence;
                    let _ = sender.send(Arc::new(event));
                }
                continue;
            }
            Ok(_) => {}
            Err(err) if !pool.is_closed() => {
                crate::throttled!(1, warn!(error = %err, "reading the change feed failed; retrying"));
            }
            Err(_) => {}
        }
        {
            // Stop once no watcher is left (or the database is closed); the check and the
            // removal happen under the lock that `subscribe` takes, so no watcher subscribes
            // to a tail that is ending.
            let mut live = feed.live.lock().await;
            if sender.receiver_count() == 0 || pool.is_closed() {
                *live = None;
                return;
            }
        }
        let poll = feed.poll;
        drop(feed);
        let _ = tokio::time::timeout(poll, committed.changed()).await;
    }
}

async fn head(pool: &AnyPool) -> ApiResult<i64> {
    let head: Option<i64> = sqlx::query_scalar("SELECT MAX(sequence) FROM outbox").fetch_one(pool).await?;
    Ok(head.unwrap_or(0))
}

/// Events after `after`: the backlog from the database, then the live broadcast.
pub(super) fn watch(
    shared: &Arc<Shared>,
    pool: AnyPool,
    after: i64,
) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
    let state = Watcher {
        shared: Arc::clone(shared),
        pool,
        cursor: after,
        buffer: VecDeque::new(),
        live: None,
        catching_up: true,
        failed: false,
    };
    futures::stream::unfold(state, |mut w| async move {
        if w.failed {
            return None;
        }
        // Subscribe before reading the backlog: whatever commits after this is broadcast to
        // us, whatever committed before is in the database when the backlog is read.
        if w.live.is_none() {
            match subscribe(&w.shared, &w.pool).await {
                Ok(live) => w.live = Some(live),
                Err(err) => {
                    w.failed = true;
                    return Some((Err(err), w));
                }
            }
        }
        loop {
            if let Some(event) = w.buffer.pop_front() {
                w.cursor = event.sequence;
                return Some((Ok(event), w));
            }
            if w.catching_up {
                match Feed::read(&w.pool, w.cursor, BATCH).await {
                    Ok(events) if events.is_empty() => w.catching_up = false,
                    Ok(events) => w.buffer.extend(events),
                    Err(err) => {
                        w.failed = true;
                        return Some((Err(err), w));
                    }
                }
                continue;
            }
            let live = w.live.as_mut()?;
            match live.recv().await {
                Ok(event) if event.sequence <= w.cursor => {}
                Ok(event) if event.sequence == w.cursor + 1 => w.buffer.push_back((*event).clone()),
                // A gap or an overflow: the database has what was missed.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => w.catching_up = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

struct Watcher {
    shared: Arc<Shared>,
    pool: AnyPool,
    cursor: i64,
    buffer: VecDeque<FeedEvent>,
    live: Option<broadcast::Receiver<Arc<FeedEvent>>>,
    catching_up: bool,
    failed: bool,
}
