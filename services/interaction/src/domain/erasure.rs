//! Erasure (docs/domain.md, erasure): what this service keeps of a client once the profile
//! has erased the client's personal data. Free text that can describe people (summaries,
//! case descriptions, objectives, how consent was given) goes. What happened, when, on which
//! channel, in which state and under which consent stays, and so do references to the
//! client's contacts: they are opaque ids of records the profile has erased, and a consent
//! instruction must keep its scope (a grant for one contact must not become one for all).

use crm_proto::crm::interaction::v1::{AccountPlan, Case, ChannelPreference, ExitReview, Interaction};

/// What replaces erased free text.
pub const ERASED: &str = "(erased)";

/// An interaction without its content.
pub fn interaction(i: &Interaction) -> Interaction {
    let mut erased =
        Interaction { subject: String::new(), summary: ERASED.into(), outcome: String::new(), ..i.clone() };
    erased.follow_ups.iter_mut().for_each(|f| f.description = ERASED.into());
    erased
}

/// A case without its title, description and resolution text.
pub fn case(c: &Case) -> Case {
    Case { title: ERASED.into(), description: String::new(), resolution: String::new(), ..c.clone() }
}

/// A consent instruction without the account of how it was given; its scope and status
/// stay, so a withdrawal keeps applying.
pub fn preference(p: &ChannelPreference) -> ChannelPreference {
    ChannelPreference { source: String::new(), ..p.clone() }
}

/// A key-account plan without its text.
pub fn plan(p: &AccountPlan) -> AccountPlan {
    let mut erased = AccountPlan { title: ERASED.into(), ..p.clone() };
    erased.objectives.iter_mut().for_each(|o| {
        o.description = ERASED.into();
        o.measure = String::new();
    });
    erased.actions.iter_mut().for_each(|a| a.description = ERASED.into());
    erased
}

/// An exit review without the words of its reasons; the decision, its owner and its dates
/// stay.
pub fn exit_review(r: &ExitReview) -> ExitReview {
    ExitReview { reasons: r.reasons.iter().map(|_| ERASED.to_owned()).collect(), ..r.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::crm::interaction::v1::{ConsentStatus, FollowUp};

    #[test]
    fn free_text_goes_and_the_facts_stay() {
        let i = Interaction {
            name: "clients/a/interactions/1".into(),
            summary: "Called Mr Zhou about the LC".into(),
            client_contacts: vec!["clients/a/contacts/c".into()],
            follow_ups: vec![FollowUp { description: "send Zhou the form".into(), ..Default::default() }],
            staff: vec!["rm-1".into()],
            ..Default::default()
        };
        let e = interaction(&i);
        assert_eq!((e.summary.as_str(), e.client_contacts.len(), e.staff.len()), (ERASED, 1, 1));
        assert_eq!(e.follow_ups[0].description, ERASED);
        let p = ChannelPreference {
            contact: "clients/a/contacts/c".into(),
            source: "call with Mr Zhou".into(),
            consent: ConsentStatus::Withdrawn as i32,
            ..Default::default()
        };
        let e = preference(&p);
        assert!(e.source.is_empty());
        assert_eq!(e.contact, p.contact, "the instruction keeps its scope");
        assert_eq!(e.consent, ConsentStatus::Withdrawn as i32, "a withdrawal keeps applying");
        let r =
            ExitReview { reasons: vec!["Mr Zhou asked for a lower rate".into()], decision: 1, ..Default::default() };
        let e = exit_review(&r);
        assert_eq!((e.reasons, e.decision), (vec![ERASED.to_owned()], 1), "the decision stays, not its words");
    }
}
