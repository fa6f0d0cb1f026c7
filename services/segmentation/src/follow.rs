//! Following the profile's and (when they run) the scoring and interaction services' change
//! feeds (docs/architecture.md §5), through their WatchChanges or, with `[nats] follow`, the
//! NATS stream they are relayed to, each with a cursor stored in this database, to keep the local
//! client projection, and so the memberships of ACTIVATING and ACTIVE schemes, current.
//!
//! Profile events of interactive writes carry the resource state: client records and
//! holdings are applied as they come. Bulk-load events carry none, and a merge moves
//! holdings without events of their own: for those the client and all its holdings are read
//! back from the profile. Each scoring event carries a client's new value score, kept for
//! rules (`client.value_tier`, `client.value_score`, ...) and for the report's revenue and
//! mean value, risk-adjusted income and substantiality. Each interaction event about a
//! client's channel preferences (or the erasure of its data there) makes the client's
//! contactability be read back and kept for accessibility. Applying is idempotent, so a
//! batch re-applied after a crash does no harm.

use std::{collections::BTreeSet, sync::Arc};

use crm_kit::{
    auth::Principal,
    call::WriteCtx,
    db::Db,
    follow,
    relay::{StreamFollow, open_feed},
    server::Shutdown,
};
use crm_proto::crm::{
    interaction::v1 as interaction,
    profile::v1::{self as profile, ChangeKind, Client, change_event::ResourceState},
    scoring::v1::{self as scoring, Tier, ValueScore},
};
use futures::{StreamExt, TryStreamExt};
use tokio::task::JoinHandle;

use crate::{
    domain::view::{ContactFacts, ValueFacts},
    peers::{InteractionPeer, Peers, ProfilePeer, ScoringPeer},
    store::{ProfileChange, SegmentationStore},
};

/// Cursor name of the profile feed.
pub const PROFILE: &str = "profile";
/// Cursor name of the scoring feed.
pub const SCORING: &str = "scoring";
/// Cursor name of the interaction feed.
pub const INTERACTION: &str = "interaction";
/// Clients read back from the profile at once.
const READ_CONCURRENCY: usize = 8;

/// Starts following the feeds of `peers` (read from `stream` when set) into `store` until
/// `shutdown`; `db` keeps the cursors.
pub fn spawn(
    db: &Db,
    store: &Arc<SegmentationStore>,
    peers: Peers,
    stream: Option<StreamFollow>,
    shutdown: &Shutdown,
) -> Vec<JoinHandle<()>> {
    let profile =
        tokio::spawn(follow_profile(db.clone(), Arc::clone(store), peers.profile, stream.clone(), shutdown.clone()));
    let scoring = peers.scoring.map(|scoring| {
        tokio::spawn(follow_scoring(db.clone(), Arc::clone(store), scoring, stream.clone(), shutdown.clone()))
    });
    let interaction = peers.interaction.map(|interaction| {
        tokio::spawn(follow_interaction(db.clone(), Arc::clone(store), interaction, stream, shutdown.clone()))
    });
    std::iter::once(profile).chain(scoring).chain(interaction).collect()
}

async fn follow_interaction(
    db: Db,
    store: Arc<SegmentationStore>,
    interaction: InteractionPeer,
    stream: Option<StreamFollow>,
    shutdown: Shutdown,
) {
    let open = |after: i64| {
        let (interaction, stream) = (interaction.clone(), stream.clone());
        async move { open_feed(stream.as_ref(), INTERACTION, after, interaction.changes(after)).await }
    };
    let apply = |batch: Vec<interaction::ChangeEvent>| {
        let (store, interaction) = (Arc::clone(&store), interaction.clone());
        async move { apply_interaction(&store, &interaction, batch).await }
    };
    follow::follow(db, INTERACTION, open, apply, shutdown).await;
}

/// The clients whose contactability may have changed in `batch`: a channel preference
/// recorded, or the client's data erased.
pub fn contact_changes(batch: &[interaction::ChangeEvent]) -> BTreeSet<String> {
    batch
        .iter()
        .filter(|e| {
            matches!(e.resource_state, Some(interaction::change_event::ResourceState::ChannelPreferenceState(_)))
                || e.kind == interaction::ChangeKind::Erased as i32
        })
        .map(|e| id_of(&e.client))
        .filter(|id| !id.is_empty())
        .collect()
}

async fn apply_interaction(
    store: &SegmentationStore,
    interaction: &InteractionPeer,
    batch: Vec<interaction::ChangeEvent>,
) -> anyhow::Result<()> {
    let ids = contact_changes(&batch);
    if ids.is_empty() {
        return Ok(());
    }
    let contacts: Vec<(String, ContactFacts)> = futures::stream::iter(ids)
        .map(|id| async move {
            let contact = interaction.contact(&id).await?;
            Ok::<_, tonic::Status>((id, contact.unwrap_or_default()))
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    let follower = Principal::system("segmentation-feed");
    let ctx = WriteCtx::internal(&follower, "FollowInteraction", "");
    store.apply_contacts(ctx, contacts).await.map_err(|e| anyhow::anyhow!("applying contactability: {e}"))
}

async fn follow_profile(
    db: Db,
    store: Arc<SegmentationStore>,
    profile: ProfilePeer,
    stream: Option<StreamFollow>,
    shutdown: Shutdown,
) {
    let open = |after: i64| {
        let (profile, stream) = (profile.clone(), stream.clone());
        async move { open_feed(stream.as_ref(), PROFILE, after, profile.changes(after)).await }
    };
    let apply = |batch: Vec<profile::ChangeEvent>| {
        let (store, profile) = (Arc::clone(&store), profile.clone());
        async move { apply_profile(&store, &profile, batch).await }
    };
    follow::follow(db, PROFILE, open, apply, shutdown).await;
}

fn id_of(name: &str) -> String {
    name.trim_start_matches("clients/").split('/').next().unwrap_or_default().to_owned()
}

async fn apply_profile(
    store: &SegmentationStore,
    profile: &ProfilePeer,
    batch: Vec<profile::ChangeEvent>,
) -> anyhow::Result<()> {
    let mut changes = Vec::with_capacity(batch.len());
    let mut reread = BTreeSet::new();
    for event in batch {
        let merged = event.kind == ChangeKind::Merged as i32;
        match event.resource_state {
            Some(ResourceState::ClientState(client)) => changes.push(ProfileChange::Client(client)),
            Some(ResourceState::HoldingState(holding)) => {
                changes.push(ProfileChange::Holding { client_id: id_of(&event.client), holding });
            }
            Some(ResourceState::ContactState(_) | ResourceState::FinancialStatementState(_)) => {}
            None => {
                reread.insert(id_of(&event.resource));
            }
        }
        if merged {
            // The survivor (the event's client) received the duplicate's holdings.
            reread.insert(id_of(&event.client));
        }
    }
    let clients = profile.clients(&reread).await?;
    let snapshots: Vec<ProfileChange> = futures::stream::iter(reread.into_iter().zip(clients))
        .map(|(id, client)| snapshot(profile, id, client))
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    changes.extend(snapshots);
    let follower = Principal::system("segmentation-feed");
    let ctx = WriteCtx::internal(&follower, "FollowProfile", "");
    store.apply_profile(ctx, changes).await.map_err(|e| anyhow::anyhow!("applying profile changes: {e}"))
}

/// The client with all its holdings (none when it is gone, deleted or merged away).
async fn snapshot(profile: &ProfilePeer, client_id: String, client: Option<Client>) -> anyhow::Result<ProfileChange> {
    let holdings = match client.as_ref().filter(|c| c.delete_time.is_none() && c.merged_into.is_empty()) {
        Some(c) => profile.holdings(&c.name).await?,
        None => Vec::new(),
    };
    Ok(ProfileChange::Snapshot { client_id, client, holdings })
}

async fn follow_scoring(
    db: Db,
    store: Arc<SegmentationStore>,
    scoring: ScoringPeer,
    stream: Option<StreamFollow>,
    shutdown: Shutdown,
) {
    let open = |after: i64| {
        let (scoring, stream) = (scoring.clone(), stream.clone());
        async move { open_feed(stream.as_ref(), SCORING, after, scoring.changes(after)).await }
    };
    let apply = |batch: Vec<scoring::ChangeEvent>| {
        let store = Arc::clone(&store);
        async move {
            let values = batch
                .iter()
                .filter_map(|e| {
                    let id = e.client.strip_prefix("clients/")?;
                    e.value_score.as_ref().map(|s| (id.to_owned(), value_facts(s)))
                })
                .collect();
            let follower = Principal::system("segmentation-feed");
            let ctx = WriteCtx::internal(&follower, "FollowScoring", "");
            store.apply_values(ctx, values).await.map_err(|e| anyhow::anyhow!("applying value scores: {e}"))
        }
    };
    follow::follow(db, SCORING, open, apply, shutdown).await;
}

/// What segmentation keeps of a value score: the composite score, the tier, and the
/// period's revenue annualised (revenue × annualisation factor, whole units).
fn value_facts(score: &ValueScore) -> ValueFacts {
    let tier = Tier::try_from(score.tier).map(|t| t.as_str_name()).unwrap_or_default();
    let revenue = score.revenue.as_ref();
    let factor = i64::from(score.annualisation_factor.max(1));
    let currency =
        revenue.or(score.risk_adjusted_income.as_ref()).map_or_else(String::new, |m| m.currency_code.clone());
    // Risk-adjusted income and EVA are already annual; kept when in the revenue's currency.
    let whole = |m: Option<&crm_proto::google::r#type::Money>| {
        m.filter(|m| m.currency_code == currency).map(|m| annual_units(m.units, m.nanos, 1))
    };
    ValueFacts {
        score: score.composite_score,
        tier: tier.strip_prefix("TIER_").unwrap_or(tier).to_owned(),
        revenue_units: revenue.map_or(0, |m| annual_units(m.units, m.nanos, factor)),
        risk_adjusted_income_units: whole(score.risk_adjusted_income.as_ref()),
        eva_units: whole(score.eva.as_ref()),
        raroc: (!score.raroc_not_applicable).then_some(score.raroc),
        pd: component_input(score, "pd").and_then(|v| v.parse().ok()),
        previous_revenue_units: score
            .components
            .iter()
            .find(|c| c.name == "previous_annualised_revenue")
            .and_then(|c| c.value.parse::<f64>().ok())
            .map(|x| x.round() as i64),
        currency,
    }
}

/// The value of the first score component input named `name`.
fn component_input<'a>(score: &'a ValueScore, name: &str) -> Option<&'a str> {
    score.components.iter().flat_map(|c| &c.inputs).find(|i| i.name == name).map(|i| i.value.as_str())
}

/// `units + nanos` times `factor`, rounded half-even to whole units (saturating).
fn annual_units(units: i64, nanos: i32, factor: i64) -> i64 {
    let exact = (i128::from(units) * 1_000_000_000 + i128::from(nanos)) * i128::from(factor);
    let (whole, rest) = (exact.div_euclid(1_000_000_000), exact.rem_euclid(1_000_000_000));
    let rounded = match rest.cmp(&500_000_000) {
        std::cmp::Ordering::Greater => whole + 1,
        std::cmp::Ordering::Equal if whole % 2 != 0 => whole + 1,
        _ => whole,
    };
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::{
        crm::scoring::v1::{ComponentInput, ScoreComponent},
        google::r#type::Money,
    };

    #[test]
    fn nanos_count_and_halves_round_to_even() {
        assert_eq!(annual_units(250_000, 750_000_000, 4), 1_000_003);
        assert_eq!(annual_units(0, -600_000_000, 1), -1);
        assert_eq!(annual_units(0, 500_000_000, 1), 0);
        assert_eq!(annual_units(1, 500_000_000, 1), 2);
        assert_eq!(annual_units(i64::MAX, 0, 4), i64::MAX);
    }

    #[test]
    fn keeps_score_tier_and_annualised_revenue() {
        let score = ValueScore {
            composite_score: 71.5,
            tier: Tier::KeyAccount as i32,
            revenue: Some(Money { currency_code: "CNY".into(), units: 250_000, nanos: 0 }),
            annualisation_factor: 4,
            ..Default::default()
        };
        let mut score = score;
        score.risk_adjusted_income = Some(Money { currency_code: "CNY".into(), units: 90_000, nanos: 0 });
        score.components = vec![
            ScoreComponent {
                name: "expected_loss".into(),
                inputs: vec![ComponentInput { name: "pd".into(), value: "0.0025".into(), ..Default::default() }],
                ..Default::default()
            },
            ScoreComponent {
                name: "previous_annualised_revenue".into(),
                value: "800000.400000000".into(),
                ..Default::default()
            },
        ];
        let facts = value_facts(&score);
        assert_eq!(facts.risk_adjusted_income_units, Some(90_000));
        assert_eq!((facts.pd, facts.previous_revenue_units), (Some(0.0025), Some(800_000)));
        assert_eq!(facts.tier, "KEY_ACCOUNT");
        assert_eq!((facts.revenue_units, facts.currency.as_str()), (1_000_000, "CNY"));
        assert_eq!(facts.score, 71.5);
    }
}
