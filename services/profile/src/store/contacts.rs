//! SQL implementation of the store: changing and removing contacts.

use crm_kit::{
    ApiError, ApiResult,
    db::Backend,
    time::{self, now_micros},
};
use crm_proto::crm::profile::v1::Contact;
use prost::Message;

use super::{Guard, SqlProfileStore, WriteCtx, children::contact_keys, keys, rows};
use crate::domain::{
    client::{etag, revision_of},
    names,
};

impl SqlProfileStore {
    /// Replaces a live contact with what `mutation` makes of it; a result with `delete_time`
    /// set removes it (kept in the table and the feed, its phone and e-mail stop resolving).
    pub(super) async fn update_contact_row<G, M>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        contact_id: &str,
        guard: G,
        mutation: M,
    ) -> ApiResult<Contact>
    where
        G: Guard,
        M: FnOnce(&Contact) -> ApiResult<Contact> + Send,
    {
        let mut tx = self.db.begin_write().await?;
        let client = self.guarded_parent(&mut tx, client_id, guard).await?;
        let sql = match self.db.backend() {
            Backend::Sqlite => "SELECT doc FROM contacts WHERE id = $1 AND client_id = $2",
            Backend::Postgres => "SELECT doc FROM contacts WHERE id = $1 AND client_id = $2 FOR UPDATE",
        };
        let row = sqlx::query(sql).bind(contact_id).bind(client_id).fetch_optional(&mut *tx).await?;
        let name = names::child_name(client_id, "contacts", contact_id);
        let current: Contact = match row.as_ref().map(rows::doc::<Contact>).transpose()? {
            Some(contact) if contact.delete_time.is_none() => contact,
            _ => return Err(ApiError::not_found(name)),
        };
        let mut next = mutation(&current)?;
        let revision = revision_of(&current.etag) + 1;
        next.name.clone_from(&current.name);
        next.create_time = current.create_time;
        next.update_time = Some(time::to_timestamp(now_micros()));
        next.etag = etag(revision);
        let removed = next.delete_time.is_some();
        let new_keys = if removed { Vec::new() } else { contact_keys(&next) };
        keys::replace(&mut tx, client_id, &name, &contact_keys(&current), &new_keys).await?;
        sqlx::query("UPDATE contacts SET revision = $1, delete_time = $2, doc = $3 WHERE id = $4")
            .bind(revision)
            .bind(next.delete_time.as_ref().map(time::from_timestamp))
            .bind(next.encode_to_vec())
            .bind(contact_id)
            .execute(&mut *tx)
            .await?;
        let kind = if removed { "contact.DELETED" } else { "contact.UPDATED" };
        let seq = self.feed.record(&mut tx, ctx, kind, &name, &client.name, next.encode_to_vec()).await?;
        self.feed.commit(tx, seq).await?;
        Ok(next)
    }
}
