//! The hand-written payload decoder (`bundle::read_payload`) against serde's decoder of the
//! same bytes (`bundle::read_payload_with_serde`): for any bytes, the same bundle or the same
//! error, word for word. A difference is a panic, so libFuzzer keeps the input.
//!
//! Inputs are shaped as the `bundle` target's, so the two share seeds: the first byte is that
//! target's mode and is ignored here, the rest is the payload.
#![no_main]

use bedside::bundle::{read_payload as read, read_payload_with_serde as read_with_serde};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((_, payload)) = data.split_first() else {
        return;
    };
    let outcome = |r: bedside::Result<bedside::Bundle>| {
        r.map(|b| postcard::to_allocvec(&b).ok())
            .map_err(|e| e.to_string())
    };
    let ours = outcome(read(payload));
    let reference = outcome(read_with_serde(payload));
    assert!(
        ours == reference,
        "the decoders disagree: {:?} against {:?}",
        ours.as_ref().err(),
        reference.as_ref().err()
    );
});
