//! "What would change this": the nearest plausible change to the features a clinician could
//! actually change (those the schema marks `modifiable`) that alters the top suggestion.
//!
//! The search stays inside each feature's plausible range and on its input step. It tries one
//! feature at a time, walking outwards from the current value in both directions; if no single
//! change is enough it tries pairs of numeric features on a coarser grid. Distance is measured
//! in training standard deviations, so "2 mmHg" and "2 kg/m²" are compared fairly. It reports
//! that no change exists within range when that is the case, rather than extrapolating.

// Indexes inputs by positions taken from the schema and the preprocessing, whose widths
// `Bundle::check` matched at load.
#![allow(clippy::indexing_slicing)]

use serde::Serialize;

use crate::bundle::Bundle;
use crate::clinical::predict::probabilities;
use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::Kind;
use crate::model::metrics::argmax;
use crate::model::preprocess::Step;

/// Grid points tried per direction for one numeric feature.
const STEPS_SINGLE: usize = 400;
/// Grid points per direction per feature when trying pairs.
const STEPS_PAIR: usize = 20;

/// One feature's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureChange {
    /// Feature column.
    pub field: String,
    /// The value used now (the patient's or the imputed one).
    pub from: String,
    /// The suggested value.
    pub to: String,
}

/// The outcome of the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The schema marks no feature as modifiable.
    NothingModifiable,
    /// Not searched: a published equation's what-ifs are its treatment targets moved to their
    /// optimal values (`Assessment::targets`), which is what such an equation is used for.
    Targets,
    /// No change within the plausible ranges alters the top suggestion.
    NoneWithinRange {
        /// The features searched.
        searched: Vec<String>,
    },
    /// The nearest change found.
    Found {
        /// The changes (one or two features).
        changes: Vec<FeatureChange>,
        /// The class that would then be most probable.
        new_top: usize,
        /// Its calibrated probability after the change.
        probability: f64,
        /// Size of the change in training standard deviations (1 per categorical change).
        distance: f64,
    },
}

/// A candidate value for one feature and its cost.
#[derive(Clone, Copy)]
struct Move {
    feature: usize,
    value: Value,
    cost: f64,
}

fn fmt(v: Value, kind: &Kind) -> String {
    match (v, kind) {
        (Value::Number(x), _) => {
            // Grid arithmetic leaves float noise; show at most 6 significant decimals.
            let s = format!("{x:.6}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
        (Value::Bool(b), _) => b.to_string(),
        (Value::Level(i), Kind::Categorical { levels }) => {
            levels.get(i).map(|l| l.code.clone()).unwrap_or_default()
        }
        (Value::Level(i), _) => i.to_string(),
    }
}

/// Candidate moves for feature `j`, nearest first in each direction.
fn moves(bundle: &Bundle, record: &PatientRecord, j: usize, steps: usize) -> Vec<Move> {
    let Some(feature) = bundle.schema.features.get(j) else {
        return vec![];
    };
    let current = bundle
        .preprocessor
        .used_value(j, record.values().get(j).copied().flatten());
    match (&feature.kind, bundle.preprocessor.steps().get(j), current) {
        (
            Kind::Numeric {
                plausible,
                step,
                integer,
                ..
            },
            Some(Step::Standardize { scale, .. }),
            Some(Value::Number(v)),
        ) => {
            let span = plausible.max - plausible.min;
            // At most `steps` points per direction, on multiples of the input step.
            let unit = step.unwrap_or(0.0).max(if *integer { 1.0 } else { 0.0 });
            let h = if unit > 0.0 {
                (span / steps as f64 / unit).ceil().max(1.0) * unit
            } else {
                span / steps as f64
            };
            let mut out = Vec::new();
            for i in 1..=steps {
                for dir in [-1.0, 1.0] {
                    let x = v + dir * h * i as f64;
                    if x >= plausible.min && x <= plausible.max {
                        out.push(Move {
                            feature: j,
                            value: Value::Number(x),
                            cost: (x - v).abs() / scale,
                        });
                    }
                }
            }
            out
        }
        (Kind::Boolean { .. }, _, Some(Value::Bool(b))) => vec![Move {
            feature: j,
            value: Value::Bool(!b),
            cost: 1.0,
        }],
        (Kind::Categorical { levels }, _, Some(Value::Level(cur))) => (0..levels.len())
            .filter(|&i| i != cur)
            .map(|i| Move {
                feature: j,
                value: Value::Level(i),
                cost: 1.0,
            })
            .collect(),
        _ => vec![],
    }
}

/// Search for the nearest change to modifiable features that changes the top class.
pub fn what_would_change(bundle: &Bundle, record: &PatientRecord, top: usize) -> Change {
    let schema = &bundle.schema;
    let modifiable: Vec<usize> = schema
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.modifiable)
        .map(|(j, _)| j)
        .collect();
    if modifiable.is_empty() {
        return Change::NothingModifiable;
    }
    let flips = |r: &PatientRecord| {
        let p = probabilities(bundle, r);
        let t = argmax(&p);
        (t != top).then(|| (t, p.get(t).copied().unwrap_or(0.0)))
    };
    let mut best: Option<(f64, Vec<Move>, usize, f64)> = None;
    for &j in &modifiable {
        for m in moves(bundle, record, j, STEPS_SINGLE) {
            if best.as_ref().is_some_and(|b| m.cost >= b.0) {
                continue;
            }
            if let Some((t, p)) = flips(&record.with_value(j, m.value)) {
                best = Some((m.cost, vec![m], t, p));
            }
        }
    }
    if best.is_none() {
        let numeric: Vec<usize> = modifiable
            .iter()
            .copied()
            .filter(|&j| matches!(schema.features[j].kind, Kind::Numeric { .. }))
            .collect();
        for (a, &i) in numeric.iter().enumerate() {
            for &j in &numeric[a + 1..] {
                let (mi, mj) = (
                    moves(bundle, record, i, STEPS_PAIR),
                    moves(bundle, record, j, STEPS_PAIR),
                );
                for x in &mi {
                    for y in &mj {
                        let cost = x.cost.hypot(y.cost);
                        if best.as_ref().is_some_and(|b| cost >= b.0) {
                            continue;
                        }
                        if let Some((t, p)) =
                            flips(&record.with_value(i, x.value).with_value(j, y.value))
                        {
                            best = Some((cost, vec![*x, *y], t, p));
                        }
                    }
                }
            }
        }
    }
    match best {
        None => Change::NoneWithinRange {
            searched: modifiable
                .iter()
                .map(|&j| schema.features[j].column.clone())
                .collect(),
        },
        Some((distance, moves, new_top, probability)) => Change::Found {
            changes: moves
                .iter()
                .map(|m| {
                    let f = &schema.features[m.feature];
                    let from = bundle
                        .preprocessor
                        .used_value(m.feature, record.values().get(m.feature).copied().flatten())
                        .map(|v| fmt(v, &f.kind))
                        .unwrap_or_default();
                    FeatureChange {
                        field: f.column.clone(),
                        from,
                        to: fmt(m.value, &f.kind),
                    }
                })
                .collect(),
            new_top,
            probability,
            distance,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::sample_bundle;

    #[test]
    fn finds_the_glucose_that_flips_the_suggestion_and_it_really_flips() {
        let b = sample_bundle();
        let r =
            PatientRecord::from_json_text(&b.schema, r#"{"glu": 170, "smoker": 1, "sex": "f"}"#)
                .unwrap();
        let top = argmax(&probabilities(&b, &r));
        match what_would_change(&b, &r, top) {
            Change::Found {
                changes, new_top, ..
            } => {
                assert_ne!(new_top, top);
                assert_eq!(changes.len(), 1);
                assert_eq!(changes[0].field, "glu");
                let to: f64 = changes[0].to.parse().unwrap();
                assert!((20.0..170.0).contains(&to));
                let moved = r.with_value(0, Value::Number(to));
                assert_eq!(argmax(&probabilities(&b, &moved)), new_top);
                // One grid step less would not have been enough (it is the nearest).
                let h = (600.0 - 20.0) / STEPS_SINGLE as f64; // glu has no step in the sample
                let less = r.with_value(0, Value::Number(to + h));
                assert_eq!(argmax(&probabilities(&b, &less)), top);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn says_so_when_nothing_is_modifiable() {
        let mut b = sample_bundle();
        for f in &mut b.schema.features {
            f.modifiable = false;
        }
        let r = PatientRecord::from_json_text(&b.schema, r#"{"glu": 170, "smoker": 1}"#).unwrap();
        assert_eq!(what_would_change(&b, &r, 1), Change::NothingModifiable);
    }
}
