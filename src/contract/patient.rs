//! Raw patient input → a [`PatientRecord`] that has passed the schema.
//!
//! Validation happens once, here; everything downstream takes a `PatientRecord` and can rely
//! on it (every value known to the schema, of the right type, inside its plausible range, and
//! missing only where the schema allows it). Input arrives as JSON from the CLI, the form and the
//! JS API alike, so all three get the same checks and the same messages.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::contract::schema::{Feature, Kind, Lang, Schema};
use crate::error::{excerpt, Error, Result};

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

    /// A record of values already validated against the schema: a stored case of a bundle's
    /// library ([`crate::cases::CaseLibrary::record`]), read back in schema feature order.
    pub(crate) fn from_stored(values: Vec<Option<Value>>) -> PatientRecord {
        PatientRecord { values }
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
        let entries: Entries = serde_json::from_str(text).map_err(|e| not_an_object(text, &e))?;
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
            if value.is_none() && feature.missing == crate::contract::schema::Missing::Reject {
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
            let v = match raw {
                Json::Number(n) => n.as_f64().filter(|v| v.is_finite()),
                // "10" for 10: say that the type is wrong, not that 10 is not 1–10.
                Json::String(s) if is_number_text(s) => {
                    return Err(Error::NumberAsText {
                        field: feature.column.clone(),
                        value: s.clone(),
                    })
                }
                _ => None,
            }
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
                        crate::contract::schema::codes(levels)
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
                    accepted: crate::contract::schema::codes(levels),
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
            b.map(|b| Some(Value::Bool(b))).ok_or_else(|| {
                wrong(format!(
                    "true or false (or the text \"{true_code}\" or \"{false_code}\")"
                ))
            })
        }
    }
}

/// Text that reads as a finite number (`"10"`, `" 2.5 "`, `"1e3"`); not `"NaN"` or `"1e999"`.
fn is_number_text(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(f64::is_finite)
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
    let entries: Entries = serde_json::from_str(text).map_err(|e| not_an_object(text, &e))?;
    let mut obj = serde_json::Map::new();
    for (k, v) in entries.0 {
        obj.insert(k, v);
    }
    Ok(Json::Object(obj))
}

/// The parser's error as a [`Error::BadPatient`]. serde_json would quote a string given
/// instead of the object whole (`invalid type: string "…"`): that one is worded here, with an
/// excerpt and as the other wrong types are.
fn not_an_object(text: &str, e: &serde_json::Error) -> Error {
    let top_string = (e.classify() == serde_json::error::Category::Data)
        .then(|| {
            let mut de = serde_json::Deserializer::from_str(text);
            String::deserialize(&mut de).ok()
        })
        .flatten();
    let reason = match top_string {
        Some(s) => format!(
            "expected an object, got the text {:?}",
            excerpt(&s, Lang::En)
        ),
        None => e.to_string(),
    };
    Error::BadPatient { reason }
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
                            "field `{}` appears more than once",
                            excerpt(&k, Lang::En)
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
    use crate::contract::schema::tests::SAMPLE;

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

    /// The message in English (as the CLI prints it) and as the page words it in each language.
    fn words(schema: &Schema, text: &str) -> [String; 3] {
        use crate::present::wording::error_text;
        let e = PatientRecord::from_json_text(schema, text).unwrap_err();
        [
            e.to_string(),
            error_text(&e, Some(schema), Lang::En),
            error_text(&e, Some(schema), Lang::Zh),
        ]
    }

    fn biopsy() -> Schema {
        Schema::from_toml(include_str!("../../data/biopsy.schema.toml")).unwrap()
    }

    #[test]
    fn a_number_sent_as_text_is_refused_for_its_type_not_its_value() {
        assert_eq!(
            words(&biopsy(), r#"{"V1": "10"}"#),
            [
                "field `V1`: expected a number, got the text \"10\"",
                "Clump thickness (score 1–10): expected a number, got the text \"10\"",
                "团块厚度（1–10 分）：应为数字，收到的是文本“10”",
            ]
        );
        for text in [
            r#"{"glu": " 148 "}"#,
            r#"{"glu": "1e3"}"#,
            r#"{"glu": "-5"}"#,
        ] {
            let e = PatientRecord::from_json_text(&schema(), text).unwrap_err();
            assert!(matches!(e, Error::NumberAsText { .. }), "{text}: {e}");
        }
    }

    #[test]
    fn a_wrong_type_for_a_number_says_what_is_accepted_and_what_was_given() {
        let s = biopsy();
        let cases = [
            (r#""ten""#, "the text \"ten\"", "文本“ten”"),
            ("true", "true", "布尔值 true"),
            ("[10]", "a list", "列表"),
            (r#"{"v": 10}"#, "an object", "对象"),
            ("2.5", "2.5", "数字 2.5"),
        ];
        for (json, en, zh) in cases {
            assert_eq!(
                words(&s, &format!(r#"{{"V1": {json}}}"#)),
                [
                    format!("field `V1`: expected a whole number between 1 and 10, got {en}"),
                    format!("Clump thickness (score 1–10): expected a whole number between 1 and 10, got {en}"),
                    format!("团块厚度（1–10 分）：应为 1–10 之间的整数，收到的是{zh}"),
                ],
                "{json}"
            );
        }
        // Text that is not a finite number is text, whatever it spells.
        assert_eq!(
            words(&schema(), r#"{"glu": "NaN", "smoker": 1}"#),
            [
                "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"NaN\"",
                "Glucose: expected a number in mg/dL between 20 and 600, got the text \"NaN\"",
                "血糖：应为 20–600 mg/dL 之间的数值，收到的是文本“NaN”",
            ]
        );
        let e = PatientRecord::from_json_text(&schema(), r#"{"glu": "1e999"}"#).unwrap_err();
        assert!(matches!(e, Error::WrongType { .. }), "{e}");
    }

    #[test]
    fn a_wrong_yes_no_answer_says_what_is_accepted_and_what_was_given() {
        assert_eq!(
            words(&schema(), r#"{"smoker": "maybe"}"#),
            [
                "field `smoker`: expected true or false (or the text \"1\" or \"0\"), got the text \"maybe\"",
                "Smoker: expected true or false (or the text \"1\" or \"0\"), got the text \"maybe\"",
                "吸烟：应为 true 或 false（或文本“1”或“0”），收到的是文本“maybe”",
            ]
        );
        let [en, _, zh] = words(&schema(), r#"{"smoker": 2}"#);
        assert!(en.ends_with("got 2"), "{en}");
        assert!(zh.ends_with("收到的是数字 2"), "{zh}");
        // Accepted as before: booleans, the codes as text, and 1/0.
        for (json, b) in [("true", true), (r#""0""#, false), ("1", true), ("0", false)] {
            let p = PatientRecord::from_json_text(&schema(), &format!(r#"{{"smoker": {json}}}"#))
                .unwrap();
            assert_eq!(p.values()[1], Some(Value::Bool(b)), "{json}");
        }
    }

    #[test]
    fn a_wrong_category_says_what_is_accepted_and_what_was_given() {
        assert_eq!(
            words(&schema(), r#"{"smoker": 1, "sex": true}"#),
            [
                "field `sex`: expected one of the codes f, m, got true",
                "Sex: expected one of the codes f, m, got true",
                "性别：应为代码 f, m 之一，收到的是布尔值 true",
            ]
        );
        assert_eq!(
            words(&schema(), r#"{"smoker": 1, "sex": "x"}"#),
            [
                "field `sex`: `x` is not one of f, m",
                "Sex: “x” is not one of f, m",
                "性别：“x”不是可选值之一（f, m）",
            ]
        );
    }

    #[test]
    fn a_categorical_code_may_be_given_as_text_or_as_a_number() {
        let s = Schema::from_toml(&SAMPLE.replace(r#"code = "f""#, r#"code = "1""#)).unwrap();
        for sex in ["1", r#""1""#] {
            let p = PatientRecord::from_json_text(&s, &format!(r#"{{"smoker": 1, "sex": {sex}}}"#))
                .unwrap();
            assert_eq!(p.values()[2], Some(Value::Level(0)), "{sex}");
        }
        let e = PatientRecord::from_json_text(&s, r#"{"smoker": 1, "sex": 2}"#).unwrap_err();
        assert_eq!(e.to_string(), "field `sex`: `2` is not one of 1, m");
    }

    #[test]
    fn a_20_million_character_value_gives_a_short_message_naming_field_and_what_is_accepted() {
        let long = "x".repeat(20_000_000);
        let cut = format!("{}… (20000000 characters)", "x".repeat(40));
        let cases = [
            (format!(r#"{{"glu": "{long}"}}"#), "between 20 and 600"),
            (format!(r#"{{"smoker": "{long}"}}"#), "true or false"),
            (format!(r#"{{"smoker": 1, "sex": "{long}"}}"#), "f, m"),
            (format!(r#"{{"{long}": 1}}"#), "glu, smoker, sex"),
            (format!(r#"{{"{long}": 1, "{long}": 1}}"#), "more than once"),
            (format!(r#""{long}""#), "an object"),
        ];
        for (text, accepted) in &cases {
            let [en, page_en, zh] = words(&schema(), text);
            for m in [&en, &page_en, &zh] {
                assert!(m.len() < 200, "{} bytes: {m}", m.len());
                assert!(m.contains(&long[..40]), "{m}");
            }
            assert!(en.contains(&cut) && page_en.contains(&cut), "{en}");
            assert!(en.contains(accepted), "{en}");
        }
        let [_, _, zh] = words(&schema(), &format!(r#"{{"glu": "{long}"}}"#));
        assert_eq!(
            zh,
            format!(
                "血糖：应为 20–600 mg/dL 之间的数值，收到的是文本“{}…（共 20000000 个字符）”",
                "x".repeat(40)
            )
        );
    }

    #[test]
    fn a_long_chinese_value_is_cut_on_a_character_boundary() {
        let value = "血".repeat(1000);
        let [en, _, zh] = words(&schema(), &format!(r#"{{"glu": "{value}"}}"#));
        let kept = "血".repeat(40);
        assert!(
            en.ends_with(&format!("the text \"{kept}… (1000 characters)\"")),
            "{en}"
        );
        assert!(
            zh.ends_with(&format!("文本“{kept}…（共 1000 个字符）”")),
            "{zh}"
        );
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
