//! Deterministic synthetic corporate portfolio for loading and load-testing the suite.
//!
//! [`generate`] streams [`SeedClient`]s: a corporate client (about 70% mainland Chinese
//! companies named in Chinese, the rest from Hong Kong, Singapore, the UK, Germany, the US,
//! Japan, France, the Netherlands, Australia and Korea) with its contacts, product holdings
//! and yearly financial statements, its place in a group (`parent_key`) and, for a small
//! share of records, the earlier client it is a re-entry of (`duplicate_of`).
//!
//! Determinism: everything about client `key` is a pure function of `(seed, key)` (ChaCha8
//! streams keyed by the seed, one stream per key), so the same seed gives the same
//! portfolio, a shorter run is a prefix of a longer one, and [`Generator::client`] can be
//! called from several threads. Nothing but the current client is held in memory.
//!
//! Uniqueness: registration number + country, LEI, tax id, contact phone, contact e-mail
//! and account number embed the key through a bijection, so they are unique across the
//! portfolio for up to [`MAX_UNIQUE_CLIENTS`] clients, duplicates included (a duplicate
//! leaves them empty or carries a mistyped registration number that fails the national
//! check digit).
//!
//! Resource names (`client.name`, `client.parent`, contacts', holdings' and statements'
//! `name`) are left empty: the store assigns ids and the loader maps `parent_key` to the
//! parent's id. Parents always come before their subsidiaries (`parent_key < key`).

mod company;
mod contacts;
mod generate;
pub(crate) mod geo;
mod ids;
mod industry;
mod names;
mod people;
mod products;
mod profile;
#[cfg(test)]
mod tests;
mod themes;

use crm_proto::crm::profile::v1::{Client, Contact, FinancialStatement, Holding};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub use generate::Generator;

/// Largest portfolio for which every identifier is guaranteed unique (the tightest format
/// is the Singapore mobile number space: 3 × 10⁷ numbers, four contacts per client).
pub const MAX_UNIQUE_CLIENTS: u64 = 7_500_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedConfig {
    /// Number of clients (keys `0..clients`).
    pub clients: u64,
    /// Seed; the same seed gives the same portfolio.
    pub seed: u64,
    /// Share of clients that re-enter an earlier client under a variant name (default 0.01).
    pub duplicate_rate: f64,
}

impl Default for SeedConfig {
    fn default() -> Self {
        Self { clients: 10_000, seed: 42, duplicate_rate: 0.01 }
    }
}

/// One generated client with everything that hangs off it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedClient {
    /// Position in the portfolio, `0..clients`.
    pub key: u64,
    /// The client record; `name` and `parent` are empty.
    pub client: Client,
    /// Key of the parent company in the group (always smaller than `key`).
    pub parent_key: Option<u64>,
    /// One to four contacts (names empty).
    pub contacts: Vec<Contact>,
    /// One to six product holdings (names empty).
    pub holdings: Vec<Holding>,
    /// Two or three yearly statements, oldest first (names empty).
    pub statements: Vec<FinancialStatement>,
    /// For a re-entry of an earlier client: that client's key (ground truth for duplicate
    /// detection).
    pub duplicate_of: Option<u64>,
}

/// Streams the portfolio described by `cfg`, client by client, in key order.
///
/// Two re-entries of one company may draw the same mistyped registration number (a number
/// has only so many one-digit typos); the stream leaves the later one empty so that every
/// record stays insertable. Random access through [`Generator::client`] does not.
pub fn generate(cfg: &SeedConfig) -> impl Iterator<Item = SeedClient> + use<> {
    let generator = Generator::new(cfg);
    let mut typos = std::collections::HashSet::new();
    (0..cfg.clients).map(move |key| {
        let mut seeded = generator.client(key);
        let client = &mut seeded.client;
        if seeded.duplicate_of.is_some()
            && !client.registration_number.is_empty()
            && !typos.insert((client.country_code.clone(), client.registration_number.clone()))
        {
            client.registration_number.clear();
            client.provenance.remove("registration_number");
        }
        seeded
    })
}

/// Picks an item with probability proportional to `weight` (the table must not be empty).
pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u64 = items.iter().map(|i| u64::from(weight(i))).sum();
    let mut x = rng.random_range(0..total.max(1));
    for item in items {
        let w = u64::from(weight(item));
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}
