// Keep the `target_features` section when the release profile strips the wasm: without it
// wasm-bindgen warns and wasm-opt refuses bulk-memory instructions (see TOOLCHAIN.md).
//
// The built-in trusted keys and signature policy (`web::trust`) are compile-time settings,
// BEDSIDE_TRUSTED_KEYS (hex Ed25519 public keys, comma-separated) and BEDSIDE_SIGNATURE_POLICY
// (require | warn | off). They are checked here, so a wrong key fails the build instead of every
// page load, and written out as constants, so the app carries no code to parse them.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-env-changed=BEDSIDE_TRUSTED_KEYS");
    println!("cargo:rerun-if-env-changed=BEDSIDE_SIGNATURE_POLICY");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--keep-section=target_features");
    }
    let keys = std::env::var("BEDSIDE_TRUSTED_KEYS").unwrap_or_default();
    let mut out = String::from("/// Ed25519 public keys built in (BEDSIDE_TRUSTED_KEYS).\npub const KEYS: &[[u8; 32]] = &[\n");
    for key in keys
        .split([',', ' ', '\n'])
        .filter(|k| !k.trim().is_empty())
    {
        let key = key.trim();
        let bytes: Option<Vec<u8>> = (key.len() == 64)
            .then(|| {
                (0..32)
                    .map(|i| {
                        key.get(2 * i..2 * i + 2)
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    })
                    .collect()
            })
            .flatten();
        let Some(bytes) = bytes else {
            println!("cargo:warning=BEDSIDE_TRUSTED_KEYS: `{key}` is not an Ed25519 public key (64 hex digits)");
            std::process::exit(1);
        };
        let _ = writeln!(out, "    {bytes:?},");
    }
    out.push_str("];\n");
    let policy = match std::env::var("BEDSIDE_SIGNATURE_POLICY")
        .as_deref()
        .map(str::trim)
    {
        Err(_) | Ok("") => "None",
        Ok("require") => "Some(Policy::Require)",
        Ok("warn") => "Some(Policy::Warn)",
        Ok("off") => "Some(Policy::Off)",
        Ok(other) => {
            println!(
                "cargo:warning=BEDSIDE_SIGNATURE_POLICY `{other}` is not one of require, warn, off"
            );
            std::process::exit(1);
        }
    };
    let _ = writeln!(out, "/// The built-in policy (BEDSIDE_SIGNATURE_POLICY), if set.\npub const POLICY: Option<Policy> = {policy};");
    let dir = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    if let Err(e) = std::fs::write(std::path::Path::new(&dir).join("trusted_keys.rs"), out) {
        println!("cargo:warning=cannot write trusted_keys.rs: {e}");
        std::process::exit(1);
    }
}
