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
use opentelemetry_sdk::trace::SdkTracerProvider;
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub use propagation::{
    HeaderExtractor, HeaderInjector, MetadataExtractor, MetadataInjector, TRACEPARENT, context_from_traceparent,
    current_traceparent, extract_context, extract_context_headers, inject_context, inject_context_headers,
    set_remote_parent, traceparent,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Pretty,
            log_filter: "info,sqlx=warn,h2=warn,tower=warn".to_owned(),
            otlp_endpoint: None,
            service_name: "crm".to_owned(),
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

    fn shutdown_provider(&mut self) {
        let Some(provider) = self.provider.take() else {
            return;
        };
        let shutdown = move || provider.shutdown_with_timeout(SHUTDOWN_TIMEOUT);
        // The OTLP client runs on the Tokio runtime: on a multi-threaded runtime, let other
        // workers drive it while this thread waits.
        let result = match tokio::runtime::Handle::try_current() {
            Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(shutdown)
            }
            _ => shutdown(),
        };
        if let Err(err) = result {
            tracing::warn!(error = %err, "span export did not shut down cleanly");
        }
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
    if INSTALLED.swap(true, Ordering::SeqCst) || tracing::dispatcher::has_been_set() {
        return Ok(TelemetryGuard::noop());
    }
    install(cfg).inspect_err(|_| INSTALLED.store(false, Ordering::SeqCst))
}

fn install(cfg: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = log_filter(rust_log.as_deref(), &cfg.log_filter)?;
    let endpoint = cfg.otlp_endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let provider = endpoint.map(|e| otlp_provider(e, &cfg.service_name)).transpose()?;
    let otel = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("crm")));

    let (pretty, json) = match cfg.log_format {
        LogFormat::Pretty => {
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal());
            (Some(layer), None)
        }
        LogFormat::Json => {
            let layer = tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(std::io::stderr);
            (None, Some(layer))
        }
    };

    let installed = tracing_subscriber::registry().with(filter).with(pretty).with(json).with(otel).try_init();
    if let Err(err) = installed {
        // Either the `log` bridge was already taken (our subscriber is in place) or another
        // subscriber won a race; in both cases keep going rather than failing startup.
        tracing::debug!(error = %err, "tracing subscriber installed partially or not at all");
    }

    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    if let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
        tracing::info!(endpoint = endpoint.unwrap_or_default(), "exporting spans over OTLP");
    }
    Ok(TelemetryGuard { provider, installed: true })
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
fn otlp_provider(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    tokio::runtime::Handle::try_current()
        .context("OTLP export needs a Tokio runtime: call telemetry::init inside it")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("cannot set up OTLP export to {endpoint}"))?;
    let resource = Resource::builder().with_service_name(service_name.to_owned()).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_twice_does_not_panic_and_installs_once() {
        let cfg = TelemetryConfig { log_filter: "warn".into(), ..TelemetryConfig::default() };
        let first = init(&cfg).expect("first init");
        let second = init(&cfg).expect("second init");
        assert!(!second.is_installed());
        assert!(!second.is_exporting());
        assert!(!(first.is_installed() && second.is_installed()));
        second.shutdown();
        first.shutdown();
        // Still fine after the first guard is gone.
        assert!(!init(&cfg).expect("third init").is_installed());
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
        let err = otlp_provider("http://127.0.0.1:4317", "crm-test").expect_err("no runtime");
        assert!(err.to_string().contains("Tokio runtime"), "{err}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn otlp_provider_builds_and_shuts_down_inside_a_runtime() {
        let provider = otlp_provider("http://127.0.0.1:4317", "crm-test").expect("provider");
        let guard = TelemetryGuard { provider: Some(provider), installed: false };
        assert!(guard.is_exporting());
        guard.shutdown();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_otlp_endpoint_is_an_error() {
        assert!(otlp_provider("not a uri", "crm-test").is_err());
    }
}
