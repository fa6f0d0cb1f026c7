//! What a run produced, as a JSON record (`--json FILE`) and as rows of a terminal table.

use std::{collections::BTreeMap, path::Path};

use crm_kit::auth::Role;
use serde::Serialize;

use super::{
    driver::{Load, Outcome},
    sampler::Usage,
    scenario::{Scenario, Via},
    session::via_name,
};

/// Latency percentiles of successful iterations, milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// 99.9th percentile.
    pub p999: f64,
    /// Slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// One measured run of a scenario over a path.
#[derive(Clone, Debug, Serialize)]
pub struct RunRecord {
    /// The scenario.
    pub scenario: Scenario,
    /// The path.
    pub via: Via,
    /// Who called.
    pub role: &'static str,
    /// `closed` (N callers, back to back) or `open` (fixed rate).
    pub mode: &'static str,
    /// Concurrent callers.
    pub concurrency: usize,
    /// Target iterations per second (open loop).
    pub rate: Option<f64>,
    /// Measured seconds (from the window's start to the last recorded reply).
    pub seconds: f64,
    /// Iterations recorded, successful or not.
    pub iterations: u64,
    /// Calls they made (contact-centre iterations make four).
    pub calls: u64,
    /// Successful iterations per second.
    pub throughput: f64,
    /// Latency of successful iterations.
    pub latency_ms: Latency,
    /// Failed iterations by gRPC code (or `HTTP <status>`, `TRANSPORT`).
    pub errors: BTreeMap<String, u64>,
    /// The server process's CPU and memory over the window, when it was sampled.
    pub server: Option<Usage>,
}

impl RunRecord {
    /// The record of `outcome`.
    pub fn new(
        scenario: Scenario,
        via: Via,
        role: Role,
        load: &Load,
        outcome: &Outcome,
        server: Option<Usage>,
    ) -> Self {
        let h = &outcome.latency;
        let ms = |us: u64| us as f64 / 1000.0;
        let seconds = outcome.elapsed.as_secs_f64();
        Self {
            scenario,
            via,
            role: role.as_str(),
            mode: if load.rate.is_some() { "open" } else { "closed" },
            concurrency: load.concurrency,
            rate: load.rate,
            seconds,
            iterations: outcome.iterations,
            calls: outcome.calls,
            throughput: h.len() as f64 / seconds.max(1e-9),
            latency_ms: Latency {
                p50: ms(h.value_at_quantile(0.50)),
                p90: ms(h.value_at_quantile(0.90)),
                p99: ms(h.value_at_quantile(0.99)),
                p999: ms(h.value_at_quantile(0.999)),
                max: ms(h.max()),
                mean: h.mean() / 1000.0,
            },
            errors: outcome.errors.clone(),
            server,
        }
    }

    /// Failed iterations.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Successful iterations.
    pub fn succeeded(&self) -> u64 {
        self.iterations - self.failed()
    }
}

/// The header of [`row`].
pub fn header() -> String {
    format!(
        "{:<20} {:<7} {:>6} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>8} {:>7} {:>7} {:>7}  errors",
        "scenario",
        "via",
        "conc",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p99.9 ms",
        "cpu s",
        "cpu/req",
        "rss MB",
        "bench s",
        "other s"
    )
}

/// One line of the terminal table.
pub fn row(r: &RunRecord) -> String {
    let l = &r.latency_ms;
    let (cpu, per_call, rss, bench, others) = match r.server {
        Some(u) => (
            format!("{:.2}", u.cpu_seconds),
            format!("{:.0}µs", u.cpu_seconds * 1e6 / r.succeeded().max(1) as f64),
            format!("{:.0}", u.peak_rss_bytes as f64 / (1024.0 * 1024.0)),
            format!("{:.2}", u.bench_cpu_seconds),
            format!("{:.2}", u.others_cpu_seconds),
        ),
        None => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
    };
    let conc = match r.rate {
        Some(rate) => format!("{}@{rate:.0}", r.concurrency),
        None => r.concurrency.to_string(),
    };
    let errors = if r.errors.is_empty() {
        "0".to_owned()
    } else {
        r.errors.iter().map(|(code, n)| format!("{code}={n}")).collect::<Vec<_>>().join(" ")
    };
    format!(
        "{:<20} {:<7} {:>6} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>8} {:>7} {:>7} {:>7}  {errors}",
        r.scenario.name(),
        via_name(r.via),
        conc,
        r.throughput,
        l.p50,
        l.p90,
        l.p99,
        l.p999,
        cpu,
        per_call,
        rss,
        bench,
        others
    )
}

/// The machine the figures were taken on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// Physical memory, bytes (`MemTotal`).
    pub memory_bytes: u64,
    /// Kernel release.
    pub kernel: String,
    /// Load average over 1, 5 and 15 minutes when the record was written: anything but the
    /// bench and the suite running shows here.
    pub load_average: [f32; 3],
}

impl Machine {
    /// This machine.
    pub fn this() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let memory_bytes = <procfs::Meminfo as procfs::Current>::current().map(|m| m.mem_total).unwrap_or_default();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
        let load = <procfs::LoadAverage as procfs::Current>::current();
        let load_average = load.map(|l| [l.one, l.five, l.fifteen]).unwrap_or_default();
        Self { cpus, memory_bytes, kernel, load_average }
    }
}

/// Writes `record` as pretty JSON to `path`.
pub fn write_json(path: &Path, record: &impl Serialize) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(record)?;
    std::fs::write(path, text + "\n").map_err(|err| anyhow::anyhow!("writing {}: {err}", path.display()))
}

/// Seconds since the Unix epoch, for the record's date.
pub fn unix_time() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
