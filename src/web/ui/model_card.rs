//! The model card in the app: the same sections as `bedside inspect`, the metrics (cross-
//! validation, test before and after calibration, subgroups), the candidates compared, and the
//! ROC and calibration curves drawn as SVG.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::model::metrics::{Bin, Metrics};
use crate::present::model_card::sections;
use crate::present::ui::Msg;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub lang: Lang,
}

fn metric_row(name: String, m: &Metrics) -> Html {
    html! {
        <tr>
            <th scope="row">{ name }</th>
            <td>{ m.n }</td>
            <td>{ format!("{:.3}", m.accuracy) }</td>
            <td>{ format!("{:.3}", m.precision) }</td>
            <td>{ format!("{:.3}", m.recall) }</td>
            <td>{ format!("{:.3}", m.f1) }</td>
            <td>{ format!("{:.3}", m.auc) }</td>
            <td>{ format!("{:.4}", m.brier) }</td>
            <td>{ format!("{:.4}", m.ece) }</td>
        </tr>
    }
}

/// Points as an SVG polyline in a 100×100 box (y up).
pub(super) fn polyline(points: impl Iterator<Item = (f64, f64)>) -> String {
    points
        .map(|(x, y)| format!("{:.2},{:.2}", x * 100.0, 100.0 - y * 100.0))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A 0–1 × 0–1 chart with its diagonal.
pub(super) fn chart(title: &str, x_label: &str, y_label: &str, id: &str, body: Html) -> Html {
    let diag = html! { <line class="diag" x1="0" y1="100" x2="100" y2="0" /> };
    figure(
        title,
        [x_label, y_label],
        id,
        ["0", "1", "0", "1"],
        html! { <>{ diag }{ body }</> },
    )
}

/// A chart's frame, axis labels (x, y) and corner ticks (x from, x to, y from, y to) around
/// `body`, drawn in a 100×100 box (y up).
pub(super) fn figure(
    title: &str,
    labels: [&str; 2],
    id: &str,
    ticks: [&str; 4],
    body: Html,
) -> Html {
    let [x_label, y_label] = labels;
    let [x0, x1, y0, y1] = ticks;
    html! {
        <figure class="chart" id={id.to_string()}>
            <svg viewBox="-14 -4 120 122" role="img" aria-label={title.to_string()}>
                <rect class="frame" x="0" y="0" width="100" height="100" />
                { body }
                <text class="axis-label" x="50" y="114" text-anchor="middle">{ x_label }</text>
                <text class="axis-label" x="-6" y="50" text-anchor="middle" transform="rotate(-90 -6 50)">{ y_label }</text>
                <text class="tick" x="0" y="108" text-anchor="middle">{ x0 }</text>
                <text class="tick" x="100" y="108" text-anchor="middle">{ x1 }</text>
                <text class="tick" x="-3" y="101" text-anchor="end">{ y0 }</text>
                <text class="tick" x="-3" y="3" text-anchor="end">{ y1 }</text>
            </svg>
            <figcaption>{ title }</figcaption>
        </figure>
    }
}

fn bins(b: &[Bin]) -> impl Iterator<Item = (f64, f64)> + '_ {
    b.iter().map(|b| (b.predicted, b.observed))
}

/// Collapsed by default; the body is only built once opened, so the first estimate does not
/// wait for tables and curves nobody has asked for yet.
#[function_component]
pub fn ModelCard(props: &Props) -> Html {
    let open = use_state(|| false);
    let toggle = {
        let open = open.clone();
        Callback::from(move |e: MouseEvent| {
            e.prevent_default();
            open.set(!*open);
        })
    };
    let lang = props.lang;
    if !*open {
        return html! {
            <details class="card model-card" id="model-card">
                <summary onclick={toggle}><h2>{ Msg::ModelCard.text(lang) }</h2></summary>
            </details>
        };
    }
    let b = &props.loaded.bundle;
    let section = |s: crate::present::model_card::Section| {
        html! {
            <section>
                <h3>{ s.title }</h3>
                <dl>
                    { for s.items.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }
                </dl>
            </section>
        }
    };
    if b.published.is_some() {
        // The paper's figures only: a published equation has no held-out metrics, curves or
        // candidates of ours.
        return html! {
            <details class="card model-card" id="model-card" open=true>
                <summary onclick={toggle}><h2>{ Msg::ModelCard.text(lang) }</h2></summary>
                { for sections(b, &props.loaded.sha256, lang).into_iter().map(section) }
            </details>
        };
    }
    let card = &b.evaluation;
    let positive = b
        .schema
        .target
        .classes
        .get(b.schema.positive_index())
        .map_or("", |c| c.label.get(lang));
    let roc = html! { <polyline class="curve" points={polyline(card.roc.iter().copied())} /> };
    let cal = html! {
        <>
            <polyline class="curve raw" points={polyline(bins(&card.reliability_raw))} />
            { for card.reliability_raw.iter().map(|p| html! { <circle class="raw" cx={format!("{:.2}", p.predicted * 100.0)} cy={format!("{:.2}", 100.0 - p.observed * 100.0)} r="1.6" /> }) }
            <polyline class="curve" points={polyline(bins(&card.reliability))} />
            { for card.reliability.iter().map(|p| html! { <circle cx={format!("{:.2}", p.predicted * 100.0)} cy={format!("{:.2}", 100.0 - p.observed * 100.0)} r="1.6" /> }) }
        </>
    };
    let chosen = card.candidates.get(card.chosen as usize);
    html! {
        <details class="card model-card" id="model-card" open=true>
            <summary onclick={toggle}><h2>{ Msg::ModelCard.text(lang) }</h2></summary>
            { for sections(b, &props.loaded.sha256, lang).into_iter().map(section) }
            <section>
                <h3>{ Msg::MetricsHeading.text(lang) }</h3>
                <p class="muted small">{ format!("{}: {positive}", Msg::PositiveClass.text(lang)) }</p>
                // A table wider than a narrow box scrolls inside it: focusable and named, so the
                // keyboard can scroll it too.
                <div class="table-wrap" tabindex="0" role="region" aria-label={Msg::MetricsHeading.text(lang)}>
                    <table class="metrics wide" id="card-metrics">
                        <thead><tr>
                            <th></th><th>{ "n" }</th><th>{ Msg::Accuracy.text(lang) }</th><th>{ Msg::Precision.text(lang) }</th>
                            <th>{ Msg::Recall.text(lang) }</th><th>{ Msg::F1.text(lang) }</th><th>{ "AUC" }</th>
                            <th>{ Msg::Brier.text(lang) }</th><th>{ Msg::Ece.text(lang) }</th>
                        </tr></thead>
                        <tbody>
                            if let Some(c) = chosen { { metric_row(Msg::CvUncalibrated.text(lang).into(), &c.cv) } }
                            { metric_row(Msg::TestUncalibrated.text(lang).into(), &card.test_raw) }
                            { metric_row(Msg::TestCalibrated.text(lang).into(), &card.test) }
                            { for card.subgroups.iter().map(|g| metric_row(g.label.get(lang).to_string(), &g.metrics)) }
                        </tbody>
                    </table>
                </div>
            </section>
            <div class="charts">
                { chart(Msg::RocCurve.text(lang), Msg::FalsePositiveRate.text(lang), Msg::TruePositiveRate.text(lang), "roc-chart", roc) }
                { chart(Msg::CalibrationCurve.text(lang), Msg::PredictedProbability.text(lang), Msg::ObservedFrequency.text(lang), "calibration-chart", cal) }
            </div>
            <p class="legend muted small">
                <span class="key cal"></span>{ Msg::Calibrated.text(lang) }{ " · " }<span class="key raw"></span>{ Msg::Uncalibrated.text(lang) }
            </p>
            <section>
                <h3>{ Msg::Candidates.text(lang) }</h3>
                <div class="table-wrap" tabindex="0" role="region" aria-label={Msg::Candidates.text(lang)}>
                    <table class="metrics wide" id="candidates">
                        <thead><tr><th>{ Msg::ModelFamily.text(lang) }</th><th></th><th>{ Msg::LogLoss.text(lang) }</th><th>{ "AUC" }</th><th>{ Msg::Brier.text(lang) }</th><th></th></tr></thead>
                        <tbody>
                            { for card.candidates.iter().enumerate().map(|(i, c)| html! {
                                <tr class={classes!((i == card.chosen as usize).then_some("chosen"))}>
                                    <th scope="row">{ if lang == Lang::Zh { c.family.name_zh() } else { c.family.name() } }</th>
                                    <td>{ &c.params }</td>
                                    <td>{ format!("{:.4}", c.cv.log_loss) }</td>
                                    <td>{ format!("{:.3}", c.cv.auc) }</td>
                                    <td>{ format!("{:.4}", c.cv.brier) }</td>
                                    <td>{ if i == card.chosen as usize { Msg::Chosen.text(lang) } else if !c.eligible { Msg::NotEligible.text(lang) } else { "" } }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            </section>
        </details>
    }
}
