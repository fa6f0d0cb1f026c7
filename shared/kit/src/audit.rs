//! The audit trail: who did what to which resource, when, with which request id and outcome.
//!
//! Records are chained: each stores a keyed hash ([`AuditSeal`], HMAC with a key held
//! outside the database) of its own content and of the previous record's hash, so editing,
//! inserting or removing a record breaks the chain; the chain's head is checkpointed outside
//! the database ([`checkpoint`]), so cutting the tail is detected too ([`verify`]).
//! Mutations append their record inside the mutation's transaction; reads of unmasked
//! sensitive data and denied attempts go through an [`AuditSink`] (group commit).

pub mod checkpoint;
mod query;
mod seal;
pub mod service;
pub mod verify;

use sqlx::{Any, AnyPool, Row, Transaction};

pub use query::{AuditQuery, query};
pub use seal::{AuditSeal, legacy_hash};
pub use verify::{Finding, Verification, verify};

use tokio::sync::{mpsc, oneshot};

use crate::{
    auth::Principal,
    call::{Caller, WriteCtx},
    db::Db,
    error::{ApiError, ApiResult},
    time::now_micros,
};

/// How an audited action ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Carried out.
    Ok,
    /// Refused by authorisation.
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Denied => "DENIED",
        }
    }
}

/// One action to audit.
#[derive(Clone, Debug)]
pub struct AuditEvent<'a> {
    /// Who acted.
    pub principal: &'a Principal,
    /// The RPC or operation, e.g. "UpdateClient".
    pub action: &'a str,
    /// The resource acted on.
    pub resource: &'a str,
    /// The request id of the call.
    pub request_id: &'a str,
    /// How it ended.
    pub outcome: Outcome,
    /// Short machine-readable detail (e.g. the update mask); never sensitive values.
    pub detail: String,
}

impl<'a> AuditEvent<'a> {
    /// What `caller` did in its call (the RPC is the action) to `resource`.
    pub fn of_call(caller: &'a Caller, resource: &'a str, outcome: Outcome, detail: String) -> Self {
        Self {
            principal: &caller.principal,
            action: caller.rpc.as_str(),
            resource,
            request_id: &caller.request_id,
            outcome,
            detail,
        }
    }
}

/// A stored audit record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Position in the chain.
    pub sequence: i64,
    /// When, microseconds since the epoch.
    pub event_time: i64,
    /// Subject of the principal.
    pub subject: String,
    /// Role of the principal.
    pub role: String,
    /// The RPC (e.g. `UpdateClient`) or the internal action (e.g. `RescoreOnProfileChange`).
    pub action: String,
    /// The resource acted on; for a refusal, the one it named ("" when it named none).
    pub resource: String,
    /// The request id of the call ("" for writes the suite makes on its own, such as a feed
    /// follower's).
    pub request_id: String,
    /// "OK" or "DENIED".
    pub outcome: String,
    /// The change kind of a write, the reason of a refusal, `subscribed` for a stream, the
    /// field read in clear; never a sensitive value.
    pub detail: String,
    /// Hash of the previous record ("" for the first).
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
    /// Id of the key that sealed it ("" for records written before the trail was keyed).
    pub key_id: String,
}

impl AuditRecord {
    /// The canonical bytes a record's hash covers: an unambiguous JSON array of its content,
    /// its predecessor's hash and its key id.
    pub fn content(&self) -> Vec<u8> {
        let mut fields = serde_json::json!([
            self.prev_hash,
            self.sequence,
            self.event_time,
            self.subject,
            self.role,
            self.action,
            self.resource,
            self.request_id,
            self.outcome,
            self.detail
        ]);
        if !self.key_id.is_empty()
            && let Some(array) = fields.as_array_mut()
        {
            array.push(self.key_id.clone().into());
        }
        fields.to_string().into_bytes()
    }

    /// The hash this record should carry: keyed with `seal`, or plain for legacy records.
    /// `None` when it was sealed with another key than `seal`'s.
    pub fn expected_hash(&self, seal: &AuditSeal) -> Option<String> {
        if self.key_id.is_empty() {
            Some(legacy_hash(&self.content()))
        } else if self.key_id == seal.key_id() {
            Some(seal.mac(&self.content()))
        } else {
            None
        }
    }
}

/// Appends `event` inside `tx` (the caller's transaction), sealed with `seal`; returns its
/// sequence.
pub async fn append(tx: &mut Transaction<'_, Any>, seal: &AuditSeal, event: &AuditEvent<'_>) -> ApiResult<i64> {
    append_many(tx, seal, std::slice::from_ref(event)).await
}

/// Rows written by one INSERT of [`append_many`] (12 parameters each).
const ROWS_PER_INSERT: usize = 64;

/// Appends `events`, in order, inside `tx`, sealed with `seal`, in three statements per 64
/// records (head, rows, head hash) whatever their number; returns the last one's sequence.
pub async fn append_many(tx: &mut Transaction<'_, Any>, seal: &AuditSeal, events: &[AuditEvent<'_>]) -> ApiResult<i64> {
    let count = i64::try_from(events.len()).map_err(|err| ApiError::internal(anyhow::anyhow!("{err}")))?;
    // Bumping the head row serialises appenders (row lock until commit on PostgreSQL).
    let head = sqlx::query(
        "UPDATE audit_head SET last_sequence = last_sequence + $1 WHERE id = 1 RETURNING last_sequence, last_hash",
    )
    .bind(count)
    .fetch_one(&mut **tx)
    .await?;
    let last: i64 = head.try_get("last_sequence")?;
    let mut prev_hash: String = head.try_get("last_hash")?;
    let event_time = now_micros();
    let mut records = Vec::with_capacity(events.len());
    for (sequence, event) in (last - count + 1..).zip(events) {
        let mut record = AuditRecord {
            sequence,
            event_time,
            subject: event.principal.subject.clone(),
            role: event.principal.role.as_str().to_owned(),
            action: event.action.to_owned(),
            resource: event.resource.to_owned(),
            request_id: event.request_id.to_owned(),
            outcome: event.outcome.as_str().to_owned(),
            detail: event.detail.clone(),
            prev_hash: std::mem::take(&mut prev_hash),
            hash: String::new(),
            key_id: seal.key_id().to_owned(),
        };
        record.hash = seal.mac(&record.content());
        prev_hash.clone_from(&record.hash);
        records.push(record);
    }
    for chunk in records.chunks(ROWS_PER_INSERT) {
        // Only generated placeholders go into the text; the values are bound.
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let params: Vec<String> = (1..=12).map(|col| format!("${}", row * 12 + col)).collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (sequence, event_time, subject, role, action, resource, request_id, outcome, \
             detail, prev_hash, hash, key_id) VALUES {}",
            rows.join(", ")
        );
        let insert = chunk.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |q, r| {
            q.bind(r.sequence)
                .bind(r.event_time)
                .bind(&r.subject)
                .bind(&r.role)
                .bind(&r.action)
                .bind(&r.resource)
                .bind(&r.request_id)
                .bind(&r.outcome)
                .bind(&r.detail)
                .bind(&r.prev_hash)
                .bind(&r.hash)
                .bind(&r.key_id)
        });
        insert.execute(&mut **tx).await?;
    }
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1").bind(&prev_hash).execute(&mut **tx).await?;
    Ok(last)
}

/// Appends the OK record of a write made in `ctx` to `resource`, inside `tx` (the write's
/// transaction).
pub async fn append_write(
    tx: &mut Transaction<'_, Any>,
    seal: &AuditSeal,
    ctx: WriteCtx<'_>,
    resource: &str,
    detail: String,
) -> ApiResult<()> {
    let event = AuditEvent {
        principal: ctx.principal,
        action: ctx.action,
        resource,
        request_id: ctx.request_id,
        outcome: Outcome::Ok,
        detail,
    };
    append(tx, seal, &event).await?;
    Ok(())
}

/// Appends audit records that are not part of a mutation (reads of sensitive data, denied
/// attempts) with group commit: concurrent callers share one transaction, and each call
/// returns once its record is durable.
#[derive(Clone, Debug)]
pub struct AuditSink {
    queue: mpsc::Sender<(OwnedEvent, oneshot::Sender<bool>)>,
}

#[derive(Debug)]
struct OwnedEvent {
    principal: Principal,
    action: String,
    resource: String,
    request_id: String,
    outcome: Outcome,
    detail: String,
}

/// Most records committed in one transaction.
const SINK_BATCH: usize = 256;

impl AuditSink {
    /// Starts the writer task on the service database.
    pub fn spawn(db: Db) -> Self {
        let (queue, mut rx) = mpsc::channel::<(OwnedEvent, oneshot::Sender<bool>)>(4 * SINK_BATCH);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < SINK_BATCH {
                    match rx.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let written = write_batch(&db, &batch).await;
                if let Err(err) = &written {
                    tracing::error!(error = %err, records = batch.len(), "could not write audit records");
                }
                for (_, ack) in batch {
                    let _ = ack.send(written.is_ok());
                }
            }
        });
        Self { queue }
    }

    /// Appends `event`; returns once it is committed.
    pub async fn record(&self, event: &AuditEvent<'_>) -> ApiResult<()> {
        let owned = OwnedEvent {
            principal: event.principal.clone(),
            action: event.action.to_owned(),
            resource: event.resource.to_owned(),
            request_id: event.request_id.to_owned(),
            outcome: event.outcome,
            detail: event.detail.clone(),
        };
        let (ack, done) = oneshot::channel();
        let unavailable =
            || ApiError::unavailable("AUDIT_UNAVAILABLE", "the audit trail cannot be written; retry later");
        self.queue.send((owned, ack)).await.map_err(|_| unavailable())?;
        match done.await {
            Ok(true) => Ok(()),
            _ => Err(unavailable()),
        }
    }

    /// Records a call refused by authorisation (PERMISSION_DENIED) as DENIED under the
    /// caller's RPC and the error's resource; other errors are not recorded. A failure to
    /// record is logged, and the refusal stands.
    pub async fn refused(&self, caller: &Caller, err: &ApiError) {
        if err.code() != tonic::Code::PermissionDenied {
            return;
        }
        let resource = err.resource().unwrap_or_default();
        let event = AuditEvent::of_call(caller, resource, Outcome::Denied, err.reason().to_owned());
        if let Err(audit_err) = self.record(&event).await {
            tracing::error!(error = %audit_err, "could not audit a denied call");
        }
    }
}

async fn write_batch(db: &Db, batch: &[(OwnedEvent, oneshot::Sender<bool>)]) -> ApiResult<()> {
    let events: Vec<AuditEvent<'_>> = batch
        .iter()
        .map(|(e, _)| AuditEvent {
            principal: &e.principal,
            action: &e.action,
            resource: &e.resource,
            request_id: &e.request_id,
            outcome: e.outcome,
            detail: e.detail.clone(),
        })
        .collect();
    let mut tx = db.begin_write().await?;
    append_many(&mut tx, db.seal(), &events).await?;
    tx.commit().await?;
    Ok(())
}

/// Records after `after`, oldest first, optionally only for one resource.
pub async fn list(pool: &AnyPool, after: i64, limit: i64, resource: Option<&str>) -> ApiResult<Vec<AuditRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE sequence > $1 AND ($2 = '' OR resource = $2) ORDER BY sequence LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(resource.unwrap_or_default())
        .bind(limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Every column of `audit_log`, in the order [`from_row`] reads them.
const COLUMNS: &str =
    "sequence, event_time, subject, role, action, resource, request_id, outcome, detail, prev_hash, hash, key_id";

fn from_row(row: &sqlx::any::AnyRow) -> ApiResult<AuditRecord> {
    Ok(AuditRecord {
        sequence: row.try_get("sequence")?,
        event_time: row.try_get("event_time")?,
        subject: row.try_get("subject")?,
        role: row.try_get("role")?,
        action: row.try_get("action")?,
        resource: row.try_get("resource")?,
        request_id: row.try_get("request_id")?,
        outcome: row.try_get("outcome")?,
        detail: row.try_get("detail")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
        key_id: row.try_get("key_id")?,
    })
}

/// Checks the whole chain of `db` with its seal; returns the sequence of the first bad
/// record, if any (see [`verify`] for the whole report).
pub async fn verify_chain(db: &Db) -> ApiResult<Option<i64>> {
    Ok(verify(db.reader(), db.seal(), None).await?.first_bad().map(|finding| finding.sequence))
}
