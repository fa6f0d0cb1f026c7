//! The HTTP side of a process: `GET /metrics` (Prometheus text), `GET /livez` (the process
//! answers: for a liveness probe, never tied to a dependency, so a database outage does not
//! restart pods in a loop) and `GET /readyz` (every server of the process is SERVING: its
//! database answers and it is not draining). The gateway mounts the same routes on its own
//! port; a `crm serve` process of a service serves them on `[metrics] listen`.

use std::{
    collections::BTreeMap,
    sync::{Mutex, PoisonError},
};

use axum::{Router, http::StatusCode, response::IntoResponse, routing::get};
use tokio::net::TcpListener;

use crate::server::Shutdown;

/// Readiness of each server of this process, by its gRPC service name.
static READY: Mutex<BTreeMap<&'static str, bool>> = Mutex::new(BTreeMap::new());

/// Records whether `server` is ready (SERVING); `/readyz` answers 200 only when every server
/// registered in this process is.
pub fn set_ready(server: &'static str, ready: bool) {
    READY.lock().unwrap_or_else(PoisonError::into_inner).insert(server, ready);
}

/// Forgets `server` (it has stopped).
pub fn forget(server: &'static str) {
    READY.lock().unwrap_or_else(PoisonError::into_inner).remove(server);
}

/// `/metrics`, `/livez` and `/readyz`, to merge into a router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/metrics", get(metrics)).route("/livez", get(livez)).route("/readyz", get(readyz))
}

async fn metrics() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], super::render())
}

async fn livez() -> &'static str {
    "ok\n"
}

async fn readyz() -> impl IntoResponse {
    let ready = READY.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let waiting: Vec<&str> = ready.iter().filter(|(_, ok)| !**ok).map(|(name, _)| *name).collect();
    if waiting.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {}\n", waiting.join(", ")))
    }
}

/// Serves [`router`] on `listener` until `shutdown`.
pub async fn serve(listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    super::install();
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "serving /metrics, /livez and /readyz");
    axum::serve(listener, router::<()>()).with_graceful_shutdown(async move { shutdown.cancelled().await }).await?;
    Ok(())
}
