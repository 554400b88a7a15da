//! Opened from an EHR (SMART App Launch): the page's launch script (`www/launch.js`) has done
//! the OAuth 2.0 authorization (fhirclient, PKCE) and hands the app a [`Launch`]: who the
//! patient is, whether the EHR shows its own banner, and two functions that talk to the
//! launching FHIR server with the token the script holds in memory — `read` and, when the
//! granted scopes allow it, `save`. The app never sees the token.
//!
//! For each bundle the app asks `read` for what that bundle's schema and rules use (the
//! [`crate::interop::fhir::queries`]) and runs the same import as a pasted Bundle, checked
//! against the launched patient; the form stays empty until the whole record has come.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::state::{Action, Loaded, RecordRead, State};
use crate::clinical::context::{FromRecord, PatientContext};
use crate::present::ui::Msg;
use crate::util::lang::Lang;

/// What the launch script gives the app.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The FHIR server (`iss`) the app was launched from.
    pub server: String,
    /// The launch context's Patient id.
    pub patient: String,
    /// The EHR shows its own patient banner (`need_patient_banner` false).
    pub ehr_banner: bool,
    /// `read(queries_json) → Promise<string>`: a FHIR Bundle (JSON text) of the Patient and
    /// what the queries ask for, every page of it.
    read: js_sys::Function,
    /// `save(resource_json) → Promise<string>`: creates the resource on the server and
    /// answers with its reference; absent when the granted scopes do not allow it.
    save: Option<js_sys::Function>,
}

impl PartialEq for Launch {
    fn eq(&self, o: &Launch) -> bool {
        self.server == o.server && self.patient == o.patient && self.ehr_banner == o.ehr_banner
    }
}

impl Launch {
    /// Read a launch from the script's object, or why it is not one.
    pub fn from_js(v: &JsValue) -> Result<Launch, String> {
        let get = |k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
        let text = |k: &str| {
            get(k)
                .and_then(|s| s.as_string())
                .filter(|s| !s.is_empty())
                .ok_or_else(|| format!("launch: `{k}` (text) is required"))
        };
        let function = |k: &str| {
            get(k)
                .filter(|f| !f.is_undefined() && !f.is_null())
                .map(|f| {
                    f.dyn_into::<js_sys::Function>()
                        .map_err(|_| format!("launch: `{k}` must be a function"))
                })
                .transpose()
        };
        Ok(Launch {
            server: text("server")?,
            patient: text("patient")?,
            ehr_banner: get("ehrBanner").and_then(|b| b.as_bool()).unwrap_or(false),
            read: function("read")?.ok_or("launch: `read` (a function) is required")?,
            save: function("save")?,
        })
    }
}

/// A promise's value as text, or its error's message.
async fn call(f: &js_sys::Function, arg: &str) -> Result<String, String> {
    let promise = f
        .call1(&JsValue::NULL, &JsValue::from_str(arg))
        .map_err(|e| message(&e))?;
    let value = JsFuture::from(js_sys::Promise::resolve(&promise))
        .await
        .map_err(|e| message(&e))?;
    value
        .as_string()
        .ok_or_else(|| "the launch script answered with something that is not text".into())
}

/// A thrown JS value in words.
fn message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// Read the launched patient's record for `loaded` and import it: a patient from the record,
/// or why not. A record of anyone but the launched patient is refused whole.
pub async fn read_record(
    launch: &Launch,
    loaded: &Loaded,
    lang: Lang,
) -> Result<FromRecord, String> {
    let bundle = &loaded.bundle;
    let queries = crate::interop::fhir::queries(&bundle.schema, &bundle.rules);
    let request = serde_json::to_string(&queries).map_err(|e| e.to_string())?;
    let text = call(&launch.read, &request).await?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("the server's answer is not JSON: {e}"))?;
    let imported = crate::interop::fhir::import_launched(
        &bundle.schema,
        &bundle.rules,
        &json,
        super::fhir_panel::today(),
        &launch.patient,
    )
    .map_err(|e| e.to_string())?;
    let report = crate::present::fhir_report::report_html(&bundle.schema, &imported, lang);
    let mut record = FromRecord::from_imported(&bundle.schema, &imported, report);
    record.record.ehr_banner = launch.ehr_banner;
    Ok(record)
}

/// Read the record whenever a bundle is ready (the first, and each one chosen after it).
#[hook]
pub fn use_record(launch: Option<Rc<Launch>>, state: &UseReducerHandle<State>) {
    let loaded = state.loaded().cloned();
    let lang = state.lang;
    let dispatch = state.dispatcher();
    let key = (
        launch.as_ref().map(|l| (**l).clone()),
        loaded.as_ref().map(|l| l.sha256.clone()),
    );
    use_effect_with(key, move |_| {
        if let (Some(launch), Some(loaded)) = (launch, loaded) {
            dispatch.dispatch(Action::RecordReading(loaded.sha256.clone()));
            yew::platform::spawn_local(async move {
                let result = read_record(&launch, &loaded, lang).await;
                dispatch.dispatch(Action::RecordRead(loaded.sha256.clone(), result));
            });
        }
    });
}

#[derive(Properties)]
pub struct Props {
    pub launch: Rc<Launch>,
    pub loaded: Rc<Loaded>,
    pub patient: PatientContext,
    pub read: Option<RecordRead>,
    pub lang: Lang,
}

impl PartialEq for Props {
    fn eq(&self, o: &Props) -> bool {
        Rc::ptr_eq(&self.launch, &o.launch)
            && Rc::ptr_eq(&self.loaded, &o.loaded)
            && self.patient.is_same(&o.patient)
            && self.read == o.read
            && self.lang == o.lang
    }
}

/// How the last save went, for the patient it was made for.
#[derive(Clone, PartialEq)]
enum Saved {
    Sending,
    Done(String),
    Failed(String),
}

/// The launch's panel: where the record came from, how reading it went, and the optional save.
#[function_component]
pub fn RecordPanel(props: &Props) -> Html {
    let lang = props.lang;
    let p = &props.patient;
    // A save's outcome belongs to the patient it was made for: keyed by the serial.
    let saved = use_state(|| None::<(u64, Saved)>);
    let status = match &props.read {
        Some(RecordRead::Reading) | None => html! {
            <p class="muted" role="status" id="record-reading">
                { Msg::RecordReading.text(lang) }{ " " }<code>{ props.launch.server.clone() }</code>{ "…" }
            </p>
        },
        Some(RecordRead::Failed(why)) => html! {
            <p class="error" role="alert" id="record-error">
                { Msg::RecordFailed.text(lang) }{ ". " }{ (**why).clone() }
            </p>
        },
        Some(RecordRead::Read) => {
            let nothing = p.is_blank()
                && !crate::interop::fhir::queries(
                    &props.loaded.bundle.schema,
                    &props.loaded.bundle.rules,
                )
                .observation_codes
                .is_empty();
            html! {
                <>
                <p class="muted" id="record-source">
                    { Msg::RecordOpened.text(lang) }{ ": " }<code>{ props.launch.server.clone() }</code>
                </p>
                if nothing {
                    <p class="warning" role="alert" id="record-empty">{ Msg::RecordNothing.text(lang) }</p>
                }
                if let Some(report) = &p.import_report {
                    { Html::from_html_unchecked(AttrValue::from((**report).clone())) }
                }
                </>
            }
        }
    };
    let ready = p.outcome.as_ref().is_some_and(|o| o.assessment.is_some());
    let save = props
        .launch
        .save
        .clone()
        .filter(|_| props.read == Some(RecordRead::Read));
    let save_html = save.map(|save| {
        let subject = p.subject().map(str::to_string);
        let onclick = {
            let (loaded, patient, saved) = (props.loaded.clone(), p.clone(), saved.clone());
            Callback::from(move |_: MouseEvent| {
                let serial = patient.serial;
                let json = match super::fhir_panel::risk_assessment(&loaded, &patient) {
                    Ok(j) => j,
                    Err(e) => return saved.set(Some((serial, Saved::Failed(e)))),
                };
                saved.set(Some((serial, Saved::Sending)));
                let (save, saved) = (save.clone(), saved.clone());
                yew::platform::spawn_local(async move {
                    let outcome = match call(&save, &json).await {
                        Ok(reference) => Saved::Done(reference),
                        Err(e) => Saved::Failed(e),
                    };
                    saved.set(Some((serial, outcome)));
                });
            })
        };
        let shown = saved.as_ref().filter(|(serial, _)| *serial == p.serial).map(|(_, s)| s.clone());
        html! {
            <div class="record-save">
                <p class="muted" id="record-save-what">{ Msg::RecordSaveWhat.text(lang) }{ ": " }
                    <code>{ props.launch.server.clone() }</code>{ "." }</p>
                if subject.is_none() {
                    <p class="muted" id="record-save-none">{ Msg::RecordSaveNoSubject.text(lang) }</p>
                }
                <button type="button" id="record-save" disabled={!ready || subject.is_none() || shown == Some(Saved::Sending)}
                    {onclick}>{ Msg::RecordSave.text(lang) }</button>
                { match shown {
                    Some(Saved::Done(r)) => html! { <p role="status" id="record-saved">{ Msg::RecordSaved.text(lang) }{ " " }<code>{ r }</code></p> },
                    Some(Saved::Failed(e)) => html! { <p class="error" role="alert" id="record-save-error">{ Msg::RecordSaveFailed.text(lang) }{ ": " }{ e }</p> },
                    _ => html! {},
                } }
            </div>
        }
    });
    html! {
        <section class="card record" aria-labelledby="record-h" id="record"
            data-patient={p.serial.to_string()}
            data-subject={p.subject().unwrap_or_default().to_string()}
            data-state={match &props.read { Some(RecordRead::Read) => "read", Some(RecordRead::Failed(_)) => "failed", _ => "reading" }}>
            <h2 id="record-h">{ Msg::RecordHeading.text(lang) }</h2>
            { status }
            { save_html.unwrap_or_default() }
        </section>
    }
}
