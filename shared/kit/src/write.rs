//! The unit of work: one call per store write.
//!
//! [`Writer::run`] opens the write transaction, runs the store's own SQL, and commits; every
//! change the SQL reports with [`Work::record`] appends its change-feed event and its audit
//! record in the same transaction, so a write is acknowledged only once its event and its
//! audit record are durable with it. After the commit, watchers of the feed in this process
//! are woken. Each unit runs in a span of its own (`unit_of_work`, with the database and the
//! action). [`Writer::create`] does the same for a create that carries an idempotency key
//! ([`WriteCtx::idempotency`]): a replay of the same request returns the first result, and
//! two concurrent replays race on the key's claim inside the transaction, so exactly one
//! creates.
//!
//! A store's write therefore reads as its own SQL and nothing else:
//!
//! ```ignore
//! self.writer.run(ctx, async |w| {
//!     sqlx::query("UPDATE cases SET doc = $1 WHERE id = $2").bind(doc).bind(id).execute(w.conn()).await?;
//!     w.record("case.UPDATED", &case.name, &case.client, case.encode_to_vec()).await?;
//!     Ok(case)
//! }).await
//! ```

use futures::Stream;
use sqlx::{Any, AnyConnection, Transaction};
use tracing::Instrument as _;

use crate::{
    audit,
    call::WriteCtx,
    db::{Backend, Db},
    error::{ApiError, ApiResult},
    feed::{Feed, FeedEvent, NewEvent},
    idempotency::{self, Prior},
};

/// Called after each commit with the resources its changes recorded, e.g. to drop them
/// from a read cache.
#[derive(Clone)]
pub struct CommitHook(std::sync::Arc<OnCommit>);

/// What a [`CommitHook`] runs.
type OnCommit = dyn Fn(&[String]) + Send + Sync;

impl CommitHook {
    /// A hook calling `f`.
    pub fn new(f: impl Fn(&[String]) + Send + Sync + 'static) -> Self {
        Self(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for CommitHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CommitHook")
    }
}

/// A service database with its change feed: the only way a store writes.
#[derive(Clone, Debug)]
pub struct Writer {
    db: Db,
    feed: Feed,
    on_commit: Option<CommitHook>,
}

impl Writer {
    /// The writer of a migrated service database.
    pub fn new(db: Db) -> Self {
        Self { db, feed: Feed::default(), on_commit: None }
    }

    /// The same writer, calling `hook` after each commit with the resources it recorded.
    #[must_use]
    pub fn with_commit_hook(mut self, hook: CommitHook) -> Self {
        self.on_commit = Some(hook);
        self
    }

    /// The database, for the store's reads.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The change feed (its in-process notifier).
    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    /// Committed changes after `after`: the backlog, then live events as they commit.
    pub fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.feed.watch(self.db.reader().clone(), after)
    }

    /// Runs `work` in one write transaction made in `ctx`, commits, and wakes feed watchers.
    /// An error from `work` rolls everything back.
    pub async fn run<T>(
        &self,
        ctx: WriteCtx<'_>,
        work: impl AsyncFnOnce(&mut Work<'_>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        self.run_unit(ctx, work).instrument(self.span(ctx)).await
    }

    async fn run_unit<T>(
        &self,
        ctx: WriteCtx<'_>,
        work: impl AsyncFnOnce(&mut Work<'_>) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let mut unit = self.begin(ctx).await?;
        let out = match work(&mut unit).await {
            Ok(out) => out,
            Err(err) => {
                unit.finished("rollback");
                return Err(err);
            }
        };
        unit.commit().await?;
        Ok(out)
    }

    /// A create of `resource`: without an idempotency key in `ctx`, [`Writer::run`]. With one,
    /// a request seen before returns `replay(resource it created)`; otherwise the key is
    /// claimed for `resource` in the transaction that runs `work`. The key is scoped by the
    /// action (the RPC), and the same key with another payload is INVALID_ARGUMENT.
    pub async fn create<T>(
        &self,
        ctx: WriteCtx<'_>,
        resource: &str,
        work: impl AsyncFnOnce(&mut Work<'_>) -> ApiResult<T>,
        replay: impl AsyncFnOnce(&str) -> ApiResult<T>,
    ) -> ApiResult<T> {
        let Some(key) = ctx.idempotency else { return self.run(ctx, work).await };
        self.create_unit(ctx, key, resource, work, replay).instrument(self.span(ctx)).await
    }

    async fn create_unit<T>(
        &self,
        ctx: WriteCtx<'_>,
        key: &crate::call::Idempotency,
        resource: &str,
        work: impl AsyncFnOnce(&mut Work<'_>) -> ApiResult<T>,
        replay: impl AsyncFnOnce(&str) -> ApiResult<T>,
    ) -> ApiResult<T> {
        // Fast path: a replay needs no write lock.
        if let Prior::Created(prior) =
            idempotency::lookup(self.db.reader(), ctx.action, &key.request_id, &key.fingerprint).await?
        {
            return replay(&prior).await;
        }
        let mut unit = self.begin(ctx).await?;
        match idempotency::claim(&mut unit.tx, ctx.action, &key.request_id, &key.fingerprint, resource).await? {
            Prior::Created(prior) => {
                // A concurrent replay won the claim: answer with what it created.
                unit.finished("rollback");
                drop(unit);
                replay(&prior).await
            }
            Prior::None => {
                let out = match work(&mut unit).await {
                    Ok(out) => out,
                    Err(err) => {
                        unit.finished("rollback");
                        return Err(err);
                    }
                };
                unit.commit().await?;
                Ok(out)
            }
        }
    }

    /// The span of one unit of work, a child of the current span (the call's, a follower's
    /// batch): an OTLP backend shows each RPC's database work under it, and the feed event
    /// it appends carries its trace. A write made outside any span (a job's step) starts no
    /// trace of its own.
    fn span(&self, ctx: WriteCtx<'_>) -> tracing::Span {
        if tracing::Span::current().is_none() {
            return tracing::Span::none();
        }
        tracing::info_span!("unit_of_work", db = self.db.name(), action = ctx.action)
    }

    async fn begin<'w>(&'w self, ctx: WriteCtx<'w>) -> ApiResult<Work<'w>> {
        let start = std::time::Instant::now();
        let tx = self.db.begin_write().await?;
        Ok(Work {
            tx,
            ctx,
            feed: &self.feed,
            db: &self.db,
            seal: self.db.seal(),
            backend: self.db.backend(),
            last_sequence: None,
            start,
            on_commit: self.on_commit.as_ref(),
            touched: Vec::new(),
        })
    }
}

/// An open write transaction, handed to the store's SQL by [`Writer::run`].
pub struct Work<'w> {
    tx: Transaction<'static, Any>,
    ctx: WriteCtx<'w>,
    feed: &'w Feed,
    db: &'w Db,
    seal: &'w audit::AuditSeal,
    backend: Backend,
    last_sequence: Option<i64>,
    start: std::time::Instant,
    on_commit: Option<&'w CommitHook>,
    touched: Vec<String>,
}

impl std::fmt::Debug for Work<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work").field("action", &self.ctx.action).field("last_sequence", &self.last_sequence).finish()
    }
}

impl Work<'_> {
    /// The connection of the transaction, for `execute(w.conn())`.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The transaction itself, for helpers that take one.
    pub fn tx(&mut self) -> &mut Transaction<'static, Any> {
        &mut self.tx
    }

    /// Which SQL dialect the transaction speaks (e.g. `FOR UPDATE` only on PostgreSQL).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Who is writing.
    pub fn ctx(&self) -> WriteCtx<'_> {
        self.ctx
    }

    /// Records one change: its change-feed event (`kind`, the `resource` that changed, the
    /// `aggregate` it belongs to, and its encoded state) and its audit record (the caller,
    /// the action, the resource; detail: the kind). Returns the event's feed sequence.
    pub async fn record(&mut self, kind: &str, resource: &str, aggregate: &str, payload: Vec<u8>) -> ApiResult<i64> {
        let event = NewEvent { kind, resource, aggregate, request_id: self.ctx.request_id, payload };
        let db = self.db;
        let sequence = db.timed("feed_append", self.feed.append(&mut self.tx, event)).await?;
        let audit = audit::append_write(&mut self.tx, self.seal, self.ctx, resource, kind.to_owned());
        db.timed("audit_append", audit).await?;
        self.last_sequence = Some(sequence);
        if self.on_commit.is_some() {
            self.touched.push(resource.to_owned());
        }
        Ok(sequence)
    }

    /// Records an audit record without a feed event (a write other services need not
    /// follow, e.g. starting a job).
    pub async fn audit(&mut self, resource: &str, detail: impl Into<String>) -> ApiResult<()> {
        audit::append_write(&mut self.tx, self.seal, self.ctx, resource, detail.into()).await
    }

    async fn commit(self) -> ApiResult<()> {
        let (db, start) = (self.db, self.start);
        let committed = self.tx.commit().await.map_err(ApiError::from);
        record_transaction(db, start, if committed.is_ok() { "commit" } else { "failed" });
        committed?;
        if let Some(hook) = self.on_commit {
            (hook.0)(&self.touched);
        }
        if let Some(sequence) = self.last_sequence {
            self.feed.notify_committed(sequence);
            crate::metrics::feed_head(db.name(), sequence);
        }
        Ok(())
    }

    /// Records a unit that ends without committing (it rolls back when dropped).
    fn finished(&self, outcome: &'static str) {
        record_transaction(self.db, self.start, outcome);
    }
}

/// `crm_db_transaction_seconds{db, outcome}`: a unit of work from its first wait for the
/// write lock to its end.
fn record_transaction(db: &Db, start: std::time::Instant, outcome: &'static str) {
    ::metrics::histogram!("crm_db_transaction_seconds", "db" => db.name().to_owned(), "outcome" => outcome)
        .record(crate::metrics::seconds_since(start));
}

impl Work<'_> {
    /// The database of the transaction (its name labels metrics).
    pub fn db(&self) -> &Db {
        self.db
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt as _;
    use sqlx::Row as _;

    use super::*;
    use crate::{
        auth::Principal,
        call::{Caller, Idempotency},
        db::{DbConfig, Migrations},
    };

    async fn temp_writer() -> (Writer, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("crm-write-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cfg = DbConfig { url: format!("sqlite:{}", dir.join("w.db").display()), ..DbConfig::default() };
        let none =
            Migrations { sqlite: sqlx::migrate!("migrations/none"), postgres: sqlx::migrate!("migrations/none") };
        let db = Db::connect_and_migrate(&cfg, none).await.expect("db");
        (Writer::new(db), dir)
    }

    async fn count(writer: &Writer, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_one(writer.db().reader()).await.expect("count");
        row.try_get("n").expect("n")
    }

    #[tokio::test]
    async fn a_unit_commits_its_event_and_audit_record_or_nothing() {
        let (writer, dir) = temp_writer().await;
        let caller = Caller::new(Principal::system("t"), "/svc/UpdateThing", "req-1");
        let mut events = Box::pin(writer.watch(0));

        let failed: ApiResult<()> = writer
            .run(caller.write(), async |w| {
                w.record("thing.UPDATED", "things/1", "things/1", vec![1]).await?;
                Err(ApiError::invalid("thing", "refused after recording"))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!((count(&writer, "outbox").await, count(&writer, "audit_log").await), (0, 0), "rolled back");

        let sequence = writer
            .run(caller.write(), async |w| w.record("thing.UPDATED", "things/1", "things/1", vec![2]).await)
            .await
            .expect("committed");
        let event = events.next().await.expect("an event").expect("readable");
        assert_eq!((event.sequence, event.kind.as_str(), event.payload), (sequence, "thing.UPDATED", vec![2]));
        let audit = crate::audit::list(writer.db().reader(), 0, 10, None).await.expect("audit");
        assert_eq!(audit.len(), 1);
        assert_eq!((audit[0].action.as_str(), audit[0].resource.as_str()), ("UpdateThing", "things/1"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn every_watcher_sees_every_event_once_in_order_backlog_then_live() {
        let (writer, dir) = temp_writer().await;
        let caller = Caller::new(Principal::system("t"), "/svc/UpdateThing", "req-1");
        let write = async |n: u8| {
            writer.run(caller.write(), async |w| w.record("thing.UPDATED", "things/1", "things/1", vec![n]).await).await
        };
        async fn next_sequences(
            watcher: &mut (impl Stream<Item = ApiResult<FeedEvent>> + Unpin),
            n: usize,
        ) -> Vec<i64> {
            let mut sequences = Vec::new();
            for _ in 0..n {
                sequences.push(watcher.next().await.expect("an event").expect("readable").sequence);
            }
            sequences
        }
        for n in 0..3 {
            write(n).await.expect("backlog");
        }
        let mut watchers: Vec<_> = (0..3).map(|_| Box::pin(writer.watch(0))).collect();
        // Each reads its backlog first, then follows the shared live tail.
        for watcher in &mut watchers {
            assert_eq!(next_sequences(watcher, 3).await, [1, 2, 3]);
        }
        let mut late = Box::pin(writer.watch(2));
        assert_eq!(next_sequences(&mut late, 1).await, [3]);
        for n in 3..8 {
            write(n).await.expect("live");
        }
        for watcher in watchers.iter_mut().chain([&mut late]) {
            assert_eq!(next_sequences(watcher, 5).await, [4, 5, 6, 7, 8]);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_create_replays_its_first_result_and_refuses_another_payload() {
        let (writer, dir) = temp_writer().await;
        let caller = Caller::new(Principal::system("t"), "/svc/CreateThing", "req-1");
        let payload = crm_proto::google::r#type::Money { currency_code: "CNY".into(), units: 1, nanos: 0 };
        let key = Idempotency::of("create-1", &payload).expect("valid");
        let create = |resource: &'static str| {
            let ctx = caller.write().keyed(key.as_ref());
            let writer = &writer;
            async move {
                writer
                    .create(
                        ctx,
                        resource,
                        async |w| {
                            w.record("thing.CREATED", resource, resource, vec![]).await?;
                            Ok(format!("created {resource}"))
                        },
                        async |prior| Ok(format!("replayed {prior}")),
                    )
                    .await
            }
        };
        assert_eq!(create("things/a").await.expect("first"), "created things/a");
        assert_eq!(create("things/b").await.expect("replay"), "replayed things/a");
        assert_eq!(count(&writer, "outbox").await, 1, "a replay writes nothing");

        let other = crm_proto::google::r#type::Money { units: 2, ..payload };
        let other_key = Idempotency::of("create-1", &other).expect("valid");
        let ctx = caller.write().keyed(other_key.as_ref());
        let err = writer
            .create(ctx, "things/c", async |_| Ok(()), async |_| Ok(()))
            .await
            .expect_err("same id, other payload");
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
        let _ = std::fs::remove_dir_all(dir);
    }
}
