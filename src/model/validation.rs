//! How a model does on a site's own labelled patients: the measures external validation asks
//! for (TRIPOD+AI, PROBAST+AI) computed from predictions and recorded outcomes, with no model
//! in sight, so the CLI, the browser and the tests that check them against scikit-learn all
//! share one implementation.
//!
//! - **Discrimination:** the AUC with its 95 % interval ([`crate::model::metrics::auc_ci`]).
//! - **Calibration:** the logistic regression of the outcome on the logit of the predicted
//!   probability of the positive class, `logit P(y) = intercept + slope · logit(p)`, fitted by
//!   maximum likelihood with no penalty (Cox 1958; the "calibration slope" of Van Calster et
//!   al. 2019). A slope below 1 says the predictions are too extreme here. Whether they are
//!   too high or low on average is calibration in the large: the intercept with the slope
//!   fixed at 1. Beside them, a calibration curve by groups of predicted risk, each with a
//!   Wilson 95 % interval (the band drawn around it).
//! - **Clinical usefulness:** net benefit at thresholds 5 %–50 % (Vickers & Elkin 2006), for
//!   the model and for treating everyone; treating no one has net benefit 0.
//! - **Drift:** per feature, how the local values differ from the training cases: the
//!   standardised mean difference (|d| ≥ 0.1 is the usual mark of a meaningful difference,
//!   Austin 2009) and the share of values outside the training range, where the model has
//!   never seen a patient.
//!
//! Multiclass models are judged on the schema's positive class against the rest, except the
//! AUC (the mean one-vs-rest AUC) and the Brier score (summed over the classes), as on the
//! model card.

// Bins and class counts are indexed by values this module computes from the class count and
// the bin count it allocates itself.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use crate::contract::groups;
use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::{Kind, Schema};
use crate::error::{Error, Result};
use crate::model::fitted::{logit, sigmoid};
use crate::model::metrics::{auc_ci, evaluate, roc_curve, Metrics, SubgroupMetrics};

/// The thresholds net benefit is reported at: 5 %, 10 %, …, 50 %.
pub const THRESHOLDS: [f64; 10] = [0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50];

/// Below this many events (or non-events) the figures are unreliable: the minimum external
/// validation studies are advised to have (Collins, Ogundimu & Altman 2016; Riley et al. 2021
/// ask for more).
pub const FEW_EVENTS: u32 = 100;

/// The standardised difference from which a feature's drift is flagged (Austin 2009).
pub const DRIFT_FLAG: f64 = 0.1;

/// Predictions are clipped to `[CLIP, 1 − CLIP]` before their logit is taken, so a
/// probability of exactly 0 or 1 has a finite logit. The independent check uses the same clip.
pub const CLIP: f64 = 1e-9;

/// The fitted calibration line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationFit {
    /// Intercept of `logit P(y) = intercept + slope · logit(p)` (0 when calibrated).
    pub intercept: f64,
    /// Slope (1 when calibrated; below 1, predictions too extreme).
    pub slope: f64,
}

/// One group of the calibration curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveBin {
    /// Mean predicted probability of the positive class in the group.
    pub predicted: f64,
    /// Observed share of the positive class.
    pub observed: f64,
    /// Wilson 95 % interval of `observed`.
    pub lo: f64,
    /// Upper end of that interval.
    pub hi: f64,
    /// Patients in the group.
    pub n: u32,
}

/// Net benefit at one threshold: true positives minus false positives weighted by the odds
/// of the threshold, per patient.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetBenefit {
    /// Treat when the predicted probability is at least this.
    pub threshold: f64,
    /// Acting on the model.
    pub model: f64,
    /// Treating everyone.
    pub treat_all: f64,
}

/// How one feature's local values differ from the training cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The schema column.
    pub column: String,
    /// Mean (numeric), share "yes" (yes/no) or, for a categorical feature, the share of the
    /// level that differs most, locally.
    pub local: f64,
    /// The same in the training cases.
    pub training: f64,
    /// Standardised difference, local minus training (`NaN` when there are no values to
    /// compare); for a categorical feature, that of the level that differs most.
    pub std_diff: f64,
    /// For a categorical feature, the level `std_diff` is about.
    pub level: Option<String>,
    /// Share of the local values outside the training cases' range (numeric) or at a level
    /// no training case had (categorical).
    pub outside_range: f64,
    /// Share of local values missing (imputed by the model).
    pub missing: f64,
}

/// Everything `bedside evaluate` reports and the Validate view draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Patients scored with a recorded outcome.
    pub n: u32,
    /// Rows refused (they are listed separately, with the reason).
    pub refused: u32,
    /// Rows censored before a derived target's horizon: no outcome, so not in the figures.
    pub censored: u32,
    /// Patients per target class (schema order).
    pub class_counts: Vec<u32>,
    /// Patients with the positive class.
    pub events: u32,
    /// The positive class's share.
    pub event_rate: f64,
    /// Mean predicted probability of the positive class (beside `event_rate`: calibration in
    /// the large).
    pub mean_predicted: f64,
    /// AUC (binary: the positive class; multiclass: mean one-vs-rest).
    pub auc: f64,
    /// Its 95 % confidence interval.
    pub auc_ci: (f64, f64),
    /// Brier score (see [`Metrics::brier`]).
    pub brier: f64,
    /// The calibration line; `None` when it cannot be fitted (the predictions separate the
    /// outcomes perfectly, so the slope is infinite). Its intercept is the log-odds at a
    /// predicted 50 %, not whether risks are too high or low on average: that is
    /// `calibration_in_the_large`.
    pub calibration: Option<CalibrationFit>,
    /// Calibration in the large: the intercept with the slope fixed at 1 (the model's log-odds
    /// as an offset). Above 0, risks are underestimated here on average; below 0,
    /// overestimated. `None` when it cannot be fitted.
    pub calibration_in_the_large: Option<f64>,
    /// Calibration curve by groups of predicted risk.
    pub curve: Vec<CurveBin>,
    /// Net benefit at [`THRESHOLDS`].
    pub net_benefit: Vec<NetBenefit>,
    /// ROC curve of the positive class.
    pub roc: Vec<(f64, f64)>,
    /// The full metrics (accuracy, precision, recall … as on the model card).
    pub metrics: Metrics,
    /// Metrics per group of the schema's grouping fields (groups of 10 or more).
    pub subgroups: Vec<SubgroupMetrics>,
    /// Per feature, how the local values differ from the training cases.
    pub drift: Vec<Drift>,
}

impl Report {
    /// Whether there are too few events or non-events for the figures to be relied on.
    pub fn few_events(&self) -> bool {
        self.events < FEW_EVENTS || self.n.saturating_sub(self.events) < FEW_EVENTS
    }
}

/// The recorded outcomes and predictions a report is computed from.
pub struct Outcomes<'a> {
    /// Target class index per patient.
    pub labels: &'a [usize],
    /// Calibrated class probabilities per patient.
    pub proba: &'a [Vec<f64>],
    /// Number of target classes.
    pub n_classes: usize,
    /// Index of the positive class.
    pub positive: usize,
}

impl Outcomes<'_> {
    /// Predicted probability of the positive class and whether it happened, per patient.
    fn scored(&self) -> (Vec<f64>, Vec<bool>) {
        let p = self
            .proba
            .iter()
            .map(|p| p.get(self.positive).copied().unwrap_or(0.0))
            .collect();
        let y = self.labels.iter().map(|&c| c == self.positive).collect();
        (p, y)
    }

    /// A clear error unless the outcomes can be validated against: at least two patients
    /// and every class that the AUC needs present.
    pub fn check(&self, schema: &Schema) -> Result<()> {
        let n = self.labels.len();
        if self.proba.len() != n {
            return Err(Error::Validation(format!(
                "{n} outcomes but {} predictions",
                self.proba.len()
            )));
        }
        if n < 2 {
            return Err(Error::Validation(format!(
                "{n} usable row{}: validation needs patients with each outcome ({})",
                if n == 1 { "" } else { "s" },
                class_list(schema)
            )));
        }
        let counts = class_counts(self.labels, self.n_classes);
        let missing: Vec<&str> = schema
            .target
            .classes
            .iter()
            .zip(&counts)
            .filter(|(_, &c)| c == 0)
            .map(|(c, _)| c.code.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Error::Validation(format!(
                "no patient has the outcome {} in column `{}` ({n} rows): the AUC and the \
                 calibration need patients with each outcome ({})",
                missing
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                schema.target.column,
                class_list(schema)
            )));
        }
        Ok(())
    }
}

fn class_list(schema: &Schema) -> String {
    schema
        .target
        .classes
        .iter()
        .map(|c| format!("`{}` {}", c.code, c.label.en))
        .collect::<Vec<_>>()
        .join(", ")
}

fn class_counts(labels: &[usize], n_classes: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n_classes];
    for &c in labels {
        if let Some(v) = counts.get_mut(c) {
            *v += 1;
        }
    }
    counts
}

/// The training cases' values per schema feature (the bundle's case library columns, in the
/// schema's units, `NaN` where missing), for the drift measures.
pub type TrainingColumns<'a> = &'a [Vec<f32>];

/// The whole report. `records` are the patients `outcomes` describe, in the same order;
/// `training` the training cases' columns; `seed` drives the multiclass AUC bootstrap.
pub fn report(
    schema: &Schema,
    records: &[PatientRecord],
    outcomes: &Outcomes<'_>,
    training: TrainingColumns<'_>,
    seed: u64,
) -> Result<Report> {
    outcomes.check(schema)?;
    let Outcomes {
        labels,
        proba,
        n_classes,
        positive,
    } = *outcomes;
    let (p, y) = outcomes.scored();
    let metrics = evaluate(labels, proba, n_classes, positive);
    let class_counts = class_counts(labels, n_classes);
    let events = class_counts.get(positive).copied().unwrap_or(0);
    let n = labels.len();
    Ok(Report {
        n: n as u32,
        refused: 0,
        censored: 0,
        events,
        event_rate: f64::from(events) / n as f64,
        mean_predicted: p.iter().sum::<f64>() / n as f64,
        auc: metrics.auc,
        auc_ci: auc_ci(labels, proba, n_classes, positive, seed),
        brier: metrics.brier,
        calibration: calibration_fit(&p, &y),
        calibration_in_the_large: calibration_in_the_large(&p, &y),
        curve: curve(&p, &y),
        net_benefit: net_benefit(&p, &y),
        roc: roc_curve(labels, proba, positive),
        subgroups: subgroups(schema, records, labels, proba, n_classes, positive),
        drift: drift(schema, records, training),
        class_counts,
        metrics,
    })
}

/// Maximum-likelihood fit of `logit P(y) = intercept + slope · logit(p)` by Newton–Raphson
/// with step halving (the log-likelihood is concave, so this converges from 0, 1 unless the
/// data separate). `None` when it does not converge: with perfectly separated outcomes the
/// slope grows without bound.
pub fn calibration_fit(p: &[f64], y: &[bool]) -> Option<CalibrationFit> {
    let x: Vec<f64> = p
        .iter()
        .map(|&v| logit(v.clamp(CLIP, 1.0 - CLIP)))
        .collect();
    let loglik = |a: f64, b: f64| -> f64 {
        x.iter()
            .zip(y)
            .map(|(&xi, &yi)| {
                let z = a + b * xi;
                // log σ(z) = −log(1 + e^−z), computed stably.
                let log1pexp = |t: f64| {
                    if t > 0.0 {
                        t + (-t).exp().ln_1p()
                    } else {
                        t.exp().ln_1p()
                    }
                };
                if yi {
                    -log1pexp(-z)
                } else {
                    -log1pexp(z)
                }
            })
            .sum()
    };
    let (mut a, mut b) = (0.0f64, 1.0f64);
    let mut current = loglik(a, b);
    for _ in 0..200 {
        // Gradient and (negative) Hessian of the log-likelihood.
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            let q = sigmoid(a + b * xi);
            let r = f64::from(u8::from(yi)) - q;
            let w = q * (1.0 - q);
            ga += r;
            gb += r * xi;
            haa += w;
            hab += w * xi;
            hbb += w * xi * xi;
        }
        let det = haa * hbb - hab * hab;
        if !det.is_finite() || det <= 0.0 {
            return None;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut next = loglik(a + da, b + db);
        while next < current - 1e-12 && step > 1e-10 {
            step /= 2.0;
            next = loglik(a + step * da, b + step * db);
        }
        a += step * da;
        b += step * db;
        let moved = (step * da).abs().max((step * db).abs());
        current = next;
        if moved < 1e-10 {
            return (a.is_finite() && b.is_finite() && b.abs() < 1e6).then_some(CalibrationFit {
                intercept: a,
                slope: b,
            });
        }
    }
    None
}

/// Maximum-likelihood intercept of `logit P(y) = a + logit(p)` (the slope fixed at 1), by
/// Newton's method on the one parameter. `None` when it does not converge (every outcome the
/// same, which [`Outcomes::check`] refuses first).
pub fn calibration_in_the_large(p: &[f64], y: &[bool]) -> Option<f64> {
    let x: Vec<f64> = p
        .iter()
        .map(|&v| logit(v.clamp(CLIP, 1.0 - CLIP)))
        .collect();
    let mut a = 0.0f64;
    for _ in 0..100 {
        let (mut g, mut h) = (0.0, 0.0);
        for (&xi, &yi) in x.iter().zip(y) {
            let q = sigmoid(a + xi);
            g += f64::from(u8::from(yi)) - q;
            h += q * (1.0 - q);
        }
        if h.is_nan() || h <= 0.0 {
            return None;
        }
        // The one-parameter log-likelihood is concave; a step of at most 5 on the log-odds
        // scale keeps a far start from overshooting.
        let step = (g / h).clamp(-5.0, 5.0);
        a += step;
        if step.abs() < 1e-12 {
            return a.is_finite().then_some(a);
        }
    }
    None
}

/// The recalibrated probability: `σ(intercept + slope · logit(p))`.
pub fn recalibrated(fit: CalibrationFit, p: f64) -> f64 {
    sigmoid(fit.intercept + fit.slope * logit(p.clamp(CLIP, 1.0 - CLIP)))
}

/// Net benefit at each of [`THRESHOLDS`]: `TP/n − FP/n · t/(1 − t)`, treating when `p ≥ t`.
pub fn net_benefit(p: &[f64], y: &[bool]) -> Vec<NetBenefit> {
    let n = p.len().max(1) as f64;
    let prevalence = y.iter().filter(|&&v| v).count() as f64 / n;
    THRESHOLDS
        .iter()
        .map(|&t| {
            let odds = t / (1.0 - t);
            let (mut tp, mut fp) = (0.0, 0.0);
            for (&pi, &yi) in p.iter().zip(y) {
                if pi >= t {
                    if yi {
                        tp += 1.0;
                    } else {
                        fp += 1.0;
                    }
                }
            }
            NetBenefit {
                threshold: t,
                model: tp / n - fp / n * odds,
                treat_all: prevalence - (1.0 - prevalence) * odds,
            }
        })
        .collect()
}

/// Wilson 95 % interval of `k` successes in `n`.
fn wilson(k: f64, n: f64) -> (f64, f64) {
    const Z: f64 = 1.959_963_984_540_054;
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let phat = k / n;
    let denom = 1.0 + Z * Z / n;
    let centre = (phat + Z * Z / (2.0 * n)) / denom;
    let half = Z * (phat * (1.0 - phat) / n + Z * Z / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Calibration curve: patients sorted by predicted risk into up to 10 groups of equal size
/// (at least 20 patients each, so a small sample has fewer, steadier groups).
pub fn curve(p: &[f64], y: &[bool]) -> Vec<CurveBin> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let groups = (p.len() / 20).clamp(1, 10);
    (0..groups)
        .filter_map(|g| {
            let (lo, hi) = (g * p.len() / groups, (g + 1) * p.len() / groups);
            let idx = order.get(lo..hi)?;
            if idx.is_empty() {
                return None;
            }
            let n = idx.len() as f64;
            let k = idx.iter().filter(|&&i| y.get(i) == Some(&true)).count() as f64;
            let (lo, hi) = wilson(k, n);
            Some(CurveBin {
                predicted: idx.iter().map(|&i| p[i]).sum::<f64>() / n,
                observed: k / n,
                lo,
                hi,
                n: idx.len() as u32,
            })
        })
        .collect()
}

/// Metrics per group of each schema grouping field (groups with fewer than 10 patients are
/// left out: their metrics would mean little). The trainer's test-set subgroups too.
pub fn subgroups(
    schema: &Schema,
    records: &[PatientRecord],
    labels: &[usize],
    proba: &[Vec<f64>],
    n_classes: usize,
    positive: usize,
) -> Vec<SubgroupMetrics> {
    let mut out = Vec::new();
    for field in groups::fields(schema) {
        for group in field.groups {
            let idx: Vec<usize> = (0..records.len().min(labels.len()).min(proba.len()))
                .filter(|&i| {
                    group
                        .member
                        .contains(records[i].values().get(field.feature).copied().flatten())
                })
                .collect();
            if idx.len() < 10 {
                continue;
            }
            let t: Vec<usize> = idx.iter().map(|&i| labels[i]).collect();
            let p: Vec<Vec<f64>> = idx.iter().map(|&i| proba[i].clone()).collect();
            out.push(SubgroupMetrics {
                label: group.label,
                metrics: evaluate(&t, &p, n_classes, positive),
            });
        }
    }
    out
}

/// Mean and variance (population) of the finite values.
fn moments(v: impl Iterator<Item = f64>) -> Option<(f64, f64, usize)> {
    let (mut n, mut sum, mut sq) = (0usize, 0.0, 0.0);
    for x in v.filter(|x| x.is_finite()) {
        n += 1;
        sum += x;
        sq += x * x;
    }
    if n == 0 {
        return None;
    }
    let mean = sum / n as f64;
    Some((mean, (sq / n as f64 - mean * mean).max(0.0), n))
}

/// Standardised difference of two means with the pooled standard deviation
/// `√((s₁² + s₂²) / 2)`; 0 when both are constant and equal.
fn std_diff(m1: f64, v1: f64, m2: f64, v2: f64) -> f64 {
    let pooled = ((v1 + v2) / 2.0).sqrt();
    if pooled > 0.0 {
        (m1 - m2) / pooled
    } else if m1 == m2 {
        0.0
    } else {
        f64::INFINITY.copysign(m1 - m2)
    }
}

/// Per feature, how the local records differ from the training columns.
pub fn drift(
    schema: &Schema,
    records: &[PatientRecord],
    training: TrainingColumns<'_>,
) -> Vec<Drift> {
    // No development data to compare with (a published equation carries none): no drift.
    if training.iter().all(|c| c.is_empty()) {
        return Vec::new();
    }
    let n = records.len().max(1) as f64;
    schema
        .features
        .iter()
        .enumerate()
        .map(|(j, f)| {
            let local: Vec<f64> = records
                .iter()
                .map(|r| match r.values().get(j).copied().flatten() {
                    Some(Value::Number(x)) => x,
                    Some(Value::Level(i)) => i as f64,
                    Some(Value::Bool(b)) => f64::from(u8::from(b)),
                    None => f64::NAN,
                })
                .collect();
            let train: Vec<f64> = training
                .get(j)
                .map(|c| c.iter().map(|&v| f64::from(v)).collect())
                .unwrap_or_default();
            let missing = local.iter().filter(|v| !v.is_finite()).count() as f64 / n;
            let mut d = Drift {
                column: f.column.clone(),
                local: f64::NAN,
                training: f64::NAN,
                std_diff: f64::NAN,
                level: None,
                outside_range: 0.0,
                missing,
            };
            let present = local.iter().filter(|v| v.is_finite()).count().max(1) as f64;
            match &f.kind {
                Kind::Categorical { levels } => {
                    let share = |v: &[f64], level: usize| -> Option<f64> {
                        let known = v.iter().filter(|x| x.is_finite()).count();
                        (known > 0).then(|| {
                            v.iter().filter(|&&x| x == level as f64).count() as f64 / known as f64
                        })
                    };
                    for (i, level) in levels.iter().enumerate() {
                        let (Some(pl), Some(pt)) = (share(&local, i), share(&train, i)) else {
                            continue;
                        };
                        let sd = std_diff(pl, pl * (1.0 - pl), pt, pt * (1.0 - pt));
                        if d.level.is_none() || sd.abs() > d.std_diff.abs() {
                            d = Drift {
                                local: pl,
                                training: pt,
                                std_diff: sd,
                                level: Some(level.code.clone()),
                                ..d
                            };
                        }
                        if pt == 0.0 {
                            d.outside_range += pl;
                        }
                    }
                }
                _ => {
                    if let (Some((ml, vl, _)), Some((mt, vt, _))) = (
                        moments(local.iter().copied()),
                        moments(train.iter().copied()),
                    ) {
                        d.local = ml;
                        d.training = mt;
                        d.std_diff = std_diff(ml, vl, mt, vt);
                    }
                    if matches!(f.kind, Kind::Numeric { .. }) {
                        let (lo, hi) = train
                            .iter()
                            .filter(|v| v.is_finite())
                            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                                (lo.min(v), hi.max(v))
                            });
                        if lo.is_finite() {
                            // The training values are stored as f32: compare at that precision.
                            let outside = local
                                .iter()
                                .filter(|&&v| {
                                    v.is_finite()
                                        && (f64::from(v as f32) < lo || f64::from(v as f32) > hi)
                                })
                                .count();
                            d.outside_range = outside as f64 / present;
                        }
                    }
                }
            }
            d
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_fit_recovers_a_known_line() {
        // Outcomes drawn from P(y) = σ(0.5 + 0.7 · logit(p)) with many patients per value:
        // expected counts make the likelihood's maximum exactly the generating line.
        let mut p = Vec::new();
        let mut y = Vec::new();
        for i in 1..20 {
            let pi = f64::from(i) / 20.0;
            let q = recalibrated(
                CalibrationFit {
                    intercept: 0.5,
                    slope: 0.7,
                },
                pi,
            );
            let events = (q * 10_000.0).round() as usize;
            for k in 0..10_000 {
                p.push(pi);
                y.push(k < events);
            }
        }
        let fit = calibration_fit(&p, &y).unwrap();
        assert!((fit.intercept - 0.5).abs() < 1e-3, "{fit:?}");
        assert!((fit.slope - 0.7).abs() < 1e-3, "{fit:?}");
    }

    #[test]
    fn calibration_in_the_large_is_the_offset_intercept() {
        // Predictions all 0.2 (log-odds −1.386), observed rate 0.3: the offset intercept is
        // logit(0.3) − logit(0.2), whatever the slope would be.
        let p = vec![0.2; 100];
        let y: Vec<bool> = (0..100).map(|i| i < 30).collect();
        let a = calibration_in_the_large(&p, &y).unwrap();
        assert!((a - (logit(0.3) - logit(0.2))).abs() < 1e-9, "{a}");
    }

    #[test]
    fn separated_outcomes_have_no_calibration_line() {
        let p = [0.1, 0.2, 0.8, 0.9];
        let y = [false, false, true, true];
        assert_eq!(calibration_fit(&p, &y), None);
    }

    #[test]
    fn net_benefit_by_hand() {
        // 4 patients, 2 events; at t = 0.5 (odds 1): treated 0.9 (event), 0.6 (no event).
        let p = [0.9, 0.6, 0.3, 0.1];
        let y = [true, false, true, false];
        let nb = net_benefit(&p, &y);
        let at = |t: f64| nb.iter().find(|n| (n.threshold - t).abs() < 1e-12).unwrap();
        assert!((at(0.5).model - (1.0 / 4.0 - 1.0 / 4.0)).abs() < 1e-12);
        assert!((at(0.5).treat_all - (0.5 - 0.5)).abs() < 1e-12);
        // At 0.25 (odds 1/3): treated 0.9, 0.6, 0.3 → TP 2, FP 1.
        assert!((at(0.25).model - (2.0 / 4.0 - 1.0 / 4.0 / 3.0)).abs() < 1e-12);
        assert_eq!(nb.len(), THRESHOLDS.len());
    }

    #[test]
    fn wilson_interval_matches_the_textbook() {
        // 8 of 10: Wilson 95 % interval 0.490–0.943 (Newcombe 1998, table I style check).
        let (lo, hi) = wilson(8.0, 10.0);
        assert!(
            (lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3,
            "{lo} {hi}"
        );
    }

    #[test]
    fn curve_has_equal_groups_and_covers_everyone() {
        let p: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
        let y: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        let c = curve(&p, &y);
        assert_eq!(c.len(), 5);
        assert_eq!(c.iter().map(|b| b.n).sum::<u32>(), 100);
        assert!(c.windows(2).all(|w| w[0].predicted < w[1].predicted));
        assert!(c.iter().all(|b| b.lo <= b.observed && b.observed <= b.hi));
    }

    #[test]
    fn std_diff_edge_cases() {
        assert_eq!(std_diff(1.0, 0.0, 1.0, 0.0), 0.0);
        assert!(std_diff(2.0, 0.0, 1.0, 0.0).is_infinite());
        assert!((std_diff(1.0, 1.0, 0.0, 1.0) - 1.0).abs() < 1e-12);
    }
}
