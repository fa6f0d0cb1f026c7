//! Bounded property-based runs over REST transcoding: route matching on any path, path
//! templates, and the request message built from path variables, query and body. Anything
//! a caller sends is routed or refused as INVALID_ARGUMENT, never a panic; what a caller
//! means arrives in the message unchanged.

use crm_gateway::rest::{Found, RestRoutes, request_message, template::Template};
use http::Method;
use proptest::prelude::*;
use prost_reflect::DynamicMessage;
use serde_json::json;
use tonic::Code;

fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// The routes of every service in the contract (built once).
fn routes() -> &'static RestRoutes {
    static ROUTES: std::sync::LazyLock<RestRoutes> = std::sync::LazyLock::new(|| {
        let pool = crm_gateway::descriptors::load().expect("pool");
        let services: Vec<String> = pool.services().map(|s| s.full_name().to_owned()).collect();
        RestRoutes::build(&pool, services.iter().map(String::as_str)).expect("routes")
    });
    &ROUTES
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn text_of(message: &DynamicMessage, path: &[&str]) -> String {
    let (last, parents) = path.split_last().expect("a path");
    let mut message = message.clone();
    for parent in parents {
        message = message.get_field_by_name(parent).and_then(|v| v.as_message().cloned()).expect("a message");
    }
    message.get_field_by_name(last).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

proptest! {
    #![proptest_config(config(512))]

    /// Any text parses as a template or is refused with a reason.
    #[test]
    fn any_template_text_parses_or_is_refused(text in "\\PC{0,60}|[/{}=*:a-z.]{0,40}") {
        let _ = Template::parse(&text);
    }

    /// Any path, with any method, is routed, refused as not allowed, or not found.
    #[test]
    fn any_path_is_routed_or_not_found(
        path in "/[\\PC/%:]{0,80}|/v1/clients/[^/]{0,20}(:[a-zA-Z]{0,12})?",
        method in proptest::sample::select(vec![Method::GET, Method::POST, Method::PATCH, Method::DELETE, Method::PUT]),
    ) {
        let routes = routes();
        if let Found::Route(binding, vars) = routes.find(&method, &path) {
            prop_assert_eq!(&binding.method, &method);
            prop_assert!(vars.iter().all(|(field, _)| binding.template.fields().any(|f| f == field)));
        }
    }

    /// A client id, whatever its characters, arrives in the path variable decoded.
    #[test]
    fn path_variables_round_trip(id in "[^/]{1,30}") {
        let routes = routes();
        let path = format!("/v1/clients/{}", encode(&id));
        let Found::Route(binding, vars) = routes.find(&Method::GET, &path) else {
            return Err(TestCaseError::fail(format!("{path} is not routed")));
        };
        prop_assert_eq!(binding.grpc_path.as_str(), "/crm.profile.v1.ClientProfileService/GetClient");
        prop_assert_eq!(vars, vec![("name".to_owned(), format!("clients/{id}"))]);
    }

    /// Any query and body for any route make a request message or INVALID_ARGUMENT.
    #[test]
    fn any_query_and_body_make_a_message_or_invalid_argument(
        route in any::<prop::sample::Index>(),
        query in "[\\PC&=%+.]{0,80}|([a-zA-Z_.]{1,12}=[\\PC]{0,10}&){0,4}",
        body in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..80),
            "\\{(\"[a-zA-Z_]{1,12}\": (\"[\\PC]{0,10}\"|[0-9]{1,12}|true|null|\\[\\]|\\{\\}), ?){0,4}\"x\": 1\\}".prop_map(String::into_bytes),
        ],
    ) {
        let routes = routes();
        let binding = &routes.bindings()[route.index(routes.bindings().len())];
        let vars: Vec<(String, String)> =
            binding.template.fields().map(|f| (f.to_owned(), "clients/abc".to_owned())).collect();
        if let Err(err) = request_message(binding, &vars, Some(&query), &body) {
            prop_assert_eq!(err.code(), Code::InvalidArgument, "{:?}", err);
        }
    }

    /// Text in a body field and in a query parameter arrives unchanged.
    #[test]
    fn body_and_query_text_round_trip(display in "\\PC{1,40}", filter in "\\PC{0,40}", size in 0i32..1000) {
        let routes = routes();
        let Found::Route(create, vars) = routes.find(&Method::POST, "/v1/clients") else {
            return Err(TestCaseError::fail("POST /v1/clients is not routed"));
        };
        let body = json!({"displayName": display, "city": filter}).to_string();
        let message = request_message(create, &vars, None, body.as_bytes()).expect("a message");
        prop_assert_eq!(text_of(&message, &["client", "display_name"]), display.clone());
        prop_assert_eq!(text_of(&message, &["client", "city"]), filter.clone());

        let Found::Route(list, vars) = routes.find(&Method::GET, "/v1/clients") else {
            return Err(TestCaseError::fail("GET /v1/clients is not routed"));
        };
        let query = format!("filter={}&pageSize={size}", encode(&filter));
        let message = request_message(list, &vars, Some(&query), b"").expect("a message");
        prop_assert_eq!(text_of(&message, &["filter"]), filter);
        prop_assert_eq!(message.get_field_by_name("page_size").and_then(|v| v.as_i32()), Some(size));
    }
}
