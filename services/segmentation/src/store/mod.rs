//! Storage of segmentation: schemes, the local client projection and membership history.
//! One trait, one SQL implementation that runs on SQLite and PostgreSQL (see
//! `crm_kit::db`), proven equal by the conformance suite in `tests/`.

mod members;
mod projection;
mod schemes;

use std::{collections::HashMap, future::Future};

use crm_kit::{ApiResult, db::Db};
use crm_proto::crm::{
    profile::v1::{Client, Holding},
    segmentation::v1::Scheme,
};

use crate::domain::{
    scheme::CompiledScheme,
    view::{ClientRecord, ValueFacts},
};

pub use crm_kit::call::{Idempotency, WriteCtx};

pub use self::schemes::{SqlSegmentationStore, etag, state_name};

/// `valid_to` of a membership that is still current.
pub const OPEN: i64 = i64::MAX;

/// Migrations of the segmentation database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// One change of the client projection, from the profile's feed.
#[derive(Clone, Debug)]
pub enum ProfileChange {
    /// The client record after a change.
    Client(Client),
    /// A holding after a change (the event names its client).
    Holding {
        /// Client id.
        client_id: String,
        /// The holding.
        holding: Holding,
    },
    /// The whole current state, read back from the profile (bulk loads, merges).
    Snapshot {
        /// Client id.
        client_id: String,
        /// The record; `None` when the client no longer exists under this id.
        client: Option<Client>,
        /// Every holding of the client.
        holdings: Vec<Holding>,
    },
}

/// What a stored scheme changes into, inside the write transaction.
pub trait SchemeMutation: FnOnce(Scheme) -> ApiResult<Scheme> + Send {}
impl<F: FnOnce(Scheme) -> ApiResult<Scheme> + Send> SchemeMutation for F {}

/// One stored membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRow {
    /// Scheme id.
    pub scheme_id: String,
    /// Client id.
    pub client_id: String,
    /// Level (1 = top).
    pub level: i64,
    /// Segment id (or "unassigned").
    pub segment_id: String,
    /// When the client entered the segment (micros).
    pub valid_from: i64,
}

/// What one activation step did.
#[derive(Clone, Debug, Default)]
pub struct Step {
    /// Last client id of the step; `None` when there was nothing left.
    pub last: Option<String>,
    /// Live clients assigned in the step.
    pub live: i64,
}

/// Storage of schemes, the client projection and memberships.
pub trait SegmentationStore: Send + Sync + 'static {
    /// The database (health, audit, jobs, cursors).
    fn db(&self) -> &Db;

    /// A counter that grows with every change committed through this store (memberships,
    /// schemes, projection): equal values mean nothing changed here in between.
    fn generation(&self) -> u64;

    /// Inserts a new scheme (fully formed). With `idempotency`, a replay returns the first result.
    fn create_scheme(
        &self,
        ctx: WriteCtx<'_>,
        scheme: Scheme,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<Scheme>> + Send;

    /// Reads one scheme.
    fn get_scheme(&self, id: &str) -> impl Future<Output = ApiResult<Option<Scheme>>> + Send;

    /// Schemes newest first, after `after` (an id), optionally in one state (stored name).
    fn list_schemes(
        &self,
        state: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<Scheme>>> + Send;

    /// Replaces a scheme with what `mutation` makes of it (NOT_FOUND when missing); bumps
    /// its revision, etag and update time. With `end_memberships`, and whenever the scheme
    /// leaves ACTIVATING or ACTIVE (e.g. back to DRAFT), every current membership of the
    /// scheme ends now, in the same transaction.
    fn update_scheme<M: SchemeMutation>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        end_memberships: bool,
        mutation: M,
    ) -> impl Future<Output = ApiResult<Scheme>> + Send;

    /// Applies projection changes, then recomputes the memberships of every affected client
    /// in every ACTIVATING or ACTIVE scheme, in one transaction (idempotent).
    fn apply_profile(&self, changes: Vec<ProfileChange>) -> impl Future<Output = ApiResult<()>> + Send;

    /// Stores the latest value score of clients (last one per client wins), then recomputes
    /// their memberships like [`SegmentationStore::apply_profile`].
    fn apply_values(&self, values: Vec<(String, ValueFacts)>) -> impl Future<Output = ApiResult<()>> + Send;

    /// Assigns the next `limit` clients after `after` (client id order) to `scheme`'s
    /// segments, in one transaction.
    fn activation_step(
        &self,
        scheme_id: &str,
        scheme: &CompiledScheme,
        after: &str,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Step>> + Send;

    /// Live clients in the projection.
    fn count_live(&self) -> impl Future<Output = ApiResult<i64>> + Send;

    /// Projection records in id order after `after` (deleted ones included).
    fn scan_records(&self, after: &str, limit: usize) -> impl Future<Output = ApiResult<Vec<ClientRecord>>> + Send;

    /// Current segment path of every member of a scheme: client id → segment ids by level.
    fn current_paths(&self, scheme_id: &str) -> impl Future<Output = ApiResult<HashMap<String, Vec<String>>>> + Send;

    /// A client's memberships current now (`at` = `None`) or at `at` (micros), in any scheme.
    fn client_memberships(
        &self,
        client_id: &str,
        at: Option<i64>,
    ) -> impl Future<Output = ApiResult<Vec<MembershipRow>>> + Send;

    /// Current members of a segment in client order after `after`.
    fn segment_members(
        &self,
        scheme_id: &str,
        segment_id: &str,
        after: &str,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<MembershipRow>>> + Send;
}
