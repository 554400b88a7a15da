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
    /// For a published risk equation: the patient's risk and the comparison's (optimal risk
    /// factors), from the assessment on screen.
    #[prop_or_default]
    pub risk: Option<(f64, f64)>,
}

#[function_component]
pub fn HealthPanel(props: &Props) -> Html {
    let mut html = crate::present::health::risk_html(&props.loaded.bundle, props.risk, props.lang);
    html.push_str(&crate::present::health::html(
        &props.loaded.bundle.schema,
        &props.inputs,
        props.lang,
        props.si,
    ));
    Html::from_html_unchecked(AttrValue::from(html))
}
