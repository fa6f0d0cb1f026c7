//! Contacts: added, changed, removed and listed under their client.

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    time::{self, now_micros},
};
use crm_proto::crm::profile::v1::Contact;

use super::sealed::encode;
use super::{
    Guard, ProfileStore, keys,
    records::{self, contact_for_write, contact_keys},
};
use crate::domain::{
    client::{etag, revision_of},
    names,
};

impl ProfileStore {
    /// Adds a contact to a live client; its phone and e-mail become lookup keys. With an
    /// idempotency key in `ctx`, a replay the guard allows returns the first contact.
    pub async fn create_contact(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: impl Guard,
        mut contact: Contact,
    ) -> ApiResult<Contact> {
        let now = Some(time::to_timestamp(now_micros()));
        contact.name = names::child_name(client_id, "contacts", &names::new_id());
        contact.etag = etag(1);
        (contact.create_time, contact.update_time, contact.delete_time) = (now, now, None);
        let (name, guard) = (contact.name.clone(), &guard);
        self.writer
            .create(
                ctx,
                &name,
                async move |w| {
                    let client = self.guarded_parent(w, client_id, guard).await?;
                    records::insert_contact(w.conn(), &self.cipher, client_id, &contact).await?;
                    w.record("contact.CREATED", &contact.name, &client.name, encode(&self.cipher, &contact)).await?;
                    Ok(contact)
                },
                async move |prior| {
                    guard(self.client(client_id).await?.as_ref())?;
                    let (_, prior_id) = names::child_id("name", prior, "contacts")?;
                    self.child("contacts", prior_id).await?.ok_or_else(|| ApiError::not_found(prior))
                },
            )
            .await
    }

    /// Replaces a live contact with what `mutation` makes of it; a result with `delete_time`
    /// set removes it (kept in the table and the feed, its phone and e-mail stop resolving).
    pub async fn change_contact(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        contact_id: &str,
        guard: impl Guard,
        mutation: impl FnOnce(&Contact) -> ApiResult<Contact>,
    ) -> ApiResult<Contact> {
        let name = names::child_name(client_id, "contacts", contact_id);
        self.writer
            .run(ctx, async |w| {
                let client = self.guarded_parent(w, client_id, &guard).await?;
                let current = match contact_for_write(w, &self.cipher, client_id, contact_id).await? {
                    Some(contact) if contact.delete_time.is_none() => contact,
                    _ => return Err(ApiError::not_found(&name)),
                };
                let mut next = mutation(&current)?;
                let revision = revision_of(&current.etag) + 1;
                next.name.clone_from(&current.name);
                next.create_time = current.create_time;
                next.update_time = Some(time::to_timestamp(now_micros()));
                next.etag = etag(revision);
                let removed = next.delete_time.is_some();
                let new_keys = if removed { Vec::new() } else { contact_keys(&next) };
                keys::replace(w.conn(), &self.cipher, client_id, &name, &contact_keys(&current), &new_keys).await?;
                sqlx::query("UPDATE contacts SET revision = $1, delete_time = $2, doc = $3 WHERE id = $4")
                    .bind(revision)
                    .bind(next.delete_time.as_ref().map(time::from_timestamp))
                    .bind(encode(&self.cipher, &next))
                    .bind(contact_id)
                    .execute(w.conn())
                    .await?;
                let kind = if removed { "contact.DELETED" } else { "contact.UPDATED" };
                w.record(kind, &name, &client.name, encode(&self.cipher, &next)).await?;
                Ok(next)
            })
            .await
    }

    /// A page of a client's live contacts after contact id `after`.
    pub async fn list_contacts(&self, client_id: &str, after: &str, limit: usize) -> ApiResult<Vec<Contact>> {
        self.page_children("contacts", client_id, after, limit).await
    }
}
