//! Domain rules of the client record, independent of transport and storage. Requests are
//! parsed here into values that cannot be invalid (`client::NewClient`, `client::ClientPatch`,
//! `children::NewContact`, `import::ClientRecord`, ...), each violation named by its field.

pub mod children;
pub mod client;
pub mod codes;
pub mod duplicates;
pub mod erasure;
pub mod filter;
pub mod import;
pub mod lei;
pub mod lookup;
pub mod mask;
pub mod money;
pub mod names;
pub mod phone;
pub mod policy;
pub mod quality;
pub mod ranking;
pub mod text;

use crm_kit::{ApiError, ApiResult, Violations};

/// What a parse that recorded its violations in `v` made: INVALID_ARGUMENT with every
/// violation when there is one.
fn parsed<T>(v: Violations, value: Option<T>) -> ApiResult<T> {
    v.check()?;
    value.ok_or_else(|| ApiError::internal(anyhow::anyhow!("a parse failed without naming a field")))
}

/// Parses the message of a request on its own, at field path `at` (`client`), with
/// `parse_at` (which records violations and gives `None` when it does).
fn parse_whole<M, T>(at: &str, message: M, parse_at: fn(&mut Violations, &str, M) -> Option<T>) -> ApiResult<T> {
    let mut v = Violations::default();
    let value = parse_at(&mut v, at, message);
    parsed(v, value)
}

/// The fields an INVALID_ARGUMENT names, in order.
#[cfg(test)]
fn violated(err: ApiError) -> Vec<String> {
    err.violations().iter().map(|v| v.field.clone()).collect()
}

/// The fields recorded in `v`, in order.
#[cfg(test)]
fn recorded(v: Violations) -> Vec<String> {
    v.into_error().map(violated).unwrap_or_default()
}
