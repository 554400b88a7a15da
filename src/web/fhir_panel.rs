//! FHIR R4 in and out, in the page: a Bundle from a file or pasted text fills in the form,
//! with what was used from where and what was not and why; the assessment downloads as a FHIR
//! RiskAssessment. Nothing is sent anywhere.
//!
//! The FHIR code (`crate::fhir`) runs in the widget build (pkg/widget), which the page fetches
//! the first time FHIR is used (the health check's table is worded there too); the service
//! worker caches it like the app, so this works offline too. That code opens the very bytes
//! the app fetched and verified, under the same trust (`lazy_register`): it never fetches the
//! bundle a second time, and it cannot judge its signature differently from the app.
//!
//! An import is a new patient: the record replaces the patient on screen whole (see
//! `crate::context`). The export names the subject and cites the observations of the patient
//! context as it is now (`data-subject`, `data-basis`), never those of an earlier import. The app itself keeps only this panel's markup and a small script: the app's
//! download stays within its budget. The engine also words the import report (escaped HTML in
//! the UI language), which the panel shows as it is.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::state::{Action, Loaded, State};
use crate::context::{FromRecord, PatientContext, Record};
use crate::i18n::Msg;
use crate::schema::Lang;

// The glue to www/lazy.js (minified beside this build's JS by ./dev.sh build), imported on
// first use; it loads the widget build, which does the work. `sources` holds, per bundle hash,
// the bytes the app verified and the trust it used (copied out of WASM memory at once).
#[wasm_bindgen(inline_js = "
const lazy = () => import(new URL('../../lazy.js', import.meta.url));
const failed = (e) => '<p class=error role=alert>' + String(e).replace(/</g, '&lt;') + '</p>';
const sources = new Map();
export function lazy_register(sha, bytes, keys, policy) { if (!sources.has(sha)) sources.set(sha, { bytes: bytes.slice(), options: { trustedKeys: keys, signaturePolicy: policy } }); }
export function fhir_attach(s, done) { lazy().then((m) => m.fhir_attach(s, done, sources), (e) => done(s.dataset.sha, null, failed(e))); }
export function health_fill(el, i, l, si) { lazy().then((m) => m.health_fill(el, i, l, si, sources), (e) => { el.innerHTML = failed(e); }); }
export function library_parse(sha, name, text, lang) { return lazy().then((m) => m.library_parse(sha, name, text, lang, sources)); }
")]
extern "C" {
    /// Hand the verified bytes of bundle `sha` and the trust they were judged under to the
    /// code loaded on first use.
    pub(crate) fn lazy_register(sha: &str, bytes: &[u8], keys: Vec<String>, policy: &str);
    /// A case-library CSV read against the bundle `sha` by the widget build: resolves to
    /// postcard bytes of `(CaseLibrary, skipped rows as shown)`, rejects with the reason.
    pub(crate) fn library_parse(sha: &str, name: &str, text: &str, lang: &str) -> js_sys::Promise;
    /// Fill `el` (with `data-sha`) with the health check of `inputs` (schema units).
    pub(crate) fn health_fill(el: &web_sys::Element, inputs: Vec<String>, lang: &str, si: bool);
    fn fhir_attach(section: &web_sys::Element, done: &Closure<dyn Fn(String, JsValue, JsValue)>);
}

/// Register `loaded`'s bytes for the lazily loaded code (once per bundle hash).
pub(crate) fn register(loaded: &Loaded) {
    let keys = loaded
        .trust
        .keys
        .iter()
        .map(|k| crate::bundle::hex(k))
        .collect();
    lazy_register(
        &loaded.sha256,
        &loaded.bytes,
        keys,
        loaded.trust.policy.name(),
    );
}

/// The engine's import result (`fhir::report_json` plus `html`) as a patient from a record.
fn from_record(out: &JsValue, schema: &crate::schema::Schema) -> Option<FromRecord> {
    let n = schema.features.len();
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
    let text = |v: &JsValue, k: &str| get(v, k).and_then(|s| s.as_string());
    let inputs: Vec<String> = js_sys::Array::from(&get(out, "inputs")?)
        .iter()
        .map(|v| v.as_string().unwrap_or_default())
        .collect();
    if inputs.len() != n {
        return None;
    }
    let mut references = vec![None; n];
    for used in js_sys::Array::from(&get(out, "used")?).iter() {
        let (Some(field), Some(reference)) = (text(&used, "field"), text(&used, "reference"))
        else {
            continue;
        };
        if let Some(slot) = schema
            .features
            .iter()
            .position(|f| f.column == field)
            .and_then(|i| references.get_mut(i))
        {
            *slot = Some(reference);
        }
    }
    let record = get(out, "record").filter(|r| r.is_object());
    let record = Record {
        reference: record
            .as_ref()
            .and_then(|r| text(r, "reference"))
            .or_else(|| text(out, "subject")),
        name: record.as_ref().and_then(|r| text(r, "name")),
        birth_date: record.as_ref().and_then(|r| text(r, "birth_date")),
    };
    Some(FromRecord {
        inputs,
        references,
        record,
        report: text(out, "html").unwrap_or_default(),
    })
}

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    /// The patient on screen (the export's values, subject and basis; the import's report).
    pub patient: PatientContext,
    /// Why the last import could not be used.
    pub error: Option<Rc<String>>,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Props) -> bool {
        let (a, b) = (&self.patient, &o.patient);
        Rc::ptr_eq(&self.loaded, &o.loaded)
            && a.serial == b.serial
            && Rc::ptr_eq(&a.canonical, &b.canonical)
            && Rc::ptr_eq(&a.sources, &b.sources)
            && super::state::same(&a.outcome, &b.outcome)
            && self.error == o.error
            && self.lang == o.lang
    }
}

#[function_component]
pub fn FhirPanel(props: &Props) -> Html {
    let lang = props.lang;
    let section = use_node_ref();
    {
        let section = section.clone();
        let dispatch = props.dispatch.clone();
        let loaded = props.loaded.clone();
        use_effect_with((), move |_| {
            // The import (for the bundle with hash `sha`): the engine's result, or the reason
            // it failed as HTML.
            let done = Closure::<dyn Fn(String, JsValue, JsValue)>::new(
                move |sha: String, out: JsValue, error: JsValue| {
                    let result = if out.is_object() {
                        from_record(&out, &loaded.bundle.schema).ok_or_else(|| {
                            "<p class=\"error\" role=\"alert\" id=\"fhir-error\">the import does not match this model's fields</p>".to_string()
                        })
                    } else {
                        Err(error.as_string().unwrap_or_default())
                    };
                    dispatch.dispatch(Action::FhirImported(sha, result));
                },
            );
            if let Some(el) = section.cast::<web_sys::Element>() {
                fhir_attach(&el, &done);
            }
            // The listeners live as long as the panel's element.
            move || drop(done)
        });
    }
    let schema = &props.loaded.bundle.schema;
    let p = &props.patient;
    // The controls never change but with the language, so they are one piece of markup (far
    // less WASM than a virtual-DOM node per element); the script finds them by id.
    // Export starts disabled: the script that enables it once there is an estimate loads on
    // first use, and until then the button must not look usable.
    let esc = crate::treatment::render::esc;
    let controls = format!(
        "<h2 id=\"fhir-h\">{}</h2><p class=\"muted\">{}</p>\
         <label for=\"fhir-file\">{}</label><input type=\"file\" id=\"fhir-file\" accept=\".json,application/json,application/fhir+json\">\
         <label for=\"fhir-text\">{}</label><textarea id=\"fhir-text\" rows=\"3\" spellcheck=\"false\"></textarea>\
         <div class=\"actions\"><button type=\"button\" class=\"secondary\" id=\"fhir-import\">{}</button>\
         <button type=\"button\" id=\"fhir-export\" disabled>{}</button></div>",
        esc(Msg::FhirHeading.text(lang)),
        esc(Msg::FhirIntro.text(lang)),
        esc(Msg::FhirFile.text(lang)),
        esc(Msg::FhirPaste.text(lang)),
        esc(Msg::FhirImport.text(lang)),
        esc(Msg::FhirExport.text(lang)),
    );
    let ready = p.outcome.as_ref().is_some_and(|o| o.assessment.is_some());
    html! {
        <section class="card fhir" aria-labelledby="fhir-h" ref={section}
            data-sha={props.loaded.sha256.clone()} data-id={schema.id.clone()}
            data-patient={p.serial.to_string()}
            data-inputs={p.canonical.join("\u{1f}")}
            data-subject={p.subject().unwrap_or_default().to_string()}
            data-basis={p.basis().join("\u{1f}")}
            data-ready={ready.to_string()}>
            { Html::from_html_unchecked(AttrValue::from(controls)) }
            if let Some(error) = &props.error {
                { Html::from_html_unchecked(AttrValue::from((**error).clone())) }
            } else if let Some(report) = &p.import_report {
                { Html::from_html_unchecked(AttrValue::from((**report).clone())) }
            }
        </section>
    }
}
