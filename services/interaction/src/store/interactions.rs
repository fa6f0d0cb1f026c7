//! SQL of interactions: an append-only log per client, read newest first.

use crm_kit::{ApiError, ApiResult, time::from_timestamp};
use crm_proto::crm::interaction::v1::Interaction;
use prost::Message;

use super::{
    Idempotency, Keyset, WriteCtx,
    sql::{Page, SqlInteractionStore, doc},
};
use crate::domain::names;

impl SqlInteractionStore {
    pub(super) async fn insert_interaction(
        &self,
        ctx: WriteCtx<'_>,
        interaction: Interaction,
        idem: Option<Idempotency>,
    ) -> ApiResult<Interaction> {
        if let Some(prior) = self.prior(ctx, idem.as_ref()).await? {
            return self.replay_interaction(&prior).await;
        }
        let (client_id, id) = names::child_id("name", &interaction.name, names::INTERACTIONS)?;
        let mut tx = self.db.begin_write().await?;
        if let Some(prior) = Self::claim(&mut tx, ctx, idem.as_ref(), &interaction.name).await? {
            drop(tx);
            return self.replay_interaction(&prior).await;
        }
        let case_id = if interaction.linked_case.is_empty() {
            None
        } else {
            let (_, case_id) = names::child_id("interaction.linked_case", &interaction.linked_case, names::CASES)?;
            let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM cases WHERE id = $1 AND client_id = $2")
                .bind(case_id)
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(ApiError::invalid("interaction.linked_case", "no such case for this client"));
            }
            Some(case_id)
        };
        sqlx::query("INSERT INTO interactions (id, client_id, occur_time, case_id, doc) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(client_id)
            .bind(interaction.occur_time.as_ref().map_or(0, from_timestamp))
            .bind(case_id)
            .bind(interaction.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        let payload = interaction.encode_to_vec();
        let seq = self
            .feed
            .record(&mut tx, ctx, "interaction.CREATED", &interaction.name, &interaction.client, payload)
            .await?;
        self.feed.commit(tx, seq).await?;
        Ok(interaction)
    }

    async fn replay_interaction(&self, name: &str) -> ApiResult<Interaction> {
        let (client_id, id) = names::child_id("name", name, names::INTERACTIONS)?;
        self.read_interaction(client_id, id).await?.ok_or_else(|| ApiError::not_found(name))
    }

    pub(super) async fn read_interaction(&self, client_id: &str, id: &str) -> ApiResult<Option<Interaction>> {
        let row = sqlx::query("SELECT doc FROM interactions WHERE id = $1 AND client_id = $2")
            .bind(id)
            .bind(client_id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn page_interactions(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<Interaction>> {
        let page = Page { table: "interactions", time: "occur_time", clients, states: &[], after, limit };
        self.newest_first(page).await
    }
}
