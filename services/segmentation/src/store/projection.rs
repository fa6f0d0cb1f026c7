//! The local client projection: profile facts, holdings and value scores per client, as the
//! followed feeds deliver them.
//!
//! Every change locks the client's `client_view` row first (clients in id order, as the
//! activation does), so an activation step and a feed batch touching the same client are
//! serialised and the later one computes from the newer state.

use std::collections::BTreeMap;

use crm_kit::{ApiError, ApiResult, client_view::ClientFacts, db::Backend};
use crm_proto::crm::profile::v1::{Client, Holding};
use sqlx::{AnyConnection, Row};

use super::SegmentationStore;
use crate::domain::view::{ClientRecord, ContactFacts, HoldingFacts, ProfileFacts, ValueFacts};

/// One change of the client projection, from the profile's feed.
#[derive(Clone, Debug)]
pub enum ProfileChange {
    /// The client record after a change.
    Client(Client),
    /// A holding after a change (the event names its client).
    Holding { client_id: String, holding: Holding },
    /// The whole current state, read back from the profile (bulk loads, merges); `client`
    /// is `None` when the client no longer exists under this id.
    Snapshot { client_id: String, client: Option<Client>, holdings: Vec<Holding> },
}

impl ProfileChange {
    fn client_id(&self) -> String {
        match self {
            Self::Client(c) => c.name.trim_start_matches("clients/").to_owned(),
            Self::Holding { client_id, .. } | Self::Snapshot { client_id, .. } => client_id.clone(),
        }
    }
}

/// `changes` by client id, each client's in feed order.
pub(super) fn by_client(changes: Vec<ProfileChange>) -> BTreeMap<String, Vec<ProfileChange>> {
    let mut by_client: BTreeMap<String, Vec<ProfileChange>> = BTreeMap::new();
    for change in changes {
        by_client.entry(change.client_id()).or_default().push(change);
    }
    by_client
}

fn json<T: serde::Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(ApiError::internal)
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(anyhow::anyhow!("corrupt projection row: {e}")))
}

async fn upsert_client(conn: &mut AnyConnection, id: &str, facts: &ProfileFacts, now: i64) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO client_view (id, deleted, doc, update_time) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET deleted = excluded.deleted, doc = excluded.doc, update_time = excluded.update_time",
    )
    .bind(id)
    .bind(i64::from(facts.client.deleted))
    .bind(json(facts)?)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> ApiResult<()> {
    sqlx::query("UPDATE client_view SET update_time = $1 WHERE id = $2").bind(now).bind(id).execute(conn).await?;
    Ok(())
}

async fn upsert_holding(conn: &mut AnyConnection, client_id: &str, h: &HoldingFacts) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO client_holding (client_id, holding_id, product_line, balance_units, transaction_count, \
         transaction_volume_units, currency) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (client_id, holding_id) \
         DO UPDATE SET product_line = excluded.product_line, balance_units = excluded.balance_units, \
         transaction_count = excluded.transaction_count, transaction_volume_units = excluded.transaction_volume_units, \
         currency = excluded.currency",
    )
    .bind(client_id)
    .bind(&h.holding_id)
    .bind(&h.product_line)
    .bind(h.balance_units)
    .bind(h.transaction_count)
    .bind(h.transaction_volume_units)
    .bind(&h.currency)
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies one client's changes (in feed order; a snapshot, being the newest, wins alone).
pub(super) async fn apply_client(
    conn: &mut AnyConnection,
    id: &str,
    changes: &[ProfileChange],
    now: i64,
) -> ApiResult<()> {
    if let Some(ProfileChange::Snapshot { client, holdings, .. }) =
        changes.iter().rev().find(|c| matches!(c, ProfileChange::Snapshot { .. }))
    {
        let facts = match client {
            Some(c) => ProfileFacts::of(c),
            None => ProfileFacts {
                client: ClientFacts { name: format!("clients/{id}"), deleted: true, ..Default::default() },
                ..Default::default()
            },
        };
        upsert_client(&mut *conn, id, &facts, now).await?;
        sqlx::query("DELETE FROM client_holding WHERE client_id = $1").bind(id).execute(&mut *conn).await?;
        if client.is_some() {
            for h in holdings {
                upsert_holding(&mut *conn, id, &HoldingFacts::of(h)).await?;
            }
        }
        return Ok(());
    }
    for change in changes {
        match change {
            ProfileChange::Client(c) => upsert_client(&mut *conn, id, &ProfileFacts::of(c), now).await?,
            ProfileChange::Holding { holding, .. } => {
                touch(&mut *conn, id, now).await?;
                upsert_holding(&mut *conn, id, &HoldingFacts::of(holding)).await?;
            }
            ProfileChange::Snapshot { .. } => {}
        }
    }
    Ok(())
}

/// Stores the latest value score of client `id`.
pub(super) async fn put_value(conn: &mut AnyConnection, id: &str, value: &ValueFacts, now: i64) -> ApiResult<()> {
    let sql = "INSERT INTO client_value (client_id, doc, update_time) VALUES ($1, $2, $3) \
               ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc, update_time = excluded.update_time";
    put_doc(conn, sql, id, json(value)?, now).await
}

/// Stores what the interaction service says about reaching client `id`.
pub(super) async fn put_contact(conn: &mut AnyConnection, id: &str, contact: &ContactFacts, now: i64) -> ApiResult<()> {
    let sql = "INSERT INTO client_contact (client_id, doc, update_time) VALUES ($1, $2, $3) \
               ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc, update_time = excluded.update_time";
    put_doc(conn, sql, id, json(contact)?, now).await
}

/// Marks client `id` changed and upserts one document of it with `sql` (id, doc, time).
async fn put_doc(conn: &mut AnyConnection, sql: &'static str, id: &str, doc: String, now: i64) -> ApiResult<()> {
    touch(&mut *conn, id, now).await?;
    sqlx::query(sql).bind(id).bind(doc).bind(now).execute(conn).await?;
    Ok(())
}

/// One record by client id.
pub(super) async fn load_record(conn: &mut AnyConnection, id: &str) -> ApiResult<Option<ClientRecord>> {
    let Some(row) =
        sqlx::query("SELECT doc FROM client_view WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?
    else {
        return Ok(None);
    };
    let facts: ProfileFacts = parse(&row.try_get::<String, _>("doc")?)?;
    let holdings = sqlx::query(
        "SELECT client_id, holding_id, product_line, balance_units, transaction_count, transaction_volume_units, \
         currency FROM client_holding WHERE client_id = $1 ORDER BY holding_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(holding_of)
    .collect::<ApiResult<Vec<_>>>()?;
    let value =
        sqlx::query("SELECT doc FROM client_value WHERE client_id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let value = value.map(|r| parse::<ValueFacts>(&r.try_get::<String, _>("doc")?)).transpose()?;
    let contact =
        sqlx::query("SELECT doc FROM client_contact WHERE client_id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let contact = contact.map(|r| parse::<ContactFacts>(&r.try_get::<String, _>("doc")?)).transpose()?;
    Ok(Some(ClientRecord {
        id: id.to_owned(),
        facts,
        holdings: holdings.into_iter().map(|(_, h)| h).collect(),
        value,
        contact,
    }))
}

fn holding_of(row: &sqlx::any::AnyRow) -> ApiResult<(String, HoldingFacts)> {
    Ok((
        row.try_get("client_id")?,
        HoldingFacts {
            holding_id: row.try_get("holding_id")?,
            product_line: row.try_get("product_line")?,
            balance_units: row.try_get("balance_units")?,
            transaction_count: row.try_get("transaction_count")?,
            transaction_volume_units: row.try_get("transaction_volume_units")?,
            currency: row.try_get("currency")?,
        },
    ))
}

/// Up to `limit` records after `after` in id order; with `lock` (inside a write
/// transaction) the client rows stay locked on PostgreSQL until commit.
pub(super) async fn load_records(
    conn: &mut AnyConnection,
    after: &str,
    limit: usize,
    lock: bool,
    backend: Backend,
) -> ApiResult<Vec<ClientRecord>> {
    let sql = if lock && backend == Backend::Postgres {
        "SELECT id, doc FROM client_view WHERE id > $1 ORDER BY id LIMIT $2 FOR UPDATE"
    } else {
        "SELECT id, doc FROM client_view WHERE id > $1 ORDER BY id LIMIT $2"
    };
    let rows =
        sqlx::query(sql).bind(after).bind(i64::try_from(limit).unwrap_or(i64::MAX)).fetch_all(&mut *conn).await?;
    let Some(last) = rows.last().map(|r| r.try_get::<String, _>("id")).transpose()? else { return Ok(Vec::new()) };
    let mut records = Vec::with_capacity(rows.len());
    let mut index = BTreeMap::new();
    for row in &rows {
        let id: String = row.try_get("id")?;
        index.insert(id.clone(), records.len());
        records.push(ClientRecord { id, facts: parse(&row.try_get::<String, _>("doc")?)?, ..Default::default() });
    }
    let holdings = sqlx::query(
        "SELECT client_id, holding_id, product_line, balance_units, transaction_count, transaction_volume_units, \
         currency FROM client_holding WHERE client_id > $1 AND client_id <= $2 ORDER BY client_id, holding_id",
    )
    .bind(after)
    .bind(&last)
    .fetch_all(&mut *conn)
    .await?;
    for row in &holdings {
        let (client, holding) = holding_of(row)?;
        if let Some(&i) = index.get(&client) {
            records[i].holdings.push(holding);
        }
    }
    let values = sqlx::query("SELECT client_id, doc FROM client_value WHERE client_id > $1 AND client_id <= $2")
        .bind(after)
        .bind(&last)
        .fetch_all(&mut *conn)
        .await?;
    for row in &values {
        let client: String = row.try_get("client_id")?;
        if let Some(&i) = index.get(&client) {
            records[i].value = Some(parse(&row.try_get::<String, _>("doc")?)?);
        }
    }
    let contacts = sqlx::query("SELECT client_id, doc FROM client_contact WHERE client_id > $1 AND client_id <= $2")
        .bind(after)
        .bind(&last)
        .fetch_all(&mut *conn)
        .await?;
    for row in &contacts {
        let client: String = row.try_get("client_id")?;
        if let Some(&i) = index.get(&client) {
            records[i].contact = Some(parse(&row.try_get::<String, _>("doc")?)?);
        }
    }
    Ok(records)
}

impl SegmentationStore {
    /// Live clients in the projection.
    pub async fn count_live(&self) -> ApiResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM client_view WHERE deleted = 0").fetch_one(self.reader()).await?)
    }

    /// Projection records in id order after `after` (deleted ones included).
    pub async fn scan_records(&self, after: &str, limit: usize) -> ApiResult<Vec<ClientRecord>> {
        let mut conn = self.reader().acquire().await?;
        load_records(&mut conn, after, limit, false, self.writer.db().backend()).await
    }
}
