//! Build script of the Lambda function crates: their binaries are linked as position-dependent
//! executables on Linux. A position-independent one carries a relocation record for every pointer in
//! its tables for the loader to patch at start (0.6 MB of `.rela.dyn` in the console binary, which kept
//! it over the 8 MB target). ASLR still randomises the heap, the stack and the shared libraries.
//! (`-z pack-relative-relocs` would shrink them and keep PIE, but its loader support needs glibc 2.36;
//! Lambda's provided.al2023 has 2.34.)
fn main() {
    // Its output depends only on the target, which has its own build directory.
    println!("cargo:rerun-if-changed=Cargo.toml");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
