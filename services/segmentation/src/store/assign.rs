//! Writes that assign clients to segments: a projection change recomputes the memberships
//! of the clients it touched in every ACTIVATING or ACTIVE scheme, and an activation step
//! assigns the next clients of the projection to one scheme, each in one transaction.

use std::{collections::BTreeMap, sync::Arc};

use crm_kit::{ApiError, ApiResult, call::WriteCtx, time::now_micros, write::Work};
use crm_proto::crm::segmentation::v1::SchemeState;
use sqlx::AnyConnection;

use super::{
    SegmentationStore, members,
    projection::{self, ProfileChange},
    schemes,
};
use crate::domain::{
    scheme::{self, CompiledScheme},
    view::{ContactFacts, ValueFacts},
};

/// What one activation step did.
#[derive(Clone, Debug, Default)]
pub struct Step {
    /// Last client id of the step; `None` when there was nothing left.
    pub last: Option<String>,
    /// Live clients assigned in the step.
    pub live: i64,
}

impl SegmentationStore {
    /// Applies projection changes, then recomputes the memberships of every affected client
    /// in every ACTIVATING or ACTIVE scheme, in one transaction (idempotent).
    pub async fn apply_profile(&self, ctx: WriteCtx<'_>, changes: Vec<ProfileChange>) -> ApiResult<()> {
        let apply = async |conn: &mut AnyConnection, id: &str, list: &Vec<ProfileChange>, now: i64| {
            projection::apply_client(conn, id, list, now).await
        };
        self.reproject(ctx, &projection::by_client(changes), apply).await
    }

    /// Stores the latest value score of clients (last one per client wins), then recomputes
    /// their memberships like [`SegmentationStore::apply_profile`].
    pub async fn apply_values(&self, ctx: WriteCtx<'_>, values: Vec<(String, ValueFacts)>) -> ApiResult<()> {
        let latest: BTreeMap<String, ValueFacts> = values.into_iter().collect();
        self.reproject(ctx, &latest, projection::put_value).await
    }

    /// Stores the latest contactability of clients (last one per client wins). Rules do not
    /// read it, so memberships stay as they are; reports count it in accessibility.
    pub async fn apply_contacts(&self, ctx: WriteCtx<'_>, contacts: Vec<(String, ContactFacts)>) -> ApiResult<()> {
        let latest: BTreeMap<String, ContactFacts> = contacts.into_iter().collect();
        let now = now_micros();
        self.writer
            .run(ctx, async |w| {
                for (id, contact) in &latest {
                    projection::put_contact(w.conn(), id, contact, now).await?;
                }
                Ok(())
            })
            .await?;
        self.changed();
        Ok(())
    }

    /// Applies each client's update to the projection with `apply`, then recomputes the
    /// memberships of those clients, in one transaction.
    async fn reproject<U>(
        &self,
        ctx: WriteCtx<'_>,
        updates: &BTreeMap<String, U>,
        apply: impl AsyncFn(&mut AnyConnection, &str, &U, i64) -> ApiResult<()>,
    ) -> ApiResult<()> {
        let now = now_micros();
        self.writer
            .run(ctx, async |w| {
                for (id, update) in updates {
                    apply(w.conn(), id, update, now).await?;
                }
                recompute(w, updates.keys(), now).await
            })
            .await?;
        self.changed();
        Ok(())
    }

    /// Assigns the next `limit` clients after `after` (client id order) to the segments of
    /// `scheme_id`, which must be ACTIVATING, in one transaction.
    pub async fn activation_step(
        &self,
        ctx: WriteCtx<'_>,
        scheme_id: &str,
        compiled: &Arc<CompiledScheme>,
        after: &str,
        limit: usize,
    ) -> ApiResult<Step> {
        let step = self
            .writer
            .run(ctx, async |w| {
                let backend = w.backend();
                let records = projection::load_records(w.conn(), after, limit, true, backend).await?;
                let Some(last) = records.last().map(|r| r.id.clone()) else { return Ok(Step::default()) };
                // Rechecked in this transaction (locked on PostgreSQL, after the clients, as the
                // feed does): a scheme retired or reverted meanwhile gets no new open memberships.
                let state = schemes::state_for_share(w.conn(), backend, scheme_id).await?;
                if state.as_deref() != Some(SchemeState::Activating.as_str_name()) {
                    let state = state.unwrap_or_else(|| "missing".to_owned());
                    return Err(ApiError::failed_precondition(
                        "SCHEME_STATE_CONFLICT",
                        format!("schemes/{scheme_id} is {state}; activation steps need a scheme that is ACTIVATING"),
                    )
                    .with_metadata("state", state));
                }
                let (records, paths) = scheme::assign_off_runtime(vec![Arc::clone(compiled)], records, None).await?;
                let now = now_micros();
                for (record, mut per_scheme) in records.iter().zip(paths) {
                    let path = per_scheme.pop().unwrap_or_default();
                    members::write_path(w.conn(), scheme_id, &record.id, &path, now).await?;
                }
                let live = records.iter().filter(|r| !r.facts.client.deleted).count();
                Ok(Step { last: Some(last), live: i64::try_from(live).unwrap_or(i64::MAX) })
            })
            .await?;
        if step.last.is_some() {
            self.changed();
        }
        Ok(step)
    }
}

/// Recomputes the memberships of `ids` in every ACTIVATING or ACTIVE scheme.
async fn recompute(w: &mut Work<'_>, ids: impl Iterator<Item = &String>, now: i64) -> ApiResult<()> {
    let backend = w.backend();
    let live = schemes::live_schemes(w.conn(), backend).await?;
    if live.is_empty() {
        return Ok(());
    }
    let mut records = Vec::new();
    for id in ids {
        if let Some(record) = projection::load_record(w.conn(), id).await? {
            records.push(record);
        }
    }
    let compiled: Vec<Arc<CompiledScheme>> = live.iter().map(|(_, s)| Arc::clone(s)).collect();
    let (records, paths) = scheme::assign_off_runtime(compiled, records, None).await?;
    for (record, per_scheme) in records.iter().zip(paths) {
        for ((scheme_id, _), path) in live.iter().zip(per_scheme) {
            members::write_path(w.conn(), scheme_id, &record.id, &path, now).await?;
        }
    }
    Ok(())
}
