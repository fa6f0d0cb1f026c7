//! Resource names of this service: `clients/{client}/valueScore`,
//! `clients/{client}/profitabilityRecords/{period}`, `valueModels/{version}`.

use crm_kit::names::valid_id;

pub use crm_kit::names::client_name;

/// The id of `clients/{client}`.
pub fn client_id(name: &str) -> Option<&str> {
    name.strip_prefix("clients/").filter(|id| valid_id(id))
}

/// The client id of `clients/{client}/valueScore`.
pub fn score_client_id(name: &str) -> Option<&str> {
    name.strip_prefix("clients/")?.strip_suffix("/valueScore").filter(|id| valid_id(id))
}

/// `clients/{id}/valueScore`.
pub fn score_name(id: &str) -> String {
    format!("clients/{id}/valueScore")
}

/// The client id of `clients/{client}/groupValue`.
pub fn group_client_id(name: &str) -> Option<&str> {
    name.strip_prefix("clients/")?.strip_suffix("/groupValue").filter(|id| valid_id(id))
}

/// The id of `scoringRuns/{run}`.
pub fn run_id(name: &str) -> Option<&str> {
    name.strip_prefix("scoringRuns/").filter(|id| valid_id(id))
}

/// `clients/{id}/profitabilityRecords/{period}`.
pub fn record_name(id: &str, period: &str) -> String {
    format!("clients/{id}/profitabilityRecords/{period}")
}

/// What `valueModels/{x}` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelRef {
    /// The newest version.
    Current,
    /// The version with this number.
    Version(i64),
}

/// Parses `valueModels/current` or `valueModels/{version}`.
pub fn model_ref(name: &str) -> Option<ModelRef> {
    match name.strip_prefix("valueModels/")? {
        "current" => Some(ModelRef::Current),
        n if !n.is_empty() && n.len() <= 18 && n.bytes().all(|b| b.is_ascii_digit()) => {
            n.parse().ok().filter(|v| *v > 0).map(ModelRef::Version)
        }
        _ => None,
    }
}

/// `valueModels/{version}`.
pub fn model_name(version: i64) -> String {
    format!("valueModels/{version}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_strictly() {
        assert_eq!(client_id("clients/abc-1"), Some("abc-1"));
        assert_eq!(client_id("clients/"), None);
        assert_eq!(client_id("clients/a/b"), None);
        assert_eq!(score_client_id("clients/abc/valueScore"), Some("abc"));
        assert_eq!(score_client_id("clients/abc"), None);
        assert_eq!(model_ref("valueModels/current"), Some(ModelRef::Current));
        assert_eq!(model_ref("valueModels/3"), Some(ModelRef::Version(3)));
        assert_eq!(model_ref("valueModels/0"), None);
        assert_eq!(model_ref("valueModels/x"), None);
    }
}
