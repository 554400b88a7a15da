//! The browser shell: the Yew app and a small JS API. It runs in a browser, and compiles on
//! every target so native `cargo test` covers its state. Components only render state and send
//! actions; every clinical decision is made by the core (`clinical`, worded by `present`).

#[cfg(feature = "engine")]
mod api;
#[cfg(feature = "engine")]
mod trust;
#[cfg(feature = "ui")]
mod ui;

#[cfg(feature = "engine")]
pub use api::Engine;
#[cfg(feature = "ui")]
pub use ui::{mount, mount_page, WidgetHandle};

use wasm_bindgen::prelude::*;

/// Entry point run when the module is instantiated: install the panic hook (every build).
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("Bedside: {info}").into());
        show_fatal();
    }));
    // Instantiating a module never mounts anything: the page mounts the app explicitly
    // (`mountPage`, from www/main.js), so a host page that loads this build for the widget, or
    // loads the headless engine beside it, never gets an app it did not ask for.
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
