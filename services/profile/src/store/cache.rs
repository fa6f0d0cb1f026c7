//! A bounded in-process cache of client records for the read path (GetClient, LookupClient's
//! final read, the 360 view's profile part), kept only where this process is the database's
//! one writer (embedded SQLite): every committed change drops the records it touched
//! (through the writer's commit hook), so a read never returns a record older than the last
//! write this process acknowledged. With PostgreSQL other replicas may write, so there is no
//! cache.
//!
//! A read that misses loads from the database and offers what it read with the generation it
//! saw before loading; an invalidation in between bumps the generation and the offer is
//! refused, so a slow reader cannot put back a record a write has just replaced.

use std::{
    collections::HashMap,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use crm_proto::crm::profile::v1::Client;

/// Records kept by default (a few kilobytes each).
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Client records by id.
#[derive(Debug)]
pub struct ClientCache {
    records: Mutex<HashMap<String, Client>>,
    generation: AtomicU64,
    capacity: usize,
}

impl ClientCache {
    /// An empty cache of at most `capacity` records.
    pub fn new(capacity: usize) -> Self {
        Self { records: Mutex::new(HashMap::new()), generation: AtomicU64::new(0), capacity }
    }

    /// The generation to pass to [`ClientCache::offer`] after loading from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The cached record of `id`.
    pub fn get(&self, id: &str) -> Option<Client> {
        self.lock().get(id).cloned()
    }

    /// Keeps `client`, read after [`ClientCache::generation`] returned `generation`, unless a
    /// change was committed since.
    pub fn offer(&self, id: &str, client: &Client, generation: u64) {
        let mut records = self.lock();
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if records.len() >= self.capacity
            && let Some(evicted) = records.keys().next().cloned()
        {
            records.remove(&evicted);
        }
        records.insert(id.to_owned(), client.clone());
    }

    /// Drops the records of the resources a commit changed (`clients/{id}` and anything
    /// under it).
    pub fn forget(&self, resources: &[String]) {
        let mut records = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        for resource in resources {
            if let Some(id) = resource.strip_prefix("clients/").and_then(|rest| rest.split('/').next()) {
                records.remove(id);
            }
        }
    }

    /// Drops every record (after a change that reports no resources, such as an erasure of
    /// merged records).
    pub fn clear(&self) {
        let mut records = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        records.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Client>> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(name: &str) -> Client {
        Client { display_name: name.into(), ..Default::default() }
    }

    #[test]
    fn a_commit_drops_what_it_changed_and_refuses_a_stale_offer() {
        let cache = ClientCache::new(10);
        let seen = cache.generation();
        cache.offer("a", &client("old"), seen);
        assert_eq!(cache.get("a").map(|c| c.display_name), Some("old".into()));
        // A reader loads "old" before a write commits, and offers it after.
        let slow = cache.generation();
        cache.forget(&["clients/a/contacts/x".to_owned()]);
        assert!(cache.get("a").is_none(), "a change under the client drops it");
        cache.offer("a", &client("old"), slow);
        assert!(cache.get("a").is_none(), "the stale offer is refused");
        cache.offer("a", &client("new"), cache.generation());
        assert_eq!(cache.get("a").map(|c| c.display_name), Some("new".into()));
    }

    #[test]
    fn it_stays_within_its_capacity() {
        let cache = ClientCache::new(3);
        for id in ["a", "b", "c", "d", "e"] {
            cache.offer(id, &client(id), cache.generation());
        }
        assert_eq!(cache.lock().len(), 3);
        assert!(cache.get("e").is_some(), "the newest is kept");
    }
}
