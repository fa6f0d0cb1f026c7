//! An adaptive concurrency limit: how many calls may run at once follows the latency they
//! see, so that a server takes on what it can serve quickly and sheds the rest.
//!
//! The estimator keeps a *baseline*: the latency of calls at the floor, the fewest calls it
//! ever lets run at once (four per core and at least eight, so that the bursts of normal
//! work are never taken for overload). It starts at the floor and measures its first window
//! there; every half minute it *probes*: one window at the floor again, whose average starts
//! a new baseline period. The baseline is the lowest window average of the current and the
//! previous period. Every window of calls is compared with it: while calls take no more than
//! 1.5 times the baseline the limit grows by one (smoothed); when they take longer it shrinks
//! in proportion (by at most half per window). The limit stays between the floor and the
//! configured ceiling. This is the gradient family of limits (as in Netflix's
//! concurrency-limits); the probes keep sustained overload from passing for the norm.
//!
//! Callers beyond the limit may wait, a few and briefly: up to the configured queue, each for
//! at most the tolerated latency (at least a millisecond, at most the configured wait), or
//! until its deadline when the caller says it would rather wait (the suite's own jobs). A
//! caller who would wait longer is shed at once, which keeps the latency of admitted calls
//! within a small multiple of the latency at the floor at any load.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::{sync::Notify, time::Instant};

/// A shared, adaptive limit on calls in flight; see the module docs.
#[derive(Clone, Debug)]
pub struct ConcurrencyLimit {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    inflight: AtomicUsize,
    waiting: AtomicUsize,
    limit: AtomicUsize,
    /// The baseline latency in microseconds (0 until known), read without the lock.
    baseline_us: AtomicU64,
    estimator: Mutex<Estimator>,
    released: Notify,
    max_waiting: usize,
    max_wait: Duration,
    label: &'static str,
}

/// A call's place under the limit; dropping it records the call's latency and frees the
/// place.
#[derive(Debug)]
pub struct Permit {
    inner: Arc<Inner>,
    started: Instant,
}

impl ConcurrencyLimit {
    /// At most `max` calls at once (the limit adapts below it, never below
    /// [`default_floor`]), `max_waiting` waiting at most `max_wait`; `label` names the server
    /// in metrics.
    pub fn new(max: usize, max_waiting: usize, max_wait: Duration, label: &'static str) -> Self {
        Self::with_floor(max, default_floor(), max_waiting, max_wait, label)
    }

    /// As [`ConcurrencyLimit::new`], never below `floor` calls at once.
    pub fn with_floor(max: usize, floor: usize, max_waiting: usize, max_wait: Duration, label: &'static str) -> Self {
        let estimator = Estimator::new(floor, max.max(1), Instant::now());
        let inner = Inner {
            inflight: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            limit: AtomicUsize::new(estimator.limit()),
            baseline_us: AtomicU64::new(0),
            estimator: Mutex::new(estimator),
            released: Notify::new(),
            max_waiting,
            max_wait,
            label,
        };
        Self { inner: Arc::new(inner) }
    }

    /// A place now, or after a short wait (when `patient`, as long as the caller's deadline
    /// allows: the call is dropped when it passes); `None` when the call is to be shed.
    pub async fn acquire(&self, patient: bool) -> Option<Permit> {
        if let Some(permit) = self.try_acquire() {
            return Some(permit);
        }
        let inner = &self.inner;
        // Counted while waiting, however the wait ends (a call whose deadline passes is
        // dropped right here).
        let _waiting = Waiting::enter(&inner.waiting);
        if inner.waiting.load(Ordering::Acquire) > inner.max_waiting {
            return None;
        }
        // A patient caller waits as long as its call's deadline allows.
        let deadline = (!patient).then(|| Instant::now() + self.wait());
        loop {
            let notified = inner.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(permit) = self.try_acquire() {
                break Some(permit);
            }
            match deadline {
                Some(deadline) if tokio::time::timeout_at(deadline, notified.as_mut()).await.is_err() => {
                    break self.try_acquire();
                }
                Some(_) => {}
                None => notified.as_mut().await,
            }
        }
    }

    /// A place if one is free now.
    pub fn try_acquire(&self) -> Option<Permit> {
        let inner = &self.inner;
        let limit = inner.limit.load(Ordering::Relaxed);
        inner
            .inflight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .ok()
            .map(|_| Permit { inner: Arc::clone(inner), started: Instant::now() })
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.inner.limit.load(Ordering::Relaxed)
    }

    fn max_wait(&self) -> Duration {
        self.inner.max_wait.max(Duration::from_millis(1))
    }

    /// Callers waiting for a place now.
    pub fn waiting(&self) -> usize {
        self.inner.waiting.load(Ordering::Acquire)
    }

    /// How long a caller may wait for a place: the tolerated latency (`TOLERANCE` times the
    /// baseline), within [1 ms, max_wait] (max_wait until a baseline is known).
    fn wait(&self) -> Duration {
        let max = self.max_wait();
        match self.inner.baseline_us.load(Ordering::Relaxed) {
            0 => max,
            us => Duration::from_micros(us).mul_f64(TOLERANCE).clamp(Duration::from_millis(1), max),
        }
    }
}

/// One caller counted among those waiting, until dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The fewest calls the limit ever lets run at once: four per core and at least eight, so
/// that the bursts of normal work (a client 360's fan-out, a few durable writes sharing one
/// fsync) are never mistaken for overload.
pub fn default_floor() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (4 * cores).max(8)
}

impl Drop for Permit {
    fn drop(&mut self) {
        let inner = &self.inner;
        inner.inflight.fetch_sub(1, Ordering::AcqRel);
        let now = Instant::now();
        let updated = inner
            .estimator
            .lock()
            .ok()
            .and_then(|mut e| e.sample(now.duration_since(self.started), now).map(|limit| (limit, e.baseline())));
        if let Some((limit, baseline)) = updated {
            inner.limit.store(limit, Ordering::Relaxed);
            inner.baseline_us.store(baseline.as_micros() as u64, Ordering::Relaxed);
            ::metrics::gauge!("crm_admission_limit", "server" => inner.label).set(limit as f64);
        }
        inner.released.notify_one();
    }
}

/// Calls per window before the limit is reconsidered (and at least this long).
const WINDOW_CALLS: u32 = 32;
const WINDOW_TIME: Duration = Duration::from_millis(50);
/// A probe at the floor starts each baseline period.
const BASELINE_PERIOD: Duration = Duration::from_secs(30);
/// Latency up to this multiple of the baseline does not lower the limit.
const TOLERANCE: f64 = 1.5;
/// Weight of a window's proposal in the smoothed limit.
const SMOOTHING: f64 = 0.2;

/// The limit's arithmetic, apart from any clock or lock (tested on its own).
#[derive(Debug)]
pub struct Estimator {
    limit: f64,
    floor: usize,
    ceiling: usize,
    sum: Duration,
    count: u32,
    window_start: Instant,
    /// When the next probe is due; during a probe, the limit to return to.
    probe_due: Instant,
    probing: Option<f64>,
    period_min: Option<Duration>,
    previous_min: Option<Duration>,
}

impl Estimator {
    /// A limit between `floor` and `ceiling`: a first window at the floor measures the
    /// baseline, then the limit starts from a quarter of the ceiling.
    pub fn new(floor: usize, ceiling: usize, now: Instant) -> Self {
        let floor = floor.min(ceiling).max(1);
        Self {
            limit: floor as f64,
            floor,
            ceiling,
            sum: Duration::ZERO,
            count: 0,
            window_start: now,
            probe_due: now + BASELINE_PERIOD,
            probing: Some((ceiling / 4).max(floor) as f64),
            period_min: None,
            previous_min: None,
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        (self.limit.round() as usize).clamp(self.floor, self.ceiling)
    }

    /// The lowest window average of the current and previous periods.
    pub fn baseline(&self) -> Duration {
        match (self.period_min, self.previous_min) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b).unwrap_or_default(),
        }
    }

    /// Records one call's latency; the new limit when a window closed.
    pub fn sample(&mut self, latency: Duration, now: Instant) -> Option<usize> {
        self.sum += latency;
        self.count += 1;
        if self.count < WINDOW_CALLS || now.duration_since(self.window_start) < WINDOW_TIME {
            return None;
        }
        let average = self.sum / self.count;
        (self.sum, self.count, self.window_start) = (Duration::ZERO, 0, now);
        if let Some(resume) = self.probing.take() {
            // The probe's window ran at the floor: its average starts a new period.
            self.previous_min = self.period_min.replace(average);
            self.limit = resume;
            return Some(self.limit());
        }
        self.period_min = Some(self.period_min.map_or(average, |min| min.min(average)));
        if now >= self.probe_due {
            self.probe_due = now + BASELINE_PERIOD;
            self.probing = Some(self.limit);
            self.limit = self.floor as f64;
            return Some(self.limit());
        }
        let baseline = self.baseline().max(Duration::from_micros(1));
        let gradient = (TOLERANCE * baseline.as_secs_f64() / average.as_secs_f64().max(1e-9)).clamp(0.5, 1.0);
        let proposed = self.limit * gradient + 1.0;
        self.limit =
            ((1.0 - SMOOTHING) * self.limit + SMOOTHING * proposed).clamp(self.floor as f64, self.ceiling as f64);
        Some(self.limit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `windows` full windows of calls of `latency` each, 50 ms apart.
    fn feed(e: &mut Estimator, now: &mut Instant, latency: Duration, windows: u32) -> usize {
        let mut limit = e.limit();
        for _ in 0..windows {
            *now += WINDOW_TIME;
            for _ in 0..WINDOW_CALLS {
                if let Some(l) = e.sample(latency, *now) {
                    limit = l;
                }
            }
        }
        limit
    }

    #[test]
    fn the_limit_grows_while_latency_stays_near_the_baseline_and_shrinks_when_it_rises() {
        let mut now = Instant::now();
        let mut e = Estimator::new(2, 256, now);
        let start = e.limit();
        let grown = feed(&mut e, &mut now, Duration::from_millis(1), 40);
        assert!(grown > start, "grew from {start} to {grown}");
        // Latency four times the baseline: the limit falls, to the floor if it lasts.
        let shrunk = feed(&mut e, &mut now, Duration::from_millis(4), 10);
        assert!(shrunk < grown, "shrank from {grown} to {shrunk}");
        assert!(feed(&mut e, &mut now, Duration::from_millis(4), 200) <= 4, "settles low");
        assert_eq!(e.baseline(), Duration::from_millis(1));
    }

    #[test]
    fn the_baseline_forgets_an_old_minimum_after_two_periods() {
        let mut now = Instant::now();
        let mut e = Estimator::new(2, 64, now);
        feed(&mut e, &mut now, Duration::from_micros(100), 5);
        let periods = (2 * BASELINE_PERIOD.as_millis() / WINDOW_TIME.as_millis()) as u32 + 2;
        feed(&mut e, &mut now, Duration::from_millis(3), periods);
        assert_eq!(e.baseline(), Duration::from_millis(3), "a slower service is the new normal");
        assert!(e.limit() > 2, "and is no reason to stay at the floor");
    }

    #[tokio::test]
    async fn callers_beyond_the_limit_wait_briefly_then_are_refused() {
        let limit = ConcurrencyLimit::new(8, 1, Duration::from_secs(60), "test");
        let held: Vec<Permit> = (0..limit.limit()).map(|_| limit.try_acquire().expect("a place")).collect();
        assert!(limit.try_acquire().is_none(), "no place above the limit");
        // One may wait; it gets the place freed while it waits.
        let waiter = tokio::spawn({
            let limit = limit.clone();
            async move { limit.acquire(false).await.is_some() }
        });
        while limit.inner.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(limit.acquire(false).await.is_none(), "the queue is full: shed at once");
        drop(held);
        assert!(waiter.await.expect("joined"), "the waiter was admitted");
    }

    #[tokio::test]
    async fn a_waiter_whose_call_is_dropped_no_longer_counts_as_waiting() {
        let limit = ConcurrencyLimit::new(8, 4, Duration::from_secs(60), "test");
        let _held: Vec<Permit> = std::iter::from_fn(|| limit.try_acquire()).collect();
        let dropped = tokio::time::timeout(Duration::from_millis(10), limit.acquire(true)).await;
        assert!(dropped.is_err(), "still waiting when its deadline passed");
        assert_eq!(limit.waiting(), 0, "the dropped call left the queue");
    }

    /// A server of two "cores" (a semaphore) where a call takes 1 ms of core time, offered
    /// twice what it can serve (4 calls per millisecond) for ten seconds of paused time.
    #[tokio::test(start_paused = true)]
    async fn at_twice_capacity_admitted_calls_stay_near_the_unloaded_latency_and_the_rest_are_shed() {
        let cores = Arc::new(tokio::sync::Semaphore::new(2));
        let limit = ConcurrencyLimit::with_floor(64, 2, 64, Duration::from_millis(50), "test");
        let call = |limit: ConcurrencyLimit, cores: Arc<tokio::sync::Semaphore>| async move {
            let began = Instant::now();
            let _place = limit.acquire(false).await?;
            let _core = cores.acquire().await.expect("open");
            tokio::time::sleep(Duration::from_millis(1)).await;
            Some(began.elapsed())
        };
        let unloaded = call(limit.clone(), Arc::clone(&cores)).await.expect("admitted");
        let mut calls = Vec::new();
        for _ in 0..10_000 {
            for _ in 0..4 {
                calls.push(tokio::spawn(call(limit.clone(), Arc::clone(&cores))));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut admitted = Vec::new();
        for call in calls {
            admitted.extend(call.await.expect("joined"));
        }
        // Leave out the first second, while the limit finds its level.
        let skip = admitted.len() / 10;
        let settled = &mut admitted[skip..];
        settled.sort();
        let p99 = settled[settled.len() * 99 / 100];
        let served = admitted.len() as f64 / 40_000.0;
        assert!(p99 <= unloaded * 5, "admitted p99 {p99:?} against {unloaded:?} unloaded (limit {})", limit.limit());
        assert!((0.4..0.55).contains(&served), "about half served, the rest shed: {served}");
    }
}
