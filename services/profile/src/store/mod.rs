//! Storage of the client profile on SQLite or PostgreSQL (one SQL body for both, see
//! `crm_kit::db`), proven equal by the conformance suite in `tests/`. Every write is one
//! unit of work (`crm_kit::write::Writer`): its SQL, its change events and audit records
//! commit together.

mod cache;
mod children;
mod clients;
mod contacts;
mod erase;
mod group;
mod history;
mod import;
mod keys;
mod merge;
mod records;
mod reindex;
mod sealed;
mod search;

use std::sync::Arc;

use cache::ClientCache;
use crm_kit::{
    ApiResult,
    crypto::FieldCipher,
    db::Backend,
    feed::FeedEvent,
    write::{CommitHook, Writer},
};
use crm_proto::crm::profile::v1::Client;
use futures::Stream;
use serde::{Deserialize, Serialize};

pub use self::{
    group::Group,
    history::Revision,
    import::ClientBundle,
    merge::MergeOutcome,
    sealed::Stored,
    search::{record_grams, record_key},
};

/// Migrations of the profile database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// The profile's tables: clients, their contacts, holdings, statements, history, lookup keys
/// and search grams.
#[derive(Clone, Debug)]
pub struct ProfileStore {
    writer: Writer,
    cipher: FieldCipher,
    cache: Option<Arc<ClientCache>>,
}

impl ProfileStore {
    /// The store of a migrated profile database, sealing sensitive values with `cipher`. On
    /// embedded SQLite, where this process is the only writer, client reads are cached
    /// (`cache.rs`).
    pub fn new(writer: Writer, cipher: FieldCipher) -> Self {
        if writer.db().backend() != Backend::Sqlite {
            return Self { writer, cipher, cache: None };
        }
        let cache = Arc::new(ClientCache::new(cache::DEFAULT_CAPACITY));
        let forget = Arc::clone(&cache);
        let writer = writer.with_commit_hook(CommitHook::new(move |resources| forget.forget(resources)));
        Self { writer, cipher, cache: Some(cache) }
    }

    /// A record of the change feed as the rest of the service sees it (sealed values
    /// opened).
    pub fn open_payload<M: Stored>(&self, payload: &[u8]) -> ApiResult<M> {
        sealed::decode_payload(&self.cipher, payload)
    }

    fn reader(&self) -> &sqlx::AnyPool {
        self.writer.db().reader()
    }

    /// Committed changes after `after`: the backlog, then live events as they commit.
    pub fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static {
        self.writer.watch(after)
    }
}

/// Sort orders ListClients supports (each a keyset over an index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientOrder {
    /// By id (time-ordered).
    Name,
    /// By display name, case-insensitive.
    DisplayName,
    CreateTime,
    /// By annual turnover units.
    AnnualTurnover,
}

/// Position after the last row of a page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    Text(String),
    Int(i64),
    /// Ordering by id alone.
    None,
}

/// Keyset cursor: the sort key and id of the last row returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub key: SortKey,
    pub id: String,
}

/// One ordered scan of clients.
#[derive(Clone, Debug)]
pub struct ClientScan {
    pub order: ClientOrder,
    pub descending: bool,
    /// Start after this row.
    pub after: Option<Cursor>,
    /// Include soft-deleted rows.
    pub show_deleted: bool,
    /// Rows to read.
    pub limit: usize,
}

/// Decides, inside a write under a client, whether the caller may touch what hangs off it
/// (`None` when the client does not exist); a create's replay asks it too.
pub trait Guard: Fn(Option<&Client>) -> ApiResult<()> {}
impl<F: Fn(Option<&Client>) -> ApiResult<()>> Guard for F {}

/// What a client change is, for its change event and revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// Fields changed.
    Updated,
    /// Soft-deleted.
    Deleted,
    /// Restored.
    Undeleted,
}

impl ChangeKind {
    /// As stored in the history ("UPDATED"; the change event is `client.UPDATED`).
    fn as_str(self) -> &'static str {
        match self {
            Self::Updated => "UPDATED",
            Self::Deleted => "DELETED",
            Self::Undeleted => "UNDELETED",
        }
    }
}
