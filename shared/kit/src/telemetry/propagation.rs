//! W3C trace context (`traceparent` / `tracestate`) over gRPC metadata and HTTP headers.

use std::collections::HashMap;

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::metadata::{KeyRef, MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C `traceparent` key.
pub const TRACEPARENT: &str = "traceparent";

/// Reads W3C trace context from gRPC metadata (ASCII entries only).
#[derive(Debug)]
pub struct MetadataExtractor<'a>(pub &'a MetadataMap);

impl Extractor for MetadataExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .map(|key| match key {
                KeyRef::Ascii(key) => key.as_str(),
                KeyRef::Binary(key) => key.as_str(),
            })
            .collect()
    }
}

/// Writes W3C trace context into gRPC metadata; entries that are not valid metadata are
/// skipped.
#[derive(Debug)]
pub struct MetadataInjector<'a>(pub &'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value)) {
            self.0.insert(key, value);
        }
    }
}

/// Reads W3C trace context from HTTP headers.
#[derive(Debug)]
pub struct HeaderExtractor<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes W3C trace context into HTTP headers; entries that are not valid headers are skipped.
#[derive(Debug)]
pub struct HeaderInjector<'a>(pub &'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) =
            (http::HeaderName::from_bytes(key.as_bytes()), http::HeaderValue::try_from(value))
        {
            self.0.insert(name, value);
        }
    }
}

/// The remote trace context carried by incoming gRPC metadata (an empty context when there
/// is none or it is malformed).
pub fn extract_context(md: &MetadataMap) -> Context {
    TraceContextPropagator::new().extract(&MetadataExtractor(md))
}

/// Writes `cx` into outgoing gRPC metadata as `traceparent` (and `tracestate`).
pub fn inject_context(cx: &Context, md: &mut MetadataMap) {
    TraceContextPropagator::new().inject_context(cx, &mut MetadataInjector(md));
}

/// Writes the current span's trace context into outgoing gRPC metadata, so the callee's
/// span joins the caller's trace (a peer call made inside an RPC, a follower's read-back).
/// Writes nothing outside an OpenTelemetry span, and leaves a `traceparent` already there.
pub fn inject_current(md: &mut MetadataMap) {
    if md.contains_key(TRACEPARENT) {
        return;
    }
    let cx = tracing::Span::current().context();
    if cx.span().span_context().is_valid() {
        inject_context(&cx, md);
    }
}

/// The remote trace context carried by incoming HTTP headers.
pub fn extract_context_headers(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Writes `cx` into outgoing HTTP headers.
pub fn inject_context_headers(cx: &Context, headers: &mut http::HeaderMap) {
    TraceContextPropagator::new().inject_context(cx, &mut HeaderInjector(headers));
}

/// Makes the trace context in `md` the parent of `span` (a server span for an incoming RPC).
/// Does nothing when the metadata carries no context or OpenTelemetry is not enabled.
pub fn set_remote_parent(span: &tracing::Span, md: &MetadataMap) {
    let cx = extract_context(md);
    if cx.span().span_context().is_valid() {
        // Fails only without the OpenTelemetry layer, or once the span has started.
        let _ = span.set_parent(cx);
    }
}

/// The W3C `traceparent` of `cx`, if it holds a valid span context.
pub fn traceparent(cx: &Context) -> Option<String> {
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut carrier: HashMap<String, String> = HashMap::with_capacity(2);
    TraceContextPropagator::new().inject_context(cx, &mut carrier);
    carrier.remove(TRACEPARENT)
}

/// The current span's W3C `traceparent` (e.g. to store with a change-feed event), or `None`
/// when there is no sampled-or-not OpenTelemetry span in scope.
pub fn current_traceparent() -> Option<String> {
    traceparent(&tracing::Span::current().context()).or_else(|| traceparent(&Context::current()))
}

/// The remote context described by a stored `traceparent` string (for change-feed
/// consumers); an empty context when the string is malformed.
pub fn context_from_traceparent(traceparent: &str) -> Context {
    let carrier = HashMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
    TraceContextPropagator::new().extract(&carrier)
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState, TracerProvider as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    const TRACE_HEX: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const SPAN_HEX: &str = "00f067aa0ba902b7";

    fn remote_context() -> Context {
        let sc = SpanContext::new(
            TraceId::from_hex(TRACE_HEX).expect("trace id"),
            SpanId::from_hex(SPAN_HEX).expect("span id"),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        Context::new().with_remote_span_context(sc)
    }

    #[test]
    fn metadata_round_trip_keeps_the_trace() {
        let cx = remote_context();
        let mut md = MetadataMap::new();
        inject_context(&cx, &mut md);
        assert_eq!(
            md.get(TRACEPARENT).and_then(|v| v.to_str().ok()),
            Some(format!("00-{TRACE_HEX}-{SPAN_HEX}-01").as_str())
        );
        let back = extract_context(&md);
        let span = back.span();
        let sc = span.span_context();
        assert!(sc.is_valid());
        assert!(sc.is_remote());
        assert_eq!(sc.trace_id().to_string(), TRACE_HEX);
        assert_eq!(sc.span_id().to_string(), SPAN_HEX);
        assert!(sc.is_sampled());
    }

    #[test]
    fn header_round_trip_keeps_the_trace() {
        let mut headers = http::HeaderMap::new();
        inject_context_headers(&remote_context(), &mut headers);
        let back = extract_context_headers(&headers);
        assert_eq!(back.span().span_context().trace_id().to_string(), TRACE_HEX);
    }

    #[test]
    fn missing_or_malformed_context_extracts_nothing() {
        let mut md = MetadataMap::new();
        assert!(!extract_context(&md).span().span_context().is_valid());
        md.insert(TRACEPARENT, "00-nonsense".parse().expect("value"));
        assert!(!extract_context(&md).span().span_context().is_valid());
        assert!(traceparent(&Context::new()).is_none());
        assert!(!context_from_traceparent("garbage").span().span_context().is_valid());
    }

    #[test]
    fn traceparent_string_round_trips() {
        let tp = traceparent(&remote_context()).expect("traceparent");
        assert_eq!(tp, format!("00-{TRACE_HEX}-{SPAN_HEX}-01"));
        let cx = context_from_traceparent(&tp);
        assert_eq!(cx.span().span_context().trace_id().to_string(), TRACE_HEX);
    }

    #[test]
    fn current_traceparent_follows_the_remote_parent() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let mut md = MetadataMap::new();
        inject_context(&remote_context(), &mut md);

        let (outside, inside) = tracing::subscriber::with_default(subscriber, || {
            let outside = current_traceparent();
            let span = tracing::info_span!("rpc");
            set_remote_parent(&span, &md);
            let _entered = span.enter();
            (outside, current_traceparent())
        });
        assert!(outside.is_none(), "{outside:?}");
        let inside = inside.expect("a traceparent inside the span");
        assert!(inside.starts_with(&format!("00-{TRACE_HEX}-")), "{inside}");
        assert!(!inside.contains(SPAN_HEX), "the local span has its own id: {inside}");
        let _ = provider.shutdown();
    }

    #[test]
    fn a_call_made_inside_a_span_carries_its_context_and_one_outside_carries_none() {
        let provider = SdkTracerProvider::builder().build();
        let subscriber =
            tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let mut incoming = MetadataMap::new();
        inject_context(&remote_context(), &mut incoming);

        let (outside, inside, kept) = tracing::subscriber::with_default(subscriber, || {
            let mut outside = MetadataMap::new();
            inject_current(&mut outside);
            let span = tracing::info_span!("rpc");
            set_remote_parent(&span, &incoming);
            let _entered = span.enter();
            let mut inside = MetadataMap::new();
            inject_current(&mut inside);
            let mut kept = incoming.clone();
            inject_current(&mut kept);
            (outside, inside, kept)
        });
        assert!(outside.get(TRACEPARENT).is_none(), "no span, no context");
        let inside = inside.get(TRACEPARENT).and_then(|v| v.to_str().ok()).expect("a traceparent").to_owned();
        assert!(inside.starts_with(&format!("00-{TRACE_HEX}-")), "the caller's trace: {inside}");
        assert!(!inside.contains(SPAN_HEX), "the calling span is the parent: {inside}");
        assert_eq!(kept.get(TRACEPARENT), incoming.get(TRACEPARENT), "an explicit context is left alone");
        let _ = provider.shutdown();
    }

    #[test]
    fn without_opentelemetry_there_is_no_traceparent() {
        let subscriber = tracing_subscriber::registry();
        let tp = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("rpc");
            let _entered = span.enter();
            current_traceparent()
        });
        assert!(tp.is_none());
    }
}
