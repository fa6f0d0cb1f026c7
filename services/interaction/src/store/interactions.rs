//! SQL of interactions: an append-only log per client, read newest first.

use crm_kit::{ApiError, ApiResult, call::WriteCtx, time::from_timestamp, write::Work};
use crm_proto::crm::interaction::v1::Interaction;
use prost::Message;

use super::{
    InteractionStore, Keyset,
    query::{self, Table},
};
use crate::domain::names;

const INTERACTIONS: Table = Table { name: "interactions", collection: names::INTERACTIONS, time: "occur_time" };

impl InteractionStore {
    /// Stores a new interaction (name and times set); a replay of its create returns the
    /// first. A `linked_case` must be a case of the same client (INVALID_ARGUMENT otherwise).
    pub async fn log_interaction(&self, ctx: WriteCtx<'_>, interaction: Interaction) -> ApiResult<Interaction> {
        let name = interaction.name.clone();
        let (client_id, id) = names::child_id("name", &name, names::INTERACTIONS)?;
        let work = async move |w: &mut Work<'_>| {
            let case_id = if interaction.linked_case.is_empty() {
                None
            } else {
                let (_, case_id) = names::child_id("interaction.linked_case", &interaction.linked_case, names::CASES)?;
                let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM cases WHERE id = $1 AND client_id = $2")
                    .bind(case_id)
                    .bind(client_id)
                    .fetch_optional(w.conn())
                    .await?;
                if found.is_none() {
                    return Err(ApiError::invalid("interaction.linked_case", "no such case for this client"));
                }
                Some(case_id)
            };
            sqlx::query(
                "INSERT INTO interactions (id, client_id, occur_time, case_id, doc) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(client_id)
            .bind(interaction.occur_time.as_ref().map_or(0, from_timestamp))
            .bind(case_id)
            .bind(interaction.encode_to_vec())
            .execute(w.conn())
            .await?;
            let payload = interaction.encode_to_vec();
            w.record("interaction.CREATED", &interaction.name, &interaction.client, payload).await?;
            Ok(interaction)
        };
        let replay = async |prior: &str| query::created(self.reader(), &INTERACTIONS, prior).await;
        self.writer.create(ctx, &name, work, replay).await
    }

    /// One interaction of a client.
    pub async fn get_interaction(&self, client_id: &str, id: &str) -> ApiResult<Option<Interaction>> {
        query::one(self.reader(), &INTERACTIONS, client_id, id).await
    }

    /// A page of the interactions of `clients` (ids), newest `occur_time` first, after `after`.
    pub async fn list_interactions(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<Interaction>> {
        query::newest_first(self.reader(), &INTERACTIONS, clients, &[], after, limit).await
    }
}
