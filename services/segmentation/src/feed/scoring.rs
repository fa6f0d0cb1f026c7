//! Following the scoring service's change feed: each event carries a client's new value
//! score, kept in the projection for rules (`client.value_tier`, `client.value_score`, ...)
//! and for the report's revenue and mean value.

use std::sync::Arc;

use crm_kit::{follow, peer::PeerAuth, server::Shutdown};
use crm_proto::crm::scoring::v1::{
    ChangeEvent, Tier, ValueScore, WatchChangesRequest, value_scoring_service_client::ValueScoringServiceClient,
};
use tonic::transport::Channel;

use crate::{domain::view::ValueFacts, store::SegmentationStore};

/// Cursor name of the scoring feed.
pub const SOURCE: &str = "scoring";

/// What segmentation keeps of a value score: the composite score, the tier, and the
/// period's revenue annualised (revenue × annualisation factor, whole units).
pub fn value_facts(score: &ValueScore) -> ValueFacts {
    let tier = Tier::try_from(score.tier).map(|t| t.as_str_name()).unwrap_or_default();
    let revenue = score.revenue.as_ref();
    let factor = i64::from(score.annualisation_factor.max(1));
    ValueFacts {
        score: score.composite_score,
        tier: tier.strip_prefix("TIER_").unwrap_or(tier).to_owned(),
        revenue_units: revenue.map_or(0, |m| annual_units(m.units, m.nanos, factor)),
        currency: revenue.map_or_else(String::new, |m| m.currency_code.clone()),
    }
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
mod annual_tests {
    use super::annual_units;

    #[test]
    fn nanos_count_and_halves_round_to_even() {
        assert_eq!(annual_units(250_000, 750_000_000, 4), 1_000_003);
        assert_eq!(annual_units(0, -600_000_000, 1), -1);
        assert_eq!(annual_units(0, 500_000_000, 1), 0);
        assert_eq!(annual_units(1, 500_000_000, 1), 2);
        assert_eq!(annual_units(i64::MAX, 0, 4), i64::MAX);
    }
}

/// Follows the scoring feed until `shutdown`.
pub async fn follow_scoring<S: SegmentationStore>(store: Arc<S>, channel: Channel, auth: PeerAuth, shutdown: Shutdown) {
    let scoring = ValueScoringServiceClient::with_interceptor(channel, auth);
    let db = store.db().clone();
    let open = |after: i64| {
        let mut scoring = scoring.clone();
        async move {
            scoring.watch_changes(WatchChangesRequest { after_sequence: after }).await.map(tonic::Response::into_inner)
        }
    };
    let apply = |batch: Vec<ChangeEvent>| {
        let store = Arc::clone(&store);
        async move {
            let values = batch
                .iter()
                .filter_map(|e| {
                    let id = e.client.strip_prefix("clients/")?;
                    e.value_score.as_ref().map(|s| (id.to_owned(), value_facts(s)))
                })
                .collect();
            store.apply_values(values).await.map_err(|e| anyhow::anyhow!("applying value scores: {e}"))
        }
    };
    follow::follow(db, SOURCE, open, apply, shutdown).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::google::r#type::Money;

    #[test]
    fn keeps_score_tier_and_annualised_revenue() {
        let score = ValueScore {
            composite_score: 71.5,
            tier: Tier::KeyAccount as i32,
            revenue: Some(Money { currency_code: "CNY".into(), units: 250_000, nanos: 0 }),
            annualisation_factor: 4,
            ..Default::default()
        };
        let facts = value_facts(&score);
        assert_eq!(facts.tier, "KEY_ACCOUNT");
        assert_eq!((facts.revenue_units, facts.currency.as_str()), (1_000_000, "CNY"));
        assert_eq!(facts.score, 71.5);
    }
}
