//! Score calls: compute and store a client's score, read it (now or as of a time), list.

use crm_kit::{ApiError, ApiResult, paging, policy::check_portfolio, time};
use crm_proto::crm::{
    profile::v1::{Client, CustomerType},
    scoring::v1::{
        GetValueScoreRequest, ListValueScoresRequest, ListValueScoresResponse, ScoreClientRequest, Tier, ValueScore,
    },
};

use super::{Caller, ScoringApp};
use crate::{
    domain::{
        decimal::{Dec, Overflow},
        model::Params,
        names,
        period::Period,
        policy,
        profitability::figures,
        score::{self, GroupIncome, ScoreInputs},
    },
    store::{NewScore, ScoreCursor, ScoreOrder, ScoreScan, WriteCtx},
};

/// The industry × region access a client gives: ISIC division (two digits) and region.
pub fn access_of(client: &Client) -> String {
    let division = client.industry_code.get(..2).unwrap_or("");
    let region = client.region.trim().to_lowercase();
    if division.is_empty() || region.is_empty() { String::new() } else { format!("{division}|{region}") }
}

/// Whether the client's customer type is SME (its unrated risk weight differs).
pub fn is_sme(client: &Client) -> bool {
    client.customer_type == CustomerType::Sme as i32
}

/// An exact score × 10⁹ as stored.
fn nanos(value: Dec) -> i64 {
    i64::try_from(value.nanos()).unwrap_or(i64::MAX)
}

/// Hides the money terms from roles that may not see them.
pub fn present(caller: &Caller, mut score: ValueScore) -> ValueScore {
    if !policy::sees_money(&caller.principal) {
        score.expected_loss = None;
        score.risk_adjusted_income = None;
        score.economic_capital = None;
        score.raroc = 0.0;
        score.eva = None;
        score.relationship_value = None;
        score.revenue = None;
        score.cost_to_serve = None;
        score.components.clear();
        score.money_withheld = true;
    }
    score
}

fn parse_order(order_by: &str) -> ApiResult<ScoreOrder> {
    match order_by.split_whitespace().collect::<Vec<_>>().as_slice() {
        [] | ["composite_score", "desc"] => Ok(ScoreOrder::CompositeDesc),
        ["client"] | ["client", "asc"] => Ok(ScoreOrder::Client),
        _ => Err(ApiError::invalid("order_by", "use `composite_score desc` (the default) or `client`")),
    }
}

impl ScoringApp {
    /// Computes and stores the score of a live `client` with the current model; `true` when
    /// the stored score changed. A score is never stored over one stored after its inputs
    /// were read: the client is then read again and scored once more (ABORTED if that races
    /// too); NOT_FOUND when the client read again is no longer live.
    pub(crate) async fn score_client_record(
        &self,
        ctx: WriteCtx<'_>,
        client: &Client,
    ) -> ApiResult<(ValueScore, bool)> {
        let client_id = client.name.trim_start_matches("clients/");
        let mut fresh_read = false;
        loop {
            // The stored revision is read before any input, so a later store is detected.
            let facts = self.store.scored_facts(client_id).await?;
            let seen_revision = facts.as_ref().map(|f| f.revision);
            // A client read before a score that was computed from other profile facts may be
            // older than that score: read it again (after the revision).
            let stale = facts.as_ref().is_some_and(|f| {
                (f.profile_grade.as_str(), f.parent.as_str(), f.access.as_str())
                    != (client.credit_grade.as_str(), client.parent.as_str(), access_of(client).as_str())
            });
            let reread;
            let current = if fresh_read || stale {
                reread = self
                    .peers
                    .client(client_id)
                    .await?
                    .ok_or_else(|| ApiError::not_found(names::client_name(client_id)))?;
                &reread
            } else {
                client
            };
            match self.compute_and_save(ctx, current, seen_revision).await {
                Err(err) if err.code() == tonic::Code::Aborted && !fresh_read => fresh_read = true,
                done => return done,
            }
        }
    }

    async fn compute_and_save(
        &self,
        ctx: WriteCtx<'_>,
        client: &Client,
        seen_revision: Option<i64>,
    ) -> ApiResult<(ValueScore, bool)> {
        let client_id = client.name.trim_start_matches("clients/");
        let (_, params) = self.current_params().await?;
        let Some(latest) = self.store.latest_profitability(client_id).await? else {
            return Err(ApiError::failed_precondition(
                "NO_PROFITABILITY",
                format!("{} has no profitability record; record one before scoring", client.name),
            ));
        };
        let mut inputs = self.score_inputs(&params, client, &latest).await?;
        let overflow = |e: Overflow| ApiError::internal(anyhow::anyhow!("{e}"));
        let mut computed = score::compute(&params, &inputs).map_err(overflow)?;
        let standalone = nanos(computed.standalone);
        if !inputs.access.is_empty() {
            // The rank depends only on standalone scores, which do not depend on ranks.
            let rank = self.store.access_rank(&inputs.access, client_id, standalone).await?;
            if rank != inputs.access_rank {
                inputs.access_rank = rank;
                computed = score::compute(&params, &inputs).map_err(overflow)?;
            }
        }
        let new = NewScore {
            composite: nanos(computed.composite),
            standalone,
            access_rank: inputs.access_rank,
            tier: computed.tier,
            access: access_of(client),
            profile_grade: client.credit_grade.clone(),
            parent: client.parent.clone(),
            seen_revision,
            score: computed.score,
        };
        self.store.save_score(ctx, new).await
    }

    async fn score_inputs(
        &self,
        params: &Params,
        client: &Client,
        latest: &crm_proto::crm::scoring::v1::ProfitabilityRecord,
    ) -> ApiResult<ScoreInputs> {
        let client_id = client.name.trim_start_matches("clients/");
        let recorded = figures(latest);
        if !params.accepts(&recorded.currency) {
            return Err(ApiError::failed_precondition(
                "CURRENCY_NOT_CONVERTIBLE",
                format!(
                    "the latest profitability is in {}, which value model v{} has no exchange rate for",
                    recorded.currency, params.version
                ),
            ));
        }
        let period = Period::parse(&latest.period)
            .map_err(|why| ApiError::internal(anyhow::anyhow!("stored period {}: {why}", latest.period)))?;
        let previous_period = period.previous();
        let previous = self
            .store
            .profitability(client_id, &previous_period.to_string())
            .await?
            .map(|r| figures(&r))
            .filter(|f| params.accepts(&f.currency))
            .map(|f| (previous_period, f));
        Ok(ScoreInputs {
            client_id: client_id.to_owned(),
            credit_grade: client.credit_grade.clone(),
            sme: is_sme(client),
            period,
            figures: recorded,
            previous,
            group: self.group_income(client_id, &params.currency).await?,
            access: access_of(client),
            access_rank: 0,
        })
    }

    /// The latest risk-adjusted income of the other members of the client's group.
    async fn group_income(&self, client_id: &str, currency: &str) -> ApiResult<GroupIncome> {
        let Some(group) = self.peers.group(client_id).await? else { return Ok(GroupIncome::default()) };
        let me = names::client_name(client_id);
        let others: Vec<String> = group
            .members
            .iter()
            .filter(|m| m.client != me)
            .filter_map(|m| names::client_id(&m.client).map(str::to_owned))
            .collect();
        if others.is_empty() {
            return Ok(GroupIncome::default());
        }
        let mut income = GroupIncome::default();
        for s in self.store.scores(&others).await? {
            let Some(rai) = s.risk_adjusted_income.as_ref().filter(|m| m.currency_code == currency) else { continue };
            let Some(rai) = Dec::from_money(rai) else { continue };
            income.income = income.income.plus(rai).map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
            income.members_scored += 1;
        }
        Ok(income)
    }

    /// ScoreClient: computes and stores a client's score now (ADMIN, RISK_ANALYST, CHANNEL;
    /// managers for their portfolio).
    pub async fn score_client(&self, caller: &Caller, req: ScoreClientRequest) -> ApiResult<ValueScore> {
        let client_id = names::score_client_id(&req.name)
            .ok_or_else(|| ApiError::invalid("name", "must be of the form clients/{client}/valueScore"))?;
        policy::can_write(&caller.principal).map_err(|e| e.with_resource(&req.name))?;
        let name = names::client_name(client_id);
        let client = self.peers.client(client_id).await?;
        check_portfolio(&caller.principal, &name, client.as_ref().map(|c| c.relationship_manager.as_str()))?;
        let client = client.ok_or_else(|| ApiError::not_found(name))?;
        let (score, _) = self.score_and_settle(caller.write(), &client).await?;
        Ok(present(caller, score))
    }

    /// GetValueScore: every role reads scores; with `read_time`, the score as it was then.
    pub async fn get_value_score(&self, caller: &Caller, req: GetValueScoreRequest) -> ApiResult<ValueScore> {
        let client_id = names::score_client_id(&req.name)
            .ok_or_else(|| ApiError::invalid("name", "must be of the form clients/{client}/valueScore"))?;
        let score = match &req.read_time {
            Some(at) => self.store.score_at(client_id, time::from_timestamp(at)).await?.ok_or_else(|| {
                ApiError::not_found(format!("{} as of {at}", req.name)).with_metadata("read_time", at.to_string())
            })?,
            None => self.store.score(client_id).await?.ok_or_else(|| ApiError::not_found(&req.name))?,
        };
        Ok(present(caller, score))
    }

    /// ListValueScores: highest composite first (or by client), optionally one tier.
    pub async fn list_value_scores(
        &self,
        caller: &Caller,
        req: ListValueScoresRequest,
    ) -> ApiResult<ListValueScoresResponse> {
        let size = paging::page_size(req.page_size)?;
        let tier = match Tier::try_from(req.tier) {
            Ok(Tier::Unspecified) => None,
            Ok(t) => Some(t),
            Err(_) => return Err(ApiError::invalid("tier", "is not a known tier")),
        };
        let order = parse_order(&req.order_by)?;
        let query = format!("{order:?}|{}", req.tier);
        let after: Option<ScoreCursor> = self.tokens.cursor(&query, &req.page_token)?;
        let mut scores = self.store.scan_scores(&ScoreScan { tier, order, after, limit: size + 1 }).await?;
        let more = scores.len() > size;
        scores.truncate(size);
        let next_page_token = match scores.last() {
            Some(last) if more => {
                let exact =
                    last.components.iter().find(|c| c.name == "composite_score").and_then(|c| Dec::parse(&c.value));
                let composite = exact
                    .or_else(|| Dec::from_f64(last.composite_score))
                    .map_or(0, |d| i64::try_from(d.nanos()).unwrap_or(0));
                let client_id = last.client.trim_start_matches("clients/").to_owned();
                self.tokens.encode(&query, &ScoreCursor { composite, client_id })
            }
            _ => String::new(),
        };
        Ok(ListValueScoresResponse {
            value_scores: scores.into_iter().map(|s| present(caller, s)).collect(),
            next_page_token,
        })
    }
}
