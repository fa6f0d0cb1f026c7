//! SQL of content items: the latest version in `content_items`, every version in
//! `content_versions` (never changed).

use crm_kit::{
    ApiError, ApiResult,
    db::Backend,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::ContentItem;
use prost::Message;
use sqlx::{Any, Transaction};

use super::{
    Idempotency, WriteCtx,
    sql::{SqlInteractionStore, doc},
};
use crate::domain::names;

/// `contentItems/{id}`.
pub fn content_name(id: &str) -> String {
    format!("contentItems/{id}")
}

impl SqlInteractionStore {
    /// Writes `item` as the latest version (inserting the item row when `insert`) and keeps
    /// the version; returns false when an insert found the id taken.
    async fn write_version(
        tx: &mut Transaction<'_, Any>,
        id: &str,
        item: &ContentItem,
        insert: bool,
    ) -> ApiResult<bool> {
        let sql = if insert {
            "INSERT INTO content_items (version, doc, id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
        } else {
            "UPDATE content_items SET version = $1, doc = $2 WHERE id = $3"
        };
        let written = sqlx::query(sql)
            .bind(item.version)
            .bind(item.encode_to_vec())
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if written == 0 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO content_versions (id, version, doc) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(item.version)
            .bind(item.encode_to_vec())
            .execute(&mut **tx)
            .await?;
        Ok(true)
    }

    pub(super) async fn insert_content(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        item: ContentItem,
        idem: Option<Idempotency>,
    ) -> ApiResult<ContentItem> {
        if let Some(prior) = self.prior(ctx, idem.as_ref()).await? {
            return self.replay_content(&prior).await;
        }
        let mut tx = self.db.begin_write().await?;
        if let Some(prior) = Self::claim(&mut tx, ctx, idem.as_ref(), &item.name).await? {
            drop(tx);
            return self.replay_content(&prior).await;
        }
        if !Self::write_version(&mut tx, id, &item, true).await? {
            return Err(ApiError::already_exists("CONTENT_ITEM_EXISTS", format!("{} already exists", item.name))
                .with_metadata("resource", item.name.clone()));
        }
        let seq = self.feed.record(&mut tx, ctx, "content_item.CREATED", &item.name, "", item.encode_to_vec()).await?;
        self.feed.commit(tx, seq).await?;
        Ok(item)
    }

    async fn replay_content(&self, name: &str) -> ApiResult<ContentItem> {
        let id = name.strip_prefix("contentItems/").unwrap_or(name);
        self.read_content(id, None).await?.ok_or_else(|| ApiError::not_found(name))
    }

    pub(super) async fn read_content(&self, id: &str, version: Option<i64>) -> ApiResult<Option<ContentItem>> {
        let row = match version {
            None => {
                sqlx::query("SELECT doc FROM content_items WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.db.reader())
                    .await?
            }
            Some(v) => {
                sqlx::query("SELECT doc FROM content_versions WHERE id = $1 AND version = $2")
                    .bind(id)
                    .bind(v)
                    .fetch_optional(self.db.reader())
                    .await?
            }
        };
        row.as_ref().map(doc).transpose()
    }

    pub(super) async fn change_content<M: FnOnce(&ContentItem) -> ApiResult<ContentItem> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        mutation: M,
    ) -> ApiResult<ContentItem> {
        let mut tx = self.db.begin_write().await?;
        let sql = match self.db.backend() {
            Backend::Sqlite => "SELECT doc FROM content_items WHERE id = $1",
            Backend::Postgres => "SELECT doc FROM content_items WHERE id = $1 FOR UPDATE",
        };
        let row = sqlx::query(sql).bind(id).fetch_optional(&mut *tx).await?;
        let Some(current) = row.as_ref().map(doc::<ContentItem>).transpose()? else {
            return Err(ApiError::not_found(content_name(id)));
        };
        let mut next = mutation(&current)?;
        next.name.clone_from(&current.name);
        next.create_time = current.create_time;
        next.version = current.version + 1;
        next.etag = names::etag(next.version);
        next.update_time = Some(to_timestamp(now_micros()));
        Self::write_version(&mut tx, id, &next, false).await?;
        let seq = self.feed.record(&mut tx, ctx, "content_item.UPDATED", &next.name, "", next.encode_to_vec()).await?;
        self.feed.commit(tx, seq).await?;
        Ok(next)
    }
}
