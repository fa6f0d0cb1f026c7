//! Following through NATS (`[nats] follow = true`) against the real JetStream server of this
//! machine (127.0.0.1:4222): the followers read the relayed stream instead of the profile's
//! and scoring's WatchChanges, and a profile write still reaches segmentation's memberships.

use crm::relay;
use crm_e2e::{FEED_TIMEOUT, portfolio, start_configured};
use crm_kit::auth::Role;
use crm_proto::crm::{
    audit::v1::{ListAuditEventsRequest, audit_service_client::AuditServiceClient},
    profile::v1::{Client, ProductLine},
    segmentation::v1::{GetClientSegmentsRequest, segmentation_service_client::SegmentationServiceClient},
};

/// The NATS server every machine here runs; the test is skipped (saying so) without it.
const NATS_URL: &str = "nats://127.0.0.1:4222";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_follow_on_a_profile_write_reaches_segment_membership_through_the_stream_alone() {
    if tokio::net::TcpStream::connect("127.0.0.1:4222").await.is_err() {
        eprintln!("SKIPPED: no NATS server on 127.0.0.1:4222 (start nats-server -js to run this test)");
        return;
    }
    let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let nats = crm_kit::relay::NatsConfig {
        url: NATS_URL.into(),
        stream: format!("CRMFOLLOW_{tag}"),
        subject_prefix: format!("crmfollow{tag}"),
        position_stream: format!("CRMFOLLOW_RELAY_{tag}"),
        relay: true,
        follow: true,
        ..Default::default()
    };
    let running = start_configured(|config| config.nats = nats.clone()).await;
    // As `crm up` does with `[nats] relay = true`: the feeds go to the stream.
    let (stop, shutdown) = crm_kit::server::Shutdown::new();
    let urls = running.suite.peer_urls(&running.config);
    let relays = relay::spawn_configured(&running.config, &relay::FEEDS, &urls, &shutdown).await.expect("relay");

    let set_up = portfolio::wholesale_portfolio(&running).await;
    let client = Client {
        display_name: format!("Followed Wholesaler {tag}"),
        country_code: "CN".into(),
        industry_code: "5171".into(),
        relationship_manager: "rm-e2e".into(),
        ..Default::default()
    };
    let client = portfolio::create_client(&running, client).await;
    portfolio::hold(&running, &client.name, &[ProductLine::Deposits]).await;
    let segments = running.client(Role::MarketingAnalyst, SegmentationServiceClient::new);
    let memberships = crm_testkit::poll_until("the new client's membership", FEED_TIMEOUT, || {
        let (mut segments, name) = (segments.clone(), client.name.clone());
        async move {
            let request = GetClientSegmentsRequest { client: name, read_time: None };
            let found = segments.get_client_segments(request).await?.into_inner().memberships;
            Ok::<_, tonic::Status>((!found.is_empty()).then_some(found))
        }
    })
    .await;
    assert!(memberships.iter().all(|m| m.scheme == set_up.scheme.name), "{memberships:?}");
    let segments: Vec<&str> = memberships.iter().map(|m| m.segment.as_str()).collect();
    let other = format!("{}/segments/wholesale-other", set_up.scheme.name);
    assert!(segments.contains(&other.as_str()), "a wholesaler without trade finance: {segments:?}");

    // A follower resuming after an event starts reading at the next one, found by bisection
    // over the stream (which interleaves the scoring feed's messages with the profile's).
    let js = crm_kit::relay::connect(&nats).await.expect("JetStream");
    let mut stream = js.get_stream(&nats.stream).await.expect("stream");
    let last = stream.info().await.expect("stream info").state.last_sequence;
    let feed_sequence_at = async |at: u64| {
        let message = stream
            .raw_message_builder()
            .sequence(at)
            .next_by_subject(nats.feed_subjects("profile"))
            .send()
            .await
            .expect("a profile message at or after the start");
        let sequence = message.headers.get("Crm-Sequence").expect("Crm-Sequence").as_str().parse::<i64>();
        (message.sequence, sequence.expect("a number"))
    };
    for after in [1, 7, 20] {
        let start = crm_kit::relay::start_sequence(&stream, &nats, "profile", after).await.expect("bisection");
        let (_, sequence) = feed_sequence_at(start).await;
        assert_eq!(sequence, after + 1, "the first event a follower after {after} reads");
        let (before, _) = feed_sequence_at(1).await;
        assert!(start > before, "it skips the stream's earlier messages ({start} > {before})");
    }
    let beyond = crm_kit::relay::start_sequence(&stream, &nats, "profile", i64::MAX).await.expect("bisection");
    assert_eq!(beyond, last + 1, "a follower that has everything waits for the next message");

    // Only the relay subscribed to the profile's feed: the followers read the stream.
    let audit = running.client(Role::Admin, AuditServiceClient::new);
    let subscribers = crm_testkit::poll_until("the relay's subscription in the profile's trail", FEED_TIMEOUT, || {
        let mut audit = audit.clone();
        async move {
            let request = ListAuditEventsRequest {
                service: "profile".into(),
                action: "WatchChanges".into(),
                page_size: 1000,
                ..Default::default()
            };
            let events = audit.list_audit_events(request).await?.into_inner().audit_events;
            let subjects: Vec<String> = events.into_iter().map(|e| e.subject).collect();
            Ok::<_, tonic::Status>(subjects.iter().any(|s| s == "svc:relay").then_some(subjects))
        }
    })
    .await;
    for follower in ["svc:segmentation", "svc:scoring", "svc:interaction"] {
        assert!(!subscribers.iter().any(|s| s == follower), "{follower} subscribed to WatchChanges: {subscribers:?}");
    }

    stop.fire();
    for task in relays {
        task.await.expect("the relay stops");
    }
    running.finish().await;
}
