//! The treatment panel: every option with its basis (rules with citations, modelled risk per
//! trial arm, case evidence, contraindications), the rules' own questions, the clinician's
//! agree / override decisions and the report export. The static content is the core's markup
//! (`present::treatment`, escaped); only the controls are components.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::state::{Action, Loaded, State};
use crate::clinical::context::PatientContext;
use crate::clinical::form::FormOutcome;
use crate::clinical::treatment::decision::{Decision, Verdict};
use crate::clinical::treatment::Suggestions;
use crate::present::treatment::{
    about_trial_html, decision_text, option_html, patient_rows, report_html, rule_html,
};
use crate::present::ui::Msg;
use crate::util::lang::Lang;

/// The panel dispatches its own actions (answers, decisions) instead of taking a callback for
/// each, which keeps the parent's code (and the WASM) small.
#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    /// The patient on screen: suggestions, answers, decisions, and for the report the form
    /// and its assessment — all of one patient.
    pub patient: PatientContext,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Shared fields compare by pointer: the context hands out a new `Rc` whenever one changes.
impl PartialEq for Props {
    fn eq(&self, o: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &o.loaded)
            && self.patient.is_same(&o.patient)
            && self.lang == o.lang
    }
}

fn raw(html: String) -> Html {
    Html::from_html_unchecked(AttrValue::from(html))
}

#[function_component]
pub fn TreatmentPanel(props: &Props) -> Html {
    let state = &props.patient;
    let lang = props.lang;
    let bundle = &props.loaded.bundle;
    let decision = |item: &str| {
        let id = format!("reason-{item}");
        let click = |verdict: Verdict| {
            let (st, item) = (props.dispatch.clone(), item.to_string());
            Callback::from(move |e: MouseEvent| decide(&st, &item, &e, verdict, lang))
        };
        html! {
            <div class="decision" data-item={item.to_string()}>
                <button type="button" class="agree" onclick={click(Verdict::Agree)}>{ Msg::Agree.text(lang) }</button>
                <button type="button" class="override" onclick={click(Verdict::Override)}>{ Msg::Override.text(lang) }</button>
                <label for={id.clone()}>{ Msg::OverrideReason.text(lang) }</label>
                <input type="text" id={id} class="reason" />
                if let Some(d) = state.decisions.iter().find(|d| d.item == item) {
                    <p class="recorded" role="status">{ decision_text(d, lang) }</p>
                }
            </div>
        }
    };
    let questions = bundle.rules.inputs.iter().enumerate().map(|(i, q)| {
        let st = props.dispatch.clone();
        let onchange = Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            st.dispatch(Action::Answer(i, (!v.is_empty()).then_some(v == "yes")));
        });
        let cur = state.answers.get(i).copied().flatten();
        let id = format!("q-{}", q.id);
        let from_record = state.answer_sources.get(i).and_then(Option::as_ref);
        html! {
            <label class="question" for={id.clone()}>
                <span>{ q.label.get(lang) }
                    if let Some(s) = from_record {
                        { raw(crate::present::fhir_report::answer_source_html(s, lang)) }
                    }
                </span>
                <select {id} name={q.id.clone()} {onchange}>
                    <option value="" selected={cur.is_none()}>{ Msg::NotAsked.text(lang) }</option>
                    <option value="no" selected={cur == Some(false)}>{ Msg::No.text(lang) }</option>
                    <option value="yes" selected={cur == Some(true)}>{ Msg::Yes.text(lang) }</option>
                </select>
            </label>
        }
    });
    let body = match &state.treatment {
        None => html! { <p class="muted">{ Msg::AwaitingInput.text(lang) }</p> },
        Some(s) => {
            let standalone = s.rules.iter().filter(|r| r.option.is_none());
            let on_export = {
                let patient = props.patient.clone();
                let loaded = props.loaded.clone();
                Callback::from(move |_: MouseEvent| download_report(&loaded, &patient, lang))
            };
            html! {
                <>
                if !s.options.is_empty() {
                    <p class="note">{ Msg::RankedBy.text(lang) }</p>
                    <ol class="options" id="treatment-options">
                        { for s.options.iter().enumerate().map(|(rank, o)| html! {
                            <li class={if o.contraindicated { "option withheld" } else { "option" }}
                                data-code={o.code.clone()} data-rank={rank.to_string()}
                                data-risk={o.risk.risk.value.to_string()}>
                                { raw(format!("<div>{}</div>", option_html(bundle, s, rank, o, lang))) }
                                { decision(&o.code) }
                            </li>
                        }) }
                    </ol>
                }
                if bundle.trial.is_none() || s.rules.iter().any(|r| r.option.is_none()) {
                    <h3>{ Msg::GuidelineRules.text(lang) }</h3>
                    if s.rules.is_empty() {
                        <p class="muted">{ Msg::NoRuleApplies.text(lang) }</p>
                    }
                }
                <ul class="rules" id="guideline-rules">
                    { for standalone.map(|r| html! {
                        <li>{ raw(rule_html(r, lang)) }{ decision(&r.id) }</li>
                    }) }
                </ul>
                <p class="export">
                    <button type="button" id="export-report" onclick={on_export}>{ Msg::ExportReport.text(lang) }</button>
                    { " " }<span class="muted">{ Msg::ExportNote.text(lang) }</span>
                </p>
                </>
            }
        }
    };
    let heading = bundle
        .schema
        .treatment
        .as_ref()
        .map_or_else(String::new, |t| format!(" — {}", t.label.get(lang)));
    html! {
        <section class="card treatment" id="treatment" aria-labelledby="treatment-h">
            <h2 id="treatment-h">{ format!("{}{heading}", Msg::TreatmentHeading.text(lang)) }</h2>
            <p class="note">{ Msg::TreatmentIntro.text(lang) }</p>
            if !bundle.rules.inputs.is_empty() {
                <fieldset class="rule-questions" id="rule-questions">
                    <legend>{ Msg::RuleQuestions.text(lang) }</legend>
                    { for questions }
                </fieldset>
            }
            { body }
            if bundle.trial.is_some() {
                <details class="about-trial" id="about-trial">
                    <summary>{ Msg::AboutTrial.text(lang) }</summary>
                    { raw(format!("<div>{}</div>", about_trial_html(bundle, lang))) }
                </details>
            }
        </section>
    }
}

/// Record agree / override for `item`, reading the reason from the input beside the clicked
/// button; an override without a reason is refused in place (the browser's own validation
/// message, announced to screen readers), so nothing is recorded without one. The input is
/// found from the button, not by document id: embedded, the panel lives in a shadow root that
/// `document.getElementById` does not search.
fn decide(
    dispatch: &UseReducerDispatcher<State>,
    item: &str,
    click: &MouseEvent,
    verdict: Verdict,
    lang: Lang,
) {
    let input = click
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|b| b.closest(".decision").ok().flatten())
        .and_then(|d| d.query_selector("input.reason").ok().flatten())
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok());
    let reason = input.as_ref().map(|i| i.value()).unwrap_or_default();
    match Decision::new(item, verdict, &reason) {
        Some(d) => {
            if let Some(i) = &input {
                i.set_custom_validity("");
            }
            dispatch.dispatch(Action::Decide(d));
        }
        None => {
            if let Some(i) = &input {
                i.set_custom_validity(Msg::ReasonRequired.text(lang));
                i.report_validity();
            }
        }
    }
}

/// Save the report (an HTML page: who the patient is, the patient as entered, estimate,
/// options with their basis, decisions) on this device: a `data:` link clicked in place, so
/// nothing is uploaded. Everything in it comes from one patient context.
fn download_report(loaded: &Loaded, p: &PatientContext, lang: Lang) {
    let bundle = &loaded.bundle;
    let rows = patient_rows(bundle, &p.canonical, &p.answers, lang);
    let outcome: Option<&FormOutcome> = p.outcome.as_deref();
    let treatment: Option<&Suggestions> = p.treatment.as_deref();
    let text = report_html(
        bundle,
        &loaded.sha256,
        &p.who(lang),
        &rows,
        outcome.and_then(|o| o.assessment.as_ref()),
        treatment,
        &p.decisions,
        lang,
    );
    let href = format!(
        "data:text/html;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&text))
    );
    download(&href, &format!("bedside-report-{}.html", bundle.schema.id));
}

/// Save `href` (a `data:` URL made in this page) as `filename` on this device: a link clicked
/// in place, so nothing is uploaded.
pub(crate) fn download(href: &str, filename: &str) {
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok());
    if let Some(a) = link {
        let _ = a.set_attribute("href", href);
        let _ = a.set_attribute("download", filename);
        if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
            a.click();
        }
    }
}
