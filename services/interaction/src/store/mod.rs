//! Storage of the interaction service on SQLite or PostgreSQL (see `crm_kit::db`), proven
//! equal by the conformance suite in `tests/`. Records are kept as encoded protobuf next to
//! the columns they are ordered and looked up by; every write goes through the kit's unit of
//! work ([`Writer`]), which records its change-feed event and audit record with it.

mod cases;
mod content;
mod erase;
mod events;
mod exit_reviews;
mod interactions;
mod merges;
mod plans;
mod preferences;
mod query;

use crm_kit::{db::Db, write::Writer};
use sqlx::AnyPool;

/// Migrations of the interaction database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// Keyset position of a newest-first list: (time in microseconds, id) of the last row returned.
pub type Keyset = (i64, String);

/// Interactions, cases, channel preferences, content, account plans and client merges.
#[derive(Clone, Debug)]
pub struct InteractionStore {
    writer: Writer,
}

impl InteractionStore {
    /// A store over a migrated database (see [`migrations`]).
    pub fn new(db: Db) -> Self {
        Self { writer: Writer::new(db) }
    }

    fn reader(&self) -> &AnyPool {
        self.writer.db().reader()
    }
}
