//! Prometheus metrics (docs/architecture.md §8): the `metrics` facade records, one
//! Prometheus recorder per process renders. Every part of the kit records through the
//! facade; [`render`] is what `GET /metrics` answers, on the gateway's port in `crm up`
//! (the whole process) and on `[metrics] listen` of each `crm serve` process ([`serve`]).
//!
//! Series (all prefixed `crm_`; see deploy/grafana-dashboard.json):
//! - `rpc_requests_total{server,protocol,service,method,code}`,
//!   `rpc_duration_seconds{server,protocol,service,method}` from [`RpcMetricsLayer`] (and
//!   [`record_call`] for the gateway's REST calls);
//! - `rpc_shed_total{server}`, `rpc_rate_limited_total{server}`;
//! - `db_pool_connections{db,pool,state}`, `db_pool_max_connections{db,pool}`,
//!   `db_acquire_seconds{db,pool}`, `db_transaction_seconds{db,outcome}`,
//!   `db_statement_seconds{db,statement}`;
//! - `feed_head_sequence{feed}`, `feed_follower_cursor{follower,source}`,
//!   `feed_lag_events{follower,source}`, `feed_lag_seconds{follower,source}`,
//!   `feed_events_applied_total{follower,source}`;
//! - `job_processed_items{kind}`, `job_total_items{kind}`, `jobs_finished_total{kind,state}`;
//! - `client360_part_warnings_total{part,reason}` (gateway);
//! - `relay_published_total{feed,subject}`, `relay_position{feed}` (NATS relay).
//!
//! Without a scrape nothing but the facade's atomic updates costs anything.

mod endpoint;
mod rpc;

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::AnyPool;

pub use endpoint::{forget, router, serve, set_ready};
pub use rpc::{RpcMetrics, RpcMetricsLayer, record_call};

/// Histogram buckets of every `*_seconds` series: 0.5 ms to 10 s.
const SECONDS_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's Prometheus recorder (once; later calls return the same handle).
/// `None` when another recorder was installed first (then nothing is exposed).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), &SECONDS_BUCKETS)
                .ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    // Histograms keep raw samples until upkeep folds them into buckets.
                    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                        let upkeep = handle.clone();
                        runtime.spawn(async move {
                            let mut tick = tokio::time::interval(Duration::from_secs(5));
                            loop {
                                tick.tick().await;
                                upkeep.run_upkeep();
                            }
                        });
                    }
                    Some(handle)
                }
                Err(err) => {
                    tracing::warn!(error = %err, "a metrics recorder is already installed; /metrics stays empty");
                    None
                }
            }
        })
        .as_ref()
}

/// The Prometheus exposition of everything this process recorded, with the database pools
/// sampled now.
pub fn render() -> String {
    let Some(handle) = install() else { return String::new() };
    sample_pools();
    feed_lag_in_process();
    handle.render()
}

/// Time since `start`, in seconds, for histograms.
pub fn seconds_since(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// The pools of every open database, sampled at each scrape.
static POOLS: Mutex<Vec<(String, &'static str, AnyPool)>> = Mutex::new(Vec::new());

/// Registers a database pool (`pool`: "writer", "reader" or "pool") for the pool gauges.
pub(crate) fn register_pool(db: &str, pool: &'static str, handle: &AnyPool) {
    let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
    pools.retain(|(_, _, p)| !p.is_closed());
    pools.push((db.to_owned(), pool, handle.clone()));
}

fn sample_pools() {
    let mut pools = POOLS.lock().unwrap_or_else(PoisonError::into_inner);
    pools.retain(|(_, _, p)| !p.is_closed());
    // Several databases of one name (tests) add up.
    let mut sums: HashMap<(String, &'static str), (usize, usize, u32)> = HashMap::new();
    for (db, pool, handle) in pools.iter() {
        let entry = sums.entry((db.clone(), pool)).or_default();
        let size = handle.size() as usize;
        let idle = handle.num_idle();
        entry.0 += size.saturating_sub(idle);
        entry.1 += idle;
        entry.2 += handle.options().get_max_connections();
    }
    for ((db, pool), (in_use, idle, max)) in sums {
        ::metrics::gauge!("crm_db_pool_connections", "db" => db.clone(), "pool" => pool, "state" => "in_use")
            .set(in_use as f64);
        ::metrics::gauge!("crm_db_pool_connections", "db" => db.clone(), "pool" => pool, "state" => "idle")
            .set(idle as f64);
        ::metrics::gauge!("crm_db_pool_max_connections", "db" => db, "pool" => pool).set(f64::from(max));
    }
}

/// The last committed sequence of each feed of this process.
static FEED_HEADS: Mutex<Option<HashMap<String, i64>>> = Mutex::new(None);
/// The applied cursor of each follower in this process: (follower, source) → sequence.
static CURSORS: Mutex<Option<HashMap<(String, String), i64>>> = Mutex::new(None);

/// Records that `feed` has committed up to `sequence`.
pub(crate) fn feed_head(feed: &str, sequence: i64) {
    let mut heads = FEED_HEADS.lock().unwrap_or_else(PoisonError::into_inner);
    let heads = heads.get_or_insert_with(HashMap::new);
    let head = heads.entry(feed.to_owned()).or_insert(0);
    if sequence > *head {
        *head = sequence;
        ::metrics::gauge!("crm_feed_head_sequence", "feed" => feed.to_owned()).set(sequence as f64);
    }
}

/// Records a follower's progress: its applied cursor and how old the last applied event is
/// (`commit_micros`; `None` when it has caught up and waits for more).
pub(crate) fn follower_progress(follower: &str, source: &str, cursor: i64, applied: u64, commit_micros: Option<i64>) {
    let labels = [("follower", follower.to_owned()), ("source", source.to_owned())];
    ::metrics::gauge!("crm_feed_follower_cursor", &labels).set(cursor as f64);
    ::metrics::counter!("crm_feed_events_applied_total", &labels).increment(applied);
    let lag = commit_micros.map_or(0.0, |t| ((crate::time::now_micros() - t).max(0) as f64) / 1e6);
    ::metrics::gauge!("crm_feed_lag_seconds", &labels).set(lag);
    if commit_micros.is_none() {
        ::metrics::gauge!("crm_feed_lag_events", &labels).set(0.0);
    }
    let mut cursors = CURSORS.lock().unwrap_or_else(PoisonError::into_inner);
    cursors.get_or_insert_with(HashMap::new).insert((follower.to_owned(), source.to_owned()), cursor);
}

/// `crm_feed_lag_events` of every follower whose source feed runs in this process (as in
/// `crm up`): its head minus the follower's cursor. Across processes the dashboard takes
/// `crm_feed_head_sequence` minus `crm_feed_follower_cursor`.
fn feed_lag_in_process() {
    let heads = FEED_HEADS.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default();
    let cursors = CURSORS.lock().unwrap_or_else(PoisonError::into_inner).clone().unwrap_or_default();
    for ((follower, source), cursor) in cursors {
        if let Some(head) = heads.get(&source) {
            ::metrics::gauge!("crm_feed_lag_events", "follower" => follower, "source" => source)
                .set((head - cursor).max(0) as f64);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of the series `name{labels}` in an exposition, if present.
    pub(crate) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            (metric == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse().ok())
                .flatten()
        })
    }

    #[tokio::test]
    async fn follower_lag_is_head_minus_cursor_in_process() {
        install().expect("the only recorder of this test process");
        let feed = format!("feed-{}", uuid::Uuid::new_v4().simple());
        feed_head(&feed, 10);
        feed_head(&feed, 7); // an older notification never moves the head back
        follower_progress("follower-a", &feed, 4, 4, Some(crate::time::now_micros() - 2_000_000));
        let text = render();
        let labels = [("follower", "follower-a"), ("source", feed.as_str())];
        assert_eq!(sample(&text, "crm_feed_head_sequence", &[("feed", &feed)]), Some(10.0), "{text}");
        assert_eq!(sample(&text, "crm_feed_lag_events", &labels), Some(6.0), "{text}");
        let seconds = sample(&text, "crm_feed_lag_seconds", &labels).expect("lag in seconds");
        assert!((2.0..60.0).contains(&seconds), "{seconds}");
        follower_progress("follower-a", &feed, 10, 6, None);
        let text = render();
        assert_eq!(sample(&text, "crm_feed_lag_events", &labels), Some(0.0), "{text}");
        assert_eq!(sample(&text, "crm_feed_lag_seconds", &labels), Some(0.0), "{text}");
        assert_eq!(sample(&text, "crm_feed_events_applied_total", &labels), Some(10.0), "{text}");
    }
}
