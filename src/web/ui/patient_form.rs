//! The patient form, generated from the bundle's schema: labels, units, accepted and normal
//! ranges, input types; an inline message under any field the core rejects.

use std::rc::Rc;

use yew::prelude::*;

use super::state::{same, Loaded};
use crate::clinical::form::FormOutcome;
use crate::contract::schema::{Feature, Interval, Kind, Lang, Missing};
use crate::present::ui::Msg;
use crate::present::wording::{error_text, range_text};

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub inputs: Rc<Vec<String>>,
    pub outcome: Option<Rc<FormOutcome>>,
    /// Features with a second unit are shown (and typed) in it.
    pub si: bool,
    pub lang: Lang,
    pub on_input: Callback<(usize, String)>,
    pub on_example: Callback<usize>,
    pub on_clear: Callback<()>,
}

/// Compared by pointer where a field is shared: the state hands out a new `Rc` whenever the
/// value changes, so equal pointers mean nothing changed, and the deep comparison would
/// cost every re-render (and WASM size) for nothing.
impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &other.loaded)
            && Rc::ptr_eq(&self.inputs, &other.inputs)
            && same(&self.outcome, &other.outcome)
            && self.lang == other.lang
            && self.si == other.si
            && self.on_input == other.on_input
            && self.on_example == other.on_example
            && self.on_clear == other.on_clear
    }
}

fn hint(f: &Feature, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Kind::Numeric {
        unit,
        plausible,
        reference,
        ..
    } = &f.kind
    {
        let accepted = Interval::closed(plausible.min, plausible.max);
        parts.push(format!(
            "{} {}",
            Msg::PlausibleRange.text(lang),
            range_text(&accepted, unit, lang)
        ));
        // The normal range as its source states it ("< 140 mg/dL"), as the health check and
        // the flags show it.
        if let Some(r) = reference {
            parts.push(format!(
                "{} {}",
                Msg::NormalRange.text(lang),
                range_text(&r.interval(), unit, lang)
            ));
        }
    }
    parts.push(
        match f.missing {
            Missing::Reject => Msg::Required,
            Missing::Impute => Msg::OptionalImputed,
        }
        .text(lang)
        .to_string(),
    );
    parts.join(" · ")
}

#[function_component]
pub fn PatientForm(props: &Props) -> Html {
    let lang = props.lang;
    let schema = &props.loaded.bundle.schema;
    let examples = &props.loaded.bundle.examples;

    let fields = schema.features.iter().enumerate().map(|(i, f)| {
        let f = &*crate::clinical::form::shown(f, props.si);
        let id = field_id(&f.column);
        let hint_id = format!("{id}-hint");
        let err_id = format!("{id}-error");
        let value = props.inputs.get(i).cloned().unwrap_or_default();
        let error = props.outcome.as_ref().and_then(|o| o.field_errors.get(i).cloned().flatten());
        let on_input = props.on_input.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            on_input.emit((i, input.value()));
        });
        let on_input = props.on_input.clone();
        let onchange = Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            on_input.emit((i, select.value()));
        });
        let described = if error.is_some() { format!("{hint_id} {err_id}") } else { hint_id.clone() };
        let invalid = if error.is_some() { "true" } else { "false" };
        let control = match &f.kind {
            // Text, not `type="number"`: a number box hands the page "" for anything it cannot
            // parse ("1e", "abc", "1,5"), which would read as "missing"; as text, what was typed
            // stays on screen and the core says exactly what is wrong with it.
            Kind::Numeric { .. } => html! {
                <input id={id.clone()} name={f.column.clone()} type="text" inputmode="decimal"
                    autocomplete="off" spellcheck="false"
                    value={value} oninput={oninput}
                    aria-describedby={described} aria-invalid={invalid}
                    required={f.missing == Missing::Reject} />
            },
            Kind::Categorical { levels } => html! {
                <select id={id.clone()} name={f.column.clone()} onchange={onchange} aria-describedby={described} aria-invalid={invalid}>
                    <option value="" selected={value.is_empty()}>{ "—" }</option>
                    { for levels.iter().map(|l| html! {
                        <option value={l.code.clone()} selected={value == l.code}>{ l.label.get(lang) }</option>
                    }) }
                </select>
            },
            Kind::Boolean { .. } => html! {
                <select id={id.clone()} name={f.column.clone()} onchange={onchange} aria-describedby={described} aria-invalid={invalid}>
                    <option value="" selected={value.is_empty()}>{ "—" }</option>
                    <option value="true" selected={value == "true"}>{ Msg::Yes.text(lang) }</option>
                    <option value="false" selected={value == "false"}>{ Msg::No.text(lang) }</option>
                </select>
            },
        };
        let unit = f.unit();
        html! {
            <div class={classes!("field", error.is_some().then_some("invalid"))} data-field={f.column.clone()}>
                <label for={id.clone()}>
                    { f.label.get(lang) }
                    if !unit.is_empty() { <span class="unit">{ format!(" ({unit})") }</span> }
                </label>
                { control }
                <small id={hint_id}>{ hint(f, lang) }</small>
                if let Some(e) = error {
                    <p class="field-error" id={err_id} role="alert">{ error_text(&e, Some(schema), lang) }</p>
                }
            </div>
        }
    });

    let on_example = props.on_example.clone();
    let example_change = Callback::from(move |e: Event| {
        let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
        if let Ok(k) = select.value().parse::<usize>() {
            on_example.emit(k);
        }
    });
    let on_clear = props.on_clear.clone();
    let missing: Vec<&str> = props
        .outcome
        .as_ref()
        .map(|o| {
            o.missing_required
                .iter()
                .filter_map(|&i| schema.features.get(i))
                .map(|f| f.label.get(lang))
                .collect()
        })
        .unwrap_or_default();
    let any_error = props
        .outcome
        .as_ref()
        .is_some_and(|o| o.field_errors.iter().any(Option::is_some));

    html! {
        <section class="card form" aria-labelledby="patient-h">
            <h2 id="patient-h">{ Msg::Patient.text(lang) }</h2>
            if !examples.is_empty() {
                <label class="examples">
                    <span>{ if examples.iter().any(|e| !e.label.is_empty()) {
                        Msg::WorkedExamples.text(lang)
                    } else {
                        Msg::Example.text(lang)
                    } }</span>
                    <select id="example-select" onchange={example_change}>
                        <option value="" selected=true>{ Msg::ExampleNone.text(lang) }</option>
                        { for examples.iter().enumerate().map(|(k, ex)| {
                            let truth = schema.target.classes.get(ex.truth as usize).map_or("", |c| c.label.get(lang));
                            // A published equation's worked example has a name, not a recorded outcome.
                            let text = if ex.label.is_empty() {
                                format!("{} {} — {}: {truth}", Msg::ExampleRow.text(lang), ex.row, Msg::Recorded.text(lang))
                            } else {
                                ex.label.clone()
                            };
                            html! { <option value={k.to_string()}>{ text }</option> }
                        }) }
                    </select>
                </label>
            }
            <form class="fields" novalidate=true onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                { for fields }
            </form>
            <div class="form-status" id="form-status">
                if any_error { <p class="error">{ Msg::FixFields.text(lang) }</p> }
                if !missing.is_empty() { <p class="muted">{ format!("{} {}", Msg::StillNeeded.text(lang), missing.join(", ")) }</p> }
            </div>
            <button type="button" class="secondary" id="clear-form" onclick={Callback::from(move |_: MouseEvent| on_clear.emit(()))}>{ Msg::Clear.text(lang) }</button>
        </section>
    }
}

/// A DOM id for a schema column (columns may contain spaces, e.g. wdbc's "mean radius").
fn field_id(column: &str) -> String {
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
