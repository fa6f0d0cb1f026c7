//! SQL of erasure: the client's interactions, cases, consent instructions, plans and exit
//! reviews rewritten without personal data, together with the change events that carried
//! them.

use crm_kit::{ApiResult, call::WriteCtx, db, write::Work};
use crm_proto::crm::interaction::v1::{AccountPlan, Case, ChannelPreference, ExitReview, Interaction};
use prost::Message;
use sqlx::AssertSqlSafe;

use super::InteractionStore;
use crate::domain::{erasure, names};

impl InteractionStore {
    /// Erases what this service holds of each client id in `clients` (and of the records
    /// merged into them). Idempotent: erasing erased data changes nothing.
    pub async fn erase_clients(&self, ctx: WriteCtx<'_>, clients: &[String]) -> ApiResult<()> {
        if clients.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::new();
        for id in clients {
            ids.push(id.clone());
            ids.extend(self.merged_into(id).await?);
        }
        self.writer
            .run(ctx, async |w| {
                for id in &ids {
                    rewrite(w, "interactions", id, erasure::interaction, |i: &Interaction| &i.name).await?;
                    rewrite(w, "cases", id, erasure::case, |c: &Case| &c.name).await?;
                    rewrite(w, "channel_preferences", id, erasure::preference, |p: &ChannelPreference| &p.name).await?;
                    rewrite(w, "account_plans", id, erasure::plan, |p: &AccountPlan| &p.name).await?;
                    rewrite(w, "exit_reviews", id, erasure::exit_review, |r: &ExitReview| &r.name).await?;
                    let client = names::client_name(id);
                    w.record("client.ERASED", &client, &client, Vec::new()).await?;
                }
                Ok(())
            })
            .await
    }
}

/// Rewrites every row of `table` of client `id` through `erase`, and the payload of every
/// change event of each row's resource with it.
async fn rewrite<M: Message + Default>(
    w: &mut Work<'_>,
    table: &'static str,
    id: &str,
    erase: fn(&M) -> M,
    name_of: fn(&M) -> &String,
) -> ApiResult<()> {
    // Only the table name, a constant, goes into the text; values are bound.
    let select = AssertSqlSafe(format!("SELECT id, doc FROM {table} WHERE client_id = $1"));
    let rows = sqlx::query(select).bind(id).fetch_all(w.conn()).await?;
    let update = format!("UPDATE {table} SET doc = $1 WHERE id = $2");
    for row in &rows {
        let row_id: String = sqlx::Row::try_get(row, "id")?;
        let erased = erase(&db::doc::<M>(row)?);
        let bytes = erased.encode_to_vec();
        sqlx::query(AssertSqlSafe(update.clone())).bind(&bytes).bind(&row_id).execute(w.conn()).await?;
        sqlx::query("UPDATE outbox SET payload = $1 WHERE aggregate = $2 AND resource = $3")
            .bind(&bytes)
            .bind(names::client_name(id))
            .bind(name_of(&erased))
            .execute(w.conn())
            .await?;
    }
    Ok(())
}
