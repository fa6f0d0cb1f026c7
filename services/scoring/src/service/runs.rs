//! ScorePortfolio and GetScoringRun: score every live client with profitability in the
//! background, with progress kept in a durable job row (`crm_kit::jobs`).

use std::{collections::HashSet, sync::Arc};

use crm_kit::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    jobs::{Job, JobState, Progress},
    time,
};
use crm_proto::crm::scoring::v1::{GetScoringRunRequest, ScorePortfolioRequest, ScoringRun, ScoringRunState};
use serde::{Deserialize, Serialize};

use super::{Caller, ScoringApp};
use crate::{domain::names, store::WriteCtx};

/// Job kind of portfolio runs.
const KIND: &str = "portfolio-scoring";
/// One run at a time over the whole portfolio.
const SCOPE: &str = "portfolio";
/// Clients read from the profile service per page.
const PAGE: i32 = 500;
/// Roles that start a run.
const STARTERS: [Role; 3] = [Role::Admin, Role::RiskAnalyst, Role::Channel];

/// The result summary stored with a finished run.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Summary {
    scored: i64,
    unchanged: i64,
    skipped: i64,
    failed: i64,
}

fn to_run(job: Job) -> ScoringRun {
    let summary: Summary = serde_json::from_str(&job.detail).unwrap_or_default();
    let state = match job.state {
        JobState::Running => ScoringRunState::Running,
        JobState::Succeeded => ScoringRunState::Succeeded,
        JobState::Failed => ScoringRunState::Failed,
    };
    ScoringRun {
        fraction_done: job.fraction_done(),
        name: job.name,
        state: state as i32,
        processed_count: job.processed,
        total_count: job.total,
        scored_count: summary.scored,
        unchanged_count: summary.unchanged,
        skipped_count: summary.skipped,
        failed_count: summary.failed,
        error: job.error,
        creator: job.subject,
        create_time: Some(time::to_timestamp(job.create_time)),
        update_time: Some(time::to_timestamp(job.update_time)),
        end_time: time::to_timestamp_opt(job.end_time),
    }
}

impl ScoringApp {
    /// ScorePortfolio: starts a run (one at a time) and returns it at once.
    pub async fn score_portfolio(
        self: &Arc<Self>,
        caller: &Caller,
        _req: ScorePortfolioRequest,
    ) -> ApiResult<ScoringRun> {
        caller.principal.require_role(&STARTERS).map_err(|e| e.with_resource("scoringRuns"))?;
        let name = format!("scoringRuns/{}", uuid::Uuid::now_v7().simple());
        let total = self.store.count_profitable_clients().await?;
        let mut progress = self.jobs.start(&name, KIND, SCOPE, &caller.principal.subject, total).await?;
        // Each score the run writes is audited; so is starting it (acknowledged once durable).
        self.store.record_run_started(caller.write(), &name, total).await?;
        let run = self.get_run(&name).await?;
        let app = Arc::clone(self);
        let principal = caller.principal.clone();
        tokio::spawn(async move {
            let outcome = app.run_portfolio(&principal, &mut progress, total).await;
            let ended = match outcome {
                Ok(summary) => progress.succeed(&serde_json::to_string(&summary).unwrap_or_default()).await,
                Err(err) => {
                    tracing::warn!(run = progress.name(), error = %err, "portfolio scoring failed");
                    progress.fail(&err.to_string()).await
                }
            };
            if let Err(err) = ended {
                tracing::error!(error = %err, "could not record the end of a portfolio scoring run");
            }
        });
        Ok(run)
    }

    async fn get_run(&self, name: &str) -> ApiResult<ScoringRun> {
        match self.jobs.get(name).await? {
            Some(job) if job.kind == KIND => Ok(to_run(job)),
            _ => Err(ApiError::not_found(name)),
        }
    }

    /// GetScoringRun: every role may follow a run.
    pub async fn get_scoring_run(&self, _caller: &Caller, req: GetScoringRunRequest) -> ApiResult<ScoringRun> {
        names::run_id(&req.name).ok_or_else(|| ApiError::invalid("name", "must be of the form scoringRuns/{run}"))?;
        self.get_run(&req.name).await
    }

    /// Pages through the profile's live clients and scores those with profitability.
    async fn run_portfolio(&self, principal: &Principal, progress: &mut Progress, total: i64) -> ApiResult<Summary> {
        let request_id = progress.name().to_owned();
        let ctx = WriteCtx::internal(principal, "ScorePortfolio", &request_id);
        let (mut summary, mut processed, mut token) = (Summary::default(), 0_i64, String::new());
        loop {
            if self.shutdown.is_cancelled() {
                return Err(ApiError::unavailable("SHUTTING_DOWN", "interrupted by a shutdown; start it again"));
            }
            let page = self.peers.list_clients(PAGE, token).await?;
            let ids: Vec<String> =
                page.clients.iter().map(|c| c.name.trim_start_matches("clients/").to_owned()).collect();
            let profitable: HashSet<String> = self.store.profitable_among(&ids).await?.into_iter().collect();
            for client in &page.clients {
                let live = client.delete_time.is_none() && client.merged_into.is_empty();
                if !live || !profitable.contains(client.name.trim_start_matches("clients/")) {
                    summary.skipped += 1;
                    continue;
                }
                match self.score_client_record(ctx, client).await {
                    Ok((_, true)) => summary.scored += 1,
                    Ok((_, false)) => summary.unchanged += 1,
                    Err(err) if err.code() == tonic::Code::Unavailable => return Err(err),
                    Err(err) => {
                        tracing::warn!(client = %client.name, error = %err, "could not score a client");
                        summary.failed += 1;
                    }
                }
                processed += 1;
                progress.advance(processed, total.max(processed)).await?;
            }
            if page.next_page_token.is_empty() {
                // Ranks were taken against the scores stored so far: settle every cell once.
                let reranked = self.settle_all_access(&request_id).await?;
                tracing::info!(run = %request_id, reranked, "market access re-ranked after the run");
                return Ok(summary);
            }
            token = page.next_page_token;
        }
    }
}
