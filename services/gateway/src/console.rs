//! The contact-centre console at `/console`: a single-page front end built from `console/`
//! with npm at development time; its output (`console/dist/`, committed) is compiled into
//! the binary, so serving it needs no npm, no files on disk and nothing from the network.
//!
//! Every path under `/console` that is not a built asset answers the page itself, so the
//! browser's own routes (`/console/clients/…`, the telephony deep link `/console/pop?phone=…`)
//! load directly. Missing files under `/console/assets/` are 404 instead: a script or style
//! sheet answered with HTML would fail far from its cause.
//!
//! The page needs no token to load; it calls the REST API with the bearer token the user
//! pastes, and those calls pass the edge like any other.

use axum::{
    body::Body,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse as _, Response},
};

/// Where the console lives on the gateway.
pub const PREFIX: &str = "/console";

/// One embedded file of the built console.
#[derive(Debug)]
pub struct Asset {
    /// Path below `/console/`, as the page refers to it.
    pub path: &'static str,
    /// `Content-Type` it is served with.
    pub content_type: &'static str,
    /// The file as built.
    pub body: &'static [u8],
    /// Strong validator, a hash of `body` computed at compile time.
    etag: &'static str,
}

macro_rules! asset {
    ($path:literal, $content_type:literal) => {{
        const BODY: &[u8] = include_bytes!(concat!("../../../console/dist/", $path));
        const ETAG: [u8; 18] = etag(BODY);
        Asset {
            path: $path,
            content_type: $content_type,
            body: BODY,
            // Quote and 16 hex digits are ASCII, so this cannot fail.
            etag: match std::str::from_utf8(&ETAG) {
                Ok(etag) => etag,
                Err(_) => panic!("ETag is ASCII"),
            },
        }
    }};
}

/// The built console. The build (`console/vite.config.ts`) names its outputs without
/// content hashes, so this list only changes when a file is added; the gateway's tests check
/// that every file the page refers to is here.
pub static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("assets/console.js", "text/javascript; charset=utf-8"),
    asset!("assets/console.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

/// Scripts, styles and data only from the gateway itself; no framing (clickjacking), no
/// plugins. Charts are inline SVG elements, which `img-src` does not govern.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Answers a GET or HEAD for `/console` or anything below it.
pub async fn serve(uri: Uri, headers: HeaderMap) -> Response {
    let rest = uri.path().strip_prefix(PREFIX).unwrap_or_default().trim_start_matches('/');
    let asset = match find(rest) {
        Some(asset) => asset,
        None if rest.starts_with("assets/") => return StatusCode::NOT_FOUND.into_response(),
        None => index(),
    };
    respond(asset, &headers)
}

/// The embedded file at `path` (below `/console/`), if any.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

fn index() -> &'static Asset {
    &ASSETS[0]
}

fn respond(asset: &'static Asset, request: &HeaderMap) -> Response {
    let etag = HeaderValue::from_static(asset.etag);
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag || tag.trim() == "*"));
    let mut response =
        if fresh { StatusCode::NOT_MODIFIED.into_response() } else { Body::from(asset.body).into_response() };
    let headers = response.headers_mut();
    if !fresh {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    }
    headers.insert(header::ETAG, etag);
    // File names carry no hash: revalidate every time (a 304 on loopback costs little).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    response
}

/// `"<16 hex digits>"`: the quoted FNV-1a hash of `bytes`, usable in `const` context.
const fn etag(bytes: &[u8]) -> [u8; 18] {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    let hex = b"0123456789abcdef";
    let mut out = [b'"'; 18];
    let mut digit = 0;
    while digit < 16 {
        out[1 + digit] = hex[((hash >> (60 - 4 * digit)) & 0xf) as usize];
        digit += 1;
    }
    out
}
