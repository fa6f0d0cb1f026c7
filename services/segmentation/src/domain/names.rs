//! Resource names of this service and the ids inside them.

use crm_kit::{ApiError, ApiResult};

fn id_part(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The scheme id of `schemes/{scheme}`; INVALID_ARGUMENT on `field` otherwise.
pub fn scheme_id<'a>(field: &str, name: &'a str) -> ApiResult<&'a str> {
    match name.strip_prefix("schemes/") {
        Some(id) if id_part(id) => Ok(id),
        _ => Err(ApiError::invalid(field, "must be of the form schemes/{scheme}")),
    }
}

/// The scheme and segment ids of `schemes/{scheme}/segments/{segment}`.
pub fn segment_ids<'a>(field: &str, name: &'a str) -> ApiResult<(&'a str, &'a str)> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["schemes", scheme, "segments", segment] if id_part(scheme) && id_part(segment) => Ok((scheme, segment)),
        _ => Err(ApiError::invalid(field, "must be of the form schemes/{scheme}/segments/{segment}")),
    }
}

/// The scheme id of `schemes/{scheme}/activations/{activation}`.
pub fn activation_scheme<'a>(field: &str, name: &'a str) -> ApiResult<&'a str> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["schemes", scheme, "activations", id] if id_part(scheme) && id_part(id) => Ok(scheme),
        _ => Err(ApiError::invalid(field, "must be of the form schemes/{scheme}/activations/{activation}")),
    }
}

/// The client id of `clients/{client}`.
pub fn client_id<'a>(field: &str, name: &'a str) -> ApiResult<&'a str> {
    match name.strip_prefix("clients/") {
        Some(id) if id_part(id) => Ok(id),
        _ => Err(ApiError::invalid(field, "must be of the form clients/{client}")),
    }
}

/// `schemes/{id}`.
pub fn scheme_name(id: &str) -> String {
    format!("schemes/{id}")
}

/// `schemes/{scheme}/segments/{segment}`.
pub fn segment_name(scheme: &str, segment: &str) -> String {
    format!("schemes/{scheme}/segments/{segment}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_rejects_others() {
        assert_eq!(scheme_id("name", "schemes/s1").ok(), Some("s1"));
        assert!(scheme_id("name", "schemes/").is_err());
        assert!(scheme_id("name", "schemes/a/b").is_err());
        assert_eq!(segment_ids("segment", "schemes/s1/segments/big").ok(), Some(("s1", "big")));
        assert!(segment_ids("segment", "schemes/s1/big").is_err());
        assert_eq!(activation_scheme("name", "schemes/s1/activations/a1").ok(), Some("s1"));
        assert_eq!(client_id("client", "clients/c-1").ok(), Some("c-1"));
        assert!(client_id("client", "client/c").is_err());
    }
}
