//! SQL of key-account plans.

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    db::{Backend, doc},
    time::{from_timestamp, now_micros, to_timestamp},
    write::Work,
};
use crm_proto::crm::interaction::v1::AccountPlan;
use prost::Message;

use super::{
    InteractionStore, Keyset,
    query::{self, Table},
};
use crate::domain::names;

const PLANS: Table = Table { name: "account_plans", collection: names::ACCOUNT_PLANS, time: "create_time" };

impl InteractionStore {
    /// Stores a new account plan (name and times set); a replay of its create returns the
    /// first.
    pub async fn add_plan(&self, ctx: WriteCtx<'_>, plan: AccountPlan) -> ApiResult<AccountPlan> {
        let name = plan.name.clone();
        let (client_id, id) = names::child_id("name", &name, names::ACCOUNT_PLANS)?;
        let work = async move |w: &mut Work<'_>| {
            sqlx::query("INSERT INTO account_plans (id, client_id, create_time, doc) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(client_id)
                .bind(plan.create_time.as_ref().map_or(0, from_timestamp))
                .bind(plan.encode_to_vec())
                .execute(w.conn())
                .await?;
            w.record("account_plan.CREATED", &plan.name, &plan.client, plan.encode_to_vec()).await?;
            Ok(plan)
        };
        let replay = async |prior: &str| query::created(self.reader(), &PLANS, prior).await;
        self.writer.create(ctx, &name, work, replay).await
    }

    /// One account plan of a client.
    pub async fn get_plan(&self, client_id: &str, id: &str) -> ApiResult<Option<AccountPlan>> {
        query::one(self.reader(), &PLANS, client_id, id).await
    }

    /// Replaces a plan with what `mutation` makes of it (NOT_FOUND if absent), read in the
    /// write transaction (its row locked on PostgreSQL); the store keeps the name, client,
    /// creator and creation, and sets the etag and update time.
    pub async fn update_plan(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        id: &str,
        mutation: impl FnOnce(&AccountPlan) -> ApiResult<AccountPlan> + Send,
    ) -> ApiResult<AccountPlan> {
        self.writer
            .run(ctx, async move |w| {
                let sql = match w.backend() {
                    Backend::Sqlite => "SELECT doc FROM account_plans WHERE id = $1 AND client_id = $2",
                    Backend::Postgres => "SELECT doc FROM account_plans WHERE id = $1 AND client_id = $2 FOR UPDATE",
                };
                let row = sqlx::query(sql).bind(id).bind(client_id).fetch_optional(w.conn()).await?;
                let Some(current) = row.as_ref().map(doc::<AccountPlan>).transpose()? else {
                    return Err(ApiError::not_found(names::child_name(client_id, names::ACCOUNT_PLANS, id)));
                };
                let mut next = mutation(&current)?;
                next.name.clone_from(&current.name);
                next.client.clone_from(&current.client);
                next.creator.clone_from(&current.creator);
                next.create_time = current.create_time;
                next.update_time = Some(to_timestamp(now_micros()));
                next.etag = names::etag(names::revision_of(&current.etag) + 1);
                next.review_due = false;
                sqlx::query("UPDATE account_plans SET doc = $1 WHERE id = $2 AND client_id = $3")
                    .bind(next.encode_to_vec())
                    .bind(id)
                    .bind(client_id)
                    .execute(w.conn())
                    .await?;
                w.record("account_plan.UPDATED", &next.name, &next.client, next.encode_to_vec()).await?;
                Ok(next)
            })
            .await
    }

    /// A page of the account plans of `clients` (ids), newest first.
    pub async fn list_plans(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<AccountPlan>> {
        query::newest_first(self.reader(), &PLANS, clients, &[], after, limit).await
    }
}
