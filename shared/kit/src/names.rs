//! Resource names shared by the services: `clients/{client}` (ids as the profile service
//! issues them) and the sub-resources a service keeps under a client; and the etags of
//! revisioned resources.

use crate::error::{ApiError, ApiResult};

/// Longest id segment accepted.
const MAX_ID: usize = 63;

/// Whether `id` is a valid resource id: lower-case letters, digits and hyphens (not
/// first), up to 63.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// Parses `clients/{client}` into the client id; INVALID_ARGUMENT on `field` otherwise.
pub fn client_id<'a>(field: &str, name: &'a str) -> ApiResult<&'a str> {
    match name.strip_prefix("clients/") {
        Some(id) if valid_id(id) => Ok(id),
        _ => Err(ApiError::invalid(field, "must be a client name of the form clients/{client}")),
    }
}

/// Parses `clients/{client}/{collection}/{id}` into (client id, id).
pub fn child_id<'a>(field: &str, name: &'a str, collection: &str) -> ApiResult<(&'a str, &'a str)> {
    let invalid = || ApiError::invalid(field, format!("must be of the form clients/{{client}}/{collection}/{{id}}"));
    let rest = name.strip_prefix("clients/").ok_or_else(invalid)?;
    let (client, rest) = rest.split_once('/').ok_or_else(invalid)?;
    let id = rest.strip_prefix(collection).and_then(|r| r.strip_prefix('/')).ok_or_else(invalid)?;
    if valid_id(client) && valid_id(id) { Ok((client, id)) } else { Err(invalid()) }
}

/// `clients/{id}`.
pub fn client_name(id: &str) -> String {
    format!("clients/{id}")
}

/// `clients/{client}/{collection}/{id}`.
pub fn child_name(client: &str, collection: &str, id: &str) -> String {
    format!("clients/{client}/{collection}/{id}")
}

/// A new time-ordered id (UUIDv7, 32 lower-case hex digits).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// The etag of a revision (`"r{revision}"`, quotes included).
pub fn etag(revision: i64) -> String {
    format!("\"r{revision}\"")
}

/// The revision an etag made by [`etag`] stands for (0 if it is not one).
pub fn revision_of(etag: &str) -> i64 {
    etag.trim_matches('"').strip_prefix('r').and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names() {
        assert_eq!(client_id("name", "clients/abc-1").ok(), Some("abc-1"));
        assert!(client_id("name", "clients/").is_err());
        assert!(client_id("name", "clients/ABC").is_err());
        assert!(client_id("name", "clients/-a").is_err());
        assert!(client_id("name", "accounts/abc").is_err());
        assert!(client_id("name", "clients/a/contacts/b").is_err());
        assert_eq!(child_id("name", "clients/a/contacts/b", "contacts").ok(), Some(("a", "b")));
        assert!(child_id("name", "clients/a/holdings/b", "contacts").is_err());
        assert_eq!(new_id().len(), 32);
        assert_eq!(etag(7), "\"r7\"");
        assert_eq!(revision_of(&etag(7)), 7);
        assert_eq!(revision_of("*"), 0);
    }
}
