//! The document the gateway serves is valid OpenAPI 3.0: it parses as the specification's
//! object model (`openapiv3`), and it keeps the rules a schema cannot express: unique
//! operation ids, one operation per HTTP binding, path parameters that match the path
//! template, and references that resolve.

use std::collections::{BTreeSet, HashSet};

use openapiv3::{OpenAPI, Parameter, ReferenceOr};
use serde_json::Value;

use crate::rest::RestRoutes;

/// Every service the gateway can route, as with a backend for each.
fn whole_document() -> (Value, usize) {
    let pool = crate::descriptors::load().expect("pool");
    let services: Vec<String> =
        pool.services().map(|s| s.full_name().to_owned()).filter(|name| name.starts_with("crm.")).collect();
    let routes = RestRoutes::build(&pool, services.iter().map(String::as_str)).expect("routes");
    (super::document(&routes), routes.bindings().len())
}

#[test]
fn the_document_is_valid_openapi_3() {
    let (doc, bindings) = whole_document();
    let api: OpenAPI = serde_json::from_value(doc.clone()).unwrap_or_else(|err| panic!("not OpenAPI 3: {err}"));
    assert!(api.openapi.starts_with("3.0."), "{}", api.openapi);

    let mut ids = HashSet::new();
    let mut operations = 0;
    for (path, item) in &api.paths.paths {
        let ReferenceOr::Item(item) = item else { panic!("{path}: a path item reference") };
        let in_template: BTreeSet<&str> =
            path.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect();
        for (method, op) in item.iter() {
            operations += 1;
            let id = op.operation_id.as_deref().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            let mut declared = BTreeSet::new();
            let mut seen = HashSet::new();
            for parameter in &op.parameters {
                let ReferenceOr::Item(parameter) = parameter else { panic!("{id}: a parameter reference") };
                let data = parameter.parameter_data_ref();
                assert!(seen.insert((data.name.clone(), location(parameter))), "{id}: parameter {} twice", data.name);
                if let Parameter::Path { parameter_data, .. } = parameter {
                    assert!(parameter_data.required, "{id}: path parameter {} must be required", parameter_data.name);
                    declared.insert(parameter_data.name.as_str());
                }
            }
            assert_eq!(declared, in_template, "{id} ({method} {path}): path parameters and template differ");
            assert!(!op.responses.responses.is_empty(), "{id}: no responses");
        }
    }
    assert_eq!(operations, bindings, "every HTTP binding is one operation (none overwritten by another)");

    let schemas = &doc["components"]["schemas"];
    for name in schemas.as_object().expect("schemas").keys() {
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)),
            "component name {name} is not allowed"
        );
    }
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for reference in refs {
        let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("$ref {reference}"));
        assert!(schemas.get(name).is_some_and(Value::is_object), "$ref {reference} does not resolve");
    }
}

#[test]
fn a_client_generator_builds_the_urls_the_gateway_serves() {
    let (doc, _) = whole_document();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, id) in [
        ("/v1/clients/{clientId}", "ClientProfileService_GetClient"),
        ("/v1/clients/{clientId}:view360", "ClientViewService_GetClient360"),
        ("/v1/clients:view360", "ClientViewService_GetClient360_2"),
        ("/v1/schemes/{schemeId}", "SegmentationService_GetScheme"),
    ] {
        assert_eq!(paths[path]["get"]["operationId"], id, "{path}");
    }
}

fn location(parameter: &Parameter) -> &'static str {
    match parameter {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    }
}

fn collect_refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push(reference);
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
