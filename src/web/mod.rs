//! [wasm only] The browser shell: the Yew app and a small JS API. Components only render state
//! and send actions; every clinical decision is made by the core (`form`, `assess`, `i18n`).

#[cfg(feature = "engine")]
mod api;
mod app;
mod basis;
mod case_map;
mod explanation;
mod fhir_panel;
mod health_panel;
mod library_loader;
mod model_card;
mod patient_banner;
mod patient_form;
mod results;
mod similar_cases;
mod state;
mod teach;
mod treatment_panel;
mod trust;
#[cfg(feature = "widget")]
mod widget;

#[cfg(feature = "engine")]
pub use api::Engine;
#[cfg(feature = "widget")]
pub use widget::{mount, WidgetHandle};

use wasm_bindgen::prelude::*;

/// A DOM id for a schema column (columns may contain spaces, e.g. wdbc's "mean radius").
pub(crate) fn field_id(column: &str) -> String {
    let safe: String = column
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("f-{safe}")
}

/// Id of the element the app mounts into.
pub const ROOT_ID: &str = "bedside-app";

/// Entry point run when the module is instantiated: install the panic hook and mount the app
/// if the page has a place for it (test pages and embedders may not).
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Bedside: {info}").into());
        show_fatal();
    }));
    // The JS API build (`pkg/engine`) is headless: a portal that loads it beside the app must
    // not get a second copy of the app mounted into the same element.
    if cfg!(feature = "engine") {
        return;
    }
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(ROOT_ID));
    if let Some(root) = root {
        yew::Renderer::<app::App>::with_root(root).render();
    }
}

/// Reveal the page's static "something went wrong" notice (it exists in `www/index.html` in
/// both languages, so it needs no code that might itself fail).
fn show_fatal() {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("bedside-fatal"))
    {
        let _ = el.remove_attribute("hidden");
    }
}
