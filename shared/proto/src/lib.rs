//! Generated protobuf and gRPC code for the crm contracts, plus the encoded descriptor set
//! (with `google.api.http` options intact) for reflection and REST transcoding.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Encoded `FileDescriptorSet` of every crm proto and its imports.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/crm_descriptor.bin"));

/// `google.*` dependency types.
pub mod google {
    /// `google.api`: HTTP annotations.
    pub mod api {
        include!(concat!(env!("OUT_DIR"), "/google.api.rs"));
    }
    /// `google.type`: Money.
    pub mod r#type {
        include!(concat!(env!("OUT_DIR"), "/google.r#type.rs"));
    }
}

/// `crm.*` contracts.
pub mod crm {
    /// Client profile service.
    pub mod profile {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crm.profile.v1.rs"));
        }
    }
    /// Gateway-served contracts (client 360 view).
    pub mod gateway {
        /// Version 1.
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/crm.gateway.v1.rs"));
        }
    }
}
