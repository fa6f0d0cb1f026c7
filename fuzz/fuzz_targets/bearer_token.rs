//! An `authorization` value as a caller sends it: UNAUTHENTICATED unless signed by the key
//! (which a fuzzer cannot forge).
#![no_main]

use crm_kit::auth::{AuthConfig, SecretKey, TokenVerifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|token: &str| {
    let key = SecretKey::from_bytes(b"the fuzz target's HS256 signing key".to_vec()).expect("key");
    let verifier = TokenVerifier::from_secret(&key, &AuthConfig::default()).expect("verifier");
    match verifier.verify(token) {
        Ok(principal) => panic!("an unsigned token was accepted: {principal:?}"),
        Err(err) => assert_eq!(err.code(), tonic::Code::Unauthenticated),
    }
});
