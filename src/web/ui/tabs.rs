//! Above every view: a signature warning where the policy only warned, the patient banner, and
//! the view tabs.

use std::rc::Rc;

use yew::prelude::*;

use super::patient_banner::PatientBanner;
use super::state::{Action, Loaded, State, View};
use crate::clinical::context::PatientContext;
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub patient: PatientContext,
    pub view: View,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
    /// Whether the Validate view is offered: on the page, for the data team; not in a portal's
    /// embedded widget, which is for the point of care.
    pub validate: bool,
    /// The bundle file on screen (for the link to the Validate page).
    pub selected: AttrValue,
}

#[function_component]
pub fn Tabs(props: &Props) -> Html {
    let lang = props.lang;
    let current = props.view;
    let tab = |view: View, id: &'static str, msg: Msg| {
        let d = props.dispatch.clone();
        let onclick = Callback::from(move |_: MouseEvent| d.dispatch(Action::SetView(view)));
        html! {
            <button type="button" role="tab" {id} aria-selected={(current == view).to_string()}
                class={classes!("tab", (current == view).then_some("active"))} {onclick}>{ msg.text(lang) }</button>
        }
    };
    let provenance = &props.loaded.provenance;
    html! {
        <>
        if provenance.is_warning() {
            <p class="warning" role="note" id="signature-warning">{ crate::present::wording::signature_text(provenance, lang) }</p>
        }
        <PatientBanner patient={props.patient.clone()} {lang} />
        <div class="tabs" role="tablist">
            { tab(View::Assess, "tab-assess", Msg::Assess) }
            // Teaching needs cases; a published equation has none.
            if !props.loaded.bundle.cases.is_empty() {
                { tab(View::Teach, "tab-teach", Msg::Teach) }
            }
            { tab(View::Health, "tab-health", Msg::Health) }
            if props.validate && cfg!(feature = "validate") {
                { tab(View::Validate, "tab-validate", Msg::Validate) }
            }
        </div>
        // The clinician's build links to the data team's page for the same model.
        if props.validate && !cfg!(feature = "validate") {
            <p class="validate-link small"><a id="validate-link" href={format!("validate.html?bundle={}", props.selected)}>{ Msg::ValidateLink.text(lang) }</a></p>
        }
        </>
    }
}
