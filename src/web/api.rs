//! The JS API: load a bundle's bytes, assess patients given as plain JS objects or JSON, find
//! similar cases. Used by the benchmarks and by pages that embed Bedside without the form.

use wasm_bindgen::prelude::*;

use crate::bundle::format::payload_sha256;
use crate::bundle::signature::Provenance;
use crate::bundle::Bundle;
use crate::cases::{CaseLibrary, Options};
use crate::contract::patient::PatientRecord;
#[cfg(feature = "ui")]
use crate::util::lang::Lang;
use serde_json::Value as Json;
use wasm_bindgen::JsCast;

/// A loaded model bundle.
#[wasm_bindgen]
pub struct Engine {
    bundle: Bundle,
    /// The schema's field names as JS strings, made once (see `Engine::record`).
    keys: Vec<JsValue>,
    sha256: String,
    /// A library replacing the bundle's training cases (synthetic, for benchmarks).
    library: Option<CaseLibrary>,
    /// Who vouches for the bundle.
    provenance: Provenance,
}

impl Engine {
    fn with(bundle: Bundle, bytes: &[u8], provenance: Provenance) -> Result<Engine, JsError> {
        let sha256 = payload_sha256(bytes).map_err(js_err)?;
        let keys = bundle
            .schema
            .features
            .iter()
            .map(|f| JsValue::from_str(&f.column))
            .collect();
        Ok(Engine {
            bundle,
            keys,
            sha256,
            library: None,
            provenance,
        })
    }

    fn library(&self) -> &CaseLibrary {
        self.library.as_ref().unwrap_or(&self.bundle.cases)
    }

    /// A patient object → a validated record. The usual object is read field by field
    /// ([`Engine::record_direct`]); anything else goes through JSON, whose errors name the
    /// problem. Both end in the same validation.
    fn record(&self, patient: &JsValue) -> Result<PatientRecord, JsError> {
        if let Some(record) = self.record_direct(patient) {
            return record.map_err(js_err);
        }
        let json = patient_json(patient)?;
        PatientRecord::from_json(&self.bundle.schema, &json).map_err(js_err)
    }

    /// A plain object whose own keys are all schema fields, holding finite numbers, strings,
    /// booleans or null, read with one `Reflect.get` per field: no text in between, which
    /// halves a 30-field call. `None` sends every other case (unknown or inherited keys,
    /// non-finite numbers, nested values, non-objects) to the JSON path.
    fn record_direct(&self, patient: &JsValue) -> Option<crate::error::Result<PatientRecord>> {
        if !patient.is_object() || js_sys::Array::is_array(patient) {
            return None;
        }
        let obj: &js_sys::Object = patient.unchecked_ref();
        let own = js_sys::Object::keys(obj).length() as usize;
        let mut entries: Vec<(&str, Json)> = Vec::with_capacity(own);
        for (feature, key) in self.bundle.schema.features.iter().zip(&self.keys) {
            let v = js_sys::Reflect::get(obj, key).ok()?;
            if v.is_undefined() {
                continue;
            }
            let json = if let Some(n) = v.as_f64() {
                // Whole numbers as integers, as JSON text would give them (categorical codes
                // given as numbers compare as text: "1", not "1.0").
                if n.fract() == 0.0 && n.abs() < 9.0e15 {
                    Json::from(n as i64)
                } else {
                    Json::Number(serde_json::Number::from_f64(n)?)
                }
            } else if let Some(s) = v.as_string() {
                Json::String(s)
            } else if let Some(b) = v.as_bool() {
                Json::Bool(b)
            } else if v.is_null() {
                Json::Null
            } else {
                return None;
            };
            entries.push((feature.column.as_str(), json));
        }
        if entries.len() != own {
            return None;
        }
        Some(PatientRecord::from_entries(
            &self.bundle.schema,
            entries.iter().map(|(k, v)| (*k, v)),
        ))
    }
}

/// Largest synthetic library (a 30-feature one this size takes about 1.3 GB).
#[cfg(feature = "bench")]
const MAX_SYNTHETIC: usize = 10_000_000;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

// A patient object crosses into WASM as one JSON text made by the browser's own
// `JSON.stringify`: field by field through serde-wasm-bindgen cost about 1 µs per field, most of
// a single-patient call. Plain `JSON.stringify` would turn NaN and ±Infinity into `null`, which
// reads as "missing"; the replacer keeps them as the strings "NaN", "Infinity", so validation
// refuses them by name. (A module snippet, not `new Function`: no `unsafe-eval` needed.)
#[wasm_bindgen(inline_js = "export function patient_text(p) {
  return JSON.stringify(p, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn patient_text(patient: &JsValue) -> Result<JsValue, JsValue>;
}

/// A JS value → the JSON value the core validates.
pub(crate) fn patient_json(patient: &JsValue) -> Result<Json, JsError> {
    let text = patient_text(patient).map_err(|e| {
        let why = js_sys::Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_default();
        js_err(crate::error::Error::BadPatient {
            reason: format!("it could not be written as JSON ({why})"),
        })
    })?;
    match text.as_string() {
        Some(text) => serde_json::from_str(&text).map_err(js_err),
        // `JSON.stringify(undefined)` (or of a function) has no text.
        None => Err(js_err(crate::error::Error::BadPatient {
            reason: "expected an object, got undefined".into(),
        })),
    }
}

#[wasm_bindgen]
impl Engine {
    /// Check and decode a bundle (`Uint8Array`). Throws an `Error` whose message says what is
    /// wrong with the file. Its signature is not checked here (the host vouches for the bytes):
    /// use `Engine.open` to have it checked.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Engine, JsError> {
        let bundle = Bundle::from_bytes(bytes).map_err(js_err)?;
        Engine::with(bundle, bytes, Provenance::NotChecked)
    }

    /// Check a bundle's signature against the built-in keys and `options.trustedKeys` under
    /// `options.signaturePolicy` (`require` when any key is trusted, else `warn`), with the
    /// browser's Web Crypto, then decode it. Resolves to an `Engine`; rejects with an `Error`
    /// that says which check failed and why. (Widget build; the lean headless build has
    /// `signedMessage` and `openChecked` instead, which need no async support in its WASM.)
    #[cfg(feature = "ui")]
    pub async fn open(bytes: Vec<u8>, options: JsValue) -> Result<Engine, JsError> {
        let trust = super::trust::from_options(&options).map_err(js_err)?;
        let (bundle, provenance) = super::trust::open(&bytes, &trust).await.map_err(js_err)?;
        Engine::with(bundle, &bytes, provenance)
    }

    /// Step 1 of opening a bundle with its signature checked (headless build): what must be
    /// verified under `options` (`trustedKeys`, `signaturePolicy`, as for `Engine.open`):
    /// `{ key, signature, message }` (`Uint8Array`s) for Ed25519 verification, or `undefined`
    /// when nothing needs verifying. Throws when the file is damaged.
    #[wasm_bindgen(js_name = signedMessage)]
    pub fn signed_message(bytes: &[u8], options: JsValue) -> Result<JsValue, JsError> {
        let trust = super::trust::from_options(&options).map_err(js_err)?;
        let envelope = crate::bundle::signature::split(bytes).map_err(js_err)?;
        crate::bundle::format::check_hash(envelope.bundle).map_err(js_err)?;
        let Some(b) = crate::bundle::signature::to_verify(&trust, &envelope) else {
            return Ok(JsValue::UNDEFINED);
        };
        let out = js_sys::Object::new();
        let message = crate::bundle::signature::message(envelope.bundle);
        for (k, v) in [
            ("key", &b.key[..]),
            ("signature", &b.signature[..]),
            ("message", &message[..]),
        ] {
            js_sys::Reflect::set(&out, &k.into(), &js_sys::Uint8Array::from(v))
                .map_err(|_| JsError::new("signedMessage: cannot build the result"))?;
        }
        Ok(out.into())
    }

    /// Step 2: the policy's decision given whether step 1's signature verified
    /// (`crypto.subtle.verify('Ed25519', …)`), then the decoded bundle. Throws with the reason
    /// when the bundle is refused.
    #[wasm_bindgen(js_name = openChecked)]
    pub fn open_checked(bytes: &[u8], options: JsValue, verified: bool) -> Result<Engine, JsError> {
        let trust = super::trust::from_options(&options).map_err(js_err)?;
        let envelope = crate::bundle::signature::split(bytes).map_err(js_err)?;
        let (bundle, provenance) = Bundle::accept(&trust, &envelope, verified).map_err(js_err)?;
        Engine::with(bundle, bytes, provenance)
    }

    /// Who vouches for the bundle: `verified:<key id>`, `unsigned`, `unknown-signer:<key id>`
    /// or `not-checked`.
    pub fn provenance(&self) -> String {
        match &self.provenance {
            Provenance::Verified(k) => format!("verified:{k}"),
            Provenance::Unsigned => "unsigned".into(),
            Provenance::UnknownSigner(k) => format!("unknown-signer:{k}"),
            Provenance::NotChecked => "not-checked".into(),
        }
    }

    /// Assess a patient given as an object of field → value. Throws on invalid input, with
    /// the field, the value and what is accepted. The result is a plain object (built by
    /// `JSON.parse` of the same JSON `assessJson` returns: one serializer for both keeps
    /// the WASM small).
    pub fn assess(&self, patient: JsValue) -> Result<JsValue, JsError> {
        let record = self.record(&patient)?;
        let assessment = crate::clinical::assess::assess_record(&self.bundle, &record);
        let text = serde_json::to_string(&assessment).map_err(js_err)?;
        js_sys::JSON::parse(&text).map_err(|_| JsError::new("the assessment could not be parsed"))
    }

    /// Only the calibrated class probabilities (schema order) of a patient given as an object:
    /// the same validation and model as `assess`, without the explanation, flags, distance and
    /// counterfactual. For hosts that show a risk score in their own UI, and for the
    /// model-only comparison in `./dev.sh bench-onnx`.
    pub fn probabilities(&self, patient: JsValue) -> Result<Vec<f64>, JsError> {
        let record = self.record(&patient)?;
        Ok(crate::clinical::predict::probabilities(
            &self.bundle,
            &record,
        ))
    }

    /// Assess a patient given as JSON text (duplicate keys are refused).
    #[wasm_bindgen(js_name = assessJson)]
    pub fn assess_json(&self, patient: &str) -> Result<String, JsError> {
        let assessment =
            crate::clinical::assess::assess_text(&self.bundle, patient).map_err(js_err)?;
        serde_json::to_string(&assessment).map_err(js_err)
    }

    /// The cases most similar to a patient (JSON text), as JSON: neighbours with distance,
    /// outcome, what is alike and what differs, and the outcome mix.
    pub fn similar(&self, patient: &str, k: usize, weighted: bool) -> Result<String, JsError> {
        let options = Options {
            k: Some(k),
            weighted,
            ..Options::default()
        };
        let found =
            crate::clinical::assess::similar_text(&self.bundle, self.library(), patient, &options)
                .map_err(js_err)?;
        serde_json::to_string(&found).map_err(js_err)
    }

    /// Treatment suggestions for a patient (JSON text: the schema's fields plus answers to the
    /// rules' questions, `true`/`false`/`null`), as JSON: ranked options with modelled risk per
    /// arm, case evidence and the rules with their citations.
    pub fn treatment(&self, patient: &str) -> Result<String, JsError> {
        let s = crate::clinical::treatment::suggest::suggest_text(&self.bundle, patient)
            .map_err(js_err)?;
        serde_json::to_string(&s).map_err(js_err)
    }

    /// The bundle's schema id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.bundle.schema.id.clone()
    }

    /// SHA-256 (hex) of the bundle payload.
    #[wasm_bindgen(getter)]
    pub fn sha256(&self) -> String {
        self.sha256.clone()
    }
}

/// FHIR R4 in and out: in the UI build (`pkg/bedside.js`), not in the lean headless scoring
/// build (`pkg/engine`).
#[cfg(feature = "ui")]
#[wasm_bindgen]
impl Engine {
    /// Map FHIR R4 JSON text (a Bundle, Patient or Observation) onto this model's features,
    /// taking ages on `today` (`YYYY-MM-DD`). Returns `fhir::report_json`'s object (in `lang`:
    /// `en` or `zh`) with `html`, the same report as escaped HTML.
    #[wasm_bindgen(js_name = fhirImport)]
    pub fn fhir_import(&self, text: &str, today: &str, lang: &str) -> Result<JsValue, JsError> {
        let lang = Lang::from_tag(lang);
        let today = crate::interop::fhir::Date::parse(today)
            .ok_or_else(|| JsError::new(&format!("today: expected YYYY-MM-DD, got {today}")))?;
        let schema = &self.bundle.schema;
        let out = crate::interop::fhir::import_text(schema, text, today).map_err(js_err)?;
        let mut json = crate::present::fhir_report::report_json(schema, &out, lang);
        if let Some(o) = json.as_object_mut() {
            o.insert(
                "html".into(),
                crate::present::fhir_report::report_html(schema, &out, lang).into(),
            );
        }
        // A plain JS object, by the browser's own JSON parser (one serializer, serde_json, for
        // everything this build hands to JS keeps the WASM small).
        let text = serde_json::to_string(&json).map_err(js_err)?;
        js_sys::JSON::parse(&text)
            .map_err(|_| JsError::new("the import report could not be parsed"))
    }

    /// Assess a patient and return the result as a FHIR R4 RiskAssessment (JSON text). The
    /// patient is the form's texts in the schema's units and order (`inputs`, as `fhirImport`
    /// gives them); `subject` is `Patient/<id>` or empty, `basis` the observations used, `when`
    /// an ISO 8601 date-time.
    #[wasm_bindgen(js_name = riskAssessment)]
    pub fn risk_assessment(
        &self,
        inputs: Vec<String>,
        subject: &str,
        basis: Vec<String>,
        when: &str,
    ) -> Result<String, JsError> {
        let patient = crate::clinical::form::to_json(&self.bundle.schema, &inputs);
        let assessment = crate::clinical::assess::assess(&self.bundle, &patient).map_err(js_err)?;
        let subject = (!subject.is_empty()).then_some(subject);
        let json = crate::interop::fhir::risk_assessment(
            &self.bundle,
            &self.sha256,
            &assessment,
            subject,
            &basis,
            when,
        );
        serde_json::to_string_pretty(&json).map_err(js_err)
    }
}

/// Benchmark-only entry points (`--features bench`, built by `./dev.sh bench-cases`): kept out
/// of the shipped app, whose size budget they would spend on code no user runs.
#[cfg(feature = "bench")]
#[wasm_bindgen]
impl Engine {
    /// Replace the case library with `n` synthetic cases drawn from the training cases'
    /// distribution (see `CaseLibrary::synthetic`), for benchmarks. Returns the bytes it holds.
    #[wasm_bindgen(js_name = useSyntheticLibrary)]
    pub fn use_synthetic_library(&mut self, n: usize, seed: u32) -> Result<usize, JsError> {
        if !(1..=MAX_SYNTHETIC).contains(&n) {
            return Err(JsError::new(&format!(
                "a synthetic library holds 1 to {MAX_SYNTHETIC} cases, not {n}"
            )));
        }
        self.library = None;
        let lib = self
            .bundle
            .cases
            .synthetic(&self.bundle.metric, n, u64::from(seed));
        let bytes = lib.len() * (lib.columns.len() * 4 + 2 + 4);
        self.library = Some(lib);
        Ok(bytes)
    }

    /// Search the library for the `k` cases nearest to its own case `i` (left out), as the
    /// benchmark's queries; returns the neighbours' indices in the library, nearest first.
    #[wasm_bindgen(js_name = similarToCase)]
    pub fn similar_to_case(&self, i: usize, k: usize) -> Vec<u32> {
        use crate::cases;
        let lib = self.library();
        let q = lib.stored_case(i);
        let options = Options {
            k: Some(k),
            exclude: Some(i),
            ..Options::default()
        };
        let n_classes = self.bundle.schema.target.classes.len();
        cases::search_stored(lib, &self.bundle.metric, n_classes, &q, &options)
            .neighbours
            .iter()
            .map(|n| n.case as u32)
            .collect()
    }

    /// The library in use as dense row-major `Float32Array` vectors (see
    /// `CaseLibrary::dense_scaled`), to feed other vector indexes in the benchmark.
    #[wasm_bindgen(js_name = libraryVectors)]
    pub fn library_vectors(&self) -> Vec<f32> {
        self.library().dense_scaled(&self.bundle.metric)
    }

    /// Cases in the library in use.
    #[wasm_bindgen(js_name = libraryLength)]
    pub fn library_length(&self) -> usize {
        self.library().len()
    }
}
