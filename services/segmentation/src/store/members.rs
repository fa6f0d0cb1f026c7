//! Membership history: one row per client, scheme, level and stay in a segment. A row is
//! current while `valid_to` is [`OPEN`]; a move closes it and opens another, so reads as
//! of any earlier time answer what was true then.

use std::collections::HashMap;

use crm_kit::{
    ApiError, ApiResult,
    db::{Backend, Db},
    time::now_micros,
};
use crm_proto::crm::segmentation::v1::SchemeState;
use sqlx::{AnyConnection, Row};

use super::{MembershipRow, OPEN, Step, projection, schemes::SqlSegmentationStore};
use crate::domain::scheme::{self, CompiledScheme};

/// Makes `path` (segment ids by level; empty = in no segment) the client's current
/// memberships in a scheme, closing what changed at `now` and keeping what did not.
pub(super) async fn write_path(
    conn: &mut AnyConnection,
    scheme_id: &str,
    client_id: &str,
    path: &[String],
    now: i64,
) -> ApiResult<()> {
    let current: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT level, segment_id, valid_from FROM membership WHERE scheme_id = $1 AND client_id = $2 AND valid_to = $3",
    )
    .bind(scheme_id)
    .bind(client_id)
    .bind(OPEN)
    .fetch_all(&mut *conn)
    .await?;
    let deepest = current.iter().map(|c| c.0).max().unwrap_or(0).max(i64::try_from(path.len()).unwrap_or(0));
    for level in 1..=deepest {
        let want = usize::try_from(level - 1).ok().and_then(|i| path.get(i));
        let have = current.iter().find(|c| c.0 == level);
        if let (Some(have), Some(want)) = (have, want)
            && &have.1 == want
        {
            continue;
        }
        if let Some((_, _, from)) = have {
            // A stay that began this very instant is replaced rather than closed empty.
            let sql = if *from >= now {
                "DELETE FROM membership WHERE scheme_id = $1 AND client_id = $2 AND level = $3 AND valid_from = $4"
            } else {
                "UPDATE membership SET valid_to = $5 WHERE scheme_id = $1 AND client_id = $2 AND level = $3 \
                 AND valid_from = $4"
            };
            let query = sqlx::query(sql).bind(scheme_id).bind(client_id).bind(level).bind(*from);
            let query = if *from >= now { query } else { query.bind(now) };
            query.execute(&mut *conn).await?;
        }
        if let Some(segment) = want {
            sqlx::query(
                "INSERT INTO membership (scheme_id, client_id, level, segment_id, valid_from, valid_to) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(scheme_id)
            .bind(client_id)
            .bind(level)
            .bind(segment)
            .bind(now)
            .bind(OPEN)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// See [`super::SegmentationStore::activation_step`].
pub(super) async fn activation_step(
    store: &SqlSegmentationStore,
    scheme_id: &str,
    compiled: &CompiledScheme,
    after: &str,
    limit: usize,
) -> ApiResult<Step> {
    let mut tx = store.db.begin_write().await?;
    let records = projection::load_records(&mut tx, after, limit, true, store.db.backend()).await?;
    let Some(last) = records.last().map(|r| r.id.clone()) else { return Ok(Step::default()) };
    // Rechecked in this transaction (locked on PostgreSQL, after the clients, as the feed
    // does): a scheme retired or reverted meanwhile gets no new open memberships.
    let sql = match store.db.backend() {
        Backend::Postgres => "SELECT state FROM scheme WHERE id = $1 FOR SHARE",
        Backend::Sqlite => "SELECT state FROM scheme WHERE id = $1",
    };
    let state: Option<String> = sqlx::query_scalar(sql).bind(scheme_id).fetch_optional(&mut *tx).await?;
    if state.as_deref() != Some(SchemeState::Activating.as_str_name()) {
        let state = state.unwrap_or_else(|| "missing".to_owned());
        return Err(ApiError::failed_precondition(
            "SCHEME_STATE_CONFLICT",
            format!("schemes/{scheme_id} is {state}; activation steps need a scheme that is ACTIVATING"),
        )
        .with_metadata("state", state));
    }
    let paths = scheme::assign_records(&[compiled], &records)?;
    let now = now_micros();
    for (record, mut per_scheme) in records.iter().zip(paths) {
        let path = per_scheme.pop().unwrap_or_default();
        write_path(&mut tx, scheme_id, &record.id, &path, now).await?;
    }
    tx.commit().await?;
    store.changed();
    let live = records.iter().filter(|r| !r.facts.client.deleted).count();
    Ok(Step { last: Some(last), live: i64::try_from(live).unwrap_or(i64::MAX) })
}

fn row_of(row: &sqlx::any::AnyRow) -> ApiResult<MembershipRow> {
    Ok(MembershipRow {
        scheme_id: row.try_get("scheme_id")?,
        client_id: row.try_get("client_id")?,
        level: row.try_get("level")?,
        segment_id: row.try_get("segment_id")?,
        valid_from: row.try_get("valid_from")?,
    })
}

const COLUMNS: &str = "scheme_id, client_id, level, segment_id, valid_from";

/// See [`super::SegmentationStore::current_paths`].
pub(super) async fn current_paths(db: &Db, scheme_id: &str) -> ApiResult<HashMap<String, Vec<String>>> {
    let rows = sqlx::query(
        "SELECT client_id, level, segment_id FROM membership WHERE scheme_id = $1 AND valid_to = $2 \
         ORDER BY client_id, level",
    )
    .bind(scheme_id)
    .bind(OPEN)
    .fetch_all(db.reader())
    .await?;
    let mut paths: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        paths.entry(row.try_get("client_id")?).or_default().push(row.try_get("segment_id")?);
    }
    Ok(paths)
}

/// See [`super::SegmentationStore::client_memberships`].
pub(super) async fn client_memberships(db: &Db, client_id: &str, at: Option<i64>) -> ApiResult<Vec<MembershipRow>> {
    let rows = match at {
        None => {
            let sql = format!(
                "SELECT {COLUMNS} FROM membership WHERE client_id = $1 AND valid_to = $2 ORDER BY scheme_id, level"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(client_id).bind(OPEN).fetch_all(db.reader()).await?
        }
        Some(at) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM membership WHERE client_id = $1 AND valid_from <= $2 AND valid_to > $2 \
                 ORDER BY scheme_id, level"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(client_id).bind(at).fetch_all(db.reader()).await?
        }
    };
    rows.iter().map(row_of).collect()
}

/// See [`super::SegmentationStore::segment_members`].
pub(super) async fn segment_members(
    db: &Db,
    scheme_id: &str,
    segment_id: &str,
    after: &str,
    limit: usize,
) -> ApiResult<Vec<MembershipRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM membership WHERE scheme_id = $1 AND segment_id = $2 AND valid_to = $3 \
         AND client_id > $4 ORDER BY client_id LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scheme_id)
        .bind(segment_id)
        .bind(OPEN)
        .bind(after)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(db.reader())
        .await?;
    rows.iter().map(row_of).collect()
}
