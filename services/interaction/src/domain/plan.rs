//! Key-account plans (docs/domain.md §1.6): objectives, team, actions with their status,
//! and a review date. A plan is reviewed and updated; it is for key accounts only.

use crm_kit::{ApiError, ApiResult, Violations, time::from_timestamp};
use crm_proto::crm::interaction::v1::{AccountPlan, PlanActionStatus};

use super::interaction::{MAX_STAFF_ID, too_long};

/// Most objectives, team members or actions on one plan.
const MAX_LIST: usize = 50;

/// Fields UpdateAccountPlan may change.
pub const WRITABLE_FIELDS: [&str; 6] = ["title", "objectives", "team", "actions", "review_time", "owner"];

/// The value tier a plan is for.
pub const KEY_ACCOUNT_TIER: &str = "KEY_ACCOUNT";

/// Validates and trims a new plan at `now` (microseconds).
pub fn prepare(plan: &mut AccountPlan, now: i64) -> ApiResult<()> {
    check(plan, now, true)
}

/// The fields of an update mask (INVALID_ARGUMENT `update_mask` for others).
pub fn mask_fields(paths: &[String]) -> ApiResult<Vec<&'static str>> {
    super::mask::fields(paths, &WRITABLE_FIELDS)
}

/// Applies the masked fields of `patch` to `current` at `now`: the plan after its review.
/// A changed `review_time` must be in the future; an unchanged one may have passed.
pub fn apply_update(current: &AccountPlan, patch: AccountPlan, fields: &[&str], now: i64) -> ApiResult<AccountPlan> {
    let mut next = current.clone();
    for field in fields {
        match *field {
            "title" => next.title.clone_from(&patch.title),
            "objectives" => next.objectives.clone_from(&patch.objectives),
            "team" => next.team.clone_from(&patch.team),
            "actions" => next.actions.clone_from(&patch.actions),
            "review_time" => next.review_time = patch.review_time,
            "owner" => next.owner.clone_from(&patch.owner),
            _ => {}
        }
    }
    check(&mut next, now, fields.contains(&"review_time"))?;
    Ok(next)
}

/// Sets `review_due` as of `now`.
pub fn mark_review_due(plan: &mut AccountPlan, now: i64) {
    plan.review_due = plan.review_time.as_ref().is_some_and(|t| from_timestamp(t) <= now);
}

/// Plans are for key accounts: a client with a value score in another tier gets none. A
/// client not scored yet may get one (the plan may come before the first score).
pub fn check_tier(client: &str, tier: Option<&str>) -> ApiResult<()> {
    match tier {
        Some(tier) if tier != KEY_ACCOUNT_TIER => Err(ApiError::failed_precondition(
            "NOT_A_KEY_ACCOUNT",
            format!("{client} is in value tier {tier}; account plans are for {KEY_ACCOUNT_TIER} clients"),
        )
        .with_metadata("tier", tier)),
        _ => Ok(()),
    }
}

/// Validates and trims `plan` at `now`; `new_review`: its review time is being set and must
/// be in the future.
fn check(plan: &mut AccountPlan, now: i64, new_review: bool) -> ApiResult<()> {
    plan.title = plan.title.trim().to_owned();
    plan.owner = plan.owner.trim().to_owned();
    let mut v = Violations::default();
    if plan.title.is_empty() {
        v.add("account_plan.title", "is required");
    }
    too_long(&mut v, "account_plan.title", &plan.title, 200);
    too_long(&mut v, "account_plan.owner", &plan.owner, MAX_STAFF_ID);
    if plan.objectives.is_empty() {
        v.add("account_plan.objectives", "at least one objective is required");
    }
    if plan.team.is_empty() {
        v.add("account_plan.team", "at least one team member is required");
    }
    for (field, len) in
        [("objectives", plan.objectives.len()), ("team", plan.team.len()), ("actions", plan.actions.len())]
    {
        if len > MAX_LIST {
            v.add(format!("account_plan.{field}"), format!("at most {MAX_LIST}"));
        }
    }
    for (i, o) in plan.objectives.iter_mut().enumerate() {
        o.description = o.description.trim().to_owned();
        o.measure = o.measure.trim().to_owned();
        if o.description.is_empty() {
            v.add(format!("account_plan.objectives[{i}].description"), "is required");
        }
        too_long(&mut v, &format!("account_plan.objectives[{i}].description"), &o.description, 1_000);
        too_long(&mut v, &format!("account_plan.objectives[{i}].measure"), &o.measure, 500);
    }
    for (i, m) in plan.team.iter_mut().enumerate() {
        m.staff_id = m.staff_id.trim().to_owned();
        m.role = m.role.trim().to_owned();
        if m.staff_id.is_empty() {
            v.add(format!("account_plan.team[{i}].staff_id"), "is required");
        }
        if m.role.is_empty() {
            v.add(format!("account_plan.team[{i}].role"), "is required");
        }
        too_long(&mut v, &format!("account_plan.team[{i}].staff_id"), &m.staff_id, MAX_STAFF_ID);
        too_long(&mut v, &format!("account_plan.team[{i}].role"), &m.role, 100);
    }
    for (i, a) in plan.actions.iter_mut().enumerate() {
        a.description = a.description.trim().to_owned();
        a.owner = a.owner.trim().to_owned();
        if a.description.is_empty() {
            v.add(format!("account_plan.actions[{i}].description"), "is required");
        }
        too_long(&mut v, &format!("account_plan.actions[{i}].description"), &a.description, 1_000);
        too_long(&mut v, &format!("account_plan.actions[{i}].owner"), &a.owner, MAX_STAFF_ID);
        match PlanActionStatus::try_from(a.status) {
            Ok(PlanActionStatus::Unspecified) => a.status = PlanActionStatus::Open as i32,
            Ok(_) => {}
            Err(_) => v.add(format!("account_plan.actions[{i}].status"), "is not a plan action status"),
        }
    }
    match &plan.review_time {
        None => v.add("account_plan.review_time", "is required"),
        Some(t) if new_review && from_timestamp(t) <= now => v.add("account_plan.review_time", "must be in the future"),
        Some(_) => {}
    }
    v.check()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::time::to_timestamp;
    use crm_proto::crm::interaction::v1::{PlanAction, PlanObjective, TeamMember};

    #[test]
    fn a_plan_needs_objectives_a_team_and_a_future_review() {
        let mut empty = AccountPlan { review_time: Some(to_timestamp(5)), ..Default::default() };
        let err = prepare(&mut empty, 10).expect_err("invalid");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            ["account_plan.title", "account_plan.objectives", "account_plan.team", "account_plan.review_time"]
        );
        let mut plan = AccountPlan {
            title: " 2027 plan ".into(),
            objectives: vec![PlanObjective { description: "Win import LCs".into(), ..Default::default() }],
            team: vec![TeamMember { staff_id: "kam-1".into(), role: "Key account manager".into() }],
            review_time: Some(to_timestamp(20)),
            ..Default::default()
        };
        assert!(prepare(&mut plan, 10).is_ok());
        assert_eq!(plan.title, "2027 plan");
    }

    #[test]
    fn a_review_updates_actions_and_sets_the_next_review() {
        let mut plan = AccountPlan {
            title: "2027 plan".into(),
            objectives: vec![PlanObjective { description: "Win import LCs".into(), ..Default::default() }],
            team: vec![TeamMember { staff_id: "kam-1".into(), role: "Key account manager".into() }],
            actions: vec![PlanAction { description: "Pitch LC pricing".into(), ..Default::default() }],
            review_time: Some(to_timestamp(20)),
            ..Default::default()
        };
        prepare(&mut plan, 10).expect("valid");
        assert_eq!(plan.actions[0].status, PlanActionStatus::Open as i32, "a new action is open");
        mark_review_due(&mut plan, 30);
        assert!(plan.review_due, "the review time has passed");

        // Reviewing: an action done, the review date passed but not touched is fine.
        let done = PlanAction { status: PlanActionStatus::Done as i32, ..plan.actions[0].clone() };
        let patch = AccountPlan { actions: vec![done], ..Default::default() };
        let next = apply_update(&plan, patch, &["actions"], 30).expect("update");
        assert_eq!(next.actions[0].status, PlanActionStatus::Done as i32);
        let stale = AccountPlan { review_time: Some(to_timestamp(25)), ..Default::default() };
        let err = apply_update(&plan, stale, &["review_time"], 30).expect_err("a new review must be ahead");
        assert_eq!(err.violations()[0].field, "account_plan.review_time");
        let bad = PlanAction { status: 42, ..plan.actions[0].clone() };
        let err = apply_update(&plan, AccountPlan { actions: vec![bad], ..Default::default() }, &["actions"], 30)
            .expect_err("unknown status");
        assert_eq!(err.violations()[0].field, "account_plan.actions[0].status");
    }

    #[test]
    fn plans_are_for_key_accounts() {
        assert!(check_tier("clients/a", Some("KEY_ACCOUNT")).is_ok());
        assert!(check_tier("clients/a", None).is_ok(), "not scored yet");
        let err = check_tier("clients/a", Some("REVIEW_FOR_EXIT")).expect_err("not a key account");
        assert_eq!(err.reason(), "NOT_A_KEY_ACCOUNT");
    }
}
