//! The shared service kit: everything a crm service needs besides its domain.
//!
//! A service is its domain plus thin handlers; configuration, telemetry, errors,
//! authentication, the caller of a call and its write context, portfolio rules, shared
//! resource names, storage pools and migrations, audit, change feed, paging and the server
//! bootstrap all live here so that no service copies them.

pub mod audit;
pub mod auth;
pub mod call;
pub mod client_view;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod expr;
pub mod feed;
pub mod follow;
pub mod fx;
pub mod idempotency;
pub mod jobs;
pub mod metrics;
pub mod names;
pub mod paging;
pub mod peer;
pub mod policy;
pub mod relay;
pub mod reply;
pub mod server;
pub mod telemetry;
pub mod time;
pub mod write;

pub use error::{ApiError, ApiResult, Violations};
