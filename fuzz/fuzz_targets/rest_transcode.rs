//! A REST call as a caller sends it: method, path, query and body routed and transcoded by
//! the gateway into the request message of an RPC, or refused as INVALID_ARGUMENT.
#![no_main]

use std::sync::LazyLock;

use crm_gateway::rest::{Found, RestRoutes, request_message};
use libfuzzer_sys::fuzz_target;

static ROUTES: LazyLock<RestRoutes> = LazyLock::new(|| {
    let pool = crm_gateway::descriptors::load().expect("pool");
    let services: Vec<String> = pool.services().map(|s| s.full_name().to_owned()).collect();
    RestRoutes::build(&pool, services.iter().map(String::as_str)).expect("routes")
});

const METHODS: [http::Method; 4] = [http::Method::GET, http::Method::POST, http::Method::PATCH, http::Method::DELETE];

fuzz_target!(|input: (u8, &str, &str, &[u8])| {
    let (method, path, query, body) = input;
    let method = &METHODS[usize::from(method) % METHODS.len()];
    if let Found::Route(binding, vars) = ROUTES.find(method, path) {
        if let Err(err) = request_message(binding, &vars, Some(query), body) {
            assert_eq!(err.code(), tonic::Code::InvalidArgument);
        }
    }
});
