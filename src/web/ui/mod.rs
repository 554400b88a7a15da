//! The UI: the Yew app (page, widget and iframe all use it), its state and its components.
//! Components render state and dispatch actions; every clinical decision is the core's.

mod app;
mod assess_view;
mod basis;
mod bridge;
mod case_map;
mod explanation;
mod fhir_panel;
mod header;
mod health_panel;
mod launch;
mod library_loader;
mod model_card;
mod patient_banner;
mod patient_form;
mod picker;
mod results;
mod similar_cases;
mod state;
mod tabs;
mod teach;
mod treatment_panel;
#[cfg(feature = "validate")]
mod validate_view;
mod widget;

pub use widget::{mount, WidgetHandle};

use wasm_bindgen::prelude::*;

/// Id of the element the app mounts into.
pub const ROOT_ID: &str = "bedside-app";

/// Mount the standalone app into the page's `#bedside-app` (www/main.js calls this once the
/// module is ready, and again after a Restart, into the emptied element). An element that
/// already holds a running app is left alone, so a second call cannot mount a second app.
///
/// `launch` (optional): the EHR launch's object from `www/launch.js` (`server`, `patient`,
/// `ehrBanner`, `read`, `save`): the app then reads the launched patient's record for every
/// bundle shown. A malformed one throws and mounts nothing.
#[wasm_bindgen(js_name = mountPage)]
pub fn mount_page(launch: JsValue) -> Result<(), JsError> {
    let launch = if launch.is_undefined() || launch.is_null() {
        None
    } else {
        Some(std::rc::Rc::new(
            launch::Launch::from_js(&launch).map_err(|e| JsError::new(&e))?,
        ))
    };
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(ROOT_ID));
    if let Some(root) = root {
        if root.has_attribute("data-bedside-mounted") {
            return Ok(());
        }
        let _ = root.set_attribute("data-bedside-mounted", "");
        // The page's static first paint (header, disclaimer, a reserved picker) makes way for
        // the app, which renders the same header and disclaimer in the same place.
        root.set_inner_html("");
        let props = app::AppProps {
            embed: None,
            launch,
        };
        yew::Renderer::<app::App>::with_root_and_props(root, props).render();
    }
    Ok(())
}
