//! The Health tab: each entered value against its cited normal range (`crate::health`).
//!
//! The app's own WASM is at its size budget, so the standalone app has the table worded by the
//! widget build, which it already loads for FHIR (and the service worker caches for offline
//! use); the widget build itself, which carries `crate::health`, renders it directly.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::schema::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    /// The form in the schema's units.
    pub inputs: Rc<Vec<String>>,
    pub lang: Lang,
    /// Show values in the second unit.
    pub si: bool,
}

#[cfg(feature = "widget")]
#[function_component]
pub fn HealthPanel(props: &Props) -> Html {
    let html = crate::health::html(
        &props.loaded.bundle.schema,
        &props.inputs,
        props.lang,
        props.si,
    );
    Html::from_html_unchecked(AttrValue::from(html))
}

#[cfg(not(feature = "widget"))]
#[function_component]
pub fn HealthPanel(props: &Props) -> Html {
    let host = use_node_ref();
    {
        let host = host.clone();
        use_effect_with(
            (props.inputs.clone(), props.lang, props.si),
            move |(inputs, lang, si)| {
                if let Some(el) = host.cast::<web_sys::Element>() {
                    let tag = if *lang == Lang::Zh { "zh" } else { "en" };
                    super::fhir_panel::health_fill(&el, inputs.to_vec(), tag, *si);
                }
            },
        );
    }
    html! {
        <div ref={host} class="health-host" data-sha={props.loaded.sha256.clone()}>
            <p class="muted">{ crate::i18n::Msg::Loading.text(props.lang) }</p>
        </div>
    }
}
