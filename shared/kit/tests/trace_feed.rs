//! W3C trace context across the change feed, with the OpenTelemetry layer installed as the
//! process's subscriber (as `telemetry::init` installs it; its own test binary, so that the
//! store's SQLite worker threads see the same subscriber as the test): the event of a write
//! carries the trace of the write's unit of work, a write outside any span starts no trace,
//! and a follower's span for the event joins the write's trace.

use crm_kit::{
    auth::Principal,
    call::Caller,
    db::{Db, DbConfig, Migrations},
    feed::Feed,
    write::Writer,
};
use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_carries_its_writes_trace_and_the_followers_span_joins_it() {
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");

    let dir = std::env::temp_dir().join(format!("crm-trace-feed-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cfg = DbConfig { url: format!("sqlite:{}", dir.join("w.db").display()), ..DbConfig::default() };
    let none = Migrations { sqlite: sqlx::migrate!("migrations/none"), postgres: sqlx::migrate!("migrations/none") };
    let writer = Writer::new(Db::connect_and_migrate(&cfg, none).await.expect("db"));
    let caller = Caller::new(Principal::system("t"), "/svc/UpdateThing", "req-1");

    let span = tracing::info_span!("UpdateThing");
    let trace_id = span.context().span().span_context().trace_id();
    let call_span = span.context().span().span_context().span_id();
    writer
        .run(caller.write(), async |w| w.record("thing.UPDATED", "clients/1", "clients/1", vec![1]).await)
        .instrument(span)
        .await
        .expect("committed");
    let untraced = writer
        .run(caller.write(), async |w| w.record("thing.UPDATED", "clients/1", "clients/1", vec![2]).await)
        .await
        .expect("committed");

    let events = Feed::read(writer.db().reader(), 0, 10).await.expect("events");
    let traceparent = &events[0].traceparent;
    assert!(traceparent.contains(&trace_id.to_string()), "the call's trace: {traceparent:?}");
    assert!(!traceparent.contains(&call_span.to_string()), "the unit of work's own span: {traceparent:?}");
    assert_eq!((events[1].sequence, events[1].traceparent.as_str()), (untraced, ""), "no span, no context");

    let delivered = crm_proto::crm::profile::v1::ChangeEvent {
        sequence: events[0].sequence,
        traceparent: events[0].traceparent.clone(),
        ..Default::default()
    };
    let follower = crm_kit::follow::batch_span("segmentation", "profile", &[delivered]);
    assert_eq!(follower.context().span().span_context().trace_id(), trace_id, "the follower joins the trace");
    let _ = provider.shutdown();
    let _ = std::fs::remove_dir_all(dir);
}
