//! Storage of interactions, cases and channel preferences: one trait, one SQL
//! implementation that runs on SQLite and PostgreSQL (see `crm_kit::db`), proven equal by
//! the conformance suite in `tests/`.

mod cases;
mod content;
mod interactions;
mod merges;
mod plans;
mod preferences;
mod sql;

use std::future::Future;

use crm_kit::{
    ApiResult,
    db::Db,
    feed::{Feed, FeedEvent},
};
use crm_proto::crm::interaction::v1::{AccountPlan, Case, ChannelPreference, ContentItem, Interaction};
use futures::Stream;

pub use content::content_name;
pub use crm_kit::call::{Idempotency, WriteCtx};
pub use plans::ACCOUNT_PLANS;
pub use sql::SqlInteractionStore;

/// Migrations of the interaction database for each backend.
pub fn migrations() -> crm_kit::db::Migrations {
    crm_kit::migrations!()
}

/// Keyset position of a newest-first list: (time in microseconds, id) of the last row returned.
pub type Keyset = (i64, String);

/// Storage of the interaction service.
pub trait InteractionStore: Send + Sync + 'static {
    /// The database (health, audit).
    fn db(&self) -> &Db;

    /// The change feed.
    fn feed(&self) -> &Feed;

    /// Stores a new interaction (name and times set). With `idempotency`, a replay returns
    /// the first result. A `linked_case` must be a case of the same client.
    fn log_interaction(
        &self,
        ctx: WriteCtx<'_>,
        interaction: Interaction,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<Interaction>> + Send;

    /// Reads one interaction.
    fn get_interaction(&self, client_id: &str, id: &str)
    -> impl Future<Output = ApiResult<Option<Interaction>>> + Send;

    /// A page of the interactions of `clients` (ids), newest `occur_time` first, after `after`.
    fn list_interactions(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<Interaction>>> + Send;

    /// Stores a new case (name, state, SLA and times set).
    fn open_case(
        &self,
        ctx: WriteCtx<'_>,
        case: Case,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<Case>> + Send;

    /// Reads one case.
    fn get_case(&self, client_id: &str, id: &str) -> impl Future<Output = ApiResult<Option<Case>>> + Send;

    /// Replaces a case with what `mutation` makes of its current state (NOT_FOUND if absent);
    /// the store sets the etag and update time.
    fn update_case<M: FnOnce(&Case) -> ApiResult<Case> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        client_id: &str,
        id: &str,
        mutation: M,
    ) -> impl Future<Output = ApiResult<Case>> + Send;

    /// A page of the cases of `clients` (ids), newest first, in `states` (all when empty).
    fn list_cases(
        &self,
        clients: &[String],
        states: &[i32],
        after: Option<&Keyset>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<Case>>> + Send;

    /// Records a channel preference instruction (name and times set).
    fn add_preference(
        &self,
        ctx: WriteCtx<'_>,
        preference: ChannelPreference,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<ChannelPreference>> + Send;

    /// A page of the instructions of `clients` (ids), most recently effective first.
    fn list_preferences(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<ChannelPreference>>> + Send;

    /// Stores a new content item (version 1, name and times set) under `id`;
    /// ALREADY_EXISTS when the id is taken.
    fn create_content(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        item: ContentItem,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<ContentItem>> + Send;

    /// Reads a content item: the latest version, or `version`.
    fn get_content(
        &self,
        id: &str,
        version: Option<i64>,
    ) -> impl Future<Output = ApiResult<Option<ContentItem>>> + Send;

    /// Writes the next version of a content item from what `mutation` makes of the latest.
    fn update_content<M: FnOnce(&ContentItem) -> ApiResult<ContentItem> + Send>(
        &self,
        ctx: WriteCtx<'_>,
        id: &str,
        mutation: M,
    ) -> impl Future<Output = ApiResult<ContentItem>> + Send;

    /// Stores a new account plan (name and times set).
    fn add_plan(
        &self,
        ctx: WriteCtx<'_>,
        plan: AccountPlan,
        idempotency: Option<Idempotency>,
    ) -> impl Future<Output = ApiResult<AccountPlan>> + Send;

    /// A page of the account plans of `clients` (ids), newest first.
    fn list_plans(
        &self,
        clients: &[String],
        after: Option<&Keyset>,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<AccountPlan>>> + Send;

    /// The sequence of the last committed change (0 when there is none).
    fn head_sequence(&self) -> impl Future<Output = ApiResult<i64>> + Send;

    /// The committed changes of `clients` (names, `clients/{client}`) with
    /// `after < sequence <= up_to`, in order.
    fn client_events(
        &self,
        clients: &[String],
        after: i64,
        up_to: i64,
        limit: usize,
    ) -> impl Future<Output = ApiResult<Vec<FeedEvent>>> + Send;

    /// Records that each `(duplicate, survivor)` client id pair was merged (idempotent).
    fn record_merges(&self, merges: &[(String, String)]) -> impl Future<Output = ApiResult<()>> + Send;

    /// The client ids merged into `client_id`, directly or through earlier merges.
    fn merged_into(&self, client_id: &str) -> impl Future<Output = ApiResult<Vec<String>>> + Send;

    /// Committed changes after `after`: backlog then live.
    fn watch(&self, after: i64) -> impl Stream<Item = ApiResult<FeedEvent>> + Send + 'static;
}
