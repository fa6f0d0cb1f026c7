//! Compiles every `.proto` under `proto/crm` with protox (no system protoc) into Rust code
//! and a descriptor set. A new contract file is picked up without touching this crate.
//!
//! The descriptor set is written from protox's encoded bytes, not from a decoded
//! `prost_types::FileDescriptorSet`, so extension options such as `google.api.http`
//! survive for the gateway's transcoder.

use std::{
    env, fs,
    path::{Path, PathBuf},
};

fn protos(dir: &Path, root: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            protos(&path, root, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            let relative = path.strip_prefix(root).expect("under root");
            out.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let out = PathBuf::from(env::var("OUT_DIR")?);
    let mut files = Vec::new();
    protos(&root.join("crm"), &root, &mut files)?;
    files.sort();

    let mut compiler = protox::Compiler::new([&root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;
    fs::write(out.join("crm_descriptor.bin"), compiler.encode_file_descriptor_set())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Ordered maps encode deterministically: request fingerprints and etags rely on it.
        .btree_map(".")
        .include_file("crm_modules.rs")
        .compile_fds(compiler.file_descriptor_set())?;

    println!("cargo:rerun-if-changed={}", root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    Ok(())
}
