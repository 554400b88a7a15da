//! The hand-written payload decoder (`bundle::read_payload`) against serde's decoder of the
//! same bytes (`bundle::read_payload_with_serde`): for any bytes, the same bundle or the same
//! error, word for word. A difference is a panic, so libFuzzer keeps the input.
//!
//! Inputs are shaped as the `bundle` target's, so the two share seeds: the first byte is the
//! mode. Even: the rest is a payload. Odd: the rest is a whole file, whose payload is compared
//! when its header, signature block and hash are right.
#![no_main]

use bedside::bundle::{check_hash, read_payload, read_payload_with_serde, signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let payload = if mode % 2 == 1 {
        let Ok(envelope) = signature::split(rest) else { return };
        let Ok(payload) = check_hash(envelope.bundle) else { return };
        payload
    } else {
        rest
    };
    let outcome = |r: bedside::Result<bedside::Bundle>| {
        r.map(|b| postcard::to_allocvec(&b).ok())
            .map_err(|e| e.to_string())
    };
    let ours = outcome(read_payload(payload));
    let reference = outcome(read_payload_with_serde(payload));
    assert!(
        ours == reference,
        "the decoders disagree: {:?} against {:?}",
        ours.as_ref().err(),
        reference.as_ref().err()
    );
});
