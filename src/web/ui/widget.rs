//! Embedding (JS API build only): `mount(element, options)` puts the whole app into a shadow
//! root on a host page's element and returns a handle — `setPatient(json)`, `assessment()`,
//! `cards()`, `destroy()` — and every new estimate is also announced to the host as a
//! `bedside:assessment` DOM event carrying the assessment and its CDS Hooks cards.
//!
//! Each mount is its own Yew app with its own state; the handle reaches it through a small
//! registry keyed by the mount's id, which the app refreshes on every render. Nothing is put
//! on `window`; the styles live in the shadow root, so the host's CSS and ours never meet.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::app::{App, AppProps, Embed};
use super::state::{Action, Loaded, State};
use crate::context::PatientContext;
use crate::schema::Lang;

/// What a handle needs from its app.
struct Bridge {
    host: web_sys::Element,
    dispatch: Option<UseReducerDispatcher<State>>,
    loaded: Option<Rc<Loaded>>,
    /// The patient on screen: every answer to the host is about this one.
    patient: Option<PatientContext>,
    lang: Lang,
    /// A patient given before the bundle had loaded.
    pending: Option<serde_json::Value>,
}

thread_local! {
    static BRIDGES: RefCell<HashMap<u32, Bridge>> = RefCell::new(HashMap::new());
    static NEXT_ID: RefCell<u32> = const { RefCell::new(0) };
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn to_js(value: &impl Serialize) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// Called by an embedded app on every render: keep its bridge current, apply a patient that
/// was waiting for the bundle, and tell the host about each new estimate.
#[hook]
pub fn use_bridge(id: Option<u32>, state: &UseReducerHandle<State>) {
    let Some(id) = id else { return };
    let pending = BRIDGES.with(|b| {
        let mut b = b.borrow_mut();
        let bridge = b.get_mut(&id)?;
        bridge.dispatch = Some(state.dispatcher());
        bridge.loaded = state.loaded().cloned();
        bridge.patient = Some(state.patient.clone());
        bridge.lang = state.lang;
        if bridge.loaded.is_some() {
            bridge.pending.take()
        } else {
            None
        }
    });
    if let Some(patient) = pending {
        if let Err(e) = set_patient(id, patient) {
            event(id, "bedside:error", &JsValue::from_str(&e));
        }
    }
    // A new estimate, or the same values with other answers or decisions (the cards change),
    // or another patient: the host hears of each.
    let p = &state.patient;
    let key = (
        p.serial,
        p.outcome.clone(),
        p.answers.clone(),
        p.decisions.clone(),
        p.sources.clone(),
    );
    use_effect_with(key, move |_| {
        let detail = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&detail, &"assessment".into(), &assessment(id));
        let _ = js_sys::Reflect::set(&detail, &"cards".into(), &cards(id));
        let _ = js_sys::Reflect::set(&detail, &"patient".into(), &patient(id));
        let _ = js_sys::Reflect::set(&detail, &"bundle".into(), &bundle(id));
        event(id, "bedside:assessment", &detail);
    });
}

/// The current assessment, or `null`.
fn assessment(id: u32) -> JsValue {
    BRIDGES.with(|b| {
        b.borrow()
            .get(&id)
            .and_then(|b| {
                b.patient
                    .as_ref()?
                    .outcome
                    .as_ref()?
                    .assessment
                    .as_ref()
                    .map(to_js)
            })
            .unwrap_or(JsValue::NULL)
    })
}

/// Who the patient on screen is, for the host: `{ serial, origin, subject, display }`, where
/// `subject` is the FHIR `Patient/<id>` the values came from, or `null`.
fn patient(id: u32) -> JsValue {
    BRIDGES.with(|b| {
        let b = b.borrow();
        let Some((p, lang)) = b.get(&id).and_then(|b| Some((b.patient.as_ref()?, b.lang))) else {
            return JsValue::NULL;
        };
        to_js(&serde_json::json!({
            "serial": p.serial,
            "subject": p.subject(),
            "display": p.who(lang),
        }))
    })
}

/// The bundle the answers rest on: `{ id, sha256, signature, signer }`.
fn bundle(id: u32) -> JsValue {
    BRIDGES.with(|b| {
        let b = b.borrow();
        let Some(l) = b.get(&id).and_then(|b| b.loaded.as_ref()) else {
            return JsValue::NULL;
        };
        let (status, signer) = crate::cds::signature_status(&l.provenance);
        to_js(&serde_json::json!({
            "id": l.bundle.schema.id,
            "sha256": l.sha256,
            "signature": status,
            "signer": signer,
        }))
    })
}

/// Dispatch a `CustomEvent` on the widget's host element (it crosses the shadow boundary).
fn event(id: u32, name: &str, detail: &JsValue) {
    let host = BRIDGES.with(|b| b.borrow().get(&id).map(|b| b.host.clone()));
    let Some(host) = host else { return };
    let init = web_sys::CustomEventInit::new();
    init.set_detail(detail);
    init.set_bubbles(true);
    init.set_composed(true);
    if let Ok(e) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&e);
    }
}

/// The current CDS Hooks cards (`{cards: [...]}`), or `null` without an estimate.
fn cards(id: u32) -> JsValue {
    BRIDGES.with(|b| {
        let b = b.borrow();
        let Some(bridge) = b.get(&id) else {
            return JsValue::NULL;
        };
        let (Some(loaded), Some(p)) = (&bridge.loaded, &bridge.patient) else {
            return JsValue::NULL;
        };
        let Some(outcome) = &p.outcome else {
            return JsValue::NULL;
        };
        let (Some(record), Some(assessment)) = (&outcome.record, &outcome.assessment) else {
            return JsValue::NULL;
        };
        let who = crate::cds::Clinician {
            sha256: &loaded.sha256,
            provenance: &loaded.provenance,
            subject: p.subject(),
            answers: &p.answers,
            decisions: &p.decisions,
        };
        to_js(&crate::cds::cards_for(
            &loaded.bundle,
            &who,
            record,
            assessment,
            None,
            bridge.lang,
        ))
    })
}

/// Put a patient into widget `id`: a FHIR resource is imported (with its report), anything
/// else must be an object of field → value that passes the schema. Waits for the bundle.
fn set_patient(id: u32, patient: serde_json::Value) -> Result<(), String> {
    let (loaded, dispatch, lang) = BRIDGES
        .with(|b| {
            let mut b = b.borrow_mut();
            let bridge = b.get_mut(&id).ok_or("this widget has been destroyed")?;
            match (&bridge.loaded, &bridge.dispatch) {
                (Some(l), Some(d)) => Ok::<_, String>(Some((l.clone(), d.clone(), bridge.lang))),
                _ => {
                    bridge.pending = Some(patient.clone());
                    Ok(None)
                }
            }
        })?
        .map_or((None, None, Lang::En), |(l, d, lang)| {
            (Some(l), Some(d), lang)
        });
    let (Some(loaded), Some(dispatch)) = (loaded, dispatch) else {
        return Ok(()); // applied once the bundle has loaded
    };
    let schema = &loaded.bundle.schema;
    if patient.get("resourceType").is_some() {
        let imported = crate::fhir::import(schema, &patient, super::fhir_panel::today())
            .map_err(|e| e.to_string())?;
        let html = crate::fhir::report_html(schema, &imported, lang);
        let record = crate::context::FromRecord::from_imported(schema, &imported, html);
        dispatch.dispatch(Action::FhirImported(loaded.sha256.clone(), Ok(record)));
    } else {
        crate::patient::PatientRecord::from_json(schema, &patient).map_err(|e| e.to_string())?;
        dispatch.dispatch(Action::Fill(crate::form::from_json(schema, &patient)));
    }
    Ok(())
}

/// A mounted widget.
#[wasm_bindgen]
pub struct WidgetHandle {
    id: u32,
    app: Option<yew::AppHandle<App>>,
}

#[wasm_bindgen]
impl WidgetHandle {
    /// Put a patient in: an object of field → value (validated; throws with the field, the
    /// value and what is accepted), or a FHIR R4 Bundle / Patient / Observation (imported,
    /// with what could not be used listed in the widget). Before the model has loaded, the
    /// patient waits for it.
    #[wasm_bindgen(js_name = setPatient)]
    pub fn set_patient(&self, patient: JsValue) -> Result<(), JsError> {
        let json: serde_json::Value = serde_wasm_bindgen::from_value(patient).map_err(js_err)?;
        set_patient(self.id, json).map_err(|e| JsError::new(&e))
    }

    /// The current assessment (as `Engine.assess` returns it), or `null` while the form is
    /// incomplete or invalid.
    pub fn assessment(&self) -> JsValue {
        assessment(self.id)
    }

    /// Who the patient on screen is: `{ serial, subject, display }` (`subject`: the FHIR
    /// `Patient/<id>` its values came from, or `null`).
    pub fn patient(&self) -> JsValue {
        patient(self.id)
    }

    /// The current suggestions as CDS Hooks cards (`{cards: [...]}`), or `null`.
    pub fn cards(&self) -> JsValue {
        cards(self.id)
    }

    /// Unmount the app and forget its state; the host element is left empty.
    pub fn destroy(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        if let Some(bridge) = BRIDGES.with(|b| b.borrow_mut().remove(&self.id)) {
            if let Some(root) = bridge.host.shadow_root() {
                root.set_inner_html("");
            }
        }
    }
}

/// Mount Bedside into `element` (in its shadow root). `options`: `bundle` (the bundle's URL,
/// required), `stylesheet` (the URL of Bedside's `style.css`, required: the shadow root has
/// none of the page's styles), `lang` (`en` or `zh-CN`), `mode` (`assess` or `teach`),
/// `trustedKeys` (Ed25519 public keys in hex, an array or a comma-separated string, trusted
/// besides the built-in ones) and `signaturePolicy` (`require`, `warn` or `off`).
#[wasm_bindgen]
pub fn mount(element: web_sys::Element, options: JsValue) -> Result<WidgetHandle, JsError> {
    let get = |k: &str| {
        js_sys::Reflect::get(&options, &k.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    let bundle = get("bundle")
        .ok_or_else(|| JsError::new("mount: options.bundle (the bundle's URL) is required"))?;
    let stylesheet = get("stylesheet").ok_or_else(|| {
        JsError::new("mount: options.stylesheet (the URL of style.css) is required")
    })?;
    let lang = Lang::from_tag(&get("lang").unwrap_or_default());
    let trust = crate::web::trust::from_options(&options)
        .map_err(|e| JsError::new(&format!("mount: {e}")))?;
    let teach = match get("mode").as_deref() {
        None | Some("assess") => false,
        Some("teach") => true,
        Some(other) => {
            return Err(JsError::new(&format!(
                "mount: mode `{other}` is not one of assess, teach"
            )))
        }
    };
    let document = element
        .owner_document()
        .ok_or_else(|| JsError::new("mount: the element is not in a document"))?;
    let root = match element.shadow_root() {
        Some(r) => r,
        None => element
            .attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))
            .map_err(|_| JsError::new("mount: this element cannot have a shadow root"))?,
    };
    root.set_inner_html("");
    let link = document
        .create_element("link")
        .map_err(|_| JsError::new("mount: no <link>"))?;
    let _ = link.set_attribute("rel", "stylesheet");
    let _ = link.set_attribute("href", &stylesheet);
    let app_root = document
        .create_element("div")
        .map_err(|_| JsError::new("mount: no <div>"))?;
    let _ = app_root.set_attribute("class", "app embedded");
    let _ = app_root.set_attribute("lang", if lang == Lang::Zh { "zh-CN" } else { "en" });
    let _ = root.append_child(&link);
    let _ = root.append_child(&app_root);

    let id = NEXT_ID.with(|n| {
        let mut n = n.borrow_mut();
        *n += 1;
        *n
    });
    BRIDGES.with(|b| {
        b.borrow_mut().insert(
            id,
            Bridge {
                host: element.clone(),
                dispatch: None,
                loaded: None,
                patient: None,
                lang,
                pending: None,
            },
        )
    });
    let props = AppProps {
        embed: Some(Embed {
            id,
            bundle,
            lang,
            teach,
            trust,
        }),
    };
    let app = yew::Renderer::<App>::with_root_and_props(app_root.unchecked_into(), props).render();
    Ok(WidgetHandle { id, app: Some(app) })
}
