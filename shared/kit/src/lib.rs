//! The shared service kit: everything a crm service needs besides its domain.
//!
//! A service is its domain plus thin handlers; configuration, telemetry, errors,
//! authentication, storage pools and migrations, audit, change feed, paging and the server
//! bootstrap all live here so that no service copies them.

pub mod audit;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod expr;
pub mod feed;
pub mod follow;
pub mod idempotency;
pub mod jobs;
pub mod paging;
pub mod peer;
pub mod server;
pub mod telemetry;
pub mod time;

pub use error::{ApiError, ApiResult, Violations};
