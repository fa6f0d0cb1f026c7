//! Long-running operations (scheme activation, portfolio scoring, ...): one durable row per
//! job whose progress callers read over the API while it runs.
//!
//! A service models its job as a resource of its own (e.g. `schemes/{s}/activations/{id}`)
//! and keeps the state here: [`start`] refuses a second running job on the same scope,
//! [`Progress`] records progress (and so a heartbeat) at most a few times a second,
//! [`Progress::succeed`] / [`Progress::fail`] end it, and [`fail_interrupted`] (call at
//! start-up) marks jobs that a crash or restart interrupted as failed, so nobody waits for
//! them forever. With several replicas on one PostgreSQL database a job belongs to whichever
//! replica runs it: only a job whose heartbeat is older than [`STALE_AFTER`] is taken for
//! dead, at start-up or when another job wants its scope.

use std::time::{Duration, Instant};

use sqlx::{Row as _, any::AnyRow};

use crate::{
    ApiError, ApiResult,
    db::{Backend, Db},
    time::now_micros,
};

/// How often a running job's progress is written at most.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(500);
/// A running job whose progress has not been written for this long is taken for dead.
pub const STALE_AFTER: Duration = Duration::from_secs(120);

const INTERRUPTED: &str = "interrupted by a restart; start it again";

fn stale_before() -> i64 {
    now_micros() - STALE_AFTER.as_micros() as i64
}

/// Where a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Still working.
    Running,
    /// Finished; `detail` holds the result summary.
    Succeeded,
    /// Stopped; `error` says why.
    Failed,
}

impl JobState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            _ => Self::Failed,
        }
    }
}

/// One job as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// Resource name, e.g. `schemes/s1/activations/0193...`.
    pub name: String,
    /// What kind of job, e.g. `scheme-activation`.
    pub kind: String,
    /// What it works on; at most one running job per kind and scope.
    pub scope: String,
    /// Where it is.
    pub state: JobState,
    /// Items done so far.
    pub processed: i64,
    /// Items to do (0 while unknown).
    pub total: i64,
    /// Result summary (service-defined JSON) once it succeeded.
    pub detail: String,
    /// Why it failed.
    pub error: String,
    /// Who started it.
    pub subject: String,
    /// Start, last progress and end times (micros).
    pub create_time: i64,
    /// Last progress write.
    pub update_time: i64,
    /// When it ended.
    pub end_time: Option<i64>,
}

impl Job {
    /// Share done, 0..=1 (1 once succeeded).
    pub fn fraction_done(&self) -> f64 {
        match self.state {
            JobState::Succeeded => 1.0,
            _ if self.total > 0 => (self.processed as f64 / self.total as f64).clamp(0.0, 1.0),
            _ => 0.0,
        }
    }
}

const COLUMNS: &str =
    "name, kind, scope, state, processed, total, detail, error, subject, create_time, update_time, end_time";

fn from_row(row: &AnyRow) -> sqlx::Result<Job> {
    Ok(Job {
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        scope: row.try_get("scope")?,
        state: JobState::parse(&row.try_get::<String, _>("state")?),
        processed: row.try_get("processed")?,
        total: row.try_get("total")?,
        detail: row.try_get("detail")?,
        error: row.try_get("error")?,
        subject: row.try_get("subject")?,
        create_time: row.try_get("create_time")?,
        update_time: row.try_get("update_time")?,
        end_time: row.try_get("end_time")?,
    })
}

/// The durable jobs of a service database: long operations (activation, portfolio runs)
/// whose progress callers read while they run.
#[derive(Clone, Debug)]
pub struct Jobs {
    db: Db,
}

impl Jobs {
    /// The jobs kept in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Starts a job, refusing (FAILED_PRECONDITION `JOB_ALREADY_RUNNING`) while another job of
    /// the same kind and scope runs. Returns the progress handle for the worker.
    pub async fn start(&self, name: &str, kind: &str, scope: &str, subject: &str, total: i64) -> ApiResult<Progress> {
        let db = &self.db;
        let mut tx = db.begin_write().await?;
        // A job on this scope whose runner died without a trace gives way.
        sqlx::query(
            "UPDATE job SET state = 'FAILED', error = $1, end_time = $2 \
         WHERE kind = $3 AND scope = $4 AND state = 'RUNNING' AND update_time < $5",
        )
        .bind(INTERRUPTED)
        .bind(now_micros())
        .bind(kind)
        .bind(scope)
        .bind(stale_before())
        .execute(&mut *tx)
        .await?;
        let running: Option<(String,)> =
            sqlx::query_as("SELECT name FROM job WHERE kind = $1 AND scope = $2 AND state = 'RUNNING'")
                .bind(kind)
                .bind(scope)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((other,)) = running {
            return Err(ApiError::failed_precondition(
                "JOB_ALREADY_RUNNING",
                format!("{other} is still running on {scope}; wait for it to finish"),
            )
            .with_metadata("job", other));
        }
        let now = now_micros();
        let inserted = sqlx::query(
            "INSERT INTO job (name, kind, scope, state, processed, total, detail, error, subject, create_time, \
         update_time, end_time) VALUES ($1, $2, $3, 'RUNNING', 0, $4, '', '', $5, $6, $6, NULL)",
        )
        .bind(name)
        .bind(kind)
        .bind(scope)
        .bind(total)
        .bind(subject)
        .bind(now)
        .execute(&mut *tx)
        .await;
        match inserted {
            // Another replica started one between our check and our insert (the unique index
            // on running jobs decides on PostgreSQL, where the check alone does not).
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                return Err(ApiError::failed_precondition(
                    "JOB_ALREADY_RUNNING",
                    format!("another job is still running on {scope}; wait for it to finish"),
                ));
            }
            other => {
                other?;
            }
        }
        tx.commit().await?;
        ::metrics::counter!("crm_jobs_started_total", "kind" => kind.to_owned()).increment(1);
        job_gauges(kind, 0, total);
        Ok(Progress {
            db: db.clone(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            last_write: Instant::now(),
            processed: 0,
            total,
            interval: PROGRESS_INTERVAL,
        })
    }

    /// Reads one job.
    pub async fn get(&self, name: &str) -> ApiResult<Option<Job>> {
        let db = &self.db;
        let sql = format!("SELECT {COLUMNS} FROM job WHERE name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(name).fetch_optional(db.reader()).await?;
        Ok(row.as_ref().map(from_row).transpose()?)
    }

    /// The most recent jobs of `kind` on `scope` (all scopes when `None`), newest first.
    pub async fn list(&self, kind: &str, scope: Option<&str>, limit: i64) -> ApiResult<Vec<Job>> {
        let db = &self.db;
        let order = "ORDER BY create_time DESC, name DESC LIMIT";
        let rows = match scope {
            Some(scope) => {
                let sql = format!("SELECT {COLUMNS} FROM job WHERE kind = $1 AND scope = $2 {order} $3");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind).bind(scope).bind(limit).fetch_all(db.reader()).await?
            }
            None => {
                let sql = format!("SELECT {COLUMNS} FROM job WHERE kind = $1 {order} $2");
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind).bind(limit).fetch_all(db.reader()).await?
            }
        };
        Ok(rows.iter().map(from_row).collect::<sqlx::Result<_>>()?)
    }

    /// Marks jobs a stop interrupted as FAILED: call once at start-up, before serving. On
    /// SQLite (one process owns the database) that is every RUNNING job; on PostgreSQL, where
    /// other replicas may be running jobs, only those without a heartbeat for [`STALE_AFTER`].
    pub async fn fail_interrupted(&self) -> ApiResult<u64> {
        let db = &self.db;
        let now = now_micros();
        let before = match db.backend() {
            Backend::Sqlite => i64::MAX,
            Backend::Postgres => stale_before(),
        };
        let done = sqlx::query(
            "UPDATE job SET state = 'FAILED', error = $1, update_time = $2, end_time = $2 \
         WHERE state = 'RUNNING' AND update_time < $3",
        )
        .bind(INTERRUPTED)
        .bind(now)
        .bind(before)
        .execute(db.writer())
        .await?;
        Ok(done.rows_affected())
    }
}

/// The worker's handle on its running job.
#[derive(Debug)]
pub struct Progress {
    db: Db,
    kind: String,
    name: String,
    last_write: Instant,
    processed: i64,
    total: i64,
    interval: Duration,
}

impl Progress {
    /// The job's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Records progress; written at most every 500 ms (the final count is always written by
    /// `succeed` / `fail`).
    pub async fn advance(&mut self, processed: i64, total: i64) -> ApiResult<()> {
        self.processed = processed;
        self.total = total;
        job_gauges(&self.kind, processed, total);
        if self.last_write.elapsed() < self.interval {
            return Ok(());
        }
        self.last_write = Instant::now();
        sqlx::query(
            "UPDATE job SET processed = $1, total = $2, update_time = $3 WHERE name = $4 AND state = 'RUNNING'",
        )
        .bind(processed)
        .bind(total)
        .bind(now_micros())
        .bind(&self.name)
        .execute(self.db.writer())
        .await?;
        Ok(())
    }

    /// Ends the job successfully with a result summary.
    pub async fn succeed(self, detail: &str) -> ApiResult<()> {
        self.end(JobState::Succeeded, detail, "").await
    }

    /// Ends the job as failed.
    pub async fn fail(self, error: &str) -> ApiResult<()> {
        self.end(JobState::Failed, "", error).await
    }

    async fn end(self, state: JobState, detail: &str, error: &str) -> ApiResult<()> {
        job_gauges(&self.kind, self.processed, self.total);
        ::metrics::counter!("crm_jobs_finished_total", "kind" => self.kind.clone(), "state" => state.as_str())
            .increment(1);
        let now = now_micros();
        let done = sqlx::query(
            "UPDATE job SET state = $1, processed = $2, total = $3, detail = $4, error = $5, update_time = $6, \
             end_time = $6 WHERE name = $7 AND state = 'RUNNING'",
        )
        .bind(state.as_str())
        .bind(self.processed)
        .bind(self.total)
        .bind(detail)
        .bind(error)
        .bind(now)
        .bind(&self.name)
        .execute(self.db.writer())
        .await?;
        if done.rows_affected() == 0 {
            // Taken for dead (no heartbeat for STALE_AFTER) and failed by someone else.
            tracing::warn!(job = %self.name, state = state.as_str(), "the job ended after it had been failed as stale");
        }
        Ok(())
    }
}

/// The progress of the latest job of `kind` in this process (`crm_job_processed_items`,
/// `crm_job_total_items`).
fn job_gauges(kind: &str, processed: i64, total: i64) {
    ::metrics::gauge!("crm_job_processed_items", "kind" => kind.to_owned()).set(processed as f64);
    ::metrics::gauge!("crm_job_total_items", "kind" => kind.to_owned()).set(total as f64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{DbConfig, Migrations};

    async fn temp_db() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("crm-jobs-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cfg = DbConfig { url: format!("sqlite:{}", dir.join("jobs.db").display()), ..DbConfig::default() };
        let none =
            Migrations { sqlite: sqlx::migrate!("migrations/none"), postgres: sqlx::migrate!("migrations/none") };
        (Db::connect_and_migrate(&cfg, none).await.expect("db"), dir)
    }

    #[tokio::test]
    async fn a_job_runs_once_per_scope_reports_progress_and_ends() {
        let (db, dir) = temp_db().await;
        let jobs = Jobs::new(db.clone());
        let mut first =
            jobs.start("schemes/a/activations/1", "activation", "schemes/a", "u1", 10).await.expect("start");
        let err = jobs.start("schemes/a/activations/2", "activation", "schemes/a", "u1", 10).await.expect_err("busy");
        assert_eq!(err.reason(), "JOB_ALREADY_RUNNING");
        // The database itself refuses a second running job on a scope (two replicas racing).
        let raced = sqlx::query(
            "INSERT INTO job (name, kind, scope, state, processed, total, detail, error, subject, create_time, \
             update_time) VALUES ('schemes/a/activations/9', 'activation', 'schemes/a', 'RUNNING', 0, 0, '', '', 'u2', 0, 0)",
        )
        .execute(db.writer())
        .await;
        assert!(matches!(raced, Err(sqlx::Error::Database(e)) if e.is_unique_violation()));
        jobs.start("schemes/b/activations/1", "activation", "schemes/b", "u1", 0).await.expect("other scope runs");

        // The interval is set by the test, so no timing decides what is written.
        first.interval = Duration::from_secs(3600);
        first.advance(2, 10).await.expect("throttled");
        let job = jobs.get("schemes/a/activations/1").await.expect("get").expect("exists");
        assert_eq!(job.processed, 0, "progress within the interval is not written");
        first.interval = Duration::ZERO;
        first.advance(4, 10).await.expect("progress");
        let job = jobs.get("schemes/a/activations/1").await.expect("get").expect("exists");
        assert_eq!((job.state, job.processed, job.total), (JobState::Running, 4, 10));
        assert!((job.fraction_done() - 0.4).abs() < 1e-9);

        first.interval = Duration::from_secs(3600);
        first.advance(10, 10).await.expect("throttled, not written");
        first.succeed("{\"members\":10}").await.expect("end");
        let job = jobs.get("schemes/a/activations/1").await.expect("get").expect("exists");
        assert_eq!((job.state, job.processed, job.detail.as_str()), (JobState::Succeeded, 10, "{\"members\":10}"));
        assert!(job.end_time.is_some());
        jobs.start("schemes/a/activations/3", "activation", "schemes/a", "u1", 0).await.expect("free again");

        // A runner that died without a trace: its stale job gives way to a new one.
        sqlx::query("UPDATE job SET update_time = $1 WHERE name = 'schemes/b/activations/1'")
            .bind(stale_before() - 1)
            .execute(db.writer())
            .await
            .expect("age");
        jobs.start("schemes/b/activations/2", "activation", "schemes/b", "u1", 0).await.expect("stale gives way");
        let dead = jobs.get("schemes/b/activations/1").await.expect("get").expect("exists");
        assert_eq!((dead.state, dead.error.as_str()), (JobState::Failed, INTERRUPTED));

        assert_eq!(jobs.fail_interrupted().await.expect("sweep"), 2, "on SQLite every running job was interrupted");
        let listed = jobs.list("activation", Some("schemes/a"), 10).await.expect("list");
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|j| j.state == JobState::Failed && j.error.contains("interrupted")));
        assert_eq!(jobs.list("activation", None, 10).await.expect("all").len(), 4);
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
