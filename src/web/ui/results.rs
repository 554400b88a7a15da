//! The model's estimate, as clinicians are taught to read risk: for a binary model, the risk
//! (or probability) of the outcome of interest first, as a percentage, an icon array of 100
//! and a natural-frequency sentence, with the base rate beside it on the same denominator, the
//! uncertainty in words, and a plain statement when the model cannot tell patients apart; for
//! more classes, the ranked differential. Then what was imputed (and which measurement would
//! help most), values outside normal or training ranges, the explanation and the model's
//! sensitivity. The live region makes screen readers announce each new estimate.

use std::rc::Rc;

use yew::prelude::*;

use super::explanation::ExplanationChart;
use super::state::{same, Loaded};
use crate::clinical::assess::Assessment;
use crate::clinical::form::FormOutcome;
use crate::present::risk;
use crate::present::ui::Msg;
use crate::present::wording::{flag_text, unusual_text};
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

/// An icon array of 100: `n` filled, row by row, the rest empty (Galesic, Garcia-Retamero &
/// Gigerenzer 2009: read correctly across numeracy levels).
fn icon_array(n: u32, label: String) -> Html {
    html! {
        <svg class="icons" id="icon-array" viewBox="0 0 100 100" role="img" aria-label={label} data-filled={n.to_string()} focusable="false">
            { for (0..100u32).map(|i| html! {
                <rect class={if i < n { "on" } else { "off" }} x={((i % 10) * 10 + 1).to_string()} y={((i / 10) * 10 + 1).to_string()} width="8" height="8" rx="4" />
            }) }
        </svg>
    }
}

/// The one class in focus of a binary model, with everything a clinician needs to read it.
fn binary_estimate(loaded: &Loaded, a: &Assessment, lang: Lang) -> Html {
    let b = &loaded.bundle;
    let schema = &b.schema;
    let p = a.probabilities.get(a.focus).map_or(0.0, |c| c.probability);
    let chance = !a.discrimination.better_than_chance;
    // A model that cannot tell patients apart shows the base rate, not a ranking.
    let shown = if chance { a.base_rate } else { p };
    let label = schema
        .target
        .classes
        .get(a.focus)
        .map_or("", |c| c.label.get(lang));
    let frequency = risk::frequency_text(schema, a.focus, shown, chance, lang);
    let headline = if chance {
        risk::base_rate_headline(shown, lang)
    } else {
        risk::percent(p)
    };
    html! {
        <div class="estimate" id="risk" data-focus={schema.target.classes.get(a.focus).map(|c| c.code.clone())}
            data-probability={p.to_string()} data-base-rate={a.base_rate.to_string()} data-chance={chance.to_string()}>
            <p class="headline">
                <span class="kind">{ risk::estimate_kind(schema, lang) }</span>
                <strong class="what">{ label }</strong>
                <span class="pct" id="risk-pct">{ headline }</span>
            </p>
            <div class="freq">
                { icon_array(risk::of_100(shown), frequency.clone()) }
                <div>
                    <p id="frequency">{ frequency }</p>
                    if chance {
                        <p class="muted" id="demoted">{ risk::demoted_text(p, lang) }</p>
                    } else {
                        <p id="base-rate">{ risk::base_rate_text(b, a.base_rate, lang) }</p>
                    }
                </div>
            </div>
            if let (Some(band), false) = (a.band, chance) {
                <p class="band" id="band">{ risk::band_words(&band, b.evaluation.folds, lang) }</p>
            }
            if risk::pools_arms(schema) {
                <p class="note" id="pooled">{ risk::pooled_text(schema, lang) }</p>
            }
        </div>
    }
}

#[function_component]
pub fn Results(props: &Props) -> Html {
    let lang = props.lang;
    let schema = &props.loaded.bundle.schema;
    let assessment = props.outcome.as_ref().and_then(|o| o.assessment.as_ref());
    let record = props.outcome.as_ref().and_then(|o| o.record.clone());
    let binary = schema.target.classes.len() == 2;
    // One short sentence per new estimate for screen readers, instead of a live card that
    // would read out every bar and explanation.
    let announce = assessment
        .map(|a| risk::announce_text(a, schema, lang))
        .unwrap_or_default();
    html! {
        <section class="card results" aria-labelledby="results-h" id="results">
            <h2 id="results-h">{ format!("{} — {}", Msg::Suggestion.text(lang), schema.target.label.get(lang)) }</h2>
            <p class="sr-only" id="announce" aria-live="polite" aria-atomic="true">{ announce }</p>
            if let Some(a) = assessment {
                if !a.discrimination.better_than_chance {
                    <p class="warning" id="chance" role="note">{ risk::chance_text(&a.discrimination, a.base_rate, lang) }</p>
                }
                if binary {
                    { binary_estimate(&props.loaded, a, lang) }
                }
                // Every class with its probability: the differential, ranked, for more classes;
                // both classes, small, under a binary estimate.
                if binary {
                    <p class="muted probs-caption">{ risk::output_caption(a.discrimination.better_than_chance, lang) }</p>
                }
                <ul class={classes!("probs", binary.then_some("compact"))}>
                    { for ranked(a).into_iter().map(|i| {
                        let Some(c) = a.probabilities.get(i) else { return html! {} };
                        let pct = c.probability * 100.0;
                        html! {
                            <li class={classes!("prob", (!binary && i == a.top).then_some("top"))}
                                data-code={c.code.clone()} data-probability={c.probability.to_string()}>
                                <span class="cls">
                                    { c.label.get(lang) }
                                    if !binary && i == a.top { <span class="badge">{ Msg::MostProbable.text(lang) }</span> }
                                </span>
                                <span class="pct">{ format!("{pct:.1} %") }</span>
                                // A published equation is not calibrated here (only a site's
                                // recalibration would change it): no "before calibration" line.
                                if props.loaded.bundle.published.is_none() || !props.loaded.bundle.local.is_empty() {
                                    <span class="raw">{ format!("{} {:.1} %", Msg::BeforeCalibration.text(lang), c.raw * 100.0) }</span>
                                }
                                if !binary {
                                    <svg class="bar" viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                                        <rect class="track" x="0" y="0" width="100" height="6" />
                                        <rect class="fill" x="0" y="0" width={format!("{pct:.3}")} height="6" />
                                    </svg>
                                }
                            </li>
                        }
                    }) }
                </ul>
                if let (Some(band), false) = (a.band, binary) {
                    <p class="band" id="band">{ risk::band_words(&band, props.loaded.bundle.evaluation.folds, lang) }</p>
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
                // Neither what to measure next nor what would change the answer means anything
                // for a model that has not been shown to tell patients apart.
                if !a.next_measurements.is_empty() && a.discrimination.better_than_chance {
                    <div class="note" id="next-measurement">
                        <h3>{ risk::measurements_heading(lang) }</h3>
                        <ul>{ for a.next_measurements.iter().map(|m| html! {
                            <li data-field={m.field.clone()}>{ risk::measurement_text(m, schema, lang) }</li>
                        }) }</ul>
                    </div>
                }
                if !a.flags.is_empty() {
                    <ul class="flags" id="flags">
                        { for a.flags.iter().map(|f| html! { <li>{ flag_text(f, schema, lang) }</li> }) }
                    </ul>
                }
                // Keyed by the outcome: a new estimate starts its explanation from the class in
                // focus again.
                <ExplanationChart key={props.outcome.as_ref().map_or(0, |o| Rc::as_ptr(o) as usize)}
                    loaded={props.loaded.clone()} assessment={a.clone()} {record} {lang} />
                if let Some(t) = &a.targets {
                    <div class="what-if" id="targets">
                        <h3>{ risk::change_heading(schema, lang) }</h3>
                        if t.changes.is_empty() {
                            <p>{ Msg::TargetsAtOptimal.text(lang) }</p>
                        } else {
                            <ul>{ for risk::target_lines(t, schema, lang).into_iter().map(|(field, line)| html! {
                                <li data-field={field}>{ line }</li>
                            }) }</ul>
                        }
                        <p class="muted small">{ risk::targets_note(lang) }</p>
                    </div>
                } else if a.discrimination.better_than_chance {
                    <div class="what-if" id="what-would-change">
                        <h3>{ risk::change_heading(schema, lang) }</h3>
                        <p>{ risk::change_words(&a.what_would_change, schema, a.focus, lang) }</p>
                    </div>
                }
            } else {
                <p class="muted" id="awaiting">{ Msg::AwaitingInput.text(lang) }</p>
            }
        </section>
    }
}

/// Class indices by decreasing probability (schema order on ties).
fn ranked(a: &Assessment) -> Vec<usize> {
    let p = |i: usize| a.probabilities.get(i).map_or(0.0, |c| c.probability);
    let mut order: Vec<usize> = (0..a.probabilities.len()).collect();
    crate::util::sort::sort_indices(&mut order, &|i, j| p(j).total_cmp(&p(i)).then(i.cmp(&j)));
    order
}
