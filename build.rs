// Keep the `target_features` section when the release profile strips the wasm: without it
// wasm-bindgen warns and wasm-opt refuses bulk-memory instructions (see TOOLCHAIN.md).
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--keep-section=target_features");
    }
}
