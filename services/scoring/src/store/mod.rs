//! Storage of value models, profitability and scores: one store that runs on SQLite and
//! PostgreSQL (see `crm_kit::db`), proven equal on both by the conformance suite in `tests/`.
//! Every write is one unit of work of the kit's [`Writer`].

mod models;
mod profitability;
mod scores;

use crm_kit::{
    ApiResult,
    db::{Backend, Db, doc},
    feed::FeedEvent,
    write::Writer,
};
use crm_proto::crm::scoring::v1::{ProfitabilityRecord, Tier, ValueScore};
use futures::Stream;
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyPool, any::AnyArguments, query::Query};

use crate::domain::period::Period;

pub use crm_kit::call::WriteCtx;

/// Migrations of the scoring database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// A validated profitability record to write.
#[derive(Clone, Debug)]
pub struct NewRecord {
    /// Its client's id (not the resource name).
    pub client_id: String,
    /// The parsed `record.period`, which orders the client's records.
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
    /// Standalone score × 10⁹: the key its access cell is ranked by.
    pub standalone: i64,
    /// The rank in its access cell the score was computed with.
    pub access_rank: i64,
    /// The tier ListValueScores filters by.
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
    pub order: ScoreOrder,
    /// Start after this row.
    pub after: Option<ScoreCursor>,
    /// Rows to read.
    pub limit: usize,
}

/// The scoring service's database: value models, profitability, scores and their change feed.
#[derive(Clone, Debug)]
pub struct ScoringStore {
    writer: Writer,
}

impl ScoringStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { writer: Writer::new(db) }
    }

    /// Committed score changes after `after`: backlog then live.
    pub fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.writer.watch(after)
    }

    /// Audits the start of portfolio scoring run `run` over `clients` clients (its job row
    /// is kept by `crm_kit::jobs`; each score it stores is audited on its own).
    pub async fn record_run_started(&self, ctx: WriteCtx<'_>, run: &str, clients: i64) -> ApiResult<()> {
        self.writer.run(ctx, async |w| w.audit(run, format!("clients={clients}")).await).await
    }

    fn reader(&self) -> &AnyPool {
        self.writer.db().reader()
    }

    /// The record (`doc` column) of the row `query` selects, if there is one.
    async fn optional_doc<M: prost::Message + Default>(
        &self,
        query: Query<'_, Any, AnyArguments>,
    ) -> ApiResult<Option<M>> {
        query.fetch_optional(self.reader()).await?.as_ref().map(doc).transpose()
    }
}

/// `sql` with `FOR UPDATE` appended on PostgreSQL (SQLite has one writer).
fn for_update(backend: Backend, sql: &str) -> String {
    match backend {
        Backend::Sqlite => sql.to_owned(),
        Backend::Postgres => format!("{sql} FOR UPDATE"),
    }
}

/// Numbered placeholders `$1, $2, ...` for an `IN (...)` list of `n` bound values.
fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}
