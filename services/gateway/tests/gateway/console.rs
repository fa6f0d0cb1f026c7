//! The console at `/console`: the page and its assets come from the binary with their
//! content types, browser routes fall back to the page, and the embedded list matches what
//! the console build produced.

use std::collections::BTreeSet;

use bytes::Bytes;
use crm_gateway::console;
use crm_kit::config::Limits;
use crm_testkit::{TestKeys, TestServer};
use http::{StatusCode, header};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

use crate::support::{gateway_config, start_gateway};

struct Response {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

/// A gateway with no backends: the console needs none to be served.
async fn gateway() -> TestServer {
    start_gateway(gateway_config(), TestKeys::new().verifier, Limits { drain_timeout_ms: 1_000, ..Limits::default() })
        .await
}

async fn get(gateway: &TestServer, path: &str, if_none_match: Option<&str>) -> Response {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let mut request = http::Request::get(format!("{}{path}", gateway.url()));
    if let Some(etag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, etag);
    }
    let response = client.request(request.body(Empty::new()).expect("request")).await.expect("GET");
    let (parts, body) = response.into_parts();
    Response { status: parts.status, headers: parts.headers, body: body.collect().await.expect("body").to_bytes() }
}

fn content_type(response: &Response) -> &str {
    response.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The `/console/...` URLs the page loads (its script, style sheet and icon).
fn referenced(page: &str) -> BTreeSet<String> {
    page.split(['"', '\''])
        .filter(|part| part.starts_with("/console/") && part.len() > "/console/".len())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_page_and_its_assets_are_served_from_the_binary() {
    let gateway = gateway().await;

    let page = get(&gateway, "/console", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(content_type(&page), "text/html; charset=utf-8");
    assert_eq!(&page.body[..], console::find("index.html").expect("embedded page").body);
    let csp = page.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), "{csp}");
    // The page's inline boot script (it starts a screen pop's call early) is allowed by hash only.
    assert!(csp.contains("script-src 'self' 'sha256-") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers.get(header::CACHE_CONTROL).map(|v| v.as_bytes()), Some(&b"no-cache"[..]));
    assert_eq!(page.headers.get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.as_bytes()), Some(&b"nosniff"[..]));

    let text = std::str::from_utf8(&page.body).expect("utf-8 page");
    let assets = referenced(text);
    assert!(assets.iter().any(|a| a.ends_with(".js")) && assets.iter().any(|a| a.ends_with(".css")), "{assets:?}");
    for path in &assets {
        let asset = get(&gateway, path, None).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}");
        let expected = match path.rsplit('.').next() {
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("svg") => "image/svg+xml",
            other => panic!("unexpected asset type {other:?} in {path}"),
        };
        assert_eq!(content_type(&asset), expected, "{path}");
        let embedded = console::find(path.trim_start_matches("/console/")).expect("embedded");
        assert_eq!(&asset.body[..], embedded.body, "{path}");
        // Built scripts and styles are named by content hash: cacheable for good.
        if path.starts_with("/console/assets/") {
            let cache = asset.headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).unwrap_or_default();
            assert!(cache.contains("immutable"), "{path}: {cache}");
        }
    }
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_routes_fall_back_to_the_page_but_missing_assets_are_404() {
    let gateway = gateway().await;
    let index = console::find("index.html").expect("embedded page").body;
    for path in [
        "/console/",
        "/console/clients/0000002a000000000000000000000000",
        "/console/pop?phone=%2B8613800138000",
        "/console/portfolio",
        "/console/no/such/screen",
    ] {
        let response = get(&gateway, path, None).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(content_type(&response), "text/html; charset=utf-8", "{path}");
        assert_eq!(&response.body[..], index, "{path}");
    }
    // A script or style sheet answered with HTML would fail far from its cause.
    let missing = get(&gateway, "/console/assets/no-such-file.js", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // The REST API is untouched: an unknown API path is still its JSON 404.
    let api = get(&gateway, "/v1/no-such-thing", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(content_type(&api), "application/json");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_page_is_revalidated_with_its_etag() {
    let gateway = gateway().await;
    let first = get(&gateway, "/console", None).await;
    let etag = first.headers.get(header::ETAG).and_then(|v| v.to_str().ok()).expect("etag").to_owned();
    let again = get(&gateway, "/console/clients/any", Some(&etag)).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let changed = get(&gateway, "/console", Some("\"0000000000000000\"")).await;
    assert_eq!(changed.status, StatusCode::OK);
    gateway.stop().await;
}

/// Every file of the committed build is embedded, so a rebuilt console that adds one fails
/// here rather than in a browser.
#[test]
fn every_file_of_the_console_build_is_embedded() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console/dist");
    let mut on_disk = BTreeSet::new();
    let mut stack = vec![dist.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("console/dist is committed") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(&dist).expect("below dist").to_string_lossy().replace('\\', "/");
                on_disk.insert(relative);
            }
        }
    }
    let embedded: BTreeSet<String> = console::ASSETS.iter().map(|a| a.path.to_owned()).collect();
    assert_eq!(on_disk, embedded);
    for asset in console::ASSETS {
        assert_eq!(std::fs::read(dist.join(asset.path)).expect("read"), asset.body, "{} is stale", asset.path);
    }
}
