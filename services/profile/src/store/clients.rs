//! SQL implementation of the store: clients.

use crm_kit::{
    ApiError, ApiResult,
    db::{Backend, Db},
    feed::{Feed, FeedEvent},
    idempotency::{self, Prior},
    time::{self, now_micros},
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use futures::Stream;
use prost::Message;
use sqlx::{Any, AssertSqlSafe, Transaction};

use super::history::Revision;
use super::{
    ChangeKind, ClientOrder, ClientScan, Guard, Idempotency, Mutation, ProfileStore, SortKey, WriteCtx, keys, rows,
    search,
};
use crate::domain::{
    client::{changed_fields, etag, revision_of, written_on_create},
    lookup::LookupKey,
    names,
};

/// Deepest group hierarchy walked when checking for cycles.
const MAX_GROUP_DEPTH: usize = 64;

/// The profile store on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct SqlProfileStore {
    pub(super) db: Db,
    pub(super) feed: Feed,
}

impl SqlProfileStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db, feed: Feed::default() }
    }

    /// Reads the current row of a client.
    pub(super) async fn get_client_row(&self, id: &str) -> ApiResult<Option<Client>> {
        let row =
            sqlx::query("SELECT doc FROM clients WHERE id = $1").bind(id).fetch_optional(self.db.reader()).await?;
        row.as_ref().map(rows::doc).transpose()
    }

    /// Reads a client inside a write transaction; on PostgreSQL the row stays locked.
    pub(super) async fn load_for_write(&self, tx: &mut Transaction<'_, Any>, id: &str) -> ApiResult<Option<Client>> {
        let sql = match self.db.backend() {
            Backend::Sqlite => "SELECT doc FROM clients WHERE id = $1",
            Backend::Postgres => "SELECT doc FROM clients WHERE id = $1 FOR UPDATE",
        };
        let row = sqlx::query(sql).bind(id).fetch_optional(&mut **tx).await?;
        row.as_ref().map(rows::doc).transpose()
    }

    /// The parent must exist, be live, and not be the client itself or one of its descendants.
    async fn check_parent(&self, tx: &mut Transaction<'_, Any>, id: &str, parent: &str) -> ApiResult<()> {
        let mut cursor = names::client_id("client.parent", parent)?.to_owned();
        for depth in 0..MAX_GROUP_DEPTH {
            if cursor == id {
                return Err(ApiError::invalid("client.parent", "would make the group hierarchy a cycle"));
            }
            let row: Option<(Option<String>, Option<i64>)> =
                sqlx::query_as("SELECT parent_id, delete_time FROM clients WHERE id = $1")
                    .bind(&cursor)
                    .fetch_optional(&mut **tx)
                    .await?;
            match row {
                None if depth == 0 => {
                    return Err(ApiError::invalid("client.parent", format!("{parent} does not exist")));
                }
                Some((_, Some(_))) if depth == 0 => {
                    return Err(ApiError::invalid("client.parent", format!("{parent} is deleted")));
                }
                None | Some((None, _)) => return Ok(()),
                Some((Some(next), _)) => cursor = next,
            }
        }
        Err(ApiError::invalid("client.parent", format!("the group hierarchy is deeper than {MAX_GROUP_DEPTH} levels")))
    }

    /// Inserts or updates the row of `client` (whose doc fields are final).
    pub(super) async fn write_row(
        tx: &mut Transaction<'_, Any>,
        client: &Client,
        revision: i64,
        insert: bool,
    ) -> ApiResult<()> {
        let id = client.name.trim_start_matches("clients/");
        let parent = (!client.parent.is_empty()).then(|| client.parent.trim_start_matches("clients/"));
        let sql = if insert {
            "INSERT INTO clients (display_key, create_time, update_time, delete_time, turnover_units, parent_id, \
             portfolio, revision, merged_into, doc, name_key, id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        } else {
            "UPDATE clients SET display_key = $1, create_time = $2, update_time = $3, delete_time = $4, \
             turnover_units = $5, parent_id = $6, portfolio = $7, revision = $8, merged_into = $9, doc = $10, \
             name_key = $11 WHERE id = $12"
        };
        sqlx::query(sql)
            .bind(client.display_name.to_lowercase())
            .bind(client.create_time.as_ref().map_or(0, time::from_timestamp))
            .bind(client.update_time.as_ref().map_or(0, time::from_timestamp))
            .bind(client.delete_time.as_ref().map(time::from_timestamp))
            .bind(client.annual_turnover.as_ref().map_or(0, |m| m.units))
            .bind(parent)
            .bind(&client.relationship_manager)
            .bind(revision)
            .bind((!client.merged_into.is_empty()).then_some(client.merged_into.as_str()))
            .bind(client.encode_to_vec())
            .bind(search::record_key(client))
            .bind(id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Finishes a new record: name, etag and times.
    fn stamp_new(client: &mut Client, id: &str, now: i64) {
        client.name = names::client_name(id);
        client.etag = etag(1);
        client.create_time = Some(time::to_timestamp(now));
        client.update_time = client.create_time;
        client.delete_time = None;
        client.merged_into.clear();
    }

    /// Inserts one new client (parent check, keys, row) inside `tx`.
    pub(super) async fn insert_client(&self, tx: &mut Transaction<'_, Any>, client: &Client) -> ApiResult<()> {
        let id = client.name.trim_start_matches("clients/");
        if !client.parent.is_empty() {
            self.check_parent(tx, id, &client.parent).await?;
        }
        keys::replace(tx, id, &client.name, &[], &keys::client_keys(client)).await?;
        Self::index_names(tx, id, None, client).await?;
        Self::write_row(tx, client, 1, true).await
    }

    async fn replay(&self, prior: Prior) -> ApiResult<Option<Client>> {
        match prior {
            Prior::None => Ok(None),
            Prior::Created(name) => self.get_client(names::client_id("name", &name)?).await,
        }
    }
}

impl ProfileStore for SqlProfileStore {
    fn db(&self) -> &Db {
        &self.db
    }

    fn feed(&self) -> &Feed {
        &self.feed
    }

    async fn create_client(
        &self,
        ctx: WriteCtx<'_>,
        mut client: Client,
        idem: Option<Idempotency>,
    ) -> ApiResult<Client> {
        if let Some(i) = &idem
            && let Some(prior) = self
                .replay(idempotency::lookup(self.db.reader(), ctx.action, &i.request_id, &i.fingerprint).await?)
                .await?
        {
            return Ok(prior);
        }
        let id = names::new_id();
        Self::stamp_new(&mut client, &id, now_micros());
        let mut tx = self.db.begin_write().await?;
        if let Some(i) = &idem {
            let prior = idempotency::claim(&mut tx, ctx.action, &i.request_id, &i.fingerprint, &client.name).await?;
            if prior != Prior::None {
                drop(tx);
                return self.replay(prior).await?.ok_or_else(|| ApiError::not_found("the client of this request_id"));
            }
        }
        self.insert_client(&mut tx, &client).await?;
        Self::append_revision(&mut tx, Some(ctx), "CREATED", &written_on_create(&client), &client).await?;
        let payload = client.encode_to_vec();
        let seq = self.feed.record(&mut tx, ctx, "client.CREATED", &client.name, &client.name, payload).await?;
        self.feed.commit(tx, seq).await?;
        Ok(client)
    }

    async fn get_client(&self, id: &str) -> ApiResult<Option<Client>> {
        self.get_client_row(id).await
    }

    async fn get_client_at(&self, id: &str, at: i64) -> ApiResult<Option<Client>> {
        self.client_at(id, at).await
    }

    async fn list_revisions(&self, id: &str, before: i64, limit: usize) -> ApiResult<Vec<Revision>> {
        self.revisions(id, before, limit).await
    }

    async fn get_clients(&self, ids: &[String]) -> ApiResult<Vec<Client>> {
        let mut found = Vec::with_capacity(ids.len());
        // One round trip per chunk; placeholders are generated, values are bound.
        for chunk in ids.chunks(100) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = AssertSqlSafe(format!("SELECT doc FROM clients WHERE id IN ({})", placeholders.join(", ")));
            let query = chunk.iter().fold(sqlx::query(sql), |q, id| q.bind(id));
            found.extend(rows::docs::<Client>(&query.fetch_all(self.db.reader()).await?)?);
        }
        Ok(found)
    }

    async fn scan_clients(&self, scan: &ClientScan) -> ApiResult<Vec<Client>> {
        let column = match scan.order {
            ClientOrder::Name => "id",
            ClientOrder::DisplayName => "display_key",
            ClientOrder::CreateTime => "create_time",
            ClientOrder::AnnualTurnover => "turnover_units",
        };
        let (cmp, dir) = if scan.descending { ("<", "DESC") } else { (">", "ASC") };
        let mut conditions = Vec::new();
        if !scan.show_deleted {
            conditions.push("delete_time IS NULL".to_owned());
        }
        let mut next = 1;
        if scan.after.is_some() {
            if scan.order == ClientOrder::Name {
                conditions.push(format!("id {cmp} $1"));
                next = 2;
            } else {
                conditions.push(format!("({column}, id) {cmp} ($1, $2)"));
                next = 3;
            }
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let order =
            if scan.order == ClientOrder::Name { format!("id {dir}") } else { format!("{column} {dir}, id {dir}") };
        // Column names and directions come from the enums above; every value is bound.
        let sql = AssertSqlSafe(format!("SELECT doc FROM clients {filter} ORDER BY {order} LIMIT ${next}"));
        let mut query = sqlx::query(sql);
        if let Some(after) = &scan.after {
            query = match &after.key {
                SortKey::Text(text) => query.bind(text.clone()),
                SortKey::Int(n) => query.bind(*n),
                SortKey::None => query,
            };
            query = query.bind(after.id.clone());
        }
        let limit = i64::try_from(scan.limit).unwrap_or(i64::MAX);
        let rows = query.bind(limit).fetch_all(self.db.reader()).await?;
        rows::docs(&rows)
    }

    async fn update_client<M: Mutation>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        kind: ChangeKind,
        mutation: M,
    ) -> ApiResult<Client> {
        let mut tx = self.db.begin_write().await?;
        let current = self.load_for_write(&mut tx, id).await?;
        let mut next = mutation(current.as_ref())?;
        let current = current.ok_or_else(|| ApiError::not_found(names::client_name(id)))?;
        let revision = revision_of(&current.etag) + 1;
        next.name.clone_from(&current.name);
        next.create_time = current.create_time;
        next.merged_into.clone_from(&current.merged_into);
        next.update_time = Some(time::to_timestamp(now_micros()));
        next.etag = etag(revision);
        if !next.parent.is_empty() && next.parent != current.parent {
            self.check_parent(&mut tx, id, &next.parent).await?;
        }
        keys::replace(&mut tx, id, &next.name, &keys::client_keys(&current), &keys::client_keys(&next)).await?;
        Self::write_row(&mut tx, &next, revision, false).await?;
        Self::index_names(&mut tx, id, Some(&current), &next).await?;
        // History: the previous state (backfilled if it was loaded in bulk), then the new one.
        let previous_kind = if revision == 2 { "CREATED" } else { "UPDATED" };
        Self::append_revision(&mut tx, None, previous_kind, &[], &current).await?;
        let (kind, revision_kind) = match kind {
            ChangeKind::Updated => ("client.UPDATED", "UPDATED"),
            ChangeKind::Deleted => ("client.DELETED", "DELETED"),
            ChangeKind::Undeleted => ("client.UNDELETED", "UNDELETED"),
        };
        Self::append_revision(&mut tx, Some(ctx), revision_kind, &changed_fields(&current, &next), &next).await?;
        let payload = next.encode_to_vec();
        let seq = self.feed.record(&mut tx, ctx, kind, &next.name, &next.name, payload).await?;
        self.feed.commit(tx, seq).await?;
        Ok(next)
    }

    async fn lookup(&self, key: &LookupKey) -> ApiResult<Vec<Client>> {
        let rows = sqlx::query(
            "SELECT doc FROM clients WHERE delete_time IS NULL AND id IN \
             (SELECT client_id FROM client_keys WHERE kind = $1 AND value = $2) ORDER BY id LIMIT 20",
        )
        .bind(key.kind)
        .bind(&key.value)
        .fetch_all(self.db.reader())
        .await?;
        rows::docs(&rows)
    }

    async fn create_contact<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        contact: Contact,
        idem: Option<Idempotency>,
    ) -> ApiResult<Contact> {
        self.insert_contact(ctx, client_id, guard, contact, idem).await
    }

    async fn change_contact<G: Guard, M: FnOnce(&Contact) -> ApiResult<Contact> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        contact_id: &str,
        guard: G,
        mutation: M,
    ) -> ApiResult<Contact> {
        self.update_contact_row(ctx, client_id, contact_id, guard, mutation).await
    }

    async fn group_of(&self, id: &str) -> ApiResult<Option<super::Group>> {
        self.load_group(id).await
    }

    async fn merge_clients<C: Fn(&str, Option<&Client>) -> ApiResult<()> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        survivor_id: &str,
        duplicate_id: &str,
        expected_etag: &str,
        check: C,
    ) -> ApiResult<super::MergeOutcome> {
        self.merge_rows(ctx, survivor_id, duplicate_id, expected_etag, check).await
    }

    async fn gram_candidates(
        &self,
        grams: &std::collections::BTreeSet<String>,
        per_gram: usize,
        limit: usize,
    ) -> ApiResult<Vec<(String, usize)>> {
        self.gram_candidates_sql(grams, per_gram, limit).await
    }

    async fn shared_name_keys(&self, after: &str, limit: usize) -> ApiResult<Vec<String>> {
        self.shared_name_keys_sql(after, limit).await
    }

    async fn clients_with_key(&self, key: &str) -> ApiResult<Vec<Client>> {
        self.clients_with_key_sql(key).await
    }

    async fn list_contacts(&self, client_id: &str, after: &str, limit: usize) -> ApiResult<Vec<Contact>> {
        self.page_children("contacts", client_id, after, limit).await
    }

    async fn upsert_holding<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        holding: Holding,
    ) -> ApiResult<Holding> {
        self.write_holding(ctx, client_id, guard, holding).await
    }

    async fn list_holdings(&self, client_id: &str, after: &str, limit: usize) -> ApiResult<Vec<Holding>> {
        self.page_children("holdings", client_id, after, limit).await
    }

    async fn create_statement<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        statement: FinancialStatement,
    ) -> ApiResult<FinancialStatement> {
        self.insert_statement(ctx, client_id, guard, statement).await
    }

    async fn list_statements(
        &self,
        client_id: &str,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> ApiResult<Vec<FinancialStatement>> {
        self.page_statements(client_id, after, limit).await
    }

    fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.feed.watch(self.db.reader().clone(), after)
    }
}
