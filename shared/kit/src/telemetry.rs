//! Logging and tracing: `tracing` with an env-filter, human or JSON logs on stderr, optional
//! OpenTelemetry OTLP span export, and W3C trace context propagation
//! (docs/architecture.md §8).
//!
//! Call [`init`] once at startup and keep the returned [`TelemetryGuard`] until shutdown;
//! dropping it (or calling [`TelemetryGuard::shutdown`]) flushes buffered spans.

mod propagation;
mod throttle;

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracerProvider};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;

pub use propagation::{
    HeaderExtractor, HeaderInjector, MetadataExtractor, MetadataInjector, TRACEPARENT, context_from_traceparent,
    current_traceparent, extract_context, extract_context_headers, inject_context, inject_context_headers,
    inject_current, set_remote_parent, traceparent,
};
pub use throttle::Throttle;

/// How long shutdown waits for buffered spans to be exported.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, one line per event, coloured when stderr is a terminal.
    #[default]
    #[serde(alias = "Pretty", alias = "text")]
    Pretty,
    /// One JSON object per event (for log shippers).
    #[serde(alias = "Json", alias = "JSON")]
    Json,
}

/// Telemetry settings (`[telemetry]` in `crm.toml`, `CRM__TELEMETRY__...` in the environment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Log line format (default `pretty`).
    pub log_format: LogFormat,
    /// `EnvFilter` directives; `RUST_LOG`, when set, takes precedence.
    pub log_filter: String,
    /// OTLP/gRPC collector endpoint, e.g. `http://otel-collector:4317`; no export when unset.
    pub otlp_endpoint: Option<String>,
    /// `service.name` of exported spans.
    pub service_name: String,
    /// Share of new traces recorded and exported, 0.0 to 1.0 (default 1.0); a call that
    /// arrives with a trace context follows its caller's decision, so a trace is whole or
    /// absent. Without an OTLP endpoint nothing is sampled or exported at all.
    pub sampling_ratio: f64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Pretty,
            log_filter: "info,sqlx=warn,h2=warn,tower=warn".to_owned(),
            otlp_endpoint: None,
            service_name: "crm".to_owned(),
            sampling_ratio: 1.0,
        }
    }
}

/// Keeps telemetry running; flushes and shuts down span export when shut down or dropped.
#[must_use = "dropping the guard shuts telemetry export down"]
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    installed: bool,
}

impl TelemetryGuard {
    fn noop() -> Self {
        Self { provider: None, installed: false }
    }

    /// Whether this guard is the one from the call to [`init`] that installed the global
    /// subscriber (`false` for later calls, whose guards do nothing).
    pub fn is_installed(&self) -> bool {
        self.installed
    }

    /// Whether spans are being exported over OTLP.
    pub fn is_exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes buffered spans and shuts the tracer provider down.
    pub fn shutdown(mut self) {
        self.shutdown_provider();
    }

    /// Exports the spans ended so far now, instead of with the next batch.
    pub fn flush(&self) {
        let Some(provider) = &self.provider else { return };
        if let Err(err) = on_runtime(|| provider.force_flush()) {
            tracing::warn!(error = %err, "buffered spans were not exported");
        }
    }

    fn shutdown_provider(&mut self) {
        let Some(provider) = self.provider.take() else {
            return;
        };
        if let Err(err) = on_runtime(move || provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT)) {
            tracing::warn!(error = %err, "span export did not shut down cleanly");
        }
    }
}

/// Runs `wait` (a blocking wait for the exporter): the OTLP client runs on the Tokio
/// runtime, so on a multi-threaded runtime other workers drive it while this thread waits.
fn on_runtime<T>(wait: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown_provider();
    }
}

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs the global `tracing` subscriber: an `EnvFilter` (`RUST_LOG` overrides
/// `cfg.log_filter`), a fmt layer (pretty or JSON) on stderr and, when `cfg.otlp_endpoint` is
/// set, an OpenTelemetry layer exporting spans over OTLP/gRPC through a batch processor. Sets
/// the global propagator to W3C TraceContext.
///
/// Only the first call in a process installs anything; later calls (several servers in one
/// test process) return a guard that does nothing. With an OTLP endpoint it must be called
/// inside a Tokio runtime.
pub fn init(cfg: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    let rust_log = std::env::var("RUST_LOG").ok();
    init_with(cfg, rust_log.as_deref(), Logs::Stderr)
}

/// [`init`], with log lines written by `writer` (coloured, in the pretty format, when
/// `ansi`): e.g. a command line that routes them around its progress bars.
pub fn init_with_writer<W: std::io::Write + 'static>(
    cfg: &TelemetryConfig,
    writer: impl Fn() -> W + Send + Sync + 'static,
    ansi: bool,
) -> anyhow::Result<TelemetryGuard> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let writer = tracing_subscriber::fmt::writer::BoxMakeWriter::new(writer);
    init_with(cfg, rust_log.as_deref(), Logs::Writer(writer, ansi))
}

/// Where log lines go.
enum Logs {
    /// Standard error, coloured when it is a terminal (pretty format).
    Stderr,
    /// A writer of the caller's, coloured or not.
    Writer(tracing_subscriber::fmt::writer::BoxMakeWriter, bool),
}

fn init_with(cfg: &TelemetryConfig, rust_log: Option<&str>, logs: Logs) -> anyhow::Result<TelemetryGuard> {
    // NB: not `tracing::dispatcher::has_been_set()`, which a scoped default (`with_default`,
    // e.g. in a test running on another thread) also sets: only a global default counts.
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(TelemetryGuard::noop());
    }
    install(cfg, rust_log, logs).inspect_err(|_| INSTALLED.store(false, Ordering::SeqCst))
}

fn install(cfg: &TelemetryConfig, rust_log: Option<&str>, logs: Logs) -> anyhow::Result<TelemetryGuard> {
    let (subscriber, provider) = subscriber(cfg, rust_log, logs)?;
    if let Err(err) = tracing::subscriber::set_global_default(subscriber) {
        // Someone else installed a global subscriber first: keep theirs, export nothing.
        tracing::debug!(error = %err, "a global tracing subscriber is already installed");
        return Ok(TelemetryGuard { provider, installed: false });
    }
    // `log` records become events too (unless a `log` logger is already set).
    let max_level = tracing_log::AsLog::as_log(&tracing_subscriber::filter::LevelFilter::current());
    if let Err(err) = tracing_log::LogTracer::builder().with_max_level(max_level).init() {
        tracing::debug!(error = %err, "log records are not bridged to tracing");
    }

    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    if let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
        let endpoint = cfg.otlp_endpoint.as_deref().unwrap_or_default().trim();
        tracing::info!(endpoint, "exporting spans over OTLP");
    }
    Ok(TelemetryGuard { provider, installed: true })
}

/// The subscriber `init` installs (filter, log format, span export as configured), not yet
/// installed, and the tracer provider exporting its spans when an OTLP endpoint is set.
fn subscriber(
    cfg: &TelemetryConfig,
    rust_log: Option<&str>,
    logs: Logs,
) -> anyhow::Result<(impl tracing::Subscriber + Send + Sync + 'static, Option<SdkTracerProvider>)> {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;

    let filter = log_filter(rust_log, &cfg.log_filter)?;
    let endpoint = cfg.otlp_endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let provider = endpoint.map(|e| otlp_provider(e, &cfg.service_name, cfg.sampling_ratio)).transpose()?;
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("crm")));

    let (writer, ansi) = match logs {
        Logs::Stderr => (BoxMakeWriter::new(std::io::stderr), std::io::stderr().is_terminal()),
        Logs::Writer(writer, ansi) => (writer, ansi),
    };
    let (pretty, json) = match cfg.log_format {
        LogFormat::Pretty => (Some(tracing_subscriber::fmt::layer().with_writer(writer).with_ansi(ansi)), None),
        LogFormat::Json => {
            let layer = tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer);
            (None, Some(layer))
        }
    };
    Ok((tracing_subscriber::registry().with(filter).with(pretty).with(json).with(otel), provider))
}

/// The filter: `RUST_LOG` when set and non-empty, else the configured directives.
fn log_filter(rust_log: Option<&str>, configured: &str) -> anyhow::Result<EnvFilter> {
    match rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        Some(directives) => {
            EnvFilter::try_new(directives).with_context(|| format!("RUST_LOG={directives:?} is not a valid log filter"))
        }
        None => EnvFilter::try_new(configured)
            .with_context(|| format!("log_filter {configured:?} is not a valid log filter")),
    }
}

/// A tracer provider exporting over OTLP/gRPC with a batch processor.
fn otlp_provider(endpoint: &str, service_name: &str, sampling_ratio: f64) -> anyhow::Result<SdkTracerProvider> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&sampling_ratio),
        "telemetry.sampling_ratio {sampling_ratio} is not between 0.0 and 1.0"
    );
    tokio::runtime::Handle::try_current()
        .context("OTLP export needs a Tokio runtime: call telemetry::init inside it")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("cannot set up OTLP export to {endpoint}"))?;
    let resource = Resource::builder().with_service_name(service_name.to_owned()).build();
    let sampler = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(sampling_ratio)));
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_sampler(sampler).with_resource(resource).build())
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::TraceContextExt as _;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    use tracing_subscriber::fmt::writer::{BoxMakeWriter, MakeWriter};

    use super::*;

    /// Log lines written to memory.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Capture {
        fn logs(&self) -> Logs {
            Logs::Writer(BoxMakeWriter::new(self.clone()), false)
        }

        /// The lines that mention `marker`.
        fn lines_with(&self, marker: &str) -> Vec<String> {
            let bytes = self.0.lock().expect("capture").clone();
            String::from_utf8_lossy(&bytes).lines().filter(|l| l.contains(marker)).map(str::to_owned).collect()
        }
    }

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("capture").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;

        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    fn marker() -> String {
        uuid::Uuid::new_v4().simple().to_string()
    }

    /// An event inside a span, and a DEBUG event that an `info` filter drops.
    fn emit(marker: &str) {
        let span = tracing::info_span!("telemetry_probe", marker = %marker);
        span.in_scope(|| {
            tracing::info!(probe = %marker, "recorded");
            tracing::debug!(probe = %marker, "filtered out");
        });
    }

    /// The only test that installs the process-wide subscriber (the tests of a crate share
    /// one process under `cargo test`): what `init` installs records events with their span
    /// in the configured format and filter, and a second `init` changes nothing.
    #[test]
    fn init_installs_the_configured_subscriber_once_per_process() {
        let cfg = TelemetryConfig { log_format: LogFormat::Json, log_filter: "info".into(), ..Default::default() };
        let installed = Capture::default();
        let first = init_with(&cfg, None, installed.logs()).expect("first init");
        assert!(first.is_installed(), "nothing else in this process installs a global subscriber");
        assert!(!first.is_exporting(), "no OTLP endpoint is configured");

        let marker = marker();
        emit(&marker);
        let lines = installed.lines_with(&marker);
        assert_eq!(lines.len(), 1, "the INFO event only, once: {lines:?}");
        let event: serde_json::Value = serde_json::from_str(&lines[0]).expect("one JSON object per line");
        assert_eq!(event["level"], "INFO", "{event}");
        assert_eq!(event["message"], "recorded", "{event}");
        assert_eq!(event["probe"], marker.as_str(), "fields are flattened: {event}");
        assert_eq!(event["span"]["name"], "telemetry_probe", "the current span: {event}");
        assert_eq!(event["span"]["marker"], marker.as_str(), "{event}");
        let mut fields = Vec::new();
        opentelemetry::global::get_text_map_propagator(|p| fields.extend(p.fields().map(str::to_owned)));
        assert!(fields.iter().any(|f| f == TRACEPARENT), "W3C trace context is propagated: {fields:?}");

        // Later calls (another server in the same process) install nothing.
        let ignored = Capture::default();
        let second = init_with(&cfg, None, ignored.logs()).expect("second init");
        assert!(!second.is_installed());
        assert!(!second.is_exporting());
        assert!(!init(&cfg).expect("third init").is_installed());
        let marker = self::marker();
        emit(&marker);
        assert!(ignored.lines_with(&marker).is_empty(), "the second subscriber was not installed");
        assert_eq!(installed.lines_with(&marker).len(), 1, "the first one still records");
        second.shutdown();
        first.shutdown();
    }

    #[test]
    fn pretty_logs_carry_level_span_and_fields_and_follow_the_filter() {
        let cfg = TelemetryConfig { log_filter: "info".into(), ..TelemetryConfig::default() };
        assert_eq!(cfg.log_format, LogFormat::Pretty);
        let capture = Capture::default();
        let (subscriber, provider) = subscriber(&cfg, None, capture.logs()).expect("subscriber");
        assert!(provider.is_none());
        let marker = marker();
        tracing::subscriber::with_default(subscriber, || emit(&marker));
        let lines = capture.lines_with(&marker);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        for wanted in ["INFO", "telemetry_probe", "recorded", &format!("probe={marker}")] {
            assert!(line.contains(wanted), "{wanted:?} in {line:?}");
        }
        assert!(!line.contains('\u{1b}'), "no colour codes outside a terminal: {line:?}");

        // RUST_LOG, when given, wins over the configured filter.
        let capture = Capture::default();
        let (verbose, _) = super::subscriber(&cfg, Some("debug"), capture.logs()).expect("subscriber");
        let marker = self::marker();
        tracing::subscriber::with_default(verbose, || emit(&marker));
        let lines = capture.lines_with(&marker);
        assert_eq!(lines.len(), 2, "the DEBUG event too: {lines:?}");
        assert!(lines[1].contains("DEBUG") && lines[1].contains("filtered out"), "{lines:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_an_otlp_endpoint_nothing_is_exported() {
        for endpoint in [None, Some("  ".to_owned())] {
            let cfg = TelemetryConfig { otlp_endpoint: endpoint.clone(), ..TelemetryConfig::default() };
            let (subscriber, provider) = subscriber(&cfg, None, Capture::default().logs()).expect("subscriber");
            assert!(provider.is_none(), "{endpoint:?}");
            let traced = tracing::subscriber::with_default(subscriber, || {
                let span = tracing::info_span!("unexported");
                let _entered = span.enter();
                tracing::Span::current().context().span().span_context().is_valid()
            });
            assert!(!traced, "no OpenTelemetry span behind a tracing span without export ({endpoint:?})");
            assert!(!TelemetryGuard { provider, installed: false }.is_exporting());
        }
    }

    /// With `otlp_endpoint` set, spans get OpenTelemetry ids and reach the collector: a
    /// stand-in collector on port 0 reads what the exporter sends (HTTP/2, the protobuf
    /// uncompressed) until it sees the span's name.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_an_otlp_endpoint_spans_are_exported_to_it() {
        let marker = format!("exported_probe_{}", marker());
        let collector = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        let addr = collector.local_addr().expect("addr");
        let wanted = marker.clone().into_bytes();
        let received = std::thread::spawn(move || {
            let (mut socket, _) = collector.accept().expect("the exporter connects");
            socket.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
            // An empty SETTINGS frame: the server's side of the HTTP/2 handshake.
            socket.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).expect("settings");
            let (mut seen, mut chunk) = (Vec::new(), [0u8; 16 * 1024]);
            while !seen.windows(wanted.len()).any(|w| w == wanted.as_slice()) {
                match socket.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&chunk[..n]),
                }
            }
            seen // dropping the socket fails the export at once: shutdown need not wait
        });

        let cfg = TelemetryConfig {
            otlp_endpoint: Some(format!("http://{addr}")),
            service_name: "crm-telemetry-test".into(),
            ..TelemetryConfig::default()
        };
        let (subscriber, provider) = subscriber(&cfg, None, Capture::default().logs()).expect("subscriber");
        let guard = TelemetryGuard { provider, installed: false };
        assert!(guard.is_exporting(), "an endpoint in the configuration turns export on");
        let traced = tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("exported", otel.name = %marker);
            let _entered = span.enter();
            tracing::Span::current().context().span().span_context().is_valid()
        });
        assert!(traced, "the span has an OpenTelemetry span context");
        guard.shutdown(); // flushes the batch

        let seen = tokio::task::spawn_blocking(move || received.join().expect("collector thread"));
        let seen = tokio::time::timeout(std::time::Duration::from_secs(30), seen)
            .await
            .expect("the exporter connected to the collector")
            .expect("join");
        let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        assert!(seen.starts_with(preface), "an HTTP/2 (gRPC) client: {:?}", String::from_utf8_lossy(&seen));
        let contains = |needle: &[u8]| seen.windows(needle.len()).any(|w| w == needle);
        assert!(contains(marker.as_bytes()), "the span reached the collector");
        assert!(contains(b"crm-telemetry-test"), "with the configured service.name");
    }

    #[test]
    fn defaults() {
        let cfg = TelemetryConfig::default();
        assert_eq!(cfg.log_format, LogFormat::Pretty);
        assert_eq!(cfg.log_filter, "info,sqlx=warn,h2=warn,tower=warn");
        assert_eq!(cfg.otlp_endpoint, None);
        assert_eq!(cfg.service_name, "crm");
    }

    #[test]
    fn config_deserializes_partially() {
        let cfg: TelemetryConfig =
            serde_json::from_str(r#"{"log_format":"json","otlp_endpoint":"http://c:4317"}"#).expect("json");
        assert_eq!(cfg.log_format, LogFormat::Json);
        assert_eq!(cfg.otlp_endpoint.as_deref(), Some("http://c:4317"));
        assert_eq!(cfg.service_name, "crm");
        let cfg: TelemetryConfig = serde_json::from_str(r#"{"log_format":"JSON"}"#).expect("json");
        assert_eq!(cfg.log_format, LogFormat::Json);
        assert!(serde_json::from_str::<TelemetryConfig>(r#"{"log_format":"xml"}"#).is_err());
    }

    #[test]
    fn rust_log_overrides_the_configured_filter() {
        let f = log_filter(Some("debug"), "info").expect("filter");
        assert_eq!(f.max_level_hint(), Some(tracing::level_filters::LevelFilter::DEBUG));
        let f = log_filter(None, "warn").expect("filter");
        assert_eq!(f.max_level_hint(), Some(tracing::level_filters::LevelFilter::WARN));
        let f = log_filter(Some("  "), "error").expect("filter");
        assert_eq!(f.max_level_hint(), Some(tracing::level_filters::LevelFilter::ERROR));
        assert!(log_filter(Some("=[bad"), "info").is_err());
        assert!(log_filter(None, "info,=[bad").is_err());
    }

    #[test]
    fn otlp_export_needs_a_runtime() {
        let err = otlp_provider("http://127.0.0.1:4317", "crm-test", 1.0).expect_err("no runtime");
        assert!(err.to_string().contains("Tokio runtime"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_otlp_endpoint_is_an_error() {
        assert!(otlp_provider("not a uri", "crm-test", 1.0).is_err());
        let err = otlp_provider("http://127.0.0.1:4317", "crm-test", 1.5).expect_err("ratio above 1");
        assert!(err.to_string().contains("sampling_ratio"), "{err}");
    }
}
