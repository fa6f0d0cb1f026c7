//! What the server process spent over a measured window: CPU seconds (user + system, all
//! threads, from `/proc/<pid>/stat`) and the peak resident set size (`VmRSS` of
//! `/proc/<pid>/status`, sampled every 100 ms through the window; `VmHWM` would be the peak
//! since the process started, warm-up and earlier runs included).

use std::time::Duration;

use procfs::process::Process;
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
            tokio::time::sleep_until(window.start).await;
            let cpu_before = self.cpu_seconds()?;
            let mut peak = self.rss_bytes()?;
            loop {
                let now = tokio::time::Instant::now();
                if now >= window.end {
                    break;
                }
                tokio::time::sleep_until((now + EVERY).min(window.end)).await;
                peak = peak.max(self.rss_bytes()?);
            }
            Ok(Usage { cpu_seconds: self.cpu_seconds()? - cpu_before, peak_rss_bytes: peak })
        })
    }
}
