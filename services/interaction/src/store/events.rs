//! Reads of this service's change feed: all of it (WatchChanges), and one client's events
//! through the outbox's per-aggregate index (StreamTimeline's backlog).

use crm_kit::{
    ApiResult,
    feed::{FeedEvent, row_to_event},
};
use futures::Stream;

use super::{
    InteractionStore,
    query::{placeholders, sql_limit},
};

impl InteractionStore {
    /// Committed changes after `after`: the backlog, then live events as they commit.
    pub fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.writer.watch(after)
    }

    /// The sequence of the last committed change (0 when there is none).
    pub async fn head_sequence(&self) -> ApiResult<i64> {
        let head: Option<i64> = sqlx::query_scalar("SELECT MAX(sequence) FROM outbox").fetch_one(self.reader()).await?;
        Ok(head.unwrap_or(0))
    }

    /// The committed changes of `clients` (names, `clients/{client}`) with
    /// `after < sequence <= up_to`, in order, at most `limit`.
    pub async fn client_events(
        &self,
        clients: &[String],
        after: i64,
        up_to: i64,
        limit: usize,
    ) -> ApiResult<Vec<FeedEvent>> {
        if clients.is_empty() {
            return Ok(Vec::new());
        }
        // Only generated placeholders go into the text; every value is bound.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT sequence, commit_time, kind, resource, aggregate, request_id, traceparent, payload FROM outbox \
             WHERE sequence > $1 AND sequence <= $2 AND aggregate IN ({}) ORDER BY sequence LIMIT $3",
            placeholders(4, clients.len())
        ));
        let query = sqlx::query(sql).bind(after).bind(up_to).bind(sql_limit(limit));
        let rows = clients.iter().fold(query, |q, c| q.bind(c.clone())).fetch_all(self.reader()).await?;
        rows.iter().map(row_to_event).collect()
    }
}
