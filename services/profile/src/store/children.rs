//! SQL implementation of the store: contacts, holdings, financial statements, bulk load.

use crm_kit::{
    ApiError, ApiResult, audit,
    idempotency::{self, Prior},
    time::{self, now_micros},
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use prost::Message;
use sqlx::{Any, AssertSqlSafe, Transaction};

use crm_kit::feed::NewEvent;

use super::{Guard, Idempotency, SqlProfileStore, WriteCtx, keys, rows};
use crate::domain::{children::ratios, client::etag, lookup::LookupKey, names};

/// A new client with everything that hangs off it, for bulk loading.
#[derive(Clone, Debug, Default)]
pub struct ClientBundle {
    /// The client; `name` must already be set (`clients/{id}`), parents loaded earlier.
    pub client: Client,
    /// Its contacts.
    pub contacts: Vec<Contact>,
    /// Its holdings.
    pub holdings: Vec<Holding>,
    /// Its financial statements.
    pub statements: Vec<FinancialStatement>,
}

pub(super) fn contact_keys(c: &Contact) -> Vec<(LookupKey, &'static str)> {
    let mut keys = Vec::new();
    if !c.phone.is_empty() {
        keys.push((LookupKey::phone(&c.phone), "contact.phone"));
    }
    if !c.email.is_empty() {
        keys.push((LookupKey::email(&c.email), "contact.email"));
    }
    keys
}

impl SqlProfileStore {
    /// Reads the client a child write belongs to, runs the guard and requires it live.
    pub(super) async fn guarded_parent<G: Guard>(
        &self,
        tx: &mut Transaction<'_, Any>,
        client_id: &str,
        guard: G,
    ) -> ApiResult<Client> {
        let client = self.load_for_write(tx, client_id).await?;
        guard(client.as_ref())?;
        let client = client.ok_or_else(|| ApiError::not_found(names::client_name(client_id)))?;
        if client.delete_time.is_some() {
            return Err(ApiError::failed_precondition("CLIENT_DELETED", format!("{} is deleted", client.name)));
        }
        Ok(client)
    }

    async fn get_child<M: Message + Default>(&self, table: &str, id: &str) -> ApiResult<Option<M>> {
        // `table` is one of this module's constants, never caller input.
        let sql = AssertSqlSafe(format!("SELECT doc FROM {table} WHERE id = $1"));
        let row = sqlx::query(sql).bind(id).fetch_optional(self.db.reader()).await?;
        row.as_ref().map(rows::doc).transpose()
    }

    pub(super) async fn insert_contact<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        mut contact: Contact,
        idem: Option<Idempotency>,
    ) -> ApiResult<Contact> {
        let mut tx = self.db.begin_write().await?;
        let client = self.guarded_parent(&mut tx, client_id, guard).await?;
        let id = names::new_id();
        contact.name = names::child_name(client_id, "contacts", &id);
        if let Some(i) = &idem {
            let prior = idempotency::claim(&mut tx, ctx.action, &i.request_id, &i.fingerprint, &contact.name).await?;
            if let Prior::Created(name) = prior {
                drop(tx);
                let (_, prior_id) = names::child_id("name", &name, "contacts")?;
                return self.get_child("contacts", prior_id).await?.ok_or_else(|| ApiError::not_found(name));
            }
        }
        let now = time::to_timestamp(now_micros());
        contact.etag = etag(1);
        contact.create_time = Some(now);
        contact.update_time = Some(now);
        Self::insert_contact_row(&mut tx, client_id, &contact).await?;
        let payload = contact.encode_to_vec();
        let seq = self.feed.record(&mut tx, ctx, "contact.CREATED", &contact.name, &client.name, payload).await?;
        self.feed.commit(tx, seq).await?;
        Ok(contact)
    }

    async fn insert_contact_row(tx: &mut Transaction<'_, Any>, client_id: &str, contact: &Contact) -> ApiResult<()> {
        let id = contact.name.rsplit('/').next().unwrap_or_default();
        sqlx::query("INSERT INTO contacts (id, client_id, revision, delete_time, doc) VALUES ($1, $2, 1, NULL, $3)")
            .bind(id)
            .bind(client_id)
            .bind(contact.encode_to_vec())
            .execute(&mut **tx)
            .await?;
        keys::replace(tx, client_id, &contact.name, &[], &contact_keys(contact)).await
    }

    /// A page of a child collection in id order.
    pub(super) async fn page_children<M: Message + Default>(
        &self,
        table: &str,
        client_id: &str,
        after: &str,
        limit: usize,
    ) -> ApiResult<Vec<M>> {
        let live = if table == "contacts" { " AND delete_time IS NULL" } else { "" };
        // `table` is one of this module's constants, never caller input.
        let sql = AssertSqlSafe(format!(
            "SELECT doc FROM {table} WHERE client_id = $1 AND id > $2{live} ORDER BY id LIMIT $3"
        ));
        let rows = sqlx::query(sql)
            .bind(client_id)
            .bind(after)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.db.reader())
            .await?;
        rows::docs(&rows)
    }

    pub(super) async fn write_holding<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        mut holding: Holding,
    ) -> ApiResult<Holding> {
        let mut tx = self.db.begin_write().await?;
        let client = self.guarded_parent(&mut tx, client_id, guard).await?;
        let existing: Option<(String, String, i64)> =
            sqlx::query_as("SELECT id, client_id, revision FROM holdings WHERE account_number = $1")
                .bind(&holding.account_number)
                .fetch_optional(&mut *tx)
                .await?;
        let (id, revision, kind) = match existing {
            Some((_, owner, _)) if owner != client_id => {
                return Err(ApiError::already_exists(
                    "IDENTIFIER_TAKEN",
                    "holding.account_number is already held by another client",
                )
                .with_metadata("field", "holding.account_number"));
            }
            Some((id, _, revision)) => (id, revision + 1, "holding.UPDATED"),
            None => (names::new_id(), 1, "holding.CREATED"),
        };
        holding.name = names::child_name(client_id, "holdings", &id);
        holding.etag = etag(revision);
        holding.update_time = Some(time::to_timestamp(now_micros()));
        Self::upsert_holding_row(&mut tx, client_id, &id, revision, &holding).await?;
        let payload = holding.encode_to_vec();
        let seq = self.feed.record(&mut tx, ctx, kind, &holding.name, &client.name, payload).await?;
        self.feed.commit(tx, seq).await?;
        Ok(holding)
    }

    async fn upsert_holding_row(
        tx: &mut Transaction<'_, Any>,
        client_id: &str,
        id: &str,
        revision: i64,
        holding: &Holding,
    ) -> ApiResult<()> {
        sqlx::query(
            "INSERT INTO holdings (id, client_id, account_number, revision, doc) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, doc = excluded.doc",
        )
        .bind(id)
        .bind(client_id)
        .bind(&holding.account_number)
        .bind(revision)
        .bind(holding.encode_to_vec())
        .execute(&mut **tx)
        .await?;
        // A holding is identified by its account number: only a new one adds a key.
        if revision > 1 {
            return Ok(());
        }
        let key = [(LookupKey::account(&holding.account_number), "holding.account_number")];
        keys::replace(tx, client_id, &holding.name, &[], &key).await
    }

    pub(super) async fn insert_statement<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        mut statement: FinancialStatement,
    ) -> ApiResult<FinancialStatement> {
        let mut tx = self.db.begin_write().await?;
        let client = self.guarded_parent(&mut tx, client_id, guard).await?;
        let taken: Option<String> =
            sqlx::query_scalar("SELECT id FROM financial_statements WHERE client_id = $1 AND period = $2")
                .bind(client_id)
                .bind(&statement.period)
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(ApiError::already_exists(
                "PERIOD_EXISTS",
                format!("{} already has a statement for {}", client.name, statement.period),
            )
            .with_metadata("field", "financial_statement.period"));
        }
        Self::stamp_statement(client_id, &names::new_id(), &mut statement);
        Self::insert_statement_row(&mut tx, client_id, &statement).await?;
        let payload = statement.encode_to_vec();
        let kind = "financial_statement.CREATED";
        let seq = self.feed.record(&mut tx, ctx, kind, &statement.name, &client.name, payload).await?;
        self.feed.commit(tx, seq).await?;
        Ok(statement)
    }

    fn stamp_statement(client_id: &str, id: &str, statement: &mut FinancialStatement) {
        statement.name = names::child_name(client_id, "financialStatements", id);
        statement.create_time = Some(time::to_timestamp(now_micros()));
        statement.ratios = Some(ratios(statement));
    }

    async fn insert_statement_row(
        tx: &mut Transaction<'_, Any>,
        client_id: &str,
        statement: &FinancialStatement,
    ) -> ApiResult<()> {
        let id = statement.name.rsplit('/').next().unwrap_or_default();
        sqlx::query(
            "INSERT INTO financial_statements (id, client_id, period, period_end, doc) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(client_id)
        .bind(&statement.period)
        .bind(statement.period_end_time.as_ref().map_or(0, time::from_timestamp))
        .bind(statement.encode_to_vec())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub(super) async fn page_statements(
        &self,
        client_id: &str,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> ApiResult<Vec<FinancialStatement>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match after {
            None => {
                sqlx::query(
                    "SELECT doc FROM financial_statements WHERE client_id = $1 \
                     ORDER BY period_end DESC, id DESC LIMIT $2",
                )
                .bind(client_id)
                .bind(limit)
                .fetch_all(self.db.reader())
                .await?
            }
            Some((end, id)) => {
                sqlx::query(
                    "SELECT doc FROM financial_statements WHERE client_id = $1 AND (period_end, id) < ($2, $3) \
                     ORDER BY period_end DESC, id DESC LIMIT $4",
                )
                .bind(client_id)
                .bind(end)
                .bind(id)
                .bind(limit)
                .fetch_all(self.db.reader())
                .await?
            }
        };
        rows::docs(&rows)
    }

    /// Loads many validated clients with their children in one transaction: the seeding path.
    ///
    /// Children get ids derived from their client's (`{client}-c{n}`, `-h{n}`, `-s{n}`), so a
    /// deterministic load gives deterministic names. Each client gets one thin change event
    /// (no state: consumers read the client and its children; full-state events per record
    /// would double the size of a bulk load); the batch gets one audit record.
    pub async fn bulk_load(&self, ctx: WriteCtx<'_>, bundles: Vec<ClientBundle>) -> ApiResult<usize> {
        let stamp = Some(time::to_timestamp(now_micros()));
        let mut tx = self.db.begin_write().await?;
        let mut last = 0;
        let count = bundles.len();
        for bundle in bundles {
            let mut client = bundle.client;
            let id = names::client_id("client.name", &client.name)?.to_owned();
            client.etag = etag(1);
            client.create_time = stamp;
            client.update_time = stamp;
            self.insert_client(&mut tx, &client).await?;
            for (n, mut contact) in bundle.contacts.into_iter().enumerate() {
                contact.name = names::child_name(&id, "contacts", &format!("{id}-c{n}"));
                contact.etag = etag(1);
                contact.create_time = stamp;
                contact.update_time = stamp;
                Self::insert_contact_row(&mut tx, &id, &contact).await?;
            }
            for (n, mut holding) in bundle.holdings.into_iter().enumerate() {
                let holding_id = format!("{id}-h{n}");
                holding.name = names::child_name(&id, "holdings", &holding_id);
                holding.etag = etag(1);
                holding.update_time = stamp;
                Self::upsert_holding_row(&mut tx, &id, &holding_id, 1, &holding).await?;
            }
            for (n, mut statement) in bundle.statements.into_iter().enumerate() {
                Self::stamp_statement(&id, &format!("{id}-s{n}"), &mut statement);
                Self::insert_statement_row(&mut tx, &id, &statement).await?;
            }
            let event = NewEvent {
                kind: "client.CREATED",
                resource: &client.name,
                aggregate: &client.name,
                request_id: ctx.request_id,
                payload: Vec::new(),
            };
            last = self.feed.append(&mut tx, event).await?;
        }
        audit::append_write(&mut tx, Some(self.db.seal()), ctx, "clients", format!("loaded {count} clients")).await?;
        self.feed.commit(tx, last).await?;
        Ok(count)
    }
}
