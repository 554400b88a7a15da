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
