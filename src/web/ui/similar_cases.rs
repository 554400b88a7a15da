//! The similar-cases panel: filters, the outcome mix among the nearest cases next to the
//! model's probability, each neighbour with what makes it alike and what differs, and the
//! case map. The search itself is the core's (`cases::search`).

use std::rc::Rc;

use yew::prelude::*;

use super::case_map::CaseMap;
use super::state::{Loaded, Search};
use crate::cases::{self, CaseLibrary};
use crate::contract::groups;
use crate::contract::patient::PatientRecord;
use crate::present::ui::Msg;
use crate::present::wording::{difference_text, library_scope_text, outcome_mix_text};
use crate::util::lang::Lang;

/// Applies a select's value to the search settings.
type SetSearch = dyn Fn(&mut Search, String);

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub library: Rc<CaseLibrary>,
    pub record: Rc<PatientRecord>,
    /// Calibrated model probabilities, shown beside the outcome mix.
    pub probabilities: Option<Rc<Vec<f64>>>,
    pub search: Search,
    pub on_search: Callback<Search>,
    pub lang: Lang,
    /// A case to leave out (the quiz case itself).
    #[prop_or_default]
    pub exclude: Option<usize>,
    /// DOM id prefix (the panel appears in more than one view).
    pub id: AttrValue,
}

/// Compared by pointer where a field is shared: the state hands out a new `Rc` whenever the
/// value changes, so equal pointers mean nothing changed, and the deep comparison would
/// cost every re-render (and WASM size) for nothing.
impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &other.loaded)
            && Rc::ptr_eq(&self.library, &other.library)
            && self.probabilities == other.probabilities
            && self.record == other.record
            && self.search == other.search
            && self.on_search == other.on_search
            && self.lang == other.lang
            && self.exclude == other.exclude
            && self.id == other.id
    }
}

#[function_component]
pub fn SimilarCases(props: &Props) -> Html {
    let lang = props.lang;
    let bundle = &props.loaded.bundle;
    let schema = &bundle.schema;
    // The grouping fields are the schema's: worked out once per bundle.
    let fields = {
        let loaded = props.loaded.clone();
        use_memo(props.loaded.sha256.clone(), move |_| {
            groups::fields(&loaded.bundle.schema)
        })
    };
    // The search runs when what it depends on changes, not on every render (the library is
    // compared by identity: it is a new `Rc` whenever it is another library).
    let found = {
        let (loaded, library) = (props.loaded.clone(), props.library.clone());
        use_memo(
            (
                props.loaded.sha256.clone(),
                Rc::as_ptr(&props.library) as usize,
                props.record.clone(),
                props.search.clone(),
                props.exclude,
            ),
            move |(_, _, record, search, exclude)| {
                let b = &loaded.bundle;
                let fields = groups::fields(&b.schema);
                let options = search.options(&fields, *exclude);
                cases::search(
                    &library,
                    &b.metric,
                    b.schema.target.classes.len(),
                    record,
                    &options,
                )
            },
        )
    };
    let id = props.id.clone();

    let set = |f: Rc<SetSearch>| {
        let search = props.search.clone();
        let on_search = props.on_search.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let mut s = search.clone();
            f(&mut s, el.value());
            on_search.emit(s);
        })
    };
    let on_k = set(Rc::new(|s, v| s.k = v.parse().unwrap_or(10)));
    let on_outcome = set(Rc::new(|s, v| s.outcome = v.parse().ok()));
    let on_weighted = {
        let search = props.search.clone();
        let on_search = props.on_search.clone();
        Callback::from(move |e: Event| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            let mut s = search.clone();
            s.weighted = el.checked();
            on_search.emit(s);
        })
    };

    let shown = found.neighbours.len();
    let mix = schema.target.classes.iter().enumerate().map(|(c, class)| {
        let count = found.outcome_counts.get(c).copied().unwrap_or(0);
        let p = props.probabilities.as_ref().and_then(|p| p.get(c).copied());
        html! {
            <li data-class={c.to_string()} data-count={count.to_string()}>
                { outcome_mix_text(count, shown, class.label.get(lang), p, lang) }
            </li>
        }
    });

    html! {
        <section class="card similar" id={format!("{id}-similar")} aria-labelledby={format!("{id}-similar-h")}>
            <h2 id={format!("{id}-similar-h")}>{ Msg::SimilarCases.text(lang) }</h2>
            <p class="muted small">{ Msg::SimilarIntro.text(lang) }</p>
            <div class="filters">
                <label>
                    <span>{ Msg::Neighbours.text(lang) }</span>
                    <select class="k" onchange={on_k}>
                        { for [5usize, 10, 20].iter().map(|&k| html! {
                            <option value={k.to_string()} selected={props.search.k == k}>{ k }</option>
                        }) }
                    </select>
                </label>
                { for fields.iter().enumerate().map(|(fi, field)| {
                    let on_change = set(Rc::new(move |s: &mut Search, v: String| {
                        if s.groups.len() <= fi {
                            s.groups.resize(fi + 1, None);
                        }
                        if let Some(g) = s.groups.get_mut(fi) {
                            *g = v.parse().ok();
                        }
                    }));
                    let current = props.search.groups.get(fi).copied().flatten();
                    html! {
                        <label>
                            <span>{ field.label.get(lang) }</span>
                            <select class="group-filter" data-field={schema.features.get(field.feature).map(|f| f.column.clone()).unwrap_or_default()} onchange={on_change}>
                                <option value="" selected={current.is_none()}>{ Msg::AnyGroup.text(lang) }</option>
                                { for field.groups.iter().enumerate().map(|(gi, g)| html! {
                                    <option value={gi.to_string()} selected={current == Some(gi)}>{ g.label.get(lang) }</option>
                                }) }
                            </select>
                        </label>
                    }
                }) }
                <label>
                    <span>{ Msg::RecordedOutcome.text(lang) }</span>
                    <select class="outcome-filter" onchange={on_outcome}>
                        <option value="" selected={props.search.outcome.is_none()}>{ Msg::AnyGroup.text(lang) }</option>
                        { for schema.target.classes.iter().enumerate().map(|(c, class)| html! {
                            <option value={c.to_string()} selected={props.search.outcome == Some(c)}>{ class.label.get(lang) }</option>
                        }) }
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" class="weighted" checked={props.search.weighted} onchange={on_weighted} />
                    <span>{ Msg::WeightByRelevance.text(lang) }</span>
                </label>
            </div>
            <p class="muted small scope">{ library_scope_text(found.total, found.eligible, found.compared_features, schema.features.len(), lang) }</p>
            if found.neighbours.is_empty() {
                <p class="muted">{ Msg::NoSimilar.text(lang) }</p>
            } else {
                <div class="mix">
                    <h3>{ Msg::OutcomeMix.text(lang) }</h3>
                    <ul class="outcome-mix">{ for mix }</ul>
                </div>
                <ol class="neighbours">
                    { for found.neighbours.iter().map(|n| {
                        let outcome = schema.target.classes.get(n.outcome).map_or("", |c| c.label.get(lang));
                        let alike: Vec<&str> = n.alike.iter().take(4)
                            .filter_map(|&j| schema.features.get(j).map(|f| f.label.get(lang))).collect();
                        let differ: Vec<String> = n.differ.iter().filter_map(|d| {
                            schema.features.get(d.feature).map(|f| difference_text(f, d.delta, props.library.value(n.case, d.feature), lang))
                        }).collect();
                        html! {
                            <li class={classes!("neighbour", format!("o{}", n.outcome))} data-case={n.case.to_string()} data-distance={n.distance.to_string()} data-outcome={n.outcome.to_string()}>
                                <div class="nhead">
                                    <span class="outcome">{ outcome }</span>
                                    <span class="dist">{ format!("{} {:.3}", Msg::Distance.text(lang), n.distance) }</span>
                                    <span class="muted small">{ format!("{} {}", Msg::Row.text(lang), n.row) }</span>
                                </div>
                                if !alike.is_empty() {
                                    <div class="small"><strong>{ Msg::Alike.text(lang) }</strong>{ " " }{ alike.join(", ") }</div>
                                }
                                if !differ.is_empty() {
                                    <div class="small"><strong>{ Msg::Differs.text(lang) }</strong>{ " " }{ differ.join("; ") }</div>
                                }
                            </li>
                        }
                    }) }
                </ol>
                <CaseMap loaded={props.loaded.clone()} library={props.library.clone()} record={props.record.clone()}
                    neighbours={Rc::new(found.neighbours.iter().map(|n| n.case).collect::<Vec<_>>())} {lang} />
            }
        </section>
    }
}
