//! Deterministic synthetic corporate portfolio for loading and load-testing the suite.
//!
//! [`generate()`] streams [`SeedClient`]s: a corporate client (about 70% mainland Chinese
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
//!
//! Modules depend on each other without cycles. From the bottom: primitives (`random`,
//! `perm`, `checks`, `calendar`) and tables (`geo`, `industry` with `themes` and `bodies`,
//! `stems`, `names`, `people`); `company` (names) and `ids` (identifiers) built on them; a
//! company's core `identity`; the parts derived from it, `profile` and then `contacts` and
//! `products`; and at the top `generate`, which composes a whole client.

mod bodies;
mod calendar;
mod checks;
mod company;
mod contacts;
mod generate;
mod geo;
mod identity;
mod ids;
mod industry;
mod names;
mod people;
mod perm;
mod products;
mod profile;
mod random;
mod stems;
#[cfg(test)]
mod tests;
mod themes;

pub use generate::{Generator, SeedClient, SeedConfig, generate};
pub use geo::units_per_cny;
pub use ids::MAX_UNIQUE_CLIENTS;
