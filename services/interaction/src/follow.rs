//! Following the profile's change feed (docs/architecture.md §5) for client merges and
//! erasures. When the profile merges a duplicate record into a survivor, the history
//! recorded under the duplicate (interactions, cases, consent, plans) is read together with
//! the survivor's. When it erases a client's personal data, this service erases what it
//! holds of the client too. The cursor is kept in this service's database, and both are
//! idempotent, so a restart neither loses nor double-applies an event.
//!
//! Exit reviews (`domain::exit_review`) follow both feeds: a client moved to the lifecycle
//! stage EXITING (profile) or, when value scoring runs with the suite, entering the tier
//! REVIEW_FOR_EXIT (scoring) gets one.

use std::{collections::HashMap, sync::Arc};

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
    ChangeEvent, ChangeKind, LifecycleStage, WatchChangesRequest, change_event::ResourceState,
    client_profile_service_client::ClientProfileServiceClient,
};
use crm_proto::crm::scoring::v1::{self as scoring, Tier, value_scoring_service_client::ValueScoringServiceClient};
use tonic::transport::Channel;

use crate::{
    domain::exit_review::{Seen, Signal},
    peers::Peers,
    store::InteractionStore,
};

/// Name of the scoring feed's cursor in `feed_cursor`.
pub const SCORING_FEED: &str = "scoring";

/// The internal action of opening exit reviews from the scoring feed.
const OPEN_EXIT_REVIEWS: &str = "OpenExitReviews";

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
            store.erase_clients(ctx, &erased).await.map_err(|err| anyhow::anyhow!("erasing clients: {err}"))?;
            let stages: Vec<Seen> = batch.iter().filter_map(stage_of).collect();
            let ctx = WriteCtx::internal(&principal, OPEN_EXIT_REVIEWS, "");
            store
                .apply_signals(ctx, &stages, &HashMap::new())
                .await
                .map_err(|err| anyhow::anyhow!("opening exit reviews: {err}"))?;
            Ok(())
        }
    };
    follow::follow(db, PROFILE_FEED, open, apply, shutdown).await;
}

/// The tier a scoring event reports; `None` for an event without a tiered score.
pub fn tier_of(event: &scoring::ChangeEvent) -> Option<Seen> {
    let score = event.value_score.as_ref()?;
    let tier = Tier::try_from(score.tier).ok().filter(|t| *t != Tier::Unspecified)?;
    Some(Seen {
        signal: Signal::Tier,
        client_id: event.client.trim_start_matches("clients/").to_owned(),
        value: tier.as_str_name().trim_start_matches("TIER_").to_owned(),
        detail: format!("composite score {:.1}", score.composite_score),
        sequence: event.sequence,
        owner: None,
    })
}

/// The lifecycle stage a profile event reports of a client record (with its relationship
/// manager); `None` for other events.
pub fn stage_of(event: &ChangeEvent) -> Option<Seen> {
    let Some(ResourceState::ClientState(client)) = &event.resource_state else { return None };
    let stage = LifecycleStage::try_from(client.lifecycle_stage).ok().filter(|s| *s != LifecycleStage::Unspecified)?;
    Some(Seen {
        signal: Signal::Stage,
        client_id: client.name.trim_start_matches("clients/").to_owned(),
        value: stage.as_str_name().trim_start_matches("LIFECYCLE_STAGE_").to_owned(),
        detail: String::new(),
        sequence: event.sequence,
        owner: Some(client.relationship_manager.clone()),
    })
}

/// Follows the scoring feed as CHANNEL until `shutdown`, opening an exit review for each
/// client entering REVIEW_FOR_EXIT (owned by its relationship manager, read from the
/// profile through `peers`); the cursor is kept in `db`.
pub async fn follow_scoring(
    store: Arc<InteractionStore>,
    db: Db,
    scoring: Channel,
    peers: Peers,
    auth: PeerAuth,
    shutdown: Shutdown,
) {
    let client = ValueScoringServiceClient::with_interceptor(scoring, auth);
    let principal = Principal::system("interaction");
    let open = move |after: i64| {
        let mut client = client.clone();
        async move {
            let request = scoring::WatchChangesRequest { after_sequence: after };
            client.watch_changes(request).await.map(tonic::Response::into_inner)
        }
    };
    let apply = move |batch: Vec<scoring::ChangeEvent>| {
        let (store, principal, peers) = (store.clone(), principal.clone(), peers.clone());
        async move {
            let seen: Vec<Seen> = batch.iter().filter_map(tier_of).collect();
            let mut owners = HashMap::new();
            for tier in seen.iter().filter(|t| t.value == Signal::Tier.trigger()) {
                if owners.contains_key(&tier.client_id) {
                    continue;
                }
                let client = peers.client(&tier.client_id).await.map_err(|err| anyhow::anyhow!("{err}"))?;
                owners.insert(tier.client_id.clone(), client.map(|c| c.relationship_manager).unwrap_or_default());
            }
            let ctx = WriteCtx::internal(&principal, OPEN_EXIT_REVIEWS, "");
            store
                .apply_signals(ctx, &seen, &owners)
                .await
                .map_err(|err| anyhow::anyhow!("opening exit reviews: {err}"))?;
            Ok(())
        }
    };
    follow::follow(db, SCORING_FEED, open, apply, shutdown).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::crm::profile::v1::Client;

    #[test]
    fn scoring_events_report_the_tier_without_prefix() {
        let score =
            scoring::ValueScore { tier: Tier::ReviewForExit as i32, composite_score: 30.0, ..Default::default() };
        let event = scoring::ChangeEvent {
            sequence: 4,
            client: "clients/c9".into(),
            value_score: Some(score),
            ..Default::default()
        };
        let seen = tier_of(&event).expect("a tier");
        assert_eq!((seen.client_id.as_str(), seen.value.as_str(), seen.sequence), ("c9", "REVIEW_FOR_EXIT", 4));
        assert_eq!(seen.detail, "composite score 30.0");
        assert_eq!(tier_of(&scoring::ChangeEvent { value_score: None, ..event }), None);
        let client = Client {
            name: "clients/c9".into(),
            lifecycle_stage: LifecycleStage::Exiting as i32,
            relationship_manager: "rm-1".into(),
            ..Default::default()
        };
        let updated = ChangeEvent {
            sequence: 11,
            resource_state: Some(ResourceState::ClientState(client)),
            ..Default::default()
        };
        let stage = stage_of(&updated).expect("a stage");
        assert_eq!((stage.value.as_str(), stage.owner.as_deref()), ("EXITING", Some("rm-1")));
    }

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
