//! Does this model work on my patients? Scoring a site's CSV with a bundle, validating it on
//! the site's recorded outcomes, and recalibrating it to them: what `bedside predict`,
//! `evaluate` and `recalibrate` and the app's Validate view all call. Nothing here leaves the
//! machine or the page it runs in; the measures themselves are [`crate::model::validation`].
//!
//! Recalibration is logistic recalibration (Steyerberg, *Clinical Prediction Models*, ch. 20):
//! the positive class's log-odds become `intercept + slope · log-odds`, fitted on the local
//! outcomes, so the model's ranking of patients (and its AUC, and its explanations) is kept
//! and only the probabilities move. It is folded into the bundle's own calibration map (on top
//! of any earlier recalibration), so every estimate the bundle gives (the app, the widget, the
//! JS API, the FHIR report) is the recalibrated one. Multiclass bundles get a temperature
//! instead, which keeps each patient's most likely class (not every class's ranking of
//! patients). Time-to-event bundles with censored rows are not recalibrated (see
//! [`recalibrate`]).

use sha2::{Digest, Sha256};

use crate::bundle::{Bundle, LocalMetrics, LocalValidation, Recalibration};
use crate::contract::dataset::{self, Dataset, RowError};
use crate::contract::schema::Schema;
use crate::error::{Error, Result};
use crate::model::calibrate::Calibration;
use crate::model::preprocess::Step;
use crate::model::validation::{self, CalibrationFit, Outcomes, Report};

/// One row as the model scored it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// 1-based data row (header excluded).
    pub row: u32,
    /// Calibrated probability per target class (schema order).
    pub proba: Vec<f64>,
    /// Indices (schema features) of values that were missing and imputed.
    pub imputed: Vec<usize>,
    /// Indices (schema features) of numeric values outside the range of the training cases.
    pub outside: Vec<usize>,
    /// Farther from every training case than 99 % of training cases are from their nearest
    /// neighbour: the model has seen no patient like this.
    pub unusual: bool,
}

impl Scored {
    /// The most probable class (first on ties).
    pub fn top(&self) -> usize {
        crate::model::metrics::argmax(&self.proba)
    }
}

/// Every row of a CSV scored, and the rows that could not be.
#[derive(Debug, Clone)]
pub struct Predictions {
    /// Scored rows, in file order.
    pub rows: Vec<Scored>,
    /// Refused rows, with the column and reason.
    pub refused: Vec<RowError>,
}

/// Score a dataset's records: the bundle's preprocessing, model and calibration, as `assess`
/// applies them to one patient. Also returns the uncalibrated probabilities.
fn score_records(bundle: &Bundle, data: &Dataset) -> (Vec<Scored>, Vec<Vec<f64>>) {
    let k = bundle.schema.target.classes.len();
    let ranges: Vec<Option<(f64, f64)>> = bundle
        .preprocessor
        .steps()
        .iter()
        .map(|s| match *s {
            Step::Standardize { observed, .. } => Some(observed),
            _ => None,
        })
        .collect();
    let mut raw_all = Vec::with_capacity(data.records.len());
    let scored = data
        .records
        .iter()
        .zip(&data.rows)
        .map(|(record, &row)| {
            let t = bundle.preprocessor.transform(record);
            let raw = bundle.model.predict_proba(&t.x, k);
            let proba = bundle.calibration.apply(&raw);
            raw_all.push(raw);
            let outside = record
                .values()
                .iter()
                .zip(&ranges)
                .enumerate()
                .filter_map(|(j, (v, r))| match (v, r) {
                    (Some(crate::contract::patient::Value::Number(x)), Some((lo, hi)))
                        if x < lo || x > hi =>
                    {
                        Some(j)
                    }
                    _ => None,
                })
                .collect();
            Scored {
                row,
                proba,
                imputed: t.imputed,
                outside,
                unusual: bundle.typicality.nearest(&t.x) > bundle.typicality.nn_p99,
            }
        })
        .collect();
    (scored, raw_all)
}

/// Score every row of `csv` (the schema's feature columns; an outcome column is not needed).
/// A bad header is an error; bad rows are listed and the rest scored.
pub fn predict(bundle: &Bundle, csv: &str) -> Result<Predictions> {
    let (data, refused) = dataset::read_unlabelled(&bundle.schema, csv)?;
    let (rows, _) = score_records(bundle, &data);
    Ok(Predictions { rows, refused })
}

/// A labelled CSV scored and validated.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The figures.
    pub report: Report,
    /// Refused rows, with the column and reason.
    pub refused: Vec<RowError>,
    /// The usable rows.
    pub data: Dataset,
    /// Their scores.
    pub scored: Vec<Scored>,
    /// Their uncalibrated probabilities (what a recalibration is applied on top of).
    raw: Vec<Vec<f64>>,
    /// SHA-256 (hex) of the CSV text.
    pub data_sha256: String,
}

/// The columns the outcome is read from.
fn outcome_columns(schema: &Schema) -> Vec<&str> {
    match &schema.target.derive {
        None => vec![schema.target.column.as_str()],
        Some(d) => vec![d.time.as_str(), d.status.as_str()],
    }
}

/// Check the header names the outcome, so that its absence is an error that says what
/// validation needs rather than a generic missing column.
fn check_header(schema: &Schema, csv: &str) -> Result<()> {
    // The reader skips blank lines before the header too.
    let Some(first) = csv
        .strip_prefix('\u{feff}')
        .unwrap_or(csv)
        .lines()
        .find(|l| !l.trim().is_empty())
    else {
        return Err(Error::Data("the CSV is empty (no header, no rows)".into()));
    };
    let header = crate::contract::csv_text::records(first)?
        .into_iter()
        .next()
        .unwrap_or_default();
    let missing: Vec<&str> = outcome_columns(schema)
        .into_iter()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let classes = schema
        .target
        .classes
        .iter()
        .map(|c| format!("`{}` {}", c.code, c.label.en))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::Validation(format!(
        "the CSV has no column {}: validation needs the recorded outcome of every patient \
         ({}: {classes}); to score rows without it, use predict",
        missing
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        schema.target.label.en,
    )))
}

/// Score and validate a labelled CSV against the bundle. Errors, with nothing computed: no
/// outcome column, an outcome that is not one of the target classes (a different coding: the
/// figures would be meaningless), fewer than two usable rows or a class with no patient.
/// Rows that fail the schema otherwise, or whose outcome is missing, are listed and left out.
pub fn evaluate(bundle: &Bundle, csv: &str) -> Result<Evaluated> {
    let schema = &bundle.schema;
    check_header(schema, csv)?;
    let (data, refused) = dataset::read_labelled(schema, csv)?;
    let coding: Vec<&RowError> = refused
        .iter()
        .filter(|e| {
            schema.target.derive.is_none()
                && e.column.as_deref() == Some(&schema.target.column)
                && !e.message.contains(dataset::MISSING_OUTCOME)
        })
        .collect();
    if let Some(first) = coding.first() {
        return Err(Error::Validation(format!(
            "{} row{} with an outcome that is not one of the target classes, e.g. {}: check how \
             column `{}` is coded",
            coding.len(),
            if coding.len() == 1 { "" } else { "s" },
            first.message,
            schema.target.column
        )));
    }
    let (scored, raw) = score_records(bundle, &data);
    let proba: Vec<Vec<f64>> = scored.iter().map(|s| s.proba.clone()).collect();
    // Too few usable rows after refusals: say why the others were refused.
    let with_refusals = |e: Error| match (e, refused.first()) {
        (Error::Validation(m), Some(first)) => Error::Validation(format!(
            "{m}; {} row{} refused, e.g. {}",
            refused.len(),
            if refused.len() == 1 { " was" } else { "s were" },
            first.message
        )),
        (e, _) => e,
    };
    let mut report = validation::report(
        schema,
        &data.records,
        &Outcomes {
            labels: &data.labels,
            proba: &proba,
            n_classes: schema.target.classes.len(),
            positive: schema.positive_index(),
        },
        &bundle.cases.columns,
        bundle.training.seed,
    )
    .map_err(with_refusals)?;
    report.refused = refused.len() as u32;
    report.censored = data.censored.len() as u32;
    Ok(Evaluated {
        report,
        refused,
        data,
        scored,
        raw,
        data_sha256: crate::util::hex::hex(&Sha256::digest(csv.as_bytes())),
    })
}

/// Who recalibrated, for the model card.
#[derive(Debug, Clone, Default)]
pub struct About {
    /// The site or team, in words.
    pub site: String,
    /// The period the data cover, in words (may be empty).
    pub period: String,
    /// Today (YYYY-MM-DD).
    pub date: String,
    /// Public key (hex) the new bundle will be signed with, if it is signed at once.
    pub signed_by: String,
}

/// The recalibrated bundle and what it records.
#[derive(Debug, Clone)]
pub struct Recalibrated {
    /// The new bundle (its own hash; unsigned).
    pub bundle: Bundle,
    /// The figures after recalibration, on the same data.
    pub after: Report,
}

fn summary(r: &Report) -> LocalMetrics {
    let (intercept, slope) = r
        .calibration
        .map_or((f64::NAN, f64::NAN), |c| (c.intercept, c.slope));
    LocalMetrics {
        auc: r.auc,
        auc_ci: r.auc_ci,
        brier: r.brier,
        intercept,
        slope,
        mean_predicted: r.mean_predicted,
    }
}

/// The bundle's calibration with `fit` applied on top, for a binary target whose positive
/// class is `positive` (Platt's map is on class 1's log-odds, so a positive class 0 flips the
/// intercept's sign).
fn compose_logistic(
    current: &Calibration,
    fit: CalibrationFit,
    positive: usize,
) -> Result<Calibration> {
    let (a, b) = match *current {
        Calibration::Platt { a, b } => (a, b),
        Calibration::None => (1.0, 0.0),
        Calibration::Temperature { .. } => {
            return Err(Error::Validation(
                "a two-class bundle with a multiclass calibration cannot be recalibrated".into(),
            ))
        }
    };
    let shift = if positive == 1 {
        fit.intercept
    } else {
        -fit.intercept
    };
    Ok(Calibration::Platt {
        a: fit.slope * a,
        b: fit.slope * b + shift,
    })
}

/// A new bundle whose probabilities are recalibrated to `evaluated`'s patients, carrying the
/// validation before and after on its model card. Refused, with nothing made: when the
/// calibration line cannot be fitted (outcomes perfectly separated) or its slope is not
/// positive (the model ranks these patients the wrong way round, which recalibration cannot
/// mend).
pub fn recalibrate(bundle: &Bundle, evaluated: &Evaluated, about: &About) -> Result<Recalibrated> {
    let schema = &bundle.schema;
    let k = schema.target.classes.len();
    let positive = schema.positive_index();
    let before = &evaluated.report;
    if before.censored > 0 {
        // Patients with an early event are never censored before it, so the rows with a known
        // outcome over-represent events: an unweighted fit on them would push every risk up.
        // (The trainer weights by the inverse probability of censoring; this does not yet.)
        return Err(Error::Validation(format!(
            "{} rows were censored before the horizon: recalibrating on the {} with a known \
             outcome would overestimate risks (events are over-represented among patients \
             followed to the horizon); recalibration of time-to-event bundles is not supported",
            before.censored, before.n
        )));
    }
    let (calibration, recalibration) = if k == 2 {
        let fit = before.calibration.ok_or_else(|| {
            Error::Validation(
                "the calibration line cannot be fitted: the predictions separate the outcomes \
                 perfectly in these data, so there is nothing to recalibrate against (more \
                 patients are needed)"
                    .into(),
            )
        })?;
        if fit.slope <= 0.0 {
            return Err(Error::Validation(format!(
                "the calibration slope is {:.2}: the model ranks these patients the wrong way \
                 round, which recalibration cannot mend; do not use it here",
                fit.slope
            )));
        }
        (
            compose_logistic(&bundle.calibration, fit, positive)?,
            Recalibration::Logistic {
                intercept: fit.intercept,
                slope: fit.slope,
            },
        )
    } else {
        let proba: Vec<Vec<f64>> = evaluated.scored.iter().map(|s| s.proba.clone()).collect();
        let t = match Calibration::fit(&proba, &evaluated.data.labels, k) {
            Calibration::Temperature { t } => t,
            _ => 1.0,
        };
        let old = match bundle.calibration {
            Calibration::Temperature { t } => t,
            _ => 1.0,
        };
        (
            Calibration::Temperature { t: old * t },
            Recalibration::Temperature { t },
        )
    };
    let mut out = bundle.clone();
    out.calibration = calibration;
    // The teaching quiz's held-out probabilities were calibrated by the old map: move them by
    // the same update, so the quiz shows what this bundle would have said.
    for p in &mut out.cases.held_out {
        let as_f64: Vec<f64> = p.iter().map(|&v| f64::from(v)).collect();
        let updated = update(&as_f64, recalibration, positive);
        *p = updated.iter().map(|&v| v as f32).collect();
    }
    let proba: Vec<Vec<f64>> = evaluated
        .raw
        .iter()
        .map(|r| out.calibration.apply(r))
        .collect();
    let mut after = validation::report(
        schema,
        &evaluated.data.records,
        &Outcomes {
            labels: &evaluated.data.labels,
            proba: &proba,
            n_classes: k,
            positive,
        },
        &bundle.cases.columns,
        bundle.training.seed,
    )?;
    after.refused = before.refused;
    after.censored = before.censored;
    out.local.push(LocalValidation {
        site: about.site.clone(),
        period: about.period.clone(),
        date: about.date.clone(),
        data_sha256: evaluated.data_sha256.clone(),
        n: before.n,
        refused: before.refused,
        censored: before.censored,
        events: before.events,
        before: summary(before),
        after: summary(&after),
        recalibration,
        signed_by: about.signed_by.clone(),
    });
    out.check()?;
    Ok(Recalibrated { bundle: out, after })
}

/// Calibrated probabilities moved by a recalibration.
fn update(p: &[f64], r: Recalibration, positive: usize) -> Vec<f64> {
    match r {
        Recalibration::Logistic { intercept, slope } => {
            let q = validation::recalibrated(
                CalibrationFit { intercept, slope },
                p.get(positive).copied().unwrap_or(0.0),
            );
            (0..p.len())
                .map(|c| if c == positive { q } else { 1.0 - q })
                .collect()
        }
        Recalibration::Temperature { t } => Calibration::Temperature { t }.apply(p),
    }
}

#[cfg(test)]
mod tests;
