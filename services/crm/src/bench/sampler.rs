//! What the server process spent over a measured window: CPU seconds (user + system, all
//! threads, from `/proc/<pid>/stat`) and the peak resident set size (`VmRSS` of
//! `/proc/<pid>/status`, sampled every 100 ms through the window; `VmHWM` would be the peak
//! since the process started, warm-up and earlier runs included).
//!
//! The bench's own CPU and what every other process on the machine spent over the same
//! window (busy time of `/proc/stat` less the server and the bench) are recorded beside it:
//! on a machine shared with compilers the figures of a run are only as good as that last
//! number is small.

use std::time::Duration;

use procfs::{CurrentSI as _, KernelStats, process::Process};
use serde::Serialize;
use tokio::task::JoinHandle;

use super::driver::Window;

/// How often the resident set is read.
const EVERY: Duration = Duration::from_millis(100);

/// The server process's use of the machine over one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Usage {
    /// CPU seconds, user + system, all threads.
    pub cpu_seconds: f64,
    /// Highest resident set seen, bytes.
    pub peak_rss_bytes: u64,
    /// CPU seconds of the load generator (0 when it is the server's own process).
    pub bench_cpu_seconds: f64,
    /// CPU seconds of every other process on the machine.
    pub others_cpu_seconds: f64,
}

impl Usage {
    /// The usage of two windows of one run: CPU adds up, the peak is the higher.
    pub fn plus(self, other: Usage) -> Usage {
        Usage {
            cpu_seconds: self.cpu_seconds + other.cpu_seconds,
            peak_rss_bytes: self.peak_rss_bytes.max(other.peak_rss_bytes),
            bench_cpu_seconds: self.bench_cpu_seconds + other.bench_cpu_seconds,
            others_cpu_seconds: self.others_cpu_seconds + other.others_cpu_seconds,
        }
    }
}

/// CPU seconds of the whole machine so far, all CPUs, busy (not idle nor waiting on I/O).
fn machine_busy_seconds() -> anyhow::Result<f64> {
    let t = KernelStats::current()?.total;
    let busy = t.user + t.nice + t.system + t.irq.unwrap_or(0) + t.softirq.unwrap_or(0) + t.steal.unwrap_or(0);
    Ok(busy as f64 / procfs::ticks_per_second() as f64)
}

/// CPU seconds of every process counted: server, bench, machine.
fn cpu_now(server: &Probe, bench: Option<&Probe>) -> anyhow::Result<[f64; 3]> {
    let bench = bench.map(Probe::cpu_seconds).transpose()?.unwrap_or(0.0);
    Ok([server.cpu_seconds()?, bench, machine_busy_seconds()?])
}

/// The process measured.
#[derive(Clone, Copy, Debug)]
pub struct Probe {
    pid: i32,
}

impl Probe {
    /// Probes process `pid` (it must be readable now).
    pub fn new(pid: u32) -> anyhow::Result<Self> {
        let pid = i32::try_from(pid)?;
        Process::new(pid)?.stat()?;
        Ok(Self { pid })
    }

    /// This process (a suite started in process, as tests do).
    pub fn this_process() -> anyhow::Result<Self> {
        Self::new(std::process::id())
    }

    /// Its pid.
    pub fn pid(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// CPU seconds so far.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = Process::new(self.pid)?.stat()?;
        Ok((stat.utime + stat.stime) as f64 / procfs::ticks_per_second() as f64)
    }

    /// Resident set now, bytes.
    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        let status = Process::new(self.pid)?.status()?;
        Ok(status.vmrss.unwrap_or_default() * 1024)
    }

    /// Samples over `window` (from its start, not its warm-up); the task ends at its end.
    pub fn sample(self, window: Window) -> JoinHandle<anyhow::Result<Usage>> {
        tokio::spawn(async move {
            // The bench is measured apart only when it is not the server.
            let bench = Probe::this_process()?;
            let bench = (bench.pid != self.pid).then_some(bench);
            tokio::time::sleep_until(window.start).await;
            let before = cpu_now(&self, bench.as_ref())?;
            let mut peak = self.rss_bytes()?;
            loop {
                let now = tokio::time::Instant::now();
                if now >= window.end {
                    break;
                }
                tokio::time::sleep_until((now + EVERY).min(window.end)).await;
                peak = peak.max(self.rss_bytes()?);
            }
            let after = cpu_now(&self, bench.as_ref())?;
            let [server, bench, machine] = [0, 1, 2].map(|i| after[i] - before[i]);
            Ok(Usage {
                cpu_seconds: server,
                peak_rss_bytes: peak,
                bench_cpu_seconds: bench,
                others_cpu_seconds: (machine - server - bench).max(0.0),
            })
        })
    }
}
