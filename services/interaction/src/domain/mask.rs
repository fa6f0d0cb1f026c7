//! Update masks of this service: flat field names, `*` for all of them.

use crm_kit::{ApiResult, Violations};

/// Checks an update mask against the `writable` fields; returns the fields it names,
/// sorted and without repeats.
pub fn fields(paths: &[String], writable: &[&'static str]) -> ApiResult<Vec<&'static str>> {
    let mut v = Violations::default();
    let mut fields = Vec::new();
    if paths.is_empty() {
        v.add("update_mask", "is required: name the fields to change, or * for all");
    }
    for path in paths {
        if path == "*" {
            fields.extend(writable);
        } else if let Some(field) = writable.iter().find(|f| **f == path.as_str()) {
            fields.push(*field);
        } else {
            v.add("update_mask", format!("{path} cannot be updated; use {}", writable.join(", ")));
        }
    }
    v.check()?;
    fields.sort_unstable();
    fields.dedup();
    Ok(fields)
}
