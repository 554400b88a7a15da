//! The registry between an embedded app and its host handle: `use_bridge` (called by the app on
//! every render) keeps it current and tells the host about each new estimate; the handle
//! (`widget`) reads and writes it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::Serialize;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use super::state::{Action, Loaded, State};
use crate::clinical::context::PatientContext;
use crate::util::lang::Lang;

/// What a handle needs from its app.
pub(super) struct Bridge {
    pub(super) host: web_sys::Element,
    pub(super) dispatch: Option<UseReducerDispatcher<State>>,
    pub(super) loaded: Option<Rc<Loaded>>,
    /// The patient on screen: every answer to the host is about this one.
    pub(super) patient: Option<PatientContext>,
    pub(super) lang: Lang,
    /// A patient given before the bundle had loaded.
    pub(super) pending: Option<serde_json::Value>,
}

thread_local! {
    pub(super) static BRIDGES: RefCell<HashMap<u32, Bridge>> = RefCell::new(HashMap::new());
    pub(super) static NEXT_ID: RefCell<u32> = const { RefCell::new(0) };
}

/// A value as a plain JS object, by way of JSON text and the browser's own parser.
fn to_js(value: &impl Serialize) -> JsValue {
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
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
pub(super) fn assessment(id: u32) -> JsValue {
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
pub(super) fn patient(id: u32) -> JsValue {
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
pub(super) fn bundle(id: u32) -> JsValue {
    BRIDGES.with(|b| {
        let b = b.borrow();
        let Some(l) = b.get(&id).and_then(|b| b.loaded.as_ref()) else {
            return JsValue::NULL;
        };
        let (status, signer) = crate::present::cds::signature_status(&l.provenance);
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
pub(super) fn cards(id: u32) -> JsValue {
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
        let who = crate::present::cds::Clinician {
            sha256: &loaded.sha256,
            provenance: &loaded.provenance,
            subject: p.subject(),
            answers: &p.answers,
            decisions: &p.decisions,
        };
        to_js(&crate::present::cds::cards_for(
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
pub(super) fn set_patient(id: u32, patient: serde_json::Value) -> Result<(), String> {
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
        let imported = crate::interop::fhir::import(schema, &patient, super::fhir_panel::today())
            .map_err(|e| e.to_string())?;
        let html = crate::present::fhir_report::report_html(schema, &imported, lang);
        let record = crate::clinical::context::FromRecord::from_imported(schema, &imported, html);
        dispatch.dispatch(Action::FhirImported(loaded.sha256.clone(), Ok(record)));
    } else {
        crate::contract::patient::PatientRecord::from_json(schema, &patient)
            .map_err(|e| e.to_string())?;
        dispatch.dispatch(Action::Fill(crate::clinical::form::from_json(
            schema, &patient,
        )));
    }
    Ok(())
}
