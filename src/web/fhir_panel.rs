//! FHIR R4 in and out, in the page: a Bundle from a file or pasted text fills in the form,
//! with what was used from where and what was not and why; the assessment downloads as a FHIR
//! RiskAssessment. Nothing is sent anywhere.
//!
//! The FHIR code (`crate::fhir`) runs in the widget build (pkg/widget), which the page fetches
//! the first time FHIR is used (the health check's table is worded there too); the service worker caches it like the app, so this works
//! offline too. The app itself keeps only this panel's markup and a small script: the app's
//! download stays within its budget. The engine also words the import report (escaped HTML in
//! the UI language), which the panel shows as it is.

use std::rc::Rc;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::state::{Action, Loaded, State};
use crate::i18n::Msg;
use crate::schema::Lang;

// The glue to www/lazy.js (minified beside this build's JS by ./dev.sh build), imported on
// first use; it loads the widget build, which does the work.
#[wasm_bindgen(inline_js = "
const lazy = () => import(new URL('../../lazy.js', import.meta.url));
const failed = (e) => '<p class=error role=alert>' + String(e).replace(/</g, '&lt;') + '</p>';
export function fhir_attach(s, done) { lazy().then((m) => m.fhir_attach(s, done), (e) => done(null, failed(e))); }
export function health_fill(el, i, l, si) { lazy().then((m) => m.health_fill(el, i, l, si), (e) => { el.innerHTML = failed(e); }); }
export function library_parse(url, name, text, lang) { return lazy().then((m) => m.library_parse(url, name, text, lang)); }
")]
extern "C" {
    /// A case-library CSV read against the bundle at `url` by the widget build: resolves to
    /// postcard bytes of `(CaseLibrary, skipped rows as shown)`, rejects with the reason.
    pub(crate) fn library_parse(url: &str, name: &str, text: &str, lang: &str) -> js_sys::Promise;
    /// Fill `el` (with `data-bundle`) with the health check of `inputs` (schema units).
    pub(crate) fn health_fill(el: &web_sys::Element, inputs: Vec<String>, lang: &str, si: bool);
    fn fhir_attach(section: &web_sys::Element, done: &Closure<dyn Fn(JsValue, String)>);
}

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    /// The last import's report (escaped HTML from the engine), or why it failed.
    pub report: Option<Rc<String>>,
    /// The form in the schema's units (what the export assesses).
    pub canonical: Rc<Vec<String>>,
    /// Whether there is an assessment to export.
    pub ready: bool,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &o.loaded)
            && self.report == o.report
            && Rc::ptr_eq(&self.canonical, &o.canonical)
            && self.ready == o.ready
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
        use_effect_with((), move |_| {
            // The import's inputs (schema units; null when it failed) and its report.
            let done =
                Closure::<dyn Fn(JsValue, String)>::new(move |inputs: JsValue, html: String| {
                    let inputs = (!inputs.is_null()).then(|| {
                        js_sys::Array::from(&inputs)
                            .iter()
                            .map(|v| v.as_string().unwrap_or_default())
                            .collect()
                    });
                    dispatch.dispatch(Action::FhirImported(inputs, html));
                });
            if let Some(el) = section.cast::<web_sys::Element>() {
                fhir_attach(&el, &done);
            }
            // The listeners live as long as the panel's element.
            move || drop(done)
        });
    }
    let schema = &props.loaded.bundle.schema;
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
    html! {
        <section class="card fhir" aria-labelledby="fhir-h" ref={section}
            data-bundle={super::app::bundle_url(&props.loaded.file)} data-id={schema.id.clone()}
            data-inputs={props.canonical.join("\u{1f}")}
            data-ready={props.ready.to_string()}>
            { Html::from_html_unchecked(AttrValue::from(controls)) }
            if let Some(report) = &props.report {
                { Html::from_html_unchecked(AttrValue::from((**report).clone())) }
            }
        </section>
    }
}
