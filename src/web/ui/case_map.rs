//! The case map: every library case on the first two principal components (fitted by the
//! trainer), coloured by outcome, with the current patient and its neighbours highlighted.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::cases::CaseLibrary;
use crate::clinical::assess::map_position;
use crate::contract::patient::PatientRecord;
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub library: Rc<CaseLibrary>,
    pub record: Rc<PatientRecord>,
    pub neighbours: Rc<Vec<usize>>,
    pub lang: Lang,
}

/// Compared by pointer where a field is shared: the state hands out a new `Rc` whenever the
/// value changes, so equal pointers mean nothing changed, and the deep comparison would
/// cost every re-render (and WASM size) for nothing.
impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        Rc::ptr_eq(&self.loaded, &other.loaded)
            && Rc::ptr_eq(&self.library, &other.library)
            && self.record == other.record
            && self.neighbours == other.neighbours
            && self.lang == other.lang
    }
}

const SIZE: f32 = 300.0;
const PAD: f32 = 10.0;

#[function_component]
pub fn CaseMap(props: &Props) -> Html {
    let lang = props.lang;
    let bundle = &props.loaded.bundle;
    let lib = &props.library;
    if lib.map.is_empty() {
        return html! {};
    }
    let me = map_position(bundle, &props.record);
    let (mut lo, mut hi) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
    for p in lib.map.iter().chain(std::iter::once(&me)) {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    let span = [(hi[0] - lo[0]).max(1e-6), (hi[1] - lo[1]).max(1e-6)];
    let at = |p: &[f32; 2]| {
        (
            PAD + (p[0] - lo[0]) / span[0] * (SIZE - 2.0 * PAD),
            SIZE - PAD - (p[1] - lo[1]) / span[1] * (SIZE - 2.0 * PAD),
        )
    };
    let explained = &bundle.metric.pca.explained;
    let pc = |i: usize| explained.get(i).map_or(0.0, |e| e * 100.0);
    let (mx, my) = at(&me);
    let classes = &bundle.schema.target.classes;
    html! {
        <figure class="case-map" id="case-map">
            <figcaption>
                <strong>{ Msg::CaseMap.text(lang) }</strong>{ " " }
                <span class="muted small">{ format!("PC1 {:.0} %, PC2 {:.0} %. ", pc(0), pc(1)) }{ Msg::CaseMapNote.text(lang) }</span>
            </figcaption>
            <svg viewBox={format!("0 0 {SIZE} {SIZE}")} role="img" aria-label={Msg::CaseMap.text(lang)}>
                <rect class="frame" x="0" y="0" width={SIZE.to_string()} height={SIZE.to_string()} />
                // One path of round dots per outcome instead of an element per case: a
                // 900-case library would otherwise add 900 nodes to every first render.
                { for (0..classes.len()).map(|c| {
                    let mut d = String::new();
                    let mut n = 0usize;
                    for (p, _) in lib.map.iter().zip(&lib.outcome).filter(|(_, &o)| usize::from(o) == c) {
                        let (x, y) = at(p);
                        d.push_str(&format!("M{x:.1} {y:.1}h0"));
                        n += 1;
                    }
                    html! { <path class={format!("pt o{c}")} data-points={n.to_string()} {d} /> }
                }) }
                { for props.neighbours.iter().filter_map(|&i| lib.map.get(i)).map(|p| {
                    let (x, y) = at(p);
                    html! { <circle class="nb" cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="5" /> }
                }) }
                <path class="me" d={format!("M{:.1} {:.1}h12M{:.1} {:.1}v12", mx - 6.0, my, mx, my - 6.0)} />
            </svg>
            <ul class="legend">
                { for classes.iter().enumerate().map(|(c, class)| html! {
                    <li><span class={format!("swatch o{c}")} aria-hidden="true"></span>{ class.label.get(lang) }</li>
                }) }
                <li><span class="swatch me" aria-hidden="true">{ "+" }</span>{ Msg::ThisPatient.text(lang) }</li>
            </ul>
        </figure>
    }
}
