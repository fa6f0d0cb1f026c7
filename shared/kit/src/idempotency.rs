//! Create-request idempotency: a `request_id` replayed with the same payload returns the
//! first result; the same id with a different payload is rejected.
//!
//! The key is claimed inside the create's own transaction (primary key on scope and id), so
//! concurrent replays race on the insert: exactly one creates, the others find the claim.

use sha2::{Digest, Sha256};
use sqlx::{Any, AnyPool, Row, Transaction};

use crate::{
    error::{ApiError, ApiResult},
    time::now_micros,
};

/// Fingerprint of a request payload (hex SHA-256 of its encoding).
pub fn fingerprint(payload: &[u8]) -> String {
    Sha256::digest(payload).iter().map(|b| format!("{b:02x}")).collect()
}

/// What an earlier request with the same id produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prior {
    /// No earlier request: go ahead and create.
    None,
    /// The earlier request created this resource.
    Created(String),
}

/// Checks for an earlier request without claiming (fast path outside the write lock).
pub async fn lookup(pool: &AnyPool, scope: &str, request_id: &str, fingerprint: &str) -> ApiResult<Prior> {
    let row = sqlx::query("SELECT fingerprint, resource FROM idempotency WHERE scope = $1 AND request_id = $2")
        .bind(scope)
        .bind(request_id)
        .fetch_optional(pool)
        .await?;
    match row {
        None => Ok(Prior::None),
        Some(row) => prior_from(&row, fingerprint),
    }
}

/// Inside the create transaction: returns the prior result, or claims the id for `resource`.
pub async fn claim(
    tx: &mut Transaction<'_, Any>,
    scope: &str,
    request_id: &str,
    fingerprint: &str,
    resource: &str,
) -> ApiResult<Prior> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency (scope, request_id, fingerprint, resource, create_time) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (scope, request_id) DO NOTHING",
    )
    .bind(scope)
    .bind(request_id)
    .bind(fingerprint)
    .bind(resource)
    .bind(now_micros())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Prior::None);
    }
    let row = sqlx::query("SELECT fingerprint, resource FROM idempotency WHERE scope = $1 AND request_id = $2")
        .bind(scope)
        .bind(request_id)
        .fetch_one(&mut **tx)
        .await?;
    prior_from(&row, fingerprint)
}

fn prior_from(row: &sqlx::any::AnyRow, fingerprint: &str) -> ApiResult<Prior> {
    let stored: String = row.try_get("fingerprint")?;
    if stored != fingerprint {
        return Err(ApiError::invalid(
            "request_id",
            "this request_id was already used with a different request; use a new request_id",
        ));
    }
    Ok(Prior::Created(row.try_get("resource")?))
}
