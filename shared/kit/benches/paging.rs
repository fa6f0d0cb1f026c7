//! Page tokens: signing a keyset cursor at the end of a page, and verifying and decoding it
//! at the start of the next.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crm_kit::paging::PageTokens;
use serde::{Deserialize, Serialize};

/// The shape of the profile's keyset cursor: the last row's sort key and id.
#[derive(Debug, Serialize, Deserialize)]
enum SortKey {
    Text(String),
    Int(i64),
}

#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    key: SortKey,
    id: String,
}

const QUERY: &str = "DisplayName|false|false|client.country_code == \"CN\" && client.lifecycle_stage == \"ACTIVE\"";

fn tokens(c: &mut Criterion) {
    let tokens = PageTokens::new(b"0123456789abcdef0123456789abcdef");
    let cursor =
        Cursor { key: SortKey::Text("华信精密机械".into()), id: "0000002a000000000000000000001f4e".into() };
    c.bench_function("page_token/encode", |b| b.iter(|| tokens.encode(black_box(QUERY), black_box(&cursor))));
    let token = tokens.encode(QUERY, &cursor);
    c.bench_function("page_token/decode", |b| {
        b.iter(|| tokens.decode::<Cursor>(black_box(QUERY), black_box(&token)).expect("valid"))
    });
    let numeric = tokens.encode(QUERY, &Cursor { key: SortKey::Int(860_000_000), id: "x".into() });
    c.bench_function("page_token/decode_rejects_other_query", |b| {
        b.iter(|| tokens.decode::<Cursor>(black_box("other"), black_box(&numeric)).is_err())
    });
}

criterion_group!(benches, tokens);
criterion_main!(benches);
