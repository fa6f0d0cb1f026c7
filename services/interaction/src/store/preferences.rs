//! SQL of channel preference instructions: append-only history per client.

use crm_kit::{ApiResult, call::WriteCtx, time::from_timestamp, write::Work};
use crm_proto::crm::interaction::v1::ChannelPreference;
use prost::Message;

use super::{
    InteractionStore, Keyset,
    query::{self, Table},
};
use crate::domain::names;

const PREFERENCES: Table =
    Table { name: "channel_preferences", collection: names::CHANNEL_PREFERENCES, time: "effective_time" };

impl InteractionStore {
    /// Records a channel preference instruction (name and times set); a replay of its create
    /// returns the first.
    pub async fn add_preference(&self, ctx: WriteCtx<'_>, pref: ChannelPreference) -> ApiResult<ChannelPreference> {
        let name = pref.name.clone();
        let (client_id, id) = names::child_id("name", &name, names::CHANNEL_PREFERENCES)?;
        let work = async move |w: &mut Work<'_>| {
            sqlx::query("INSERT INTO channel_preferences (id, client_id, effective_time, doc) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(client_id)
                .bind(pref.effective_time.as_ref().map_or(0, from_timestamp))
                .bind(pref.encode_to_vec())
                .execute(w.conn())
                .await?;
            w.record("channel_preference.CREATED", &pref.name, &pref.client, pref.encode_to_vec()).await?;
            Ok(pref)
        };
        let replay = async |prior: &str| query::created(self.reader(), &PREFERENCES, prior).await;
        self.writer.create(ctx, &name, work, replay).await
    }

    /// A page of the instructions of `clients` (ids), most recently effective first.
    pub async fn list_preferences(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<ChannelPreference>> {
        query::newest_first(self.reader(), &PREFERENCES, clients, &[], after, limit).await
    }
}
