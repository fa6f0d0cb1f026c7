//! One trace per call across the suite: spans exported over OTLP to a receiver in this
//! process (the OpenTelemetry collector's gRPC TraceService on port 0). A client 360 through
//! the gateway is one trace holding the gateway's span, a span per part it fetched, and the
//! spans of all four services (the interaction service's calls to the profile included); a
//! profile write's trace holds the write's unit of work and the segmentation follower's
//! batch that applied it. (Its own test binary: tracing is installed once per process.)

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use crm_e2e::{FEED_TIMEOUT, Running, portfolio, start};
use crm_kit::{
    auth::Role,
    telemetry::{TelemetryConfig, TelemetryGuard},
};
use crm_proto::crm::{
    gateway::v1::{GetClient360Request, client_view_service_client::ClientViewServiceClient},
    profile::v1::{Client, CreateClientRequest, client_profile_service_client::ClientProfileServiceClient},
};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
    trace::v1::Span,
};

/// The spans an OTLP exporter sent.
#[derive(Clone, Default)]
struct Receiver(Arc<Mutex<Vec<Span>>>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let spans = request.into_inner().resource_spans.into_iter().flat_map(|r| r.scope_spans).flat_map(|s| s.spans);
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend(spans);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

impl Receiver {
    /// Serves the collector's TraceService on a free port; its address.
    async fn serve(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let addr = listener.local_addr().expect("addr");
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self.clone()))
            .serve_with_incoming(crm_kit::server::incoming(listener));
        tokio::spawn(server);
        addr
    }

    /// The spans received so far of trace `trace_id`.
    fn trace(&self, trace_id: &[u8]) -> Vec<Span> {
        let spans = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        spans.iter().filter(|s| s.trace_id == trace_id).cloned().collect()
    }

    /// Waits until trace `trace_id` holds spans satisfying `done` (exporting what `telemetry`
    /// buffers at each look); the trace then.
    async fn wait_for(
        &self,
        telemetry: &TelemetryGuard,
        what: &str,
        trace_id: &[u8],
        done: impl Fn(&[Span]) -> bool,
    ) -> Vec<Span> {
        crm_testkit::poll_until(what, FEED_TIMEOUT, || async {
            telemetry.flush();
            let spans = self.trace(trace_id);
            Ok::<_, std::convert::Infallible>(done(&spans).then_some(spans))
        })
        .await
    }
}

/// A text attribute of a span.
fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes.iter().find(|a| a.key == key).and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        Value::StringValue(text) => Some(text.as_str()),
        _ => None,
    })
}

/// The server span of a call to `method` of a service (`/crm.profile.v1.ClientProfileService/GetClient`).
fn rpc_spans<'a>(spans: &'a [Span], service_prefix: &str) -> Vec<&'a Span> {
    spans
        .iter()
        .filter(|s| s.name == "rpc" && attribute(s, "method").is_some_and(|m| m.starts_with(service_prefix)))
        .collect()
}

/// Whether `span` descends from a span satisfying `ancestor` within `spans`.
fn descends_from(spans: &[Span], span: &Span, ancestor: impl Fn(&Span) -> bool) -> bool {
    let by_id: HashMap<&[u8], &Span> = spans.iter().map(|s| (s.span_id.as_slice(), s)).collect();
    let mut current = by_id.get(span.parent_span_id.as_slice()).copied();
    for _ in 0..spans.len() {
        match current {
            Some(parent) if ancestor(parent) => return true,
            Some(parent) => current = by_id.get(parent.parent_span_id.as_slice()).copied(),
            None => return false,
        }
    }
    false
}

/// The spans whose parent is not among `spans`.
fn roots(spans: &[Span]) -> Vec<&Span> {
    spans.iter().filter(|s| !spans.iter().any(|p| p.span_id == s.parent_span_id)).collect()
}

/// A fresh W3C trace context for a call: its trace id and the `traceparent` to send.
fn new_trace() -> (Vec<u8>, String) {
    let trace = uuid::Uuid::new_v4();
    let parent = &uuid::Uuid::new_v4().simple().to_string()[..16];
    (trace.as_bytes().to_vec(), format!("00-{}-{parent}-01", trace.simple()))
}

fn traced<T>(message: T, traceparent: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("traceparent", traceparent.parse().expect("ascii"));
    request
}

const SERVICES: [&str; 4] = ["/crm.profile.v1.", "/crm.segmentation.v1.", "/crm.scoring.v1.", "/crm.interaction.v1."];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_360_is_one_trace_across_the_gateway_and_every_service_and_a_write_holds_its_followers_work() {
    let receiver = Receiver::default();
    let collector = receiver.serve().await;
    let config = TelemetryConfig {
        otlp_endpoint: Some(format!("http://{collector}")),
        service_name: "crm-e2e".into(),
        ..TelemetryConfig::default()
    };
    let telemetry = crm_kit::telemetry::init(&config).expect("telemetry");
    assert!(telemetry.is_exporting(), "the first init of this process exports");
    let running = start().await;

    let write = check_write_trace(&running, &receiver, &telemetry).await;
    check_client360_trace(&running, &receiver, &telemetry, &write).await;

    running.finish().await;
    telemetry.shutdown();
}

/// A CreateClient through the gateway: its trace holds the profile's unit of work and the
/// segmentation follower's batch (and that batch's own unit of work). The client created.
async fn check_write_trace(running: &Running, receiver: &Receiver, telemetry: &TelemetryGuard) -> Client {
    let (trace_id, traceparent) = new_trace();
    let client =
        Client { registration_number: format!("TR-{}", uuid::Uuid::new_v4().simple()), ..portfolio::target_client() };
    let mut profiles = running.client(Role::Admin, ClientProfileServiceClient::new);
    let request = CreateClientRequest { client: Some(client), ..Default::default() };
    let created = profiles.create_client(traced(request, &traceparent)).await.expect("created").into_inner();

    let is_follower = |s: &Span| s.name == "follow_feed" && attribute(s, "follower") == Some("segmentation");
    let spans = receiver
        .wait_for(telemetry, "the write's spans and the segmentation follower's in its trace", &trace_id, |spans| {
            spans.iter().any(is_follower)
                && spans.iter().any(|s| s.name == "unit_of_work" && attribute(s, "db") == Some("segmentation"))
                && spans.iter().any(|s| s.name == "gateway")
                && !rpc_spans(spans, "/crm.profile.v1.ClientProfileService/CreateClient").is_empty()
        })
        .await;
    let gateway = spans.iter().find(|s| s.name == "gateway").expect("the gateway's span");
    assert_eq!(attribute(gateway, "protocol"), Some("grpc"));
    let write = rpc_spans(&spans, "/crm.profile.v1.ClientProfileService/CreateClient");
    assert_eq!(write.len(), 1, "{spans:#?}");
    assert_eq!(write[0].parent_span_id, gateway.span_id, "the profile's span is the gateway's child");
    let unit = spans
        .iter()
        .find(|s| s.name == "unit_of_work" && attribute(s, "db") == Some("profile"))
        .expect("the write's unit of work");
    assert_eq!(attribute(unit, "action"), Some("CreateClient"));
    assert!(descends_from(&spans, unit, |s| s.span_id == write[0].span_id), "under the profile's span");
    let follower = spans.iter().find(|s| is_follower(s)).expect("follower");
    assert!(
        descends_from(&spans, follower, |s| s.span_id == unit.span_id),
        "the follower's batch is a child of the unit of work that appended the event"
    );
    let applied = spans
        .iter()
        .find(|s| s.name == "unit_of_work" && attribute(s, "db") == Some("segmentation"))
        .expect("the follower's unit of work");
    assert!(descends_from(&spans, applied, is_follower), "the follower's own write is under its batch");
    created
}

/// One GetClient360 through the gateway: one trace, the gateway's span at its root, a span
/// per part fetched, every service's server span, and the profile calls the interaction
/// service made for contactability under its span.
async fn check_client360_trace(running: &Running, receiver: &Receiver, telemetry: &TelemetryGuard, client: &Client) {
    let (trace_id, traceparent) = new_trace();
    let mut views = running.client(Role::Admin, ClientViewServiceClient::new);
    let request = GetClient360Request { name: client.name.clone(), ..Default::default() };
    let view = tokio::time::timeout(Duration::from_secs(30), views.get_client360(traced(request, &traceparent)))
        .await
        .expect("in time")
        .expect("the client 360")
        .into_inner();
    assert_eq!(view.client.map(|c| c.name), Some(client.name.clone()));

    // A server's span ends when its answer's last frame is sent, which may be after the
    // gateway has answered: wait until every span's parent has arrived too.
    let spans = receiver
        .wait_for(telemetry, "one tree holding a span of every service in the client 360's trace", &trace_id, |spans| {
            SERVICES.iter().all(|service| !rpc_spans(spans, service).is_empty()) && roots(spans).len() == 1
        })
        .await;
    let roots = roots(&spans);
    let gateway = roots[0];
    assert_eq!(gateway.name, "gateway");
    assert_eq!(attribute(gateway, "path"), Some("/crm.gateway.v1.ClientViewService/GetClient360"));
    for service in SERVICES {
        for rpc in rpc_spans(&spans, service) {
            assert!(descends_from(&spans, rpc, |s| s.span_id == gateway.span_id), "{rpc:#?}");
        }
    }
    let parts: Vec<&Span> = spans.iter().filter(|s| s.name == "fetch_part").collect();
    assert!(parts.len() >= 9, "a span per part fetched: {parts:#?}");
    for service in SERVICES {
        let fetched = |s: &Span| s.name == "fetch_part";
        assert!(
            rpc_spans(&spans, service).iter().any(|rpc| descends_from(&spans, rpc, fetched)),
            "{service}: its call is under the gateway's fetch of the part"
        );
    }
    let contactability = |s: &Span| {
        s.name == "rpc" && attribute(s, "method") == Some("/crm.interaction.v1.InteractionService/GetContactability")
    };
    assert!(
        rpc_spans(&spans, "/crm.profile.v1.").iter().any(|rpc| descends_from(&spans, rpc, contactability)),
        "the interaction service's calls to the profile join the trace: {spans:#?}"
    );
}
