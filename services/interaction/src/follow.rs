//! Following the profile's change feed (docs/architecture.md §5) for client merges and
//! erasures. When the profile merges a duplicate record into a survivor, the history
//! recorded under the duplicate (interactions, cases, consent, plans) is read together with
//! the survivor's. When it erases a client's personal data, this service erases what it
//! holds of the client too. The cursor is kept in this service's database, and both are
//! idempotent, so a restart neither loses nor double-applies an event.

use std::sync::Arc;

use crm_kit::{
    auth::Principal,
    call::WriteCtx,
    db::Db,
    follow,
    peer::PeerAuth,
    relay::{StreamFollow, open_feed},
    server::Shutdown,
};
use crm_proto::crm::profile::v1::{
    ChangeEvent, ChangeKind, WatchChangesRequest, change_event::ResourceState,
    client_profile_service_client::ClientProfileServiceClient,
};
use tonic::transport::Channel;

use crate::store::InteractionStore;

/// Name of the profile feed's cursor in `feed_cursor`.
pub const PROFILE_FEED: &str = "profile";

/// The internal action of recording merges (it writes no audit record or feed event).
const RECORD_MERGES: &str = "RecordClientMerges";

/// The internal action of erasing a client's data after the profile erased it.
const ERASE_CLIENTS: &str = "EraseClients";

/// The (duplicate id, survivor id) of a merge event; `None` for every other event.
pub fn merge_of(event: &ChangeEvent) -> Option<(String, String)> {
    if event.kind != ChangeKind::Merged as i32 {
        return None;
    }
    match &event.resource_state {
        Some(ResourceState::ClientState(client)) if !client.merged_into.is_empty() => Some((
            client.name.trim_start_matches("clients/").to_owned(),
            client.merged_into.trim_start_matches("clients/").to_owned(),
        )),
        _ => None,
    }
}

/// The client id of an erasure event; `None` for every other event.
pub fn erasure_of(event: &ChangeEvent) -> Option<String> {
    (event.kind == ChangeKind::Erased as i32).then(|| event.client.trim_start_matches("clients/").to_owned())
}

/// Follows the profile feed as CHANNEL (through WatchChanges, or from `stream` when set)
/// until `shutdown`, recording merges and erasures in `store`; the cursor is kept in `db`
/// (the store's database).
pub async fn follow_profile(
    store: Arc<InteractionStore>,
    db: Db,
    profile: Channel,
    auth: PeerAuth,
    stream: Option<StreamFollow>,
    shutdown: Shutdown,
) {
    let client = ClientProfileServiceClient::with_interceptor(profile, auth);
    let principal = Principal::system("interaction");
    let open = move |after: i64| {
        let (mut client, stream) = (client.clone(), stream.clone());
        async move {
            let watch = async move {
                let request = WatchChangesRequest { after_sequence: after };
                client.watch_changes(request).await.map(tonic::Response::into_inner)
            };
            open_feed(stream.as_ref(), PROFILE_FEED, after, watch).await
        }
    };
    let apply = move |batch: Vec<ChangeEvent>| {
        let (store, principal) = (store.clone(), principal.clone());
        async move {
            let merges: Vec<(String, String)> = batch.iter().filter_map(merge_of).collect();
            let ctx = WriteCtx::internal(&principal, RECORD_MERGES, "");
            store.record_merges(ctx, &merges).await.map_err(|err| anyhow::anyhow!("recording client merges: {err}"))?;
            let erased: Vec<String> = batch.iter().filter_map(erasure_of).collect();
            let ctx = WriteCtx::internal(&principal, ERASE_CLIENTS, "");
            store.erase_clients(ctx, &erased).await.map_err(|err| anyhow::anyhow!("erasing clients: {err}"))
        }
    };
    follow::follow(db, PROFILE_FEED, open, apply, shutdown).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::crm::profile::v1::Client;

    #[test]
    fn only_merge_events_name_a_survivor() {
        let gone = Client { name: "clients/a".into(), merged_into: "clients/b".into(), ..Default::default() };
        let merged = ChangeEvent {
            kind: ChangeKind::Merged as i32,
            resource_state: Some(ResourceState::ClientState(gone.clone())),
            ..Default::default()
        };
        assert_eq!(merge_of(&merged), Some(("a".to_owned(), "b".to_owned())));
        let updated = ChangeEvent { kind: ChangeKind::Updated as i32, ..merged.clone() };
        assert_eq!(merge_of(&updated), None);
        let thin = ChangeEvent { resource_state: None, ..merged };
        assert_eq!(merge_of(&thin), None);
    }
}
