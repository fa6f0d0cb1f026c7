//! Per-principal token buckets: each subject may spend `burst` requests at once and refills
//! at `rate` per second; one principal running out never slows another.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Most principals tracked at once; beyond it, idle (full) buckets are forgotten, which is
/// lossless because a full bucket is the same as an absent one.
const MAX_TRACKED: usize = 100_000;

/// Where a [`RateLimiter`] reads the time: [`SystemClock`] in service, a clock the test
/// moves by hand in tests (so whether a call is refused never depends on how fast it ran).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant; must never go backwards.
    fn now(&self) -> Instant;
}

/// The monotonic system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A keyed token-bucket rate limiter.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// `rate` requests per second sustained, `burst` at once (at least 1).
    pub fn new(rate: u32, burst: u32) -> Self {
        Self::with_clock(rate, burst, Arc::new(SystemClock))
    }

    /// As [`RateLimiter::new`], reading the time from `clock`.
    pub fn with_clock(rate: u32, burst: u32, clock: Arc<dyn Clock>) -> Self {
        Self {
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// Takes one token for `key`, or says how long until one is available.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.check_at(key, self.clock.now())
    }

    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(key) {
            buckets.retain(|_, b| b.level(now, self.rate, self.burst) < self.burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: self.burst, refilled: now });
        bucket.tokens = bucket.level(now, self.rate, self.burst);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / self.rate))
        }
    }
}

impl Bucket {
    fn level(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_over_its_burst_waits_while_others_pass() {
        let limiter = RateLimiter::new(10, 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", t0).is_ok());
        }
        let wait = limiter.check_at("a", t0).expect_err("over the burst");
        assert!(wait <= Duration::from_millis(100) && wait > Duration::ZERO, "{wait:?}");
        assert!(limiter.check_at("b", t0).is_ok(), "another principal is unaffected");
        assert!(limiter.check_at("a", t0 + Duration::from_millis(100)).is_ok(), "refilled after 1/rate");
        assert!(limiter.check_at("a", t0 + Duration::from_millis(100)).is_err());
    }

    /// A clock that moves only when told.
    #[derive(Debug)]
    struct HandClock(Mutex<Instant>);

    impl Clock for HandClock {
        fn now(&self) -> Instant {
            *self.0.lock().expect("clock")
        }
    }

    #[test]
    fn check_reads_the_time_from_the_given_clock() {
        let clock = Arc::new(HandClock(Mutex::new(Instant::now())));
        let limiter = RateLimiter::with_clock(1, 2, clock.clone());
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        assert_eq!(limiter.check("a"), Err(Duration::from_secs(1)), "the clock has not moved: no refill");
        *clock.0.lock().expect("clock") += Duration::from_secs(1);
        assert!(limiter.check("a").is_ok(), "one token after one second at 1/s");
        assert!(limiter.check("a").is_err());
    }

    #[test]
    fn refill_is_capped_at_the_burst() {
        let limiter = RateLimiter::new(100, 2);
        let t0 = Instant::now();
        let later = t0 + Duration::from_secs(60);
        assert!(limiter.check_at("a", later).is_ok());
        assert!(limiter.check_at("a", later).is_ok());
        assert!(limiter.check_at("a", later).is_err());
    }
}
