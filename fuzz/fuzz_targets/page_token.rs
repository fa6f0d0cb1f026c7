//! A page token as a caller sends it: refused, as INVALID_ARGUMENT, unless this key issued
//! it for this query (which a fuzzer cannot forge).
#![no_main]

use crm_kit::paging::PageTokens;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|token: &str| {
    let tokens = PageTokens::new(b"the fuzz target's 32-byte page key");
    match tokens.decode::<(i64, String)>("filter=&order_by=", token) {
        Ok(_) => panic!("a token this key never issued was accepted: {token:?}"),
        Err(err) => assert_eq!(err.code(), tonic::Code::InvalidArgument),
    }
});
