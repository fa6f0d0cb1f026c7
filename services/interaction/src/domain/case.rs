//! Rules of a case: validation, the service-level agreement, the state machine and updates.

use crm_kit::{
    ApiError, ApiResult, Violations,
    time::{from_timestamp, to_timestamp},
};
use crm_proto::crm::interaction::v1::{Case, CaseCategory, CasePriority, CaseState, Channel};

use super::interaction::{MAX_STAFF_ID, MAX_SUMMARY, too_long};

/// Longest title.
const MAX_TITLE: usize = 200;
/// Microseconds in an hour.
const HOUR: i64 = 3_600_000_000;

/// Fields UpdateCase may change (`*` means all of them).
pub const WRITABLE_FIELDS: [&str; 6] = ["title", "description", "priority", "owner", "state", "resolution"];

/// The SLA of a category and priority, in hours: the category's hours scaled by the priority
/// (LOW ×2, NORMAL ×1, HIGH ×½, URGENT ×¼), at least one hour.
pub fn sla_hours(category: CaseCategory, priority: CasePriority) -> i32 {
    let base = match category {
        CaseCategory::PaymentIssue | CaseCategory::CardIssue => 24,
        CaseCategory::Complaint | CaseCategory::InformationRequest => 48,
        CaseCategory::AccountService | CaseCategory::DocumentRequest => 72,
        CaseCategory::CreditRequest => 120,
        CaseCategory::Unspecified => 72,
    };
    let scaled = match priority {
        CasePriority::Low => base * 2,
        CasePriority::Unspecified | CasePriority::Normal => base,
        CasePriority::High => base / 2,
        CasePriority::Urgent => base / 4,
    };
    scaled.max(1)
}

fn category(case: &Case) -> CaseCategory {
    CaseCategory::try_from(case.category).unwrap_or(CaseCategory::Unspecified)
}

fn priority(case: &Case) -> CasePriority {
    CasePriority::try_from(case.priority).unwrap_or(CasePriority::Unspecified)
}

/// The state of a case (UNSPECIFIED for an unknown value).
pub fn state(case: &Case) -> CaseState {
    CaseState::try_from(case.state).unwrap_or(CaseState::Unspecified)
}

/// Sets `sla_hours` and `due_time` from the SLA clock's start (microseconds).
pub fn start_sla(case: &mut Case, start: i64) {
    let hours = sla_hours(category(case), priority(case));
    case.sla_hours = hours;
    case.due_time = Some(to_timestamp(start + i64::from(hours) * HOUR));
}

/// When the current SLA clock started (derived from `due_time` and `sla_hours`).
fn sla_start(case: &Case) -> i64 {
    case.due_time.as_ref().map_or(0, from_timestamp) - i64::from(case.sla_hours) * HOUR
}

/// Whether a case is still being worked on.
pub fn is_open(state: CaseState) -> bool {
    matches!(state, CaseState::Open | CaseState::InProgress | CaseState::Reopened)
}

/// Sets `sla_breached` as of `now` (a read-time view, not stored).
pub fn mark_breach(case: &mut Case, now: i64) {
    case.sla_breached = is_open(state(case)) && case.due_time.as_ref().is_some_and(|due| from_timestamp(due) < now);
}

fn trim(case: &mut Case) {
    for s in [&mut case.title, &mut case.description, &mut case.owner, &mut case.resolution] {
        *s = s.trim().to_owned();
    }
}

fn check_text(v: &mut Violations, case: &Case) {
    if case.title.is_empty() {
        v.add("case.title", "is required");
    }
    too_long(v, "case.title", &case.title, MAX_TITLE);
    too_long(v, "case.description", &case.description, MAX_SUMMARY);
    too_long(v, "case.resolution", &case.resolution, MAX_SUMMARY);
    too_long(v, "case.owner", &case.owner, MAX_STAFF_ID);
    if CasePriority::try_from(case.priority).is_err() {
        v.add("case.priority", "is not a known priority");
    }
}

/// Validates and normalises a case to open; the caller sets times, names and the SLA.
pub fn prepare_new(case: &mut Case) -> ApiResult<()> {
    trim(case);
    let mut v = Violations::default();
    check_text(&mut v, case);
    if category(case) == CaseCategory::Unspecified {
        v.add(
            "case.category",
            "is required: PAYMENT_ISSUE, COMPLAINT, ACCOUNT_SERVICE, INFORMATION_REQUEST, DOCUMENT_REQUEST, CREDIT_REQUEST or CARD_ISSUE",
        );
    }
    if Channel::try_from(case.channel).is_err() {
        v.add("case.channel", "is not a known channel");
    }
    v.check()?;
    case.state = CaseState::Open as i32;
    case.resolution.clear();
    if case.priority == CasePriority::Unspecified as i32 {
        case.priority = CasePriority::Normal as i32;
    }
    Ok(())
}

/// Whether `from → to` is a legal move of the state machine.
pub fn can_move(from: CaseState, to: CaseState) -> bool {
    use CaseState::*;
    matches!(
        (from, to),
        (Open | Reopened, InProgress) | (InProgress, Resolved) | (Resolved, Closed) | (Resolved | Closed, Reopened)
    )
}

/// Parses an update mask into the fields it names.
pub fn mask_fields(paths: &[String]) -> ApiResult<Vec<&'static str>> {
    super::mask::fields(paths, &WRITABLE_FIELDS)
}

/// Applies the masked fields of `patch` to `current` at `now`: the new state of the case.
pub fn apply_update(current: &Case, patch: &Case, fields: &[&str], now: i64) -> ApiResult<Case> {
    let mut patch = patch.clone();
    trim(&mut patch);
    let mut next = current.clone();
    for field in fields {
        match *field {
            "title" => next.title.clone_from(&patch.title),
            "description" => next.description.clone_from(&patch.description),
            "priority" => next.priority = patch.priority,
            "owner" => next.owner.clone_from(&patch.owner),
            "resolution" => next.resolution.clone_from(&patch.resolution),
            _ => {}
        }
    }
    if next.priority == CasePriority::Unspecified as i32 {
        next.priority = CasePriority::Normal as i32;
    }
    let mut v = Violations::default();
    check_text(&mut v, &next);
    v.check()?;
    if next.priority != current.priority {
        start_sla(&mut next, sla_start(current));
    }
    if fields.contains(&"state") {
        move_state(current, &mut next, patch.state, now)?;
    }
    Ok(next)
}

fn move_state(current: &Case, next: &mut Case, wanted: i32, now: i64) -> ApiResult<()> {
    let from = state(current);
    let to = CaseState::try_from(wanted).unwrap_or(CaseState::Unspecified);
    if to == CaseState::Unspecified {
        return Err(ApiError::invalid("case.state", "must be IN_PROGRESS, RESOLVED, CLOSED or REOPENED"));
    }
    if to == from {
        return Ok(());
    }
    if !can_move(from, to) {
        return Err(ApiError::failed_precondition(
            "ILLEGAL_STATE_TRANSITION",
            format!("a case cannot move from {} to {}", from.as_str_name(), to.as_str_name()),
        )
        .with_metadata("from", from.as_str_name())
        .with_metadata("to", to.as_str_name()));
    }
    next.state = to as i32;
    match to {
        CaseState::Resolved => {
            if next.resolution.is_empty() {
                return Err(ApiError::invalid("case.resolution", "is required to resolve a case"));
            }
            next.resolve_time = Some(to_timestamp(now));
        }
        CaseState::Closed => next.close_time = Some(to_timestamp(now)),
        CaseState::Reopened => {
            next.close_time = None;
            start_sla(next, now);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseState::*;

    fn open_case(now: i64) -> Case {
        let mut case =
            Case { title: " Lost payment ".into(), category: CaseCategory::PaymentIssue as i32, ..Default::default() };
        prepare_new(&mut case).expect("valid");
        start_sla(&mut case, now);
        case
    }

    fn moved(case: &Case, to: CaseState, resolution: &str) -> ApiResult<Case> {
        let patch = Case { state: to as i32, resolution: resolution.into(), ..Default::default() };
        let fields: &[&str] = if resolution.is_empty() { &["state"] } else { &["resolution", "state"] };
        apply_update(case, &patch, fields, 5 * HOUR)
    }

    #[test]
    fn sla_follows_category_and_priority() {
        assert_eq!(sla_hours(CaseCategory::PaymentIssue, CasePriority::Normal), 24);
        assert_eq!(sla_hours(CaseCategory::PaymentIssue, CasePriority::Urgent), 6);
        assert_eq!(sla_hours(CaseCategory::CreditRequest, CasePriority::Low), 240);
        let case = open_case(0);
        assert_eq!(case.title, "Lost payment");
        assert_eq!(state(&case), Open);
        assert_eq!(case.due_time.as_ref().map(from_timestamp), Some(24 * HOUR));
    }

    #[test]
    fn the_state_machine_allows_only_the_documented_moves() {
        let legal = [
            (Open, InProgress),
            (InProgress, Resolved),
            (Resolved, Closed),
            (Resolved, Reopened),
            (Closed, Reopened),
            (Reopened, InProgress),
        ];
        let all = [Open, InProgress, Resolved, Closed, Reopened];
        for from in all {
            for to in all {
                assert_eq!(can_move(from, to), legal.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn a_full_lifecycle_and_an_illegal_move() {
        let case = open_case(0);
        let working = moved(&case, InProgress, "").expect("start");
        assert!(moved(&working, Resolved, "").is_err(), "resolution is required");
        let resolved = moved(&working, Resolved, "Payment traced and re-sent").expect("resolve");
        assert!(resolved.resolve_time.is_some());
        let closed = moved(&resolved, Closed, "").expect("close");
        let err = moved(&closed, InProgress, "").expect_err("closed cases are reopened first");
        assert_eq!(err.code(), tonic::Code::FailedPrecondition);
        assert_eq!(err.reason(), "ILLEGAL_STATE_TRANSITION");
        let reopened = moved(&closed, Reopened, "").expect("reopen");
        assert!(reopened.close_time.is_none());
        assert_eq!(reopened.due_time.as_ref().map(from_timestamp), Some(5 * HOUR + 24 * HOUR));
    }

    #[test]
    fn breach_is_only_for_open_cases_past_due() {
        let mut case = open_case(0);
        mark_breach(&mut case, 25 * HOUR);
        assert!(case.sla_breached);
        case.state = Resolved as i32;
        mark_breach(&mut case, 25 * HOUR);
        assert!(!case.sla_breached);
    }

    #[test]
    fn masks_name_writable_fields_only() {
        assert_eq!(mask_fields(&["state".into(), "owner".into()]).ok(), Some(vec!["owner", "state"]));
        assert!(mask_fields(&["due_time".into()]).is_err());
        assert!(mask_fields(&[]).is_err());
    }
}
