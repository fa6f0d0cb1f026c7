//! Clients: reads, creates and changes.

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    time::{self, now_micros},
};
use crm_proto::crm::profile::v1::Client;
use sqlx::AssertSqlSafe;

use super::sealed::{decode, decode_all, encode};
use super::{
    ChangeKind, ClientOrder, ClientScan, ProfileStore, SortKey, history, keys,
    records::{self, client_for_write, write_revision},
};
use crate::domain::{
    client::{etag, set_facts},
    lookup::LookupKey,
    names,
};

impl ProfileStore {
    /// One client, as stored now.
    pub async fn client(&self, id: &str) -> ApiResult<Option<Client>> {
        let seen = match &self.cache {
            Some(cache) => match cache.get(id) {
                Some(client) => return Ok(Some(client)),
                None => Some(cache.generation()),
            },
            None => None,
        };
        let row = sqlx::query("SELECT doc FROM clients WHERE id = $1").bind(id).fetch_optional(self.reader()).await?;
        let client: Option<Client> = row.as_ref().map(|row| decode(&self.cipher, row)).transpose()?;
        if let (Some(cache), Some(seen), Some(found)) = (&self.cache, seen, &client) {
            cache.offer(id, found, seen);
        }
        Ok(client)
    }

    /// Several clients; missing ones are absent from the result.
    pub async fn clients(&self, ids: &[String]) -> ApiResult<Vec<Client>> {
        let mut found = Vec::with_capacity(ids.len());
        // One round trip per chunk; placeholders are generated, values are bound.
        for chunk in ids.chunks(100) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = AssertSqlSafe(format!("SELECT doc FROM clients WHERE id IN ({})", placeholders.join(", ")));
            let query = chunk.iter().fold(sqlx::query(sql), |q, id| q.bind(id));
            found.extend(decode_all::<Client>(&self.cipher, &query.fetch_all(self.reader()).await?)?);
        }
        Ok(found)
    }

    /// Whether no client was ever stored (deleted ones count).
    pub async fn is_empty(&self) -> ApiResult<bool> {
        let any: Option<String> =
            sqlx::query_scalar("SELECT id FROM clients LIMIT 1").fetch_optional(self.reader()).await?;
        Ok(any.is_none())
    }

    /// Clients in keyset order.
    pub async fn scan_clients(&self, scan: &ClientScan) -> ApiResult<Vec<Client>> {
        let column = match scan.order {
            ClientOrder::Name => "id",
            ClientOrder::DisplayName => "display_key",
            ClientOrder::CreateTime => "create_time",
            ClientOrder::AnnualTurnover => "turnover_units",
        };
        let (cmp, dir) = if scan.descending { ("<", "DESC") } else { (">", "ASC") };
        let mut conditions = Vec::new();
        if !scan.show_deleted {
            conditions.push("delete_time IS NULL".to_owned());
        }
        let mut next = 1;
        if scan.after.is_some() {
            if scan.order == ClientOrder::Name {
                conditions.push(format!("id {cmp} $1"));
                next = 2;
            } else {
                conditions.push(format!("({column}, id) {cmp} ($1, $2)"));
                next = 3;
            }
        }
        let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let order =
            if scan.order == ClientOrder::Name { format!("id {dir}") } else { format!("{column} {dir}, id {dir}") };
        // Column names and directions come from the enums above; every value is bound.
        let sql = AssertSqlSafe(format!("SELECT doc FROM clients {filter} ORDER BY {order} LIMIT ${next}"));
        let mut query = sqlx::query(sql);
        if let Some(after) = &scan.after {
            query = match &after.key {
                SortKey::Text(text) => query.bind(text.clone()),
                SortKey::Int(n) => query.bind(*n),
                SortKey::None => query,
            };
            query = query.bind(after.id.clone());
        }
        let limit = i64::try_from(scan.limit).unwrap_or(i64::MAX);
        let rows = query.bind(limit).fetch_all(self.reader()).await?;
        decode_all(&self.cipher, &rows)
    }

    /// Live clients holding an identifier.
    pub async fn lookup(&self, key: &LookupKey) -> ApiResult<Vec<Client>> {
        let rows = sqlx::query(
            "SELECT doc FROM clients WHERE delete_time IS NULL AND id IN \
             (SELECT client_id FROM client_keys WHERE kind = $1 AND value = $2) ORDER BY id LIMIT 20",
        )
        .bind(key.kind)
        .bind(super::sealed::key_value(&self.cipher, key))
        .fetch_all(self.reader())
        .await?;
        decode_all(&self.cipher, &rows)
    }

    /// Stores a new client under a new id. With an idempotency key in `ctx`, a replay returns
    /// the client the first request created.
    pub async fn create_client(&self, ctx: WriteCtx<'_>, mut client: Client) -> ApiResult<Client> {
        let now = Some(time::to_timestamp(now_micros()));
        client.name = names::client_name(&names::new_id());
        client.etag = etag(1);
        (client.create_time, client.update_time, client.delete_time) = (now, now, None);
        client.merged_into.clear();
        let name = client.name.clone();
        self.writer
            .create(
                ctx,
                &name,
                async move |w| {
                    records::insert_client(w.conn(), &self.cipher, "client", &client).await?;
                    history::append_revision(
                        w.conn(),
                        &self.cipher,
                        Some(ctx),
                        "CREATED",
                        &set_facts(&client),
                        &client,
                    )
                    .await?;
                    w.record("client.CREATED", &client.name, &client.name, encode(&self.cipher, &client)).await?;
                    Ok(client)
                },
                async |prior| {
                    let id = names::client_id("name", prior)?;
                    self.client(id).await?.ok_or_else(|| ApiError::not_found("the client of this request_id"))
                },
            )
            .await
    }

    /// Replaces a client with what `mutation` makes of its current state (`None` when it
    /// does not exist), inside the write: the mutation decides whether the caller may.
    pub async fn update_client(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        kind: ChangeKind,
        mutation: impl FnOnce(Option<&Client>) -> ApiResult<Client>,
    ) -> ApiResult<Client> {
        self.writer
            .run(ctx, async |w| {
                let current = client_for_write(w, &self.cipher, id).await?;
                let mut next = mutation(current.as_ref())?;
                let current = current.ok_or_else(|| ApiError::not_found(names::client_name(id)))?;
                next.name.clone_from(&current.name);
                next.create_time = current.create_time;
                next.merged_into.clone_from(&current.merged_into);
                if !next.parent.is_empty() && next.parent != current.parent {
                    records::check_parent(w.conn(), id, &next.parent, "client.parent").await?;
                }
                let (old_keys, new_keys) = (keys::client_keys("client", &current), keys::client_keys("client", &next));
                keys::replace(w.conn(), &self.cipher, id, &next.name, &old_keys, &new_keys).await?;
                write_revision(w, &self.cipher, ctx, &current, next, kind.as_str(), &current.name).await
            })
            .await
    }
}
