//! Exit reviews (docs/domain.md §1.6): a client entering the value tier REVIEW_FOR_EXIT, or
//! moved to the lifecycle stage EXITING, gets a review, owned by its relationship manager
//! and due in [`REVIEW_DAYS`] days, which a person decides (reprice, restructure or exit)
//! with reasons. Staying in the tier or stage opens no second review; leaving it and
//! entering again does, once the last one is decided. A client with a review open gets no
//! other.

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

/// What opens exit reviews: a client's value tier (scoring feed) or lifecycle stage
/// (profile feed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Tier,
    Stage,
}

impl Signal {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tier => "tier",
            Self::Stage => "stage",
        }
    }

    /// The value that opens a review.
    pub fn trigger(self) -> &'static str {
        match self {
            Self::Tier => EXIT_TIER,
            Self::Stage => EXITING_STAGE,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Tier => "value tier",
            Self::Stage => "lifecycle stage",
        }
    }
}

/// The lifecycle stage (without prefix) of a client the bank has decided to exit.
pub const EXITING_STAGE: &str = "EXITING";

/// A client's tier or stage as a feed reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub signal: Signal,
    pub client_id: String,
    /// Tier or stage without prefix, e.g. "REVIEW_FOR_EXIT".
    pub value: String,
    /// What else the trigger says, e.g. "composite score 31.5".
    pub detail: String,
    /// The feed event's sequence (a replayed or older event is ignored).
    pub sequence: i64,
    /// The client's relationship manager, when the event carries it.
    pub owner: Option<String>,
}

/// Whether moving from `previous` (none: first seen) to `value` enters the review.
pub fn enters_review(signal: Signal, previous: Option<&str>, value: &str) -> bool {
    value == signal.trigger() && previous != Some(signal.trigger())
}

/// The review `seen` opens at `now` (microseconds), owned by `owner`; the store names it.
pub fn open(seen: &Seen, previous: Option<&str>, owner: &str, now: i64) -> ExitReview {
    let was = previous.map_or_else(|| "first seen".to_owned(), |p| format!("was {p}"));
    let detail = if seen.detail.is_empty() { String::new() } else { format!("{}; ", seen.detail) };
    ExitReview {
        client: format!("clients/{}", seen.client_id),
        state: ExitReviewState::Open as i32,
        owner: owner.to_owned(),
        due_time: Some(to_timestamp(now + REVIEW_DAYS * DAY_MICROS)),
        trigger: format!("{} {} ({detail}{was})", seen.signal.label(), seen.value),
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

    fn seen(tier: &str) -> Seen {
        Seen {
            signal: Signal::Tier,
            client_id: "c1".into(),
            value: tier.into(),
            detail: "composite score 31.5".into(),
            sequence: 7,
            owner: None,
        }
    }

    #[test]
    fn only_entering_the_tier_or_the_stage_opens_a_review() {
        assert!(enters_review(Signal::Tier, None, EXIT_TIER));
        assert!(enters_review(Signal::Tier, Some("MAINTAIN"), EXIT_TIER));
        assert!(!enters_review(Signal::Tier, Some(EXIT_TIER), EXIT_TIER), "staying is not entering");
        assert!(!enters_review(Signal::Tier, Some(EXIT_TIER), "MAINTAIN"));
        assert!(enters_review(Signal::Stage, Some("AT_RISK"), EXITING_STAGE));
        assert!(!enters_review(Signal::Stage, Some("ACTIVE"), EXIT_TIER), "a stage is not a tier");
        let review = open(&seen(EXIT_TIER), Some("MAINTAIN"), "rm-1", 0);
        assert_eq!(review.trigger, "value tier REVIEW_FOR_EXIT (composite score 31.5; was MAINTAIN)");
        assert_eq!((review.owner.as_str(), review.state), ("rm-1", ExitReviewState::Open as i32));
        assert_eq!(review.due_time.map(|t| t.seconds), Some(30 * 86_400));
        let stage = Seen { signal: Signal::Stage, value: EXITING_STAGE.into(), detail: String::new(), ..seen("") };
        assert_eq!(open(&stage, Some("AT_RISK"), "rm-1", 0).trigger, "lifecycle stage EXITING (was AT_RISK)");
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
