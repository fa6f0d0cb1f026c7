//! SQL of cases: one row per case, replaced on each change (its history is in the feed
//! and the audit trail).

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    db::{Backend, doc},
    time::{from_timestamp, now_micros, to_timestamp},
    write::Work,
};
use crm_proto::crm::interaction::v1::Case;
use prost::Message;

use super::{
    InteractionStore, Keyset,
    query::{self, Table},
};
use crate::domain::names;

const CASES: Table = Table { name: "cases", collection: names::CASES, time: "create_time" };

impl InteractionStore {
    /// Stores a new case (name, state, SLA and times set); a replay of its create returns the
    /// case as it is now.
    pub async fn open_case(&self, ctx: WriteCtx<'_>, case: Case) -> ApiResult<Case> {
        let name = case.name.clone();
        let (client_id, id) = names::child_id("name", &name, names::CASES)?;
        let work = async move |w: &mut Work<'_>| {
            sqlx::query(
                "INSERT INTO cases (id, client_id, state, create_time, revision, doc) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(client_id)
            .bind(i64::from(case.state))
            .bind(case.create_time.as_ref().map_or(0, from_timestamp))
            .bind(names::revision_of(&case.etag))
            .bind(case.encode_to_vec())
            .execute(w.conn())
            .await?;
            w.record("case.CREATED", &case.name, &case.client, case.encode_to_vec()).await?;
            Ok(case)
        };
        let replay = async |prior: &str| query::created(self.reader(), &CASES, prior).await;
        self.writer.create(ctx, &name, work, replay).await
    }

    /// One case of a client.
    pub async fn get_case(&self, client_id: &str, id: &str) -> ApiResult<Option<Case>> {
        query::one(self.reader(), &CASES, client_id, id).await
    }

    /// Replaces a case with what `mutation` makes of its current state (NOT_FOUND if absent),
    /// read in the write transaction (its row locked on PostgreSQL); the store keeps the
    /// name, client, creation and opener, and sets the etag and update time.
    pub async fn update_case(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        id: &str,
        mutation: impl FnOnce(&Case) -> ApiResult<Case> + Send,
    ) -> ApiResult<Case> {
        self.writer
            .run(ctx, async move |w| {
                let sql = match w.backend() {
                    Backend::Sqlite => "SELECT doc FROM cases WHERE id = $1 AND client_id = $2",
                    Backend::Postgres => "SELECT doc FROM cases WHERE id = $1 AND client_id = $2 FOR UPDATE",
                };
                let row = sqlx::query(sql).bind(id).bind(client_id).fetch_optional(w.conn()).await?;
                let Some(current) = row.as_ref().map(doc::<Case>).transpose()? else {
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
                    .execute(w.conn())
                    .await?;
                w.record("case.UPDATED", &next.name, &next.client, next.encode_to_vec()).await?;
                Ok(next)
            })
            .await
    }

    /// A page of the cases of `clients` (ids), newest first, in `states` (all when empty).
    pub async fn list_cases(
        &self,
        clients: &[String],
        states: &[i32],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<Case>> {
        query::newest_first(self.reader(), &CASES, clients, states, after, limit).await
    }
}
