//! What hangs off a client: the checks every write under a client makes, holdings and
//! financial statements, and paging through them.

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    time::{self, now_micros},
    write::Work,
};
use crm_proto::crm::profile::v1::{Client, FinancialStatement, Holding};
use sqlx::AssertSqlSafe;

use super::sealed::{Stored, decode, decode_all, encode};
use super::{
    Guard, ProfileStore,
    records::{self, client_for_write},
};
use crate::domain::{client::etag, names};

impl ProfileStore {
    /// The client a write under it belongs to, once `guard` allows the write; it must exist
    /// and be live.
    pub(super) async fn guarded_parent(
        &self,
        w: &mut Work<'_>,
        client_id: &str,
        guard: &impl Guard,
    ) -> ApiResult<Client> {
        let client = client_for_write(w, &self.cipher, client_id).await?;
        guard(client.as_ref())?;
        let client = client.ok_or_else(|| ApiError::not_found(names::client_name(client_id)))?;
        if client.delete_time.is_some() {
            return Err(ApiError::failed_precondition("CLIENT_DELETED", format!("{} is deleted", client.name)));
        }
        Ok(client)
    }

    /// One record of a child table by id.
    pub(super) async fn child<M: Stored>(&self, table: &'static str, id: &str) -> ApiResult<Option<M>> {
        // `table` is one of this module's constants, never caller input.
        let sql = AssertSqlSafe(format!("SELECT doc FROM {table} WHERE id = $1"));
        let row = sqlx::query(sql).bind(id).fetch_optional(self.reader()).await?;
        row.as_ref().map(|row| decode(&self.cipher, row)).transpose()
    }

    /// A page of a child table in id order (live contacts only).
    pub(super) async fn page_children<M: Stored>(
        &self,
        table: &'static str,
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
            .fetch_all(self.reader())
            .await?;
        decode_all(&self.cipher, &rows)
    }

    /// Inserts or replaces a holding of a live client, identified by its account number; a
    /// new account becomes a lookup key.
    pub async fn upsert_holding(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: impl Guard,
        mut holding: Holding,
    ) -> ApiResult<Holding> {
        self.writer
            .run(ctx, async move |w| {
                let client = self.guarded_parent(w, client_id, &guard).await?;
                let (id, revision, kind) = match records::holding_of_account(w.conn(), &holding.account_number).await? {
                    Some((owner, _, _)) if owner != client_id => {
                        return Err(records::account_taken("holding.account_number"));
                    }
                    Some((_, id, revision)) => (id, revision + 1, "holding.UPDATED"),
                    None => (names::new_id(), 1, "holding.CREATED"),
                };
                holding.name = names::child_name(client_id, "holdings", &id);
                holding.etag = etag(revision);
                holding.update_time = Some(time::to_timestamp(now_micros()));
                records::upsert_holding(w.conn(), &self.cipher, client_id, &id, revision, &holding).await?;
                w.record(kind, &holding.name, &client.name, encode(&self.cipher, &holding)).await?;
                Ok(holding)
            })
            .await
    }

    /// A page of a client's holdings after holding id `after`.
    pub async fn list_holdings(&self, client_id: &str, after: &str, limit: usize) -> ApiResult<Vec<Holding>> {
        self.page_children("holdings", client_id, after, limit).await
    }

    /// Records a financial statement of a live client (one per period); the ratios are
    /// derived from its amounts.
    pub async fn create_statement(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: impl Guard,
        mut statement: FinancialStatement,
    ) -> ApiResult<FinancialStatement> {
        self.writer
            .run(ctx, async move |w| {
                let client = self.guarded_parent(w, client_id, &guard).await?;
                let taken: Option<String> =
                    sqlx::query_scalar("SELECT id FROM financial_statements WHERE client_id = $1 AND period = $2")
                        .bind(client_id)
                        .bind(&statement.period)
                        .fetch_optional(w.conn())
                        .await?;
                if taken.is_some() {
                    return Err(ApiError::already_exists(
                        "PERIOD_EXISTS",
                        format!("{} already has a statement for {}", client.name, statement.period),
                    )
                    .with_metadata("field", "financial_statement.period"));
                }
                records::stamp_statement(client_id, &names::new_id(), &mut statement);
                records::insert_statement(w.conn(), client_id, &statement).await?;
                w.record(
                    "financial_statement.CREATED",
                    &statement.name,
                    &client.name,
                    encode(&self.cipher, &statement),
                )
                .await?;
                Ok(statement)
            })
            .await
    }

    /// A page of a client's statements, newest period first, after (period end, id).
    pub async fn list_statements(
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
                .fetch_all(self.reader())
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
                .fetch_all(self.reader())
                .await?
            }
        };
        decode_all(&self.cipher, &rows)
    }
}
