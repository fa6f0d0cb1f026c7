//! Lists the built console (`console/dist`, committed) for `src/console.rs` to embed. The
//! build names scripts and styles by content hash, so the list is written here, at compile
//! time, rather than by hand; a change under `console/dist` rebuilds the gateway.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = manifest.join("../../console/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    walk(&dist, &dist, &mut files);
    files.sort();
    assert!(
        files.iter().any(|f| f == "index.html"),
        "console/dist/index.html is missing: build the console (cd console && npm ci && npm run build)"
    );
    let mut table = String::from("&[\n");
    for file in &files {
        table.push_str(&format!("    asset!({file:?}, {:?}),\n", content_type(file)));
    }
    table.push_str("]\n");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("console_assets.rs");
    fs::write(out, table).expect("write the console asset table");
}

/// Every file below `dir`, as a `/`-separated path relative to `root`.
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            let relative = path.strip_prefix(root).expect("below the root");
            let parts: Vec<_> = relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            out.push(parts.join("/"));
        }
    }
}

/// The `Content-Type` of a built file; an unknown kind stops the build rather than being
/// served as something a browser might sniff.
fn content_type(file: &str) -> &'static str {
    match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("json") => "application/json",
        _ => panic!("console/dist/{file}: no content type known for this kind of file (add it to build.rs)"),
    }
}
