//! What the input form means, independent of any UI toolkit: text boxes in, per-field errors,
//! the required fields still blank, and (once the form is complete and valid) an assessment.
//!
//! The Yew app keeps only the raw text of each input and calls [`evaluate`] on every change;
//! so everything the form decides is covered by plain `cargo test`.

use serde_json::{Map, Value as Json};

use crate::assess::{assess_record, Assessment};
use crate::bundle::Bundle;
use crate::error::Error;
use crate::patient::{parse_value, PatientRecord};
use crate::schema::{Kind, Missing, Schema};

/// The form's verdict on its current inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct FormOutcome {
    /// Per feature (schema order): the error for what was typed, if any.
    pub field_errors: Vec<Option<Error>>,
    /// Indices of required features that are still blank.
    pub missing_required: Vec<usize>,
    /// The assessment, once nothing is missing or wrong.
    pub assessment: Option<Assessment>,
    /// The validated patient behind the assessment (for similar-case search).
    pub record: Option<PatientRecord>,
}

/// Turn the form's texts (schema order) into patient JSON. Blank means missing and is left
/// out. A numeric box holding something that is not a number is passed on as a string so that
/// validation names it; `"true"`/`"false"` from a yes/no select become booleans.
pub fn to_json(schema: &Schema, inputs: &[String]) -> Json {
    let mut obj = Map::new();
    for (feature, text) in schema.features.iter().zip(inputs) {
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        let value = match &feature.kind {
            Kind::Numeric { .. } => t
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Json::String(t.to_string()), Json::Number),
            Kind::Boolean { .. } => match t {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                other => Json::String(other.to_string()),
            },
            Kind::Categorical { .. } => Json::String(t.to_string()),
        };
        obj.insert(feature.column.clone(), value);
    }
    Json::Object(obj)
}

/// Check every field, list the blanks, and assess when the form is complete.
pub fn evaluate(bundle: &Bundle, inputs: &[String]) -> FormOutcome {
    let schema = &bundle.schema;
    let json = to_json(schema, inputs);
    let field_errors: Vec<Option<Error>> = schema
        .features
        .iter()
        .map(|f| json.get(&f.column).and_then(|v| parse_value(f, v).err()))
        .collect();
    let missing_required: Vec<usize> = schema
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.missing == Missing::Reject && json.get(&f.column).is_none())
        .map(|(i, _)| i)
        .collect();
    let record = if field_errors.iter().all(Option::is_none) && missing_required.is_empty() {
        PatientRecord::from_json(schema, &json).ok()
    } else {
        None
    };
    FormOutcome {
        field_errors,
        missing_required,
        assessment: record.as_ref().map(|r| assess_record(bundle, r)),
        record,
    }
}

/// The form texts for a patient given as JSON (e.g. a shipped example): numbers printed in
/// full, booleans as `"true"`/`"false"`, codes as they are; unknown fields are ignored.
pub fn from_json(schema: &Schema, patient: &Json) -> Vec<String> {
    schema
        .features
        .iter()
        .map(|f| match (patient.get(&f.column), &f.kind) {
            (None | Some(Json::Null), _) => String::new(),
            // A yes/no select holds "true"/"false", whatever codes the data uses.
            (Some(v), Kind::Boolean { .. }) => match parse_value(f, v) {
                Ok(Some(crate::patient::Value::Bool(b))) => b.to_string(),
                _ => v.as_str().map_or_else(|| v.to_string(), str::to_string),
            },
            (Some(Json::String(s)), _) => s.clone(),
            (Some(Json::Number(n)), _) => n.as_f64().map(|v| v.to_string()).unwrap_or_default(),
            (Some(other), _) => other.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::sample_bundle;

    fn inputs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn blank_form_lists_required_fields_and_does_not_assess() {
        let out = evaluate(&sample_bundle(), &inputs(&["", "", ""]));
        assert_eq!(out.missing_required, vec![1]);
        assert!(out.field_errors.iter().all(Option::is_none));
        assert!(out.assessment.is_none());
    }

    #[test]
    fn bad_text_is_a_field_error_and_blocks_assessment() {
        let out = evaluate(&sample_bundle(), &inputs(&["9000", "true", "abc"]));
        assert!(matches!(
            out.field_errors[0],
            Some(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            out.field_errors[2],
            Some(Error::UnknownCategory { .. })
        ));
        assert!(out.assessment.is_none());
        let out = evaluate(&sample_bundle(), &inputs(&["high", "true", ""]));
        assert!(matches!(out.field_errors[0], Some(Error::WrongType { .. })));
    }

    #[test]
    fn complete_form_gives_the_same_assessment_as_json_input() {
        let b = sample_bundle();
        let out = evaluate(&b, &inputs(&[" 150 ", "false", "m"]));
        let direct =
            crate::assess::assess_text(&b, r#"{"glu": 150, "smoker": false, "sex": "m"}"#).unwrap();
        assert_eq!(out.assessment, Some(direct));
    }

    #[test]
    fn json_round_trips_through_form_texts() {
        let b = sample_bundle();
        let patient: Json =
            serde_json::from_str(r#"{"glu": 141.5, "smoker": true, "sex": "f"}"#).unwrap();
        let texts = from_json(&b.schema, &patient);
        assert_eq!(texts, inputs(&["141.5", "true", "f"]));
        assert_eq!(to_json(&b.schema, &texts), patient);
    }

    #[test]
    fn yes_no_codes_from_data_become_the_selects_values() {
        // Trial data write yes/no as codes ("1" / "0" here, "1_yes" / "0_no" in indo_rct): the
        // form's select holds "true" / "false", so a filled-in example shows its answer.
        let b = sample_bundle();
        let patient: Json = serde_json::from_str(r#"{"glu": 100, "smoker": "1"}"#).unwrap();
        assert_eq!(from_json(&b.schema, &patient), inputs(&["100", "true", ""]));
        let patient: Json = serde_json::from_str(r#"{"smoker": "0"}"#).unwrap();
        assert_eq!(from_json(&b.schema, &patient)[1], "false");
    }
}
