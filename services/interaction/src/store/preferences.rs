//! SQL of channel preference instructions: append-only history per client.

use crm_kit::{ApiError, ApiResult, time::from_timestamp};
use crm_proto::crm::interaction::v1::ChannelPreference;
use prost::Message;

use super::{
    Idempotency, Keyset, WriteCtx,
    sql::{Page, SqlInteractionStore, doc},
};
use crate::domain::names;

impl SqlInteractionStore {
    pub(super) async fn insert_preference(
        &self,
        ctx: WriteCtx<'_>,
        pref: ChannelPreference,
        idem: Option<Idempotency>,
    ) -> ApiResult<ChannelPreference> {
        if let Some(prior) = self.prior(ctx, idem.as_ref()).await? {
            return self.replay_preference(&prior).await;
        }
        let (client_id, id) = names::child_id("name", &pref.name, names::CHANNEL_PREFERENCES)?;
        let mut tx = self.db.begin_write().await?;
        if let Some(prior) = Self::claim(&mut tx, ctx, idem.as_ref(), &pref.name).await? {
            drop(tx);
            return self.replay_preference(&prior).await;
        }
        sqlx::query("INSERT INTO channel_preferences (id, client_id, effective_time, doc) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(client_id)
            .bind(pref.effective_time.as_ref().map_or(0, from_timestamp))
            .bind(pref.encode_to_vec())
            .execute(&mut *tx)
            .await?;
        let seq = self
            .feed
            .record(&mut tx, ctx, "channel_preference.CREATED", &pref.name, &pref.client, pref.encode_to_vec())
            .await?;
        self.feed.commit(tx, seq).await?;
        Ok(pref)
    }

    async fn replay_preference(&self, name: &str) -> ApiResult<ChannelPreference> {
        let (client_id, id) = names::child_id("name", name, names::CHANNEL_PREFERENCES)?;
        let row = sqlx::query("SELECT doc FROM channel_preferences WHERE id = $1 AND client_id = $2")
            .bind(id)
            .bind(client_id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()?.ok_or_else(|| ApiError::not_found(name))
    }

    pub(super) async fn page_preferences(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<ChannelPreference>> {
        let page = Page { table: "channel_preferences", time: "effective_time", clients, states: &[], after, limit };
        self.newest_first(page).await
    }
}
