//! Validated values → the model's numbers: imputation, encoding and scaling.
//!
//! Fitted once by the trainer on the training split only (so the test metrics are honest) and
//! shipped in the bundle; applied identically by the CLI and the browser. Numeric features are
//! median-imputed and standardised; booleans are 0/1 with the most frequent value imputed;
//! categoricals are one-hot with the most frequent level imputed.

use serde::{Deserialize, Serialize};

use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::{Kind, Schema};
use crate::error::{Error, Result};

/// How one feature is turned into model inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Step {
    /// `(x - mean) / scale`, missing → `impute`.
    Standardize {
        /// Median of the training values.
        impute: f64,
        /// Mean of the (imputed) training values.
        mean: f64,
        /// Standard deviation of the (imputed) training values; 1 when constant.
        scale: f64,
        /// Smallest and largest value seen in training.
        observed: (f64, f64),
    },
    /// 0/1, missing → `impute`.
    Binary {
        /// Most frequent training value.
        impute: bool,
    },
    /// One column per level, missing → level `impute`.
    OneHot {
        /// Number of levels.
        levels: usize,
        /// Most frequent training level.
        impute: usize,
    },
}

impl Step {
    /// How many model inputs this step produces.
    pub fn width(&self) -> usize {
        match self {
            Step::OneHot { levels, .. } => *levels,
            _ => 1,
        }
    }
}

/// Fitted preprocessing for every schema feature, in schema order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessor {
    steps: Vec<Step>,
}

/// A patient as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformed {
    /// Model inputs.
    pub x: Vec<f64>,
    /// Indices (into the schema's features) of values that were imputed.
    pub imputed: Vec<usize>,
}

impl Preprocessor {
    /// Fit on training records (already validated against `schema`).
    pub fn fit(schema: &Schema, rows: &[PatientRecord]) -> Result<Preprocessor> {
        if rows.is_empty() {
            return Err(Error::Data("no training rows".into()));
        }
        let mut steps = Vec::with_capacity(schema.features.len());
        for (j, feature) in schema.features.iter().enumerate() {
            let column = rows
                .iter()
                .filter_map(|r| r.values().get(j).copied().flatten());
            let step = match &feature.kind {
                Kind::Numeric { .. } => {
                    let mut xs: Vec<f64> = column
                        .filter_map(|v| {
                            if let Value::Number(x) = v {
                                Some(x)
                            } else {
                                None
                            }
                        })
                        .collect();
                    if xs.is_empty() {
                        return Err(Error::Data(format!(
                            "feature `{}` has no values in the training data",
                            feature.column
                        )));
                    }
                    xs.sort_by(f64::total_cmp);
                    let impute = median_sorted(&xs);
                    let n_missing = rows.len() - xs.len();
                    let n = rows.len() as f64;
                    let sum: f64 = xs.iter().sum::<f64>() + impute * n_missing as f64;
                    let mean = sum / n;
                    let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>()
                        + n_missing as f64 * (impute - mean).powi(2);
                    let sd = (ss / n).sqrt();
                    let observed = (
                        xs.first().copied().unwrap_or(impute),
                        xs.last().copied().unwrap_or(impute),
                    );
                    Step::Standardize {
                        impute,
                        mean,
                        scale: if sd > 0.0 { sd } else { 1.0 },
                        observed,
                    }
                }
                Kind::Boolean { .. } => {
                    let (t, f) = column.fold((0usize, 0usize), |(t, f), v| match v {
                        Value::Bool(true) => (t + 1, f),
                        _ => (t, f + 1),
                    });
                    Step::Binary { impute: t > f }
                }
                Kind::Categorical { levels } => {
                    let mut counts = vec![0usize; levels.len()];
                    for v in column {
                        if let Value::Level(i) = v {
                            if let Some(c) = counts.get_mut(i) {
                                *c += 1;
                            }
                        }
                    }
                    // Most frequent; ties go to the first level so the result is deterministic.
                    let impute = counts
                        .iter()
                        .enumerate()
                        .fold(
                            (0, 0),
                            |best, (i, &c)| if c > best.1 { (i, c) } else { best },
                        )
                        .0;
                    Step::OneHot {
                        levels: levels.len(),
                        impute,
                    }
                }
            };
            steps.push(step);
        }
        Ok(Preprocessor { steps })
    }

    /// The preprocessing of a published equation: numbers pass through unscaled (the
    /// equation's own transforms centre and scale them), yes/no as 0/1, categories one-hot.
    /// Nothing is imputed (an equation's inputs are all required, so `impute` is never used:
    /// it holds `reference[j]` only to be a valid number). `observed` is the plausible range,
    /// so no value is flagged as outside "training".
    pub fn identity(schema: &Schema, reference: &[f64]) -> Preprocessor {
        let steps = schema
            .features
            .iter()
            .enumerate()
            .map(|(j, f)| match &f.kind {
                Kind::Numeric { plausible, .. } => Step::Standardize {
                    impute: reference.get(j).copied().unwrap_or(plausible.min),
                    mean: 0.0,
                    scale: 1.0,
                    observed: (plausible.min, plausible.max),
                },
                Kind::Boolean { .. } => Step::Binary { impute: false },
                Kind::Categorical { levels } => Step::OneHot {
                    levels: levels.len(),
                    impute: 0,
                },
            })
            .collect();
        Preprocessor { steps }
    }

    /// The first model input column of each schema feature.
    pub fn first_columns(&self) -> Vec<usize> {
        let mut at = 0;
        self.steps
            .iter()
            .map(|s| {
                let first = at;
                at += s.width();
                first
            })
            .collect()
    }

    /// The fitted steps, in schema order.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Number of model inputs produced.
    pub fn width(&self) -> usize {
        self.steps.iter().map(Step::width).sum()
    }

    /// Check this preprocessor fits `schema` (used when a bundle is loaded, so a hand-edited
    /// or mismatched bundle is refused instead of mis-indexing).
    pub fn check_against(&self, schema: &Schema) -> Result<()> {
        if self.steps.len() != schema.features.len() {
            return Err(Error::InconsistentBundle(format!(
                "preprocessing has {} steps for {} features",
                self.steps.len(),
                schema.features.len()
            )));
        }
        for (step, f) in self.steps.iter().zip(&schema.features) {
            let ok = match (step, &f.kind) {
                (Step::Standardize { scale, .. }, Kind::Numeric { .. }) => {
                    scale.is_finite() && *scale > 0.0
                }
                (Step::Binary { .. }, Kind::Boolean { .. }) => true,
                (Step::OneHot { levels, impute }, Kind::Categorical { levels: l }) => {
                    *levels == l.len() && impute < levels
                }
                _ => false,
            };
            if !ok {
                return Err(Error::InconsistentBundle(format!(
                    "preprocessing for `{}` does not match its schema kind",
                    f.column
                )));
            }
        }
        Ok(())
    }

    /// The value the model actually used for feature `j`: the patient's, or the imputed one.
    pub fn used_value(&self, j: usize, value: Option<Value>) -> Option<Value> {
        match (self.steps.get(j)?, value) {
            (_, Some(v)) => Some(v),
            (Step::Standardize { impute, .. }, None) => Some(Value::Number(*impute)),
            (Step::Binary { impute }, None) => Some(Value::Bool(*impute)),
            (Step::OneHot { impute, .. }, None) => Some(Value::Level(*impute)),
        }
    }

    /// For each model input column, the schema feature it comes from.
    pub fn columns(&self) -> Vec<usize> {
        self.steps
            .iter()
            .enumerate()
            .flat_map(|(j, s)| std::iter::repeat_n(j, s.width()))
            .collect()
    }

    /// Impute, encode and scale one record.
    pub fn transform(&self, record: &PatientRecord) -> Transformed {
        let mut x = Vec::with_capacity(self.width());
        let mut imputed = Vec::new();
        for (j, step) in self.steps.iter().enumerate() {
            let value = record.values().get(j).copied().flatten();
            if value.is_none() {
                imputed.push(j);
            }
            match *step {
                Step::Standardize {
                    impute,
                    mean,
                    scale,
                    ..
                } => {
                    let v = match value {
                        Some(Value::Number(v)) => v,
                        _ => impute,
                    };
                    x.push((v - mean) / scale);
                }
                Step::Binary { impute } => {
                    let b = match value {
                        Some(Value::Bool(b)) => b,
                        _ => impute,
                    };
                    x.push(if b { 1.0 } else { 0.0 });
                }
                Step::OneHot { levels, impute } => {
                    let level = match value {
                        Some(Value::Level(i)) if i < levels => i,
                        _ => impute,
                    };
                    x.extend((0..levels).map(|i| if i == level { 1.0 } else { 0.0 }));
                }
            }
        }
        Transformed { x, imputed }
    }
}

/// Median of an already sorted slice (NaN when empty).
fn median_sorted(xs: &[f64]) -> f64 {
    let n = xs.len();
    let at = |i: usize| xs.get(i).copied().unwrap_or(f64::NAN);
    if n % 2 == 1 {
        at(n / 2)
    } else {
        (at((n / 2).wrapping_sub(1)) + at(n / 2)) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::schema::tests::SAMPLE;

    fn rec(schema: &Schema, json: &str) -> PatientRecord {
        PatientRecord::from_json_text(schema, json).unwrap()
    }

    #[test]
    fn fits_median_mean_and_mode_then_transforms() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let rows = vec![
            rec(&s, r#"{"glu": 100, "smoker": 1, "sex": "m"}"#),
            rec(&s, r#"{"glu": 200, "smoker": 1, "sex": "m"}"#),
            rec(&s, r#"{"glu": null, "smoker": 0, "sex": "f"}"#),
        ];
        let p = Preprocessor::fit(&s, &rows).unwrap();
        p.check_against(&s).unwrap();
        assert_eq!(p.width(), 4);
        // median of {100, 200} = 150 imputed; mean of {100, 200, 150} = 150.
        match p.steps()[0] {
            Step::Standardize {
                impute,
                mean,
                observed,
                ..
            } => {
                assert_eq!(impute, 150.0);
                assert_eq!(mean, 150.0);
                assert_eq!(observed, (100.0, 200.0));
            }
            ref other => panic!("unexpected {other:?}"),
        }
        let t = p.transform(&rec(&s, r#"{"smoker": 0}"#));
        assert_eq!(t.imputed, vec![0, 2]);
        assert_eq!(t.x, vec![0.0, 0.0, 0.0, 1.0]); // glu at the mean; sex imputed to "m"
    }

    #[test]
    fn constant_feature_does_not_divide_by_zero() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let rows = vec![
            rec(&s, r#"{"glu": 90, "smoker": 1}"#),
            rec(&s, r#"{"glu": 90, "smoker": 0}"#),
        ];
        let p = Preprocessor::fit(&s, &rows).unwrap();
        let t = p.transform(&rec(&s, r#"{"glu": 120, "smoker": 1}"#));
        assert!(t.x.iter().all(|v| v.is_finite()));
        assert_eq!(t.x[0], 30.0);
    }

    #[test]
    fn mismatched_schema_is_refused() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let p = Preprocessor::fit(&s, &[rec(&s, r#"{"glu": 90, "smoker": 1}"#)]).unwrap();
        let mut other = s.clone();
        other.features.pop();
        assert!(matches!(
            p.check_against(&other),
            Err(Error::InconsistentBundle(_))
        ));
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, Decode, Reader};
    decode_struct!(Preprocessor { steps });
    impl Decode for Step {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Step::Standardize {
                    impute: decode(r),
                    mean: decode(r),
                    scale: decode(r),
                    observed: decode(r),
                },
                1 => Step::Binary { impute: decode(r) },
                2 => Step::OneHot {
                    levels: decode(r),
                    impute: decode(r),
                },
                _ => r.bad_variant(Step::Binary { impute: false }),
            }
        }
    }
}
