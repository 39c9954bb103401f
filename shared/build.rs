//! Compiles `proto/` with protox (no system `protoc`) and generates the tonic/prost code.
//!
//! The encoded descriptor set, with imports, source info and the `google.api.http` options kept,
//! is written to `OUT_DIR/stride_descriptor.bin`: reflection serves it and Envoy's transcoder
//! reads the same bytes. It also holds `google.rpc.Status` and the error detail messages
//! (`ErrorInfo`, `BadRequest`, `RetryInfo`…), which the services send in
//! `grpc-status-details-bin`: Envoy's `convert_grpc_status` can turn an error into its
//! `google.rpc.Status` JSON body only when every detail type is in the set. No Rust is generated
//! for them (`tonic-types` has it).

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let mut files = Vec::new();
    collect_protos(&proto_root.join("stride"), &mut files)?;
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let mut compiler = protox::Compiler::new([&proto_root])?;
    compiler.include_imports(true).include_source_info(true);
    compiler.open_files(&files)?;
    let generated = compiler.file_descriptor_set();
    compiler.open_files(["google/rpc/status.proto", "google/rpc/error_details.proto"])?;

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("stride_descriptor.bin"),
        compiler.encode_file_descriptor_set(),
    )?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Services answer UNIMPLEMENTED for any RPC a handler does not override.
        .generate_default_stubs(true)
        .compile_fds(generated)?;
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
