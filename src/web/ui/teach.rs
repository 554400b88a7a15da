//! Teaching mode: browse the case library (sortable, filterable), open a case, and a quiz in
//! which the learner commits to a diagnosis before seeing the recorded truth, the model's
//! probability and explanation, and the most similar cases. Scores are kept in memory only.

use std::rc::Rc;

use yew::prelude::*;

use super::explanation::ExplanationChart;
use super::similar_cases::SimilarCases;
use super::state::{Loaded, Search};
use crate::cases::{CaseLibrary, SortKey};
use crate::clinical::assess::assess_record;
use crate::contract::patient::PatientRecord;
use crate::present::risk::{quiz_basis_text, quiz_explanation_note};
use crate::present::ui::Msg;
use crate::present::wording::stored_value_text;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub library: Rc<CaseLibrary>,
    pub search: Search,
    pub on_search: Callback<Search>,
    pub on_assess: Callback<usize>,
    pub lang: Lang,
}

/// Quiz progress.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Quiz {
    case: Option<usize>,
    answer: Option<usize>,
    correct: u32,
    answered: u32,
}

/// The library table's sort and filter.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Table {
    sort: SortKey,
    ascending: bool,
    outcome: Option<usize>,
    shown: usize,
    open: Option<usize>,
}

const PAGE: usize = 25;

fn random_case(n: usize) -> usize {
    ((js_sys::Math::random() * n as f64) as usize).min(n.saturating_sub(1))
}

#[function_component]
pub fn Teach(props: &Props) -> Html {
    let lang = props.lang;
    let bundle = &props.loaded.bundle;
    let schema = &bundle.schema;
    let lib = props.library.clone();
    let quiz = use_state(Quiz::default);
    let table = use_state(|| Table {
        sort: SortKey::Row,
        ascending: true,
        outcome: None,
        shown: PAGE,
        open: None,
    });

    // ---- quiz ----
    let next = {
        let quiz = quiz.clone();
        let n = lib.len();
        Callback::from(move |_: MouseEvent| {
            quiz.set(Quiz {
                case: (n > 0).then(|| random_case(n)),
                answer: None,
                ..*quiz
            })
        })
    };
    // The revealed case's record and assessment, worked out once per case and reveal (not on
    // every render of the tab).
    let revealed = {
        let (loaded, lib) = (props.loaded.clone(), lib.clone());
        use_memo(
            (
                props.loaded.sha256.clone(),
                Rc::as_ptr(&lib) as usize,
                quiz.case,
                quiz.answer.is_some(),
            ),
            move |(_, _, case, answered)| {
                let schema = &loaded.bundle.schema;
                let record = case
                    .filter(|_| *answered)
                    .and_then(|i| PatientRecord::from_json(schema, &lib.case_json(schema, i)).ok())
                    .map(Rc::new);
                let assessment = record.as_ref().map(|r| assess_record(&loaded.bundle, r));
                (record, assessment)
            },
        )
    };
    let quiz_view = match quiz.case.filter(|&i| i < lib.len()) {
        None => html! {
            <button type="button" id="quiz-start" class="primary" onclick={next.clone()}>{ Msg::QuizStart.text(lang) }</button>
        },
        Some(i) => {
            let truth = lib.outcome.get(i).map_or(0, |&o| o as usize);
            let findings = schema.features.iter().enumerate().map(|(j, f)| html! {
                <tr><th scope="row">{ f.label.get(lang) }</th><td>{ stored_value_text(f, lib.value(i, j), lang) }</td></tr>
            });
            let answered = quiz.answer.is_some();
            let answer_buttons = schema.target.classes.iter().enumerate().map(|(c, class)| {
                let quiz = quiz.clone();
                let onclick = Callback::from(move |_: MouseEvent| {
                    if quiz.answer.is_none() {
                        quiz.set(Quiz {
                            answer: Some(c),
                            correct: quiz.correct + u32::from(c == truth),
                            answered: quiz.answered + 1,
                            ..*quiz
                        });
                    }
                });
                html! {
                    <button type="button" class="answer" data-class={c.to_string()} disabled={answered} {onclick}>
                        { class.label.get(lang) }
                    </button>
                }
            });
            let reveal = quiz.answer.map(|a| {
                let (record, assessment) = (revealed.0.clone(), revealed.1.clone());
                let held_out = lib.held_out.get(i).filter(|h| h.len() == schema.target.classes.len()).cloned();
                let truth_label = schema.target.classes.get(truth).map_or("", |c| c.label.get(lang));
                html! {
                    <div class="reveal" id="quiz-reveal" aria-live="polite">
                        <p class={if a == truth { "ok" } else { "warning" }} id="quiz-verdict" data-correct={(a == truth).to_string()}>
                            { if a == truth { Msg::Correct.text(lang) } else { Msg::Incorrect.text(lang) } }{ " " }
                            { format!("{}: ", Msg::Truth.text(lang)) }<strong id="quiz-truth" data-class={truth.to_string()}>{ truth_label }</strong>
                        </p>
                        if let Some(a) = &assessment {
                            // A training case's own probability comes from a model that did not
                            // see it (out of fold); the refit model has seen it and would flatter.
                            <p id="quiz-model" data-held-out={held_out.is_some().to_string()}>{ format!("{}: ", Msg::ModelSays.text(lang)) }
                                { for a.probabilities.iter().enumerate().map(|(k, c)| {
                                    let p = held_out.as_ref().and_then(|h| h.get(k)).map_or(c.probability, |&v| f64::from(v));
                                    html! { <span class="chip" data-code={c.code.clone()} data-probability={p.to_string()}>{ format!("{} {:.1} %", c.label.get(lang), p * 100.0) }</span> }
                                }) }
                                <span class="muted small">{ quiz_basis_text(held_out.is_some(), lang) }</span>
                            </p>
                            <p class="muted small" id="quiz-explanation-note">{ quiz_explanation_note(lang) }</p>
                            <ExplanationChart key={i} loaded={props.loaded.clone()} assessment={a.clone()} record={record.as_deref().cloned()} {lang} />
                        }
                        if let Some(r) = record {
                            <SimilarCases loaded={props.loaded.clone()} library={lib.clone()} record={r}
                                probabilities={assessment.map(|a| Rc::new(a.probabilities.iter().map(|c| c.probability).collect::<Vec<_>>()))}
                                search={props.search.clone()} on_search={props.on_search.clone()} exclude={Some(i)} {lang} id="quiz" />
                        }
                        <button type="button" id="quiz-next" class="primary" onclick={next.clone()}>{ Msg::NextCase.text(lang) }</button>
                    </div>
                }
            });
            html! {
                <div class="quiz-case" data-case={i.to_string()}>
                    <h3>{ format!("{} {}", Msg::CaseHeading.text(lang), lib.rows.get(i).copied().unwrap_or(0)) }</h3>
                    <table class="findings"><tbody>{ for findings }</tbody></table>
                    <p><strong>{ Msg::YourAnswer.text(lang) }</strong></p>
                    <div class="answers">{ for answer_buttons }</div>
                    { for reveal }
                </div>
            }
        }
    };

    // ---- library table ----
    let t = *table;
    // Sorted when the order or the library changes, not on every render.
    let order = {
        let lib = lib.clone();
        use_memo(
            (Rc::as_ptr(&lib) as usize, t.sort, t.ascending, t.outcome),
            move |(_, sort, ascending, outcome)| lib.ordered(*sort, *ascending, *outcome),
        )
    };
    let total = order.len();
    let sort_by = |col: SortKey| {
        let table = table.clone();
        Callback::from(move |_: MouseEvent| {
            let mut t = *table;
            if t.sort == col {
                t.ascending = !t.ascending;
            } else {
                t.sort = col;
                t.ascending = true;
            }
            table.set(t);
        })
    };
    let aria_sort = |col: SortKey| match (t.sort == col, t.ascending) {
        (false, _) => "none",
        (true, true) => "ascending",
        (true, false) => "descending",
    };
    let on_outcome = {
        let table = table.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
            table.set(Table {
                outcome: el.value().parse().ok(),
                shown: PAGE,
                ..*table
            });
        })
    };
    let more = {
        let table = table.clone();
        Callback::from(move |_: MouseEvent| {
            table.set(Table {
                shown: table.shown + PAGE,
                ..*table
            })
        })
    };
    let open_case = t.open.filter(|&i| i < lib.len()).map(|i| {
        let close = {
            let table = table.clone();
            Callback::from(move |_: MouseEvent| table.set(Table { open: None, ..*table }))
        };
        let assess = {
            let on_assess = props.on_assess.clone();
            Callback::from(move |_: MouseEvent| on_assess.emit(i))
        };
        let outcome = lib.outcome.get(i).and_then(|&o| schema.target.classes.get(o as usize)).map_or("", |c| c.label.get(lang));
        html! {
            <div class="open-case" id="open-case" data-case={i.to_string()}>
                <h3>{ format!("{} {} — {}", Msg::CaseHeading.text(lang), lib.rows.get(i).copied().unwrap_or(0), outcome) }</h3>
                <table class="findings"><tbody>
                    { for schema.features.iter().enumerate().map(|(j, f)| html! {
                        <tr><th scope="row">{ f.label.get(lang) }</th><td>{ stored_value_text(f, lib.value(i, j), lang) }</td></tr>
                    }) }
                </tbody></table>
                <button type="button" id="assess-case" class="primary" onclick={assess}>{ Msg::AssessThisCase.text(lang) }</button>
                <button type="button" onclick={close}>{ Msg::Close.text(lang) }</button>
            </div>
        }
    });

    html! {
        <div class="teach" id="teach">
            <section class="card quiz" id="quiz" aria-labelledby="quiz-h">
                <h2 id="quiz-h">{ Msg::Quiz.text(lang) }
                    <span class="score" id="quiz-score" data-correct={quiz.correct.to_string()} data-answered={quiz.answered.to_string()}>
                        { format!("{} {} / {}", Msg::Score.text(lang), quiz.correct, quiz.answered) }
                    </span>
                </h2>
                <p class="muted small">{ Msg::QuizIntro.text(lang) }</p>
                { quiz_view }
            </section>
            <section class="card browse" id="browse" aria-labelledby="browse-h">
                <h2 id="browse-h">{ Msg::Browse.text(lang) }</h2>
                <p class="muted small">{ lib.source.clone() }</p>
                <label>
                    <span>{ Msg::RecordedOutcome.text(lang) }</span>{ " " }
                    <select id="browse-outcome" onchange={on_outcome}>
                        <option value="" selected={t.outcome.is_none()}>{ Msg::AnyGroup.text(lang) }</option>
                        { for schema.target.classes.iter().enumerate().map(|(c, class)| html! {
                            <option value={c.to_string()} selected={t.outcome == Some(c)}>{ class.label.get(lang) }</option>
                        }) }
                    </select>
                </label>
                { for open_case }
                <div class="table-wrap" tabindex="0" role="region" aria-label={Msg::Library.text(lang)}>
                    <table class="library" id="library-table">
                        <thead><tr>
                            <th scope="col">{ Msg::Row.text(lang) }</th>
                            { for schema.features.iter().enumerate().map(|(j, f)| html! {
                                <th scope="col" aria-sort={aria_sort(SortKey::Feature(j))}>
                                    <button type="button" class="sort" title={Msg::Sort.text(lang)} data-col={f.column.clone()} onclick={sort_by(SortKey::Feature(j))}>
                                        { f.label.get(lang) }{ if f.unit().is_empty() { String::new() } else { format!(" ({})", f.unit()) } }
                                    </button>
                                </th>
                            }) }
                            <th scope="col" aria-sort={aria_sort(SortKey::Outcome)}>
                                <button type="button" class="sort" data-col="outcome" onclick={sort_by(SortKey::Outcome)}>{ schema.target.label.get(lang) }</button>
                            </th>
                            <th scope="col"><span class="sr-only">{ Msg::OpenCase.text(lang) }</span></th>
                        </tr></thead>
                        <tbody>
                            { for order.iter().take(t.shown).map(|&i| {
                                let open = {
                                    let table = table.clone();
                                    Callback::from(move |_: MouseEvent| table.set(Table { open: Some(i), ..*table }))
                                };
                                html! {
                                    <tr data-case={i.to_string()}>
                                        <td>{ lib.rows.get(i).copied().unwrap_or(0) }</td>
                                        { for schema.features.iter().enumerate().map(|(j, f)| html! {
                                            <td>{ stored_value_text(f, lib.value(i, j), lang) }</td>
                                        }) }
                                        <td>{ lib.outcome.get(i).and_then(|&o| schema.target.classes.get(o as usize)).map_or("", |c| c.label.get(lang)) }</td>
                                        <td><button type="button" class="open" onclick={open}>{ Msg::OpenCase.text(lang) }</button></td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    </table>
                </div>
                <p class="muted small" id="browse-count">{ format!("{} / {} {}", t.shown.min(total), total, Msg::Shown.text(lang)) }</p>
                if t.shown < total {
                    <button type="button" id="browse-more" onclick={more}>{ Msg::ShowMore.text(lang) }</button>
                }
            </section>
        </div>
    }
}
