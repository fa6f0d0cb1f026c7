//! The profile's per-call pure work on the contact-centre path: masking what an agent may
//! not see, and normalising the identifier a caller gives into a lookup key.
//!
//! Calls `crm_profile::domain::mask::{client, contact}` and
//! `crm_profile::domain::lookup::from_request` and `crm_profile::domain::phone::lookup_form`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crm_profile::domain::{lookup, mask, phone};
use crm_proto::crm::profile::v1::{Client, Contact, LookupClientRequest};

fn masking(c: &mut Criterion) {
    let client = Client { tax_id: "91310000MA1FL0XX12".into(), ..Default::default() };
    let contact =
        Contact { phone: "+8613800138000".into(), email: "wang.jianguo@huaxin.cn".into(), ..Default::default() };
    c.bench_function("mask/client_tax_id", |b| {
        b.iter_batched_ref(|| client.clone(), |c| mask::client(black_box(c)), criterion::BatchSize::SmallInput)
    });
    c.bench_function("mask/contact_phone_and_email", |b| {
        b.iter_batched_ref(|| contact.clone(), |c| mask::contact(black_box(c)), criterion::BatchSize::SmallInput)
    });
}

fn lookup_keys(c: &mut Criterion) {
    let requests = [
        ("lei", LookupClientRequest { lei: " 5493001kjtiigc8y1r12 ".into(), ..Default::default() }),
        (
            "registration",
            LookupClientRequest {
                registration_number: "91310000 ma1fl0xx12".into(),
                country_code: "cn".into(),
                ..Default::default()
            },
        ),
        ("tax_id", LookupClientRequest { tax_id: "9131-0000 MA1FL0XX12".into(), ..Default::default() }),
        ("account", LookupClientRequest { account_number: "6222 0212 0001 2345".into(), ..Default::default() }),
        ("phone", LookupClientRequest { contact_phone: "(+86) 138-0013 8000".into(), ..Default::default() }),
        ("email", LookupClientRequest { contact_email: " Wang.Jianguo@HuaXin.cn ".into(), ..Default::default() }),
    ];
    for (kind, request) in &requests {
        // An invalid LEI is still normalised (and reported); the work is the same.
        c.bench_function(&format!("lookup_key/from_request/{kind}"), |b| {
            b.iter(|| lookup::from_request(black_box(request), "CN").is_ok())
        });
    }
    c.bench_function("lookup_key/phone_lookup_form", |b| {
        b.iter(|| phone::lookup_form(black_box("0086 138-0013 8000"), "CN"))
    });
    c.bench_function("lookup_key/phone_national", |b| b.iter(|| phone::lookup_form(black_box("010-6543 2100"), "CN")));
}

criterion_group!(benches, masking, lookup_keys);
criterion_main!(benches);
