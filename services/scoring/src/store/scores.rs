//! Value scores: the current score per client, its append-only history for as-of reads,
//! and the change-feed event of every stored change.

use crm_kit::{
    ApiError, ApiResult, audit,
    feed::NewEvent,
    time::{self, now_micros},
};
use crm_proto::crm::scoring::v1::ValueScore;
use prost::Message;
use sqlx::{AssertSqlSafe, Row};

use super::{
    NewScore, ScoreOrder, ScoreScan, ScoredFacts, WriteCtx,
    sql::{SqlScoringStore, doc, docs},
};
use crate::domain::score::tier_label;

/// Feed event kind of a stored score.
pub const SCORED: &str = "value_score.SCORED";

/// Whether two scores differ in anything but their time.
fn same_but_time(a: &ValueScore, b: &ValueScore) -> bool {
    let strip = |s: &ValueScore| ValueScore { score_time: None, ..s.clone() };
    strip(a) == strip(b)
}

impl SqlScoringStore {
    pub(super) async fn write_score(&self, ctx: WriteCtx<'_>, new: NewScore) -> ApiResult<(ValueScore, bool)> {
        let NewScore { mut score, composite, tier, access, profile_grade, parent, seen_revision } = new;
        let client_id = score.client.trim_start_matches("clients/").to_owned();
        let select = self.for_update(
            "SELECT revision, access, profile_grade, parent_id, doc FROM value_scores WHERE client_id = $1",
        );
        let mut tx = self.db.begin_write().await?;
        let row = sqlx::query(AssertSqlSafe(select)).bind(&client_id).fetch_optional(&mut *tx).await?;
        let mut revision = 1;
        if let Some(row) = &row {
            let current: ValueScore = doc(row)?;
            let facts: (String, String, String) =
                (row.try_get("access")?, row.try_get("profile_grade")?, row.try_get("parent_id")?);
            if same_but_time(&current, &score) && facts == (access.clone(), profile_grade.clone(), parent.clone()) {
                return Ok((current, false));
            }
            revision = row.try_get::<i64, _>("revision")? + 1;
        }
        let stored_revision = if row.is_some() { Some(revision - 1) } else { None };
        if stored_revision != seen_revision {
            // Stored since the inputs were read: this score may be older than the stored one.
            return Err(ApiError::etag_mismatch(score.name));
        }
        let now = now_micros();
        score.score_time = Some(time::to_timestamp(now));
        let bytes = score.encode_to_vec();
        let label = tier_label(tier);
        let sql = if row.is_some() {
            "UPDATE value_scores SET composite = $1, tier = $2, access = $3, profile_grade = $4, parent_id = $5, \
             revision = $6, score_time = $7, doc = $8 WHERE client_id = $9"
        } else {
            "INSERT INTO value_scores (composite, tier, access, profile_grade, parent_id, revision, score_time, doc, client_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (client_id) DO NOTHING"
        };
        let written = sqlx::query(sql)
            .bind(composite)
            .bind(label)
            .bind(&access)
            .bind(&profile_grade)
            .bind(&parent)
            .bind(revision)
            .bind(now)
            .bind(bytes.clone())
            .bind(&client_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if written == 0 {
            // Another writer scored the client first (PostgreSQL): let the caller retry.
            return Err(ApiError::etag_mismatch(score.name));
        }
        sqlx::query("INSERT INTO value_score_history (client_id, revision, score_time, doc) VALUES ($1, $2, $3, $4)")
            .bind(&client_id)
            .bind(revision)
            .bind(now)
            .bind(bytes.clone())
            .execute(&mut *tx)
            .await?;
        let event = NewEvent {
            kind: SCORED,
            resource: &score.name,
            aggregate: &score.client,
            request_id: ctx.request_id,
            payload: bytes,
        };
        let sequence = self.feed.append(&mut tx, event).await?;
        let detail = format!("tier={label} composite={} model=v{}", score.composite_score, score.model_version);
        audit::append_write(&mut tx, ctx, &score.name, detail).await?;
        self.feed.commit(tx, sequence).await?;
        Ok((score, true))
    }

    pub(super) async fn read_score(&self, client_id: &str) -> ApiResult<Option<ValueScore>> {
        let row = sqlx::query("SELECT doc FROM value_scores WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.db.reader())
            .await?;
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn read_score_at(&self, client_id: &str, at: i64) -> ApiResult<Option<ValueScore>> {
        let row = sqlx::query(
            "SELECT doc FROM value_score_history WHERE client_id = $1 AND score_time <= $2 \
             ORDER BY revision DESC LIMIT 1",
        )
        .bind(client_id)
        .bind(at)
        .fetch_optional(self.db.reader())
        .await?;
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn read_scored_facts(&self, client_id: &str) -> ApiResult<Option<ScoredFacts>> {
        let row =
            sqlx::query("SELECT profile_grade, parent_id, access, revision FROM value_scores WHERE client_id = $1")
                .bind(client_id)
                .fetch_optional(self.db.reader())
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

    pub(super) async fn clear_score_access(&self, client_id: &str) -> ApiResult<bool> {
        let mut tx = self.db.begin_write().await?;
        let cleared = sqlx::query(
            "UPDATE value_scores SET access = '', revision = revision + 1 WHERE client_id = $1 AND access <> ''",
        )
        .bind(client_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(cleared > 0)
    }

    pub(super) async fn read_scores(&self, client_ids: &[String]) -> ApiResult<Vec<ValueScore>> {
        let mut out = Vec::with_capacity(client_ids.len());
        for chunk in client_ids.chunks(500) {
            // Only numbered placeholders go into the SQL text; the ids are bound.
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT doc FROM value_scores WHERE client_id IN ({})", marks.join(", "));
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                query = query.bind(id);
            }
            out.extend(docs::<ValueScore>(&query.fetch_all(self.db.reader()).await?)?);
        }
        Ok(out)
    }

    pub(super) async fn read_score_page(&self, scan: &ScoreScan) -> ApiResult<Vec<ValueScore>> {
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
                .fetch_all(self.db.reader())
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
                .fetch_all(self.db.reader())
                .await?
            }
        };
        docs(&rows)
    }

    pub(super) async fn read_key_account_count(&self, access: &str, client_id: &str) -> ApiResult<i64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM value_scores WHERE access = $1 AND tier = 'KEY_ACCOUNT' AND client_id <> $2",
        )
        .bind(access)
        .bind(client_id)
        .fetch_one(self.db.reader())
        .await?;
        Ok(count)
    }
}
