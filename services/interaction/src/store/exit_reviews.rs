//! SQL of exit reviews and of the tiers and stages seen on the feeds that open them.

use std::collections::HashMap;

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    db::{Backend, doc},
    time::{from_timestamp, now_micros},
    write::Work,
};
use crm_proto::crm::interaction::v1::{ExitReview, ExitReviewState};
use prost::Message;
use sqlx::Row;

use super::{
    InteractionStore, Keyset,
    query::{self, Table},
};
use crate::domain::{
    exit_review::{self, Seen},
    names,
};

const REVIEWS: Table = Table { name: "exit_reviews", collection: names::EXIT_REVIEWS, time: "create_time" };

/// The value of `seen`'s signal last seen for its client, and the sequence it came with.
async fn last_seen(w: &mut Work<'_>, seen: &Seen) -> ApiResult<Option<(String, i64)>> {
    let row = sqlx::query("SELECT value, sequence FROM review_signals WHERE client_id = $1 AND signal = $2")
        .bind(&seen.client_id)
        .bind(seen.signal.as_str())
        .fetch_optional(w.conn())
        .await?;
    Ok(row.map(|r| (r.get::<String, _>(0), r.get::<i64, _>(1))))
}

async fn has_open_review(w: &mut Work<'_>, client_id: &str) -> ApiResult<bool> {
    let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exit_reviews WHERE client_id = $1 AND state = $2")
        .bind(client_id)
        .bind(i64::from(ExitReviewState::Open as i32))
        .fetch_one(w.conn())
        .await?;
    Ok(open > 0)
}

async fn insert_review(w: &mut Work<'_>, client_id: &str, review: &ExitReview) -> ApiResult<()> {
    let (_, id) = names::child_id("name", &review.name, names::EXIT_REVIEWS)?;
    sqlx::query("INSERT INTO exit_reviews (id, client_id, state, create_time, doc) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(client_id)
        .bind(i64::from(review.state))
        .bind(review.create_time.as_ref().map_or(0, from_timestamp))
        .bind(review.encode_to_vec())
        .execute(w.conn())
        .await?;
    w.record("exit_review.CREATED", &review.name, &review.client, review.encode_to_vec()).await?;
    Ok(())
}

impl InteractionStore {
    /// Records the tiers or stages a feed reported, in feed order, and opens a review for
    /// each client entering REVIEW_FOR_EXIT or EXITING that has none open (owned by the
    /// relationship manager the event carries, else the one in `owners`). Idempotent: an
    /// event at or below the last sequence of its client and signal is ignored. Returns the
    /// reviews opened.
    pub async fn apply_signals(
        &self,
        ctx: WriteCtx<'_>,
        seen: &[Seen],
        owners: &HashMap<String, String>,
    ) -> ApiResult<Vec<ExitReview>> {
        if seen.is_empty() {
            return Ok(Vec::new());
        }
        self.writer
            .run(ctx, async |w| {
                let mut opened = Vec::new();
                for signal in seen {
                    let last = last_seen(w, signal).await?;
                    if last.as_ref().is_some_and(|(_, sequence)| *sequence >= signal.sequence) {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO review_signals (client_id, signal, value, sequence) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (client_id, signal) DO UPDATE SET value = excluded.value, sequence = excluded.sequence",
                    )
                    .bind(&signal.client_id)
                    .bind(signal.signal.as_str())
                    .bind(&signal.value)
                    .bind(signal.sequence)
                    .execute(w.conn())
                    .await?;
                    let previous = last.as_ref().map(|(v, _)| v.as_str());
                    if !exit_review::enters_review(signal.signal, previous, &signal.value)
                        || has_open_review(w, &signal.client_id).await?
                    {
                        continue;
                    }
                    let owner = signal.owner.as_ref().or_else(|| owners.get(&signal.client_id));
                    let mut review =
                        exit_review::open(signal, previous, owner.map_or("", String::as_str), now_micros());
                    review.name = names::child_name(&signal.client_id, names::EXIT_REVIEWS, &names::new_id());
                    review.etag = names::etag(1);
                    insert_review(w, &signal.client_id, &review).await?;
                    opened.push(review);
                }
                Ok(opened)
            })
            .await
    }

    /// One exit review of a client.
    pub async fn get_exit_review(&self, client_id: &str, id: &str) -> ApiResult<Option<ExitReview>> {
        query::one(self.reader(), &REVIEWS, client_id, id).await
    }

    /// Replaces a review with what `mutation` makes of it (NOT_FOUND if absent), read in the
    /// write transaction (its row locked on PostgreSQL); sets the etag.
    pub async fn update_exit_review(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        id: &str,
        mutation: impl FnOnce(&ExitReview) -> ApiResult<ExitReview> + Send,
    ) -> ApiResult<ExitReview> {
        self.writer
            .run(ctx, async move |w| {
                let sql = match w.backend() {
                    Backend::Sqlite => "SELECT doc FROM exit_reviews WHERE id = $1 AND client_id = $2",
                    Backend::Postgres => "SELECT doc FROM exit_reviews WHERE id = $1 AND client_id = $2 FOR UPDATE",
                };
                let row = sqlx::query(sql).bind(id).bind(client_id).fetch_optional(w.conn()).await?;
                let Some(current) = row.as_ref().map(doc::<ExitReview>).transpose()? else {
                    return Err(ApiError::not_found(names::child_name(client_id, names::EXIT_REVIEWS, id)));
                };
                let mut next = mutation(&current)?;
                next.name.clone_from(&current.name);
                next.client.clone_from(&current.client);
                next.create_time = current.create_time;
                next.etag = names::etag(names::revision_of(&current.etag) + 1);
                next.overdue = false;
                sqlx::query("UPDATE exit_reviews SET state = $1, doc = $2 WHERE id = $3 AND client_id = $4")
                    .bind(i64::from(next.state))
                    .bind(next.encode_to_vec())
                    .bind(id)
                    .bind(client_id)
                    .execute(w.conn())
                    .await?;
                w.record("exit_review.UPDATED", &next.name, &next.client, next.encode_to_vec()).await?;
                Ok(next)
            })
            .await
    }

    /// A page of the exit reviews of `clients` (ids), newest first.
    pub async fn list_exit_reviews(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> ApiResult<Vec<ExitReview>> {
        query::newest_first(self.reader(), &REVIEWS, clients, &[], after, limit).await
    }
}
