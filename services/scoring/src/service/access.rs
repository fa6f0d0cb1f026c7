//! Market access is portfolio-relative (docs/domain.md §3): a client's market-access part
//! depends on how many clients of its industry × region cell rank ahead of it. When a score
//! moves in its cell, or leaves or joins one, the neighbours whose rank changed are scored
//! again, so the stored scores are what scoring the whole portfolio in any order gives.

use crm_kit::{ApiResult, auth::Principal};
use crm_proto::crm::{profile::v1::Client, scoring::v1::ValueScore};

use super::ScoringApp;
use crate::store::WriteCtx;

/// Rounds of re-ranking per cell: a round rescores neighbours (which never moves their own
/// standalone score), so one round settles a cell unless another score lands meanwhile.
const ROUNDS: usize = 4;

impl ScoringApp {
    /// Scores `client` and then re-ranks the cells it left and joined; answers its stored
    /// score once the cells are settled, and `true` when its score changed.
    pub(crate) async fn score_and_settle(&self, ctx: WriteCtx<'_>, client: &Client) -> ApiResult<(ValueScore, bool)> {
        let id = client.name.trim_start_matches("clients/");
        let before = self.store.scored_facts(id).await?.map(|f| f.access).unwrap_or_default();
        let (score, changed) = self.score_client_record(ctx, client).await?;
        let after = self.store.scored_facts(id).await?.map(|f| f.access).unwrap_or_default();
        if before != after {
            self.settle_access(ctx.request_id, &before).await?;
        }
        let reranked = self.settle_access(ctx.request_id, &after).await?;
        if reranked == 0 {
            return Ok((score, changed));
        }
        let settled = self.store.score(id).await?.unwrap_or_else(|| score.clone());
        let moved = settled != score;
        Ok((settled, changed || moved))
    }

    /// Rescores the clients of access cell `access` whose stored rank is no longer their
    /// place in the cell; returns how many were rescored. Nothing to do for "".
    pub(crate) async fn settle_access(&self, request_id: &str, access: &str) -> ApiResult<usize> {
        if access.is_empty() {
            return Ok(0);
        }
        let principal = Principal::system("scoring");
        let ctx = WriteCtx::internal(&principal, "RescoreOnAccessRank", request_id);
        let mut rescored = 0;
        for _ in 0..ROUNDS {
            let misranked = self.store.misranked(access).await?;
            if misranked.is_empty() {
                break;
            }
            for id in misranked {
                let Some(client) = self.peers.client(&id).await? else {
                    // Deleted or merged meanwhile: it leaves the cell.
                    self.store.withdraw_access(ctx, &id).await?;
                    continue;
                };
                match self.score_client_record(ctx, &client).await {
                    Ok(_) => rescored += 1,
                    Err(err) if err.code() == tonic::Code::Unavailable => return Err(err),
                    Err(err) => {
                        tracing::warn!(client = %id, error = %err, "could not re-rank a client's market access")
                    }
                }
            }
        }
        Ok(rescored)
    }

    /// Re-ranks every access cell (after a portfolio run); returns the clients rescored.
    pub(crate) async fn settle_all_access(&self, request_id: &str) -> ApiResult<usize> {
        let mut rescored = 0;
        for access in self.store.access_cells().await? {
            rescored += self.settle_access(request_id, &access).await?;
        }
        Ok(rescored)
    }
}
