//! `GET /openapi.json`: an OpenAPI 3 document generated from the same descriptors and
//! `google.api.http` bindings the transcoder serves.

use std::collections::{BTreeMap, BTreeSet};

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};

use crate::rest::{Binding, BodyTarget, RestRoutes};

/// The OpenAPI 3.0 document of every REST binding.
pub fn document(routes: &RestRoutes) -> Value {
    let mut schemas = Schemas::default();
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut ids = OperationIds::default();
    for binding in routes.bindings() {
        let mut operation = operation(binding, &mut schemas);
        operation["operationId"] = ids.next(binding).into();
        paths
            .entry(binding.template.openapi_path())
            .or_default()
            .insert(binding.method.as_str().to_lowercase(), operation);
    }
    let mut components = schemas.done();
    components.insert("Error".to_owned(), error_schema());
    json!({
        "openapi": "3.0.3",
        "info": {"title": "crm REST API", "version": "v1",
                 "description": "Transcoded from the gRPC contracts (google.api.http). Errors follow AIP-193."},
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}

fn operation(binding: &Binding, schemas: &mut Schemas) -> Value {
    let input = binding.rpc.input();
    let service = binding.rpc.parent_service();
    let mut parameters = Vec::new();
    let bound: BTreeSet<&str> = binding.template.fields().collect();
    for (name, field) in binding.template.openapi_parameters() {
        let pattern = binding.template.variable_pattern(&field).unwrap_or_default();
        parameters.push(json!({"name": name, "in": "path", "required": true,
            "description": format!("part of `{field}`, a resource name matching `{pattern}`"),
            "schema": {"type": "string"}}));
    }
    if binding.body != BodyTarget::Whole {
        let body_field = match &binding.body {
            BodyTarget::Field(f) => Some(f.as_str()),
            _ => None,
        };
        for field in input.fields() {
            let name = field.name();
            if bound.contains(name) || body_field == Some(name) || field.is_map() {
                continue;
            }
            if let Some(schema) = query_schema(&field) {
                parameters.push(json!({"name": name, "in": "query", "schema": schema}));
            }
        }
    }
    let mut op = json!({
        "tags": [service.full_name()],
        "parameters": parameters,
        "responses": {
            "200": response(binding, schemas),
            "default": {"description": "error (AIP-193)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        },
    });
    let body_schema = match &binding.body {
        BodyTarget::None => None,
        BodyTarget::Whole => Some(schemas.reference(&input)),
        BodyTarget::Field(f) => input.get_field_by_name(f).map(|field| schemas.field(&field)),
    };
    if let Some(schema) = body_schema {
        op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    op
}

/// Operation ids, `Service_Method`, unique across the document: a method's further HTTP
/// bindings are `Service_Method_2`, `_3`, ...
#[derive(Default)]
struct OperationIds {
    seen: BTreeMap<String, usize>,
}

impl OperationIds {
    fn next(&mut self, binding: &Binding) -> String {
        let base = format!("{}_{}", binding.rpc.parent_service().name(), binding.rpc.name());
        let count = self.seen.entry(base.clone()).or_default();
        *count += 1;
        if *count == 1 { base } else { format!("{base}_{count}") }
    }
}

fn response(binding: &Binding, schemas: &mut Schemas) -> Value {
    let schema = schemas.reference(&binding.rpc.output());
    if binding.rpc.is_server_streaming() {
        json!({"description": "newline-delimited JSON, one `{\"result\": ...}` per message",
               "content": {"application/x-ndjson": {"schema": {"type": "object", "properties": {"result": schema}}}}})
    } else {
        json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
    }
}

/// Query parameter schema of a top-level field; `None` for message fields other than
/// string-valued well-known types.
fn query_schema(field: &FieldDescriptor) -> Option<Value> {
    let scalar = match field.kind() {
        Kind::Message(m) if !is_string_wkt(m.full_name()) => return None,
        kind => scalar_schema(&kind)?,
    };
    Some(if field.is_list() { json!({"type": "array", "items": scalar}) } else { scalar })
}

fn is_string_wkt(name: &str) -> bool {
    matches!(
        name,
        "google.protobuf.Timestamp"
            | "google.protobuf.Duration"
            | "google.protobuf.FieldMask"
            | "google.protobuf.StringValue"
    )
}

fn scalar_schema(kind: &Kind) -> Option<Value> {
    Some(match kind {
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => json!({"type": "integer", "format": "int32"}),
        Kind::Uint32 | Kind::Fixed32 => json!({"type": "integer", "format": "int64", "minimum": 0}),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
            json!({"type": "string", "format": "int64"})
        }
        Kind::Float => json!({"type": "number", "format": "float"}),
        Kind::Double => json!({"type": "number", "format": "double"}),
        Kind::String => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        Kind::Enum(e) => json!({"type": "string", "enum": e.values().map(|v| v.name().to_owned()).collect::<Vec<_>>()}),
        Kind::Message(m) => match m.full_name() {
            "google.protobuf.Timestamp" => json!({"type": "string", "format": "date-time"}),
            "google.protobuf.Duration" => json!({"type": "string", "example": "1.5s"}),
            "google.protobuf.FieldMask" => json!({"type": "string", "example": "display_name,lei"}),
            "google.protobuf.StringValue" => json!({"type": "string"}),
            _ => return None,
        },
    })
}

/// Component schemas, collected as they are referenced.
#[derive(Default)]
struct Schemas {
    done: BTreeMap<String, Value>,
}

impl Schemas {
    fn reference(&mut self, message: &MessageDescriptor) -> Value {
        let name = message.full_name().to_owned();
        if !self.done.contains_key(&name) {
            self.done.insert(name.clone(), Value::Null);
            let mut properties = Map::new();
            for field in message.fields() {
                properties.insert(field.json_name().to_owned(), self.field(&field));
            }
            self.done.insert(name.clone(), json!({"type": "object", "properties": properties}));
        }
        json!({"$ref": format!("#/components/schemas/{name}")})
    }

    fn field(&mut self, field: &FieldDescriptor) -> Value {
        if field.is_map() {
            let value = match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field(),
                _ => return json!({"type": "object"}),
            };
            return json!({"type": "object", "additionalProperties": self.single(&value.kind())});
        }
        let single = self.single(&field.kind());
        if field.is_list() { json!({"type": "array", "items": single}) } else { single }
    }

    fn single(&mut self, kind: &Kind) -> Value {
        match (scalar_schema(kind), kind) {
            (Some(schema), _) => schema,
            (None, Kind::Message(m)) => self.reference(m),
            (None, _) => json!({}),
        }
    }

    fn done(self) -> Map<String, Value> {
        self.done.into_iter().collect()
    }
}

fn error_schema() -> Value {
    json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "integer", "description": "HTTP status"},
        "message": {"type": "string"},
        "status": {"type": "string", "description": "google.rpc.Code name, e.g. INVALID_ARGUMENT"},
        "details": {"type": "array", "items": {"type": "object", "properties": {"@type": {"type": "string"}},
            "additionalProperties": true}},
    }}}})
}

#[cfg(test)]
mod validity;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_paths_parameters_and_schemas() {
        let pool = crate::descriptors::load().expect("pool");
        let routes =
            RestRoutes::build(&pool, ["crm.profile.v1.ClientProfileService", "crm.gateway.v1.ClientViewService"])
                .expect("routes");
        let doc = document(&routes);
        let get = &doc["paths"]["/v1/clients/{clientId}"]["get"];
        assert_eq!(get["operationId"], "ClientProfileService_GetClient");
        assert_eq!(get["parameters"][0]["in"], "path");
        assert_eq!(get["parameters"][0]["name"], "clientId");
        let lookup = &doc["paths"]["/v1/clients:lookup"]["get"]["parameters"];
        assert!(lookup.as_array().expect("params").iter().any(|p| p["name"] == "registration_number"));
        let by_name = &doc["paths"]["/v1/clients/{clientId}:view360"]["get"];
        assert_eq!(by_name["operationId"], "ClientViewService_GetClient360");
        assert_eq!(doc["paths"]["/v1/clients:view360"]["get"]["operationId"], "ClientViewService_GetClient360_2");
        let create = &doc["paths"]["/v1/clients"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(create["$ref"], "#/components/schemas/crm.profile.v1.Client");
        assert!(doc["components"]["schemas"]["crm.profile.v1.Client"]["properties"]["displayName"].is_object());
    }
}
