//! Resource names: `clients/{client}` and the collections this service keeps under it.

use crm_kit::{ApiError, ApiResult};

/// Interactions under a client.
pub const INTERACTIONS: &str = "interactions";
/// Cases under a client.
pub const CASES: &str = "cases";
/// Channel preference instructions under a client.
pub const CHANNEL_PREFERENCES: &str = "channelPreferences";
/// Contacts under a client (owned by the profile service).
pub const CONTACTS: &str = "contacts";

/// Longest id segment accepted.
const MAX_ID: usize = 63;

/// Whether `id` is a valid resource id: lower-case letters, digits and hyphens, up to 63.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// Parses `clients/{client}` into the client id.
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

/// Parses `clients/{client}/contactability` into the client id.
pub fn contactability_client<'a>(field: &str, name: &'a str) -> ApiResult<&'a str> {
    let invalid = || ApiError::invalid(field, "must be of the form clients/{client}/contactability");
    let rest = name.strip_prefix("clients/").ok_or_else(invalid)?;
    match rest.split_once('/') {
        Some((client, "contactability")) if valid_id(client) => Ok(client),
        _ => Err(invalid()),
    }
}

/// Parses `contentItems/{content_item}` into the item id.
pub fn content_item_id<'a>(field: &str, name: &'a str) -> ApiResult<&'a str> {
    match name.strip_prefix("contentItems/") {
        Some(id) if valid_id(id) => Ok(id),
        _ => Err(ApiError::invalid(field, "must be of the form contentItems/{content_item}")),
    }
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

/// The etag of a revision.
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
        assert_eq!(client_id("parent", "clients/abc-1").ok(), Some("abc-1"));
        assert!(client_id("parent", "clients/ABC").is_err());
        assert!(client_id("parent", "clients/a/cases/b").is_err());
        assert_eq!(child_id("name", "clients/a/cases/b", CASES).ok(), Some(("a", "b")));
        assert!(child_id("name", "clients/a/interactions/b", CASES).is_err());
        assert_eq!(contactability_client("name", "clients/a/contactability").ok(), Some("a"));
        assert!(contactability_client("name", "clients/a/contacts").is_err());
        assert_eq!(revision_of(&etag(7)), 7);
        assert_eq!(new_id().len(), 32);
    }
}
