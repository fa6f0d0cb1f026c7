//! Storage of segmentation on SQLite or PostgreSQL (see `crm_kit::db`), proven equal on both
//! by the conformance suite in `tests/`.
//!
//! One store, [`SegmentationStore`], whose methods are spread over one file per table group;
//! every write is one unit of work of its [`Writer`]. The files depend on each other in one
//! direction only:
//!
//! - `members` (membership history) and `projection` (the local client projection) use
//!   nothing but this module;
//! - `schemes` (the scheme table) closes memberships through `members` when a scheme stops;
//! - `assign` writes what spans them all: a projection change and the memberships it moves,
//!   an activation step.

mod assign;
mod members;
mod projection;
mod schemes;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use crm_kit::{db::Db, write::Writer};

pub use self::{
    assign::Step,
    members::{MembershipRow, OPEN},
    projection::ProfileChange,
    schemes::{SchemeMutation, state_name},
};

/// Migrations of the segmentation database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// Schemes, the client projection and membership history.
#[derive(Clone, Debug)]
pub struct SegmentationStore {
    writer: Writer,
    generation: Arc<AtomicU64>,
}

impl SegmentationStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { writer: Writer::new(db), generation: Arc::new(AtomicU64::new(0)) }
    }

    /// A counter that grows with every change committed through this store (memberships,
    /// schemes, projection): equal values mean nothing changed here in between.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Notes a committed change of memberships, schemes or the projection.
    fn changed(&self) {
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// The pool for reads.
    fn reader(&self) -> &sqlx::AnyPool {
        self.writer.db().reader()
    }
}
