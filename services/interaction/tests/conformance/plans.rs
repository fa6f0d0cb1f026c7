//! Key-account plans as a process: made, then reviewed (actions progressed, the next review
//! set) by the key-account manager, with optimistic concurrency.

use crm_kit::{
    auth::Role,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    AccountPlan, CreateAccountPlanRequest, ListAccountPlansRequest, PlanAction, PlanActionStatus, PlanObjective,
    TeamMember, UpdateAccountPlanRequest,
};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{TestApp, conformance, reason, violations};

const DAY: i64 = 86_400_000_000;

fn update(plan: AccountPlan, paths: &[&str]) -> UpdateAccountPlanRequest {
    let update_mask = Some(FieldMask { paths: paths.iter().map(|p| (*p).to_owned()).collect() });
    UpdateAccountPlanRequest { account_plan: Some(plan), update_mask }
}

conformance!(a_key_account_plan_is_reviewed_and_its_actions_progress, async |app: &TestApp| {
    let client = app.new_client("Jade River Trading", "kam-book-1").await;
    let plan = AccountPlan {
        title: "2027: first-choice bank for trade".into(),
        objectives: vec![PlanObjective { description: "Win the import LC business".into(), ..Default::default() }],
        team: vec![TeamMember { staff_id: "kam-1".into(), role: "Key account manager".into() }],
        actions: vec![
            PlanAction { description: "Pitch LC pricing".into(), owner: "kam-1".into(), ..Default::default() },
            PlanAction { description: "Open a CNY cash pool".into(), ..Default::default() },
        ],
        review_time: Some(to_timestamp(now_micros() + 90 * DAY)),
        ..Default::default()
    };
    let mut kam = app.client_as(Role::KeyAccountManager, "kam-1", Some("kam-book-1"));
    let request =
        CreateAccountPlanRequest { parent: client.clone(), account_plan: Some(plan), request_id: String::new() };
    let made = kam.create_account_plan(request).await.expect("plan").into_inner();
    let statuses = |p: &AccountPlan| p.actions.iter().map(|a| a.status).collect::<Vec<_>>();
    assert_eq!(statuses(&made), [PlanActionStatus::Open as i32; 2], "new actions are open");
    assert!(!made.etag.is_empty() && !made.review_due);
    assert_eq!(made.value_tier, "", "the client has no value score yet");

    // The review: the first action is done, the second dropped, the next review set.
    let mut reviewed = made.clone();
    reviewed.actions[0].status = PlanActionStatus::Done as i32;
    reviewed.actions[1].status = PlanActionStatus::Dropped as i32;
    let next_review = to_timestamp(now_micros() + 180 * DAY);
    reviewed.review_time = Some(next_review);
    let request = update(reviewed.clone(), &["actions", "review_time"]);
    let err = app.rm("kam-book-1").update_account_plan(request.clone()).await.expect_err("RMs do not plan");
    assert_eq!(reason(&err), "ROLE_CANNOT_PLAN");
    let other = app.client_as(Role::KeyAccountManager, "kam-2", Some("kam-book-2"));
    let err = other.clone().update_account_plan(request.clone()).await.expect_err("other book");
    assert_eq!(reason(&err), "NOT_IN_PORTFOLIO");
    let updated = kam.update_account_plan(request.clone()).await.expect("review").into_inner();
    assert_eq!(statuses(&updated), [PlanActionStatus::Done as i32, PlanActionStatus::Dropped as i32]);
    assert_eq!((updated.review_time, updated.title.as_str()), (Some(next_review), made.title.as_str()));
    assert_eq!((updated.creator.as_str(), updated.create_time), ("kam-1", made.create_time));
    assert_ne!(updated.etag, made.etag);

    // The same review again with the old etag is a lost update.
    let stale = kam.update_account_plan(request).await.expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    // A review time in the past and an unknown field are refused.
    let mut past = updated.clone();
    past.review_time = Some(to_timestamp(now_micros() - DAY));
    let err = kam.update_account_plan(update(past, &["review_time"])).await.expect_err("past review");
    assert_eq!(violations(&err), ["account_plan.review_time"]);
    let err = kam.update_account_plan(update(updated.clone(), &["creator"])).await.expect_err("output only");
    assert_eq!(violations(&err), ["update_mask"]);

    let listed = app
        .agent()
        .list_account_plans(ListAccountPlansRequest { parent: client, ..Default::default() })
        .await
        .expect("list")
        .into_inner();
    assert_eq!(listed.account_plans, [updated], "the plan as reviewed");
});
