//! What integration tests share: the repository's files, and bundles trained from them as
//! `./dev.sh build` trains them. Each test crate uses part of it.
#![allow(dead_code)]

use bedside::train::candidates::Spec;
use bedside::train::{train, TrainInput};
use bedside::Schema;

/// A file of the repository, as text.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The bundle file trained from `data/<id>.schema.toml` on `csv`, with the rule file beside the
/// schema when there is one, and `candidates` in place of the usual seven when given.
pub fn trained_bytes(id: &str, csv: &str, candidates: Option<Vec<Spec>>) -> Vec<u8> {
    let schema = Schema::from_toml(&read(&format!("data/{id}.schema.toml"))).unwrap();
    let data = read(csv);
    let rules = std::fs::read_to_string(format!(
        "{}/data/{id}.rules.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .ok();
    let mut input = TrainInput::new(&schema, &data, None);
    input.rules = rules.as_deref();
    if let Some(candidates) = candidates {
        input.candidates = candidates;
    }
    train(&input, &|_, _, _| {}).unwrap().bytes
}
