//! Exit reviews (docs/domain.md §1.6): a client entering the value tier REVIEW_FOR_EXIT gets
//! a review, owned by its relationship manager and due in [`REVIEW_DAYS`] days, which a
//! person decides (reprice, restructure or exit) with reasons. Staying in the tier opens no
//! second review; leaving it and entering again does, once the last one is decided.

use crm_kit::{
    ApiError, ApiResult, Violations,
    time::{from_timestamp, to_timestamp},
};
use crm_proto::crm::interaction::v1::{ExitDecision, ExitReview, ExitReviewState};

use super::{eligibility::EXIT_TIER, interaction::too_long};

/// Days from opening to the decision's due time.
pub const REVIEW_DAYS: i64 = 30;
const DAY_MICROS: i64 = 86_400_000_000;
/// Most reasons on one decision.
const MAX_REASONS: usize = 20;

/// A client's value tier as the scoring feed reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct TierSeen {
    pub client_id: String,
    /// Tier without prefix, e.g. "REVIEW_FOR_EXIT".
    pub tier: String,
    pub composite_score: f64,
    /// The feed event's sequence (a replayed or older event is ignored).
    pub sequence: i64,
}

/// Whether moving from `previous` (none: first score seen) to `tier` enters REVIEW_FOR_EXIT.
pub fn enters_review(previous: Option<&str>, tier: &str) -> bool {
    tier == EXIT_TIER && previous != Some(EXIT_TIER)
}

/// The review `seen` opens at `now` (microseconds), owned by `owner`; the store names it.
pub fn open(seen: &TierSeen, previous: Option<&str>, owner: &str, now: i64) -> ExitReview {
    let was = previous.map_or_else(|| "first score".to_owned(), |p| format!("was {p}"));
    ExitReview {
        client: format!("clients/{}", seen.client_id),
        state: ExitReviewState::Open as i32,
        owner: owner.to_owned(),
        due_time: Some(to_timestamp(now + REVIEW_DAYS * DAY_MICROS)),
        trigger: format!("value tier {} (composite score {:.1}; {was})", seen.tier, seen.composite_score),
        create_time: Some(to_timestamp(now)),
        ..Default::default()
    }
}

/// `current` decided by `decider` at `now`: INVALID_ARGUMENT for a missing decision or
/// reasons, FAILED_PRECONDITION EXIT_REVIEW_DECIDED when it was decided already.
pub fn decide(
    current: &ExitReview,
    decision: i32,
    reasons: &[String],
    decider: &str,
    now: i64,
) -> ApiResult<ExitReview> {
    let reasons: Vec<String> = reasons.iter().map(|r| r.trim().to_owned()).collect();
    let mut v = Violations::default();
    match ExitDecision::try_from(decision) {
        Ok(ExitDecision::Unspecified) | Err(_) => v.add("decision", "is required: reprice, restructure or exit"),
        Ok(_) => {}
    }
    if reasons.is_empty() || reasons.iter().any(String::is_empty) {
        v.add("reasons", "at least one reason is required, none empty");
    }
    if reasons.len() > MAX_REASONS {
        v.add("reasons", format!("at most {MAX_REASONS}"));
    }
    for (i, reason) in reasons.iter().enumerate() {
        too_long(&mut v, &format!("reasons[{i}]"), reason, 1_000);
    }
    v.check()?;
    if current.state != ExitReviewState::Open as i32 {
        return Err(ApiError::failed_precondition(
            "EXIT_REVIEW_DECIDED",
            format!("{} was decided already", current.name),
        ));
    }
    Ok(ExitReview {
        state: ExitReviewState::Decided as i32,
        decision,
        reasons,
        decider: decider.to_owned(),
        decide_time: Some(to_timestamp(now)),
        ..current.clone()
    })
}

/// Sets `overdue` as of `now`.
pub fn mark_overdue(review: &mut ExitReview, now: i64) {
    review.overdue = review.state == ExitReviewState::Open as i32
        && review.due_time.as_ref().is_some_and(|t| from_timestamp(t) < now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(tier: &str) -> TierSeen {
        TierSeen { client_id: "c1".into(), tier: tier.into(), composite_score: 31.46, sequence: 7 }
    }

    #[test]
    fn only_entering_the_tier_opens_a_review() {
        assert!(enters_review(None, EXIT_TIER));
        assert!(enters_review(Some("MAINTAIN"), EXIT_TIER));
        assert!(!enters_review(Some(EXIT_TIER), EXIT_TIER), "staying is not entering");
        assert!(!enters_review(Some(EXIT_TIER), "MAINTAIN"));
        let review = open(&seen(EXIT_TIER), Some("MAINTAIN"), "rm-1", 0);
        assert_eq!(review.trigger, "value tier REVIEW_FOR_EXIT (composite score 31.5; was MAINTAIN)");
        assert_eq!((review.owner.as_str(), review.state), ("rm-1", ExitReviewState::Open as i32));
        assert_eq!(review.due_time.map(|t| t.seconds), Some(30 * 86_400));
    }

    #[test]
    fn a_review_is_decided_once_with_reasons() {
        let review = ExitReview { name: "clients/c1/exitReviews/r".into(), ..open(&seen(EXIT_TIER), None, "rm-1", 0) };
        let reasons = vec![" Fees below cost to serve ".to_owned()];
        let decided = decide(&review, ExitDecision::Reprice as i32, &reasons, "rm-1", 5).expect("decided");
        assert_eq!((decided.state, decided.decision), (ExitReviewState::Decided as i32, ExitDecision::Reprice as i32));
        assert_eq!(decided.reasons, ["Fees below cost to serve"]);
        let again = decide(&decided, ExitDecision::Exit as i32, &reasons, "rm-1", 6).expect_err("decided");
        assert_eq!(again.reason(), "EXIT_REVIEW_DECIDED");
        let err = decide(&review, 0, &[], "rm-1", 5).expect_err("nothing decided");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["decision", "reasons"]);
    }

    #[test]
    fn an_open_review_past_its_due_time_is_overdue() {
        let mut review = open(&seen(EXIT_TIER), None, "rm-1", 0);
        mark_overdue(&mut review, REVIEW_DAYS * DAY_MICROS + 1);
        assert!(review.overdue);
        mark_overdue(&mut review, 1);
        assert!(!review.overdue);
    }
}
