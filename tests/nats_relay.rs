//! The change-feed relay against the real NATS JetStream server of this machine
//! (127.0.0.1:4222): a burst of profile writes, the relay crashing in the middle and
//! restarting, and every event in the stream exactly once, in order per client. (Its own
//! test binary: the metrics it reads are per process.)

use crm_e2e::{FEED_TIMEOUT, portfolio, sample, start};
use crm_proto::crm::profile::v1::Client;

/// The NATS server every machine here runs; the relay test is skipped (saying so) without it.
const NATS_URL: &str = "nats://127.0.0.1:4222";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_publishes_each_event_once_in_order_per_client_across_a_crash_mid_burst() {
    use async_nats::jetstream::consumer::pull;
    use crm::{relay, suite::Service};
    use crm_proto::crm::profile::v1::{ChangeEvent, ProductLine};
    use futures::StreamExt as _;
    use prost::Message as _;

    if tokio::net::TcpStream::connect("127.0.0.1:4222").await.is_err() {
        eprintln!("SKIPPED: no NATS server on 127.0.0.1:4222 (start nats-server -js to run this test)");
        return;
    }
    let running = start().await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    let mut config = crm_kit::config::Config { data_dir: running.data_dir.clone(), ..Default::default() };
    config.nats = crm_kit::relay::NatsConfig {
        url: NATS_URL.into(),
        stream: format!("CRMTEST_{tag}"),
        subject_prefix: format!("crmtest{tag}"),
        position_stream: format!("CRMTEST_RELAY_{tag}"),
        // Stored only when the feed goes quiet: a crash mid-burst leaves much to republish.
        position_every: 1_000_000,
        ..Default::default()
    };
    let js = crm_kit::relay::connect(&config.nats).await.expect("JetStream");
    let urls = running.suite.peer_urls(&config);
    let (stop, shutdown) = crm_kit::server::Shutdown::new();
    let stored_messages = async || {
        let mut stream = js.get_stream(&config.nats.stream).await.expect("stream");
        stream.info().await.expect("stream info").state.messages
    };
    let duplicates = || {
        let text = crm_kit::metrics::render();
        sample(&text, "crm_relay_duplicates_total", &[("feed", "profile")]).unwrap_or(0.0)
    };
    let duplicates_before = duplicates();

    const CLIENTS: usize = 10;
    const LINES: [ProductLine; 8] = [
        ProductLine::Deposits,
        ProductLine::Lending,
        ProductLine::TradeFinance,
        ProductLine::CashManagement,
        ProductLine::Fx,
        ProductLine::Payments,
        ProductLine::Cards,
        ProductLine::Investment,
    ];
    let expected = (CLIENTS * (1 + LINES.len())) as u64;
    let first = relay::spawn(&config, &[Service::Profile], &urls, &shutdown).await.expect("relay");
    let burst = async {
        for n in 0..CLIENTS {
            let client = Client {
                display_name: format!("Relay Test {n}"),
                registration_number: format!("RT-{tag}-{n}"),
                ..portfolio::target_client()
            };
            let client = portfolio::create_client(&running, client).await;
            portfolio::hold(&running, &client.name, &LINES).await;
        }
    };
    let crash = async {
        // Mid-burst: the relay dies without storing its position, and a new one starts.
        crm_testkit::poll_until("the relay published part of the burst", FEED_TIMEOUT, || async {
            Ok::<_, std::convert::Infallible>((stored_messages().await >= 30).then_some(()))
        })
        .await;
        for task in &first {
            task.abort();
        }
        let position = crm_kit::relay::position(&js, &config.nats, "profile").await.expect("position");
        let published = stored_messages().await;
        let second = relay::spawn(&config, &[Service::Profile], &urls, &shutdown).await.expect("relay again");
        (position, published, second)
    };
    let ((), (position, published_at_crash, second)) = tokio::join!(burst, crash);
    assert!(published_at_crash as i64 > position, "the crash left {published_at_crash} published past {position}");

    crm_testkit::poll_until("the whole burst is in the stream", FEED_TIMEOUT, || async {
        Ok::<_, std::convert::Infallible>((stored_messages().await >= expected).then_some(()))
    })
    .await;
    // The restarted relay republished what followed its stored position; the stream dropped
    // each of those by its message id.
    let republished = duplicates() - duplicates_before;
    assert!(republished >= (published_at_crash as i64 - position) as f64, "{republished} duplicates dropped");

    // Read everything back as a consumer would, de-duplicating by message id.
    let stream = js.get_stream(&config.nats.stream).await.expect("stream");
    let consumer = stream
        .create_consumer(pull::OrderedConfig {
            filter_subject: config.nats.feed_subjects("profile"),
            ..Default::default()
        })
        .await
        .expect("consumer");
    let mut messages = consumer.messages().await.expect("messages");
    let mut seen = std::collections::HashSet::new();
    let mut per_client: std::collections::HashMap<String, Vec<i64>> = std::collections::HashMap::new();
    let mut sequences = Vec::new();
    while (sequences.len() as u64) < expected {
        let message = tokio::time::timeout(FEED_TIMEOUT, messages.next())
            .await
            .expect("the next message in time")
            .expect("a message")
            .expect("readable");
        let headers = message.headers.clone().expect("headers");
        let id = headers.get("Nats-Msg-Id").expect("a message id").to_string();
        if !seen.insert(id.clone()) {
            continue;
        }
        let event = ChangeEvent::decode(message.payload.as_ref()).expect("a profile ChangeEvent");
        assert_eq!(id, format!("profile-{}", event.sequence));
        let collection = if event.resource.contains("/holdings/") { "holdings" } else { "clients" };
        let client_id = event.client.trim_start_matches("clients/");
        assert_eq!(message.subject.as_str(), format!("crmtest{tag}.profile.{collection}.{client_id}"));
        per_client.entry(event.client.clone()).or_default().push(event.sequence);
        sequences.push(event.sequence);
    }
    assert_eq!(stored_messages().await, expected, "JetStream kept no duplicate");
    let mut sorted = sequences.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=expected as i64).collect::<Vec<_>>(), "every event exactly once");
    assert_eq!(per_client.len(), CLIENTS);
    for (client, sequences) in &per_client {
        assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{client} out of order: {sequences:?}");
        assert_eq!(sequences.len(), 1 + LINES.len());
    }

    // An erasure purges what the stream holds of the client, and leaves only its marker.
    let erased = per_client.keys().next().expect("a client").clone();
    let mut profiles = running.client(
        crm_kit::auth::Role::Admin,
        crm_proto::crm::profile::v1::client_profile_service_client::ClientProfileServiceClient::new,
    );
    let request = crm_proto::crm::profile::v1::EraseClientRequest { name: erased.clone(), reason: "DSR-nats".into() };
    profiles.erase_client(request).await.expect("erase");
    let left = expected - LINES.len() as u64;
    crm_testkit::poll_until("the erased client's messages are purged", FEED_TIMEOUT, || async {
        Ok::<_, std::convert::Infallible>((stored_messages().await == left).then_some(()))
    })
    .await;
    let subject = format!("crmtest{tag}.profile.clients.{}", erased.trim_start_matches("clients/"));
    let stream = js.get_stream(&config.nats.stream).await.expect("stream");
    let marker = stream.get_last_raw_message_by_subject(&subject).await.expect("the erasure marker");
    let marker = ChangeEvent::decode(marker.payload.as_ref()).expect("a profile ChangeEvent");
    assert_eq!(marker.kind, crm_proto::crm::profile::v1::ChangeKind::Erased as i32);
    assert!(marker.resource_state.is_none(), "the marker carries nothing of the client");

    stop.fire();
    for task in second {
        task.await.expect("the relay stops cleanly");
    }
    let _ = js.delete_stream(&config.nats.stream).await;
    let _ = js.delete_stream(&config.nats.position_stream).await;
    running.finish().await;
}
