//! The audit trail: who did what to which resource, when, with which request id and outcome.
//!
//! Records are hash-chained: each stores the SHA-256 of its own content and the previous
//! record's hash, so removing or editing a record breaks the chain ([`verify_chain`]).
//! Mutations append their record inside the mutation's transaction; reads of unmasked
//! sensitive data and denied attempts go through an [`AuditSink`] (group commit).

use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, Row, Transaction};

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
    /// Operation.
    pub action: String,
    /// Resource.
    pub resource: String,
    /// Request id.
    pub request_id: String,
    /// "OK" or "DENIED".
    pub outcome: String,
    /// Detail.
    pub detail: String,
    /// Hash of the previous record ("" for the first).
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
}

/// Appends `event` inside `tx` (the caller's transaction); returns its sequence.
pub async fn append(tx: &mut Transaction<'_, Any>, event: &AuditEvent<'_>) -> ApiResult<i64> {
    // Bumping the head row serialises appenders (row lock until commit on PostgreSQL).
    let head = sqlx::query(
        "UPDATE audit_head SET last_sequence = last_sequence + 1 WHERE id = 1 RETURNING last_sequence, last_hash",
    )
    .fetch_one(&mut **tx)
    .await?;
    let mut record = AuditRecord {
        sequence: head.try_get("last_sequence")?,
        event_time: now_micros(),
        subject: event.principal.subject.clone(),
        role: event.principal.role.as_str().to_owned(),
        action: event.action.to_owned(),
        resource: event.resource.to_owned(),
        request_id: event.request_id.to_owned(),
        outcome: event.outcome.as_str().to_owned(),
        detail: event.detail.clone(),
        prev_hash: head.try_get("last_hash")?,
        hash: String::new(),
    };
    record.hash = content_hash(&record);
    sqlx::query(
        "INSERT INTO audit_log (sequence, event_time, subject, role, action, resource, request_id, outcome, detail, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(record.sequence)
    .bind(record.event_time)
    .bind(&record.subject)
    .bind(&record.role)
    .bind(&record.action)
    .bind(&record.resource)
    .bind(&record.request_id)
    .bind(&record.outcome)
    .bind(&record.detail)
    .bind(&record.prev_hash)
    .bind(&record.hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET last_hash = $1 WHERE id = 1").bind(&record.hash).execute(&mut **tx).await?;
    Ok(record.sequence)
}

/// Appends the OK record of a write made in `ctx` to `resource`, inside `tx` (the write's
/// transaction).
pub async fn append_write(
    tx: &mut Transaction<'_, Any>,
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
    append(tx, &event).await?;
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

    /// Transitional: records a refusal under an explicit action and resource (use
    /// [`AuditSink::refused`] through [`crate::reply::Replier`]), then returns `err`.
    pub async fn denied(&self, caller: &Caller, action: &str, resource: &str, err: ApiError) -> ApiError {
        let caller = Caller { rpc: crate::call::Rpc::from_path(action), ..caller.clone() };
        let err = err.with_resource(resource);
        self.refused(&caller, &err).await;
        err
    }

    /// Records a call refused by authorisation (PERMISSION_DENIED) as DENIED under the
    /// caller's RPC and the error's resource; other errors are not recorded. A failure to
    /// record is logged, and the refusal stands.
    pub async fn refused(&self, caller: &Caller, err: &ApiError) {
        if err.code() != tonic::Code::PermissionDenied {
            return;
        }
        let event = AuditEvent {
            principal: &caller.principal,
            action: caller.rpc.as_str(),
            resource: err.resource().unwrap_or_default(),
            request_id: &caller.request_id,
            outcome: Outcome::Denied,
            detail: err.reason().to_owned(),
        };
        if let Err(audit_err) = self.record(&event).await {
            tracing::error!(error = %audit_err, "could not audit a denied call");
        }
    }
}

async fn write_batch(db: &Db, batch: &[(OwnedEvent, oneshot::Sender<bool>)]) -> ApiResult<()> {
    let mut tx = db.begin_write().await?;
    for (e, _) in batch {
        let event = AuditEvent {
            principal: &e.principal,
            action: &e.action,
            resource: &e.resource,
            request_id: &e.request_id,
            outcome: e.outcome,
            detail: e.detail.clone(),
        };
        append(&mut tx, &event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records after `after`, oldest first, optionally only for one resource.
pub async fn list(pool: &AnyPool, after: i64, limit: i64, resource: Option<&str>) -> ApiResult<Vec<AuditRecord>> {
    let rows = sqlx::query(
        "SELECT sequence, event_time, subject, role, action, resource, request_id, outcome, detail, prev_hash, hash \
         FROM audit_log WHERE sequence > $1 AND ($2 = '' OR resource = $2) ORDER BY sequence LIMIT $3",
    )
    .bind(after)
    .bind(resource.unwrap_or_default())
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
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
            })
        })
        .collect()
}

/// Checks the whole chain; returns the sequence of the first broken record, if any.
pub async fn verify_chain(pool: &AnyPool) -> ApiResult<Option<i64>> {
    let mut after = 0;
    let mut prev_hash = String::new();
    loop {
        let batch = list(pool, after, 1_000, None).await?;
        let Some(last) = batch.last() else { return Ok(None) };
        after = last.sequence;
        for record in &batch {
            if record.prev_hash != prev_hash || record.hash != content_hash(record) {
                return Ok(Some(record.sequence));
            }
            prev_hash.clone_from(&record.hash);
        }
    }
}

/// SHA-256 over an unambiguous (JSON array) encoding of the record and its predecessor's hash.
fn content_hash(r: &AuditRecord) -> String {
    let canonical = serde_json::json!([
        r.prev_hash,
        r.sequence,
        r.event_time,
        r.subject,
        r.role,
        r.action,
        r.resource,
        r.request_id,
        r.outcome,
        r.detail
    ]);
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
