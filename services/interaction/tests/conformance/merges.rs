//! What was recorded under a client the profile merged into a survivor keeps counting for
//! the survivor: consent given for a moved contact, open cases, and reads by the old name.

use crm_proto::crm::{
    interaction::v1::{
        Case, CaseCategory, CaseState, Channel, ChannelPreference, ConsentStatus, ContactPurpose, Contactability,
        ContactabilityReason, GetCaseRequest, GetContactabilityRequest, ListCasesRequest,
        ListChannelPreferencesRequest, OpenCaseRequest, UpdateCaseRequest,
    },
    profile::v1::{Holding, MergeClientsRequest, ProductLine, UpsertHoldingRequest},
};
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{Api, TestApp, conformance, eventually, permission, reason};

async fn merge(app: &TestApp, duplicate: &str, survivor: &str) {
    let request =
        MergeClientsRequest { survivor: survivor.to_owned(), duplicate: duplicate.to_owned(), etag: String::new() };
    app.profile().merge_clients(request).await.expect("merge");
}

async fn instruct(api: &mut Api, client: &str, pref: ChannelPreference) {
    let request = crm_proto::crm::interaction::v1::SetChannelPreferenceRequest {
        parent: client.into(),
        channel_preference: Some(pref),
        request_id: String::new(),
    };
    api.set_channel_preference(request).await.expect("instruction");
}

async fn contactability(api: &mut Api, client: &str, contact: &str) -> Contactability {
    let request = GetContactabilityRequest { name: format!("{client}/contactability"), contact: contact.into() };
    api.get_contactability(request).await.expect("contactability").into_inner()
}

/// The contact named `contact` (of a duplicate) as the survivor has it after the merge.
fn moved(contact: &str, survivor: &str) -> String {
    format!("{survivor}/contacts/{}", contact.rsplit('/').next().expect("id"))
}

conformance!(a_contacts_withdrawal_recorded_before_a_merge_holds_for_the_survivor, async |app: &TestApp| {
    use ContactabilityReason as R;
    let survivor = app.new_client("Harbour Logistics", "rm-1").await;
    let duplicate = app.new_client("Harbour Logistics Ltd", "rm-1").await;
    let treasurer = app.new_contact(&duplicate, "treasurer@harbour.example", "+442071234567").await;
    let cfo = app.new_contact(&survivor, "cfo@harbour.example", "+442071234568").await;
    let mut agent = app.agent();
    let granted = ChannelPreference {
        purpose: ContactPurpose::Marketing as i32,
        all_channels: true,
        consent: ConsentStatus::Granted as i32,
        ..Default::default()
    };
    instruct(&mut agent, &duplicate, granted).await;
    let withdrawn = ChannelPreference {
        contact: treasurer.clone(),
        purpose: ContactPurpose::Marketing as i32,
        channel: Channel::Email as i32,
        consent: ConsentStatus::Withdrawn as i32,
        ..Default::default()
    };
    instruct(&mut agent, &duplicate, withdrawn).await;
    let before = contactability(&mut agent, &duplicate, &treasurer).await;
    assert_eq!(permission(&before, ContactPurpose::Marketing, Channel::Email), (false, R::OptedOut));

    merge(app, &duplicate, &survivor).await;
    let list = ListChannelPreferencesRequest { parent: survivor.clone(), ..Default::default() };
    eventually("the merge to reach the interaction service", || {
        let (mut agent, list) = (app.agent(), list.clone());
        async move {
            let page = agent.list_channel_preferences(list).await.expect("list instructions").into_inner();
            (page.channel_preferences.len() == 2).then_some(())
        }
    })
    .await;

    // The treasurer, now a contact of the survivor, stays opted out of marketing e-mail.
    let treasurer_now = moved(&treasurer, &survivor);
    let after = contactability(&mut agent, &survivor, &treasurer_now).await;
    assert_eq!(after.contact, treasurer_now);
    assert_eq!(permission(&after, ContactPurpose::Marketing, Channel::Email), (false, R::OptedOut));
    assert_eq!(permission(&after, ContactPurpose::Marketing, Channel::Phone), (true, R::ConsentGranted));
    // Asked by the old names, the answer is the same.
    let by_old_name = contactability(&mut agent, &duplicate, &treasurer).await;
    assert_eq!(permission(&by_old_name, ContactPurpose::Marketing, Channel::Email), (false, R::OptedOut));
    // The withdrawal is the treasurer's only: the survivor's own CFO keeps the client's consent.
    let other = contactability(&mut agent, &survivor, &cfo).await;
    assert_eq!(permission(&other, ContactPurpose::Marketing, Channel::Email), (true, R::ConsentGranted));
});

conformance!(open_cases_of_a_merged_client_are_progressed_in_the_survivors_name, async |app: &TestApp| {
    let survivor = app.new_client("Jade River Trading", "rm-1").await;
    let duplicate = app.new_client("Jade River Trading Co", "rm-2").await;
    let case = Case {
        title: "Payment of 12 May not received".into(),
        category: CaseCategory::PaymentIssue as i32,
        ..Default::default()
    };
    let request = OpenCaseRequest { parent: duplicate.clone(), case: Some(case), request_id: String::new() };
    let case = app.rm("rm-2").open_case(request).await.expect("open").into_inner();

    merge(app, &duplicate, &survivor).await;
    let open_states = vec![CaseState::Open as i32, CaseState::InProgress as i32, CaseState::Reopened as i32];
    let list = ListCasesRequest { parent: survivor.clone(), states: open_states, ..Default::default() };
    let listed = eventually("the merge to reach the interaction service", || {
        let (mut agent, list) = (app.agent(), list.clone());
        async move {
            let page = agent.list_cases(list).await.expect("list cases").into_inner();
            (!page.cases.is_empty()).then_some(page.cases)
        }
    })
    .await;
    assert_eq!(listed.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), [case.name.as_str()]);

    let update = |current: &Case, state: CaseState, resolution: &str| UpdateCaseRequest {
        case: Some(Case {
            name: current.name.clone(),
            etag: current.etag.clone(),
            state: state as i32,
            resolution: resolution.into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths: vec!["state".into(), "resolution".into()] }),
    };
    // Authorised against the survivor: its manager may progress the case, the duplicate's
    // former manager no longer may.
    let err = app.rm("rm-2").update_case(update(&case, CaseState::InProgress, "")).await.expect_err("not theirs");
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut rm = app.rm("rm-1");
    let working = rm.update_case(update(&case, CaseState::InProgress, "")).await.expect("start work").into_inner();
    assert_eq!((working.name.as_str(), working.state), (case.name.as_str(), CaseState::InProgress as i32));
    let resolved = rm
        .update_case(update(&working, CaseState::Resolved, "Payment traced and re-sent"))
        .await
        .expect("resolve")
        .into_inner();
    assert_eq!(resolved.state, CaseState::Resolved as i32);
    let read = rm.get_case(GetCaseRequest { name: case.name.clone() }).await.expect("get").into_inner();
    assert_eq!(read.etag, resolved.etag);
    let still_open = rm.list_cases(list).await.expect("list").into_inner();
    assert!(still_open.cases.is_empty(), "{:?}", still_open.cases);

    // New records still go to the survivor.
    let case = Case { title: "Another".into(), category: CaseCategory::PaymentIssue as i32, ..Default::default() };
    let request = OpenCaseRequest { parent: duplicate.clone(), case: Some(case), request_id: String::new() };
    let err = rm.open_case(request).await.expect_err("merged");
    assert_eq!(reason(&err), "CLIENT_MERGED");
});

conformance!(contactability_by_a_merged_clients_old_name_reads_the_survivors_holdings, async |app: &TestApp| {
    use ContactabilityReason as R;
    let survivor = app.new_client("Nordwind", "rm-1").await;
    let duplicate = app.new_client("Nordwind GmbH", "rm-1").await;
    app.new_contact(&survivor, "cfo@nordwind.example", "").await;
    let holding = Holding {
        product_code: "P-DEPOSITS".into(),
        product_line: ProductLine::Deposits as i32,
        account_number: uuid::Uuid::new_v4().simple().to_string(),
        ..Default::default()
    };
    let request = UpsertHoldingRequest { parent: survivor.clone(), holding: Some(holding) };
    app.profile().upsert_holding(request).await.expect("holding");
    let mut agent = app.agent();
    let own = contactability(&mut agent, &survivor, "").await;
    assert!(permission(&own, ContactPurpose::Service, Channel::Online).0, "the survivor has a banking channel");

    merge(app, &duplicate, &survivor).await;
    let by_old_name = contactability(&mut agent, &duplicate, "").await;
    assert_eq!(
        permission(&by_old_name, ContactPurpose::Service, Channel::Online),
        permission(&own, ContactPurpose::Service, Channel::Online)
    );
    assert_ne!(permission(&by_old_name, ContactPurpose::Service, Channel::Online).1, R::NoContactDetails);
    assert_eq!(by_old_name.permissions, own.permissions);
});
