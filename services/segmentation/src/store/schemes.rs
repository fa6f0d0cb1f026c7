//! SQL implementation of the store: schemes, and the trait's wiring to the projection and
//! membership modules.

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use crm_kit::{
    ApiError, ApiResult, audit,
    db::{Backend, Db},
    idempotency::{self, Prior},
    time::{self, now_micros},
};

pub use crm_kit::names::etag;
use crm_proto::crm::segmentation::v1::{Scheme, SchemeState};
use prost::Message;
use sqlx::{Any, AssertSqlSafe, Row, Transaction};

use super::{
    Idempotency, MembershipRow, OPEN, ProfileChange, SchemeMutation, SegmentationStore, Step, WriteCtx, members,
    projection,
};
use crate::domain::{
    scheme::CompiledScheme,
    view::{ClientRecord, ValueFacts},
};

/// The segmentation store on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlSegmentationStore {
    pub(super) db: Db,
    generation: Arc<AtomicU64>,
}

/// Stored name of a scheme state.
pub fn state_name(state: i32) -> &'static str {
    SchemeState::try_from(state).map_or("SCHEME_STATE_UNSPECIFIED", |s| s.as_str_name())
}

/// Whether memberships of a scheme in `state` are kept current (ACTIVATING or ACTIVE).
fn live(state: i32) -> bool {
    state == SchemeState::Activating as i32 || state == SchemeState::Active as i32
}

fn decode(row: &sqlx::any::AnyRow) -> ApiResult<Scheme> {
    let bytes: Vec<u8> = row.try_get("doc")?;
    Scheme::decode(bytes.as_slice()).map_err(|e| ApiError::internal(anyhow::anyhow!("corrupt stored scheme: {e}")))
}

impl SqlSegmentationStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db, generation: Arc::new(AtomicU64::new(0)) }
    }

    /// Notes a committed change of memberships, schemes or the projection (see
    /// [`SegmentationStore::generation`]).
    pub(super) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    async fn write(
        tx: &mut Transaction<'_, Any>,
        id: &str,
        scheme: &Scheme,
        revision: i64,
        insert: bool,
    ) -> ApiResult<()> {
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
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn load_for_write(&self, tx: &mut Transaction<'_, Any>, id: &str) -> ApiResult<Option<(Scheme, i64)>> {
        let sql = match self.db.backend() {
            Backend::Sqlite => "SELECT doc, revision FROM scheme WHERE id = $1",
            Backend::Postgres => "SELECT doc, revision FROM scheme WHERE id = $1 FOR UPDATE",
        };
        let row = sqlx::query(sql).bind(id).fetch_optional(&mut **tx).await?;
        row.map(|r| Ok((decode(&r)?, r.try_get("revision")?))).transpose()
    }
}

impl SegmentationStore for SqlSegmentationStore {
    fn db(&self) -> &Db {
        &self.db
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    async fn create_scheme(
        &self,
        ctx: WriteCtx<'_>,
        mut scheme: Scheme,
        idem: Option<Idempotency>,
    ) -> ApiResult<Scheme> {
        let id = scheme.name.trim_start_matches("schemes/").to_owned();
        if let Some(key) = &idem
            && let Prior::Created(existing) =
                idempotency::lookup(self.db.reader(), "CreateScheme", &key.request_id, &key.fingerprint).await?
        {
            let existing_id = existing.trim_start_matches("schemes/");
            return self.get_scheme(existing_id).await?.ok_or_else(|| ApiError::not_found(existing));
        }
        let mut tx = self.db.begin_write().await?;
        if let Some(key) = &idem
            && let Prior::Created(existing) =
                idempotency::claim(&mut tx, "CreateScheme", &key.request_id, &key.fingerprint, &scheme.name).await?
        {
            drop(tx);
            let existing_id = existing.trim_start_matches("schemes/");
            return self.get_scheme(existing_id).await?.ok_or_else(|| ApiError::not_found(existing));
        }
        let now = time::to_timestamp(now_micros());
        scheme.create_time = Some(now);
        scheme.update_time = Some(now);
        scheme.etag = etag(1);
        Self::write(&mut tx, &id, &scheme, 1, true).await?;
        audit::append_write(&mut tx, ctx, &scheme.name, "CREATED".to_owned()).await?;
        tx.commit().await?;
        Ok(scheme)
    }

    async fn get_scheme(&self, id: &str) -> ApiResult<Option<Scheme>> {
        let row = sqlx::query("SELECT doc FROM scheme WHERE id = $1").bind(id).fetch_optional(self.db.reader()).await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_schemes(&self, state: Option<&str>, after: Option<&str>, limit: usize) -> ApiResult<Vec<Scheme>> {
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
        let rows = query.fetch_all(self.db.reader()).await?;
        rows.iter().map(decode).collect()
    }

    async fn update_scheme<M: SchemeMutation>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        end_memberships: bool,
        mutation: M,
    ) -> ApiResult<Scheme> {
        let mut tx = self.db.begin_write().await?;
        let Some((current, revision)) = self.load_for_write(&mut tx, id).await? else {
            return Err(ApiError::not_found(format!("schemes/{id}")));
        };
        let was_live = live(current.state);
        let mut next = mutation(current)?;
        let now = now_micros();
        next.update_time = Some(time::to_timestamp(now));
        next.etag = etag(revision + 1);
        Self::write(&mut tx, id, &next, revision + 1, false).await?;
        // Memberships are current only while the scheme is: leaving ACTIVATING or ACTIVE
        // (retired, or back to DRAFT when an activation is abandoned) ends them too.
        if end_memberships || (was_live && !live(next.state)) {
            sqlx::query("UPDATE membership SET valid_to = $1 WHERE scheme_id = $2 AND valid_to = $3")
                .bind(now)
                .bind(id)
                .bind(OPEN)
                .execute(&mut *tx)
                .await?;
        }
        audit::append_write(&mut tx, ctx, &next.name, state_name(next.state).to_owned()).await?;
        tx.commit().await?;
        self.changed();
        Ok(next)
    }

    async fn apply_profile(&self, changes: Vec<ProfileChange>) -> ApiResult<()> {
        projection::apply_profile(self, changes).await
    }

    async fn apply_values(&self, values: Vec<(String, ValueFacts)>) -> ApiResult<()> {
        projection::apply_values(self, values).await
    }

    async fn activation_step(
        &self,
        scheme_id: &str,
        scheme: &CompiledScheme,
        after: &str,
        limit: usize,
    ) -> ApiResult<Step> {
        members::activation_step(self, scheme_id, scheme, after, limit).await
    }

    async fn count_live(&self) -> ApiResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM client_view WHERE deleted = 0").fetch_one(self.db.reader()).await?)
    }

    async fn scan_records(&self, after: &str, limit: usize) -> ApiResult<Vec<ClientRecord>> {
        let mut conn = self.db.reader().acquire().await?;
        projection::load_records(&mut conn, after, limit, false, self.db.backend()).await
    }

    async fn current_paths(&self, scheme_id: &str) -> ApiResult<HashMap<String, Vec<String>>> {
        members::current_paths(&self.db, scheme_id).await
    }

    async fn client_memberships(&self, client_id: &str, at: Option<i64>) -> ApiResult<Vec<MembershipRow>> {
        members::client_memberships(&self.db, client_id, at).await
    }

    async fn segment_members(
        &self,
        scheme_id: &str,
        segment_id: &str,
        after: &str,
        limit: usize,
    ) -> ApiResult<Vec<MembershipRow>> {
        members::segment_members(&self.db, scheme_id, segment_id, after, limit).await
    }
}
