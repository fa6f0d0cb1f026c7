//! SQL implementation of the store: merging a duplicate into its survivor in one transaction.

use std::collections::BTreeSet;

use crm_kit::{
    ApiError, ApiResult,
    time::{self, now_micros},
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use prost::Message;
use sqlx::{Any, Transaction};

use super::{SqlProfileStore, WriteCtx, keys, rows};
use crate::domain::{
    client::{changed_fields, etag, merged, revision_of},
    names,
};

/// What a merge did.
#[derive(Clone, Debug, Default)]
pub struct MergeOutcome {
    /// The survivor after the merge.
    pub survivor: Client,
    /// The merged record after the merge.
    pub merged: Client,
    /// Fields of the survivor filled from the duplicate.
    pub filled: Vec<&'static str>,
    /// Contacts moved.
    pub contacts: i32,
    /// Holdings moved.
    pub holdings: i32,
    /// Statements moved.
    pub statements: i32,
    /// Statements left on the merged record (the survivor has the period).
    pub kept_statements: i32,
}

impl SqlProfileStore {
    /// Merges `duplicate` into `survivor`; `check` authorises each record (or its absence).
    pub(super) async fn merge_rows<C>(
        &self,
        ctx: WriteCtx<'_>,
        survivor_id: &str,
        duplicate_id: &str,
        expected_etag: &str,
        check: C,
    ) -> ApiResult<MergeOutcome>
    where
        C: Fn(&str, Option<&Client>) -> ApiResult<()> + Send,
    {
        let mut tx = self.db.begin_write().await?;
        let survivor = self.load_for_write(&mut tx, survivor_id).await?;
        check(&names::client_name(survivor_id), survivor.as_ref())?;
        let duplicate = self.load_for_write(&mut tx, duplicate_id).await?;
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
        let (mut next, filled) = merged(&survivor, &duplicate);
        if next.parent == duplicate.name {
            next.parent.clone_from(&duplicate.parent);
        }
        let mut outcome = MergeOutcome { filled, ..MergeOutcome::default() };
        let mut events: Vec<(String, String, Vec<u8>)> = Vec::new();

        for mut contact in self.children_of::<Contact>(&mut tx, "contacts", duplicate_id).await? {
            let id = contact.name.rsplit('/').next().unwrap_or_default().to_owned();
            contact.name = names::child_name(survivor_id, "contacts", &id);
            self.move_child(&mut tx, "contacts", &id, survivor_id, contact.encode_to_vec()).await?;
            outcome.contacts += i32::from(contact.delete_time.is_none());
            events.push(("contact.UPDATED".into(), contact.name.clone(), contact.encode_to_vec()));
        }
        for mut holding in self.children_of::<Holding>(&mut tx, "holdings", duplicate_id).await? {
            let id = holding.name.rsplit('/').next().unwrap_or_default().to_owned();
            holding.name = names::child_name(survivor_id, "holdings", &id);
            self.move_child(&mut tx, "holdings", &id, survivor_id, holding.encode_to_vec()).await?;
            outcome.holdings += 1;
            events.push(("holding.UPDATED".into(), holding.name.clone(), holding.encode_to_vec()));
        }
        let periods: BTreeSet<String> =
            sqlx::query_scalar("SELECT period FROM financial_statements WHERE client_id = $1")
                .bind(survivor_id)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        for mut statement in
            self.children_of::<FinancialStatement>(&mut tx, "financial_statements", duplicate_id).await?
        {
            if periods.contains(&statement.period) {
                outcome.kept_statements += 1;
                continue;
            }
            let id = statement.name.rsplit('/').next().unwrap_or_default().to_owned();
            statement.name = names::child_name(survivor_id, "financialStatements", &id);
            self.move_child(&mut tx, "financial_statements", &id, survivor_id, statement.encode_to_vec()).await?;
            outcome.statements += 1;
            events.push(("financial_statement.UPDATED".into(), statement.name.clone(), statement.encode_to_vec()));
        }
        // Every identifier of the duplicate now resolves to the survivor; the ones the
        // survivor took over become its own.
        sqlx::query("UPDATE client_keys SET client_id = $1 WHERE client_id = $2")
            .bind(survivor_id)
            .bind(duplicate_id)
            .execute(&mut *tx)
            .await?;
        for (key, _) in keys::client_keys(&next) {
            sqlx::query("UPDATE client_keys SET owner = $1 WHERE kind = $2 AND value = $3 AND owner = $4")
                .bind(survivor_id)
                .bind(key.kind)
                .bind(&key.value)
                .bind(duplicate_id)
                .execute(&mut *tx)
                .await?;
        }
        for mut child in self.subsidiaries(&mut tx, duplicate_id).await? {
            if child.name == survivor.name {
                continue;
            }
            let before = child.clone();
            child.parent.clone_from(&survivor.name);
            self.rewrite_client(&mut tx, ctx, &before, child, "UPDATED", &mut events).await?;
        }
        let now = Some(time::to_timestamp(now_micros()));
        let mut gone = duplicate.clone();
        gone.merged_into.clone_from(&survivor.name);
        gone.delete_time = now;
        outcome.merged = self.rewrite_client(&mut tx, ctx, &duplicate, gone, "MERGED", &mut events).await?;
        outcome.survivor = self.rewrite_client(&mut tx, ctx, &survivor, next, "UPDATED", &mut events).await?;

        let mut last = 0;
        for (kind, resource, payload) in events {
            last = self.feed.record(&mut tx, ctx, &kind, &resource, &survivor.name, payload).await?;
        }
        self.feed.commit(tx, last).await?;
        Ok(outcome)
    }

    async fn children_of<M: Message + Default>(
        &self,
        tx: &mut Transaction<'_, Any>,
        table: &'static str,
        client_id: &str,
    ) -> ApiResult<Vec<M>> {
        let sql = match table {
            "contacts" => "SELECT doc FROM contacts WHERE client_id = $1 ORDER BY id",
            "holdings" => "SELECT doc FROM holdings WHERE client_id = $1 ORDER BY id",
            _ => "SELECT doc FROM financial_statements WHERE client_id = $1 ORDER BY id",
        };
        let found = sqlx::query(sql).bind(client_id).fetch_all(&mut **tx).await?;
        rows::docs(&found)
    }

    async fn move_child(
        &self,
        tx: &mut Transaction<'_, Any>,
        table: &'static str,
        id: &str,
        client_id: &str,
        doc: Vec<u8>,
    ) -> ApiResult<()> {
        let sql = match table {
            "contacts" => "UPDATE contacts SET client_id = $1, doc = $2 WHERE id = $3",
            "holdings" => "UPDATE holdings SET client_id = $1, doc = $2 WHERE id = $3",
            _ => "UPDATE financial_statements SET client_id = $1, doc = $2 WHERE id = $3",
        };
        sqlx::query(sql).bind(client_id).bind(doc).bind(id).execute(&mut **tx).await?;
        Ok(())
    }

    async fn subsidiaries(&self, tx: &mut Transaction<'_, Any>, parent_id: &str) -> ApiResult<Vec<Client>> {
        let found = sqlx::query("SELECT doc FROM clients WHERE parent_id = $1 AND delete_time IS NULL")
            .bind(parent_id)
            .fetch_all(&mut **tx)
            .await?;
        rows::docs(&found)
    }

    /// Writes a new revision of a client during a merge (row, keys, grams, history).
    async fn rewrite_client(
        &self,
        tx: &mut Transaction<'_, Any>,
        ctx: WriteCtx<'_>,
        before: &Client,
        mut after: Client,
        kind: &str,
        events: &mut Vec<(String, String, Vec<u8>)>,
    ) -> ApiResult<Client> {
        let id = before.name.trim_start_matches("clients/").to_owned();
        let revision = revision_of(&before.etag) + 1;
        after.etag = etag(revision);
        after.update_time = Some(time::to_timestamp(now_micros()));
        Self::write_row(tx, &after, revision, false).await?;
        Self::index_names(tx, &id, Some(before), &after).await?;
        Self::append_revision(tx, None, if revision == 2 { "CREATED" } else { "UPDATED" }, &[], before).await?;
        Self::append_revision(tx, Some(ctx), kind, &changed_fields(before, &after), &after).await?;
        events.push((format!("client.{kind}"), after.name.clone(), after.encode_to_vec()));
        Ok(after)
    }
}
