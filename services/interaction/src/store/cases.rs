//! SQL of cases: one row per case, replaced on each change (its history is in the feed
//! and the audit trail).

use crm_kit::{
    ApiError, ApiResult,
    db::Backend,
    time::{from_timestamp, now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::Case;
use prost::Message;
use sqlx::{Any, Transaction};

use super::{
    Idempotency, Keyset, WriteCtx,
    sql::{Page, SqlInteractionStore, doc},
};
use crate::domain::names;

impl SqlInteractionStore {
    pub(super) async fn insert_case(
        &self,
        ctx: WriteCtx<'_>,
        case: Case,
        idem: Option<Idempotency>,
    ) -> ApiResult<Case> {
        if let Some(prior) = self.prior(ctx, idem.as_ref()).await? {
            return self.replay_case(&prior).await;
        }
        let (client_id, id) = names::child_id("name", &case.name, names::CASES)?;
        let mut tx = self.db.begin_write().await?;
        if let Some(prior) = Self::claim(&mut tx, ctx, idem.as_ref(), &case.name).await? {
            drop(tx);
            return self.replay_case(&prior).await;
        }
        sqlx::query(
            "INSERT INTO cases (id, client_id, state, create_time, revision, doc) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(client_id)
        .bind(i64::from(case.state))
        .bind(case.create_time.as_ref().map_or(0, from_timestamp))
        .bind(names::revision_of(&case.etag))
        .bind(case.encode_to_vec())
        .execute(&mut *tx)
        .await?;
        let seq =
            self.feed.record(&mut tx, ctx, "case.CREATED", &case.name, &case.client, case.encode_to_vec()).await?;
        self.feed.commit(tx, seq).await?;
        Ok(case)
    }

    async fn replay_case(&self, name: &str) -> ApiResult<Case> {
        let (client_id, id) = names::child_id("name", name, names::CASES)?;
        self.read_case(client_id, id).await?.ok_or_else(|| ApiError::not_found(name))
    }

    pub(super) async fn read_case(&self, client_id: &str, id: &str) -> ApiResult<Option<Case>> {
        let row = sqlx::query("SELECT doc FROM cases WHERE id = $1 AND client_id = $2")
            .bind(id)
            .bind(client_id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()
    }

    /// Reads a case inside a write transaction; on PostgreSQL the row stays locked.
    async fn load_for_write(
        &self,
        tx: &mut Transaction<'_, Any>,
        client_id: &str,
        id: &str,
    ) -> ApiResult<Option<Case>> {
        let sql = match self.db.backend() {
            Backend::Sqlite => "SELECT doc FROM cases WHERE id = $1 AND client_id = $2",
            Backend::Postgres => "SELECT doc FROM cases WHERE id = $1 AND client_id = $2 FOR UPDATE",
        };
        let row = sqlx::query(sql).bind(id).bind(client_id).fetch_optional(&mut **tx).await?;
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn change_case<M: FnOnce(&Case) -> ApiResult<Case> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        id: &str,
        mutation: M,
    ) -> ApiResult<Case> {
        let mut tx = self.db.begin_write().await?;
        let Some(current) = self.load_for_write(&mut tx, client_id, id).await? else {
            return Err(ApiError::not_found(names::child_name(client_id, names::CASES, id)));
        };
        let mut next = mutation(&current)?;
        let revision = names::revision_of(&current.etag) + 1;
        next.name.clone_from(&current.name);
        next.client.clone_from(&current.client);
        next.create_time = current.create_time;
        next.opened_by.clone_from(&current.opened_by);
        next.sla_breached = false;
        next.update_time = Some(to_timestamp(now_micros()));
        next.etag = names::etag(revision);
        sqlx::query("UPDATE cases SET state = $1, revision = $2, doc = $3 WHERE id = $4")
            .bind(i64::from(next.state))
            .bind(revision)
            .bind(next.encode_to_vec())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let seq =
            self.feed.record(&mut tx, ctx, "case.UPDATED", &next.name, &next.client, next.encode_to_vec()).await?;
        self.feed.commit(tx, seq).await?;
        Ok(next)
    }

    pub(super) async fn page_cases(
        &self,
        clients: &[String],
        states: &[i32],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<Case>> {
        self.newest_first(Page { table: "cases", time: "create_time", clients, states, after, limit }).await
    }
}
