//! The scheme table: each scheme stored whole (its protobuf in `doc`), with its state and
//! revision beside it for filters and optimistic concurrency.

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    db::{Backend, doc, docs},
    names::etag,
    time::{self, now_micros},
};
use crm_proto::crm::segmentation::v1::{Scheme, SchemeState};
use prost::Message;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{SegmentationStore, members};
use std::sync::Arc;

use crate::domain::scheme::{self, CompiledScheme};

/// What a stored scheme changes into, inside the write transaction.
pub trait SchemeMutation: FnOnce(Scheme) -> ApiResult<Scheme> + Send {}
impl<F: FnOnce(Scheme) -> ApiResult<Scheme> + Send> SchemeMutation for F {}

/// Stored name of a scheme state.
pub fn state_name(state: i32) -> &'static str {
    SchemeState::try_from(state).map_or("SCHEME_STATE_UNSPECIFIED", |s| s.as_str_name())
}

/// Whether memberships of a scheme in `state` are kept current (ACTIVATING or ACTIVE).
fn live(state: i32) -> bool {
    state == SchemeState::Activating as i32 || state == SchemeState::Active as i32
}

async fn write(conn: &mut AnyConnection, id: &str, scheme: &Scheme, revision: i64, insert: bool) -> ApiResult<()> {
    let sql = if insert {
        "INSERT INTO scheme (state, revision, create_time, update_time, doc, id) VALUES ($1, $2, $3, $4, $5, $6)"
    } else {
        "UPDATE scheme SET state = $1, revision = $2, create_time = $3, update_time = $4, doc = $5 WHERE id = $6"
    };
    sqlx::query(sql)
        .bind(state_name(scheme.state))
        .bind(revision)
        .bind(scheme.create_time.as_ref().map_or(0, time::from_timestamp))
        .bind(scheme.update_time.as_ref().map_or(0, time::from_timestamp))
        .bind(scheme.encode_to_vec())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The scheme and its revision, locked for the update on PostgreSQL.
async fn load_for_update(conn: &mut AnyConnection, backend: Backend, id: &str) -> ApiResult<Option<(Scheme, i64)>> {
    let sql = match backend {
        Backend::Sqlite => "SELECT doc, revision FROM scheme WHERE id = $1",
        Backend::Postgres => "SELECT doc, revision FROM scheme WHERE id = $1 FOR UPDATE",
    };
    let row = sqlx::query(sql).bind(id).fetch_optional(conn).await?;
    row.map(|r| Ok((doc(&r)?, r.try_get("revision")?))).transpose()
}

/// The stored state of scheme `id` inside a write transaction (`None` when it is missing),
/// read `FOR SHARE` on PostgreSQL: a scheme change in flight is waited for, and one that
/// comes later waits for this transaction.
pub(super) async fn state_for_share(conn: &mut AnyConnection, backend: Backend, id: &str) -> ApiResult<Option<String>> {
    let sql = match backend {
        Backend::Postgres => "SELECT state FROM scheme WHERE id = $1 FOR SHARE",
        Backend::Sqlite => "SELECT state FROM scheme WHERE id = $1",
    };
    Ok(sqlx::query_scalar(sql).bind(id).fetch_optional(conn).await?)
}

/// The schemes whose memberships follow client changes (ACTIVATING and ACTIVE), compiled.
///
/// Inside the write transaction that then writes their memberships: on PostgreSQL the rows
/// are read `FOR SHARE`, so a scheme change in flight (RetireScheme, a reverted activation,
/// which close every open membership) is waited for and its new state seen, and one that
/// comes later waits for this transaction; no open membership outlives the scheme's
/// ACTIVATING or ACTIVE state. (SQLite write transactions are serialised already.)
pub(super) async fn live_schemes(
    conn: &mut AnyConnection,
    backend: Backend,
) -> ApiResult<Vec<(String, Arc<CompiledScheme>)>> {
    let sql = match backend {
        Backend::Postgres => "SELECT id, doc FROM scheme WHERE state = $1 OR state = $2 ORDER BY id FOR SHARE",
        Backend::Sqlite => "SELECT id, doc FROM scheme WHERE state = $1 OR state = $2 ORDER BY id",
    };
    let rows = sqlx::query(sql)
        .bind(SchemeState::Activating.as_str_name())
        .bind(SchemeState::Active.as_str_name())
        .fetch_all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let stored: Scheme = doc(&row)?;
        out.push((row.try_get("id")?, Arc::new(scheme::check(&stored, "scheme")?)));
    }
    Ok(out)
}

impl SegmentationStore {
    /// Inserts a new scheme (fully formed) as revision 1. With an idempotency key in `ctx`,
    /// a replay returns the scheme the first request created.
    pub async fn create_scheme(&self, ctx: WriteCtx<'_>, mut scheme: Scheme) -> ApiResult<Scheme> {
        let name = scheme.name.clone();
        let id = name.trim_start_matches("schemes/");
        let now = time::to_timestamp(now_micros());
        scheme.create_time = Some(now);
        scheme.update_time = Some(now);
        scheme.etag = etag(1);
        let create = async |w: &mut crm_kit::write::Work<'_>| {
            write(w.conn(), id, &scheme, 1, true).await?;
            w.audit(&name, "CREATED").await?;
            Ok(scheme)
        };
        let replay = async |prior: &str| {
            let prior_id = prior.trim_start_matches("schemes/");
            self.get_scheme(prior_id).await?.ok_or_else(|| ApiError::not_found(prior))
        };
        self.writer.create(ctx, &name, create, replay).await
    }

    pub async fn get_scheme(&self, id: &str) -> ApiResult<Option<Scheme>> {
        let row = sqlx::query("SELECT doc FROM scheme WHERE id = $1").bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(doc).transpose()
    }

    /// Schemes newest first, after `after` (an id), optionally in one state (stored name).
    pub async fn list_schemes(&self, state: Option<&str>, after: Option<&str>, limit: usize) -> ApiResult<Vec<Scheme>> {
        // Ids are time-ordered (UUIDv7): newest first is descending id. No sentinel for the
        // first page: under a non-C collation (PostgreSQL's en_US default) "~" sorts first.
        let mut conditions = Vec::new();
        if after.is_some() {
            conditions.push("id < $2");
        }
        if state.is_some() {
            conditions.push(if after.is_some() { "state = $3" } else { "state = $2" });
        }
        let filter = if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let sql = format!("SELECT doc FROM scheme{filter} ORDER BY id DESC LIMIT $1");
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(i64::try_from(limit).unwrap_or(i64::MAX));
        if let Some(after) = after {
            query = query.bind(after.to_owned());
        }
        if let Some(state) = state {
            query = query.bind(state.to_owned());
        }
        docs(&query.fetch_all(self.reader()).await?)
    }

    /// Replaces a scheme with what `mutation` makes of it (NOT_FOUND when missing); bumps
    /// its revision, etag and update time. With `end_memberships`, and whenever the scheme
    /// leaves ACTIVATING or ACTIVE (e.g. back to DRAFT), every current membership of the
    /// scheme ends now, in the same transaction.
    pub async fn update_scheme(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        end_memberships: bool,
        mutation: impl SchemeMutation,
    ) -> ApiResult<Scheme> {
        let next = self
            .writer
            .run(ctx, async |w| {
                let backend = w.backend();
                let Some((current, revision)) = load_for_update(w.conn(), backend, id).await? else {
                    return Err(ApiError::not_found(format!("schemes/{id}")));
                };
                let was_live = live(current.state);
                let mut next = mutation(current)?;
                let now = now_micros();
                next.update_time = Some(time::to_timestamp(now));
                next.etag = etag(revision + 1);
                write(w.conn(), id, &next, revision + 1, false).await?;
                // Memberships are current only while the scheme is: leaving ACTIVATING or ACTIVE
                // (retired, or back to DRAFT when an activation is abandoned) ends them too.
                if end_memberships || (was_live && !live(next.state)) {
                    members::close_all(w.conn(), id, now).await?;
                }
                w.audit(&next.name, state_name(next.state)).await?;
                Ok(next)
            })
            .await?;
        self.changed();
        Ok(next)
    }
}
