//! When the profile erases a client, this service erases what it holds of the client:
//! interactions, cases, consent instructions and the change events that carried them, while
//! a consent withdrawal keeps applying.

use crm_proto::crm::{
    interaction::v1::{
        Case, CaseCategory, Channel, ChannelPreference, ConsentStatus, ContactPurpose, ListCasesRequest,
        ListChannelPreferencesRequest, ListInteractionsRequest, OpenCaseRequest, SetChannelPreferenceRequest,
        StreamTimelineRequest,
    },
    profile::v1::EraseClientRequest,
};
use prost::Message as _;

use crate::{
    log, service_request,
    support::{TestApp, conformance, eventually},
};

/// Whether any of the erased text appears in `bytes`.
fn reveals(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    ["Zhou", "zhou@", "+8613"].iter().any(|secret| text.contains(secret))
}

conformance!(erasing_a_client_erases_its_interactions_cases_and_consent_notes, async |app: &TestApp| {
    let client = app.new_client("Haiyun Trading", "rm-1").await;
    let contact = app.new_contact(&client, "zhou@haiyun.example", "+8613912345678").await;
    let mut agent = app.agent();
    let mut call = service_request(2);
    call.summary = "Mr Zhou says the payment to Qingdao never arrived".into();
    call.client_contacts = vec![contact.clone()];
    agent.log_interaction(log(&client, call)).await.expect("log");
    let case = Case {
        title: "Zhou: payment of 12 May missing".into(),
        description: "Zhou called twice".into(),
        category: CaseCategory::Complaint as i32,
        ..Default::default()
    };
    agent
        .open_case(OpenCaseRequest { parent: client.clone(), case: Some(case), request_id: String::new() })
        .await
        .expect("case");
    let opt_out = ChannelPreference {
        contact: contact.clone(),
        purpose: ContactPurpose::Marketing as i32,
        channel: Channel::Email as i32,
        consent: ConsentStatus::Withdrawn as i32,
        source: "call with Mr Zhou".into(),
        ..Default::default()
    };
    let instruction = SetChannelPreferenceRequest {
        parent: client.clone(),
        channel_preference: Some(opt_out),
        request_id: String::new(),
    };
    agent.set_channel_preference(instruction).await.expect("opt out");

    let erase = EraseClientRequest { name: client.clone(), reason: "DSR-7".into() };
    app.profile().erase_client(erase).await.expect("erase");
    let list = ListInteractionsRequest { parent: client.clone(), ..Default::default() };
    let interactions = eventually("the erasure to reach the interaction service", || {
        let (mut agent, list) = (app.agent(), list.clone());
        async move {
            let page = agent.list_interactions(list).await.expect("list interactions").into_inner();
            (!reveals(&page.encode_to_vec())).then_some(page.interactions)
        }
    })
    .await;
    assert_eq!(interactions.len(), 1, "the interaction stays, without its content");
    let cases = agent.list_cases(ListCasesRequest { parent: client.clone(), ..Default::default() }).await;
    let cases = cases.expect("cases").into_inner();
    assert_eq!(cases.cases.len(), 1);
    assert!(!reveals(&cases.encode_to_vec()), "{cases:?}");
    let prefs = ListChannelPreferencesRequest { parent: client.clone(), ..Default::default() };
    let prefs = agent.list_channel_preferences(prefs).await.expect("instructions").into_inner();
    assert!(!reveals(&prefs.encode_to_vec()), "{prefs:?}");

    // The withdrawal keeps its scope and status.
    let kept: Vec<_> = prefs.channel_preferences.iter().map(|p| (p.contact.as_str(), p.consent)).collect();
    assert_eq!(kept, [(contact.as_str(), ConsentStatus::Withdrawn as i32)]);

    // A replay of the client's timeline reveals nothing either.
    let replay = StreamTimelineRequest { parent: client.clone(), after_sequence: 0 };
    let mut stream = app.rm("rm-1").stream_timeline(replay).await.expect("subscribe").into_inner();
    for _ in 0..3 {
        let event = tokio::time::timeout(std::time::Duration::from_secs(20), stream.message()).await;
        let event = event.expect("in time").expect("ok").expect("open");
        assert!(!reveals(&event.encode_to_vec()), "{event:?}");
    }
});
