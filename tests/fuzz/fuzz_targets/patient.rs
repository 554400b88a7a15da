//! Patient input as every front end gives it: JSON text to `assess` and to the treatment
//! suggestions, and the form's text fields (one per line), in either unit system.
#![no_main]

use bedside::clinical::treatment::suggest;
use bedside::clinical::{assess, form};
use bedside::Bundle;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// pima (rules, a unit switch) and indo_rct (a trial with rules).
fn bundles() -> &'static [Bundle] {
    static B: OnceLock<Vec<Bundle>> = OnceLock::new();
    B.get_or_init(|| {
        [
            &include_bytes!("../../../static/bundles/pima.bdsx")[..],
            &include_bytes!("../../../static/bundles/indo_rct.bdsx")[..],
        ]
        .iter()
        .filter_map(|b| Bundle::from_bytes(b).ok())
        .collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let bundles = bundles();
    let Some(bundle) = bundles.get(usize::from(pick & 1) % bundles.len().max(1)) else { return };
    match pick >> 1 & 3 {
        0 => drop(assess::assess_text(bundle, text)),
        1 => drop(suggest::suggest_text(bundle, text)),
        m => {
            let inputs: Vec<String> = text.split('\n').map(str::to_owned).collect();
            drop(form::evaluate_in(bundle, &inputs, m == 3));
            drop(form::switch_units(&bundle.schema, &inputs, m == 3));
        }
    }
});
