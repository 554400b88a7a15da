//! Calibrated class probabilities for a validated record: what `assess` and the
//! counterfactual search both compute.

use crate::bundle::Bundle;
use crate::contract::patient::PatientRecord;

/// Calibrated class probabilities for a validated record (what the app shows).
pub fn probabilities(bundle: &Bundle, record: &PatientRecord) -> Vec<f64> {
    let x = bundle.preprocessor.transform(record).x;
    let k = bundle.schema.target.classes.len();
    bundle.calibration.apply(&bundle.model.predict_proba(&x, k))
}

/// The calibrated probability of class `focus` for a preprocessed input (NaN when out of
/// range): the published equations' comparison patient and what-ifs.
pub fn class_probability(bundle: &Bundle, x: &[f64], focus: usize) -> f64 {
    let k = bundle.schema.target.classes.len();
    bundle
        .calibration
        .apply(&bundle.model.predict_proba(x, k))
        .get(focus)
        .copied()
        .unwrap_or(f64::NAN)
}
