//! The load driver: N callers, each making one iteration after another, either as fast as
//! replies come back (closed loop) or on a fixed schedule (open loop, `--rate`).
//!
//! In the open loop iteration `i` is due at `origin + i / rate`, whichever caller takes it,
//! and its latency is measured from that due time, not from when a caller got round to it:
//! when the server falls behind, the wait for a free caller is part of the latency
//! (coordinated omission does not hide queueing). Due times are kept to the tokio timer's
//! millisecond; a caller that is late starts at once.
//!
//! A warm-up (connections, caches, the server's pools) runs first and is not recorded: only
//! iterations that begin (closed loop) or are due (open loop) inside the measured window count.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use hdrhistogram::Histogram;
use tokio::time::Instant;

use super::{call::Failure, progress::Progress};

/// How hard and how long to drive.
#[derive(Clone, Debug)]
pub struct Load {
    /// Concurrent callers.
    pub concurrency: usize,
    /// Measured time.
    pub duration: Duration,
    /// Unrecorded time before it.
    pub warmup: Duration,
    /// Iterations per second (open loop); `None`: closed loop.
    pub rate: Option<f64>,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// When driving starts and which part of it is measured.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Driving (warm-up) starts.
    pub origin: Instant,
    /// Recording starts.
    pub start: Instant,
    /// No iteration begins (or is due) after this.
    pub end: Instant,
}

impl Window {
    /// The window of `load`, starting now.
    pub fn of(load: &Load) -> Self {
        let origin = Instant::now();
        let start = origin + load.warmup;
        Self { origin, start, end: start + load.duration }
    }
}

/// One iteration of a scenario; each caller has its own.
pub trait Work: Send + 'static {
    /// Runs iteration `n`: how many calls it made, and the first failure if any.
    fn once(&mut self, n: u64) -> impl Future<Output = (u64, Result<(), Failure>)> + Send;
}

/// What the measured window recorded.
#[derive(Debug)]
pub struct Outcome {
    /// Latency of successful iterations, microseconds.
    pub latency: Histogram<u64>,
    /// Iterations recorded (successful or not).
    pub iterations: u64,
    /// Calls those iterations made.
    pub calls: u64,
    /// Failed iterations by the code of their first failure.
    pub errors: BTreeMap<String, u64>,
    /// From the window's start to the last recorded iteration's end (at least its length).
    pub elapsed: Duration,
}

impl Outcome {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            latency: Histogram::new_with_bounds(1, 60_000_000, 3)?,
            iterations: 0,
            calls: 0,
            errors: BTreeMap::new(),
            elapsed: Duration::ZERO,
        })
    }

    fn merge(&mut self, other: Outcome) -> anyhow::Result<()> {
        self.latency.add(&other.latency)?;
        self.iterations += other.iterations;
        self.calls += other.calls;
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
        self.elapsed = self.elapsed.max(other.elapsed);
        Ok(())
    }

    fn record(&mut self, window: &Window, began: Instant, calls: u64, result: Result<(), Failure>) {
        let done = Instant::now();
        self.iterations += 1;
        self.calls += calls;
        match result {
            Ok(()) => self.latency.saturating_record(done.duration_since(began).as_micros().max(1) as u64),
            Err(code) => *self.errors.entry(code).or_default() += 1,
        }
        self.elapsed = self.elapsed.max(done.duration_since(window.start));
    }

    /// Adds the outcome of a later window of the same run (its time adds up).
    pub fn append(&mut self, later: Outcome) -> anyhow::Result<()> {
        let elapsed = self.elapsed + later.elapsed;
        self.merge(later)?;
        self.elapsed = elapsed;
        Ok(())
    }

    /// Failed iterations.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Drives the work `make` gives each caller (by index) over `window` as `load` says.
pub async fn drive<W: Work>(
    label: &str,
    load: &Load,
    window: Window,
    mut make: impl FnMut(usize) -> anyhow::Result<W>,
) -> anyhow::Result<Outcome> {
    let next = Arc::new(AtomicU64::new(0));
    let progress = Progress::start(label, load, window);
    let rate = load.rate.map(|rate| rate.max(0.001));
    let mut callers = Vec::with_capacity(load.concurrency.max(1));
    for caller in 0..load.concurrency.max(1) {
        let (mut work, next, done) = (make(caller)?, next.clone(), progress.counter());
        callers.push(tokio::spawn(async move {
            let mut outcome = Outcome::new()?;
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                // The open loop's clock starts at the due time; the closed loop's when the caller is free.
                let began = match rate {
                    Some(rate) => {
                        let due = window.origin + Duration::from_secs_f64(n as f64 / rate);
                        if due >= window.end {
                            break;
                        }
                        tokio::time::sleep_until(due).await;
                        due
                    }
                    None => Instant::now(),
                };
                if began >= window.end {
                    break;
                }
                let (calls, result) = work.once(n).await;
                if began >= window.start {
                    outcome.record(&window, began, calls, result);
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(outcome)
        }));
    }
    let mut total = Outcome::new()?;
    for caller in callers {
        total.merge(caller.await??)?;
    }
    progress.finish();
    total.elapsed = total.elapsed.max(window.end.duration_since(window.start));
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `each` of (paused, virtual) time per iteration; every third fails.
    struct Fake {
        each: Duration,
    }

    impl Work for Fake {
        async fn once(&mut self, n: u64) -> (u64, Result<(), Failure>) {
            tokio::time::sleep(self.each).await;
            if n.is_multiple_of(3) { (1, Err("UNAVAILABLE".into())) } else { (2, Ok(())) }
        }
    }

    fn load(concurrency: usize, warmup_ms: u64, rate: Option<f64>) -> Load {
        let (duration, warmup) = (Duration::from_secs(1), Duration::from_millis(warmup_ms));
        Load { concurrency, duration, warmup, rate, progress: false }
    }

    async fn run(load: &Load, each_ms: u64) -> Outcome {
        let each = Duration::from_millis(each_ms);
        drive("fake", load, Window::of(load), |_| Ok(Fake { each })).await.expect("drives")
    }

    #[tokio::test(start_paused = true)]
    async fn the_closed_loop_counts_iterations_calls_and_errors_by_code() {
        // Two callers, 10 ms each, for one second: iterations 0..200, every third failing.
        let outcome = run(&load(2, 0, None), 10).await;
        assert_eq!(outcome.iterations, 200);
        assert_eq!(outcome.errors, BTreeMap::from([("UNAVAILABLE".to_owned(), 67)]));
        assert_eq!(outcome.calls, 67 + 2 * 133);
        assert_eq!(outcome.latency.len(), 133, "only successful iterations have a latency");
    }

    #[tokio::test(start_paused = true)]
    async fn the_open_loop_records_what_was_due_in_the_window_after_the_warm_up() {
        // Due every 10 ms from the origin; the window is 0.5 s .. 1.5 s: iterations 50..150.
        let outcome = run(&load(2, 500, Some(100.0)), 1).await;
        assert_eq!(outcome.iterations, 100);
        assert_eq!(outcome.latency.len() as u64 + outcome.failed(), 100);
    }

    #[tokio::test(start_paused = true)]
    async fn the_open_loop_counts_the_wait_of_a_server_that_falls_behind() {
        // One caller, 50 ms per iteration, one due every 10 ms: iteration i ends at
        // 50 (i + 1) ms, 40 i + 50 ms after it was due. A closed loop would say 50 ms.
        let outcome = run(&load(1, 0, Some(100.0)), 50).await;
        assert_eq!(outcome.iterations, 100);
        assert!(outcome.latency.max() >= 3_900_000, "queueing is latency: max {} µs", outcome.latency.max());
        assert!(outcome.elapsed >= Duration::from_secs(5), "the window ends with its last reply");
    }
}
