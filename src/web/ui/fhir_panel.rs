//! FHIR R4 in and out, in the page: a Bundle from a file or pasted text becomes the patient on
//! screen (a new patient context, never merged into the last), with what was used from where
//! and what was not and why; the assessment downloads as a FHIR RiskAssessment whose subject and
//! basis are those of the patient on screen at the moment of the click. Everything runs here,
//! in this build, on the bundle the app verified; nothing is sent anywhere.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::state::{Action, Loaded, State};
use crate::clinical::context::{FromRecord, PatientContext};
use crate::present::ui::Msg;
use crate::util::html::esc;
use crate::util::lang::Lang;

/// Today in the browser's time zone (an age falls back to it when no observation is dated).
pub(crate) fn today() -> crate::interop::fhir::Date {
    let d = js_sys::Date::new_0();
    crate::interop::fhir::Date {
        year: d.get_full_year() as i32,
        month: d.get_month() + 1,
        day: d.get_date(),
    }
}

/// A message as the panel shows it.
fn error_html(message: &str) -> String {
    format!(
        "<p class=\"error\" role=\"alert\" id=\"fhir-error\">{}</p>",
        esc(message)
    )
}

/// Import FHIR JSON text for `loaded` and hand the result to the reducer: a new patient from
/// the record, or why it could not be used (then the patient on screen stays).
fn import(loaded: &Loaded, text: &str, lang: Lang, dispatch: &UseReducerDispatcher<State>) {
    let schema = &loaded.bundle.schema;
    let result = crate::interop::fhir::import_text(schema, text, today())
        .map(|imported| {
            let report = crate::present::fhir_report::report_html(schema, &imported, lang);
            FromRecord::from_imported(schema, &imported, report)
        })
        .map_err(|e| error_html(&e.to_string()));
    dispatch.dispatch(Action::FhirImported(loaded.sha256.clone(), result));
}

/// The patient on screen as a FHIR RiskAssessment (JSON text): its values, its subject (or
/// none) and the observations whose values are in the form now.
pub(super) fn risk_assessment(loaded: &Loaded, p: &PatientContext) -> Result<String, String> {
    let bundle = &loaded.bundle;
    let patient = crate::clinical::form::to_json(&bundle.schema, &p.canonical);
    let assessment =
        crate::clinical::assess::assess(bundle, &patient).map_err(|e| e.to_string())?;
    let when = String::from(js_sys::Date::new_0().to_iso_string());
    let json = crate::interop::fhir::risk_assessment(
        bundle,
        &loaded.sha256,
        &assessment,
        p.subject(),
        &p.basis(),
        &when,
    );
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    /// The patient on screen (the export's values, subject and basis; the import's report).
    pub patient: PatientContext,
    /// Why the last import could not be used.
    pub error: Option<Rc<String>>,
    /// Show the import report here (not when an EHR launch's panel shows it).
    pub report: bool,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &o.loaded)
            && self.patient.is_same(&o.patient)
            && self.error == o.error
            && self.report == o.report
            && self.lang == o.lang
    }
}

#[function_component]
pub fn FhirPanel(props: &Props) -> Html {
    let lang = props.lang;
    let section = use_node_ref();
    let schema = &props.loaded.bundle.schema;
    let p = &props.patient;
    // A file: read in the page (File API), then imported as pasted text is.
    let onchange = {
        let (loaded, dispatch) = (props.loaded.clone(), props.dispatch.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .filter(|i| i.id() == "fhir-file")
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let (loaded, dispatch) = (loaded.clone(), dispatch.clone());
            yew::platform::spawn_local(async move {
                match JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|t| t.as_string())
                {
                    Some(text) => import(&loaded, &text, lang, &dispatch),
                    None => dispatch.dispatch(Action::FhirImported(
                        loaded.sha256.clone(),
                        Err(error_html(&format!(
                            "{}: {}",
                            file.name(),
                            Msg::Unreadable.text(lang)
                        ))),
                    )),
                }
            });
        })
    };
    let on_import = {
        let (loaded, dispatch, section) = (
            props.loaded.clone(),
            props.dispatch.clone(),
            section.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let text = section
                .cast::<web_sys::Element>()
                .and_then(|s| s.query_selector("#fhir-text").ok().flatten())
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                .map(|t| t.value())
                .unwrap_or_default();
            import(&loaded, &text, lang, &dispatch);
        })
    };
    let on_export = {
        let (loaded, dispatch, patient) = (
            props.loaded.clone(),
            props.dispatch.clone(),
            props.patient.clone(),
        );
        Callback::from(
            move |_: MouseEvent| match risk_assessment(&loaded, &patient) {
                Ok(json) => super::treatment_panel::download(
                    &format!(
                        "data:application/fhir+json;charset=utf-8,{}",
                        String::from(js_sys::encode_uri_component(&json))
                    ),
                    &format!("bedside-riskassessment-{}.json", loaded.bundle.schema.id),
                ),
                Err(e) => dispatch.dispatch(Action::FhirImported(
                    loaded.sha256.clone(),
                    Err(error_html(&e)),
                )),
            },
        )
    };
    // The static controls are one piece of markup (far less WASM than a virtual-DOM node per
    // element); the buttons are components, so their state follows the app's.
    let controls = format!(
        "<h2 id=\"fhir-h\">{}</h2><p class=\"muted\">{}</p>\
         <label for=\"fhir-file\">{}</label><input type=\"file\" id=\"fhir-file\" accept=\".json,application/json,application/fhir+json\">\
         <label for=\"fhir-text\">{}</label><textarea id=\"fhir-text\" rows=\"3\" spellcheck=\"false\"></textarea>",
        esc(Msg::FhirHeading.text(lang)),
        esc(Msg::FhirIntro.text(lang)),
        esc(Msg::FhirFile.text(lang)),
        esc(Msg::FhirPaste.text(lang)),
    );
    let ready = p.outcome.as_ref().is_some_and(|o| o.assessment.is_some());
    html! {
        <section class="card fhir" aria-labelledby="fhir-h" ref={section} {onchange}
            data-id={schema.id.clone()}
            data-patient={p.serial.to_string()}
            data-subject={p.subject().unwrap_or_default().to_string()}
            data-basis={p.basis().join("\u{1f}")}>
            { Html::from_html_unchecked(AttrValue::from(controls)) }
            <div class="actions">
                <button type="button" class="secondary" id="fhir-import" onclick={on_import}>{ Msg::FhirImport.text(lang) }</button>
                <button type="button" id="fhir-export" disabled={!ready} onclick={on_export}>{ Msg::FhirExport.text(lang) }</button>
            </div>
            if let Some(error) = &props.error {
                { Html::from_html_unchecked(AttrValue::from((**error).clone())) }
            } else if let Some(report) = p.import_report.as_ref().filter(|_| props.report) {
                { Html::from_html_unchecked(AttrValue::from((**report).clone())) }
            }
        </section>
    }
}
