//! A progress bar while a scenario runs: time through warm-up and the measured window, and
//! iterations done so far. Drawn only on a terminal (indicatif hides it otherwise).

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::{task::JoinHandle, time::Instant};

use super::driver::{Load, Window};

/// How often the bar is redrawn.
const TICK: std::time::Duration = std::time::Duration::from_millis(200);

/// The bar of one run.
pub struct Progress {
    done: Arc<AtomicU64>,
    ticker: Option<(ProgressBar, JoinHandle<()>)>,
}

impl Progress {
    /// Starts drawing (when `load.progress`).
    pub fn start(label: &str, load: &Load, window: Window) -> Self {
        let done = Arc::new(AtomicU64::new(0));
        if !load.progress {
            return Self { done, ticker: None };
        }
        let total = window.end.duration_since(window.origin).as_millis() as u64;
        let bar = crate::progress::bars().add(ProgressBar::new(total.max(1)));
        let style = ProgressStyle::with_template("{prefix:>36} [{bar:30}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style.progress_chars("=> "));
        bar.set_prefix(label.to_owned());
        let (ticking, counter) = (bar.clone(), done.clone());
        let ticker = tokio::spawn(async move {
            loop {
                let now = Instant::now();
                ticking.set_position(now.duration_since(window.origin).as_millis() as u64);
                let phase = if now < window.start { "warming up" } else { "measuring" };
                ticking.set_message(format!("{phase}: {} iterations", counter.load(Ordering::Relaxed)));
                tokio::time::sleep(TICK).await;
            }
        });
        Self { done, ticker: Some((bar, ticker)) }
    }

    /// The counter callers add finished iterations to.
    pub fn counter(&self) -> Arc<AtomicU64> {
        self.done.clone()
    }

    /// Stops and clears the bar.
    pub fn finish(self) {
        if let Some((bar, ticker)) = self.ticker {
            ticker.abort();
            bar.finish_and_clear();
        }
    }
}
