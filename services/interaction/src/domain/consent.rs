//! Consent and channel preferences: validating an instruction, and deciding which channels
//! may be used for which purpose (contactability).
//!
//! For each purpose and channel the most recent instruction that covers it decides
//! (a later specific consent overrides an earlier blanket opt-out, and the other way round).
//! Without an instruction, servicing the relationship needs no consent while marketing and
//! research do. A channel also needs the contact details to reach the client.

use crm_kit::{ApiResult, Violations, time::from_timestamp};
use crm_proto::crm::interaction::v1::{
    Channel, ChannelPermission, ChannelPreference, ConsentStatus, ContactPurpose, ContactabilityReason, PurposeChannel,
};

use super::{interaction::too_long, names};

/// Purposes evaluated, in report order.
pub const PURPOSES: [ContactPurpose; 3] =
    [ContactPurpose::Service, ContactPurpose::Marketing, ContactPurpose::Research];

/// Channels evaluated, in the order used to pick a channel when the client states no preference.
pub const CHANNELS: [Channel; 8] = [
    Channel::Email,
    Channel::Phone,
    Channel::RmVisit,
    Channel::Online,
    Channel::Mobile,
    Channel::Video,
    Channel::ContactCentre,
    Channel::Branch,
];

/// Validates and normalises a new instruction for client `client_id`.
pub fn prepare(pref: &mut ChannelPreference, client_id: &str, now: i64) -> ApiResult<()> {
    pref.contact = pref.contact.trim().to_owned();
    pref.source = pref.source.trim().to_owned();
    let mut v = Violations::default();
    if !pref.contact.is_empty() {
        match names::child_id("channel_preference.contact", &pref.contact, names::CONTACTS) {
            Ok((client, _)) if client == client_id => {}
            Ok(_) => v.add("channel_preference.contact", "must be a contact of the same client"),
            Err(_) => v.add("channel_preference.contact", "must be of the form clients/{client}/contacts/{contact}"),
        }
    }
    let purpose = ContactPurpose::try_from(pref.purpose).unwrap_or(ContactPurpose::Unspecified);
    if pref.all_purposes {
        pref.purpose = ContactPurpose::Unspecified as i32;
    } else if purpose == ContactPurpose::Unspecified {
        v.add("channel_preference.purpose", "is required (SERVICE, MARKETING or RESEARCH) unless all_purposes is set");
    }
    let channel = Channel::try_from(pref.channel).unwrap_or(Channel::Unspecified);
    if pref.all_channels {
        pref.channel = Channel::Unspecified as i32;
    } else if channel == Channel::Unspecified {
        v.add("channel_preference.channel", "is required unless all_channels is set");
    }
    let consent = ConsentStatus::try_from(pref.consent).unwrap_or(ConsentStatus::Unspecified);
    if consent == ConsentStatus::Unspecified {
        v.add("channel_preference.consent", "is required: GRANTED or WITHDRAWN");
    }
    if pref.preferred && (consent != ConsentStatus::Granted || pref.all_channels) {
        v.add("channel_preference.preferred", "only a consent GRANTED for one channel can be preferred");
    }
    too_long(&mut v, "channel_preference.source", &pref.source, 500);
    if pref.effective_time.as_ref().is_some_and(|t| from_timestamp(t) > now + super::interaction::CLOCK_SKEW_MICROS) {
        v.add("channel_preference.effective_time", "must not be in the future");
    }
    v.check()
}

/// What the bank knows that lets it reach the client (or one contact) on each channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// An e-mail address is known.
    pub email: bool,
    /// A phone number is known.
    pub phone: bool,
    /// A relationship manager is assigned.
    pub relationship_manager: bool,
    /// The client holds a product (an online banking inbox and a branch relationship).
    pub holds_products: bool,
    /// The channel the contact(s) prefer according to the client record, if any.
    pub stated_preference: Option<Channel>,
}

impl Reach {
    /// Whether `channel` can reach the client, and if not, what is missing.
    fn check(&self, channel: Channel) -> Result<(), &'static str> {
        match channel {
            Channel::Email if !self.email => Err("no e-mail address is known"),
            Channel::Phone | Channel::ContactCentre if !self.phone => Err("no phone number is known"),
            Channel::Video if !self.email && !self.phone => {
                Err("no e-mail address or phone number to send an invitation to")
            }
            Channel::RmVisit if !self.relationship_manager => Err("no relationship manager is assigned"),
            Channel::Online | Channel::Mobile | Channel::Branch if !self.holds_products => {
                Err("the client holds no product, so it has no banking channel account")
            }
            _ => Ok(()),
        }
    }
}

/// The outcome of evaluating every purpose and channel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evaluation {
    /// One per purpose and channel, purposes in [`PURPOSES`] order.
    pub permissions: Vec<ChannelPermission>,
    /// Preferred usable channel for each purpose that has one.
    pub preferred: Vec<PurposeChannel>,
    /// A do-not-contact instruction is in force.
    pub do_not_contact: bool,
}

impl Evaluation {
    /// The preferred channel for `purpose`, if one may be used.
    pub fn preferred_for(&self, purpose: ContactPurpose) -> Option<Channel> {
        self.preferred.iter().find(|p| p.purpose == purpose as i32).and_then(|p| Channel::try_from(p.channel).ok())
    }

    /// The permission of one purpose and channel.
    pub fn permission(&self, purpose: ContactPurpose, channel: Channel) -> Option<&ChannelPermission> {
        self.permissions.iter().find(|p| p.purpose == purpose as i32 && p.channel == channel as i32)
    }
}

fn covers(pref: &ChannelPreference, purpose: ContactPurpose, channel: Channel) -> bool {
    (pref.all_purposes || pref.purpose == purpose as i32) && (pref.all_channels || pref.channel == channel as i32)
}

fn is_blanket(pref: &ChannelPreference) -> bool {
    pref.all_purposes && pref.all_channels
}

/// Newest first: effective time, then recording time, then name.
fn recency(pref: &ChannelPreference) -> (i64, i64, &str) {
    (
        pref.effective_time.as_ref().map_or(0, from_timestamp),
        pref.create_time.as_ref().map_or(0, from_timestamp),
        pref.name.as_str(),
    )
}

/// Label of a purpose or channel for explanations, e.g. "MARKETING".
fn label<E: Copy>(value: E, name: fn(&E) -> &'static str, prefix: &str) -> String {
    name(&value).trim_start_matches(prefix).to_owned()
}

/// Evaluates the instructions that apply (the client's, and the contact's when asked for one).
pub fn evaluate(instructions: &[ChannelPreference], reach: &Reach) -> Evaluation {
    let mut sorted: Vec<&ChannelPreference> = instructions.iter().collect();
    sorted.sort_by(|a, b| recency(b).cmp(&recency(a)));
    let mut eval = Evaluation {
        do_not_contact: sorted
            .iter()
            .find(|p| is_blanket(p))
            .is_some_and(|p| p.consent == ConsentStatus::Withdrawn as i32),
        ..Default::default()
    };
    for purpose in PURPOSES {
        let purpose_label = label(purpose, ContactPurpose::as_str_name, "CONTACT_PURPOSE_");
        for channel in CHANNELS {
            let channel_label = label(channel, Channel::as_str_name, "CHANNEL_");
            let deciding = sorted.iter().find(|p| covers(p, purpose, channel)).copied();
            let (allowed, reason, explanation) =
                decide(deciding, reach.check(channel), purpose, &purpose_label, &channel_label);
            eval.permissions.push(ChannelPermission {
                purpose: purpose as i32,
                channel: channel as i32,
                allowed,
                reason: reason as i32,
                explanation,
                channel_preference: deciding.map(|p| p.name.clone()).unwrap_or_default(),
            });
        }
        if let Some(channel) = pick_preferred(&eval, &sorted, reach, purpose) {
            eval.preferred.push(PurposeChannel { purpose: purpose as i32, channel: channel as i32 });
        }
    }
    eval
}

fn decide(
    deciding: Option<&ChannelPreference>,
    reach: Result<(), &'static str>,
    purpose: ContactPurpose,
    purpose_label: &str,
    channel_label: &str,
) -> (bool, ContactabilityReason, String) {
    use ContactabilityReason as R;
    let granted = deciding.is_some_and(|p| p.consent == ConsentStatus::Granted as i32);
    match (deciding, reach) {
        (Some(p), _) if !granted && is_blanket(p) => {
            (false, R::DoNotContact, format!("the client asked not to be contacted at all ({})", p.name))
        }
        (Some(p), _) if !granted => {
            (false, R::OptedOut, format!("the client opted out of {purpose_label} by {channel_label} ({})", p.name))
        }
        (_, Err(missing)) => (false, R::NoContactDetails, format!("{channel_label} cannot be used: {missing}")),
        (Some(p), Ok(())) => (
            true,
            R::ConsentGranted,
            format!("the client consented to {purpose_label} by {channel_label} ({})", p.name),
        ),
        (None, Ok(())) if purpose == ContactPurpose::Service => (
            true,
            R::ServiceRelationship,
            format!("servicing the relationship by {channel_label} needs no separate consent"),
        ),
        (None, Ok(())) => {
            (false, R::NoConsent, format!("{purpose_label} needs the client's consent and none was recorded"))
        }
    }
}

/// The client's stated preferred channel if usable, else the first usable one.
fn pick_preferred(
    eval: &Evaluation,
    sorted: &[&ChannelPreference],
    reach: &Reach,
    purpose: ContactPurpose,
) -> Option<Channel> {
    let usable = |channel: Channel| eval.permission(purpose, channel).is_some_and(|p| p.allowed);
    let stated = sorted
        .iter()
        .filter(|p| p.preferred && covers(p, purpose, Channel::try_from(p.channel).unwrap_or(Channel::Unspecified)))
        .filter_map(|p| Channel::try_from(p.channel).ok())
        .find(|c| usable(*c));
    stated.or(reach.stated_preference.filter(|c| usable(*c))).or_else(|| CHANNELS.into_iter().find(|c| usable(*c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContactabilityReason as R;
    use crm_kit::time::to_timestamp;

    fn instruction(
        name: &str,
        at: i64,
        purpose: Option<ContactPurpose>,
        channel: Option<Channel>,
        consent: ConsentStatus,
    ) -> ChannelPreference {
        ChannelPreference {
            name: name.into(),
            purpose: purpose.map_or(0, |p| p as i32),
            all_purposes: purpose.is_none(),
            channel: channel.map_or(0, |c| c as i32),
            all_channels: channel.is_none(),
            consent: consent as i32,
            effective_time: Some(to_timestamp(at)),
            ..Default::default()
        }
    }

    fn reach_all() -> Reach {
        Reach { email: true, phone: true, relationship_manager: true, holds_products: true, stated_preference: None }
    }

    fn reason(eval: &Evaluation, purpose: ContactPurpose, channel: Channel) -> (bool, R) {
        let p = eval.permission(purpose, channel).expect("evaluated");
        (p.allowed, R::try_from(p.reason).expect("reason"))
    }

    #[test]
    fn defaults_allow_service_and_require_consent_for_marketing() {
        let eval = evaluate(&[], &reach_all());
        assert_eq!(eval.permissions.len(), 24);
        assert_eq!(reason(&eval, ContactPurpose::Service, Channel::Email), (true, R::ServiceRelationship));
        assert_eq!(reason(&eval, ContactPurpose::Marketing, Channel::Email), (false, R::NoConsent));
        assert_eq!(eval.preferred_for(ContactPurpose::Service), Some(Channel::Email));
        assert_eq!(eval.preferred_for(ContactPurpose::Marketing), None);
    }

    #[test]
    fn an_opt_out_by_email_blocks_only_email_marketing() {
        let prefs = [
            instruction("p1", 10, Some(ContactPurpose::Marketing), None, ConsentStatus::Granted),
            instruction("p2", 20, Some(ContactPurpose::Marketing), Some(Channel::Email), ConsentStatus::Withdrawn),
        ];
        let eval = evaluate(&prefs, &reach_all());
        assert_eq!(reason(&eval, ContactPurpose::Marketing, Channel::Email), (false, R::OptedOut));
        assert_eq!(reason(&eval, ContactPurpose::Marketing, Channel::Phone), (true, R::ConsentGranted));
        assert_eq!(
            eval.permission(ContactPurpose::Marketing, Channel::Email).map(|p| p.channel_preference.as_str()),
            Some("p2")
        );
        assert_eq!(eval.preferred_for(ContactPurpose::Marketing), Some(Channel::Phone));
    }

    #[test]
    fn do_not_contact_wins_until_a_later_specific_consent() {
        let dnc = instruction("dnc", 30, None, None, ConsentStatus::Withdrawn);
        let eval = evaluate(std::slice::from_ref(&dnc), &reach_all());
        assert!(eval.do_not_contact);
        assert_eq!(reason(&eval, ContactPurpose::Service, Channel::Phone), (false, R::DoNotContact));
        assert!(eval.preferred.is_empty());
        let later = instruction("ok", 40, Some(ContactPurpose::Service), Some(Channel::Phone), ConsentStatus::Granted);
        let eval = evaluate(&[dnc, later], &reach_all());
        assert_eq!(reason(&eval, ContactPurpose::Service, Channel::Phone), (true, R::ConsentGranted));
        assert_eq!(reason(&eval, ContactPurpose::Service, Channel::Email), (false, R::DoNotContact));
    }

    #[test]
    fn missing_details_block_a_channel_and_preferences_are_honoured() {
        let reach =
            Reach { phone: true, holds_products: true, stated_preference: Some(Channel::Mobile), ..Default::default() };
        let eval = evaluate(&[], &reach);
        assert_eq!(reason(&eval, ContactPurpose::Service, Channel::Email), (false, R::NoContactDetails));
        assert_eq!(reason(&eval, ContactPurpose::Service, Channel::RmVisit), (false, R::NoContactDetails));
        assert_eq!(eval.preferred_for(ContactPurpose::Service), Some(Channel::Mobile));
        let mut pref = instruction("p", 5, Some(ContactPurpose::Service), Some(Channel::Phone), ConsentStatus::Granted);
        pref.preferred = true;
        assert_eq!(evaluate(&[pref], &reach).preferred_for(ContactPurpose::Service), Some(Channel::Phone));
    }

    #[test]
    fn instructions_are_validated() {
        let mut pref = ChannelPreference {
            preferred: true,
            consent: ConsentStatus::Withdrawn as i32,
            contact: "clients/x/contacts/y".into(),
            ..Default::default()
        };
        let err = prepare(&mut pref, "c1", 0).expect_err("invalid");
        let fields: Vec<_> = err.violations().iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "channel_preference.contact",
                "channel_preference.purpose",
                "channel_preference.channel",
                "channel_preference.preferred"
            ]
        );
        let mut ok = instruction("", 0, None, None, ConsentStatus::Withdrawn);
        assert!(prepare(&mut ok, "c1", 0).is_ok());
    }
}
