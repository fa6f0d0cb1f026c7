//! Exit reviews as a process: value scoring puts a client in REVIEW_FOR_EXIT (or a manager
//! moves it to the lifecycle stage EXITING), the service (following the feeds) opens one
//! review owned by the client's relationship manager, and a manager of the portfolio decides
//! it with reasons. Plans are for key accounts.

use std::ops::Deref;

use crm_kit::time::{now_micros, to_timestamp};
use crm_proto::crm::interaction::v1::{
    AccountPlan, CreateAccountPlanRequest, DecideExitReviewRequest, ExitDecision, ExitReview, ExitReviewState,
    GetExitReviewRequest, ListExitReviewsRequest, PlanObjective, TeamMember,
};
use crm_proto::crm::{
    profile::v1::{Client, EraseClientRequest, LifecycleStage, UpdateClientRequest},
    scoring::v1::Tier,
};
use tonic::Code;

use crate::support::{self, Backend, conformance, eventually, reason, violations};

/// The app with value scoring running.
pub struct TestApp(support::TestApp);

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self(support::TestApp::spawn_full(backend, false, true).await)
    }

    pub async fn finish(self) {
        self.0.finish().await;
    }

    async fn reviews(&self, client: &str) -> Vec<ExitReview> {
        let request = ListExitReviewsRequest { parent: client.into(), ..Default::default() };
        self.agent().list_exit_reviews(request).await.expect("reviews").into_inner().exit_reviews
    }
}

impl Deref for TestApp {
    type Target = support::TestApp;

    fn deref(&self) -> &support::TestApp {
        &self.0
    }
}

fn decide(name: &str, decision: ExitDecision, reasons: &[&str]) -> DecideExitReviewRequest {
    DecideExitReviewRequest {
        name: name.into(),
        decision: decision as i32,
        reasons: reasons.iter().map(|r| (*r).to_owned()).collect(),
        etag: String::new(),
    }
}

conformance!(entering_review_for_exit_opens_one_review_that_a_manager_decides, async |app: &TestApp| {
    let client = app.new_client("Thin Margin Trading", "rm-1").await;
    app.score_below_hurdle(&client).await;
    let opened = eventually("the exit review to open", || async {
        let reviews = app.reviews(&client).await;
        (!reviews.is_empty()).then_some(reviews)
    })
    .await;
    assert_eq!(opened.len(), 1);
    let review = &opened[0];
    assert_eq!((review.state, review.owner.as_str()), (ExitReviewState::Open as i32, "rm-1"));
    assert!(review.trigger.starts_with("value tier REVIEW_FOR_EXIT (composite score "), "{}", review.trigger);
    assert!(review.trigger.ends_with("; first seen)"), "{}", review.trigger);
    let due = review.due_time.expect("due").seconds - review.create_time.expect("opened").seconds;
    assert_eq!(due, 30 * 86_400);
    assert!(!review.overdue);

    // Staying in the tier opens no second review: a later period scored the same way (shown
    // below: the feed is applied in order, and only the later re-entry opens the second).
    let tier = app.score(&client, "B", "2026-11", [20_000, 5_000, 16_000, 5_000_000]).await;
    assert_eq!(tier, Tier::ReviewForExit);
    let plan = AccountPlan {
        title: "Keep them".into(),
        objectives: vec![PlanObjective { description: "Grow".into(), ..Default::default() }],
        team: vec![TeamMember { staff_id: "rm-1".into(), role: "lead".into() }],
        review_time: Some(to_timestamp(now_micros() + 86_400_000_000)),
        ..Default::default()
    };
    let request =
        CreateAccountPlanRequest { parent: client.clone(), account_plan: Some(plan), request_id: String::new() };
    let refused = app.admin().create_account_plan(request).await.expect_err("not a key account");
    assert_eq!((refused.code(), reason(&refused).as_str()), (Code::FailedPrecondition, "NOT_A_KEY_ACCOUNT"));

    // Deciding: only the portfolio's managers and ADMIN, with a decision and reasons.
    let name = review.name.clone();
    let reasons = ["Fees do not cover the cost to serve", "Agreed a 40 bp margin increase"];
    let err = app.agent().decide_exit_review(decide(&name, ExitDecision::Reprice, &reasons)).await.expect_err("agent");
    assert_eq!(reason(&err), "ROLE_CANNOT_DECIDE_EXIT");
    let err =
        app.rm("rm-2").decide_exit_review(decide(&name, ExitDecision::Reprice, &reasons)).await.expect_err("other");
    assert_eq!(reason(&err), "NOT_IN_PORTFOLIO");
    let err =
        app.rm("rm-1").decide_exit_review(decide(&name, ExitDecision::Unspecified, &[])).await.expect_err("empty");
    assert_eq!(violations(&err), ["decision", "reasons"]);
    let stale = DecideExitReviewRequest { etag: "\"r9\"".into(), ..decide(&name, ExitDecision::Reprice, &reasons) };
    assert_eq!(app.rm("rm-1").decide_exit_review(stale).await.expect_err("stale").code(), Code::Aborted);
    let decided = app.rm("rm-1").decide_exit_review(decide(&name, ExitDecision::Reprice, &reasons)).await;
    let decided = decided.expect("decided").into_inner();
    assert_eq!((decided.state, decided.decision), (ExitReviewState::Decided as i32, ExitDecision::Reprice as i32));
    assert_eq!((decided.reasons.len(), decided.decider.as_str()), (2, "rm-1"));
    let again = app.admin().decide_exit_review(decide(&name, ExitDecision::Exit, &["Changed our mind"])).await;
    let again = again.expect_err("decided once");
    assert_eq!((again.code(), reason(&again).as_str()), (Code::FailedPrecondition, "EXIT_REVIEW_DECIDED"));
    let read = app.agent().get_exit_review(GetExitReviewRequest { name: name.clone() }).await.expect("get");
    assert_eq!(read.into_inner(), decided);
    let missing = GetExitReviewRequest { name: format!("{client}/exitReviews/nope") };
    assert_eq!(app.agent().get_exit_review(missing).await.expect_err("missing").code(), Code::NotFound);

    // Leaving the tier and entering it again opens a new review.
    let tier = app.score(&client, "BBB", "2026-Q4", [300_000, 100_000, 50_000, 10_000_000]).await;
    assert_ne!(tier, Tier::ReviewForExit);
    app.score_below_hurdle_again(&client).await;
    let reviews = eventually("a second review", || async {
        let reviews = app.reviews(&client).await;
        (reviews.iter().any(|r| r.state == ExitReviewState::Open as i32)).then_some(reviews)
    })
    .await;
    assert_eq!(reviews.len(), 2, "staying in the tier opened none: {reviews:?}");
    assert_eq!(reviews[0].state, ExitReviewState::Open as i32);
    assert!(reviews[0].trigger.contains("; was "), "{}", reviews[0].trigger);

    // Erasing the client erases the words of the decision, not the decision.
    let erase = EraseClientRequest { name: client.clone(), reason: "DSR-9".into() };
    app.profile().erase_client(erase).await.expect("erase");
    let erased = eventually("the erasure to reach the exit reviews", || async {
        let read = app.agent().get_exit_review(GetExitReviewRequest { name: name.clone() }).await.expect("get");
        let review = read.into_inner();
        (review.reasons.iter().all(|r| r == "(erased)")).then_some(review)
    })
    .await;
    assert_eq!((erased.decision, erased.reasons.len()), (ExitDecision::Reprice as i32, 2));
});

impl TestApp {
    /// A later month below the hurdle again (grade B).
    async fn score_below_hurdle_again(&self, client: &str) {
        let tier = self.score(client, "B", "2027-01", [20_000, 5_000, 15_000, 5_000_000]).await;
        assert_eq!(tier, Tier::ReviewForExit);
    }
}

conformance!(moving_a_client_to_exiting_opens_a_review_once, async |app: &TestApp| {
    let client = app.new_client("Winding Down Ltd", "rm-7").await;
    let stage = |s: LifecycleStage| UpdateClientRequest {
        client: Some(Client { name: client.clone(), lifecycle_stage: s as i32, ..Default::default() }),
        update_mask: Some(prost_types::FieldMask { paths: vec!["lifecycle_stage".into()] }),
    };
    for s in [LifecycleStage::Active, LifecycleStage::AtRisk, LifecycleStage::Exiting] {
        app.profile().update_client(stage(s)).await.expect("moved");
    }
    let opened = eventually("the exit review to open", || async {
        let reviews = app.reviews(&client).await;
        (!reviews.is_empty()).then_some(reviews)
    })
    .await;
    assert_eq!(
        (opened[0].owner.as_str(), opened[0].trigger.as_str()),
        ("rm-7", "lifecycle stage EXITING (was AT_RISK)")
    );
    // Kept after all, then exiting again with the review still open: no second review.
    let (_, mut last) = stage_seen(app, &client, "EXITING", 0).await;
    for s in [LifecycleStage::Active, LifecycleStage::Exiting] {
        app.profile().update_client(stage(s)).await.expect("moved");
        (_, last) = stage_seen(app, &client, s.as_str_name().trim_start_matches("LIFECYCLE_STAGE_"), last).await;
    }
    assert_eq!(app.reviews(&client).await.len(), 1, "a review is open already");
});

/// The stage the interaction service last saw for `client` on the profile feed, once it is
/// `want` with a sequence after `after`.
async fn stage_seen(app: &TestApp, client: &str, want: &str, after: i64) -> (String, i64) {
    let id = client.trim_start_matches("clients/").to_owned();
    eventually("the follower to see the stage", || async {
        let seen: Option<(String, i64)> =
            sqlx::query_as("SELECT value, sequence FROM review_signals WHERE client_id = $1 AND signal = 'stage'")
                .bind(&id)
                .fetch_optional(app.db.reader())
                .await
                .expect("signals");
        seen.filter(|(value, sequence)| value == want && *sequence > after)
    })
    .await
}
