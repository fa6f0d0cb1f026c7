//! Merging a duplicate into its survivor in one write.

use std::collections::BTreeSet;

use crm_kit::{
    ApiError, ApiResult,
    call::WriteCtx,
    crypto::FieldCipher,
    time::{self, now_micros},
    write::Work,
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};

use super::sealed::{Stored, decode_all, encode, key_value};
use super::{
    ProfileStore, keys,
    records::{client_for_write, write_revision},
};
use crate::domain::{client::merged, names};

/// What a merge did.
#[derive(Clone, Debug, Default)]
pub struct MergeOutcome {
    /// The survivor after the merge.
    pub survivor: Client,
    /// The merged record after the merge.
    pub merged: Client,
    /// Fields of the survivor filled from the duplicate.
    pub filled: Vec<&'static str>,
    /// Live contacts moved to the survivor.
    pub contacts: i32,
    /// Holdings moved to the survivor.
    pub holdings: i32,
    /// Statements moved to the survivor.
    pub statements: i32,
    /// Statements left on the merged record (the survivor has the period).
    pub kept_statements: i32,
}

/// A table of records under a client.
#[derive(Clone, Copy)]
enum Children {
    Contacts,
    Holdings,
    Statements,
}

impl Children {
    fn select(self) -> &'static str {
        match self {
            Self::Contacts => "SELECT doc FROM contacts WHERE client_id = $1 ORDER BY id",
            Self::Holdings => "SELECT doc FROM holdings WHERE client_id = $1 ORDER BY id",
            Self::Statements => "SELECT doc FROM financial_statements WHERE client_id = $1 ORDER BY id",
        }
    }

    fn update(self) -> &'static str {
        match self {
            Self::Contacts => "UPDATE contacts SET client_id = $1, doc = $2 WHERE id = $3",
            Self::Holdings => "UPDATE holdings SET client_id = $1, doc = $2 WHERE id = $3",
            Self::Statements => "UPDATE financial_statements SET client_id = $1, doc = $2 WHERE id = $3",
        }
    }

    fn collection(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Holdings => "holdings",
            Self::Statements => "financialStatements",
        }
    }

    fn event(self) -> &'static str {
        match self {
            Self::Contacts => "contact.UPDATED",
            Self::Holdings => "holding.UPDATED",
            Self::Statements => "financial_statement.UPDATED",
        }
    }

    async fn of<M: Stored>(self, w: &mut Work<'_>, cipher: &FieldCipher, client_id: &str) -> ApiResult<Vec<M>> {
        decode_all(cipher, &sqlx::query(self.select()).bind(client_id).fetch_all(w.conn()).await?)
    }

    /// Renames a child of the duplicate (`name`) to its name under the survivor; returns its id.
    fn rename(self, name: &mut String, survivor_id: &str) -> String {
        let id = name.rsplit('/').next().unwrap_or_default().to_owned();
        *name = names::child_name(survivor_id, self.collection(), &id);
        id
    }

    /// Moves child `id` (renamed `name`) to the survivor and records its change under it.
    async fn move_to<M: Stored>(
        self,
        w: &mut Work<'_>,
        cipher: &FieldCipher,
        survivor_id: &str,
        id: &str,
        name: &str,
        child: &M,
    ) -> ApiResult<()> {
        let doc = encode(cipher, child);
        sqlx::query(self.update()).bind(survivor_id).bind(doc.clone()).bind(id).execute(w.conn()).await?;
        w.record(self.event(), name, &names::client_name(survivor_id), doc).await?;
        Ok(())
    }
}

impl ProfileStore {
    /// Merges `duplicate_id` into `survivor_id`: the survivor takes the facts it lacks, the
    /// contacts, holdings, statements (but for periods it has), identifiers and subsidiaries;
    /// the duplicate is deleted and points at it. `check` authorises each record (or its
    /// absence) before anything is revealed about it.
    pub async fn merge_clients(
        &self,
        ctx: WriteCtx<'_>,
        survivor_id: &str,
        duplicate_id: &str,
        expected_etag: &str,
        check: impl Fn(&str, Option<&Client>) -> ApiResult<()>,
    ) -> ApiResult<MergeOutcome> {
        self.writer
            .run(ctx, async |w| {
                let survivor = client_for_write(w, &self.cipher, survivor_id).await?;
                check(&names::client_name(survivor_id), survivor.as_ref())?;
                let duplicate = client_for_write(w, &self.cipher, duplicate_id).await?;
                check(&names::client_name(duplicate_id), duplicate.as_ref())?;
                let (Some(survivor), Some(duplicate)) = (survivor, duplicate) else {
                    return Err(ApiError::not_found(names::client_name(duplicate_id)));
                };
                for c in [&survivor, &duplicate] {
                    if c.delete_time.is_some() || !c.merged_into.is_empty() {
                        return Err(ApiError::failed_precondition(
                            "CLIENT_NOT_LIVE",
                            format!("{} is deleted or merged", c.name),
                        ));
                    }
                }
                if !expected_etag.is_empty() && expected_etag != survivor.etag {
                    return Err(ApiError::etag_mismatch(&survivor.name));
                }
                move_records(w, &self.cipher, ctx, &survivor, &duplicate).await
            })
            .await
    }
}

/// The merge itself, once both records are known live and allowed.
async fn move_records(
    w: &mut Work<'_>,
    cipher: &FieldCipher,
    ctx: WriteCtx<'_>,
    survivor: &Client,
    duplicate: &Client,
) -> ApiResult<MergeOutcome> {
    let survivor_id = survivor.name.trim_start_matches("clients/");
    let duplicate_id = duplicate.name.trim_start_matches("clients/");
    let (mut next, filled) = merged(survivor, duplicate);
    if next.parent == duplicate.name {
        next.parent.clone_from(&duplicate.parent);
    }
    let mut outcome = MergeOutcome { filled, ..MergeOutcome::default() };
    for mut contact in Children::Contacts.of::<Contact>(w, cipher, duplicate_id).await? {
        let id = Children::Contacts.rename(&mut contact.name, survivor_id);
        Children::Contacts.move_to(w, cipher, survivor_id, &id, &contact.name, &contact).await?;
        outcome.contacts += i32::from(contact.delete_time.is_none());
    }
    for mut holding in Children::Holdings.of::<Holding>(w, cipher, duplicate_id).await? {
        let id = Children::Holdings.rename(&mut holding.name, survivor_id);
        Children::Holdings.move_to(w, cipher, survivor_id, &id, &holding.name, &holding).await?;
        outcome.holdings += 1;
    }
    let periods: BTreeSet<String> = sqlx::query_scalar("SELECT period FROM financial_statements WHERE client_id = $1")
        .bind(survivor_id)
        .fetch_all(w.conn())
        .await?
        .into_iter()
        .collect();
    for mut statement in Children::Statements.of::<FinancialStatement>(w, cipher, duplicate_id).await? {
        if periods.contains(&statement.period) {
            outcome.kept_statements += 1;
            continue;
        }
        let id = Children::Statements.rename(&mut statement.name, survivor_id);
        Children::Statements.move_to(w, cipher, survivor_id, &id, &statement.name, &statement).await?;
        outcome.statements += 1;
    }
    // Every identifier of the duplicate now resolves to the survivor; the ones the survivor
    // took over become its own.
    sqlx::query("UPDATE client_keys SET client_id = $1 WHERE client_id = $2")
        .bind(survivor_id)
        .bind(duplicate_id)
        .execute(w.conn())
        .await?;
    for (key, _) in keys::client_keys("client", &next) {
        sqlx::query("UPDATE client_keys SET owner = $1 WHERE kind = $2 AND value = $3 AND owner = $4")
            .bind(survivor_id)
            .bind(key.kind)
            .bind(key_value(cipher, &key))
            .bind(duplicate_id)
            .execute(w.conn())
            .await?;
    }
    let subsidiaries: Vec<Client> = decode_all(
        cipher,
        &sqlx::query("SELECT doc FROM clients WHERE parent_id = $1 AND delete_time IS NULL")
            .bind(duplicate_id)
            .fetch_all(w.conn())
            .await?,
    )?;
    for before in subsidiaries.iter().filter(|c| c.name != survivor.name) {
        let after = Client { parent: survivor.name.clone(), ..before.clone() };
        write_revision(w, cipher, ctx, before, after, "UPDATED", &survivor.name).await?;
    }
    let gone = Client {
        merged_into: survivor.name.clone(),
        delete_time: Some(time::to_timestamp(now_micros())),
        ..duplicate.clone()
    };
    outcome.merged = write_revision(w, cipher, ctx, duplicate, gone, "MERGED", &survivor.name).await?;
    outcome.survivor = write_revision(w, cipher, ctx, survivor, next, "UPDATED", &survivor.name).await?;
    Ok(outcome)
}
