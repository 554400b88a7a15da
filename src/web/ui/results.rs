//! The model's estimate: each class with its probability (as a number and a bar), the values
//! that were imputed, and the values outside normal or training ranges. The live region makes
//! screen readers announce each new estimate.

use std::rc::Rc;

use yew::prelude::*;

use super::explanation::ExplanationChart;
use super::state::{same, Loaded};
use crate::clinical::form::FormOutcome;
use crate::present::ui::Msg;
use crate::present::wording::{band_text, change_text, flag_text, unusual_text};
use crate::util::lang::Lang;

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub outcome: Option<Rc<FormOutcome>>,
    pub lang: Lang,
}

/// Compared by pointer where a field is shared: the state hands out a new `Rc` whenever the
/// value changes, so equal pointers mean nothing changed, and the deep comparison would
/// cost every re-render (and WASM size) for nothing.
impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &other.loaded)
            && same(&self.outcome, &other.outcome)
            && self.lang == other.lang
    }
}

#[function_component]
pub fn Results(props: &Props) -> Html {
    let lang = props.lang;
    let schema = &props.loaded.bundle.schema;
    let assessment = props.outcome.as_ref().and_then(|o| o.assessment.as_ref());
    // One short sentence per new estimate for screen readers ("Diabetes: 69.1 %, most
    // probable"), instead of a live card that would read out every bar and explanation.
    let announce = assessment
        .and_then(|a| a.probabilities.get(a.top))
        .map(|c| {
            format!(
                "{}: {:.1} % — {}",
                c.label.get(lang),
                c.probability * 100.0,
                Msg::MostProbable.text(lang)
            )
        })
        .unwrap_or_default();
    html! {
        <section class="card results" aria-labelledby="results-h" id="results">
            <h2 id="results-h">{ format!("{} — {}", Msg::Suggestion.text(lang), schema.target.label.get(lang)) }</h2>
            <p class="sr-only" id="announce" aria-live="polite" aria-atomic="true">{ announce }</p>
            if let Some(a) = assessment {
                <ul class="probs">
                    { for a.probabilities.iter().enumerate().map(|(i, c)| {
                        let pct = c.probability * 100.0;
                        html! {
                            <li class={classes!("prob", (i == a.top).then_some("top"))}
                                data-code={c.code.clone()} data-probability={c.probability.to_string()}>
                                <span class="cls">
                                    { c.label.get(lang) }
                                    if i == a.top { <span class="badge">{ Msg::MostProbable.text(lang) }</span> }
                                </span>
                                <span class="pct">{ format!("{pct:.1} %") }</span>
                                <span class="raw">{ format!("{} {:.1} %", Msg::BeforeCalibration.text(lang), c.raw * 100.0) }</span>
                                <svg class="bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                                    <rect class="track" x="0" y="0" width="100" height="6" />
                                    <rect class="fill" x="0" y="0" width={format!("{pct:.3}")} height="6" />
                                </svg>
                            </li>
                        }
                    }) }
                </ul>
                if let Some(band) = a.band {
                    <p class="band" id="band">{ band_text(band.low, band.high, band.models, lang) }</p>
                }
                if a.distance.unusual {
                    <p class="warning" id="unusual" role="note">{ unusual_text(a.distance.nearest, a.distance.typical_p99, lang) }</p>
                }
                if !a.imputed.is_empty() {
                    <div class="note" id="imputed">
                        <p>{ Msg::Imputed.text(lang) }</p>
                        <ul>{ for a.imputed.iter().map(|c| html! {
                            <li>{ schema.feature(c).map_or(c.as_str(), |f| f.label.get(lang)) }</li>
                        }) }</ul>
                    </div>
                }
                if !a.flags.is_empty() {
                    <ul class="flags" id="flags">
                        { for a.flags.iter().map(|f| html! { <li>{ flag_text(f, schema, lang) }</li> }) }
                    </ul>
                }
                <ExplanationChart loaded={props.loaded.clone()} assessment={a.clone()} {lang} />
                <div class="what-if" id="what-would-change">
                    <h3>{ Msg::WhatWouldChange.text(lang) }</h3>
                    <p>{ change_text(&a.what_would_change, schema, lang) }</p>
                </div>
            } else {
                <p class="muted" id="awaiting">{ Msg::AwaitingInput.text(lang) }</p>
            }
        </section>
    }
}
