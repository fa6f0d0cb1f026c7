//! Recently computed scheme reports. A report reads the whole portfolio, and the interaction
//! service asks for one per recommendation: a computed report is reused while the store saw
//! no change (its generation) and for a few seconds at most (other replicas' changes), or for
//! as long as the caller's `max_staleness` allows. One report is computed at a time, so a
//! burst of callers waits for one computation and shares it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crm_proto::crm::segmentation::v1::SchemeReport;

/// A report with the generation it saw and when it was computed.
type Cached = (u64, Instant, Arc<SchemeReport>);

/// How long a computed report is served while this process saw no change (other replicas'
/// changes show after at most this long).
const REPORT_TTL: Duration = Duration::from_secs(5);
/// Most reports kept.
const REPORT_CACHE_SIZE: usize = 64;

/// Recently computed reports by scheme and etag, with the store generation they saw.
#[derive(Debug, Default)]
pub struct ReportCache {
    entries: Mutex<HashMap<String, Cached>>,
    computing: tokio::sync::Mutex<()>,
}

impl ReportCache {
    /// The report under `key` if it saw `generation` and is fresh, or if it is younger than
    /// `max_staleness` whatever it saw.
    pub fn get(&self, key: &str, generation: u64, max_staleness: Duration) -> Option<Arc<SchemeReport>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (seen, at, report) = entries.get(key)?;
        let fresh = *seen == generation && at.elapsed() < REPORT_TTL;
        (fresh || at.elapsed() < max_staleness).then(|| Arc::clone(report))
    }

    /// Held while a report is computed: callers queue behind one computation, then find its
    /// result in the cache.
    pub async fn computing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.computing.lock().await
    }

    /// Keeps a report computed at `generation`.
    pub fn put(&self, key: String, generation: u64, report: Arc<SchemeReport>) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= REPORT_CACHE_SIZE {
            entries.retain(|_, (_, at, _)| at.elapsed() < REPORT_TTL);
        }
        if entries.len() < REPORT_CACHE_SIZE {
            entries.insert(key, (generation, Instant::now(), report));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_store_needs_a_new_report_unless_the_caller_accepts_an_older_one() {
        let cache = ReportCache::default();
        let report = Arc::new(SchemeReport { population: 7, ..Default::default() });
        cache.put("schemes/s@1".into(), 3, report);
        assert!(cache.get("schemes/s@1", 3, Duration::ZERO).is_some(), "nothing changed");
        assert!(cache.get("schemes/s@1", 4, Duration::ZERO).is_none(), "the store changed since");
        let stale = cache.get("schemes/s@1", 4, Duration::from_secs(60)).expect("a minute-old report will do");
        assert_eq!(stale.population, 7);
        assert!(cache.get("schemes/s@2", 3, Duration::from_secs(60)).is_none(), "another etag is another scheme");
    }
}
