//! Recently computed scheme reports. A report reads the whole portfolio, and the interaction
//! service asks for one per recommendation: a computed report is reused while the store saw
//! no change (its generation) and for a few seconds at most (other replicas' changes).

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
}

impl ReportCache {
    /// The report under `key` if it saw `generation` and is fresh.
    pub fn get(&self, key: &str, generation: u64) -> Option<Arc<SchemeReport>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (seen, at, report) = entries.get(key)?;
        (*seen == generation && at.elapsed() < REPORT_TTL).then(|| Arc::clone(report))
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
