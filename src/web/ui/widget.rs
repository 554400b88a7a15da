//! Embedding: `mount(element, options)` puts the whole app into a shadow root on a host
//! page's element and returns a handle (`setPatient`, `assessment()`, `cards()`, `destroy()`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::app::{App, AppProps, Embed};
use super::bridge::{assessment, cards, patient, set_patient, Bridge, BRIDGES, NEXT_ID};
use crate::util::lang::Lang;

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
        let json = crate::web::api::patient_json(&patient)?;
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
        launch: None,
    };
    let app = yew::Renderer::<App>::with_root_and_props(app_root.unchecked_into(), props).render();
    Ok(WidgetHandle { id, app: Some(app) })
}
