//! The Validate view: a hospital's data team checks the loaded model on its own patients with
//! recorded outcomes. The CSV is read with the File API and checked by the core
//! (`crate::validate::evaluate`) in this page; nothing is uploaded and nothing is stored. The
//! figures are the core's ([`Report`]); this component draws them and, on request, has the core
//! recalibrate the bundle and saves the new file on this device.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use super::model_card::{chart, figure, polyline};
use super::state::{Action, Loaded, State, Unusable, Validation};
use crate::contract::schema::{Kind, Schema};
use crate::model::validation::{recalibrated, NetBenefit, Report, DRIFT_FLAG, THRESHOLDS};
use crate::present::ui::Msg;
use crate::present::validate_text::Vmsg;
use crate::present::wording::error_text;
use crate::util::lang::Lang;
use crate::validate::{About, Evaluated};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub validation: Option<Validation>,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
}

/// Refused rows listed one by one before "and more".
const LISTED: usize = 10;

/// What the recalibrated bundle records as its site: the browser has no signer and asks for
/// nothing (signing stays with `bedside sign`).
const SITE: &str = "Validated in the browser";

/// Today (UTC) as YYYY-MM-DD.
fn today() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    iso.get(..10).unwrap_or_default().to_string()
}

/// `v` as a percentage with one decimal.
fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

/// Save `bytes` as `filename` on this device through an object URL (a `data:` URL of a large
/// bundle would be several megabytes of text), released once the browser has taken the file.
fn save(bytes: &[u8], filename: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    super::treatment_panel::download(&url, filename);
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000)?;
    }
    Ok(())
}

/// What the CSV must hold: the feature columns and the outcome, with its codes.
fn columns_text(schema: &Schema, lang: Lang) -> String {
    let features = schema
        .features
        .iter()
        .map(|f| f.column.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let outcome = match &schema.target.derive {
        None => format!(
            "{} `{}`, {}: {}",
            Vmsg::ValidateOutcome.text(lang),
            schema.target.column,
            Vmsg::CodedAs.text(lang),
            schema
                .target
                .classes
                .iter()
                .map(|c| format!("`{}` {}", c.code, c.label.get(lang)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Some(d) => format!(
            "{} `{}`, `{}` ({} `{}`)",
            Vmsg::ValidateDerived.text(lang),
            d.time,
            d.status,
            Vmsg::EventCode.text(lang),
            d.event
        ),
    };
    format!(
        "{}: {features}; {outcome}.",
        Vmsg::ValidateColumns.text(lang)
    )
}

/// The headline figures, with their exact values in data attributes (for checks against
/// `bedside evaluate --json`).
fn summary(r: &Report, schema: &Schema, lang: Lang) -> Html {
    let cal = r.calibration;
    let positive = schema
        .target
        .classes
        .get(schema.positive_index())
        .map_or("", |c| c.label.get(lang));
    let (lo, hi) = r.auc_ci;
    let row = |name: String, value: String| html! { <><dt>{ name }</dt><dd>{ value }</dd></> };
    html! {
        <div id="validate-summary" data-n={r.n.to_string()} data-refused={r.refused.to_string()}
            data-events={r.events.to_string()} data-auc={r.auc.to_string()} data-auc-lo={lo.to_string()}
            data-auc-hi={hi.to_string()} data-brier={r.brier.to_string()}
            data-intercept={cal.map(|c| c.intercept.to_string())} data-slope={cal.map(|c| c.slope.to_string())}>
            <dl class="figures">
                { row(Vmsg::Patients.text(lang).into(), r.n.to_string()) }
                { row(format!("{} ({positive})", Vmsg::Events.text(lang)), format!("{} ({})", r.events, pct(r.event_rate))) }
                { row(Vmsg::AucCi.text(lang).into(), format!("{:.3} ({lo:.3}–{hi:.3})", r.auc)) }
                if let Some(c) = cal {
                    { row(Vmsg::CalIntercept.text(lang).into(), format!("{:.2}", c.intercept)) }
                    { row(Vmsg::CalSlope.text(lang).into(), format!("{:.2}", c.slope)) }
                }
                { row(Msg::Brier.text(lang).into(), format!("{:.3}", r.brier)) }
                { row(Vmsg::MeanPredicted.text(lang).into(), pct(r.mean_predicted)) }
                { row(Vmsg::ObservedRate.text(lang).into(), pct(r.event_rate)) }
            </dl>
            <p class="muted small">{ if cal.is_some() { Vmsg::CalMeaning } else { Vmsg::CalNotFitted }.text(lang) }</p>
        </div>
    }
}

/// A legend entry: its key and its words.
fn key(class: &'static str, text: String) -> Html {
    html! { <span><span class={classes!("key", class)}></span>{ text }</span> }
}

/// A chart with its legend under it.
fn boxed(chart: Html, legend: Html) -> Html {
    html! { <div class="chart-box">{ chart }<p class="legend muted small">{ legend }</p></div> }
}

fn points(xy: impl Iterator<Item = (f64, f64)>, class: &'static str) -> Html {
    xy.map(|(x, y)| html! {
        <circle {class} cx={format!("{:.2}", x * 100.0)} cy={format!("{:.2}", 100.0 - y * 100.0)} r="1.6" />
    })
    .collect()
}

fn roc_chart(r: &Report, loaded: &Loaded, lang: Lang) -> Html {
    let dev = &loaded.bundle.evaluation;
    let body = html! {
        <>
            <polyline class="curve dev" points={polyline(dev.roc.iter().copied())} />
            <polyline class="curve" points={polyline(r.roc.iter().copied())} />
        </>
    };
    let legend = html! {
        <>
            { key("", format!("{}: AUC {:.3}", Vmsg::ThesePatients.text(lang), r.auc)) }
            if loaded.bundle.published.is_some() {
                // A published equation: the paper's range of C statistics, no curve of ours.
                { key("dev", format!("{}: C {:.3}–{:.3}", Vmsg::Published.text(lang), dev.auc_ci.0, dev.auc_ci.1)) }
            } else {
                { key("dev", format!("{}: AUC {:.3}", Vmsg::Development.text(lang), dev.test.auc)) }
            }
        </>
    };
    let title = Vmsg::RocHere.text(lang);
    boxed(
        chart(
            title,
            Msg::FalsePositiveRate.text(lang),
            Msg::TruePositiveRate.text(lang),
            "validate-roc",
            body,
        ),
        legend,
    )
}

fn calibration_chart(r: &Report, lang: Lang) -> Html {
    // The band: up the lower ends, back down the upper ends.
    let band = r
        .curve
        .iter()
        .map(|b| (b.predicted, b.lo))
        .chain(r.curve.iter().rev().map(|b| (b.predicted, b.hi)));
    let fitted = r.calibration.map(|fit| {
        let line = (1..100).map(|i| {
            let p = f64::from(i) / 100.0;
            (p, recalibrated(fit, p))
        });
        html! { <polyline class="curve fit" points={polyline(line)} /> }
    });
    let body = html! {
        <>
            <polygon class="band" points={polyline(band)} />
            { fitted.unwrap_or_default() }
            <polyline class="curve" points={polyline(r.curve.iter().map(|b| (b.predicted, b.observed)))} />
            { points(r.curve.iter().map(|b| (b.predicted, b.observed)), "") }
        </>
    };
    let legend = html! {
        <>
            { key("", Msg::ObservedFrequency.text(lang).into()) }
            { key("band", Msg::Interval95.text(lang).into()) }
            if r.calibration.is_some() { { key("fit", Vmsg::FittedLine.text(lang).into()) } }
        </>
    };
    boxed(
        chart(
            Vmsg::CalibrationHere.text(lang),
            Msg::PredictedProbability.text(lang),
            Msg::ObservedFrequency.text(lang),
            "validate-calibration",
            body,
        ),
        legend,
    )
}

/// Net benefit against the threshold, its y axis fitted to the model's values and treating
/// everyone (cut below, where it falls far under zero, as decision curves usually are).
fn decision_chart(r: &Report, lang: Lang) -> Html {
    let nb = &r.net_benefit;
    let x_max = THRESHOLDS.iter().copied().fold(0.0, f64::max);
    let top = nb
        .iter()
        .flat_map(|b| [b.model, b.treat_all])
        .fold(0.0, f64::max);
    let bottom = nb.iter().map(|b| b.model).fold(0.0, f64::min);
    let span = (top - bottom).max(0.01);
    let (lo, hi) = (bottom - 0.15 * span, top + 0.05 * span);
    let at = move |t: f64, v: f64| (t / x_max, (v - lo) / (hi - lo));
    let line = |f: fn(&NetBenefit) -> f64| polyline(nb.iter().map(|b| at(b.threshold, f(b))));
    let zero_y = 100.0 - at(0.0, 0.0).1 * 100.0;
    let zero = format!("{zero_y:.2}");
    // The "0" tick, unless it would run into the top one.
    let zero_tick = (zero_y > 12.0).then(|| format!("{:.2}", zero_y + 1.5));
    // A nested <svg> clips what falls outside the frame.
    let body = html! {
        <>
            <svg x="0" y="0" width="100" height="100">
                <line class="none" x1="0" x2="100" y1={zero.clone()} y2={zero} />
                <polyline class="curve all" points={line(|b| b.treat_all)} />
                <polyline class="curve" points={line(|b| b.model)} />
            </svg>
            if let Some(y) = zero_tick {
                <text class="tick" x="-3" {y} text-anchor="end">{ "0" }</text>
            }
        </>
    };
    let legend = html! {
        <>
            { key("", Msg::ModelFamily.text(lang).into()) }
            { key("all", Vmsg::TreatAll.text(lang).into()) }
            { key("none", Vmsg::TreatNone.text(lang).into()) }
        </>
    };
    let (x1, y1) = (x_max.to_string(), format!("{hi:.2}"));
    boxed(
        figure(
            Vmsg::DecisionCurve.text(lang),
            [Vmsg::Threshold.text(lang), Vmsg::NetBenefit.text(lang)],
            "validate-decision",
            ["0", x1.as_str(), "", y1.as_str()],
            body,
        ),
        legend,
    )
}

/// A table that scrolls inside a narrow box: focusable and named, so the keyboard can scroll it.
fn table(id: &'static str, name: &'static str, head: &[&str], rows: Html) -> Html {
    html! {
        <div class="table-wrap" tabindex="0" role="region" aria-label={name}>
            <table class="metrics wide" {id}>
                <thead><tr>{ for head.iter().map(|h| html! { <th scope="col">{ *h }</th> }) }</tr></thead>
                <tbody>{ rows }</tbody>
            </table>
        </div>
    }
}

fn net_benefit_table(r: &Report, lang: Lang) -> Html {
    let rows: Html = r.net_benefit.iter().map(|b| {
        let better = b.model > b.treat_all && b.model > 0.0;
        html! {
            <tr class={classes!(better.then_some("better"))} data-threshold={b.threshold.to_string()}
                data-model={b.model.to_string()} data-treat-all={b.treat_all.to_string()}>
                <th scope="row">{ format!("{:.0} %", b.threshold * 100.0) }</th>
                <td>{ format!("{:.3}", b.model) }</td>
                <td>{ format!("{:.3}", b.treat_all) }</td>
                <td>{ "0" }</td>
                <td>{ if better { Msg::Yes } else { Msg::No }.text(lang) }</td>
            </tr>
        }
    }).collect();
    let head = [
        Vmsg::Threshold.text(lang),
        Msg::ModelFamily.text(lang),
        Vmsg::TreatAll.text(lang),
        Vmsg::TreatNone.text(lang),
        Vmsg::AboveBoth.text(lang),
    ];
    html! {
        <section>
            <h3>{ Vmsg::NetBenefit.text(lang) }</h3>
            <p class="muted small">{ Vmsg::NetBenefitReading.text(lang) }</p>
            { table("validate-net-benefit", Vmsg::NetBenefit.text(lang), &head, rows) }
        </section>
    }
}

fn subgroups_table(r: &Report, schema: &Schema, lang: Lang) -> Html {
    if r.subgroups.is_empty() {
        return html! {};
    }
    let positive = schema.positive_index();
    let rows: Html = r
        .subgroups
        .iter()
        .map(|g| {
            let m = &g.metrics;
            let events: u32 = m.confusion.get(positive).map_or(0, |row| row.iter().sum());
            html! {
                <tr>
                    <th scope="row">{ g.label.get(lang) }</th>
                    <td>{ m.n }</td>
                    <td>{ events }</td>
                    <td>{ format!("{:.3}", m.auc) }</td>
                    <td>{ format!("{:.3}", m.brier) }</td>
                </tr>
            }
        })
        .collect();
    let head = [
        Vmsg::Group.text(lang),
        "n",
        Vmsg::Events.text(lang),
        "AUC",
        Msg::Brier.text(lang),
    ];
    html! {
        <section>
            <h3>{ Vmsg::Subgroups.text(lang) }</h3>
            { table("validate-subgroups", Vmsg::Subgroups.text(lang), &head, rows) }
        </section>
    }
}

fn drift_table(r: &Report, schema: &Schema, lang: Lang) -> Html {
    if r.drift.is_empty() {
        // A published equation carries no development data to compare with.
        return html! {
            <section>
                <h3>{ Vmsg::DriftHeading.text(lang) }</h3>
                <p class="muted small" id="validate-no-drift">{ Vmsg::NoDrift.text(lang) }</p>
            </section>
        };
    }
    let rows: Html = r.drift.iter().map(|d| {
        let feature = schema.feature(&d.column);
        let mut name = feature.map_or(d.column.as_str(), |f| f.label.get(lang)).to_string();
        let unit = feature.map_or("", |f| f.unit());
        if !unit.is_empty() {
            name = format!("{name} ({unit})");
        }
        // A categorical feature's figures are one level's share: name the level.
        let level = match (feature.map(|f| &f.kind), &d.level) {
            (Some(Kind::Categorical { levels }), Some(code)) => {
                let l = levels.iter().find(|l| &l.code == code);
                Some(l.map_or(code.as_str(), |l| l.label.get(lang)).to_string())
            }
            (_, Some(code)) => Some(code.clone()),
            _ => None,
        };
        if let Some(level) = level {
            name = format!("{name}: {level}");
        }
        let numeric = matches!(feature.map(|f| &f.kind), Some(Kind::Numeric { .. }));
        let value = |v: f64| if numeric { format!("{v:.2}") } else { pct(v) };
        let flag = d.std_diff.abs() >= DRIFT_FLAG;
        let std = if d.std_diff.is_finite() { format!("{:.2}", d.std_diff) } else { "—".to_string() };
        html! {
            <tr class={classes!(flag.then_some("flag"))} data-column={d.column.clone()}>
                <th scope="row">{ name }</th>
                <td>{ value(d.local) }</td>
                <td>{ value(d.training) }</td>
                <td>{ std }if flag { <span class="marker">{ format!(" ⚑ {}", Vmsg::DriftFlag.text(lang)) }</span> }</td>
                <td>{ pct(d.outside_range) }</td>
                <td>{ pct(d.missing) }</td>
            </tr>
        }
    }).collect();
    let head = [
        Vmsg::Feature.text(lang),
        Vmsg::Here.text(lang),
        Vmsg::Training.text(lang),
        Vmsg::StdDiff.text(lang),
        Vmsg::OutsideRange.text(lang),
        Msg::Missing.text(lang),
    ];
    html! {
        <section>
            <h3>{ Vmsg::DriftHeading.text(lang) }</h3>
            <p class="muted small">{ Vmsg::DriftNote.text(lang) }</p>
            { table("validate-drift", Vmsg::DriftHeading.text(lang), &head, rows) }
        </section>
    }
}

/// The warnings above the figures: few events, refused rows, censored rows.
fn notes(ev: &Evaluated, lang: Lang) -> Html {
    let r = &ev.report;
    let refused = &ev.refused;
    html! {
        <>
            if r.few_events() {
                <p class="warning" id="validate-few-events" role="note">
                    { format!("{}: {} · {}: {}. {}", Vmsg::Events.text(lang), r.events, Vmsg::NonEvents.text(lang),
                        r.n.saturating_sub(r.events), Vmsg::FewEventsNote.text(lang)) }
                </p>
            }
            if !refused.is_empty() {
                <div class="warning" id="validate-refused" role="note">
                    <p>{ format!("{} {}", refused.len(), Vmsg::ValidateRefused.text(lang)) }</p>
                    <ul>
                        { for refused.iter().take(LISTED).map(|e| html! { <li>{ e.message.clone() }</li> }) }
                        if refused.len() > LISTED {
                            <li>{ format!("… {} {}", refused.len() - LISTED, Msg::AndMore.text(lang)) }</li>
                        }
                    </ul>
                </div>
            }
            if r.censored > 0 {
                <p class="warning" id="validate-censored" role="note">{ format!("{} {}", r.censored, Vmsg::ValidateCensored.text(lang)) }</p>
            }
        </>
    }
}

#[function_component]
pub fn ValidateView(props: &Props) -> Html {
    let lang = props.lang;
    let loaded = &props.loaded;
    let schema = &loaded.bundle.schema;
    let download_error = use_state(|| None::<String>);
    let onchange = {
        let (loaded, dispatch) = (loaded.clone(), props.dispatch.clone());
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                dispatch.dispatch(Action::ClearValidation);
                return;
            };
            let (sha, name) = (loaded.sha256.clone(), file.name());
            dispatch.dispatch(Action::Validating {
                sha: sha.clone(),
                name: name.clone(),
            });
            let (loaded, dispatch) = (loaded.clone(), dispatch.clone());
            yew::platform::spawn_local(async move {
                let text = JsFuture::from(file.text())
                    .await
                    .ok()
                    .and_then(|v| v.as_string())
                    // `File.text()` puts U+FFFD for every byte that is not UTF-8: a file in
                    // another encoding would lose characters silently.
                    .filter(|t| !t.as_bytes().windows(3).any(|w| w == [0xef, 0xbf, 0xbd]));
                let result = match text {
                    None => Err(Unusable::NotText),
                    Some(text) => crate::validate::evaluate(&loaded.bundle, &text)
                        .map(Rc::new)
                        .map_err(Unusable::Refused),
                };
                dispatch.dispatch(Action::Validated { sha, name, result });
            });
        })
    };
    let v = props.validation.as_ref();
    let status = v.and_then(|v| match &v.result {
        None => Some(html! {
            <p class="muted" role="status" id="validate-status">{ format!("{} {}…", Vmsg::ValidateChecking.text(lang), v.name) }</p>
        }),
        Some(Err(e)) => {
            let why = match e {
                Unusable::NotText => Msg::Unreadable.text(lang).to_string(),
                Unusable::Refused(e) => error_text(e, Some(schema), lang),
            };
            Some(html! { <p class="error" role="alert" id="validate-error">{ format!("{}: {why}", v.name) }</p> })
        }
        Some(Ok(_)) => None,
    });
    let results = v.and_then(|v| Some((v, v.evaluated()?))).map(|(v, ev)| {
        let r = &ev.report;
        let on_recalibrate = {
            let (loaded, dispatch, ev) = (loaded.clone(), props.dispatch.clone(), ev.clone());
            Callback::from(move |_: MouseEvent| {
                let about = About {
                    site: SITE.into(),
                    period: String::new(),
                    date: today(),
                    signed_by: String::new(),
                };
                let result = crate::validate::recalibrate(&loaded.bundle, &ev, &about).map(Rc::new);
                dispatch.dispatch(Action::Recalibrated {
                    sha: loaded.sha256.clone(),
                    of: ev.clone(),
                    result,
                });
            })
        };
        let after = match &v.recalibrated {
            None => html! {},
            Some(Err(e)) => html! {
                <p class="error" role="alert" id="validate-recalibrate-error">{ error_text(e, Some(schema), lang) }</p>
            },
            Some(Ok(re)) => {
                let a = &re.after;
                let cal = a.calibration;
                let filename = format!("{}-recalibrated.bdsx", schema.id);
                let on_download = {
                    let (re, filename, error) = (re.clone(), filename.clone(), download_error.clone());
                    Callback::from(move |_: MouseEvent| {
                        let saved = match re.bundle.to_bytes() {
                            Ok(bytes) => save(&bytes, &filename).map_err(|_| Vmsg::DownloadFailed.text(lang).to_string()),
                            Err(e) => Err(format!("{}: {}", Vmsg::DownloadFailed.text(lang), error_text(&e, None, lang))),
                        };
                        error.set(saved.err());
                    })
                };
                let mut figures = vec![format!("AUC {:.3}", a.auc)];
                if let Some(c) = cal {
                    figures.push(format!("{} {:.2}", Vmsg::CalIntercept.text(lang), c.intercept));
                    figures.push(format!("{} {:.2}", Vmsg::CalSlope.text(lang), c.slope));
                }
                figures.push(format!("{} {:.3}", Msg::Brier.text(lang), a.brier));
                figures.push(format!("{} {}", Vmsg::MeanPredicted.text(lang), pct(a.mean_predicted)));
                html! {
                    <div id="validate-after" data-intercept={cal.map(|c| c.intercept.to_string())}
                        data-slope={cal.map(|c| c.slope.to_string())} data-auc={a.auc.to_string()}>
                        <p><strong>{ Vmsg::AfterRecalibration.text(lang) }{ ": " }</strong>{ figures.join(" · ") }</p>
                        <p class="muted small">{ Vmsg::AfterOptimistic.text(lang) }</p>
                        <button type="button" id="validate-download" onclick={on_download}>
                            { format!("{} ({filename})", Vmsg::DownloadRecalibrated.text(lang)) }
                        </button>
                        if let Some(e) = &*download_error {
                            <p class="error" role="alert" id="validate-download-error">{ e.clone() }</p>
                        }
                    </div>
                }
            }
        };
        html! {
            <>
                { notes(ev, lang) }
                { summary(r, schema, lang) }
                <div class="charts">
                    { roc_chart(r, loaded, lang) }
                    { calibration_chart(r, lang) }
                    { decision_chart(r, lang) }
                </div>
                { net_benefit_table(r, lang) }
                { subgroups_table(r, schema, lang) }
                { drift_table(r, schema, lang) }
                <section>
                    <h3>{ Vmsg::Recalibrate.text(lang) }</h3>
                    <p class="muted small">{ Vmsg::RecalibrateNote.text(lang) }</p>
                    <button type="button" id="validate-recalibrate" onclick={on_recalibrate}>{ Vmsg::RecalibrateButton.text(lang) }</button>
                    { after }
                </section>
            </>
        }
    });
    html! {
        <section class="card validate" id="validate" aria-labelledby="validate-h">
            <h2 id="validate-h">{ Vmsg::ValidateHeading.text(lang) }</h2>
            <p>{ Vmsg::ValidateIntro.text(lang) }</p>
            <p class="muted small">{ columns_text(schema, lang) }</p>
            <p class="muted small">{ Vmsg::ValidatePopulation.text(lang) }</p>
            <label class="file">
                <span>{ Vmsg::ValidateFile.text(lang) }</span>
                <input type="file" id="validate-file" accept=".csv,text/csv" {onchange} />
            </label>
            { status.unwrap_or_default() }
            { results.unwrap_or_default() }
        </section>
    }
}
