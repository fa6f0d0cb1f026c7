//! Conformance of the interaction service: every scenario runs against SQLite and
//! PostgreSQL through the real gRPC server, with a real profile service beside it.

mod cases;
mod consent;
mod content;
mod erasure;
mod exit_reviews;
mod merges;
mod plans;
mod recommendations;
mod support;
mod timeline;

use std::collections::HashSet;

use crm_kit::{
    auth::Role,
    time::{now_micros, to_timestamp},
};
use crm_proto::crm::interaction::v1::{
    Channel, Direction, FollowUp, GetInteractionRequest, Interaction, InteractionKind, ListInteractionsRequest,
    ListRecommendationsRequest, LogInteractionRequest,
};
use support::{TestApp, conformance, reason, violations};
use tonic::Code;

const HOUR: i64 = 3_600_000_000;

/// A service request reported to the contact centre `hours_ago`.
pub fn service_request(hours_ago: i64) -> Interaction {
    Interaction {
        channel: Channel::ContactCentre as i32,
        direction: Direction::Inbound as i32,
        kind: InteractionKind::ServiceRequest as i32,
        occur_time: Some(to_timestamp(now_micros() - hours_ago * HOUR)),
        subject: "Lost electronic payment".into(),
        summary: "Client reports that an electronic payment of 12 May never reached the beneficiary".into(),
        satisfaction: 2,
        ..Default::default()
    }
}

pub fn log(parent: &str, interaction: Interaction) -> LogInteractionRequest {
    LogInteractionRequest { parent: parent.into(), interaction: Some(interaction), request_id: String::new() }
}

conformance!(logging_for_an_unknown_client_is_not_found_and_denied_alike_for_managers, async |app: &TestApp| {
    let err = app.agent().log_interaction(log("clients/nosuchclient", service_request(1))).await.expect_err("unknown");
    assert_eq!(err.code(), Code::NotFound);
    assert_eq!(reason(&err), "RESOURCE_NOT_FOUND");

    let theirs = app.new_client("Harbour Logistics", "rm-2").await;
    let outside = app.rm("rm-1").log_interaction(log(&theirs, service_request(1))).await.expect_err("not mine");
    let unknown =
        app.rm("rm-1").log_interaction(log("clients/nosuchclient", service_request(1))).await.expect_err("made up");
    assert_eq!(outside.code(), Code::PermissionDenied);
    assert_eq!(unknown.code(), Code::PermissionDenied);
    assert_eq!((reason(&outside), outside.message()), (reason(&unknown), unknown.message()));
    // Each refusal is audited under the RPC, naming the client asked for.
    for client in [theirs.as_str(), "clients/nosuchclient"] {
        let audit = crm_kit::audit::list(app.db.reader(), 0, 100, Some(client)).await.expect("audit");
        assert_eq!(
            audit.iter().map(|r| (r.action.as_str(), r.outcome.as_str(), r.subject.as_str())).collect::<Vec<_>>(),
            [("LogInteraction", "DENIED", "rm-1")]
        );
    }

    let analyst = app.client_as(Role::RiskAnalyst, "ra-1", None);
    let err = analyst.clone().log_interaction(log(&theirs, service_request(1))).await.expect_err("read-only role");
    assert_eq!(reason(&err), "ROLE_CANNOT_WRITE");

    let mine = app.rm("rm-2").log_interaction(log(&theirs, service_request(1))).await.expect("own portfolio");
    let logged = mine.into_inner();
    assert_eq!(logged.staff, ["rm-2"], "the logging RM is the staff member by default");
    assert_eq!(logged.recorded_by, "rm-2");
    let read = app
        .admin()
        .get_interaction(GetInteractionRequest { name: logged.name.clone() })
        .await
        .expect("admin reads")
        .into_inner();
    assert_eq!(read, logged);
    let mut analyst = analyst;
    let listed = analyst
        .list_interactions(ListInteractionsRequest { parent: theirs.clone(), ..Default::default() })
        .await
        .expect("every role reads")
        .into_inner();
    assert_eq!(listed.interactions, [logged]);
});

conformance!(a_request_id_replay_returns_the_first_interaction, async |app: &TestApp| {
    let client = app.new_client("Nordwind", "rm-1").await;
    let mut request = log(&client, service_request(2));
    request.request_id = "5e0c1d1a-replay".into();
    let calls = (0..6).map(|_| {
        let mut api = app.agent();
        let request = request.clone();
        tokio::spawn(async move { api.log_interaction(request).await.map(|r| r.into_inner().name) })
    });
    let mut names = HashSet::new();
    for call in calls {
        names.insert(call.await.expect("task").expect("logged"));
    }
    assert_eq!(names.len(), 1, "every replay returns the first result");
    let list = ListInteractionsRequest { parent: client.clone(), ..Default::default() };
    let page = app.agent().list_interactions(list).await.expect("list").into_inner();
    assert_eq!(page.interactions.len(), 1, "exactly one interaction was stored");

    let mut changed = request.clone();
    changed.interaction.as_mut().expect("interaction").summary = "something else".into();
    let err = app.agent().log_interaction(changed).await.expect_err("same id, other payload");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(violations(&err), ["request_id"]);

    // The write was audited once, in its transaction, and the chain holds.
    let name = names.into_iter().next().expect("name");
    let audit = crm_kit::audit::list(app.db.reader(), 0, 100, Some(&name)).await.expect("audit");
    assert_eq!(
        audit.iter().map(|r| (r.action.as_str(), r.subject.as_str())).collect::<Vec<_>>(),
        [("LogInteraction", "cc-1")]
    );
    assert_eq!(crm_kit::audit::verify_chain(&app.db).await.expect("chain"), None);
});

conformance!(interactions_are_validated_and_listed_newest_first_in_pages, async |app: &TestApp| {
    let client = app.new_client("Jade River Trading", "rm-1").await;
    let mut bad = service_request(1);
    bad.satisfaction = 9;
    bad.follow_ups.push(FollowUp::default());
    bad.linked_case = "clients/someone-else/cases/abc".into();
    let err = app.agent().log_interaction(log(&client, bad)).await.expect_err("invalid");
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&err),
        ["interaction.satisfaction", "interaction.follow_ups[0].description", "interaction.linked_case"]
    );
    let mut unknown_contact = service_request(1);
    unknown_contact.client_contacts = vec![format!("{client}/contacts/nosuchcontact")];
    let err = app.agent().log_interaction(log(&client, unknown_contact)).await.expect_err("no such contact");
    assert_eq!(violations(&err), ["interaction.client_contacts[0]"]);
    let cfo = app.new_contact(&client, "cfo@jade.example", "+85212345678").await;
    let mut with_cfo = service_request(10);
    with_cfo.client_contacts = vec![cfo.clone()];
    let logged = app.agent().log_interaction(log(&client, with_cfo)).await.expect("known contact").into_inner();
    assert_eq!(logged.client_contacts, [cfo]);

    let mut missing_case = service_request(1);
    missing_case.linked_case = format!("{client}/cases/nosuchcase");
    let err = app.agent().log_interaction(log(&client, missing_case)).await.expect_err("no such case");
    assert_eq!(violations(&err), ["interaction.linked_case"]);

    for hours_ago in [5, 1, 9, 3, 7] {
        app.agent().log_interaction(log(&client, service_request(hours_ago))).await.expect("logged");
    }
    let other = app.new_client("Other Co", "rm-1").await;
    app.agent().log_interaction(log(&other, service_request(0))).await.expect("other client");

    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = ListInteractionsRequest { parent: client.clone(), page_size: 2, page_token };
        let page = app.agent().list_interactions(request).await.expect("page").into_inner();
        assert!(page.interactions.len() <= 2);
        seen.extend(page.interactions.into_iter().map(|i| i.occur_time.expect("time").seconds));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    assert_eq!(seen.len(), 6, "all of the client's interactions, none of the other's");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first: {seen:?}");

    let err = app
        .agent()
        .list_interactions(ListInteractionsRequest { parent: client.clone(), page_size: -1, ..Default::default() })
        .await
        .expect_err("negative page size");
    assert_eq!(violations(&err), ["page_size"]);
});

conformance!(recommendations_are_unavailable_when_segmentation_is_unreachable, async |app: &TestApp| {
    let client = app.new_client("Importers Ltd", "rm-1").await;
    let request = ListRecommendationsRequest { parent: client, page_size: 0 };
    let err = app.agent().list_recommendations(request).await.expect_err("segmentation is down");
    assert_eq!(err.code(), Code::Unavailable);
    assert_eq!(reason(&err), "SEGMENTATION_UNAVAILABLE");
});

conformance!(a_merged_duplicates_history_is_read_with_the_survivor, async |app: &TestApp| {
    use crm_proto::crm::{
        interaction::v1::{
            Channel, ChannelPreference, ConsentStatus, ContactPurpose, ContactabilityReason, GetContactabilityRequest,
            SetChannelPreferenceRequest, StreamTimelineRequest,
        },
        profile::v1::MergeClientsRequest,
    };
    let survivor = app.new_client("Harbour Logistics", "rm-1").await;
    let duplicate = app.new_client("Harbour Logistics Ltd", "rm-1").await;
    app.new_contact(&duplicate, "cfo@harbour.example", "").await;
    let mut agent = app.agent();
    let old = agent.log_interaction(log(&duplicate, service_request(30))).await.expect("on duplicate").into_inner();
    let opt_out = ChannelPreference {
        purpose: ContactPurpose::Marketing as i32,
        channel: Channel::Email as i32,
        consent: ConsentStatus::Withdrawn as i32,
        ..Default::default()
    };
    let request = SetChannelPreferenceRequest {
        parent: duplicate.clone(),
        channel_preference: Some(opt_out),
        request_id: String::new(),
    };
    agent.set_channel_preference(request).await.expect("opt out on duplicate");
    let new = agent.log_interaction(log(&survivor, service_request(1))).await.expect("on survivor").into_inner();

    let merge = MergeClientsRequest { survivor: survivor.clone(), duplicate: duplicate.clone(), etag: String::new() };
    app.profile().merge_clients(merge).await.expect("merge");
    let list = ListInteractionsRequest { parent: survivor.clone(), ..Default::default() };
    let merged = support::eventually("the merge to reach the interaction service", || {
        let (mut agent, list) = (app.agent(), list.clone());
        async move {
            let page = agent.list_interactions(list).await.expect("list interactions").into_inner();
            (page.interactions.len() == 2).then_some(page.interactions)
        }
    })
    .await;
    assert_eq!(merged, [new, old.clone()], "the duplicate's history, newest first");

    // The opt-out given under the duplicate still holds for the survivor.
    let name = format!("{survivor}/contactability");
    let view = agent.get_contactability(GetContactabilityRequest { name, contact: String::new() }).await.expect("view");
    let email = view
        .into_inner()
        .permissions
        .into_iter()
        .find(|p| p.purpose == ContactPurpose::Marketing as i32 && p.channel == Channel::Email as i32)
        .expect("email marketing");
    assert_eq!(email.reason, ContactabilityReason::OptedOut as i32);

    // Logging under the merged record is refused with the survivor's name.
    let err = agent.log_interaction(log(&duplicate, service_request(0))).await.expect_err("merged");
    assert_eq!(reason(&err), "CLIENT_MERGED");

    let timeline = StreamTimelineRequest { parent: survivor.clone(), after_sequence: 0 };
    let mut stream = agent.stream_timeline(timeline).await.expect("timeline").into_inner();
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), stream.message()).await;
    assert_eq!(first.expect("in time").expect("ok").expect("event").resource, old.name);
});
