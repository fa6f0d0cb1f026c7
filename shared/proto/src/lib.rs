//! Generated protobuf and gRPC code for the crm contracts, plus the encoded descriptor set
//! (with `google.api.http` options intact) for reflection and REST transcoding.
//!
//! Modules follow the proto packages: `crm::profile::v1`, `crm::scoring::v1`, ...,
//! `google::api`, `google::r#type`.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Encoded `FileDescriptorSet` of every crm proto and its imports.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/crm_descriptor.bin"));

include!(concat!(env!("OUT_DIR"), "/crm_modules.rs"));
