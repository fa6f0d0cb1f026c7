//! `crm`: run, seed, migrate and administer the corporate client management suite.
//!
//! The binary is [`cli::main`]; the library exposes the in-process [`suite`] (all services
//! and the gateway) so that end-to-end tests start it exactly as `crm up` does.

pub mod audit;
pub mod bench;
pub mod check;
pub mod cli;
pub mod demo;
pub mod eval;
#[cfg(test)]
mod manifests;
pub mod progress;
pub mod reindex;
pub mod relay;
pub mod runtime;
pub mod seeding;
pub mod showcase;
pub mod suite;
pub mod token;
pub mod up;
