//! The Health tab: each entered value against its cited normal range (`crate::present::health`, which
//! words the table; this component only shows it).

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    /// The form in the schema's units.
    pub inputs: Rc<Vec<String>>,
    pub lang: Lang,
    /// Show values in the second unit.
    pub si: bool,
}

#[function_component]
pub fn HealthPanel(props: &Props) -> Html {
    let html = crate::present::health::html(
        &props.loaded.bundle.schema,
        &props.inputs,
        props.lang,
        props.si,
    );
    Html::from_html_unchecked(AttrValue::from(html))
}
