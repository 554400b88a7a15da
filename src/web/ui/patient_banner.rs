//! The patient banner: whose data are on screen, always visible above the views, so a
//! clinician never reads one patient's estimate believing it is another's. The words are the
//! core's (`PatientContext::who`); the serial and subject are in the DOM for hosts and tests.

use yew::prelude::*;

use crate::clinical::context::{Origin, PatientContext};
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub patient: PatientContext,
    pub lang: Lang,
}

#[function_component]
pub fn PatientBanner(props: &Props) -> Html {
    let p = &props.patient;
    let lang = props.lang;
    let kind = match &p.origin {
        Origin::Blank => "blank",
        Origin::Typed => "typed",
        Origin::Example { .. } | Origin::Worked(_) => "example",
        Origin::Case { .. } => "case",
        Origin::Host => "host",
        Origin::Record(_) => "record",
    };
    // Inside an EHR that shows its own banner (SMART `need_patient_banner` false) a second one
    // would only take room; the element stays, hidden, for hosts and tests.
    let hidden = matches!(&p.origin, Origin::Record(r) if r.ehr_banner);
    html! {
        <p class={classes!("patient-banner", (kind == "record").then_some("from-record"))} id="patient-banner" {hidden}
            data-patient={p.serial.to_string()} data-origin={kind}
            data-subject={p.subject().unwrap_or_default().to_string()}>
            <strong>{ Msg::PatientOnScreen.text(lang) }{ ": " }</strong>{ p.who(lang) }
        </p>
    }
}
