//! FHIR R4 in and out.
//!
//! **In:** a Bundle (or a single Patient or Observation) becomes the form's texts. Each
//! feature's `fhir` source in the schema says where it comes from: LOINC codes of the same
//! measurement (an Observation's code or a component's, e.g. diastolic pressure inside a
//! blood-pressure panel) with their UCUM unit, the age from `Patient.birthDate`, or a code from
//! `Patient.gender`. The latest usable observation wins, its unit is converted where the schema
//! declares how, and the value goes through the same validation as typed input. Everything that
//! could not be used is listed with the reason: no observation, a unit that cannot be
//! converted, a value the schema refuses, a code that only looks like the measurement (a random
//! glucose is not the 2-h OGTT value), or a code this model does not use at all.
//!
//! **Out:** an assessment as a FHIR RiskAssessment whose basis names the model bundle by its
//! SHA-256 and the observations that were used. Built as JSON here; the app offers it as a
//! download, the CLI prints it. Nothing is sent anywhere.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::assess::Assessment;
use crate::bundle::Bundle;
use crate::error::{Error, Result};
use crate::patient::parse_value;
use crate::schema::{Kind, Lang, Schema, Text};

const LOINC: &str = "http://loinc.org";

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31.
    pub day: u32,
}

impl Date {
    /// A full `YYYY-MM-DD` date (what follows it, as in a dateTime, is ignored). `None` for
    /// partial dates (`1945`, `1945-12`) and anything else.
    pub fn parse(text: &str) -> Option<Date> {
        let ymd = text.get(..10)?;
        let mut parts = ymd.split('-');
        let year = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub fn years_to(self, on: Date) -> i32 {
        let had_birthday = (on.month, on.day) >= (self.month, self.day);
        on.year - self.year - i32::from(!had_birthday)
    }
}

/// One value the import filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Used {
    /// The schema column.
    pub column: String,
    /// The value as the form gets it (schema units).
    pub value: String,
    /// Where it came from: resource, code, original value and unit, date.
    pub source: String,
}

/// Why something in the FHIR input (or a feature of the model) was not used.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// The model has no FHIR source for this feature: type it by hand.
    NoMapping,
    /// No usable observation (or patient data) for it in the input.
    NoData,
    /// A code that looks like the measurement but is not it (the schema's reason).
    NotSame(Text),
    /// A unit that cannot be converted to the feature's.
    Unit {
        /// The observation's unit.
        got: String,
        /// What the model needs.
        want: String,
    },
    /// The value was refused by validation (out of range…).
    Rejected(Error),
    /// `Patient.birthDate` is not a full date.
    PartialBirthDate(String),
    /// `Patient.gender` has no code in this feature.
    Gender(String),
    /// The patient's gender is not the training population's.
    Population {
        /// The patient's.
        got: String,
        /// The population's.
        want: String,
    },
    /// An observation whose code this model does not use.
    NotUsed,
    /// An observation with no numeric `valueQuantity`.
    NoValue,
}

/// Something not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The feature's column, or the observation's code and name.
    pub what: String,
    /// Why.
    pub why: Why,
}

impl Skipped {
    /// Whether it is about the whole patient (shown as a warning, not in the list).
    pub fn is_warning(&self) -> bool {
        matches!(self.why, Why::Population { .. })
    }
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// Form texts, schema order and units; blank where nothing was found.
    pub inputs: Vec<String>,
    /// What was filled in, from where.
    pub used: Vec<Used>,
    /// What was not, and why.
    pub skipped: Vec<Skipped>,
    /// `Patient/<id>`, when the input had a patient with an id.
    pub subject: Option<String>,
    /// `Observation/<id>` of every observation used (the RiskAssessment's basis).
    pub basis: Vec<String>,
}

/// One numeric reading found in an observation (or one of its components).
struct Reading<'a> {
    code: &'a str,
    display: &'a str,
    value: Option<f64>,
    unit: &'a str,
    when: &'a str,
    id: Option<&'a str>,
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// The LOINC codings of a CodeableConcept, with their display text.
fn loinc_codes(concept: &Json) -> Vec<(&str, &str)> {
    let text = concept.get("text").and_then(Json::as_str).unwrap_or("");
    concept
        .get("coding")
        .and_then(Json::as_array)
        .map(|codings| {
            codings
                .iter()
                .filter(|c| c.get("system").and_then(Json::as_str) == Some(LOINC))
                .filter_map(|c| {
                    let code = c.get("code")?.as_str()?;
                    Some((
                        code,
                        c.get("display").and_then(Json::as_str).unwrap_or(text),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every LOINC-coded reading of the usable observations: the observation's own and its
/// components'. Observations that are cancelled, entered in error or only preliminary are
/// not readings.
fn readings<'a>(observations: &[&'a Json]) -> Vec<Reading<'a>> {
    let mut out = Vec::new();
    for obs in observations {
        let status = obs.get("status").and_then(Json::as_str).unwrap_or("");
        if !matches!(status, "final" | "amended" | "corrected") {
            continue;
        }
        let when = str_at(obs, &["effectiveDateTime"])
            .or_else(|| str_at(obs, &["issued"]))
            .unwrap_or("");
        let id = obs.get("id").and_then(Json::as_str);
        let mut parts = vec![*obs];
        if let Some(components) = obs.get("component").and_then(Json::as_array) {
            parts.extend(components.iter());
        }
        for part in parts {
            let Some(concept) = part.get("code") else {
                continue;
            };
            let quantity = part.get("valueQuantity");
            let value = quantity.and_then(|q| q.get("value")).and_then(Json::as_f64);
            let unit = quantity
                .and_then(|q| q.get("code").or_else(|| q.get("unit")))
                .and_then(Json::as_str)
                .unwrap_or("");
            for (code, display) in loinc_codes(concept) {
                out.push(Reading {
                    code,
                    display,
                    value,
                    unit,
                    when,
                    id,
                });
            }
        }
    }
    out
}

/// Map a FHIR R4 resource (Bundle, Patient or Observation, as JSON) onto `schema`'s features.
/// Ages are taken on `today`.
pub fn import(schema: &Schema, input: &Json, today: Date) -> Result<Imported> {
    let kind = input.get("resourceType").and_then(Json::as_str);
    let resources: Vec<&Json> = match kind {
        Some("Bundle") => input
            .get("entry")
            .and_then(Json::as_array)
            .map(|entries| entries.iter().filter_map(|e| e.get("resource")).collect())
            .unwrap_or_default(),
        Some("Patient" | "Observation") => vec![input],
        other => {
            return Err(Error::Fhir(format!(
                "expected a FHIR Bundle, Patient or Observation, got {}",
                other.map_or_else(|| "no resourceType".to_string(), |k| format!("a {k}"))
            )))
        }
    };
    let is = |r: &Json, t: &str| r.get("resourceType").and_then(Json::as_str) == Some(t);
    let patient = resources.iter().copied().find(|r| is(r, "Patient"));
    let observations: Vec<&Json> = resources
        .iter()
        .copied()
        .filter(|r| is(r, "Observation"))
        .collect();
    let readings = readings(&observations);

    let mut out = Imported {
        inputs: vec![String::new(); schema.features.len()],
        used: Vec::new(),
        skipped: Vec::new(),
        subject: patient
            .and_then(|p| p.get("id"))
            .and_then(Json::as_str)
            .map(|id| format!("Patient/{id}")),
        basis: Vec::new(),
    };
    let gender = patient.and_then(|p| p.get("gender")).and_then(Json::as_str);
    if let (Some(want), Some(got)) = (schema.fhir.as_ref().and_then(|f| f.gender.as_ref()), gender)
    {
        if want != got {
            out.skipped.push(Skipped {
                what: "Patient.gender".into(),
                why: Why::Population {
                    got: got.into(),
                    want: want.clone(),
                },
            });
        }
    }
    let mut known_codes: Vec<&str> = Vec::new();
    for (i, feature) in schema.features.iter().enumerate() {
        let skip = |why: Why| Skipped {
            what: feature.column.clone(),
            why,
        };
        let Some(source) = &feature.fhir else {
            out.skipped.push(skip(Why::NoMapping));
            continue;
        };
        known_codes.extend(source.loinc.iter().map(String::as_str));
        known_codes.extend(source.not.iter().map(|n| n.loinc.as_str()));
        // Look-alike codes present in the input are named, so nobody wonders why they were
        // not taken.
        for not in &source.not {
            if let Some(r) = readings.iter().find(|r| r.code == not.loinc) {
                out.skipped.push(Skipped {
                    what: format!("{} ({})", r.display, r.code),
                    why: Why::NotSame(not.why.clone()),
                });
            }
        }
        let found: Option<(f64, String)> = if source.birth_date {
            match patient
                .and_then(|p| p.get("birthDate"))
                .and_then(Json::as_str)
            {
                None => None,
                Some(b) => match Date::parse(b) {
                    Some(born) => Some((
                        f64::from(born.years_to(today)),
                        format!("Patient.birthDate {b}"),
                    )),
                    None => {
                        out.skipped.push(skip(Why::PartialBirthDate(b.into())));
                        continue;
                    }
                },
            }
        } else if !source.gender.is_empty() {
            match gender {
                None => None,
                Some(g) => match source.gender.iter().find(|(k, _)| k == g).map(|(_, c)| c) {
                    Some(code) => {
                        if let Some(slot) = out.inputs.get_mut(i) {
                            slot.clone_from(code);
                        }
                        out.used.push(Used {
                            column: feature.column.clone(),
                            value: code.clone(),
                            source: format!("Patient.gender {g}"),
                        });
                        continue;
                    }
                    None => {
                        out.skipped.push(skip(Why::Gender(g.into())));
                        continue;
                    }
                },
            }
        } else {
            let latest = readings
                .iter()
                .filter(|r| source.loinc.iter().any(|c| c == r.code))
                .max_by(|a, b| a.when.cmp(b.when));
            match latest {
                None => None,
                Some(r) => {
                    let Some(v) = r.value else {
                        out.skipped.push(skip(Why::NoValue));
                        continue;
                    };
                    let want = source.ucum.as_deref().unwrap_or("");
                    let second = match &feature.kind {
                        Kind::Numeric {
                            convert: Some(c), ..
                        } if c.unit == r.unit => Some(c.factor),
                        _ => None,
                    };
                    let value = if r.unit == want {
                        v
                    } else if let Some(factor) = second {
                        v / factor
                    } else {
                        out.skipped.push(skip(Why::Unit {
                            got: r.unit.into(),
                            want: want.into(),
                        }));
                        continue;
                    };
                    if let Some(id) = r.id {
                        out.basis.push(format!("Observation/{id}"));
                    }
                    let date = r.when.get(..10).unwrap_or(r.when);
                    Some((
                        value,
                        format!("{} ({}) {v} {}, {date}", r.display, r.code, r.unit),
                    ))
                }
            }
        };
        let Some((value, from)) = found else {
            out.skipped.push(skip(Why::NoData));
            continue;
        };
        match parse_value(feature, &Json::from(value)) {
            Ok(_) => {
                if let Some(slot) = out.inputs.get_mut(i) {
                    *slot = value.to_string();
                }
                out.used.push(Used {
                    column: feature.column.clone(),
                    value: value.to_string(),
                    source: from,
                });
            }
            Err(e) => out.skipped.push(skip(Why::Rejected(e))),
        }
    }
    // Every other coded observation in the input, once per code.
    let mut unused: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &readings {
        if !known_codes.contains(&r.code) {
            unused.entry(r.code).or_insert(r.display);
        }
    }
    out.skipped
        .extend(unused.into_iter().map(|(code, display)| Skipped {
            what: format!("{display} ({code})"),
            why: Why::NotUsed,
        }));
    Ok(out)
}

/// Parse FHIR JSON text and [`import`] it.
pub fn import_text(schema: &Schema, text: &str, today: Date) -> Result<Imported> {
    let json: Json =
        serde_json::from_str(text).map_err(|e| Error::Fhir(format!("not JSON: {e}")))?;
    import(schema, &json, today)
}

/// The assessment as a FHIR R4 RiskAssessment: one prediction per class with its calibrated
/// probability, the method in words, and as basis the model bundle (by SHA-256) and the
/// observations used. `subject` is `Patient/<id>` when the patient came from FHIR; otherwise
/// the subject is named only in words, since nothing identifies them. `when` is an ISO 8601
/// date-time.
pub fn risk_assessment(
    bundle: &Bundle,
    sha256: &str,
    assessment: &Assessment,
    subject: Option<&str>,
    observations: &[String],
    when: &str,
) -> Json {
    let schema = &bundle.schema;
    let subject = match subject {
        Some(reference) => json!({ "reference": reference }),
        None => json!({ "display": "Patient assessed in Bedside (not identified)" }),
    };
    let mut basis = vec![json!({
        "identifier": { "system": "urn:bedside:bundle-sha256", "value": sha256 },
        "display": format!("Bedside model bundle {} (SHA-256 {sha256})", schema.id),
    })];
    basis.extend(observations.iter().map(|r| json!({ "reference": r })));
    let top = assessment.top;
    let predictions: Vec<Json> = assessment
        .probabilities
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut p = json!({
                "outcome": { "text": c.label.get(Lang::En) },
                "probabilityDecimal": c.probability,
            });
            if i == top {
                if let Some(o) = p.as_object_mut() {
                    o.insert(
                        "rationale".into(),
                        json!("Most probable class under this model."),
                    );
                }
            }
            p
        })
        .collect();
    json!({
        "resourceType": "RiskAssessment",
        "status": "final",
        "code": { "text": schema.target.label.get(Lang::En) },
        "subject": subject,
        "occurrenceDateTime": when,
        "method": { "text": format!(
            "{} (Bedside, smartcore), calibrated; model bundle {}",
            assessment.model.name(), schema.id
        ) },
        "basis": basis,
        "prediction": predictions,
        "note": [{ "text": "Decision support, not a diagnosis: a statistical estimate to be checked against clinical judgement." }],
    })
}

/// What an import did, as JSON (the CLI prints it, the JS API returns it): `patient` (field →
/// value, as the model takes it), `inputs` (form texts, schema order and units), `used`
/// (`field`, `value`, `source`), `not_used` (everything not used: `what`, `label`, `why` in
/// `lang`), `warnings` (those of them about the whole patient), `subject`, `basis`.
pub fn report_json(schema: &Schema, imported: &Imported, lang: Lang) -> Json {
    use crate::i18n::{skipped_label, skipped_text};
    let item = |s: &Skipped| {
        json!({
            "what": s.what,
            "label": skipped_label(s, schema, lang),
            "why": skipped_text(s, schema, lang),
        })
    };
    json!({
        "patient": crate::form::to_json(schema, &imported.inputs),
        "inputs": imported.inputs,
        "used": imported.used.iter().map(|u| json!({
            "field": u.column, "value": u.value, "source": u.source,
        })).collect::<Vec<_>>(),
        "not_used": imported.skipped.iter().map(item).collect::<Vec<_>>(),
        "warnings": imported.skipped.iter().filter(|s| s.is_warning()).map(item).collect::<Vec<_>>(),
        "subject": imported.subject,
        "basis": imported.basis,
    })
}

/// What an import did, as escaped HTML in `lang`: a warning about the whole patient where the
/// training population differs, the fields filled in with their source, and (folded) what
/// was not used and why. Rendered here so the page only inserts it.
pub fn report_html(schema: &Schema, imported: &Imported, lang: Lang) -> String {
    use crate::i18n::{skipped_label, skipped_text, Msg};
    use crate::treatment::render::esc;
    use std::fmt::Write;
    let mut out = String::from("<div id=\"fhir-report\" role=\"status\">");
    let (warnings, others): (Vec<&Skipped>, Vec<&Skipped>) =
        imported.skipped.iter().partition(|s| s.is_warning());
    for w in warnings {
        let _ = write!(
            out,
            "<p class=\"warning\">{}</p>",
            esc(&skipped_text(w, schema, lang))
        );
    }
    let _ = write!(
        out,
        "<p>{} {}</p><ul id=\"fhir-used\">",
        esc(Msg::FhirFilled.text(lang)),
        imported.used.len()
    );
    for u in &imported.used {
        let f = schema.feature(&u.column);
        let label = f.map_or(u.column.as_str(), |f| f.label.get(lang));
        let unit = f.map_or("", |f| f.unit());
        let _ = write!(
            out,
            "<li data-field=\"{}\">{}</li>",
            esc(&u.column),
            esc(&format!("{label}: {} {unit} — {}", u.value, u.source))
        );
    }
    let _ = write!(
        out,
        "</ul><details><summary>{} ({})</summary><ul id=\"fhir-skipped\">",
        esc(Msg::FhirNotUsed.text(lang)),
        others.len()
    );
    for s in others {
        let _ = write!(
            out,
            "<li data-what=\"{}\">{}: {}</li>",
            esc(&s.what),
            esc(skipped_label(s, schema, lang)),
            esc(&skipped_text(s, schema, lang))
        );
    }
    out.push_str("</ul></details></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pima() -> Schema {
        crate::schema::tests::shipped("pima")
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 22,
    };

    #[test]
    fn dates_and_ages() {
        assert_eq!(
            Date::from_unix_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_unix_days(20_414),
            Date {
                year: 2025,
                month: 11,
                day: 22
            }
        );
        assert_eq!(
            Date::from_unix_days(-1),
            Date {
                year: 1969,
                month: 12,
                day: 31
            }
        );
        let born = Date::parse("1945-12-10").unwrap();
        assert_eq!(born.years_to(TODAY), 80);
        assert_eq!(
            born.years_to(Date {
                year: 2026,
                month: 12,
                day: 10
            }),
            81
        );
        assert_eq!(
            Date::parse("2010-03-01T06:22:41-05:00"),
            Some(Date {
                year: 2010,
                month: 3,
                day: 1
            })
        );
        assert_eq!(Date::parse("1945"), None);
        assert_eq!(Date::parse("1945-13-01"), None);
    }

    fn obs(id: &str, code: &str, value: f64, unit: &str, when: &str) -> Json {
        json!({ "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": LOINC, "code": code, "display": "d" }] },
            "effectiveDateTime": when,
            "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit } })
    }

    fn bundle(resources: Vec<Json>) -> Json {
        json!({ "resourceType": "Bundle", "type": "collection",
            "entry": resources.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>() })
    }

    fn why<'a>(imported: &'a Imported, what: &str) -> Option<&'a Why> {
        imported
            .skipped
            .iter()
            .find(|s| s.what == what)
            .map(|s| &s.why)
    }

    #[test]
    fn the_latest_same_measurement_is_used_and_the_rest_is_explained() {
        let s = pima();
        let patient = json!({ "resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-06-01" });
        let bp_panel = json!({ "resourceType": "Observation", "id": "bp", "status": "final",
            "code": { "coding": [{ "system": LOINC, "code": "55284-4" }] }, "effectiveDateTime": "2024-01-02",
            "component": [
                { "code": { "coding": [{ "system": LOINC, "code": "8480-6" }] }, "valueQuantity": { "value": 128, "code": "mm[Hg]" } },
                { "code": { "coding": [{ "system": LOINC, "code": "8462-4" }] }, "valueQuantity": { "value": 84, "code": "mm[Hg]" } }
            ] });
        let input = bundle(vec![
            patient,
            obs("b-old", "39156-5", 31.0, "kg/m2", "2020-01-01"),
            obs("b-new", "39156-5", 27.5, "kg/m2", "2024-01-01"),
            bp_panel,
            obs("g", "2339-0", 150.0, "mg/dL", "2024-01-01"),
            obs("h", "8302-2", 170.0, "cm", "2024-01-01"),
            json!({ "resourceType": "Observation", "id": "x", "status": "entered-in-error",
                "code": { "coding": [{ "system": LOINC, "code": "39156-5" }] }, "effectiveDateTime": "2025-01-01",
                "valueQuantity": { "value": 60, "code": "kg/m2" } }),
        ]);
        let out = import(&s, &input, TODAY).unwrap();
        let value =
            |c: &str| out.inputs[s.features.iter().position(|f| f.column == c).unwrap()].clone();
        assert_eq!(
            value("bmi"),
            "27.5",
            "the latest final reading; the entered-in-error one is ignored"
        );
        assert_eq!(value("bp"), "84", "diastolic, from inside the panel");
        assert_eq!(value("age"), "46");
        assert_eq!(value("glu"), "", "a random glucose is not the OGTT value");
        assert!(matches!(why(&out, "glu"), Some(Why::NoData)));
        assert!(matches!(why(&out, "d (2339-0)"), Some(Why::NotSame(_))));
        assert!(matches!(why(&out, "d (8302-2)"), Some(Why::NotUsed)));
        assert!(matches!(why(&out, "ped"), Some(Why::NoMapping)));
        assert_eq!(out.subject.as_deref(), Some("Patient/p1"));
        assert_eq!(
            out.basis,
            vec![
                "Observation/bp".to_string(),
                "Observation/b-new".to_string()
            ]
        );
        assert!(why(&out, "Patient.gender").is_none());
    }

    #[test]
    fn units_values_and_population_are_checked() {
        let s = pima();
        let input = bundle(vec![
            json!({ "resourceType": "Patient", "gender": "male", "birthDate": "1990" }),
            obs("b", "39156-5", 250.0, "kg/m2", "2024-01-01"),
            obs("d", "8462-4", 11.0, "kPa", "2024-01-01"),
        ]);
        let out = import(&s, &input, TODAY).unwrap();
        assert!(matches!(
            why(&out, "bmi"),
            Some(Why::Rejected(Error::OutOfRange { .. }))
        ));
        assert!(
            matches!(why(&out, "bp"), Some(Why::Unit { got, want }) if got == "kPa" && want == "mm[Hg]")
        );
        assert!(matches!(why(&out, "age"), Some(Why::PartialBirthDate(b)) if b == "1990"));
        assert!(
            matches!(why(&out, "Patient.gender"), Some(Why::Population { got, want }) if got == "male" && want == "female")
        );
        assert!(out.inputs.iter().all(String::is_empty));
        assert!(out.subject.is_none());
    }

    #[test]
    fn not_fhir_is_a_clear_error() {
        let s = pima();
        for (text, msg) in [
            (
                "[1]",
                "expected a FHIR Bundle, Patient or Observation, got no resourceType",
            ),
            (
                r#"{"resourceType": "Claim"}"#,
                "expected a FHIR Bundle, Patient or Observation, got a Claim",
            ),
        ] {
            assert_eq!(
                import_text(&s, text, TODAY).unwrap_err().to_string(),
                format!("FHIR: {msg}")
            );
        }
        assert!(import_text(&s, "{", TODAY)
            .unwrap_err()
            .to_string()
            .starts_with("FHIR: not JSON"));
    }

    #[test]
    fn real_synthea_bundles_import_and_explain_what_they_lack() {
        let s = pima();
        let read = |name: &str| {
            let path = format!("{}/data/fhir/{name}", env!("CARGO_MANIFEST_DIR"));
            import_text(&s, &std::fs::read_to_string(path).unwrap(), TODAY).unwrap()
        };
        let columns = |out: &Imported| {
            out.used
                .iter()
                .map(|u| u.column.clone())
                .collect::<Vec<_>>()
        };
        // A man born in 1945: his blood pressure, BMI and age are used, and the import says
        // that the model was trained on women only.
        let man = read("fhiry_afhir_bundle.json");
        assert_eq!(columns(&man), vec!["bp", "bmi", "age"]);
        assert!(matches!(
            why(&man, "Patient.gender"),
            Some(Why::Population { .. })
        ));
        assert!(matches!(
            why(&man, "Glucose (2339-0)"),
            Some(Why::NotSame(_))
        ));
        assert!(man.skipped.iter().any(|s| matches!(s.why, Why::NotUsed)));
        // A girl born in 2009: at 17 she is outside the ages the model accepts, so her age is
        // refused with the range, not silently used.
        let girl = read("Johnnie679_Hermiston71_2cd30bd6-3a87-4191-af90-6daa70f58f55.json");
        assert_eq!(columns(&girl), vec!["bp", "bmi"]);
        assert!(
            matches!(why(&girl, "age"), Some(Why::Rejected(Error::OutOfRange { value, .. })) if *value == 17.0)
        );
        assert!(why(&girl, "Patient.gender").is_none());
        let html = report_html(&s, &man, Lang::Zh);
        assert!(html.contains("<p class=\"warning\">患者记录的性别为 male"));
        assert!(html.contains("<li data-field=\"bmi\">体重指数"), "{html}");
        assert!(!html.contains("<script"));
    }
}
