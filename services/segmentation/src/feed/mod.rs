//! Followers of other services' change feeds, keeping the local client projection (and so
//! the memberships of ACTIVE schemes) current.

pub mod profile;
pub mod scoring;
