//! The SQL store on SQLite or PostgreSQL: shared helpers and the trait implementation,
//! which delegates to the per-resource modules.

use crm_kit::{
    ApiError, ApiResult,
    db::{Backend, Db},
    feed::{Feed, FeedEvent},
};
use crm_proto::crm::scoring::v1::{ProfitabilityRecord, ValueModel, ValueScore};
use futures::Stream;
use prost::Message;
use sqlx::{Row, any::AnyRow};

use super::{NewRecord, NewScore, ScoreScan, ScoredFacts, ScoringStore, WriteCtx, Written};

/// The scoring store.
#[derive(Clone, Debug)]
pub struct SqlScoringStore {
    pub(super) db: Db,
    pub(super) feed: Feed,
}

impl SqlScoringStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db, feed: Feed::default() }
    }

    /// `sql` with `FOR UPDATE` appended on PostgreSQL (SQLite has one writer).
    pub(super) fn for_update(&self, sql: &'static str) -> String {
        match self.db.backend() {
            Backend::Sqlite => sql.to_owned(),
            Backend::Postgres => format!("{sql} FOR UPDATE"),
        }
    }
}

/// Decodes the `doc` column of a row.
pub(super) fn doc<M: Message + Default>(row: &AnyRow) -> ApiResult<M> {
    let bytes: Vec<u8> = row.try_get("doc")?;
    M::decode(bytes.as_slice()).map_err(|err| ApiError::internal(anyhow::anyhow!("corrupt stored record: {err}")))
}

/// Decodes the `doc` column of every row.
pub(super) fn docs<M: Message + Default>(rows: &[AnyRow]) -> ApiResult<Vec<M>> {
    rows.iter().map(doc).collect()
}

impl ScoringStore for SqlScoringStore {
    fn db(&self) -> &Db {
        &self.db
    }

    fn feed(&self) -> &Feed {
        &self.feed
    }

    async fn ensure_model(&self, model: ValueModel) -> ApiResult<ValueModel> {
        self.ensure_first_model(model).await
    }

    async fn current_model(&self) -> ApiResult<Option<ValueModel>> {
        self.read_current_model().await
    }

    async fn model(&self, version: i64) -> ApiResult<Option<ValueModel>> {
        self.read_model(version).await
    }

    async fn create_model_version(&self, ctx: WriteCtx<'_>, model: ValueModel, based_on: i64) -> ApiResult<ValueModel> {
        self.insert_model_version(ctx, model, based_on).await
    }

    async fn record_profitability(
        &self,
        ctx: WriteCtx<'_>,
        records: Vec<NewRecord>,
    ) -> ApiResult<Vec<(ProfitabilityRecord, Written)>> {
        self.upsert_records(ctx, records).await
    }

    async fn latest_profitability(&self, client_id: &str) -> ApiResult<Option<ProfitabilityRecord>> {
        self.read_latest_record(client_id).await
    }

    async fn profitability(&self, client_id: &str, period: &str) -> ApiResult<Option<ProfitabilityRecord>> {
        self.read_record(client_id, period).await
    }

    async fn list_profitability(
        &self,
        client_id: &str,
        after: Option<(i64, i64)>,
        limit: usize,
    ) -> ApiResult<Vec<ProfitabilityRecord>> {
        self.read_records(client_id, after, limit).await
    }

    async fn count_profitable_clients(&self) -> ApiResult<i64> {
        self.read_profitable_count().await
    }

    async fn profitable_among(&self, client_ids: &[String]) -> ApiResult<Vec<String>> {
        self.read_profitable_among(client_ids).await
    }

    async fn save_score(&self, ctx: WriteCtx<'_>, score: NewScore) -> ApiResult<(ValueScore, bool)> {
        self.write_score(ctx, score).await
    }

    async fn get_score(&self, client_id: &str) -> ApiResult<Option<ValueScore>> {
        self.read_score(client_id).await
    }

    async fn get_score_at(&self, client_id: &str, at: i64) -> ApiResult<Option<ValueScore>> {
        self.read_score_at(client_id, at).await
    }

    async fn scored_facts(&self, client_id: &str) -> ApiResult<Option<ScoredFacts>> {
        self.read_scored_facts(client_id).await
    }

    async fn get_scores(&self, client_ids: &[String]) -> ApiResult<Vec<ValueScore>> {
        self.read_scores(client_ids).await
    }

    async fn scan_scores(&self, scan: &ScoreScan) -> ApiResult<Vec<ValueScore>> {
        self.read_score_page(scan).await
    }

    async fn withdraw_access(&self, client_id: &str) -> ApiResult<bool> {
        self.clear_score_access(client_id).await
    }

    async fn count_key_accounts(&self, access: &str, client_id: &str) -> ApiResult<i64> {
        self.read_key_account_count(access, client_id).await
    }

    fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.feed.watch(self.db.reader().clone(), after)
    }
}
