//! The local client projection: profile facts, holdings and value scores per client, and
//! the recomputation of memberships when they change.
//!
//! Every change locks the client's `client_view` row first (clients in id order, as the
//! activation does), so an activation step and a feed batch touching the same client are
//! serialised and the later one computes from the newer state.

use std::collections::BTreeMap;

use crm_kit::{ApiError, ApiResult, client_view::ClientFacts, db::Backend, time::now_micros};
use crm_proto::crm::segmentation::v1::SchemeState;
use sqlx::{AnyConnection, Row};

use super::{ProfileChange, members, schemes::SqlSegmentationStore};
use crate::domain::{
    scheme::{self, CompiledScheme},
    view::{ClientRecord, HoldingFacts, ProfileFacts, ValueFacts},
};

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
         transaction_volume_units) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, holding_id) DO UPDATE SET \
         product_line = excluded.product_line, balance_units = excluded.balance_units, \
         transaction_count = excluded.transaction_count, transaction_volume_units = excluded.transaction_volume_units",
    )
    .bind(client_id)
    .bind(&h.holding_id)
    .bind(&h.product_line)
    .bind(h.balance_units)
    .bind(h.transaction_count)
    .bind(h.transaction_volume_units)
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies one client's changes (in feed order; a snapshot, being the newest, wins alone).
async fn apply_client(conn: &mut AnyConnection, id: &str, changes: &[ProfileChange], now: i64) -> ApiResult<()> {
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

fn client_of(change: &ProfileChange) -> String {
    match change {
        ProfileChange::Client(c) => c.name.trim_start_matches("clients/").to_owned(),
        ProfileChange::Holding { client_id, .. } | ProfileChange::Snapshot { client_id, .. } => client_id.clone(),
    }
}

/// The schemes whose memberships follow client changes (ACTIVATING and ACTIVE), compiled.
///
/// Inside the write transaction that then writes their memberships: on PostgreSQL the rows
/// are read `FOR SHARE`, so a scheme change in flight (RetireScheme, a reverted activation,
/// which close every open membership) is waited for and its new state seen, and one that
/// comes later waits for this transaction; no open membership outlives the scheme's
/// ACTIVATING or ACTIVE state. (SQLite write transactions are serialised already.)
pub(super) async fn live_schemes(
    conn: &mut AnyConnection,
    backend: Backend,
) -> ApiResult<Vec<(String, CompiledScheme)>> {
    let sql = match backend {
        Backend::Postgres => "SELECT id, doc FROM scheme WHERE state = $1 OR state = $2 ORDER BY id FOR SHARE",
        Backend::Sqlite => "SELECT id, doc FROM scheme WHERE state = $1 OR state = $2 ORDER BY id",
    };
    let rows = sqlx::query(sql)
        .bind(SchemeState::Activating.as_str_name())
        .bind(SchemeState::Active.as_str_name())
        .fetch_all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let bytes: Vec<u8> = row.try_get("doc")?;
        let stored = <crm_proto::crm::segmentation::v1::Scheme as prost::Message>::decode(bytes.as_slice())
            .map_err(|e| ApiError::internal(anyhow::anyhow!("corrupt stored scheme: {e}")))?;
        out.push((row.try_get("id")?, scheme::check(&stored, "scheme")?));
    }
    Ok(out)
}

/// See [`super::SegmentationStore::apply_profile`].
pub(super) async fn apply_profile(store: &SqlSegmentationStore, changes: Vec<ProfileChange>) -> ApiResult<()> {
    let mut by_client: BTreeMap<String, Vec<ProfileChange>> = BTreeMap::new();
    for change in changes {
        by_client.entry(client_of(&change)).or_default().push(change);
    }
    let now = now_micros();
    let mut tx = store.db.begin_write().await?;
    for (id, list) in &by_client {
        apply_client(&mut tx, id, list, now).await?;
    }
    recompute(&mut tx, by_client.keys(), now, store.db.backend()).await?;
    tx.commit().await?;
    store.changed();
    Ok(())
}

/// See [`super::SegmentationStore::apply_values`].
pub(super) async fn apply_values(store: &SqlSegmentationStore, values: Vec<(String, ValueFacts)>) -> ApiResult<()> {
    let latest: BTreeMap<String, ValueFacts> = values.into_iter().collect();
    let now = now_micros();
    let mut tx = store.db.begin_write().await?;
    for (id, value) in &latest {
        touch(&mut tx, id, now).await?;
        sqlx::query(
            "INSERT INTO client_value (client_id, doc, update_time) VALUES ($1, $2, $3) \
             ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc, update_time = excluded.update_time",
        )
        .bind(id)
        .bind(json(value)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    recompute(&mut tx, latest.keys(), now, store.db.backend()).await?;
    tx.commit().await?;
    store.changed();
    Ok(())
}

/// Recomputes the memberships of `ids` in every ACTIVATING or ACTIVE scheme.
async fn recompute(
    conn: &mut AnyConnection,
    ids: impl Iterator<Item = &String>,
    now: i64,
    backend: Backend,
) -> ApiResult<()> {
    let live = live_schemes(&mut *conn, backend).await?;
    if live.is_empty() {
        return Ok(());
    }
    let mut records = Vec::new();
    for id in ids {
        if let Some(record) = load_record(&mut *conn, id).await? {
            records.push(record);
        }
    }
    let compiled: Vec<&CompiledScheme> = live.iter().map(|(_, s)| s).collect();
    let paths = scheme::assign_records(&compiled, &records)?;
    for (record, per_scheme) in records.iter().zip(paths) {
        for ((scheme_id, _), path) in live.iter().zip(per_scheme) {
            members::write_path(&mut *conn, scheme_id, &record.id, &path, now).await?;
        }
    }
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
        "SELECT client_id, holding_id, product_line, balance_units, transaction_count, transaction_volume_units \
         FROM client_holding WHERE client_id = $1 ORDER BY holding_id",
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
    Ok(Some(ClientRecord { id: id.to_owned(), facts, holdings: holdings.into_iter().map(|(_, h)| h).collect(), value }))
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
        "SELECT client_id, holding_id, product_line, balance_units, transaction_count, transaction_volume_units \
         FROM client_holding WHERE client_id > $1 AND client_id <= $2 ORDER BY client_id, holding_id",
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
    Ok(records)
}
