//! Storage of the client profile: one trait, one SQL implementation that runs on SQLite
//! and PostgreSQL (see `crm_kit::db`), proven equal by the conformance suite in `tests/`.

mod children;
mod clients;
mod contacts;
mod group;
mod history;
mod keys;
mod merge;
mod rows;
mod search;

use std::future::Future;

use crm_kit::{
    ApiResult,
    db::Db,
    feed::{Feed, FeedEvent},
};
use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::domain::lookup::LookupKey;

pub use crm_kit::call::{Idempotency, WriteCtx};

pub use self::{
    children::ClientBundle,
    clients::SqlProfileStore,
    group::Group,
    history::Revision,
    merge::MergeOutcome,
    search::{record_grams, record_key},
};

/// Migrations of the profile database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// Sort orders ListClients supports (each a keyset over an index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientOrder {
    /// By id (time-ordered).
    Name,
    /// By display name, case-insensitive.
    DisplayName,
    /// By creation time.
    CreateTime,
    /// By annual turnover units.
    AnnualTurnover,
}

/// Position after the last row of a page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    /// Text sort key.
    Text(String),
    /// Integer sort key.
    Int(i64),
    /// Ordering by id alone.
    None,
}

/// Keyset cursor: the sort key and id of the last row returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Sort key of the last row.
    pub key: SortKey,
    /// Id of the last row.
    pub id: String,
}

/// One ordered scan of clients.
#[derive(Clone, Debug)]
pub struct ClientScan {
    /// Order.
    pub order: ClientOrder,
    /// Descending.
    pub descending: bool,
    /// Start after this row.
    pub after: Option<Cursor>,
    /// Include soft-deleted rows.
    pub show_deleted: bool,
    /// Rows to read.
    pub limit: usize,
}

/// Decides, inside the write transaction, whether the write may touch the client
/// (`None` when it does not exist).
pub trait Guard: FnOnce(Option<&Client>) -> ApiResult<()> + Send {}
impl<F: FnOnce(Option<&Client>) -> ApiResult<()> + Send> Guard for F {}

/// Produces the new state of a client from the current one, inside the write transaction.
pub trait Mutation: FnOnce(Option<&Client>) -> ApiResult<Client> + Send {}
impl<F: FnOnce(Option<&Client>) -> ApiResult<Client> + Send> Mutation for F {}

/// What a client change was, for the change feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Fields changed.
    Updated,
    /// Soft-deleted.
    Deleted,
    /// Restored.
    Undeleted,
}

/// Storage of clients and what hangs off them.
pub trait ProfileStore: Send + Sync + 'static {
    /// The database (health, audit, feed reads).
    fn db(&self) -> &Db;

    /// Inserts a new, validated client. With `idempotency`, a replay returns the first result.
    fn create_client(
        &self,
        ctx: WriteCtx<'_>,
        client: Client,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<Client>> + Send;

    /// Reads one client.
    fn get_client(&self, id: &str) -> impl Future<Output = ApiResult<Option<Client>>> + Send;

    /// Reads a client as it was at `at` (microseconds since the epoch).
    fn get_client_at(&self, id: &str, at: i64) -> impl Future<Output = ApiResult<Option<Client>>> + Send;

    /// Revisions of a client older than `before` (0: from the newest), newest first.
    fn list_revisions(
        &self,
        id: &str,
        before: i64,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<Revision>>> + Send;

    /// Reads several clients; missing ones are absent from the result.
    fn get_clients(&self, ids: &[String]) -> impl Future<Output = ApiResult<Vec<Client>>> + Send;

    /// Reads clients in keyset order.
    fn scan_clients(&self, scan: &ClientScan) -> impl Future<Output = ApiResult<Vec<Client>>> + Send;

    /// Replaces a client with what `mutation` returns from its current state.
    fn update_client<M: Mutation>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        kind: ChangeKind,
        mutation: M,
    ) -> impl Future<Output = ApiResult<Client>> + Send;

    /// Clients holding an identifier (live clients only).
    fn lookup(&self, key: &LookupKey) -> impl Future<Output = ApiResult<Vec<Client>>> + Send;

    /// Adds a contact; its phone and e-mail become lookup keys.
    fn create_contact<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        contact: Contact,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<Contact>> + Send;

    /// Changes a live contact (a result with `delete_time` removes it).
    fn change_contact<G: Guard, M: FnOnce(&Contact) -> ApiResult<Contact> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        contact_id: &str,
        guard: G,
        mutation: M,
    ) -> impl Future<Output = ApiResult<Contact>> + Send;

    /// Merges `duplicate_id` into `survivor_id` (see `merge`); `check` authorises each record.
    fn merge_clients<C: Fn(&str, Option<&Client>) -> ApiResult<()> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        survivor_id: &str,
        duplicate_id: &str,
        expected_etag: &str,
        check: C,
    ) -> impl Future<Output = ApiResult<MergeOutcome>> + Send;

    /// Clients sharing search grams with a query, with the number shared (see `search`).
    fn gram_candidates(
        &self,
        grams: &std::collections::BTreeSet<String>,
        per_gram: usize,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<(String, usize)>>> + Send;

    /// Duplicate-blocking keys shared by several live records, after `after`.
    fn shared_name_keys(&self, after: &str, limit: usize) -> impl Future<Output = ApiResult<Vec<String>>> + Send;

    /// Live records with a duplicate-blocking key.
    fn clients_with_key(&self, key: &str) -> impl Future<Output = ApiResult<Vec<Client>>> + Send;

    /// The ultimate parent of a client and every live member of its group with its depth.
    fn group_of(&self, id: &str) -> impl Future<Output = ApiResult<Option<Group>>> + Send;

    /// A page of a client's contacts after `after` (contact id).
    fn list_contacts(
        &self,
        client_id: &str,
        after: &str,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<Contact>>> + Send;

    /// Inserts or replaces a holding by account number; the account becomes a lookup key.
    fn upsert_holding<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        holding: Holding,
    ) -> impl Future<Output = ApiResult<Holding>> + Send;

    /// A page of a client's holdings after `after` (holding id).
    fn list_holdings(
        &self,
        client_id: &str,
        after: &str,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<Holding>>> + Send;

    /// Records a financial statement (one per client and period).
    fn create_statement<G: Guard>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        guard: G,
        statement: FinancialStatement,
    ) -> impl Future<Output = ApiResult<FinancialStatement>> + Send;

    /// A page of a client's statements, newest period first, after `after` ((period end, id)).
    fn list_statements(
        &self,
        client_id: &str,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<FinancialStatement>>> + Send;

    /// Committed changes after `after`: backlog then live.
    fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static;

    /// The feed (for its notifier).
    fn feed(&self) -> &Feed;
}
