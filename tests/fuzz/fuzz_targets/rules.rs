//! Guideline rule files, compiled against the shipped schemas (pima, indo_rct, colon), then
//! evaluated for a patient with nothing entered and for one with every value at a range end.
#![no_main]

use bedside::contract::patient::Value;
use bedside::contract::schema::Kind;
use bedside::guidance::rules::{Facts, RuleSet};
use bedside::Schema;
use libfuzzer_sys::fuzz_target;

const SCHEMAS: [&str; 3] = [
    include_str!("../../../data/pima.schema.toml"),
    include_str!("../../../data/indo_rct.schema.toml"),
    include_str!("../../../data/colon.schema.toml"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let Some(schema_text) = SCHEMAS.get(usize::from(pick) % SCHEMAS.len()) else { return };
    let Ok(schema) = Schema::from_toml(schema_text) else { return };
    let Ok(rules) = RuleSet::from_toml(text, &schema) else { return };
    let _ = rules.check(&schema);
    let k = schema.target.classes.len();
    let probabilities = vec![1.0 / k as f64; k];
    let inputs = vec![None; rules.inputs.len()];
    let missing = vec![None; schema.features.len()];
    let _ = rules.evaluate(&schema, Facts { values: &missing, inputs: &inputs, probabilities: &probabilities });
    let answers = vec![Some(pick % 2 == 0); rules.inputs.len()];
    let edge: Vec<Option<Value>> = schema
        .features
        .iter()
        .map(|f| match &f.kind {
            Kind::Numeric { plausible, .. } => {
                Some(Value::Number(if pick % 2 == 0 { plausible.min } else { plausible.max }))
            }
            Kind::Categorical { levels } => Some(Value::Level(levels.len().saturating_sub(1))),
            Kind::Boolean { .. } => Some(Value::Bool(pick % 2 == 0)),
        })
        .collect();
    let _ = rules.evaluate(&schema, Facts { values: &edge, inputs: &answers, probabilities: &probabilities });
});
