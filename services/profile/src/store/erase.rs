//! Erasure: a client's personal data removed from every place the profile keeps it, in one
//! write — the record (and the records merged into it), contacts, account numbers, history,
//! lookup keys, search grams and the state carried by its change events — followed by one
//! `client.ERASED` event that tells the other services to erase theirs.

use crm_kit::{ApiError, ApiResult, call::WriteCtx, crypto::FieldCipher, time, write::Work};
use crm_proto::crm::profile::v1::{Client, Contact, Holding};

use super::{
    ProfileStore,
    records::{client_for_write, write_client_row},
    sealed::{decode_all, encode},
    search::index_names,
};
use crate::domain::{client::revision_of, erasure, names};

/// Deepest chain of merges followed.
const MAX_MERGED: usize = 64;

impl ProfileStore {
    /// Erases client `id` (NOT_FOUND when it does not exist; an erased client comes back as
    /// it is), keeping `reason` in the audit trail.
    pub async fn erase_client(&self, ctx: WriteCtx<'_>, id: &str, reason: &str) -> ApiResult<Client> {
        let name = names::client_name(id);
        let erased = self
            .writer
            .run(ctx, async |w| {
                let current = client_for_write(w, &self.cipher, id).await?;
                let current = current.ok_or_else(|| ApiError::not_found(&name))?;
                if current.erase_time.is_some() {
                    return Ok(current);
                }
                let now = time::to_timestamp(time::now_micros());
                // The records merged into this one hold the same person's data under old names.
                let mut ids = vec![id.to_owned()];
                let mut at = 0;
                while at < ids.len() && ids.len() < MAX_MERGED {
                    let merged: Vec<String> = sqlx::query_scalar("SELECT id FROM clients WHERE merged_into = $1")
                        .bind(names::client_name(&ids[at]))
                        .fetch_all(w.conn())
                        .await?;
                    for m in merged {
                        if !ids.contains(&m) {
                            ids.push(m);
                        }
                    }
                    at += 1;
                }
                let mut erased = current.clone();
                for (n, each) in ids.iter().enumerate() {
                    let record =
                        if n == 0 { Some(current.clone()) } else { client_for_write(w, &self.cipher, each).await? };
                    let Some(record) = record else { continue };
                    let done = erase_one(w, &self.cipher, &record, now).await?;
                    if n == 0 {
                        erased = done;
                    }
                }
                w.audit(&name, format!("erasure reason: {reason}")).await?;
                w.record("client.ERASED", &name, &name, Vec::new()).await?;
                Ok(erased)
            })
            .await;
        // The records merged into it changed too, without events of their own.
        if let Some(cache) = &self.cache {
            cache.clear();
        }
        erased
    }
}

/// Erases one client record and everything of it the profile keeps.
async fn erase_one(
    w: &mut Work<'_>,
    cipher: &FieldCipher,
    current: &Client,
    now: prost_types::Timestamp,
) -> ApiResult<Client> {
    let id = current.name.trim_start_matches("clients/");
    let mut erased = erasure::client(current, now);
    let revision = revision_of(&current.etag) + 1;
    erased.etag = crate::domain::client::etag(revision);
    erased.update_time = Some(now);
    index_names(w.conn(), id, Some(current), &Client { delete_time: Some(now), ..erased.clone() }).await?;
    write_client_row(w.conn(), cipher, &erased, revision, false).await?;
    sqlx::query("UPDATE clients SET name_key = '' WHERE id = $1").bind(id).execute(w.conn()).await?;
    let contacts: Vec<Contact> = decode_all(
        cipher,
        &sqlx::query("SELECT doc FROM contacts WHERE client_id = $1").bind(id).fetch_all(w.conn()).await?,
    )?;
    for contact in &contacts {
        let gone = erasure::contact(contact, now);
        sqlx::query("UPDATE contacts SET delete_time = $1, doc = $2 WHERE id = $3")
            .bind(time::from_timestamp(&now))
            .bind(encode(cipher, &gone))
            .bind(contact.name.rsplit('/').next().unwrap_or_default())
            .execute(w.conn())
            .await?;
    }
    let holdings: Vec<Holding> = decode_all(
        cipher,
        &sqlx::query("SELECT doc FROM holdings WHERE client_id = $1").bind(id).fetch_all(w.conn()).await?,
    )?;
    for holding in &holdings {
        let kept = erasure::holding(holding);
        sqlx::query("UPDATE holdings SET account_number = $1, doc = $2 WHERE id = $3")
            .bind(&kept.account_number)
            .bind(encode(cipher, &kept))
            .bind(holding.name.rsplit('/').next().unwrap_or_default())
            .execute(w.conn())
            .await?;
    }
    for sql in ["DELETE FROM client_keys WHERE client_id = $1", "DELETE FROM client_revisions WHERE client_id = $1"] {
        sqlx::query(sql).bind(id).execute(w.conn()).await?;
    }
    // Change events keep their place in the feed (followers' cursors, the audit of what
    // happened) but no longer carry the state.
    sqlx::query("UPDATE outbox SET payload = $1 WHERE aggregate = $2")
        .bind(Vec::<u8>::new())
        .bind(&current.name)
        .execute(w.conn())
        .await?;
    Ok(erased)
}
