//! The explanation of the top suggestion as a sorted bar chart: one row per feature with its
//! value (and unit), a bar to the right when it raises the estimate and to the left when it
//! lowers it, and the exact contribution.

use std::rc::Rc;

use yew::prelude::*;

use super::state::Loaded;
use crate::clinical::assess::Assessment;
use crate::present::ui::Msg;
use crate::present::wording::{baseline_text, scale_text};
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub assessment: Assessment,
    pub lang: Lang,
}

#[function_component]
pub fn ExplanationChart(props: &Props) -> Html {
    let lang = props.lang;
    let schema = &props.loaded.bundle.schema;
    let a = &props.assessment;
    let Some(e) = &a.explanation else {
        return html! { <p class="muted" id="explanation">{ Msg::NoExplanation.text(lang) }</p> };
    };
    let class = schema
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
    html! {
        <div class="explanation" id="explanation" data-baseline={e.baseline.to_string()} data-output={e.output.to_string()}>
            <h3>{ Msg::WhyHeading.text(lang) }</h3>
            <p class="muted small">
                { scale_text(e.scale, class, lang) }{ ": " }{ baseline_text(e.baseline, e.output, lang) }{ ". " }
                { Msg::BaselineNote.text(lang) }
            </p>
            <ul class="contribs">
                { for order.iter().filter_map(|&j| Some((j, contribution(j), schema.features.get(j)?))).map(|(j, c, f)| {
                    let value = a.used_values.get(j).cloned().unwrap_or_default();
                    let unit = f.unit();
                    let imputed = a.imputed.contains(&f.column);
                    let half = 100.0 * c.abs() / max;
                    let (x, cls) = if c >= 0.0 { (100.0, "up") } else { (100.0 - half, "down") };
                    html! {
                        <li class={classes!("contrib", cls)} data-field={f.column.clone()} data-contribution={c.to_string()}>
                            <span class="what">
                                { f.label.get(lang) }
                                <span class="val">{ format!(" = {value}{}{}", if unit.is_empty() { String::new() } else { format!(" {unit}") }, if imputed { " *" } else { "" }) }</span>
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
