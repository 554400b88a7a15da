//! The basis of every estimate: which model, trained and tested on what, how well it did on
//! held-out cases, where the data came from, and the bundle's hash.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub lang: Lang,
}

/// Who vouches for the bundle, in words (the basis shows it; a warning is also shown above
/// every view).
pub use crate::present::wording::signature_text;

#[function_component]
pub fn Basis(props: &Props) -> Html {
    let lang = props.lang;
    let b = &props.loaded.bundle;
    let s = &b.schema;
    let m = b.metrics();
    let t = &b.training;
    let counts = |c: &[u32]| {
        s.target
            .classes
            .iter()
            .zip(c)
            .map(|(cls, n)| format!("{} {n}", cls.label.get(lang)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let positive = s
        .target
        .classes
        .get(s.positive_index())
        .map_or("", |c| c.label.get(lang));
    if let Some(p) = &b.published {
        let c = &p.card;
        let citation = match &b.model {
            crate::model::fitted::Model::Equation(e) => e.citation.as_str(),
            _ => "",
        };
        return html! {
            <section class="card basis" aria-labelledby="basis-h" id="basis">
                <h2 id="basis-h">{ Msg::Basis.text(lang) }</h2>
                <dl>
                    <dt>{ Msg::ModelFamily.text(lang) }</dt><dd id="published-source">{ if lang == Lang::Zh { b.model.family().name_zh() } else { b.model.family().name() } }{ " — " }{ citation }</dd>
                    <dt>{ Msg::DerivationCohorts.text(lang) }</dt><dd>{ c.derivation.get(lang) }</dd>
                    <dt>{ Msg::PublishedDiscrimination.text(lang) }</dt><dd id="published-discrimination">{ c.discrimination.get(lang) }</dd>
                    <dt>{ Msg::PublishedCalibration.text(lang) }</dt><dd>{ c.calibration.get(lang) }</dd>
                    { provenance_rows(props) }
                </dl>
            </section>
        };
    }
    let metric = |name: Msg, v: f64| html! { <tr><th scope="row">{ name.text(lang) }</th><td>{ format!("{v:.3}") }</td></tr> };
    html! {
        <section class="card basis" aria-labelledby="basis-h" id="basis">
            <h2 id="basis-h">{ Msg::Basis.text(lang) }</h2>
            <dl>
                <dt>{ Msg::ModelFamily.text(lang) }</dt><dd>{ if lang == Lang::Zh { b.model.family().name_zh() } else { b.model.family().name() } }{ " (smartcore) — " }{ crate::present::model_card::why_chosen(b, lang) }</dd>
                <dt>{ Msg::TrainedOn.text(lang) }</dt><dd>{ format!("{} {} ({})", t.n_train, Msg::Cases.text(lang), counts(&t.train_class_counts)) }</dd>
                <dt>{ Msg::TestedOn.text(lang) }</dt><dd>{ format!("{} {} ({}); {}", t.n_test, Msg::Cases.text(lang), counts(&t.test_class_counts), t.test_source) }</dd>
            </dl>
            <table class="metrics" id="metrics">
                <caption>{ format!("{} = {positive}", Msg::PositiveClass.text(lang)) }</caption>
                <tbody>
                    { metric(Msg::Accuracy, m.accuracy) }
                    { metric(Msg::Precision, m.precision) }
                    { metric(Msg::Recall, m.recall) }
                    { metric(Msg::F1, m.f1) }
                    <tr><th scope="row">{ Msg::Auc.text(lang) }</th><td>{ format!("{:.3} ({:.2}–{:.2})", m.auc, b.evaluation.auc_ci.0, b.evaluation.auc_ci.1) }</td></tr>
                    { metric(Msg::Brier, m.brier) }
                    { metric(Msg::Ece, m.ece) }
                </tbody>
            </table>
            <dl>
                <dt>{ Msg::Dataset.text(lang) }</dt><dd>{ &s.provenance.dataset }{ ". " }{ &s.provenance.source }</dd>
                <dt>{ Msg::Population.text(lang) }</dt><dd>{ s.provenance.population.get(lang) }</dd>
                <dt>{ Msg::License.text(lang) }</dt><dd>{ &s.provenance.license }</dd>
                { provenance_rows(props) }
            </dl>
        </section>
    }
}

/// The references, the bundle's hash and who signed it: the end of every basis.
fn provenance_rows(props: &Props) -> Html {
    let (lang, b) = (props.lang, &props.loaded.bundle);
    let citations = &b.schema.provenance.citations;
    html! {
        <>
            if !citations.is_empty() {
                <dt>{ Msg::References.text(lang) }</dt>
                <dd><ul>{ for citations.iter().map(|c| html! { <li>{ c }</li> }) }</ul></dd>
            }
            <dt>{ Msg::BundleHash.text(lang) }</dt><dd><code class="hash">{ &props.loaded.sha256 }</code>{ format!(" ({}, bedside {})", props.loaded.file, b.training.trainer_version) }</dd>
            <dt>{ Msg::Signature.text(lang) }</dt><dd id="signature">{ signature_text(&props.loaded.provenance, lang) }</dd>
        </>
    }
}
