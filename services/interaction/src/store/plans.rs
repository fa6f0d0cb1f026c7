//! SQL of key-account plans.

use crm_kit::{ApiResult, call::WriteCtx, time::from_timestamp, write::Work};
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
