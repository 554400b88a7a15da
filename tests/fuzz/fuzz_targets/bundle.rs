//! The bundle decoder: header, signature block, hash, postcard payload and the consistency check.
//! Whatever decodes must also assess its own example patients without panicking, so a bundle
//! that passes `check` but is shaped to break inference is caught too.
#![no_main]

use bedside::{bundle, form, signature, Bundle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = signature::split(data);
    let _ = bundle::payload_sha256(data);
    if let Ok(b) = Bundle::from_bytes(data) {
        for ex in b.examples.iter().take(2) {
            let _ = form::evaluate(&b, &ex.inputs);
        }
        let blank = vec![String::new(); b.schema.features.len()];
        let _ = form::evaluate(&b, &blank);
    }
});
