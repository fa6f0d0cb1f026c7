//! Reads shared by the per-client tables: one row by client and id, the row a create stored
//! (for its replay), and newest-first keyset pages.

use crm_kit::{
    ApiError, ApiResult,
    db::{doc, docs},
};
use sqlx::AnyPool;

use super::Keyset;
use crate::domain::names;

/// A table of records kept under a client (`clients/{client}/{collection}/{id}`).
pub(super) struct Table {
    /// Table name (a constant).
    pub name: &'static str,
    /// The collection in resource names.
    pub collection: &'static str,
    /// Time column ordering its lists, newest first (a constant).
    pub time: &'static str,
}

/// `$from, $from+1, ...`: `n` generated placeholders.
pub(super) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A limit as bound in SQL.
pub(super) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The record `id` of client `client_id`.
pub(super) async fn one<M: prost::Message + Default>(
    pool: &AnyPool,
    table: &Table,
    client_id: &str,
    id: &str,
) -> ApiResult<Option<M>> {
    // The table name is a constant; values are bound.
    let sql = sqlx::AssertSqlSafe(format!("SELECT doc FROM {} WHERE id = $1 AND client_id = $2", table.name));
    let row = sqlx::query(sql).bind(id).bind(client_id).fetch_optional(pool).await?;
    row.as_ref().map(doc).transpose()
}

/// The record a create stored under `name`: what a replay of that create answers.
pub(super) async fn created<M: prost::Message + Default>(pool: &AnyPool, table: &Table, name: &str) -> ApiResult<M> {
    let (client_id, id) = names::child_id("name", name, table.collection)?;
    one(pool, table, client_id, id).await?.ok_or_else(|| ApiError::not_found(name))
}

/// One newest-first keyset page of the records of `clients` (ids) in `states` (all when
/// empty; a `state` column), after `after`, at most `limit`.
pub(super) async fn newest_first<M: prost::Message + Default>(
    pool: &AnyPool,
    table: &Table,
    clients: &[String],
    states: &[i32],
    after: Option<&Keyset>,
    limit: usize,
) -> ApiResult<Vec<M>> {
    if clients.is_empty() {
        return Ok(Vec::new());
    }
    let mut next = 1;
    let mut take = |n: usize| {
        let list = placeholders(next, n);
        next += n;
        list
    };
    let mut conditions = vec![format!("client_id IN ({})", take(clients.len()))];
    if after.is_some() {
        conditions.push(format!("({}, id) < ({})", table.time, take(2)));
    }
    if !states.is_empty() {
        conditions.push(format!("state IN ({})", take(states.len())));
    }
    let limit_at = take(1);
    // Table and column names are constants and placeholders are generated; values are bound.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT doc FROM {} WHERE {} ORDER BY {time} DESC, id DESC LIMIT {limit_at}",
        table.name,
        conditions.join(" AND "),
        time = table.time,
    ));
    let mut query = sqlx::query(sql);
    for client in clients {
        query = query.bind(client.clone());
    }
    if let Some((time, id)) = after {
        query = query.bind(*time).bind(id.clone());
    }
    for state in states {
        query = query.bind(i64::from(*state));
    }
    let rows = query.bind(sql_limit(limit)).fetch_all(pool).await?;
    docs(&rows)
}
