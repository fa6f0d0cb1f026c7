//! Channel preferences and contactability.

use crm_proto::crm::interaction::v1::{
    Channel, ChannelPreference, ConsentStatus, ContactPurpose, Contactability, ContactabilityReason,
    GetContactabilityRequest, ListChannelPreferencesRequest, SetChannelPreferenceRequest,
};
use tonic::Code;

use crate::support::{Api, TestApp, conformance, permission, reason, violations};

async fn instruct(api: &mut Api, client: &str, pref: ChannelPreference) -> Result<ChannelPreference, tonic::Status> {
    let request = SetChannelPreferenceRequest {
        parent: client.into(),
        channel_preference: Some(pref),
        request_id: String::new(),
    };
    api.set_channel_preference(request).await.map(|r| r.into_inner())
}

fn marketing(channel: Option<Channel>, consent: ConsentStatus) -> ChannelPreference {
    ChannelPreference {
        purpose: ContactPurpose::Marketing as i32,
        channel: channel.map_or(0, |c| c as i32),
        all_channels: channel.is_none(),
        consent: consent as i32,
        source: "call with the CFO".into(),
        ..Default::default()
    }
}

async fn contactability(api: &mut Api, client: &str) -> Contactability {
    let request = GetContactabilityRequest { name: format!("{client}/contactability"), contact: String::new() };
    api.get_contactability(request).await.expect("contactability").into_inner()
}

conformance!(opting_out_of_marketing_by_email_shows_in_contactability, async |app: &TestApp| {
    use ContactabilityReason as R;
    let client = app.new_client("Harbour Logistics", "rm-1").await;
    app.new_contact(&client, "cfo@harbour.example", "+442071234567").await;
    let mut agent = app.agent();

    let before = contactability(&mut agent, &client).await;
    assert_eq!(permission(&before, ContactPurpose::Marketing, Channel::Email), (false, R::NoConsent));
    assert_eq!(permission(&before, ContactPurpose::Service, Channel::Email), (true, R::ServiceRelationship));
    assert_eq!(permission(&before, ContactPurpose::Service, Channel::Online), (false, R::NoContactDetails));
    assert_eq!(before.preferred_channel, Channel::Email as i32);

    instruct(&mut agent, &client, marketing(None, ConsentStatus::Granted)).await.expect("consent");
    let opt_out = instruct(&mut app.rm("rm-1"), &client, marketing(Some(Channel::Email), ConsentStatus::Withdrawn))
        .await
        .expect("opt out");
    let after = contactability(&mut agent, &client).await;
    assert_eq!(permission(&after, ContactPurpose::Marketing, Channel::Email), (false, R::OptedOut));
    assert_eq!(permission(&after, ContactPurpose::Marketing, Channel::Phone), (true, R::ConsentGranted));
    let email = after
        .permissions
        .iter()
        .find(|p| p.purpose == ContactPurpose::Marketing as i32 && p.channel == Channel::Email as i32)
        .expect("email");
    assert_eq!(email.channel_preference, opt_out.name);
    assert!(email.explanation.contains("opted out"), "{}", email.explanation);
    assert!(
        after
            .preferred_channels
            .iter()
            .any(|p| p.purpose == ContactPurpose::Marketing as i32 && p.channel == Channel::Phone as i32)
    );

    // Do not contact: blocks everything; the history keeps every instruction.
    let dnc = ChannelPreference {
        all_purposes: true,
        all_channels: true,
        consent: ConsentStatus::Withdrawn as i32,
        ..Default::default()
    };
    instruct(&mut agent, &client, dnc).await.expect("do not contact");
    let blocked = contactability(&mut agent, &client).await;
    assert!(blocked.do_not_contact);
    assert_eq!(permission(&blocked, ContactPurpose::Service, Channel::Phone), (false, R::DoNotContact));
    assert_eq!(blocked.preferred_channel, Channel::Unspecified as i32);
    let history = agent
        .list_channel_preferences(ListChannelPreferencesRequest { parent: client.clone(), ..Default::default() })
        .await
        .expect("history")
        .into_inner();
    assert_eq!(history.channel_preferences.len(), 3);
});

conformance!(channel_preferences_are_validated_and_authorised, async |app: &TestApp| {
    let client = app.new_client("Nordwind", "rm-1").await;
    let err = instruct(&mut app.agent(), &client, ChannelPreference::default()).await.expect_err("empty");
    assert_eq!(
        violations(&err),
        ["channel_preference.purpose", "channel_preference.channel", "channel_preference.consent"]
    );
    let mut unknown_contact = marketing(None, ConsentStatus::Granted);
    unknown_contact.contact = format!("{client}/contacts/nosuchcontact");
    let err = instruct(&mut app.agent(), &client, unknown_contact).await.expect_err("no such contact");
    assert_eq!(violations(&err), ["channel_preference.contact"]);
    let err =
        instruct(&mut app.rm("rm-2"), &client, marketing(None, ConsentStatus::Granted)).await.expect_err("not mine");
    assert_eq!(reason(&err), "NOT_IN_PORTFOLIO");
    let request =
        GetContactabilityRequest { name: "clients/nosuchclient/contactability".into(), contact: String::new() };
    let err = app.agent().get_contactability(request).await.expect_err("unknown client");
    assert_eq!(err.code(), Code::NotFound);
});
