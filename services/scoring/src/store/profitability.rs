//! Profitability records: upserted per client and period, all or nothing per call.

use crm_kit::{
    ApiError, ApiResult,
    db::{doc, docs},
    time::{self, now_micros},
};
use crm_proto::crm::scoring::v1::ProfitabilityRecord;
use prost::Message;
use sqlx::{AssertSqlSafe, Row};

use super::{NewRecord, ScoringStore, WriteCtx, Written, for_update, placeholders};
use crate::domain::{names, profitability::same_content};

impl ScoringStore {
    /// Upserts records in one transaction (all or nothing), in order; a record with the
    /// figures already stored is not written again.
    pub async fn record_profitability(
        &self,
        ctx: WriteCtx<'_>,
        records: Vec<NewRecord>,
    ) -> ApiResult<Vec<(ProfitabilityRecord, Written)>> {
        self.writer
            .run(ctx, async |w| {
                let select = for_update(
                    w.backend(),
                    "SELECT revision, doc FROM profitability WHERE client_id = $1 AND period = $2",
                );
                let mut out = Vec::with_capacity(records.len());
                for NewRecord { client_id, period, mut record } in records {
                    let label = period.to_string();
                    let row = sqlx::query(AssertSqlSafe(select.clone()))
                        .bind(&client_id)
                        .bind(&label)
                        .fetch_optional(w.conn())
                        .await?;
                    let current: Option<(i64, ProfitabilityRecord)> =
                        row.as_ref().map(|r| Ok::<_, ApiError>((r.try_get("revision")?, doc(r)?))).transpose()?;
                    if let Some((_, stored)) = &current
                        && same_content(stored, &record)
                    {
                        out.push((stored.clone(), Written::Unchanged));
                        continue;
                    }
                    let now = now_micros();
                    let revision = current.as_ref().map_or(1, |(r, _)| r + 1);
                    record.name = names::record_name(&client_id, &label);
                    record.etag = revision.to_string();
                    record.create_time =
                        current.as_ref().and_then(|(_, s)| s.create_time).or_else(|| Some(time::to_timestamp(now)));
                    record.update_time = Some(time::to_timestamp(now));
                    record.updater.clone_from(&w.ctx().principal.subject);
                    let written = if current.is_some() {
                        sqlx::query(
                            "UPDATE profitability SET revision = $1, update_time = $2, doc = $3 \
                             WHERE client_id = $4 AND period = $5",
                        )
                        .bind(revision)
                        .bind(now)
                        .bind(record.encode_to_vec())
                        .bind(&client_id)
                        .bind(&label)
                        .execute(w.conn())
                        .await?;
                        Written::Updated
                    } else {
                        let inserted = sqlx::query(
                            "INSERT INTO profitability (client_id, period, period_end, period_months, revision, \
                             update_time, doc) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (client_id, period) DO NOTHING",
                        )
                        .bind(&client_id)
                        .bind(&label)
                        .bind(period.end_index())
                        .bind(i64::from(period.months()))
                        .bind(revision)
                        .bind(now)
                        .bind(record.encode_to_vec())
                        .execute(w.conn())
                        .await?
                        .rows_affected();
                        if inserted == 0 {
                            // Another writer created it after our read (PostgreSQL): let the caller retry.
                            return Err(ApiError::etag_mismatch(record.name));
                        }
                        Written::Created
                    };
                    let detail = if written == Written::Created { "CREATED" } else { "UPDATED" };
                    w.audit(&record.name, detail).await?;
                    out.push((record, written));
                }
                Ok(out)
            })
            .await
    }

    /// The client's latest period.
    pub async fn latest_profitability(&self, client_id: &str) -> ApiResult<Option<ProfitabilityRecord>> {
        let latest = sqlx::query(
            "SELECT doc FROM profitability WHERE client_id = $1 ORDER BY period_end DESC, period_months DESC LIMIT 1",
        );
        self.optional_doc(latest.bind(client_id)).await
    }

    /// The client's record of `period` (a canonical label such as `2026-Q3`).
    pub async fn profitability(&self, client_id: &str, period: &str) -> ApiResult<Option<ProfitabilityRecord>> {
        let one = sqlx::query("SELECT doc FROM profitability WHERE client_id = $1 AND period = $2");
        self.optional_doc(one.bind(client_id).bind(period)).await
    }

    /// A page of a client's records, newest first, after `after` ((period_end, months)).
    pub async fn list_profitability(
        &self,
        client_id: &str,
        after: Option<(i64, i64)>,
        limit: usize,
    ) -> ApiResult<Vec<ProfitabilityRecord>> {
        let (end, months) = after.unwrap_or((i64::MAX, i64::MAX));
        let rows = sqlx::query(
            "SELECT doc FROM profitability WHERE client_id = $1 \
             AND (period_end < $2 OR (period_end = $2 AND period_months < $3)) \
             ORDER BY period_end DESC, period_months DESC LIMIT $4",
        )
        .bind(client_id)
        .bind(end)
        .bind(months)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(self.reader())
        .await?;
        docs(&rows)
    }

    /// How many clients have at least one profitability record.
    pub async fn count_profitable_clients(&self) -> ApiResult<i64> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(DISTINCT client_id) FROM profitability").fetch_one(self.reader()).await?;
        Ok(count)
    }

    /// Those of `client_ids` that have at least one profitability record.
    pub async fn profitable_among(&self, client_ids: &[String]) -> ApiResult<Vec<String>> {
        let mut out = Vec::new();
        for chunk in client_ids.chunks(500) {
            // Only numbered placeholders go into the SQL text; the ids are bound.
            let sql = format!(
                "SELECT DISTINCT client_id FROM profitability WHERE client_id IN ({})",
                placeholders(chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            out.extend(query.fetch_all(self.reader()).await?);
        }
        Ok(out)
    }
}
