//! StreamTimeline (one client's backlog, then live events; resumable) and WatchChanges.

use std::time::Duration;

use crm_proto::crm::interaction::v1::{
    Case, CaseCategory, ChangeKind, ChannelPreference, ConsentStatus, ContactPurpose, OpenCaseRequest,
    SetChannelPreferenceRequest, StreamTimelineRequest, TimelineEvent, WatchChangesRequest, change_event,
    timeline_event::ResourceState,
};
use tonic::{Code, Streaming};

use crate::{
    log, service_request,
    support::{TestApp, conformance},
};

/// The next event, failing the test if none arrives in time (a bound, not a sleep).
async fn next(stream: &mut Streaming<TimelineEvent>) -> TimelineEvent {
    tokio::time::timeout(Duration::from_secs(20), stream.message())
        .await
        .expect("an event in time")
        .expect("stream ok")
        .expect("stream open")
}

conformance!(stream_timeline_delivers_the_backlog_then_live_events, async |app: &TestApp| {
    let client = app.new_client("Harbour Logistics", "rm-1").await;
    let other = app.new_client("Other Co", "rm-1").await;
    let mut agent = app.agent();
    let first = agent.log_interaction(log(&client, service_request(48))).await.expect("log").into_inner();
    agent.log_interaction(log(&other, service_request(1))).await.expect("other client");
    let case = Case { title: "Lost payment".into(), category: CaseCategory::PaymentIssue as i32, ..Default::default() };
    let case = agent
        .open_case(OpenCaseRequest { parent: client.clone(), case: Some(case), request_id: String::new() })
        .await
        .expect("open")
        .into_inner();

    let request = StreamTimelineRequest { parent: client.clone(), after_sequence: 0 };
    let mut stream = app.rm("rm-7").stream_timeline(request).await.expect("subscribe").into_inner();
    let backlog = [next(&mut stream).await, next(&mut stream).await];
    assert_eq!(backlog.each_ref().map(|e| e.resource.clone()), [first.name.clone(), case.name.clone()]);
    assert!(matches!(&backlog[0].resource_state, Some(ResourceState::Interaction(i)) if i == &first));
    assert_eq!(backlog[0].event_time, first.occur_time, "an interaction's time is when it happened");
    assert!(backlog.iter().all(|e| e.client == client && e.kind == ChangeKind::Created as i32));

    // Live: events of other clients are not delivered; the client's own arrive in order.
    agent.log_interaction(log(&other, service_request(0))).await.expect("other client");
    let live = agent.log_interaction(log(&client, service_request(0))).await.expect("live").into_inner();
    let pref = ChannelPreference {
        purpose: ContactPurpose::Marketing as i32,
        all_channels: true,
        consent: ConsentStatus::Withdrawn as i32,
        ..Default::default()
    };
    let pref = agent
        .set_channel_preference(SetChannelPreferenceRequest {
            parent: client.clone(),
            channel_preference: Some(pref),
            request_id: String::new(),
        })
        .await
        .expect("consent change")
        .into_inner();
    let event = next(&mut stream).await;
    assert_eq!(event.resource, live.name);
    assert!(event.sequence > backlog[1].sequence);
    let event = next(&mut stream).await;
    assert!(matches!(&event.resource_state, Some(ResourceState::ChannelPreference(p)) if p == &pref));
    drop(stream);

    // Resuming after the first backlog event skips it.
    let resume = StreamTimelineRequest { parent: client.clone(), after_sequence: backlog[0].sequence };
    let mut resumed = app.agent().stream_timeline(resume).await.expect("resume").into_inner();
    assert_eq!(next(&mut resumed).await.resource, case.name);
    assert_eq!(next(&mut resumed).await.resource, live.name);
});

conformance!(watch_changes_streams_every_write_to_channels_only, async |app: &TestApp| {
    let client = app.new_client("Nordwind", "rm-1").await;
    let logged = app.agent().log_interaction(log(&client, service_request(1))).await.expect("log").into_inner();
    let err = app.rm("rm-1").watch_changes(WatchChangesRequest { after_sequence: 0 }).await.expect_err("RM");
    assert_eq!(err.code(), Code::PermissionDenied);
    let mut feed = app
        .client_as(crm_kit::auth::Role::Channel, "svc:segmentation", None)
        .watch_changes(WatchChangesRequest { after_sequence: 0 })
        .await
        .expect("watch")
        .into_inner();
    let event = tokio::time::timeout(Duration::from_secs(20), feed.message())
        .await
        .expect("in time")
        .expect("ok")
        .expect("open");
    assert_eq!(
        (event.sequence, event.client.as_str(), event.resource.as_str()),
        (1, client.as_str(), logged.name.as_str())
    );
    assert!(matches!(event.resource_state, Some(change_event::ResourceState::InteractionState(i)) if i == logged));
});
