//! Key-account plans (docs/domain.md §1.6): objectives, team, actions and a review date.

use crm_kit::{ApiResult, Violations, time::from_timestamp};
use crm_proto::crm::interaction::v1::AccountPlan;

use super::interaction::{MAX_STAFF_ID, too_long};

/// Most objectives, team members or actions on one plan.
const MAX_LIST: usize = 50;

/// Validates and trims a new plan at `now` (microseconds).
pub fn prepare(plan: &mut AccountPlan, now: i64) -> ApiResult<()> {
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
    }
    match &plan.review_time {
        None => v.add("account_plan.review_time", "is required"),
        Some(t) if from_timestamp(t) <= now => v.add("account_plan.review_time", "must be in the future"),
        Some(_) => {}
    }
    v.check()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::time::to_timestamp;
    use crm_proto::crm::interaction::v1::{PlanObjective, TeamMember};

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
}
