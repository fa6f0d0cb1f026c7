//! SQL of key-account plans.

use crm_kit::{ApiError, ApiResult, time::from_timestamp};
use crm_proto::crm::interaction::v1::AccountPlan;
use prost::Message;

use super::{
    Idempotency, Keyset, WriteCtx,
    sql::{Page, SqlInteractionStore, doc},
};
use crate::domain::names;

/// Collection of account plans under a client.
pub const ACCOUNT_PLANS: &str = "accountPlans";

impl SqlInteractionStore {
    pub(super) async fn insert_plan(
        &self,
        ctx: WriteCtx<'_>,
        plan: AccountPlan,
        idem: Option<Idempotency>,
    ) -> ApiResult<AccountPlan> {
        if let Some(prior) = self.prior(ctx, idem.as_ref()).await? {
            return self.replay_plan(&prior).await;
        }
        let (client_id, id) = names::child_id("name", &plan.name, ACCOUNT_PLANS)?;
        let mut tx = self.db.begin_write().await?;
        if let Some(prior) = Self::claim(&mut tx, ctx, idem.as_ref(), &plan.name).await? {
            drop(tx);
            return self.replay_plan(&prior).await;
        }
        sqlx::query("INSERT INTO account_plans (id, client_id, create_time, doc) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(client_id)
            .bind(plan.create_time.as_ref().map_or(0, from_timestamp))
            .bind(plan.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        let seq = self
            .feed
            .record(&mut tx, ctx, "account_plan.CREATED", &plan.name, &plan.client, plan.encode_to_vec())
            .await?;
        self.feed.commit(tx, seq).await?;
        Ok(plan)
    }

    async fn replay_plan(&self, name: &str) -> ApiResult<AccountPlan> {
        let (client_id, id) = names::child_id("name", name, ACCOUNT_PLANS)?;
        let row = sqlx::query("SELECT doc FROM account_plans WHERE id = $1 AND client_id = $2")
            .bind(id)
            .bind(client_id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()?.ok_or_else(|| ApiError::not_found(name))
    }

    pub(super) async fn page_plans(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<AccountPlan>> {
        let page = Page { table: "account_plans", time: "create_time", clients, states: &[], after, limit };
        self.newest_first(page).await
    }
}
