//! `bedside evaluate`'s readable report: the local validation figures in words, with what
//! they mean and when they cannot be relied on.

use std::fmt::Write;

use crate::contract::schema::Schema;
use crate::model::validation::{Report, DRIFT_FLAG, FEW_EVENTS};

/// The report as plain text (English; the data team's terminal).
pub fn text(schema: &Schema, report: &Report) -> String {
    let mut out = String::new();
    let r = report;
    let positive = schema
        .target
        .classes
        .get(schema.positive_index())
        .map_or("", |c| c.label.en.as_str());
    let _ = writeln!(
        out,
        "Local validation of {} — {}",
        schema.id, schema.title.en
    );
    let _ = writeln!(
        out,
        "Population figures for this model on these patients; not a diagnosis for any one of them.\n"
    );
    let _ = writeln!(
        out,
        "Patients: {} with a recorded outcome ({} {positive}, {:.1} %); {} rows refused; {} censored before the horizon.",
        r.n,
        r.events,
        r.event_rate * 100.0,
        r.refused,
        r.censored
    );
    if r.censored > 0 {
        let _ = writeln!(
            out,
            "NOTE: the {} censored rows are left out, so the observed event rate leans high (patients with an early event are never censored before it); these figures are not weighted for censoring.",
            r.censored
        );
    }
    if r.few_events() {
        let _ = writeln!(
            out,
            "WARNING: {} events and {} non-events. Below about {FEW_EVENTS} of either, these figures are unreliable: the intervals are wide and the calibration line unstable.",
            r.events,
            r.n.saturating_sub(r.events)
        );
    }
    let _ = writeln!(
        out,
        "\nDiscrimination: AUC {:.3} (95 % CI {:.3}–{:.3}); Brier score {:.4}.",
        r.auc, r.auc_ci.0, r.auc_ci.1, r.brier
    );
    let _ = writeln!(
        out,
        "Mean predicted risk {:.1} % against {:.1} % observed.",
        r.mean_predicted * 100.0,
        r.event_rate * 100.0
    );
    match r.calibration {
        Some(c) => {
            let _ = writeln!(
                out,
                "Calibration line: intercept {:.3}, slope {:.3} (ideal 0 and 1; the intercept is the fitted observed log-odds where the predicted risk is 50 %). {}",
                c.intercept,
                c.slope,
                if c.slope <= 0.0 {
                    "Slope not above 0: the model ranks these patients the wrong way round; do not use it here. "
                } else if c.slope < 0.9 {
                    "Slope below 1: the predictions are too extreme here. "
                } else if c.slope > 1.1 {
                    "Slope above 1: the predictions are too modest here. "
                } else {
                    ""
                }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Calibration line: cannot be fitted (the predictions separate the outcomes perfectly)."
            );
        }
    }
    if let Some(a) = r.calibration_in_the_large {
        let _ = writeln!(
            out,
            "Calibration in the large (intercept with the slope fixed at 1): {a:.3}{}",
            if a > 0.1 {
                ": risks are underestimated here on average."
            } else if a < -0.1 {
                ": risks are overestimated here on average."
            } else {
                " (ideal 0)."
            }
        );
    }
    let _ = writeln!(out, "\nCalibration curve (groups by predicted risk):");
    let _ = writeln!(
        out,
        "  {:>9}  {:>9}  {:>17}  {:>6}",
        "predicted", "observed", "95 % CI", "n"
    );
    for b in &r.curve {
        let _ = writeln!(
            out,
            "  {:>8.1} %  {:>8.1} %  {:>6.1} – {:>6.1} %  {:>6}",
            b.predicted * 100.0,
            b.observed * 100.0,
            b.lo * 100.0,
            b.hi * 100.0,
            b.n
        );
    }
    let _ = writeln!(
        out,
        "\nNet benefit (treat when the predicted risk is at least the threshold; treating no one is 0):"
    );
    let _ = writeln!(
        out,
        "  {:>9}  {:>8}  {:>9}",
        "threshold", "model", "treat all"
    );
    for nb in &r.net_benefit {
        let _ = writeln!(
            out,
            "  {:>8.0} %  {:>8.4}  {:>9.4}{}",
            nb.threshold * 100.0,
            nb.model,
            nb.treat_all,
            if nb.model > nb.treat_all.max(0.0) {
                "  model better"
            } else {
                ""
            }
        );
    }
    if !r.subgroups.is_empty() {
        let _ = writeln!(out, "\nSubgroups (10 or more patients):");
        for g in &r.subgroups {
            let _ = writeln!(
                out,
                "  {:<32} n {:>6}  AUC {:>5}  Brier {:.4}",
                g.label.en,
                g.metrics.n,
                if g.metrics.auc.is_finite() {
                    format!("{:.3}", g.metrics.auc)
                } else {
                    "–".into()
                },
                g.metrics.brier
            );
        }
    }
    if r.drift.is_empty() {
        let _ = writeln!(
            out,
            "\nDrift: nothing to compare with; the model carries no development data (a published equation)."
        );
    } else {
        let _ = writeln!(
            out,
            "\nDrift against the training cases (standardised difference; |d| ≥ {DRIFT_FLAG} flagged):"
        );
    }
    for d in &r.drift {
        let level = d
            .level
            .as_deref()
            .map(|l| format!(" [{l}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<24} local {:>9.3}  training {:>9.3}  d {:>6.2}  outside range {:>5.1} %  missing {:>5.1} %{}",
            format!("{}{level}", d.column),
            d.local,
            d.training,
            d.std_diff,
            d.outside_range * 100.0,
            d.missing * 100.0,
            if d.std_diff.abs() >= DRIFT_FLAG { "  *" } else { "" }
        );
    }
    out
}
