//! `crm reindex`: rebuilds what is derived from each record (search grams, duplicate keys,
//! lookup keys), brings contact phones to E.164 (read in the client's country) and seals what a database written before encryption was on still holds in
//! clear — the record, its contacts, its history and its change events. Idempotent; runs
//! beside a live service, one transaction per batch.

use crm_kit::{ApiResult, call::WriteCtx, crypto::FieldCipher, write::Work};
use crm_proto::crm::profile::v1::{Client, Contact};
use sqlx::Row as _;

use super::{
    ProfileStore, keys, records,
    sealed::{Stored, decode, decode_all, encode},
    search::{index_names, record_key},
};

impl ProfileStore {
    /// Reindexes and seals up to `limit` clients after id `after` (writing as `ctx`);
    /// returns the last id, `None` when there was none left.
    pub async fn reindex_batch(&self, ctx: WriteCtx<'_>, after: &str, limit: usize) -> ApiResult<Option<String>> {
        let rows = sqlx::query("SELECT doc FROM clients WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.reader())
            .await?;
        let clients: Vec<Client> = decode_all(&self.cipher, &rows)?;
        let Some(last) = clients.last().map(|c| c.name.trim_start_matches("clients/").to_owned()) else {
            return Ok(None);
        };
        self.writer
            .run(ctx, async |w| {
                for client in &clients {
                    reindex_one(w, &self.cipher, client).await?;
                }
                Ok(())
            })
            .await?;
        Ok(Some(last))
    }
}

async fn reindex_one(w: &mut Work<'_>, cipher: &FieldCipher, client: &Client) -> ApiResult<()> {
    let id = client.name.trim_start_matches("clients/");
    // The search keys afresh: normalisation may have changed since they were written.
    sqlx::query("DELETE FROM search_grams WHERE client_id = $1").bind(id).execute(w.conn()).await?;
    index_names(w.conn(), id, None, client).await?;
    sqlx::query("UPDATE clients SET name_key = $1, doc = $2 WHERE id = $3")
        .bind(record_key(client))
        .bind(encode(cipher, client))
        .bind(id)
        .execute(w.conn())
        .await?;
    // Every lookup key again, under its blind index where it has one.
    sqlx::query("DELETE FROM client_keys WHERE client_id = $1").bind(id).execute(w.conn()).await?;
    if client.merged_into.is_empty() {
        keys::replace(w.conn(), cipher, id, &client.name, &[], &keys::client_keys("client", client)).await?;
    }
    let contacts: Vec<Contact> = decode_all(
        cipher,
        &sqlx::query("SELECT doc FROM contacts WHERE client_id = $1").bind(id).fetch_all(w.conn()).await?,
    )?;
    for contact in &contacts {
        let contact = &renormalised(contact, &client.country_code);
        let contact_id = contact.name.rsplit('/').next().unwrap_or_default();
        sqlx::query("UPDATE contacts SET doc = $1 WHERE id = $2")
            .bind(encode(cipher, contact))
            .bind(contact_id)
            .execute(w.conn())
            .await?;
        if contact.delete_time.is_none() && client.merged_into.is_empty() {
            keys::replace(w.conn(), cipher, id, &contact.name, &[], &records::contact_keys(contact)).await?;
        }
    }
    let accounts: Vec<(String, String)> =
        sqlx::query_as("SELECT id, account_number FROM holdings WHERE client_id = $1")
            .bind(id)
            .fetch_all(w.conn())
            .await?;
    if client.merged_into.is_empty() {
        for (holding_id, account) in accounts {
            let key = [(crate::domain::lookup::LookupKey::account(&account), "holding.account_number".to_owned())];
            let owner = crate::domain::names::child_name(id, "holdings", &holding_id);
            keys::replace(w.conn(), cipher, id, &owner, &[], &key).await?;
        }
    }
    reseal_history(w, cipher, id).await?;
    reseal_events(w, cipher, &client.name).await
}

/// `contact` with its phone in E.164 form, read in `country` when it has no country code
/// (kept as it is when libphonenumber cannot read it: the record is not the place to lose it).
fn renormalised(contact: &Contact, country: &str) -> Contact {
    let mut contact = contact.clone();
    if let Some(e164) = crate::domain::phone::e164(&contact.phone, country) {
        contact.phone = e164;
    }
    contact
}

async fn reseal_history(w: &mut Work<'_>, cipher: &FieldCipher, id: &str) -> ApiResult<()> {
    let rows = sqlx::query("SELECT revision, doc FROM client_revisions WHERE client_id = $1")
        .bind(id)
        .fetch_all(w.conn())
        .await?;
    for row in rows {
        let revision: i64 = row.try_get("revision")?;
        let stored: Client = decode(cipher, &row)?;
        sqlx::query("UPDATE client_revisions SET doc = $1 WHERE client_id = $2 AND revision = $3")
            .bind(encode(cipher, &stored))
            .bind(id)
            .bind(revision)
            .execute(w.conn())
            .await?;
    }
    Ok(())
}

/// The client's and its contacts' change events, sealed where they carry state.
async fn reseal_events(w: &mut Work<'_>, cipher: &FieldCipher, aggregate: &str) -> ApiResult<()> {
    let rows = sqlx::query("SELECT sequence, kind, payload FROM outbox WHERE aggregate = $1")
        .bind(aggregate)
        .fetch_all(w.conn())
        .await?;
    for row in rows {
        let (sequence, kind, payload): (i64, String, Vec<u8>) =
            (row.try_get("sequence")?, row.try_get("kind")?, row.try_get("payload")?);
        if payload.is_empty() {
            continue;
        }
        let sealed = match kind.split('.').next() {
            Some("client") => encode(cipher, &reopen::<Client>(cipher, &payload)?),
            Some("contact") => encode(cipher, &reopen::<Contact>(cipher, &payload)?),
            _ => continue,
        };
        sqlx::query("UPDATE outbox SET payload = $1 WHERE sequence = $2")
            .bind(sealed)
            .bind(sequence)
            .execute(w.conn())
            .await?;
    }
    Ok(())
}

fn reopen<M: Stored>(cipher: &FieldCipher, payload: &[u8]) -> ApiResult<M> {
    super::sealed::decode_payload(cipher, payload)
}
