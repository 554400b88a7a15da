//! The explanation of the estimate as a sorted bar chart: one row per feature with its value
//! (as the clinician reads it: a label, not a data code), a bar to the right when it raises the
//! estimate and to the left when it lowers it, and the exact contribution. A binary model
//! explains the class in focus (the outcome of interest); a differential explains each class on
//! request.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::clinical::assess::{explain_class, Assessment};
use crate::contract::patient::PatientRecord;
use crate::present::risk::{explain_label, explains_text, value_text};
use crate::present::ui::Msg;
use crate::present::wording::{baseline_text, reference_text, scale_text};
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub assessment: Assessment,
    /// The validated patient, to explain another class on request.
    pub record: Option<PatientRecord>,
    pub lang: Lang,
}

#[function_component]
pub fn ExplanationChart(props: &Props) -> Html {
    let lang = props.lang;
    let schema = &props.loaded.bundle.schema;
    let a = &props.assessment;
    // Which class to explain: the focus, unless the user picked another class of a
    // differential. The parent keys this component by the assessment, so a new one starts
    // from its focus again.
    let chosen = use_state_eq(|| None::<usize>);
    let class = chosen.unwrap_or(a.focus);
    let other = (class != a.focus)
        .then(|| {
            props
                .record
                .as_ref()
                .and_then(|r| explain_class(&props.loaded.bundle, r, class))
        })
        .flatten();
    let Some(e) = other.as_ref().or(a.explanation.as_ref()) else {
        return html! { <p class="muted" id="explanation">{ Msg::NoExplanation.text(lang) }</p> };
    };
    let class_label = schema
        .target
        .classes
        .get(e.class)
        .map_or("", |c| c.label.get(lang));
    let contribution = |j: usize| e.contributions.get(j).copied().unwrap_or(0.0);
    let mut order: Vec<usize> = (0..e.contributions.len()).collect();
    crate::util::sort::sort_indices(&mut order, &|i, j| {
        contribution(j)
            .abs()
            .total_cmp(&contribution(i).abs())
            .then(i.cmp(&j))
    });
    let max = e
        .contributions
        .iter()
        .fold(0.0f64, |m, c| m.max(c.abs()))
        .max(1e-12);
    // Sentence punctuation as each language writes it.
    let (stop, colon) = match lang {
        Lang::En => (". ", ": "),
        Lang::Zh => ("。", "："),
    };
    let on_class = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let v = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .and_then(|s| s.value().parse::<usize>().ok());
            chosen.set(v);
        })
    };
    html! {
        <div class="explanation" id="explanation" data-class={e.class.to_string()} data-baseline={e.baseline.to_string()} data-output={e.output.to_string()}>
            <h3>{ Msg::WhyHeading.text(lang) }</h3>
            if schema.target.classes.len() > 2 && props.record.is_some() {
                <label class="explain-class">{ explain_label(lang) }{ " " }
                    <select id="explain-class" onchange={on_class}>
                        { for schema.target.classes.iter().enumerate().map(|(i, c)| html! {
                            <option value={i.to_string()} selected={i == e.class}>{ c.label.get(lang) }</option>
                        }) }
                    </select>
                </label>
            }
            <p class="muted small">
                { explains_text(schema, e.class, lang) }{ stop }
                { scale_text(e.scale, class_label, lang) }{ colon }
                if props.loaded.bundle.published.is_some() {
                    { reference_text(e.baseline, e.output, lang) }{ stop }{ Msg::BaselineNotePublished.text(lang) }
                } else {
                    { baseline_text(e.baseline, e.output, lang) }{ stop }{ Msg::BaselineNote.text(lang) }
                }
            </p>
            <ul class="contribs">
                { for order.iter().filter_map(|&j| Some((j, contribution(j), schema.features.get(j)?))).map(|(j, c, f)| {
                    let value = a.used_values.get(j).map(|v| value_text(f, v, lang)).unwrap_or_default();
                    let imputed = a.imputed.contains(&f.column);
                    let half = 100.0 * c.abs() / max;
                    let (x, cls) = if c >= 0.0 { (100.0, "up") } else { (100.0 - half, "down") };
                    html! {
                        <li class={classes!("contrib", cls)} data-field={f.column.clone()} data-contribution={c.to_string()}>
                            <span class="what">
                                { f.label.get(lang) }
                                <span class="val">{ format!(" = {value}{}", if imputed { " *" } else { "" }) }</span>
                            </span>
                            <svg class="cbar" viewBox="0 0 200 10" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                                <rect class="axis" x="99.5" y="0" width="1" height="10" />
                                <rect class="fill" x={format!("{x:.3}")} y="1" width={format!("{half:.3}")} height="8" />
                            </svg>
                            <span class="num">{ format!("{} {:+.3}", if c >= 0.0 { Msg::Increases.text(lang) } else { Msg::Decreases.text(lang) }, c) }</span>
                        </li>
                    }
                }) }
            </ul>
        </div>
    }
}
