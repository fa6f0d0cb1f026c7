//! Membership history: one row per client, scheme, level and stay in a segment. A row is
//! current while `valid_to` is [`OPEN`]; a move closes it and opens another, so reads as
//! of any earlier time answer what was true then.

use std::collections::HashMap;

use crm_kit::ApiResult;
use sqlx::{AnyConnection, Row};

use super::SegmentationStore;

/// `valid_to` of a membership that is still current.
pub const OPEN: i64 = i64::MAX;

/// One stored membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRow {
    pub scheme_id: String,
    pub client_id: String,
    /// 1 = top.
    pub level: i64,
    /// A segment id, or "unassigned".
    pub segment_id: String,
    /// When the client entered the segment (micros).
    pub valid_from: i64,
}

const COLUMNS: &str = "scheme_id, client_id, level, segment_id, valid_from";

fn row_of(row: &sqlx::any::AnyRow) -> ApiResult<MembershipRow> {
    Ok(MembershipRow {
        scheme_id: row.try_get("scheme_id")?,
        client_id: row.try_get("client_id")?,
        level: row.try_get("level")?,
        segment_id: row.try_get("segment_id")?,
        valid_from: row.try_get("valid_from")?,
    })
}

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

/// Ends every current membership of a scheme at `now`.
pub(super) async fn close_all(conn: &mut AnyConnection, scheme_id: &str, now: i64) -> ApiResult<()> {
    sqlx::query("UPDATE membership SET valid_to = $1 WHERE scheme_id = $2 AND valid_to = $3")
        .bind(now)
        .bind(scheme_id)
        .bind(OPEN)
        .execute(conn)
        .await?;
    Ok(())
}

impl SegmentationStore {
    /// Current segment path of every member of a scheme: client id → segment ids by level.
    pub async fn current_paths(&self, scheme_id: &str) -> ApiResult<HashMap<String, Vec<String>>> {
        let rows = sqlx::query(
            "SELECT client_id, level, segment_id FROM membership WHERE scheme_id = $1 AND valid_to = $2 \
             ORDER BY client_id, level",
        )
        .bind(scheme_id)
        .bind(OPEN)
        .fetch_all(self.reader())
        .await?;
        let mut paths: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            paths.entry(row.try_get("client_id")?).or_default().push(row.try_get("segment_id")?);
        }
        Ok(paths)
    }

    /// A client's memberships current now (`at` = `None`) or at `at` (micros), in any scheme.
    pub async fn client_memberships(&self, client_id: &str, at: Option<i64>) -> ApiResult<Vec<MembershipRow>> {
        let rows = match at {
            None => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM membership WHERE client_id = $1 AND valid_to = $2 ORDER BY scheme_id, level"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(client_id).bind(OPEN).fetch_all(self.reader()).await?
            }
            Some(at) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM membership WHERE client_id = $1 AND valid_from <= $2 AND valid_to > $2 \
                     ORDER BY scheme_id, level"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(client_id).bind(at).fetch_all(self.reader()).await?
            }
        };
        rows.iter().map(row_of).collect()
    }

    /// Current members of a segment in client order after `after`.
    pub async fn segment_members(
        &self,
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
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(row_of).collect()
    }
}
