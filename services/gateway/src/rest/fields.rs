//! Request fields from path variables and query parameters: each `a.b.c=value` is checked
//! against the request message descriptor and placed, typed, into the JSON object that is
//! then read with the proto3 JSON mapping (so every route shares one decoding path).

use crm_kit::Violations;
use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{Map, Value};

/// Well-known message types whose JSON form is a string (settable from a query parameter).
const STRING_WKTS: [&str; 4] = [
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
    "google.protobuf.StringValue",
];

/// Sets `path` (dotted proto field names) to `value` in `target`, typed by `desc`. Path
/// variables replace what the body said (`overwrite`); repeated query parameters append.
pub fn set(
    target: &mut Map<String, Value>,
    desc: &MessageDescriptor,
    path: &str,
    value: &str,
    overwrite: bool,
    violations: &mut Violations,
) {
    let mut desc = desc.clone();
    let mut target = target;
    let names: Vec<&str> = path.split('.').collect();
    for (i, name) in names.iter().enumerate() {
        let Some(field) = desc.get_field_by_name(name).or_else(|| desc.get_field_by_json_name(name)) else {
            violations.add(path, format!("no field {name:?} in {}", desc.full_name()));
            return;
        };
        let key = field.name().to_owned();
        let last = i + 1 == names.len();
        if field.is_map() {
            violations.add(path, "map fields cannot be set from the URL");
            return;
        }
        if !last {
            let Kind::Message(inner) = field.kind() else {
                violations.add(path, format!("{} is not a message", field.name()));
                return;
            };
            if field.is_list() {
                violations.add(path, "repeated message fields cannot be set from the URL");
                return;
            }
            let entry = target.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else { return };
            target = next;
            desc = inner;
            continue;
        }
        let typed = match scalar(&field.kind(), value) {
            Ok(typed) => typed,
            Err(message) => {
                violations.add(path, message);
                return;
            }
        };
        if field.is_list() && !overwrite {
            match target.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                Value::Array(items) => items.push(typed),
                other => *other = Value::Array(vec![typed]),
            }
        } else if field.is_list() {
            target.insert(key, Value::Array(vec![typed]));
        } else {
            target.insert(key, typed);
        }
    }
}

/// The JSON value of one URL string for a field of `kind`.
fn scalar(kind: &Kind, value: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("{value:?} is not {what}");
    Ok(match kind {
        Kind::Bool => match value {
            "true" | "1" => Value::Bool(true),
            "false" | "0" => Value::Bool(false),
            _ => return Err(bad("a boolean")),
        },
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            Value::from(value.parse::<i32>().map_err(|_| bad("a 32-bit integer"))?)
        }
        Kind::Uint32 | Kind::Fixed32 => Value::from(value.parse::<u32>().map_err(|_| bad("an unsigned integer"))?),
        // 64-bit integers are JSON strings in proto3; check them here for a precise message.
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            value.parse::<i64>().map_err(|_| bad("a 64-bit integer"))?;
            Value::String(value.to_owned())
        }
        Kind::Uint64 | Kind::Fixed64 => {
            value.parse::<u64>().map_err(|_| bad("an unsigned integer"))?;
            Value::String(value.to_owned())
        }
        Kind::Float | Kind::Double => match value.parse::<f64>() {
            Ok(n) if n.is_finite() => Value::from(n),
            _ => Value::String(value.to_owned()),
        },
        Kind::String | Kind::Bytes | Kind::Enum(_) => Value::String(value.to_owned()),
        Kind::Message(m) if STRING_WKTS.contains(&m.full_name()) => Value::String(value.to_owned()),
        Kind::Message(m) => return Err(format!("{} cannot be set from the URL", m.full_name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desc(name: &str) -> MessageDescriptor {
        crate::descriptors::load().expect("pool").get_message_by_name(name).expect("message")
    }

    #[test]
    fn nested_repeated_and_typed_fields() {
        let mut out = Map::new();
        let mut v = Violations::default();
        let update = desc("crm.profile.v1.UpdateClientRequest");
        set(&mut out, &update, "client.name", "clients/1", true, &mut v);
        set(&mut out, &update, "client.employeeCount", "12", false, &mut v);
        set(&mut out, &update, "update_mask", "displayName,lei", false, &mut v);
        let batch = desc("crm.profile.v1.BatchGetClientsRequest");
        set(&mut out, &batch, "names", "clients/1", false, &mut v);
        set(&mut out, &batch, "names", "clients/2", false, &mut v);
        assert!(v.is_empty());
        assert_eq!(out["client"]["name"], "clients/1");
        assert_eq!(out["client"]["employee_count"], "12");
        assert_eq!(out["update_mask"], "displayName,lei");
        assert_eq!(out["names"], serde_json::json!(["clients/1", "clients/2"]));
    }

    #[test]
    fn unknown_and_mistyped_parameters_are_violations() {
        let mut out = Map::new();
        let mut v = Violations::default();
        let list = desc("crm.profile.v1.ListClientsRequest");
        set(&mut out, &list, "page_size", "ten", false, &mut v);
        set(&mut out, &list, "colour", "red", false, &mut v);
        set(&mut out, &list, "show_deleted", "yes", false, &mut v);
        let err = v.into_error().expect("violations");
        let fields: Vec<_> = err.violations().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["page_size", "colour", "show_deleted"]);
    }
}
