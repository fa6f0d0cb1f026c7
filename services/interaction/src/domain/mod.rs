//! The rules of the interaction service, free of storage and transport.

pub mod case;
pub mod consent;
pub mod content;
pub mod eligibility;
pub mod erasure;
pub mod exit_review;
pub mod interaction;
pub mod mask;
pub mod names;
pub mod plan;
pub mod policy;
pub mod recommend;
