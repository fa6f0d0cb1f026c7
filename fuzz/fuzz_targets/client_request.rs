//! A CreateClient request as bytes on the wire: decoded as protobuf, then the client parsed
//! as the profile service does; an accepted client parses again from its stored form.
#![no_main]

use crm_profile::domain::client::NewClient;
use crm_proto::crm::profile::v1::CreateClientRequest;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;

fuzz_target!(|bytes: &[u8]| {
    let Ok(request) = CreateClientRequest::decode(bytes) else { return };
    let Some(client) = request.client else { return };
    match NewClient::parse(client) {
        Ok(parsed) => {
            let manager = parsed.relationship_manager().to_owned();
            let stored = parsed.into_client(manager, "api");
            assert!(NewClient::parse(stored).is_ok(), "a stored client is refused");
        }
        Err(err) => assert_eq!(err.code(), tonic::Code::InvalidArgument),
    }
});
