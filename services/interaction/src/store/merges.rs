//! SQL of client merges learnt from the profile's change feed: which client ids were merged
//! into which, so that a survivor's history includes what was recorded under its duplicates.

use crm_kit::{ApiResult, call::WriteCtx, time::now_micros};
use sqlx::AssertSqlSafe;

use super::{InteractionStore, query::placeholders};

/// Deepest chain of merges followed (a merged into b, b into c, ...).
const MAX_MERGE_DEPTH: usize = 8;

impl InteractionStore {
    /// Records that each `(duplicate, survivor)` client id pair was merged (idempotent; no
    /// feed event: other services learn merges from the profile).
    pub async fn record_merges(&self, ctx: WriteCtx<'_>, merges: &[(String, String)]) -> ApiResult<()> {
        if merges.is_empty() {
            return Ok(());
        }
        self.writer
            .run(ctx, async |w| {
                for (duplicate, survivor) in merges {
                    sqlx::query(
                        "INSERT INTO client_merges (duplicate_id, survivor_id, merge_time) VALUES ($1, $2, $3) \
                         ON CONFLICT (duplicate_id) DO UPDATE SET survivor_id = excluded.survivor_id",
                    )
                    .bind(duplicate)
                    .bind(survivor)
                    .bind(now_micros())
                    .execute(w.conn())
                    .await?;
                }
                Ok(())
            })
            .await
    }

    /// The client ids merged into `client_id`, directly or through earlier merges.
    pub async fn merged_into(&self, client_id: &str) -> ApiResult<Vec<String>> {
        let mut found: Vec<String> = Vec::new();
        let mut frontier = vec![client_id.to_owned()];
        for _ in 0..MAX_MERGE_DEPTH {
            // Only generated placeholders go into the text; the ids are bound.
            let sql = AssertSqlSafe(format!(
                "SELECT duplicate_id FROM client_merges WHERE survivor_id IN ({}) ORDER BY duplicate_id",
                placeholders(1, frontier.len())
            ));
            let query = frontier.iter().fold(sqlx::query_scalar::<_, String>(sql), |q, id| q.bind(id.clone()));
            let next: Vec<String> = query
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .filter(|id| id != client_id && !found.contains(id))
                .collect();
            if next.is_empty() {
                break;
            }
            found.extend(next.iter().cloned());
            frontier = next;
        }
        Ok(found)
    }
}
