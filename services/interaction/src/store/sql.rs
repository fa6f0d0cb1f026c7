//! The SQL store: shared write plumbing (feed, audit, idempotency) and the trait impl,
//! which delegates to the per-resource modules.

use crm_kit::{
    ApiResult,
    db::Db,
    feed::{Feed, FeedEvent},
    idempotency::{self, Prior},
};
use crm_proto::crm::interaction::v1::{AccountPlan, Case, ChannelPreference, ContentItem, Interaction};
use futures::Stream;
use sqlx::{Any, Row, Transaction};

use super::{Idempotency, InteractionStore, Keyset, WriteCtx};

/// The interaction store on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlInteractionStore {
    pub(super) db: Db,
    pub(super) feed: Feed,
}

impl SqlInteractionStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db, feed: Feed::default() }
    }

    /// The resource an earlier request with this id created, outside any transaction.
    pub(super) async fn prior(&self, ctx: WriteCtx<'_>, idem: Option<&Idempotency>) -> ApiResult<Option<String>> {
        let Some(i) = idem else { return Ok(None) };
        match idempotency::lookup(self.db.reader(), ctx.action, &i.request_id, &i.fingerprint).await? {
            Prior::None => Ok(None),
            Prior::Created(name) => Ok(Some(name)),
        }
    }

    /// Claims the request id for `resource` inside the create's transaction; returns the
    /// resource of an earlier request that won the race, if any.
    pub(super) async fn claim(
        tx: &mut Transaction<'_, Any>,
        ctx: WriteCtx<'_>,
        idem: Option<&Idempotency>,
        resource: &str,
    ) -> ApiResult<Option<String>> {
        let Some(i) = idem else { return Ok(None) };
        match idempotency::claim(tx, ctx.action, &i.request_id, &i.fingerprint, resource).await? {
            Prior::None => Ok(None),
            Prior::Created(name) => Ok(Some(name)),
        }
    }
}

impl InteractionStore for SqlInteractionStore {
    fn db(&self) -> &Db {
        &self.db
    }

    fn feed(&self) -> &Feed {
        &self.feed
    }

    async fn log_interaction(
        &self,
        ctx: WriteCtx<'_>,
        interaction: Interaction,
        idem: Option<Idempotency>,
    ) -> ApiResult<Interaction> {
        self.insert_interaction(ctx, interaction, idem).await
    }

    async fn get_interaction(&self, client_id: &str, id: &str) -> ApiResult<Option<Interaction>> {
        self.read_interaction(client_id, id).await
    }

    async fn list_interactions(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<Interaction>> {
        self.page_interactions(clients, after, limit).await
    }

    async fn open_case(&self, ctx: WriteCtx<'_>, case: Case, idem: Option<Idempotency>) -> ApiResult<Case> {
        self.insert_case(ctx, case, idem).await
    }

    async fn get_case(&self, client_id: &str, id: &str) -> ApiResult<Option<Case>> {
        self.read_case(client_id, id).await
    }

    async fn update_case<M: FnOnce(&Case) -> ApiResult<Case> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        id: &str,
        mutation: M,
    ) -> ApiResult<Case> {
        self.change_case(ctx, client_id, id, mutation).await
    }

    async fn list_cases(
        &self,
        clients: &[String],
        states: &[i32],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<Case>> {
        self.page_cases(clients, states, after, limit).await
    }

    async fn add_preference(
        &self,
        ctx: WriteCtx<'_>,
        preference: ChannelPreference,
        idem: Option<Idempotency>,
    ) -> ApiResult<ChannelPreference> {
        self.insert_preference(ctx, preference, idem).await
    }

    async fn list_preferences(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<ChannelPreference>> {
        self.page_preferences(clients, after, limit).await
    }

    async fn create_content(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        item: ContentItem,
        idem: Option<Idempotency>,
    ) -> ApiResult<ContentItem> {
        self.insert_content(ctx, id, item, idem).await
    }

    async fn get_content(&self, id: &str, version: Option<i64>) -> ApiResult<Option<ContentItem>> {
        self.read_content(id, version).await
    }

    async fn update_content<M: FnOnce(&ContentItem) -> ApiResult<ContentItem> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        mutation: M,
    ) -> ApiResult<ContentItem> {
        self.change_content(ctx, id, mutation).await
    }

    async fn add_plan(
        &self,
        ctx: WriteCtx<'_>,
        plan: AccountPlan,
        idem: Option<Idempotency>,
    ) -> ApiResult<AccountPlan> {
        self.insert_plan(ctx, plan, idem).await
    }

    async fn list_plans(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<AccountPlan>> {
        self.page_plans(clients, after, limit).await
    }

    async fn record_merges(&self, merges: &[(String, String)]) -> ApiResult<()> {
        self.upsert_merges(merges).await
    }

    async fn merged_into(&self, client_id: &str) -> ApiResult<Vec<String>> {
        self.merged_ids(client_id).await
    }

    async fn head_sequence(&self) -> ApiResult<i64> {
        let head: Option<i64> =
            sqlx::query_scalar("SELECT MAX(sequence) FROM outbox").fetch_one(self.db.reader()).await?;
        Ok(head.unwrap_or(0))
    }

    async fn client_events(
        &self,
        clients: &[String],
        after: i64,
        up_to: i64,
        limit: usize,
    ) -> ApiResult<Vec<FeedEvent>> {
        if clients.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (4..4 + clients.len()).map(|i| format!("${i}")).collect();
        // Only generated placeholders go into the text; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT sequence, commit_time, kind, resource, aggregate, request_id, traceparent, payload FROM outbox \
             WHERE sequence > $1 AND sequence <= $2 AND aggregate IN ({}) ORDER BY sequence LIMIT $3",
            placeholders.join(", ")
        ));
        let query = sqlx::query(sql).bind(after).bind(up_to).bind(sql_limit(limit));
        let rows = clients.iter().fold(query, |q, c| q.bind(c.clone())).fetch_all(self.db.reader()).await?;
        rows.iter().map(crm_kit::feed::row_to_event).collect()
    }

    fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.feed.watch(self.db.reader().clone(), after)
    }
}

/// Decodes the `doc` column of a row.
pub(super) fn doc<M: prost::Message + Default>(row: &sqlx::any::AnyRow) -> ApiResult<M> {
    let bytes: Vec<u8> = row.try_get("doc")?;
    M::decode(bytes.as_slice())
        .map_err(|err| crm_kit::ApiError::internal(anyhow::anyhow!("corrupt stored record: {err}")))
}

/// Decodes the `doc` column of every row.
pub(super) fn docs<M: prost::Message + Default>(rows: &[sqlx::any::AnyRow]) -> ApiResult<Vec<M>> {
    rows.iter().map(doc).collect()
}

/// One newest-first keyset page of a per-client table.
pub(super) struct Page<'a> {
    /// Table (a constant).
    pub table: &'static str,
    /// Time column ordering the page (a constant).
    pub time: &'static str,
    /// Client ids whose rows are listed.
    pub clients: &'a [String],
    /// Only rows in these states (cases); empty for all.
    pub states: &'a [i32],
    /// Start after this row.
    pub after: Option<&'a Keyset>,
    /// Rows to read.
    pub limit: usize,
}

impl SqlInteractionStore {
    /// Reads one page: `WHERE client_id IN (..) [AND (time, id) < (..)] [AND state IN (..)]`.
    pub(super) async fn newest_first<M: prost::Message + Default>(&self, page: Page<'_>) -> ApiResult<Vec<M>> {
        if page.clients.is_empty() {
            return Ok(Vec::new());
        }
        let mut next = 1;
        let mut placeholders = |n: usize| {
            let list: Vec<String> = (next..next + n).map(|i| format!("${i}")).collect();
            next += n;
            list.join(", ")
        };
        let mut conditions = vec![format!("client_id IN ({})", placeholders(page.clients.len()))];
        if page.after.is_some() {
            conditions.push(format!("({}, id) < ({})", page.time, placeholders(2)));
        }
        if !page.states.is_empty() {
            conditions.push(format!("state IN ({})", placeholders(page.states.len())));
        }
        let limit = placeholders(1);
        // Table and column names are constants and placeholders are generated; values are bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT doc FROM {} WHERE {} ORDER BY {time} DESC, id DESC LIMIT {limit}",
            page.table,
            conditions.join(" AND "),
            time = page.time,
        ));
        let mut query = sqlx::query(sql);
        for client in page.clients {
            query = query.bind(client.clone());
        }
        if let Some((time, id)) = page.after {
            query = query.bind(*time).bind(id.clone());
        }
        for state in page.states {
            query = query.bind(i64::from(*state));
        }
        let rows = query.bind(sql_limit(page.limit)).fetch_all(self.db.reader()).await?;
        docs(&rows)
    }
}

/// A limit as bound in SQL.
pub(super) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
