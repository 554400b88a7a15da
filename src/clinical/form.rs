//! What the input form means, independent of any UI toolkit: text boxes in, per-field errors,
//! the required fields still blank, and (once the form is complete and valid) an assessment.
//!
//! The Yew app keeps only the raw text of each input and calls [`evaluate`] on every change;
//! so everything the form decides is covered by plain `cargo test`.

use serde_json::{Map, Value as Json};

use crate::bundle::Bundle;
use crate::clinical::assess::{assess_record, Assessment};
use crate::contract::patient::{parse_value, PatientRecord};
use crate::error::Error;
use std::borrow::Cow;

use crate::contract::schema::{Feature, Kind, Missing, Schema};
use crate::util::num::round_to;

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

/// Check every field, list the blanks, and assess when the form is complete (inputs in the
/// schema's units).
pub fn evaluate(bundle: &Bundle, inputs: &[String]) -> FormOutcome {
    evaluate_in(bundle, inputs, false)
}

/// The feature as the form shows it: in its second unit when `second` and the schema declares
/// one.
pub fn shown(feature: &Feature, second: bool) -> Cow<'_, Feature> {
    match second.then(|| feature.in_second_unit()).flatten() {
        Some(f) => Cow::Owned(f),
        None => Cow::Borrowed(feature),
    }
}

/// The form's texts in the schema's units: a number typed in a second unit is converted
/// exactly (clamped into the plausible range when it was inside the converted one, so a
/// boundary value is not refused by rounding). Anything else is left as typed.
pub fn canonical(schema: &Schema, inputs: &[String], second: bool) -> Vec<String> {
    schema
        .features
        .iter()
        .zip(inputs)
        .map(|(f, text)| {
            let (
                Some(alt),
                Kind::Numeric {
                    plausible,
                    convert: Some(c),
                    ..
                },
            ) = (second.then(|| f.in_second_unit()).flatten(), &f.kind)
            else {
                return text.clone();
            };
            let Kind::Numeric { plausible: p2, .. } = &alt.kind else {
                return text.clone();
            };
            match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && v >= p2.min && v <= p2.max => (v / c.factor)
                    .clamp(plausible.min, plausible.max)
                    .to_string(),
                _ => text.clone(),
            }
        })
        .collect()
}

/// The form's texts rewritten for the other unit system: each number in a feature with a
/// second unit is converted (4 decimals in the second unit, 2 in the schema's, which restores
/// a value switched there and back). Blank and non-numeric texts stay as they are.
pub fn switch_units(schema: &Schema, inputs: &[String], to_second: bool) -> Vec<String> {
    schema
        .features
        .iter()
        .zip(inputs)
        .map(|(f, text)| {
            let Kind::Numeric {
                convert: Some(c), ..
            } = &f.kind
            else {
                return text.clone();
            };
            match text.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    let out = if to_second {
                        round_to(v * c.factor, 4)
                    } else {
                        round_to(v / c.factor, 2)
                    };
                    out.to_string()
                }
                _ => text.clone(),
            }
        })
        .collect()
}

/// As [`evaluate`], with the features that have a second unit typed in it when `second`:
/// their errors name that unit and its ranges; the model gets the exact converted values.
pub fn evaluate_in(bundle: &Bundle, inputs: &[String], second: bool) -> FormOutcome {
    let schema = &bundle.schema;
    let typed = to_json(schema, inputs);
    let field_errors: Vec<Option<Error>> = schema
        .features
        .iter()
        .map(|f| {
            typed
                .get(&f.column)
                .and_then(|v| parse_value(&shown(f, second), v).err())
        })
        .collect();
    let json = to_json(schema, &canonical(schema, inputs, second));
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
                Ok(Some(crate::contract::patient::Value::Bool(b))) => b.to_string(),
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
        let direct = crate::clinical::assess::assess_text(
            &b,
            r#"{"glu": 150, "smoker": false, "sex": "m"}"#,
        )
        .unwrap();
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

    /// The sample bundle with glucose also writable in mmol/L (× 0.0555, as pima's schema).
    fn with_mmol() -> Bundle {
        let mut b = sample_bundle();
        if let Some(Kind::Numeric { convert, .. }) =
            b.schema.features.first_mut().map(|f| &mut f.kind)
        {
            *convert = Some(crate::contract::schema::Convert {
                unit: "mmol/L".into(),
                factor: 0.0555,
            });
        }
        b
    }

    #[test]
    fn a_value_typed_in_the_second_unit_is_converted_exactly() {
        let b = with_mmol();
        let Some(Feature {
            kind: Kind::Numeric {
                plausible, unit, ..
            },
            ..
        }) = b.schema.features[0].in_second_unit()
        else {
            panic!("glucose has a second unit")
        };
        assert_eq!(unit, "mmol/L");
        let Kind::Numeric { plausible: p0, .. } = &b.schema.features[0].kind else {
            panic!()
        };
        assert_eq!(
            (plausible.min, plausible.max),
            (round_to(p0.min * 0.0555, 4), round_to(p0.max * 0.0555, 4))
        );
        // 8.325 mmol/L is 150 mg/dL: the same assessment as typing 150.
        let si = evaluate_in(&b, &inputs(&["8.325", "false", "m"]), true);
        let conventional = evaluate(&b, &inputs(&["150", "false", "m"]));
        let (p_si, p_conv) = (
            si.assessment.unwrap().probabilities,
            conventional.assessment.unwrap().probabilities,
        );
        assert!((p_si[1].probability - p_conv[1].probability).abs() < 1e-12);
        // The plausible limits typed in mmol/L are accepted, not refused by rounding.
        for limit in [p0.min, p0.max] {
            let typed = round_to(limit * 0.0555, 4).to_string();
            let back = canonical(&b.schema, &inputs(&[&typed, "", ""]), true);
            let v: f64 = back[0].parse().unwrap();
            assert!(
                v >= p0.min && v <= p0.max && (v - limit).abs() < 1e-9,
                "{typed} → {v}"
            );
            assert!(evaluate_in(&b, &inputs(&[&typed, "false", "m"]), true)
                .assessment
                .is_some());
        }
    }

    #[test]
    fn errors_in_the_second_unit_name_it_and_its_range() {
        let b = with_mmol();
        let out = evaluate_in(&b, &inputs(&["150", "false", "m"]), true);
        let Some(Error::OutOfRange { unit, max, .. }) = &out.field_errors[0] else {
            panic!("150 mmol/L is implausible: {:?}", out.field_errors[0])
        };
        assert_eq!(unit, "mmol/L");
        assert!(*max < 100.0);
        assert!(out.assessment.is_none());
    }

    #[test]
    fn switching_units_there_and_back_restores_the_values() {
        let b = with_mmol();
        for v in ["99", "148", "150.5", "72.25"] {
            let there = switch_units(&b.schema, &inputs(&[v, "true", "m"]), true);
            assert_eq!(
                &there[1..],
                &inputs(&["true", "m"]),
                "only converted fields change"
            );
            let back = switch_units(&b.schema, &there, false);
            assert_eq!(
                back[0].parse::<f64>().unwrap(),
                v.parse::<f64>().unwrap(),
                "{v} → {} → {}",
                there[0],
                back[0]
            );
        }
        assert_eq!(
            switch_units(&b.schema, &inputs(&["148", "", ""]), true)[0],
            "8.214"
        );
        assert_eq!(
            switch_units(&b.schema, &inputs(&["abc", "", ""]), true)[0],
            "abc"
        );
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
