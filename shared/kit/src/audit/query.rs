//! Reading the trail back: records newest first, filtered by client, subject, action and
//! time, in keyset pages over the sequence.

use sqlx::AnyPool;

use super::{AuditRecord, COLUMNS, from_row};
use crate::ApiResult;

/// Which records to read.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Records about this resource or anything under it (`clients/42` also matches
    /// `clients/42/contacts/7`); "" for any.
    pub resource: String,
    /// Records of this subject; "" for any.
    pub subject: String,
    /// Records of this action; "" for any.
    pub action: String,
    /// Records at or after this time (micros).
    pub start: Option<i64>,
    /// Records before this time (micros).
    pub end: Option<i64>,
    /// Records older than this sequence (the page before); `None` from the newest.
    pub before: Option<i64>,
    /// Records to read.
    pub limit: i64,
}

/// The records `q` selects, newest first.
pub async fn query(pool: &AnyPool, q: &AuditQuery) -> ApiResult<Vec<AuditRecord>> {
    // Resource names are validated by the caller (no LIKE wildcards); the prefix form keeps
    // the child records of a client.
    let under = if q.resource.is_empty() { String::new() } else { format!("{}/%", q.resource) };
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE sequence < $1 \
         AND ($2 = '' OR resource = $2 OR resource LIKE $3) AND ($4 = '' OR subject = $4) \
         AND ($5 = '' OR action = $5) AND event_time >= $6 AND event_time < $7 \
         ORDER BY sequence DESC LIMIT $8"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(q.before.unwrap_or(i64::MAX))
        .bind(&q.resource)
        .bind(&under)
        .bind(&q.subject)
        .bind(&q.action)
        .bind(q.start.unwrap_or(i64::MIN))
        .bind(q.end.unwrap_or(i64::MAX))
        .bind(q.limit)
        .fetch_all(pool)
        .await?;
    rows.iter().map(from_row).collect()
}
