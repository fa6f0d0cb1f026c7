//! Rules of the records under a client: contacts, holdings and financial statements, each
//! parsed from a request once (normalised and checked) into what the store keeps.

mod contact;
mod holding;
mod ratios;
mod statement;

use crm_kit::Violations;
use crm_proto::google::r#type::Money;

pub use self::{
    contact::{ContactPatch, NewContact},
    holding::NewHolding,
    ratios::ratios,
    statement::NewStatement,
};
use super::money::Amount;

/// Checks an optional amount of `record` at `{at}.{field}` without taking it.
pub(super) fn amount_ok(v: &mut Violations, at: &str, field: &str, money: Option<&Money>, signed: bool) -> bool {
    Amount::parse_opt(v, &format!("{at}.{field}"), money.cloned(), signed).is_some()
}
