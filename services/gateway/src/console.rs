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

use std::sync::LazyLock;

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
        const BODY: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../console/dist/", $path));
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

/// The built console, listed by `build.rs` from `console/dist`.
pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

/// Files under `assets/` are named by their content hash (`console/vite.config.ts`): a
/// browser may keep them for good. Everything else is revalidated with its ETag.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Scripts, styles and data only from the gateway itself, plus the page's inline boot script
/// by its hash; no framing (clickjacking), no plugins. Charts are inline SVG elements, which
/// `img-src` does not govern.
static CONTENT_SECURITY_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let inline: String =
        inline_scripts(index().body).map(|script| format!(" 'sha256-{}'", sha256_base64(script))).collect();
    let policy = format!(
        "default-src 'none'; script-src 'self'{inline}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
});

/// The contents of the page's inline `<script>` elements (those without `src`).
fn inline_scripts(page: &[u8]) -> impl Iterator<Item = &[u8]> {
    const OPEN: &[u8] = b"<script>";
    const CLOSE: &[u8] = b"</script>";
    let mut rest = page;
    std::iter::from_fn(move || {
        let start = find_bytes(rest, OPEN)? + OPEN.len();
        let len = find_bytes(&rest[start..], CLOSE)?;
        let script = &rest[start..start + len];
        rest = &rest[start + len + CLOSE.len()..];
        Some(script)
    })
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn sha256_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

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
    // build.rs refuses to build without index.html.
    find("index.html").unwrap_or(&ASSETS[0])
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
    let cache = if asset.path.starts_with("assets/") { IMMUTABLE } else { "no-cache" };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY.clone());
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
