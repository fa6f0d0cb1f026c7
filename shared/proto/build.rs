//! Compiles `proto/` with protox (no system protoc) into Rust code and a descriptor set.
//!
//! The descriptor set is written from protox's encoded bytes, not from a decoded
//! `prost_types::FileDescriptorSet`, so extension options such as `google.api.http`
//! survive for the gateway's transcoder.

use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let files = ["crm/profile/v1/profile_service.proto", "crm/gateway/v1/client_view.proto"];

    let mut compiler = protox::Compiler::new([&root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(files)?;
    fs::write(out.join("crm_descriptor.bin"), compiler.encode_file_descriptor_set())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Ordered maps encode deterministically: request fingerprints and etags rely on it.
        .btree_map(".")
        .compile_fds(compiler.file_descriptor_set())?;

    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
