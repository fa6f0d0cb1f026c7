//! Follows the profile service's change feed and rescores a client whose credit grade,
//! parent or industry × region access changed since its score was computed
//! (docs/architecture.md §5), then re-ranks the access cells it left and joined; a deleted or
//! merged client's score leaves its access cell. The cursor lives in this service's database; rescoring is idempotent, so a
//! replayed batch changes nothing.

use std::{collections::BTreeMap, sync::Arc};

use crm_kit::{
    auth::Principal,
    db::Db,
    follow,
    relay::{StreamFollow, open_feed},
    server::Shutdown,
};
use crm_proto::crm::profile::v1::{ChangeEvent, Client, WatchChangesRequest, change_event::ResourceState};

use crate::{
    service::{ScoringApp, access_of},
    store::WriteCtx,
};

/// Name of the followed feed in `feed_cursor`.
const SOURCE: &str = "profile";

/// Follows the profile feed (read from `stream` when set, else through WatchChanges) until
/// `shutdown`, keeping its cursor in `db` (the scoring database).
pub async fn follow_profile(app: Arc<ScoringApp>, db: Db, stream: Option<StreamFollow>, shutdown: Shutdown) {
    let open = {
        let peers = app.peers.clone();
        move |after: i64| {
            let (mut client, stream) = (peers.raw(), stream.clone());
            async move {
                let watch = async move {
                    let request = WatchChangesRequest { after_sequence: after };
                    client.watch_changes(request).await.map(tonic::Response::into_inner)
                };
                open_feed(stream.as_ref(), SOURCE, after, watch).await
            }
        }
    };
    let apply = move |batch: Vec<ChangeEvent>| {
        let app = Arc::clone(&app);
        async move { apply_profile_changes(&app, batch).await }
    };
    follow::follow(db, SOURCE, open, apply, shutdown).await;
}

/// Rescores the scored clients of `batch` whose grade, parent or access changed, and
/// withdraws the access of those deleted or merged.
async fn apply_profile_changes(app: &ScoringApp, batch: Vec<ChangeEvent>) -> anyhow::Result<()> {
    // The last state of each client changed in the batch (None: a thin event, read it).
    let mut changed: BTreeMap<String, Option<Client>> = BTreeMap::new();
    for event in batch {
        if event.resource != event.client {
            continue; // contacts, holdings, statements do not change a score's inputs
        }
        let state = match event.resource_state {
            Some(ResourceState::ClientState(client)) => Some(client),
            _ => None,
        };
        changed.insert(event.client, state);
    }
    let principal = Principal::system("scoring-follower");
    let ctx = WriteCtx::internal(&principal, "RescoreOnProfileChange", "");
    let (store, peers) = (&app.store, &app.peers);
    for (name, state) in changed {
        let id = name.trim_start_matches("clients/");
        let Some(facts) = store.scored_facts(id).await.map_err(|e| anyhow::anyhow!("{e}"))? else { continue };
        let client = match state {
            Some(c) if c.delete_time.is_none() && c.merged_into.is_empty() => Some(c),
            Some(_) => None,
            None => peers.client(id).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        };
        let Some(client) = client else {
            // Deleted or merged: its score no longer discounts key accounts of its access.
            if store.withdraw_access(ctx, id).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                tracing::info!(client = %name, "score withdrawn from its access cell: client deleted or merged");
                app.dirty.mark(&facts.access);
            }
            continue;
        };
        if client.credit_grade == facts.profile_grade
            && client.parent == facts.parent
            && access_of(&client) == facts.access
        {
            continue;
        }
        match app.score_and_settle(ctx, &client).await {
            Ok(_) => tracing::info!(client = %name, "rescored after a profile change"),
            Err(err) if err.code() == tonic::Code::Unavailable => anyhow::bail!("{err}"),
            Err(err) => tracing::warn!(client = %name, error = %err, "could not rescore after a profile change"),
        }
    }
    Ok(())
}
