//! The bundle decoder: header, signature block, hash, postcard payload and the consistency check.
//! Whatever decodes must also assess its own example patients and an empty form without
//! panicking, so a bundle that passes `check` but is shaped to break inference is caught too.
//!
//! The first byte picks the mode. Odd: the rest is a whole file (header and signature paths).
//! Even: the rest is a payload, wrapped in a header with its correct length and SHA-256, so the
//! fuzzer's mutations reach the postcard decoder and the checks instead of stopping at the hash.
#![no_main]

use bedside::bundle::{self, FORMAT_VERSION, MAGIC};
use bedside::bundle::signature;
use bedside::clinical::form;
use bedside::Bundle;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let file;
    let bytes = if mode % 2 == 1 {
        rest
    } else {
        let Ok(len) = u32::try_from(rest.len()) else { return };
        let mut f = Vec::with_capacity(44 + rest.len());
        f.extend_from_slice(&MAGIC);
        f.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(&len.to_le_bytes());
        f.extend_from_slice(&Sha256::digest(rest));
        f.extend_from_slice(rest);
        file = f;
        &file[..]
    };
    let _ = signature::split(bytes);
    let _ = bundle::payload_sha256(bytes);
    if let Ok(b) = Bundle::from_bytes(bytes) {
        for ex in b.examples.iter().take(2) {
            let _ = form::evaluate(&b, &ex.inputs);
        }
        let blank = vec![String::new(); b.schema.features.len()];
        let _ = form::evaluate(&b, &blank);
    }
});
