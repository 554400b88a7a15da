//! The one entry point: a bundle and a patient in, an assessment (or a clear error) out.
//!
//! The CLI, the Yew app, the JS API and the tests all call this, so the numbers a clinician
//! sees in the browser are the numbers `bedside assess` prints. An assessment carries its own
//! basis: calibrated and raw probabilities, the spread across cross-validation fold models, an
//! exact explanation of the top suggestion, values outside normal or training ranges, how far
//! the patient is from every training case, and the nearest change that would alter the top
//! suggestion.

use serde::Serialize;
use serde_json::Value as Json;

use crate::bundle::Bundle;
use crate::cases::{self, CaseLibrary, Options, Similar};
use crate::clinical::counterfactual::{what_would_change, Change};
use crate::clinical::voi::{next_measurements, Measurement};
use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::{Interval, Kind, Text};
use crate::error::Result;
use crate::model::explain::{explain, Explanation};
use crate::model::fitted::Family;
use crate::model::metrics::argmax;
use crate::model::preprocess::Step;

/// One class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassProbability {
    /// The class code in the data.
    pub code: String,
    /// The class in words.
    pub label: Text,
    /// Calibrated probability, in [0, 1] (what the app shows).
    pub probability: f64,
    /// The model's probability before calibration.
    pub raw: f64,
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

/// The spread of the top class's calibrated probability across the cross-validation fold
/// models: how much the estimate moves when a fifth of the training data is left out.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    /// Lowest fold-model probability.
    pub low: f64,
    /// Highest fold-model probability.
    pub high: f64,
    /// Number of fold models.
    pub models: usize,
}

/// How far the patient is from the training cases (in standardised units).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distance {
    /// Distance to the nearest training case.
    pub nearest: f64,
    /// 99th percentile of training cases' distances to their nearest other case.
    pub typical_p99: f64,
    /// Whether the patient is farther than that from every training case.
    pub unusual: bool,
}

/// How well the model tells patients apart, from its held-out test set: what decides whether
/// an estimate may be read as particular to the patient at all.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Discrimination {
    /// Held-out AUC (the positive class; mean one-vs-rest when multiclass).
    pub auc: f64,
    /// Its 95 % confidence interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// False when the interval includes 0.5 (a coin toss), or the AUC is below the schema's
    /// `min_auc`: the model has not been shown to tell patients apart, and the base rate says
    /// as much as its estimate does.
    pub better_than_chance: bool,
    /// The schema's `min_auc`, when the AUC falls below it (the reason is then the floor, not
    /// chance).
    pub below_floor: Option<f64>,
    /// For a published equation: `low`–`high` are the lowest and highest C statistic its
    /// paper reports (no held-out set of ours exists).
    pub published: bool,
}

impl Discrimination {
    /// The bundle's held-out discrimination, judged against chance and the schema's floor.
    pub fn of(bundle: &Bundle) -> Discrimination {
        let auc = bundle.evaluation.test.auc;
        let (low, high) = bundle.evaluation.auc_ci;
        let below_floor = bundle
            .schema
            .target
            .min_auc
            .filter(|&floor| auc.is_nan() || auc < floor);
        Discrimination {
            auc,
            low,
            high,
            // Written so that a NaN anywhere counts as "not shown".
            better_than_chance: low > 0.5 && below_floor.is_none(),
            below_floor,
            published: bundle.published.is_some(),
        }
    }
}

/// The class an estimate is about: for a binary target the schema's positive class (the
/// outcome of interest: a risk model answers "what is this patient's risk of it", whichever
/// class is more probable); with more classes, the most probable one.
pub fn focus_class(bundle: &Bundle, probabilities: &[f64]) -> usize {
    if bundle.schema.target.classes.len() == 2 {
        bundle.schema.positive_index()
    } else {
        argmax(probabilities)
    }
}

/// The result of assessing one patient with one bundle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Which bundle (schema id).
    pub bundle: String,
    /// Model family.
    pub model: Family,
    /// One entry per target class, in schema order; calibrated probabilities sum to 1.
    pub probabilities: Vec<ClassProbability>,
    /// Index of the most probable class.
    pub top: usize,
    /// Index of the class the estimate is about (see [`focus_class`]): what the headline, the
    /// band and the explanation describe.
    pub focus: usize,
    /// Share of the focus class in the training population (for a time-to-event target, the
    /// Kaplan–Meier risk by the horizon): the base rate shown beside the estimate.
    pub base_rate: f64,
    /// Whether the model tells patients apart at all.
    pub discrimination: Discrimination,
    /// Spread of the focus class's probability across fold models, where they are shipped.
    pub band: Option<Band>,
    /// Exact explanation of the focus class (absent only for k-NN beyond the enumeration
    /// limit).
    pub explanation: Option<Explanation>,
    /// The value the model used per feature (the patient's, or the imputed one), as text.
    pub used_values: Vec<String>,
    /// Columns whose missing values were imputed.
    pub imputed: Vec<String>,
    /// Values outside the normal range or the training data.
    pub flags: Vec<Flag>,
    /// Distance to the training cases.
    pub distance: Distance,
    /// The smallest change to modifiable features that alters the top suggestion.
    pub what_would_change: Change,
    /// For a published risk equation: the risk with each treatment target changed.
    pub targets: Option<crate::clinical::targets::Targets>,
    /// The missing inputs whose measurement could move the estimate most.
    pub next_measurements: Vec<Measurement>,
}

/// How many missing inputs [`Assessment::next_measurements`] names at most.
pub const NEXT_MEASUREMENTS: usize = 3;

/// Where `v` lies against a range: below, above, or (`None`) inside it, each bound inclusive
/// or exclusive as the range says (a value on "< 140" is above it). The flags and the health
/// check both judge values this way, so they never disagree about a value.
pub fn side_of(range: &Interval, v: f64) -> Option<Side> {
    if range.is_below(v) {
        Some(Side::Low)
    } else if range.is_above(v) {
        Some(Side::High)
    } else {
        None
    }
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

/// The cases of `library` most similar to `patient` (JSON text, validated like [`assess`]),
/// measured with the bundle's metric.
pub fn similar_text(
    bundle: &Bundle,
    library: &CaseLibrary,
    patient: &str,
    options: &Options,
) -> Result<Similar> {
    let record = PatientRecord::from_json_text(&bundle.schema, patient)?;
    Ok(similar(bundle, library, &record, options))
}

/// As [`similar_text`], for a validated record.
pub fn similar(
    bundle: &Bundle,
    library: &CaseLibrary,
    record: &PatientRecord,
    options: &Options,
) -> Similar {
    cases::search(
        library,
        &bundle.metric,
        bundle.schema.target.classes.len(),
        record,
        options,
    )
}

/// Where a validated record lies on the bundle's case map (first two principal components of
/// its preprocessed inputs).
pub fn map_position(bundle: &Bundle, record: &PatientRecord) -> [f32; 2] {
    bundle
        .metric
        .pca
        .project(&bundle.preprocessor.transform(record).x)
}

/// The exact explanation of any one class for a validated record (a differential explains
/// each class on request, not only the one in focus).
pub fn explain_class(bundle: &Bundle, record: &PatientRecord, class: usize) -> Option<Explanation> {
    let t = bundle.preprocessor.transform(record);
    explain(
        &bundle.model,
        &t.x,
        &bundle.baseline,
        &bundle.preprocessor.columns(),
        bundle.schema.features.len(),
        bundle.schema.target.classes.len(),
        class,
    )
}

/// Assess a record that has already passed the schema.
pub fn assess_record(bundle: &Bundle, record: &PatientRecord) -> Assessment {
    let schema = &bundle.schema;
    let k = schema.target.classes.len();
    let t = bundle.preprocessor.transform(record);
    let raw = bundle.model.predict_proba(&t.x, k);
    let cal = bundle.calibration.apply(&raw);
    let top = argmax(&cal);
    let focus = focus_class(bundle, &cal);
    let probabilities = schema
        .target
        .classes
        .iter()
        .zip(cal.iter().zip(&raw))
        .map(|(c, (&p, &r))| ClassProbability {
            code: c.code.clone(),
            label: c.label.clone(),
            probability: p,
            raw: r,
        })
        .collect();
    let band = (!bundle.fold_models.is_empty()).then(|| {
        let ps: Vec<f64> = bundle
            .fold_models
            .iter()
            .map(|m| {
                bundle
                    .calibration
                    .apply(&m.predict_proba(&t.x, k))
                    .get(focus)
                    .copied()
                    .unwrap_or(0.0)
            })
            .collect();
        Band {
            low: ps.iter().copied().fold(f64::INFINITY, f64::min),
            high: ps.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            models: ps.len(),
        }
    });
    let columns = bundle.preprocessor.columns();
    let explanation = explain(
        &bundle.model,
        &t.x,
        &bundle.baseline,
        &columns,
        schema.features.len(),
        k,
        focus,
    );
    let used_values = schema
        .features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let v = bundle
                .preprocessor
                .used_value(j, record.values().get(j).copied().flatten());
            match (v, &f.kind) {
                (Some(Value::Number(x)), _) => x.to_string(),
                (Some(Value::Bool(b)), _) => b.to_string(),
                (Some(Value::Level(i)), Kind::Categorical { levels }) => {
                    levels.get(i).map(|l| l.code.clone()).unwrap_or_default()
                }
                _ => String::new(),
            }
        })
        .collect();
    let nearest = bundle.typicality.nearest(&t.x);
    Assessment {
        bundle: schema.id.clone(),
        model: bundle.model.family(),
        top,
        focus,
        base_rate: match &bundle.published {
            // A published equation has no training population: the comparison is the same
            // patient (age, sex, race) with optimal risk factors, through the same calibration.
            Some(p) => {
                let mut x = t.x.clone();
                for (&c, v) in bundle.preprocessor.first_columns().iter().zip(&p.optimal) {
                    if let (Some(v), Some(slot)) = (v, x.get_mut(c)) {
                        *slot = *v;
                    }
                }
                crate::clinical::predict::class_probability(bundle, &x, focus)
            }
            None => bundle
                .training
                .base_rates
                .get(focus)
                .copied()
                .unwrap_or(f64::NAN),
        },
        discrimination: Discrimination::of(bundle),
        band,
        explanation,
        used_values,
        probabilities,
        imputed: t
            .imputed
            .iter()
            .filter_map(|&j| schema.features.get(j))
            .map(|f| f.column.clone())
            .collect(),
        flags: flags(bundle, record),
        distance: Distance {
            nearest,
            typical_p99: bundle.typicality.nn_p99,
            unusual: nearest > bundle.typicality.nn_p99,
        },
        what_would_change: if bundle.published.is_some() {
            Change::Targets
        } else {
            what_would_change(bundle, record, top)
        },
        targets: crate::clinical::targets::targets(bundle, record, focus),
        next_measurements: next_measurements(bundle, record, focus, NEXT_MEASUREMENTS),
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
        let side = |r: &Interval| side_of(r, v);
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
            let range = Interval::closed(*lo, *hi);
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
        // Binary: the estimate and its explanation are about the positive class.
        assert_eq!(a.focus, b.schema.positive_index());
        assert_eq!(a.explanation.as_ref().unwrap().class, a.focus);
        let band = a.band.unwrap();
        assert!(band.low <= a.probabilities[1].probability + 1e-12 && band.high >= band.low);
        let e = a.explanation.unwrap();
        assert!((e.baseline + e.contributions.iter().sum::<f64>() - e.output).abs() < 1e-9);
        assert_eq!(a.used_values, vec!["170", "true", "f"]);
    }

    #[test]
    fn a_model_is_read_as_telling_patients_apart_only_when_its_auc_interval_excludes_chance() {
        let mut b = sample_bundle();
        b.evaluation.test.auc = 0.70;
        b.evaluation.auc_ci = (0.61, 0.78);
        assert!(Discrimination::of(&b).better_than_chance);
        // indo_rct's case: the interval includes 0.5.
        b.evaluation.test.auc = 0.53;
        b.evaluation.auc_ci = (0.39, 0.67);
        let d = Discrimination::of(&b);
        assert!(!d.better_than_chance && d.below_floor.is_none());
        // A schema's floor: above chance, but below what the bundle requires.
        b.evaluation.test.auc = 0.62;
        b.evaluation.auc_ci = (0.56, 0.68);
        b.schema.target.min_auc = Some(0.7);
        let d = Discrimination::of(&b);
        assert!(!d.better_than_chance);
        assert_eq!(d.below_floor, Some(0.7));
        b.schema.target.min_auc = Some(0.6);
        assert!(Discrimination::of(&b).better_than_chance);
        // NaN is never read as good discrimination.
        b.evaluation.auc_ci = (f64::NAN, 0.7);
        assert!(!Discrimination::of(&b).better_than_chance);
        // The assessment carries it, with the base rate of the class in focus.
        let a = assess_text(&b, r#"{"glu": 170, "smoker": 1, "sex": "f"}"#).unwrap();
        assert!(!a.discrimination.better_than_chance);
        assert_eq!(a.base_rate, b.training.base_rates[a.focus]);
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
        assert!(a.distance.nearest > 0.0);
    }

    /// The sample bundle with glucose's normal range replaced by `reference`.
    fn with_reference(reference: crate::contract::schema::Reference) -> Bundle {
        let mut b = sample_bundle();
        if let Some(Kind::Numeric { reference: r, .. }) =
            b.schema.features.first_mut().map(|f| &mut f.kind)
        {
            *r = Some(reference);
        }
        b
    }

    #[test]
    fn a_value_on_an_exclusive_normal_bound_is_flagged_and_one_just_inside_is_not() {
        // ADA: 2-h glucose < 140 mg/dL is normal.
        let b = with_reference(crate::contract::schema::Reference {
            min: None,
            max: None,
            above: None,
            below: Some(140.0),
            source: "ADA".into(),
        });
        let reference_flags = |glu: &str| {
            let a =
                assess_text(&b, &format!(r#"{{"glu": {glu}, "smoker": 0, "sex": "f"}}"#)).unwrap();
            a.flags
                .into_iter()
                .filter(|f| matches!(f, Flag::OutsideReference { .. }))
                .collect::<Vec<_>>()
        };
        assert_eq!(reference_flags("139.5"), vec![]);
        let Some(Flag::OutsideReference { side, range, .. }) = reference_flags("140").pop() else {
            panic!("140 is not below 140")
        };
        assert_eq!(side, Side::High);
        assert_eq!((range.max, range.max_open), (Some(140.0), true));
    }

    #[test]
    fn the_shipped_pima_ranges_judge_values_as_their_sources_state_them() {
        let pima = crate::contract::schema::tests::shipped("pima");
        let judge = |column: &str, v: f64| {
            let Some(Kind::Numeric {
                reference: Some(r), ..
            }) = pima.feature(column).map(|f| &f.kind)
            else {
                panic!("{column} has a normal range")
            };
            side_of(&r.interval(), v)
        };
        // ADA < 140 mg/dL; ACC/AHA diastolic < 80 mmHg; WHO BMI 18.5–24.9, i.e. ≥ 18.5, < 25.
        assert_eq!(judge("glu", 139.5), None);
        assert_eq!(judge("glu", 140.0), Some(Side::High));
        assert_eq!(judge("bp", 79.5), None);
        assert_eq!(judge("bp", 80.0), Some(Side::High));
        assert_eq!(judge("bmi", 24.95), None);
        assert_eq!(judge("bmi", 25.0), Some(Side::High));
        assert_eq!(judge("bmi", 18.5), None);
        assert_eq!(judge("bmi", 18.4), Some(Side::Low));
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
