//! Storage of value models, profitability and scores: one trait, one SQL implementation
//! that runs on SQLite and PostgreSQL (see `crm_kit::db`), proven equal by the conformance
//! suite in `tests/`.

mod models;
mod profitability;
mod scores;
mod sql;

use std::future::Future;

use crm_kit::{
    ApiResult,
    db::Db,
    feed::{Feed, FeedEvent},
};
use crm_proto::crm::scoring::v1::{ProfitabilityRecord, Tier, ValueModel, ValueScore};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::domain::period::Period;

pub use crm_kit::call::WriteCtx;
pub use sql::SqlScoringStore;

/// Migrations of the scoring database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// A validated profitability record to write.
#[derive(Clone, Debug)]
pub struct NewRecord {
    /// Client id.
    pub client_id: String,
    /// Its period.
    pub period: Period,
    /// The canonical record (figures and source).
    pub record: ProfitabilityRecord,
}

/// What writing one profitability record did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// It did not exist.
    Created,
    /// Its figures changed.
    Updated,
    /// Same figures as stored: nothing written.
    Unchanged,
}

/// A computed score with the keys it is stored under.
#[derive(Clone, Debug)]
pub struct NewScore {
    /// The score (its `score_time` is set by the store).
    pub score: ValueScore,
    /// Composite score × 10⁹.
    pub composite: i64,
    /// Tier.
    pub tier: Tier,
    /// Industry × region access ("" when unknown).
    pub access: String,
    /// Credit grade as the profile held it.
    pub profile_grade: String,
    /// Parent as the profile held it ("" for none).
    pub parent: String,
    /// Revision of the stored score read before the inputs were (`None`: no score was
    /// stored). The score is not stored (ABORTED) when the stored revision is another by then.
    pub seen_revision: Option<i64>,
}

/// The profile facts a stored score was computed from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoredFacts {
    /// Credit grade as the profile held it.
    pub profile_grade: String,
    /// Parent ("" for none).
    pub parent: String,
    /// Industry × region access ("" when unknown, or when the client is deleted or merged).
    pub access: String,
    /// Revision of the stored score.
    pub revision: i64,
}

/// Orders ListValueScores supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScoreOrder {
    /// Highest composite score first, then by client id.
    CompositeDesc,
    /// By client id.
    Client,
}

/// Position after the last row of a page: (composite × 10⁹, client id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreCursor {
    /// Composite of the last row (unused when ordering by client).
    pub composite: i64,
    /// Client id of the last row.
    pub client_id: String,
}

/// One ordered scan of current scores.
#[derive(Clone, Debug)]
pub struct ScoreScan {
    /// Only this tier.
    pub tier: Option<Tier>,
    /// Order.
    pub order: ScoreOrder,
    /// Start after this row.
    pub after: Option<ScoreCursor>,
    /// Rows to read.
    pub limit: usize,
}

/// Storage of the scoring service.
pub trait ScoringStore: Send + Sync + 'static {
    /// The database.
    fn db(&self) -> &Db;

    /// Stores `model` as version 1 unless a version exists; returns the current version.
    fn ensure_model(&self, model: ValueModel) -> impl Future<Output = ApiResult<ValueModel>> + Send;

    /// The newest model version.
    fn current_model(&self) -> impl Future<Output = ApiResult<Option<ValueModel>>> + Send;

    /// One model version.
    fn model(&self, version: i64) -> impl Future<Output = ApiResult<Option<ValueModel>>> + Send;

    /// Stores `model` as the version after `based_on`; ABORTED if `based_on` is no longer current.
    fn create_model_version(
        &self,
        ctx: WriteCtx<'_>,
        model: ValueModel,
        based_on: i64,
    ) -> impl Future<Output = ApiResult<ValueModel>> + Send;

    /// Upserts records in one transaction (all or nothing), in order.
    fn record_profitability(
        &self,
        ctx: WriteCtx<'_>,
        records: Vec<NewRecord>,
    ) -> impl Future<Output = ApiResult<Vec<(ProfitabilityRecord, Written)>>> + Send;

    /// The client's latest period.
    fn latest_profitability(
        &self,
        client_id: &str,
    ) -> impl Future<Output = ApiResult<Option<ProfitabilityRecord>>> + Send;

    /// One client's record of one period.
    fn profitability(
        &self,
        client_id: &str,
        period: &str,
    ) -> impl Future<Output = ApiResult<Option<ProfitabilityRecord>>> + Send;

    /// A page of a client's records, newest first, after `after` ((period_end, months)).
    fn list_profitability(
        &self,
        client_id: &str,
        after: Option<(i64, i64)>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<ProfitabilityRecord>>> + Send;

    /// How many clients have at least one profitability record.
    fn count_profitable_clients(&self) -> impl Future<Output = ApiResult<i64>> + Send;

    /// Those of `client_ids` that have at least one profitability record.
    fn profitable_among(&self, client_ids: &[String]) -> impl Future<Output = ApiResult<Vec<String>>> + Send;

    /// Stores a score (history kept) and announces it on the feed; a score equal to the
    /// current one but for its time is not stored again (`false`). ABORTED (ETAG_MISMATCH)
    /// when the stored score's revision is no longer `seen_revision`.
    fn save_score(
        &self,
        ctx: WriteCtx<'_>,
        score: NewScore,
    ) -> impl Future<Output = ApiResult<(ValueScore, bool)>> + Send;

    /// The current score of a client.
    fn get_score(&self, client_id: &str) -> impl Future<Output = ApiResult<Option<ValueScore>>> + Send;

    /// The score of a client as it was at `at` (microseconds).
    fn get_score_at(&self, client_id: &str, at: i64) -> impl Future<Output = ApiResult<Option<ValueScore>>> + Send;

    /// The profile facts the current score was computed from.
    fn scored_facts(&self, client_id: &str) -> impl Future<Output = ApiResult<Option<ScoredFacts>>> + Send;

    /// Current scores of several clients (missing ones are absent).
    fn get_scores(&self, client_ids: &[String]) -> impl Future<Output = ApiResult<Vec<ValueScore>>> + Send;

    /// Current scores in keyset order.
    fn scan_scores(&self, scan: &ScoreScan) -> impl Future<Output = ApiResult<Vec<ValueScore>>> + Send;

    /// Withdraws a deleted or merged client's score from the access counts (its access
    /// becomes "" and its revision moves on); `false` when it had no score or no access.
    fn withdraw_access(&self, client_id: &str) -> impl Future<Output = ApiResult<bool>> + Send;

    /// Key accounts other than `client_id` giving `access`.
    fn count_key_accounts(&self, access: &str, client_id: &str) -> impl Future<Output = ApiResult<i64>> + Send;

    /// Committed changes after `after`: backlog then live.
    fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static;

    /// The feed.
    fn feed(&self) -> &Feed;
}
