//! Where expressions run: evaluation over many records is CPU-bound work, so it runs on
//! blocking threads, never on the async workers that answer every other call (health
//! checks included). At most one evaluation per core runs at a time; a call that cannot
//! get a slot within a short wait is shed with RESOURCE_EXHAUSTED instead of queueing
//! without bound. The work checks its [`Budget`] between records: it stops at the caller's
//! deadline, and as soon as the caller has gone away.

use std::{
    sync::{
        Arc, LazyLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// Longest a call waits for an evaluation slot.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// Longest an evaluation runs when the caller set no deadline.
const DEFAULT_BUDGET: Duration = Duration::from_secs(30);

static SLOTS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    Arc::new(Semaphore::new(cores))
});

/// What an evaluation may still spend.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    abandoned: Arc<AtomicBool>,
}

impl Budget {
    /// A budget that ends at `deadline` (for work that runs outside [`evaluate`], such as a
    /// background job's batch).
    pub fn until(deadline: Instant) -> Self {
        Self { deadline, abandoned: Arc::new(AtomicBool::new(false)) }
    }

    /// DEADLINE_EXCEEDED once the deadline has passed, CANCELLED once the caller is gone;
    /// call it between records.
    pub fn check(&self) -> ApiResult<()> {
        if self.abandoned.load(Ordering::Relaxed) {
            return Err(ApiError::cancelled("EVALUATION_ABANDONED", "the caller went away"));
        }
        if Instant::now() >= self.deadline {
            return Err(ApiError::deadline_exceeded(
                "EVALUATION_DEADLINE",
                "the expression took too long to evaluate over the records; narrow the request",
            ));
        }
        Ok(())
    }
}

/// Flags the budget abandoned when the awaiting call is dropped.
struct AbandonOnDrop(Arc<AtomicBool>);

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Runs `work` on a blocking thread within an evaluation slot, with a budget that ends at
/// `deadline` (or after 30 s). RESOURCE_EXHAUSTED (`EVALUATION_BUSY`) when no slot frees up
/// within 2 s.
pub async fn evaluate<T, F>(deadline: Option<tokio::time::Instant>, work: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Budget) -> ApiResult<T> + Send + 'static,
{
    let slot = tokio::time::timeout(SLOT_WAIT, Arc::clone(&SLOTS).acquire_owned())
        .await
        .map_err(|_| ApiError::exhausted("EVALUATION_BUSY", "too many expressions are being evaluated; retry shortly"))?
        .map_err(|_| ApiError::unavailable("SHUTTING_DOWN", "the service is stopping"))?;
    let deadline = deadline.map_or_else(|| Instant::now() + DEFAULT_BUDGET, tokio::time::Instant::into_std);
    let abandoned = Arc::new(AtomicBool::new(false));
    let budget = Budget { deadline, abandoned: Arc::clone(&abandoned) };
    let _abandon = AbandonOnDrop(abandoned);
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work(&budget)
    })
    .await
    .map_err(ApiError::internal)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn work_runs_off_the_runtime_and_stops_at_its_deadline() {
        // On a single-threaded runtime, blocking work on the runtime would starve this timer.
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let spin = evaluate(None, move |budget| {
            while rx.try_recv().is_err() {
                budget.check()?;
                std::thread::yield_now();
            }
            Ok(7)
        });
        let other = async {
            tokio::task::yield_now().await;
            tx.send(()).expect("the evaluation is waiting");
        };
        let (value, ()) = tokio::join!(spin, other);
        assert_eq!(value.expect("finished"), 7);

        let past = tokio::time::Instant::now();
        let err = evaluate(Some(past), |budget| budget.check().map(|()| 0)).await.expect_err("deadline");
        assert_eq!(err.code(), tonic::Code::DeadlineExceeded);
    }
}
