//! For a published risk equation, what clinicians use it for: the patient's risk with each
//! treatment target (systolic pressure, cholesterol, smoking, statin) changed, one at a time
//! and all together, as the equation computes it.
//!
//! Each target moves only towards the equation's optimal-risk-factor value (the comparison
//! patient's): a number above it is lowered to it (the targets of these equations, systolic
//! pressure and cholesterol, are lowered by treatment), a yes/no is turned to the optimal answer
//! (a smoker stops). A change is shown only when it lowers the computed risk: a lower pressure
//! below a spline's knot can raise it, and a what-if that raises the risk is not an option.
//! Treatment *status* inputs (on blood-pressure treatment, on a statin) are not targets: an
//! equation's term for them describes treated people in its cohorts, not the treatment's
//! effect (PREVENT's statin term even raises the risk at high non-HDL cholesterol), so "stop the
//! statin" or "start one" computed from it would mislead.

use serde::Serialize;

use crate::bundle::Bundle;
use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::Kind;

/// One target changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetChange {
    /// Feature column.
    pub field: String,
    /// The patient's value, as the form writes it.
    pub from: String,
    /// The value tried.
    pub to: String,
    /// The risk with this change alone.
    pub risk: f64,
}

/// The risk now and with each treatment target changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Targets {
    /// The patient's risk as entered.
    pub now: f64,
    /// One change at a time, in schema order.
    pub changes: Vec<TargetChange>,
    /// Every change together (when there are two or more).
    pub together: Option<f64>,
}

fn text(v: Value) -> String {
    match v {
        Value::Number(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Level(i) => i.to_string(),
    }
}

/// The what-ifs of a published equation's bundle for a complete record; `None` for a bundle
/// trained here (its "what would change this" is the counterfactual search).
pub fn targets(bundle: &Bundle, record: &PatientRecord, focus: usize) -> Option<Targets> {
    let published = bundle.published.as_ref()?;
    let risk = |r: &PatientRecord| {
        crate::clinical::predict::class_probability(
            bundle,
            &bundle.preprocessor.transform(r).x,
            focus,
        )
    };
    let now = risk(record);
    let mut changes = Vec::new();
    let mut all = record.clone();
    for (j, f) in bundle.schema.features.iter().enumerate() {
        if !f.treatment_target {
            continue;
        }
        let Some(current) = record.values().get(j).copied().flatten() else {
            continue;
        };
        let Some(Some(optimal)) = published.optimal.get(j) else {
            continue;
        };
        let to = match (&f.kind, current) {
            (Kind::Boolean { .. }, Value::Bool(b)) if b != (*optimal != 0.0) => {
                Value::Bool(*optimal != 0.0)
            }
            (Kind::Numeric { .. }, Value::Number(x)) if x > *optimal => Value::Number(*optimal),
            _ => continue,
        };
        let changed = record.with_value(j, to);
        let r = risk(&changed);
        // (NaN on either side: not shown.)
        if r.partial_cmp(&now) != Some(std::cmp::Ordering::Less) {
            continue;
        }
        all = all.with_value(j, to);
        changes.push(TargetChange {
            field: f.column.clone(),
            from: text(current),
            to: text(to),
            risk: r,
        });
    }
    let together = (changes.len() > 1).then(|| risk(&all));
    Some(Targets {
        now,
        changes,
        together,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prevent() -> Bundle {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let schema = crate::contract::schema::Schema::from_toml(
            &std::fs::read_to_string(format!("{dir}/prevent.schema.toml")).unwrap(),
        )
        .unwrap();
        let eq = std::fs::read_to_string(format!("{dir}/prevent.equation.toml")).unwrap();
        // Built as the trainer does, without the train layer: identity preprocessing.
        let pre = crate::model::preprocess::Preprocessor::identity(&schema, &[]);
        let parsed = crate::model::equation::Equation::from_toml(&eq, &schema, &pre).unwrap();
        let mut b = crate::bundle::tests::sample_bundle();
        b.preprocessor =
            crate::model::preprocess::Preprocessor::identity(&schema, &parsed.reference);
        b.schema = schema;
        b.model = crate::model::fitted::Model::Equation(parsed.equation);
        b.calibration = crate::model::calibrate::Calibration::Platt { a: 1.0, b: 0.0 };
        b.published = Some(crate::bundle::Published {
            card: parsed.card,
            optimal: parsed.optimal,
            equation_sha256: String::new(),
        });
        b
    }

    #[test]
    fn each_target_is_tried_alone_and_together() {
        let b = prevent();
        let r = PatientRecord::from_json_text(
            &b.schema,
            r#"{"age": 60, "sex": "male", "tc": 240, "hdl": 40, "sbp": 150, "bp_treated": 0,
                "diabetes": 0, "smoker": 1, "egfr": 85, "statin": 0}"#,
        )
        .unwrap();
        let t = targets(&b, &r, 1).unwrap();
        let fields: Vec<&str> = t.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["tc", "sbp", "smoker"]);
        let by = |f: &str| t.changes.iter().find(|c| c.field == f).unwrap();
        assert_eq!(by("sbp").to, "110");
        assert_eq!(by("smoker").to, "false");
        assert!(by("sbp").risk < t.now && by("smoker").risk < t.now && by("tc").risk < t.now);
        assert!(t.together.unwrap() < by("smoker").risk);
        // Nothing moves away from the optimal values or raises the risk: a non-smoker is not
        // asked to smoke, a cholesterol of 150 is not raised to 170, a systolic of 100 is not
        // raised to 110 (PREVENT's lower spline would call that lower risk), a statin is
        // neither started nor stopped.
        let r = PatientRecord::from_json_text(
            &b.schema,
            r#"{"age": 60, "sex": "male", "tc": 150, "hdl": 50, "sbp": 100, "bp_treated": 0,
                "diabetes": 0, "smoker": 0, "egfr": 85, "statin": 1}"#,
        )
        .unwrap();
        let t = targets(&b, &r, 1).unwrap();
        assert!(t.changes.is_empty(), "{:?}", t.changes);
        assert!(t.together.is_none());
    }

    #[test]
    fn a_trained_model_has_no_targets_here() {
        let b = crate::bundle::tests::sample_bundle();
        let r =
            PatientRecord::from_json_text(&b.schema, r#"{"glu": 100, "smoker": 1, "sex": "m"}"#)
                .unwrap();
        assert!(targets(&b, &r, 1).is_none());
    }
}
