//! SQL of content items: the latest version in `content_items`, every version in
//! `content_versions` (never changed).

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    db::{Backend, doc},
    time::{now_micros, to_timestamp},
    write::Work,
};
use crm_proto::crm::interaction::v1::ContentItem;
use prost::Message;
use sqlx::AnyConnection;

use super::InteractionStore;
use crate::domain::names;

/// Writes `item` as the latest version (inserting the item row when `insert`) and keeps the
/// version; returns false when an insert found the id taken.
async fn write_version(conn: &mut AnyConnection, id: &str, item: &ContentItem, insert: bool) -> ApiResult<bool> {
    let sql = if insert {
        "INSERT INTO content_items (version, doc, id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
    } else {
        "UPDATE content_items SET version = $1, doc = $2 WHERE id = $3"
    };
    let written = sqlx::query(sql)
        .bind(item.version)
        .bind(item.encode_to_vec())
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if written == 0 {
        return Ok(false);
    }
    sqlx::query("INSERT INTO content_versions (id, version, doc) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(item.version)
        .bind(item.encode_to_vec())
        .execute(conn)
        .await?;
    Ok(true)
}

impl InteractionStore {
    /// Stores a new content item (version 1, name and times set) under `id`; ALREADY_EXISTS
    /// when the id is taken. A replay of its create returns the item's latest version.
    pub async fn create_content(&self, ctx: WriteCtx<'_>, id: &str, item: ContentItem) -> ApiResult<ContentItem> {
        let name = item.name.clone();
        let work = async move |w: &mut Work<'_>| {
            if !write_version(w.conn(), id, &item, true).await? {
                return Err(ApiError::already_exists("CONTENT_ITEM_EXISTS", format!("{} already exists", item.name))
                    .with_metadata("resource", item.name.clone()));
            }
            w.record("content_item.CREATED", &item.name, "", item.encode_to_vec()).await?;
            Ok(item)
        };
        let replay = async |prior: &str| {
            let id = prior.strip_prefix("contentItems/").unwrap_or(prior);
            self.get_content(id, None).await?.ok_or_else(|| ApiError::not_found(prior))
        };
        self.writer.create(ctx, &name, work, replay).await
    }

    /// A content item: the latest version, or `version`.
    pub async fn get_content(&self, id: &str, version: Option<i64>) -> ApiResult<Option<ContentItem>> {
        let row = match version {
            None => {
                sqlx::query("SELECT doc FROM content_items WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?
            }
            Some(v) => {
                sqlx::query("SELECT doc FROM content_versions WHERE id = $1 AND version = $2")
                    .bind(id)
                    .bind(v)
                    .fetch_optional(self.reader())
                    .await?
            }
        };
        row.as_ref().map(doc).transpose()
    }

    /// Writes the next version of a content item from what `mutation` makes of the latest
    /// (read in the write transaction, its row locked on PostgreSQL); NOT_FOUND if absent.
    pub async fn update_content(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        mutation: impl FnOnce(&ContentItem) -> ApiResult<ContentItem> + Send,
    ) -> ApiResult<ContentItem> {
        self.writer
            .run(ctx, async move |w| {
                let sql = match w.backend() {
                    Backend::Sqlite => "SELECT doc FROM content_items WHERE id = $1",
                    Backend::Postgres => "SELECT doc FROM content_items WHERE id = $1 FOR UPDATE",
                };
                let row = sqlx::query(sql).bind(id).fetch_optional(w.conn()).await?;
                let Some(current) = row.as_ref().map(doc::<ContentItem>).transpose()? else {
                    return Err(ApiError::not_found(names::content_name(id)));
                };
                let mut next = mutation(&current)?;
                next.name.clone_from(&current.name);
                next.create_time = current.create_time;
                next.version = current.version + 1;
                next.etag = names::etag(next.version);
                next.update_time = Some(to_timestamp(now_micros()));
                write_version(w.conn(), id, &next, false).await?;
                w.record("content_item.UPDATED", &next.name, "", next.encode_to_vec()).await?;
                Ok(next)
            })
            .await
    }
}
