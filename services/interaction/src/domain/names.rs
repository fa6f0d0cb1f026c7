//! Resource names: `clients/{client}` and the collections this service keeps under it
//! (the shared ones from `crm_kit::names`).

use crm_kit::{ApiError, ApiResult};

pub use crm_kit::names::{child_id, child_name, client_id, client_name, etag, new_id, revision_of, valid_id};

/// Interactions under a client.
pub const INTERACTIONS: &str = "interactions";
/// Cases under a client.
pub const CASES: &str = "cases";
/// Channel preference instructions under a client.
pub const CHANNEL_PREFERENCES: &str = "channelPreferences";
/// Key-account plans under a client.
pub const ACCOUNT_PLANS: &str = "accountPlans";
/// Exit reviews under a client.
pub const EXIT_REVIEWS: &str = "exitReviews";
/// Contacts under a client (owned by the profile service).
pub const CONTACTS: &str = "contacts";

/// `contentItems/{id}`.
pub fn content_name(id: &str) -> String {
    format!("contentItems/{id}")
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
