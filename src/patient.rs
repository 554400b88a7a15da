//! Raw patient input → a [`PatientRecord`] that has passed the schema.
//!
//! Validation happens once, here; everything downstream takes a `PatientRecord` and can rely
//! on it (every value known to the schema, of the right type, inside its plausible range, and
//! missing only where the schema allows it). Input arrives as JSON from the CLI, the form and the
//! JS API alike, so all three get the same checks and the same messages.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::schema::{Feature, Kind, Schema};

/// One validated value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A finite number inside the plausible range.
    Number(f64),
    /// Index into the feature's categorical levels.
    Level(usize),
    /// A yes/no answer.
    Bool(bool),
}

/// A patient whose values passed the schema: one slot per schema feature, in schema order;
/// `None` only where the schema allows a missing value.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientRecord {
    values: Vec<Option<Value>>,
}

impl PatientRecord {
    /// Values in schema feature order.
    pub fn values(&self) -> &[Option<Value>] {
        &self.values
    }

    /// A copy with feature `j` set to `value` (the caller keeps it within the schema, as the
    /// counterfactual search does by only trying values inside the plausible range).
    pub(crate) fn with_value(&self, j: usize, value: Value) -> PatientRecord {
        let mut values = self.values.clone();
        if let Some(slot) = values.get_mut(j) {
            *slot = Some(value);
        }
        PatientRecord { values }
    }

    /// Validate a JSON object text (`{"glu": 148, ...}`) against `schema`. Duplicate keys are
    /// an error rather than "last one wins", so a value can never be silently replaced.
    pub fn from_json_text(schema: &Schema, text: &str) -> Result<PatientRecord> {
        let entries: Entries = serde_json::from_str(text).map_err(|e| Error::BadPatient {
            reason: e.to_string(),
        })?;
        Self::from_entries(schema, entries.0.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// Validate an already-parsed JSON value (must be an object).
    pub fn from_json(schema: &Schema, value: &Json) -> Result<PatientRecord> {
        let obj = value.as_object().ok_or_else(|| Error::BadPatient {
            reason: format!("expected an object, got {}", json_kind(value)),
        })?;
        Self::from_entries(schema, obj.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// Validate (field, value) pairs; used by the JS API's field-by-field reader too.
    pub(crate) fn from_entries<'a>(
        schema: &Schema,
        entries: impl IntoIterator<Item = (&'a str, &'a Json)>,
    ) -> Result<PatientRecord> {
        let mut values: Vec<Option<Value>> = vec![None; schema.features.len()];
        for (key, raw) in entries {
            let idx = schema
                .features
                .iter()
                .position(|f| f.column == key)
                .ok_or_else(|| Error::UnknownField {
                    field: key.to_string(),
                    accepted: schema.columns_list(),
                })?;
            if let (Some(feature), Some(slot)) = (schema.features.get(idx), values.get_mut(idx)) {
                *slot = parse_value(feature, raw)?;
            }
        }
        for (feature, value) in schema.features.iter().zip(&values) {
            if value.is_none() && feature.missing == crate::schema::Missing::Reject {
                return Err(Error::MissingValue {
                    field: feature.column.clone(),
                });
            }
        }
        Ok(PatientRecord { values })
    }
}

/// Check one value against its feature. `null` means missing.
pub fn parse_value(feature: &Feature, raw: &Json) -> Result<Option<Value>> {
    if raw.is_null() {
        return Ok(None);
    }
    let wrong = |expected: String| Error::WrongType {
        field: feature.column.clone(),
        value: raw.to_string(),
        expected,
    };
    match &feature.kind {
        Kind::Numeric {
            unit,
            plausible,
            integer,
            ..
        } => {
            // Built only for the message: formatting it for every valid value was most of
            // the cost of validating a patient.
            let expected = || {
                let unit_words = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" in {unit}")
                };
                format!(
                    "a {}{unit_words} between {} and {}",
                    if *integer { "whole number" } else { "number" },
                    plausible.min,
                    plausible.max
                )
            };
            let v = raw
                .as_f64()
                .filter(|v| v.is_finite())
                .ok_or_else(|| wrong(expected()))?;
            if *integer && v.fract() != 0.0 {
                return Err(wrong(expected()));
            }
            if v < plausible.min || v > plausible.max {
                return Err(Error::OutOfRange {
                    field: feature.column.clone(),
                    value: v,
                    min: plausible.min,
                    max: plausible.max,
                    unit: unit.clone(),
                });
            }
            Ok(Some(Value::Number(v)))
        }
        Kind::Categorical { levels } => {
            let code = match raw {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                _ => {
                    return Err(wrong(format!(
                        "one of the codes {}",
                        crate::schema::codes(levels)
                    )))
                }
            };
            levels
                .iter()
                .position(|l| l.code == code)
                .map(|i| Some(Value::Level(i)))
                .ok_or_else(|| Error::UnknownCategory {
                    field: feature.column.clone(),
                    value: code,
                    accepted: crate::schema::codes(levels),
                })
        }
        Kind::Boolean {
            false_code,
            true_code,
        } => {
            let b = match raw {
                Json::Bool(b) => Some(*b),
                Json::String(s) if s == true_code => Some(true),
                Json::String(s) if s == false_code => Some(false),
                Json::Number(n) if n.as_f64() == Some(1.0) => Some(true),
                Json::Number(n) if n.as_f64() == Some(0.0) => Some(false),
                _ => None,
            };
            b.map(|b| Some(Value::Bool(b)))
                .ok_or_else(|| wrong(format!("true/false (or \"{true_code}\"/\"{false_code}\")")))
        }
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

/// Parse a JSON object text, refusing duplicate keys (as [`PatientRecord::from_json_text`]).
pub fn parse_object_text(text: &str) -> Result<Json> {
    let entries: Entries = serde_json::from_str(text).map_err(|e| Error::BadPatient {
        reason: e.to_string(),
    })?;
    let mut obj = serde_json::Map::new();
    for (k, v) in entries.0 {
        obj.insert(k, v);
    }
    Ok(Json::Object(obj))
}

/// A JSON object's entries in order, refusing duplicate keys.
struct Entries(Vec<(String, Json)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of field → value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Entries, A::Error> {
                let mut out: Vec<(String, Json)> = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Json>()? {
                    if out.iter().any(|(seen, _)| *seen == k) {
                        return Err(serde::de::Error::custom(format!(
                            "field `{k}` appears more than once"
                        )));
                    }
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::SAMPLE;

    fn schema() -> Schema {
        Schema::from_toml(SAMPLE).unwrap()
    }

    #[test]
    fn accepts_a_complete_record() {
        let p =
            PatientRecord::from_json_text(&schema(), r#"{"glu": 148, "smoker": true, "sex": "f"}"#)
                .unwrap();
        assert_eq!(
            p.values(),
            &[
                Some(Value::Number(148.0)),
                Some(Value::Bool(true)),
                Some(Value::Level(0))
            ]
        );
    }

    #[test]
    fn missing_allowed_only_where_schema_says() {
        let p =
            PatientRecord::from_json_text(&schema(), r#"{"smoker": "0", "glu": null}"#).unwrap();
        assert_eq!(p.values()[0], None);
        assert_eq!(p.values()[1], Some(Value::Bool(false)));
        let e = PatientRecord::from_json_text(&schema(), r#"{"glu": 100}"#).unwrap_err();
        assert_eq!(
            e,
            Error::MissingValue {
                field: "smoker".into()
            }
        );
    }

    #[test]
    fn out_of_range_names_the_range() {
        let e =
            PatientRecord::from_json_text(&schema(), r#"{"glu": 900, "smoker": 1}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `glu`: 900 mg/dL is outside the plausible range 20–600 mg/dL"
        );
    }

    #[test]
    fn wrong_types_say_what_is_accepted() {
        let e = PatientRecord::from_json_text(&schema(), r#"{"glu": "high", "smoker": 1}"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `glu`: \"high\" is not a number in mg/dL between 20 and 600"
        );
        let e = PatientRecord::from_json_text(&schema(), r#"{"smoker": "maybe"}"#).unwrap_err();
        assert!(e.to_string().contains("true/false"), "{e}");
        let e =
            PatientRecord::from_json_text(&schema(), r#"{"smoker": 1, "sex": "x"}"#).unwrap_err();
        assert_eq!(e.to_string(), "field `sex`: `x` is not one of f, m");
    }

    #[test]
    fn unknown_and_duplicate_fields_are_errors() {
        let e =
            PatientRecord::from_json_text(&schema(), r#"{"smoker": 1, "weight": 70}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown field `weight`; accepted fields: glu, smoker, sex"
        );
        let e =
            PatientRecord::from_json_text(&schema(), r#"{"smoker": 1, "smoker": 0}"#).unwrap_err();
        assert!(e.to_string().contains("appears more than once"), "{e}");
    }

    #[test]
    fn non_objects_and_garbage_are_errors_not_panics() {
        for text in ["[1,2]", "42", "", "{", "{\"glu\": 1e999}", "\u{0}"] {
            assert!(matches!(
                PatientRecord::from_json_text(&schema(), text),
                Err(Error::BadPatient { .. })
            ));
        }
        let e = PatientRecord::from_json(&schema(), &Json::Array(vec![])).unwrap_err();
        assert!(e.to_string().contains("an array"));
    }
}
