//! Per-call log lines that cannot flood the log: under overload or a probe, the same
//! warning would otherwise be written for every call. A [`Throttle`] lets a few lines a
//! second through and counts the rest, which the next line that passes reports.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Logs through a [`Throttle`] of its own: at most `per_second` such lines a second, each
/// with the count of those suppressed since the last (`suppressed`).
///
/// ```ignore
/// crm_kit::throttled!(5, warn!(backend, error = %err, "backend unavailable"));
/// ```
#[macro_export]
macro_rules! throttled {
    ($per_second:expr, $level:ident!($($arg:tt)*)) => {{
        static LINES: ::std::sync::LazyLock<$crate::telemetry::Throttle> =
            ::std::sync::LazyLock::new(|| $crate::telemetry::Throttle::new($per_second));
        if let Some(suppressed) = LINES.admit() {
            ::tracing::$level!(suppressed, $($arg)*);
        }
    }};
}

/// At most `per_second` lines a second.
#[derive(Debug)]
pub struct Throttle {
    per_second: u64,
    window: Mutex<(Instant, u64)>,
    suppressed: AtomicU64,
}

impl Throttle {
    /// A throttle letting `per_second` lines through each second.
    pub fn new(per_second: u64) -> Self {
        Self { per_second, window: Mutex::new((Instant::now(), 0)), suppressed: AtomicU64::new(0) }
    }

    /// `Some(lines suppressed since the last one written)` when this line may be written.
    pub fn admit(&self) -> Option<u64> {
        let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        if now.duration_since(window.0) >= Duration::from_secs(1) {
            *window = (now, 0);
        }
        if window.1 >= self.per_second {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        window.1 += 1;
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lets_a_few_lines_through_and_counts_the_rest() {
        let throttle = Throttle::new(3);
        let admitted: Vec<_> = (0..10).map(|_| throttle.admit()).collect();
        assert_eq!(admitted.iter().filter(|a| a.is_some()).count(), 3);
        assert_eq!(admitted[0], Some(0));
        // The next window reports what was held back.
        *throttle.window.lock().expect("lock") = (Instant::now() - Duration::from_secs(2), 0);
        assert_eq!(throttle.admit(), Some(7));
    }
}
