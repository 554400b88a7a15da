//! "What to measure next": value of information for the inputs the patient is missing.
//!
//! A missing input is imputed (median or most frequent value), so the estimate the clinician
//! sees rests on a guess. Measuring it replaces the guess with one of the values patients like
//! the training cases actually had; how far that can move the estimate says whether the
//! measurement is worth taking. For each missing input this tries the training distribution of
//! that input, taken from the bundle's case library, one value at a time with every other input
//! as it is (other missing inputs stay imputed, exactly as the model sees them):
//!
//! - numeric inputs: 39 quantiles, at 2.5 %, 5 %, …, 97.5 %. Their extremes bound the central
//!   95 % of the training values (the range reported), and weighted equally they stand for the
//!   whole distribution (the expected change). Each is an observed training value (the inverse
//!   of the empirical distribution, no interpolation), so a whole-number input is tried on
//!   whole numbers; repeated quantiles are evaluated once.
//! - yes/no and categorical inputs: every level seen in training, weighted by how often.
//!
//! That is at most 39 model evaluations per missing input, cheap enough to rerun on every
//! keystroke in the browser. Nothing is extrapolated: a value no training case had is never
//! tried.

use serde::Serialize;

use crate::bundle::Bundle;
use crate::clinical::predict::probabilities;
use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::Kind;
use crate::util::sort::sort_indices;

/// Number of quantiles tried for a numeric input: every 2.5 % from 2.5 % to 97.5 %.
const QUANTILES: usize = 39;

/// Inputs whose measurement cannot move the estimate by more than this (half a percentage
/// point) are not worth suggesting.
const NEGLIGIBLE: f64 = 0.005;

/// One missing input and how much measuring it could move the estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// Feature column.
    pub field: String,
    /// The estimate (probability of `class`, calibrated) with the imputed value.
    pub current: f64,
    /// Lowest estimate over the central 95 % of the training values of this input.
    pub low: f64,
    /// Highest estimate over the central 95 % of the training values of this input.
    pub high: f64,
    /// Expected absolute change of the estimate if it were measured, with the training data's
    /// distribution of the input as the prior (mean |p(v) − current| over the training values).
    pub expected_change: f64,
}

impl Measurement {
    /// The largest move in either direction: what "could change this estimate by up to" says.
    fn swing(&self) -> f64 {
        (self.high - self.current).max(self.current - self.low)
    }
}

/// Candidate values for missing feature `j` with their prior weights, from the case library's
/// column (`NaN` = missing, levels and yes/no as small whole numbers; see [`crate::cases`]).
/// Empty when the library has no usable value for it.
fn candidates(bundle: &Bundle, j: usize, kind: &Kind) -> Vec<(Value, f64)> {
    let Some(column) = bundle.cases.columns.get(j) else {
        return vec![];
    };
    let known = column.iter().filter(|v| v.is_finite());
    match kind {
        Kind::Numeric { .. } => {
            // Sorted through the one index sort (page size); equal values are equal, so the
            // order among them does not matter.
            let raw: Vec<f64> = known.map(|&v| f64::from(v)).collect();
            let value = |i: usize| raw.get(i).copied().unwrap_or(f64::NAN);
            let mut order: Vec<usize> = (0..raw.len()).collect();
            sort_indices(&mut order, &|a, b| {
                value(a).total_cmp(&value(b)).then(a.cmp(&b))
            });
            let xs: Vec<f64> = order.iter().map(|&i| value(i)).collect();
            let n = xs.len();
            let mut out: Vec<(Value, f64)> = Vec::with_capacity(QUANTILES);
            for i in 1..=QUANTILES {
                // Inverse empirical CDF at i / (QUANTILES + 1): the smallest value with at least
                // that share of the cases at or below it, in integers so no rounding moves it.
                let rank = (i * n).div_ceil(QUANTILES + 1);
                let Some(&x) = xs.get(rank.saturating_sub(1)) else {
                    continue;
                };
                // Quantiles come out sorted, so duplicates are neighbours: weigh, don't rerun.
                match out.last_mut() {
                    Some((Value::Number(prev), w)) if *prev == x => *w += 1.0,
                    _ => out.push((Value::Number(x), 1.0)),
                }
            }
            out
        }
        Kind::Boolean { .. } => {
            let (yes, no) = known.fold((0usize, 0usize), |(y, n), &v| {
                if v == 1.0 {
                    (y + 1, n)
                } else if v == 0.0 {
                    (y, n + 1)
                } else {
                    (y, n)
                }
            });
            [(Value::Bool(false), no), (Value::Bool(true), yes)]
                .into_iter()
                .filter(|&(_, c)| c > 0)
                .map(|(v, c)| (v, c as f64))
                .collect()
        }
        Kind::Categorical { levels } => {
            let mut counts = vec![0usize; levels.len()];
            for &v in known {
                if v >= 0.0 && v.fract() == 0.0 {
                    if let Some(c) = counts.get_mut(v as usize) {
                        *c += 1;
                    }
                }
            }
            counts
                .into_iter()
                .enumerate()
                .filter(|&(_, c)| c > 0)
                .map(|(i, c)| (Value::Level(i), c as f64))
                .collect()
        }
    }
}

/// How measuring missing feature `j` could move the probability of `class`, or `None` when the
/// library says nothing about it (or the model gives a non-number for one of its values: a
/// range with a hole in it would understate what measuring could do).
fn measure(
    bundle: &Bundle,
    record: &PatientRecord,
    class: usize,
    j: usize,
    current: f64,
) -> Option<Measurement> {
    let feature = bundle.schema.features.get(j)?;
    // The imputed value is itself a training value (the median or the most frequent one), so
    // the band starts at the current estimate: it always contains the number on screen, even
    // for a model that is not monotone between two of the quantiles tried.
    let (mut low, mut high) = (current, current);
    let (mut moved, mut total) = (0.0, 0.0);
    for (value, weight) in candidates(bundle, j, &feature.kind) {
        let p = probabilities(bundle, &record.with_value(j, value))
            .get(class)
            .copied()
            .filter(|p| p.is_finite())?;
        low = low.min(p);
        high = high.max(p);
        moved += weight * (p - current).abs();
        total += weight;
    }
    (total > 0.0).then(|| Measurement {
        field: feature.column.clone(),
        current,
        low,
        high,
        expected_change: moved / total,
    })
}

/// The missing inputs of `record`, ranked by how far measuring each could move the calibrated
/// probability of class `class` (largest `max(high − current, current − low)` first, then
/// `expected_change`, then schema order), at most `limit` of them; inputs whose measurement
/// cannot move the estimate by more than 0.5 percentage points are left out.
///
/// Empty when nothing is missing, the bundle ships no cases, or `class` is not one of the
/// target's classes.
pub fn next_measurements(
    bundle: &Bundle,
    record: &PatientRecord,
    class: usize,
    limit: usize,
) -> Vec<Measurement> {
    if limit == 0 || bundle.cases.is_empty() || record.values().iter().all(Option::is_some) {
        return vec![];
    }
    let Some(current) = probabilities(bundle, record)
        .get(class)
        .copied()
        .filter(|p| p.is_finite())
    else {
        return vec![];
    };
    let found: Vec<Measurement> = record
        .values()
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .filter_map(|(j, _)| measure(bundle, record, class, j, current))
        .filter(|m| m.swing() > NEGLIGIBLE)
        .collect();
    // `found` is in schema order, so the index is the final tie-break.
    let mut order: Vec<usize> = (0..found.len()).collect();
    let key = |i: usize| {
        found
            .get(i)
            .map_or((0.0, 0.0), |m| (m.swing(), m.expected_change))
    };
    sort_indices(&mut order, &|a, b| {
        let ((sa, ea), (sb, eb)) = (key(a), key(b));
        sb.total_cmp(&sa).then(eb.total_cmp(&ea)).then(a.cmp(&b))
    });
    order
        .into_iter()
        .take(limit)
        .filter_map(|i| found.get(i).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::sample_bundle;
    use crate::cases::{stored, Metric, Pca};
    use crate::clinical::assess::assess_record;
    use crate::contract::schema::tests::head;
    use crate::contract::schema::Schema;
    use crate::model::calibrate::Calibration;
    use crate::model::fitted::{Linear, Model};
    use crate::model::preprocess::{Preprocessor, Step};
    use crate::model::typicality::Typicality;

    /// Four inputs, all of which may be missing: `a` spread evenly over 1–40, `e` half 0 and
    /// half 1, `z` spread like `a` but ignored by the model, and the yes/no `s`.
    const FEATURES: &str = r#"
[[features]]
column = "a"
label = { en = "A", zh = "A" }
kind = "numeric"
plausible = { min = 0, max = 100 }
missing = "impute"

[[features]]
column = "e"
label = { en = "E", zh = "E" }
kind = "numeric"
plausible = { min = 0, max = 1 }
missing = "impute"

[[features]]
column = "z"
label = { en = "Z", zh = "Z" }
kind = "numeric"
plausible = { min = 0, max = 100 }
missing = "impute"

[[features]]
column = "s"
label = { en = "S", zh = "S" }
kind = "boolean"
missing = "impute"
"#;

    /// A complete logistic bundle over [`FEATURES`] with the given coefficients (one per input)
    /// and no calibration, trained on 40 hand-made cases.
    fn linear_bundle(weights: [f64; 4]) -> Bundle {
        let schema = Schema::from_toml(&(head("voi") + FEATURES)).unwrap();
        let rows: Vec<PatientRecord> = (1..=40)
            .map(|i| {
                let text = format!(
                    r#"{{"a": {i}, "e": {}, "z": {}, "s": {}}}"#,
                    i % 2,
                    (i * 7) % 40 + 1,
                    i % 3 == 0
                );
                PatientRecord::from_json_text(&schema, &text).unwrap()
            })
            .collect();
        let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
        let preprocessor = Preprocessor::fit(&schema, &rows).unwrap();
        let x: Vec<Vec<f64>> = rows.iter().map(|r| preprocessor.transform(r).x).collect();
        let width = preprocessor.width();
        let baseline = (0..width)
            .map(|c| x.iter().map(|r| r[c]).sum::<f64>() / x.len() as f64)
            .collect();
        // The library is laid out by hand, as `CaseLibrary::from_dataset` stores it (less the
        // case map, which nothing here reads), over the sample's so that fields this module
        // does not use keep their defaults.
        let mut cases = sample_bundle().cases;
        cases.source = "40 cases".into();
        cases.columns = (0..4)
            .map(|j| rows.iter().map(|r| stored(r.values()[j])).collect())
            .collect();
        cases.outcome = labels.iter().map(|&c| c as u16).collect();
        cases.rows = (1..=40).collect();
        cases.map = vec![];
        cases.arms = vec![];
        let model = Model::Logistic {
            linear: Linear {
                weights: vec![weights.to_vec()],
                intercepts: vec![0.0],
            },
            alpha: 0.0,
        };
        let b = Bundle {
            fold_models: vec![],
            model,
            calibration: Calibration::None,
            baseline,
            typicality: Typicality::new(&x, &labels),
            cases,
            metric: Metric::new(&preprocessor, &[1.0; 4], Pca::fit(&x)),
            schema,
            preprocessor,
            ..sample_bundle()
        };
        b.check().unwrap();
        b
    }

    fn record(b: &Bundle, json: &str) -> PatientRecord {
        PatientRecord::from_json_text(&b.schema, json).unwrap()
    }

    fn fields(ms: &[Measurement]) -> Vec<&str> {
        ms.iter().map(|m| m.field.as_str()).collect()
    }

    #[test]
    fn an_input_the_model_ignores_is_left_out() {
        let b = linear_bundle([1.0, 1.2, 0.0, 0.3]);
        let ms = next_measurements(&b, &record(&b, "{}"), 1, 10);
        assert_eq!(fields(&ms), ["a", "e", "s"]);
        // With a small coefficient it is listed, but last.
        let b = linear_bundle([1.0, 1.2, 0.05, 0.3]);
        let ms = next_measurements(&b, &record(&b, "{}"), 1, 10);
        assert_eq!(fields(&ms), ["a", "e", "s", "z"]);
    }

    #[test]
    fn for_a_logistic_model_the_widest_coefficient_times_range_ranks_first() {
        let weights = [1.0, 1.2, 0.0, 0.3];
        let b = linear_bundle(weights);
        // |coefficient| × range of the standardised input, per feature (yes/no is 0/1 as is).
        let reach: Vec<f64> = b
            .preprocessor
            .steps()
            .iter()
            .zip(weights)
            .map(|(s, w)| match s {
                Step::Standardize {
                    observed, scale, ..
                } => w.abs() * (observed.1 - observed.0) / scale,
                _ => w.abs(),
            })
            .collect();
        let widest = (0..4)
            .max_by(|&i, &j| reach[i].total_cmp(&reach[j]))
            .unwrap();
        assert_eq!(b.schema.features[widest].column, "a");
        // The largest coefficient alone (`e`'s) would have picked another input.
        assert!(weights[1] > weights[0]);
        let ms = next_measurements(&b, &record(&b, "{}"), 1, 10);
        assert_eq!(ms[0].field, "a");
        // The probability of the other class moves just as far: same order.
        assert_eq!(
            fields(&next_measurements(&b, &record(&b, "{}"), 0, 10)),
            fields(&ms)
        );
        // `a` at the 2.5 % and 97.5 % quantiles (1 and 39; imputed 20.5), the rest at the
        // centre: σ(±z) exactly.
        let Step::Standardize { mean, scale, .. } = b.preprocessor.steps()[0] else {
            panic!("a is numeric")
        };
        let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
        assert!((ms[0].low - sigmoid((1.0 - mean) / scale)).abs() < 1e-12);
        assert!((ms[0].high - sigmoid((39.0 - mean) / scale)).abs() < 1e-12);
    }

    #[test]
    fn nothing_missing_gives_nothing_and_the_limit_is_respected() {
        let b = linear_bundle([1.0, 1.2, 0.0, 0.3]);
        let full = record(&b, r#"{"a": 3, "e": 1, "z": 5, "s": true}"#);
        assert!(next_measurements(&b, &full, 1, 10).is_empty());
        let r = record(&b, "{}");
        assert_eq!(next_measurements(&b, &r, 1, 2).len(), 2);
        assert_eq!(
            fields(&next_measurements(&b, &r, 1, 1)),
            fields(&next_measurements(&b, &r, 1, 10))[..1]
        );
        assert!(next_measurements(&b, &r, 1, 0).is_empty());
        // Only the missing inputs are listed.
        let some = record(&b, r#"{"a": 3, "s": false}"#);
        assert_eq!(fields(&next_measurements(&b, &some, 1, 10)), ["e"]);
    }

    #[test]
    fn current_is_the_probability_assess_shows() {
        let b = sample_bundle();
        let r = record(&b, r#"{"smoker": 1}"#);
        let a = assess_record(&b, &r);
        for class in 0..2 {
            let ms = next_measurements(&b, &r, class, 10);
            assert_eq!(fields(&ms), ["glu", "sex"], "class {class}");
            for m in &ms {
                assert_eq!(m.current, a.probabilities[class].probability);
            }
        }
    }

    #[test]
    fn numbers_are_probabilities_and_the_band_holds_the_estimate() {
        let b = linear_bundle([1.0, 1.2, 0.0, 0.3]);
        let s = sample_bundle();
        let cases = [
            (&b, record(&b, "{}")),
            (&b, record(&b, r#"{"a": 40, "s": true}"#)),
            (&b, record(&b, r#"{"e": 0, "z": 1}"#)),
            (&s, record(&s, r#"{"smoker": 0}"#)),
            (&s, record(&s, r#"{"smoker": 1, "sex": "m"}"#)),
        ];
        for (bundle, r) in &cases {
            for class in 0..2 {
                let ms = next_measurements(bundle, r, class, 10);
                assert!(!ms.is_empty());
                for m in &ms {
                    for v in [m.current, m.low, m.high, m.expected_change] {
                        assert!((0.0..=1.0).contains(&v), "{m:?}");
                    }
                    assert!(m.low <= m.current && m.current <= m.high, "{m:?}");
                    assert!(m.expected_change <= m.swing() + 1e-15, "{m:?}");
                }
                for pair in ms.windows(2) {
                    assert!(pair[0].swing() >= pair[1].swing(), "{ms:?}");
                }
            }
        }
    }

    #[test]
    fn a_categorical_input_is_weighed_by_its_training_frequencies() {
        // The sample's cases: one woman, one man, one unknown; "f" is imputed (a tie goes to
        // the first level), so measuring moves the estimate half the time, by p(m) − p(f).
        let b = sample_bundle();
        let r = record(&b, r#"{"glu": 140, "smoker": 0}"#);
        let p = |sex: &str| {
            probabilities(
                &b,
                &record(
                    &b,
                    &format!(r#"{{"glu": 140, "smoker": 0, "sex": "{sex}"}}"#),
                ),
            )[1]
        };
        let ms = next_measurements(&b, &r, 1, 10);
        assert_eq!(fields(&ms), ["sex"]);
        assert_eq!(ms[0].current, p("f"));
        assert!((ms[0].expected_change - (p("m") - p("f")).abs() / 2.0).abs() < 1e-15);
        assert_eq!((ms[0].low, ms[0].high), (p("f"), p("m")));
    }

    #[test]
    fn an_empty_library_or_an_unknown_class_gives_nothing_without_panicking() {
        let mut b = sample_bundle();
        let r = record(&b, r#"{"smoker": 1}"#);
        assert!(next_measurements(&b, &r, 2, 10).is_empty());
        assert!(next_measurements(&b, &r, usize::MAX, 10).is_empty());
        b.cases.columns.iter_mut().for_each(Vec::clear);
        b.cases.outcome.clear();
        assert!(next_measurements(&b, &r, 1, 10).is_empty());
        // A library whose column for the input is all missing: that input is skipped.
        let mut b = sample_bundle();
        b.cases.columns[0].iter_mut().for_each(|v| *v = f32::NAN);
        assert_eq!(fields(&next_measurements(&b, &r, 1, 10)), ["sex"]);
    }
}
