//! Signature checks in the browser: the keys this build trusts, and Ed25519 verification by the
//! browser's own Web Crypto (no crypto code in the WASM). The format and the decision are the
//! core's (`signature`); this module only supplies the keys and the verifier.

use wasm_bindgen::prelude::*;

use crate::bundle::signature::{Policy, Trust};
use crate::error::{Error, Result};

#[cfg(feature = "ui")]
pub use verify::{built_in, open};

mod built {
    use crate::bundle::signature::Policy;
    include!(concat!(env!("OUT_DIR"), "/trusted_keys.rs"));
}

/// `keys` under the host's policy, else the one the deployer built in
/// (`BEDSIDE_SIGNATURE_POLICY`), else `require` — also when no key is trusted at all, so a
/// build without keys refuses every bundle rather than quietly accepting unsigned or re-signed
/// ones behind a banner. `warn` is only ever an explicit choice.
fn trust(keys: Vec<[u8; 32]>, policy: Option<Policy>) -> Trust {
    let policy = policy.or(built::POLICY).unwrap_or(Policy::Require);
    Trust { keys, policy }
}

/// The trust a host asks for in an options object: `trustedKeys` (an array of hex keys, or one
/// string of them) and `signaturePolicy`.
pub fn from_options(options: &JsValue) -> Result<Trust> {
    let get = |k: &str| js_sys::Reflect::get(options, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let keys = get("trustedKeys");
    let keys = if keys.is_undefined() || keys.is_null() {
        None
    } else if let Some(s) = keys.as_string() {
        Some(s)
    } else if js_sys::Array::is_array(&keys) {
        let list: Option<Vec<String>> = js_sys::Array::from(&keys)
            .iter()
            .map(|k| k.as_string())
            .collect();
        Some(
            list.ok_or_else(|| Error::Signature("trustedKeys must hold strings of hex".into()))?
                .join(","),
        )
    } else {
        return Err(Error::Signature(
            "trustedKeys must be an array of hex keys or one comma-separated string of them".into(),
        ));
    };
    let policy = get("signaturePolicy");
    let policy = match (
        policy.is_undefined() || policy.is_null(),
        policy.as_string(),
    ) {
        (true, _) => None,
        (false, Some(p)) => Some(p),
        (false, None) => {
            return Err(Error::Signature(
                "signaturePolicy must be require, warn or off".into(),
            ))
        }
    };
    let mut all = built::KEYS.to_vec();
    all.extend(Trust::parse_keys(keys.as_deref().unwrap_or_default())?);
    Ok(trust(
        all,
        policy.as_deref().map(Policy::parse).transpose()?,
    ))
}

/// Verification with Web Crypto (the UI build; the headless engine leaves the verification to
/// its host: `signedMessage` + `openChecked`).
#[cfg(feature = "ui")]
mod verify {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    use crate::bundle::signature::{message, split, to_verify, Provenance, Trust};
    use crate::bundle::Bundle;
    use crate::error::{Error, Result};

    /// Keys built in at compile time (`BEDSIDE_TRUSTED_KEYS`, set by `./dev.sh build` to the
    /// build's signing key; checked by `build.rs`) and the policy `BEDSIDE_SIGNATURE_POLICY`.
    pub fn built_in() -> Trust {
        super::trust(super::built::KEYS.to_vec(), None)
    }

    // The arguments are views into the WASM memory, valid only until Rust runs again (or the memory
    // grows): they are copied before the first `await`.
    #[wasm_bindgen(inline_js = "export async function ed25519_verify(key, sig, msg) {
      const [k, s, m] = [key.slice(), sig.slice(), msg.slice()];
      const imported = await crypto.subtle.importKey('raw', k, { name: 'Ed25519' }, false, ['verify']);
      return crypto.subtle.verify({ name: 'Ed25519' }, imported, s, m);
    }")]
    extern "C" {
        #[wasm_bindgen(catch)]
        fn ed25519_verify(
            key: &[u8],
            sig: &[u8],
            msg: &[u8],
        ) -> std::result::Result<js_sys::Promise, JsValue>;
    }

    /// Check the signature against `trust`, then decode: [`Bundle::open`] with Web Crypto.
    pub async fn open(bytes: &[u8], trust: &Trust) -> Result<(Bundle, Provenance)> {
        let envelope = split(bytes)?;
        crate::bundle::format::check_hash(envelope.bundle)?;
        let valid = match to_verify(trust, &envelope) {
            Some(b) => {
                let unsupported = |e: JsValue| {
                    Error::Signature(format!(
                        "this browser cannot check Ed25519 signatures ({})",
                        js_sys::Reflect::get(&e, &"message".into())
                            .ok()
                            .and_then(|m| m.as_string())
                            .unwrap_or_default()
                    ))
                };
                let promise = ed25519_verify(&b.key, &b.signature, &message(envelope.bundle))
                    .map_err(unsupported)?;
                JsFuture::from(promise)
                    .await
                    .map_err(unsupported)?
                    .is_truthy()
            }
            None => false,
        };
        Bundle::accept(trust, &envelope, valid)
    }
}
