//! Rules of an interaction record: what a valid one looks like.

use crm_kit::{ApiResult, Violations};
use crm_proto::crm::interaction::v1::{Channel, Direction, Interaction, InteractionKind};

use super::names;

/// Longest summary.
pub const MAX_SUMMARY: usize = 8_000;
/// Longest subject line.
const MAX_SUBJECT: usize = 200;
/// Longest outcome.
const MAX_OUTCOME: usize = 4_000;
/// Longest staff id or owner.
pub const MAX_STAFF_ID: usize = 128;
/// Most staff, contacts or follow-ups on one interaction.
const MAX_LIST: usize = 20;
/// Tolerated clock difference for "not in the future", microseconds.
pub const CLOCK_SKEW_MICROS: i64 = 5 * 60 * 1_000_000;

/// Adds a violation when `value` is longer than `max` characters.
pub fn too_long(v: &mut Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        v.add(field, format!("must be at most {max} characters"));
    }
}

/// Trims free text and drops empty list entries.
pub fn normalize(interaction: &mut Interaction) {
    for s in [&mut interaction.subject, &mut interaction.summary, &mut interaction.outcome] {
        *s = s.trim().to_owned();
    }
    interaction.staff = interaction.staff.iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect();
    interaction.linked_case = interaction.linked_case.trim().to_owned();
    for follow_up in &mut interaction.follow_ups {
        follow_up.description = follow_up.description.trim().to_owned();
        follow_up.owner = follow_up.owner.trim().to_owned();
    }
}

/// Validates a new interaction of client `client_id` at `now` (microseconds).
pub fn validate(interaction: &Interaction, client_id: &str, now: i64) -> ApiResult<()> {
    let mut v = Violations::default();
    if Channel::try_from(interaction.channel).map_or(true, |c| c == Channel::Unspecified) {
        v.add(
            "interaction.channel",
            "is required: one of RM_VISIT, PHONE, CONTACT_CENTRE, EMAIL, BRANCH, ONLINE, MOBILE, VIDEO",
        );
    }
    if Direction::try_from(interaction.direction).map_or(true, |d| d == Direction::Unspecified) {
        v.add("interaction.direction", "is required: INBOUND or OUTBOUND");
    }
    if InteractionKind::try_from(interaction.kind).map_or(true, |k| k == InteractionKind::Unspecified) {
        v.add(
            "interaction.kind",
            "is required: one of VISIT_REPORT, CALL, SERVICE_REQUEST, COMPLAINT, SALES, FEEDBACK",
        );
    }
    match &interaction.occur_time {
        None => v.add("interaction.occur_time", "is required"),
        Some(ts) if crm_kit::time::from_timestamp(ts) > now + CLOCK_SKEW_MICROS => {
            v.add("interaction.occur_time", "must not be in the future");
        }
        Some(_) => {}
    }
    if interaction.summary.is_empty() {
        v.add("interaction.summary", "is required");
    }
    too_long(&mut v, "interaction.summary", &interaction.summary, MAX_SUMMARY);
    too_long(&mut v, "interaction.subject", &interaction.subject, MAX_SUBJECT);
    too_long(&mut v, "interaction.outcome", &interaction.outcome, MAX_OUTCOME);
    if !(0..=5).contains(&interaction.satisfaction) {
        v.add(
            "interaction.satisfaction",
            "must be 1 (very dissatisfied) to 5 (very satisfied), or 0 when not recorded",
        );
    }
    if interaction.staff.len() > MAX_LIST {
        v.add("interaction.staff", format!("at most {MAX_LIST} staff"));
    }
    for (i, staff) in interaction.staff.iter().enumerate() {
        too_long(&mut v, &format!("interaction.staff[{i}]"), staff, MAX_STAFF_ID);
    }
    if interaction.client_contacts.len() > MAX_LIST {
        v.add("interaction.client_contacts", format!("at most {MAX_LIST} contacts"));
    }
    for (i, contact) in interaction.client_contacts.iter().enumerate() {
        let field = format!("interaction.client_contacts[{i}]");
        match names::child_id(&field, contact, names::CONTACTS) {
            Ok((client, _)) if client == client_id => {}
            Ok(_) => v.add(field, "must be a contact of the same client"),
            Err(_) => v.add(field, "must be of the form clients/{client}/contacts/{contact}"),
        }
    }
    if interaction.follow_ups.len() > MAX_LIST {
        v.add("interaction.follow_ups", format!("at most {MAX_LIST} follow-ups"));
    }
    for (i, follow_up) in interaction.follow_ups.iter().enumerate() {
        if follow_up.description.is_empty() {
            v.add(format!("interaction.follow_ups[{i}].description"), "is required");
        }
        too_long(&mut v, &format!("interaction.follow_ups[{i}].description"), &follow_up.description, 1_000);
        too_long(&mut v, &format!("interaction.follow_ups[{i}].owner"), &follow_up.owner, MAX_STAFF_ID);
    }
    if !interaction.linked_case.is_empty() {
        match names::child_id("interaction.linked_case", &interaction.linked_case, names::CASES) {
            Ok((client, _)) if client == client_id => {}
            Ok(_) => v.add("interaction.linked_case", "must be a case of the same client"),
            Err(_) => v.add("interaction.linked_case", "must be of the form clients/{client}/cases/{case}"),
        }
    }
    v.check()
}

/// Completes the defaults that depend on the caller: staff and follow-up owners.
pub fn fill_defaults(interaction: &mut Interaction, caller_subject: &str, caller_is_staff: bool) {
    if !caller_is_staff {
        return;
    }
    if interaction.staff.is_empty() {
        interaction.staff.push(caller_subject.to_owned());
    }
    for follow_up in &mut interaction.follow_ups {
        if follow_up.owner.is_empty() {
            follow_up.owner = caller_subject.to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::time::to_timestamp;
    use crm_proto::crm::interaction::v1::FollowUp;

    const NOW: i64 = 1_800_000_000_000_000;

    fn valid() -> Interaction {
        Interaction {
            channel: Channel::ContactCentre as i32,
            direction: Direction::Inbound as i32,
            kind: InteractionKind::ServiceRequest as i32,
            occur_time: Some(to_timestamp(NOW - 3_600_000_000)),
            summary: "Client reports an electronic payment that never arrived".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_interaction_is_valid() {
        assert!(validate(&valid(), "c1", NOW).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = Interaction {
            channel: 0,
            direction: 9,
            kind: 0,
            occur_time: Some(to_timestamp(NOW + 3_600_000_000)),
            summary: String::new(),
            satisfaction: 6,
            client_contacts: vec!["clients/other/contacts/x".into()],
            linked_case: "clients/c1/interactions/x".into(),
            follow_ups: vec![FollowUp::default()],
            ..Default::default()
        };
        let err = validate(&bad, "c1", NOW).expect_err("invalid");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "interaction.channel",
                "interaction.direction",
                "interaction.kind",
                "interaction.occur_time",
                "interaction.summary",
                "interaction.satisfaction",
                "interaction.client_contacts[0]",
                "interaction.follow_ups[0].description",
                "interaction.linked_case",
            ]
        );
    }

    #[test]
    fn staff_default_to_the_caller_but_not_for_channels() {
        let mut logged = valid();
        logged.follow_ups.push(FollowUp { description: "call back".into(), ..Default::default() });
        fill_defaults(&mut logged, "cc-7", true);
        assert_eq!(logged.staff, ["cc-7"]);
        assert_eq!(logged.follow_ups[0].owner, "cc-7");
        let mut online = valid();
        fill_defaults(&mut online, "svc:online", false);
        assert!(online.staff.is_empty());
    }
}
