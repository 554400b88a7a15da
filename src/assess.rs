//! The one entry point: a bundle and a patient in, an assessment (or a clear error) out.
//!
//! The CLI, the Yew app, the JS API and the tests all call this, so the numbers a clinician
//! sees in the browser are the numbers `bedside assess` prints.

use serde::Serialize;
use serde_json::Value as Json;

use crate::bundle::Bundle;
use crate::error::Result;
use crate::metrics::argmax;
use crate::patient::{PatientRecord, Value};
use crate::preprocess::Step;
use crate::schema::{Interval, Kind, Text};

/// One class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassProbability {
    /// The class code in the data.
    pub code: String,
    /// The class in words.
    pub label: Text,
    /// Model probability, in [0, 1].
    pub probability: f64,
}

/// Where a value lies relative to a reference or training range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Below the range.
    Low,
    /// Above the range.
    High,
}

/// A value worth pointing out to the clinician.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Flag {
    /// Outside the cited normal range.
    OutsideReference {
        /// Feature column.
        field: String,
        /// The value.
        value: f64,
        /// Below or above.
        side: Side,
        /// The normal range.
        range: Interval,
        /// Where the normal range comes from.
        source: String,
    },
    /// Plausible, but outside every value the model was trained on.
    OutsideTraining {
        /// Feature column.
        field: String,
        /// The value.
        value: f64,
        /// Below or above.
        side: Side,
        /// Smallest and largest training value.
        range: Interval,
    },
}

/// The result of assessing one patient with one bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Which bundle (schema id).
    pub bundle: String,
    /// Model family.
    pub model: String,
    /// One entry per target class, in schema order; sums to 1.
    pub probabilities: Vec<ClassProbability>,
    /// Index of the most probable class.
    pub top: usize,
    /// Columns whose missing values were imputed.
    pub imputed: Vec<String>,
    /// Values outside the normal range or the training data.
    pub flags: Vec<Flag>,
}

/// Validate `patient` (a JSON object of field → value) against the bundle's schema, preprocess
/// it and predict.
pub fn assess(bundle: &Bundle, patient: &Json) -> Result<Assessment> {
    let record = PatientRecord::from_json(&bundle.schema, patient)?;
    Ok(assess_record(bundle, &record))
}

/// As [`assess`], from JSON text; duplicate keys are refused.
pub fn assess_text(bundle: &Bundle, patient: &str) -> Result<Assessment> {
    let record = PatientRecord::from_json_text(&bundle.schema, patient)?;
    Ok(assess_record(bundle, &record))
}

/// Assess a record that has already passed the schema.
pub fn assess_record(bundle: &Bundle, record: &PatientRecord) -> Assessment {
    let schema = &bundle.schema;
    let t = bundle.preprocessor.transform(record);
    let proba = bundle.model.predict_proba(&t.x);
    let probabilities = schema
        .target
        .classes
        .iter()
        .zip(&proba)
        .map(|(c, &p)| ClassProbability {
            code: c.code.clone(),
            label: c.label.clone(),
            probability: p,
        })
        .collect();
    Assessment {
        bundle: schema.id.clone(),
        model: bundle.model.family().to_string(),
        top: argmax(&proba),
        probabilities,
        imputed: t
            .imputed
            .iter()
            .filter_map(|&j| schema.features.get(j))
            .map(|f| f.column.clone())
            .collect(),
        flags: flags(bundle, record),
    }
}

fn flags(bundle: &Bundle, record: &PatientRecord) -> Vec<Flag> {
    let mut out = Vec::new();
    let features = bundle
        .schema
        .features
        .iter()
        .zip(bundle.preprocessor.steps());
    for ((feature, step), value) in features.zip(record.values()) {
        let Some(Value::Number(v)) = *value else {
            continue;
        };
        let side = |r: &Interval| {
            if r.min.is_some_and(|lo| v < lo) {
                Some(Side::Low)
            } else if r.max.is_some_and(|hi| v > hi) {
                Some(Side::High)
            } else {
                None
            }
        };
        if let Kind::Numeric {
            reference: Some(reference),
            ..
        } = &feature.kind
        {
            let range = reference.interval();
            if let Some(side) = side(&range) {
                out.push(Flag::OutsideReference {
                    field: feature.column.clone(),
                    value: v,
                    side,
                    range,
                    source: reference.source.clone(),
                });
            }
        }
        if let Step::Standardize {
            observed: (lo, hi), ..
        } = step
        {
            let range = Interval {
                min: Some(*lo),
                max: Some(*hi),
            };
            if let Some(side) = side(&range) {
                out.push(Flag::OutsideTraining {
                    field: feature.column.clone(),
                    value: v,
                    side,
                    range,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::sample_bundle;
    use crate::error::Error;

    #[test]
    fn probabilities_sum_to_one_and_top_is_argmax() {
        let b = sample_bundle();
        let a = assess_text(&b, r#"{"glu": 170, "smoker": 1, "sex": "f"}"#).unwrap();
        let sum: f64 = a.probabilities.iter().map(|c| c.probability).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        assert_eq!(a.top, 1);
        assert!(a.imputed.is_empty());
    }

    #[test]
    fn imputed_and_flagged_values_are_reported() {
        let b = sample_bundle();
        let a = assess_text(&b, r#"{"glu": 250, "smoker": 0}"#).unwrap();
        assert_eq!(a.imputed, vec!["sex".to_string()]);
        let kinds: Vec<_> = a
            .flags
            .iter()
            .map(|f| match f {
                Flag::OutsideReference { side, .. } => ("reference", *side),
                Flag::OutsideTraining { side, .. } => ("training", *side),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![("reference", Side::High), ("training", Side::High)]
        );
    }

    #[test]
    fn invalid_input_is_an_error_not_a_panic() {
        let b = sample_bundle();
        assert!(matches!(
            assess_text(&b, r#"{"glu": -5, "smoker": 0}"#),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            assess(&b, &Json::Null),
            Err(Error::BadPatient { .. })
        ));
    }
}
