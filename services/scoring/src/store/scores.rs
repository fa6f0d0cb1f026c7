//! Value scores: the current score per client, its append-only history for as-of reads,
//! and the change-feed event of every stored change.

use crm_kit::{
    ApiError, ApiResult,
    db::{doc, docs},
    time::{self, now_micros},
};
use crm_proto::crm::scoring::v1::ValueScore;
use prost::Message;
use sqlx::{AssertSqlSafe, Row};

use super::{NewScore, ScoreOrder, ScoreScan, ScoredFacts, ScoringStore, WriteCtx, for_update, placeholders};
use crate::domain::score::tier_label;

/// Feed event kind of a stored score.
const SCORED: &str = "value_score.SCORED";

/// Whether two scores differ in anything but their time.
fn same_but_time(a: &ValueScore, b: &ValueScore) -> bool {
    let strip = |s: &ValueScore| ValueScore { score_time: None, ..s.clone() };
    strip(a) == strip(b)
}

impl ScoringStore {
    /// Stores a score (history kept) and announces it on the feed; a score equal to the
    /// current one but for its time is not stored again (`false`). ABORTED (ETAG_MISMATCH)
    /// when the stored score's revision is no longer `seen_revision`.
    pub async fn save_score(&self, ctx: WriteCtx<'_>, new: NewScore) -> ApiResult<(ValueScore, bool)> {
        let NewScore {
            mut score,
            composite,
            standalone,
            access_rank,
            tier,
            access,
            profile_grade,
            parent,
            seen_revision,
        } = new;
        let client_id = score.client.trim_start_matches("clients/").to_owned();
        self.writer
            .run(ctx, async |w| {
                let select = for_update(
                    w.backend(),
                    "SELECT revision, access, profile_grade, parent_id, doc FROM value_scores WHERE client_id = $1",
                );
                let row = sqlx::query(AssertSqlSafe(select)).bind(&client_id).fetch_optional(w.conn()).await?;
                let mut revision = 1;
                if let Some(row) = &row {
                    let current: ValueScore = doc(row)?;
                    let facts: (String, String, String) =
                        (row.try_get("access")?, row.try_get("profile_grade")?, row.try_get("parent_id")?);
                    if same_but_time(&current, &score)
                        && facts == (access.clone(), profile_grade.clone(), parent.clone())
                    {
                        return Ok((current, false));
                    }
                    revision = row.try_get::<i64, _>("revision")? + 1;
                }
                let stored_revision = if row.is_some() { Some(revision - 1) } else { None };
                if stored_revision != seen_revision {
                    // Stored since the inputs were read: this score may be older than the stored one.
                    return Err(ApiError::etag_mismatch(score.name.clone()));
                }
                let now = now_micros();
                score.score_time = Some(time::to_timestamp(now));
                let bytes = score.encode_to_vec();
                let sql = if row.is_some() {
                    "UPDATE value_scores SET composite = $1, tier = $2, access = $3, profile_grade = $4, \
                     parent_id = $5, revision = $6, score_time = $7, doc = $8, standalone = $9, access_rank = $10 \
                     WHERE client_id = $11"
                } else {
                    "INSERT INTO value_scores (composite, tier, access, profile_grade, parent_id, revision, \
                     score_time, doc, standalone, access_rank, client_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (client_id) DO NOTHING"
                };
                let written = sqlx::query(sql)
                    .bind(composite)
                    .bind(tier_label(tier))
                    .bind(&access)
                    .bind(&profile_grade)
                    .bind(&parent)
                    .bind(revision)
                    .bind(now)
                    .bind(bytes.clone())
                    .bind(standalone)
                    .bind(access_rank)
                    .bind(&client_id)
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                if written == 0 {
                    // Another writer scored the client first (PostgreSQL): let the caller retry.
                    return Err(ApiError::etag_mismatch(score.name.clone()));
                }
                sqlx::query(
                    "INSERT INTO value_score_history (client_id, revision, score_time, doc) VALUES ($1, $2, $3, $4)",
                )
                .bind(&client_id)
                .bind(revision)
                .bind(now)
                .bind(bytes.clone())
                .execute(w.conn())
                .await?;
                w.record(SCORED, &score.name, &score.client, bytes).await?;
                Ok((score, true))
            })
            .await
    }

    /// The current score of a client.
    pub async fn score(&self, client_id: &str) -> ApiResult<Option<ValueScore>> {
        self.optional_doc(sqlx::query("SELECT doc FROM value_scores WHERE client_id = $1").bind(client_id)).await
    }

    /// The score of a client as it was at `at` (microseconds).
    pub async fn score_at(&self, client_id: &str, at: i64) -> ApiResult<Option<ValueScore>> {
        let then = sqlx::query(
            "SELECT doc FROM value_score_history WHERE client_id = $1 AND score_time <= $2 \
             ORDER BY revision DESC LIMIT 1",
        );
        self.optional_doc(then.bind(client_id).bind(at)).await
    }

    /// The profile facts the current score was computed from.
    pub async fn scored_facts(&self, client_id: &str) -> ApiResult<Option<ScoredFacts>> {
        let row =
            sqlx::query("SELECT profile_grade, parent_id, access, revision FROM value_scores WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(self.reader())
                .await?;
        row.map(|r| {
            Ok(ScoredFacts {
                profile_grade: r.try_get("profile_grade")?,
                parent: r.try_get("parent_id")?,
                access: r.try_get("access")?,
                revision: r.try_get("revision")?,
            })
        })
        .transpose()
    }

    /// Withdraws a deleted or merged client's score from the access counts (its access
    /// becomes "" and its revision moves on); `false` when it had no score or no access.
    pub async fn withdraw_access(&self, ctx: WriteCtx<'_>, client_id: &str) -> ApiResult<bool> {
        self.writer
            .run(ctx, async |w| {
                let cleared = sqlx::query(
                    "UPDATE value_scores SET access = '', revision = revision + 1 WHERE client_id = $1 AND access <> ''",
                )
                .bind(client_id)
                .execute(w.conn())
                .await?
                .rows_affected();
                Ok(cleared > 0)
            })
            .await
    }

    /// Current scores of several clients (missing ones are absent).
    pub async fn scores(&self, client_ids: &[String]) -> ApiResult<Vec<ValueScore>> {
        let mut out = Vec::with_capacity(client_ids.len());
        for chunk in client_ids.chunks(500) {
            // Only numbered placeholders go into the SQL text; the ids are bound.
            let sql = format!("SELECT doc FROM value_scores WHERE client_id IN ({})", placeholders(chunk.len()));
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            out.extend(docs::<ValueScore>(&query.fetch_all(self.reader()).await?)?);
        }
        Ok(out)
    }

    /// Current scores in keyset order.
    pub async fn scan_scores(&self, scan: &ScoreScan) -> ApiResult<Vec<ValueScore>> {
        let tier = scan.tier.map(tier_label).unwrap_or_default();
        let limit = i64::try_from(scan.limit).unwrap_or(i64::MAX);
        let rows = match scan.order {
            ScoreOrder::CompositeDesc => {
                let (composite, id) =
                    scan.after.as_ref().map_or((i64::MAX, ""), |c| (c.composite, c.client_id.as_str()));
                sqlx::query(
                    "SELECT doc FROM value_scores WHERE ($1 = '' OR tier = $1) \
                     AND (composite < $2 OR (composite = $2 AND client_id > $3)) \
                     ORDER BY composite DESC, client_id LIMIT $4",
                )
                .bind(tier)
                .bind(composite)
                .bind(id)
                .bind(limit)
                .fetch_all(self.reader())
                .await?
            }
            ScoreOrder::Client => {
                let id = scan.after.as_ref().map_or("", |c| c.client_id.as_str());
                sqlx::query(
                    "SELECT doc FROM value_scores WHERE ($1 = '' OR tier = $1) AND client_id > $2 \
                     ORDER BY client_id LIMIT $3",
                )
                .bind(tier)
                .bind(id)
                .bind(limit)
                .fetch_all(self.reader())
                .await?
            }
        };
        docs(&rows)
    }

    /// Clients other than `client_id` ranked ahead of a standalone score of `standalone`
    /// (× 10⁹) in access cell `access`: a higher standalone score, or an equal one and a
    /// lower client id. The order is the portfolio's, whoever is scored first.
    pub async fn access_rank(&self, access: &str, client_id: &str, standalone: i64) -> ApiResult<i64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM value_scores WHERE access = $1 AND client_id <> $2 \
             AND (standalone > $3 OR (standalone = $3 AND client_id < $2))",
        )
        .bind(access)
        .bind(client_id)
        .bind(standalone)
        .fetch_one(self.reader())
        .await?;
        Ok(count)
    }

    /// Clients of access cell `access` whose stored rank is no longer their place in the
    /// cell's order: their market-access part must be recomputed.
    pub async fn misranked(&self, access: &str) -> ApiResult<Vec<String>> {
        let rows = sqlx::query(
            "SELECT client_id, access_rank FROM value_scores WHERE access = $1 ORDER BY standalone DESC, client_id",
        )
        .bind(access)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::new();
        for (place, row) in rows.iter().enumerate() {
            let stored: i64 = row.try_get("access_rank")?;
            if stored != i64::try_from(place).unwrap_or(i64::MAX) {
                out.push(row.try_get("client_id")?);
            }
        }
        Ok(out)
    }

    /// Every access cell that has scores.
    pub async fn access_cells(&self) -> ApiResult<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT access FROM value_scores WHERE access <> '' ORDER BY access")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(r.try_get("access")?)).collect()
    }
}
