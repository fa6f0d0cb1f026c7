//! Market access is portfolio-relative (docs/domain.md §3): a client's market-access part
//! depends on how many clients of its industry × region cell rank ahead of it. When a score
//! moves in its cell, or leaves or joins one, the cell is marked for re-ranking and a
//! background task scores again the neighbours whose rank changed, so the stored scores
//! converge on what scoring the whole portfolio in any order gives. The client scored itself
//! is ranked against the cell when it is stored. Marks coalesce: a burst of scores in one
//! cell is re-ranked once, and a call never waits for a large cell.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
};

use crm_kit::{ApiResult, auth::Principal};
use crm_proto::crm::{profile::v1::Client, scoring::v1::ValueScore};
use tokio::sync::Notify;

use super::ScoringApp;
use crate::store::WriteCtx;

/// Access cells waiting to be re-ranked, and clients whose group income moved.
#[derive(Debug, Default)]
pub struct DirtyCells {
    cells: Mutex<BTreeSet<String>>,
    clients: Mutex<BTreeSet<String>>,
    wake: Notify,
}

impl DirtyCells {
    /// Marks `access` for re-ranking (nothing for "").
    pub fn mark(&self, access: &str) {
        if access.is_empty() {
            return;
        }
        self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(access.to_owned());
        self.wake.notify_one();
    }

    /// Marks client `id` for rescoring: a member of its group changed its risk-adjusted income.
    pub fn mark_client(&self, id: &str) {
        self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id.to_owned());
        self.wake.notify_one();
    }

    fn take(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.cells.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    fn take_clients(&self) -> BTreeSet<String> {
        std::mem::take(&mut *self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

/// Re-ranks marked cells until shutdown; at start, every cell once (marks lost by a
/// restart are recovered from the stored ranks).
pub async fn rerank_marked(app: Arc<ScoringApp>) {
    let shutdown = app.shutdown.clone();
    match app.settle_all_access("rerank-at-start").await {
        Ok(n) if n > 0 => tracing::info!(rescored = n, "market access re-ranked at start"),
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "could not re-rank market access at start"),
    }
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = app.dirty.wake.notified() => {}
        }
        let principal = Principal::system("scoring");
        let ctx = WriteCtx::internal(&principal, "RescoreOnGroupChange", "rerank");
        for id in app.dirty.take_clients() {
            if shutdown.is_cancelled() {
                return;
            }
            let client = match app.peers.client(&id).await {
                Ok(Some(client)) => client,
                Ok(None) => continue,
                Err(err) => {
                    tracing::warn!(client = %id, error = %err, "could not read a client to rescore its group income");
                    continue;
                }
            };
            if let Err(err) = app.score_and_settle(ctx, &client).await {
                tracing::warn!(client = %id, error = %err, "could not rescore a client after its group changed");
            }
        }
        for access in app.dirty.take() {
            if shutdown.is_cancelled() {
                return;
            }
            if let Err(err) = app.settle_access("rerank", &access).await {
                tracing::warn!(access = %access, error = %err, "could not re-rank a market-access cell");
                app.dirty.mark(&access);
            }
        }
    }
}

/// Rounds of re-ranking per cell: a round rescores neighbours (which never moves their own
/// standalone score), so one round settles a cell unless another score lands meanwhile.
const ROUNDS: usize = 4;

impl ScoringApp {
    /// Scores `client` (ranked against its cell as it stands) and marks the cells it left
    /// and joined for re-ranking when its score changed, and the scored members of its group
    /// for rescoring when its risk-adjusted income changed (they count it as group income);
    /// `true` when it changed.
    pub(crate) async fn score_and_settle(&self, ctx: WriteCtx<'_>, client: &Client) -> ApiResult<(ValueScore, bool)> {
        let id = client.name.trim_start_matches("clients/");
        let previous = self.store.score(id).await?;
        let before = self.store.scored_facts(id).await?.map(|f| f.access).unwrap_or_default();
        let (score, changed) = self.score_client_record(ctx, client).await?;
        if !changed {
            return Ok((score, changed));
        }
        let after = self.store.scored_facts(id).await?.map(|f| f.access).unwrap_or_default();
        self.dirty.mark(&before);
        self.dirty.mark(&after);
        let income_moved = previous.as_ref().map(|p| &p.risk_adjusted_income) != Some(&score.risk_adjusted_income);
        if income_moved && let Some(group) = self.peers.group(id).await? {
            let others: Vec<String> = group
                .members
                .iter()
                .filter(|m| m.client != client.name)
                .filter_map(|m| m.client.strip_prefix("clients/").map(str::to_owned))
                .collect();
            for other in self.store.scores(&others).await? {
                self.dirty.mark_client(other.client.trim_start_matches("clients/"));
            }
        }
        Ok((score, changed))
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
