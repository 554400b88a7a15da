//! Outcome risk under each arm of a randomized trial, for one patient.
//!
//! **Design: one model per arm** (a "T-learner"), each an L2-regularised logistic regression
//! on the same preprocessed baseline inputs as the bundle's main model, fitted only on that
//! arm's patients. Randomization makes each arm a fair sample of the trial population, so each
//! arm's model estimates the risk a patient like this one had *under that arm*. One model with
//! treatment interactions would share strength across arms but forces the analyst to choose
//! which interactions exist; separate models let every covariate effect differ by arm and say
//! honestly, through wider intervals, when an arm is small. Uncertainty comes from a bootstrap
//! over the trial: each arm's patients are resampled with replacement and the model refitted;
//! replicate `b` of every arm together gives one draw of the risk difference.
//!
//! The fitted parameters ship in the bundle (`f32`, a few hundred bytes per replicate);
//! prediction in the browser is a dot product per replicate.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::fitted::sigmoid;
use crate::util::sort::sort_indices;

/// A logistic model on preprocessed inputs: `P(event) = σ(w·x + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logit {
    /// Intercept `b`.
    pub intercept: f32,
    /// Weights `w`, one per preprocessed input.
    pub weights: Vec<f32>,
}

impl Logit {
    /// The event probability for preprocessed inputs `x`.
    pub fn risk(&self, x: &[f64]) -> f64 {
        let z: f64 = self
            .weights
            .iter()
            .zip(x)
            .map(|(w, x)| f64::from(*w) * x)
            .sum::<f64>()
            + f64::from(self.intercept);
        sigmoid(z)
    }
}

/// One arm of the trial: what was observed and the fitted models.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmFit {
    /// Arm code (as in the schema's treatment arms).
    pub code: String,
    /// Patients randomized to this arm (with a known outcome).
    pub n: u32,
    /// Of whom had the outcome.
    pub events: u32,
    /// The model fitted on all the arm's patients.
    pub model: Logit,
    /// Bootstrap refits, in replicate order.
    pub bootstrap: Vec<Logit>,
    /// Mean predicted risk over the arm's own patients (calibration in the large). For a
    /// target derived from time-to-event data, over all of them, those censored before the
    /// horizon included: the models are corrected for censoring (`train::trial`), so this is
    /// close to the arm's Kaplan–Meier risk, not to its rate among the patients with a known
    /// status (`events / n`).
    pub mean_predicted: f64,
    /// Mean predicted risk over every trial patient (the trial population under this arm),
    /// censored ones included.
    pub mean_predicted_all: f64,
    /// Mean out-of-fold (5-fold cross-validated) predicted risk over the arm's patients: the
    /// honest calibration check, since the in-sample mean matches the arm's rate by design.
    /// For a derived time-to-event target, the known-status patients' predictions are weighted
    /// by the inverse probability of censoring, which makes it an estimate of the mean over
    /// the whole arm, comparable with the arm's Kaplan–Meier risk rather than `events / n`.
    pub cv_mean_predicted: f64,
}

/// Per-arm outcome models of a randomized trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialModels {
    /// Index (in the target classes) of the outcome being modelled.
    pub event_class: u16,
    /// One entry per schema arm, in schema order.
    pub arms: Vec<ArmFit>,
    /// Index of the control arm.
    pub control: u16,
    /// Regularisation strength, chosen by cross-validated log-loss pooled over the arms.
    pub alpha: f64,
    /// Cross-validated log-loss of the chosen alpha (pooled over arms).
    pub cv_log_loss: f64,
}

/// A risk with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// From the model fitted on the whole arm.
    pub value: f64,
    /// 2.5th bootstrap percentile.
    pub low: f64,
    /// 97.5th bootstrap percentile.
    pub high: f64,
}

/// This patient's modelled risk under one arm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArmRisk {
    /// Arm code.
    pub code: String,
    /// Predicted risk under this arm.
    pub risk: Estimate,
    /// Risk under this arm minus risk under control (absent for the control arm).
    pub difference: Option<Estimate>,
    /// Observed events in the trial arm.
    pub events: u32,
    /// Patients in the trial arm.
    pub n: u32,
    /// 95% Wilson interval of the observed arm rate.
    pub observed: Estimate,
}

impl TrialModels {
    /// Check shapes against the preprocessed width and the schema's arms.
    pub fn check(&self, width: usize, arms: usize, classes: usize) -> Result<()> {
        let bad = |m: &str| Err(Error::InconsistentBundle(format!("trial models: {m}")));
        if self.arms.len() != arms || usize::from(self.control) >= arms {
            return bad("arms do not match the schema");
        }
        if usize::from(self.event_class) >= classes {
            return bad("outcome class out of range");
        }
        let reps = self.arms.first().map_or(0, |a| a.bootstrap.len());
        for a in &self.arms {
            if a.bootstrap.len() != reps
                || std::iter::once(&a.model)
                    .chain(&a.bootstrap)
                    .any(|m| m.weights.len() != width)
            {
                return bad("model width or replicate count differs");
            }
        }
        Ok(())
    }

    /// Risk under every arm for preprocessed inputs `x`, with bootstrap intervals and the risk
    /// difference against control (replicate-paired).
    pub fn risks(&self, x: &[f64]) -> Vec<ArmRisk> {
        let per_rep: Vec<Vec<f64>> = self
            .arms
            .iter()
            .map(|a| a.bootstrap.iter().map(|m| m.risk(x)).collect())
            .collect();
        let control = usize::from(self.control);
        let control_point = self.arms.get(control).map(|a| a.model.risk(x));
        self.arms
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let point = a.model.risk(x);
                let reps = per_rep.get(i).map_or(&[][..], Vec::as_slice);
                let difference = match (i != control, control_point, per_rep.get(control)) {
                    (true, Some(c), Some(creps)) => {
                        let d: Vec<f64> = reps.iter().zip(creps).map(|(r, c)| r - c).collect();
                        Some(interval(point - c, &d))
                    }
                    _ => None,
                };
                ArmRisk {
                    code: a.code.clone(),
                    risk: interval(point, reps),
                    difference,
                    events: a.events,
                    n: a.n,
                    observed: wilson(a.events, a.n),
                }
            })
            .collect()
    }
}

/// A point estimate with the 2.5th and 97.5th percentiles of `draws` (the point itself when
/// there are none).
pub fn interval(value: f64, draws: &[f64]) -> Estimate {
    if draws.is_empty() {
        return Estimate {
            value,
            low: value,
            high: value,
        };
    }
    let mut order: Vec<usize> = (0..draws.len()).collect();
    sort_indices(&mut order, &|a, b| {
        let v = |i: usize| draws.get(i).copied().unwrap_or(f64::NAN);
        v(a).total_cmp(&v(b)).then(a.cmp(&b))
    });
    let at = |q: f64| {
        // Linear interpolation between order statistics (type 7, as R and NumPy default).
        let h = q * (draws.len() - 1) as f64;
        let (lo, frac) = (h.floor() as usize, h - h.floor());
        let v = |k: usize| order.get(k).and_then(|&i| draws.get(i)).copied();
        match (v(lo), v(lo + 1)) {
            (Some(a), Some(b)) => a + frac * (b - a),
            (Some(a), None) => a,
            _ => value,
        }
    };
    Estimate {
        value,
        low: at(0.025),
        high: at(0.975),
    }
}

/// The observed rate `events / n` with its 95% Wilson score interval.
pub fn wilson(events: u32, n: u32) -> Estimate {
    if n == 0 {
        return Estimate {
            value: 0.0,
            low: 0.0,
            high: 1.0,
        };
    }
    let (k, n) = (f64::from(events), f64::from(n));
    let z = 1.959_963_984_540_054_f64;
    let p = k / n;
    let denom = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denom;
    Estimate {
        value: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_worked_example() {
        // 52/307 (the indomethacin trial's placebo arm): 16.9%, Wilson 95% CI 13.2–21.5%.
        let e = wilson(52, 307);
        assert!((e.value - 0.16938).abs() < 1e-4);
        assert!((e.low - 0.1317).abs() < 5e-4, "{}", e.low);
        assert!((e.high - 0.2151).abs() < 5e-4, "{}", e.high);
        assert_eq!(wilson(0, 0).high, 1.0);
        assert_eq!(wilson(0, 10).low, 0.0);
    }

    #[test]
    fn percentile_interval_interpolates() {
        let draws: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        let e = interval(50.0, &draws);
        assert!((e.low - 2.5).abs() < 1e-9 && (e.high - 97.5).abs() < 1e-9);
        assert_eq!(interval(0.3, &[]).low, 0.3);
    }

    fn model(b: f32, w: f32) -> Logit {
        Logit {
            intercept: b,
            weights: vec![w],
        }
    }

    #[test]
    fn risk_difference_is_against_control_and_paired_by_replicate() {
        let arm = |code: &str, b: f32, reps: Vec<f32>| ArmFit {
            code: code.into(),
            n: 100,
            events: 10,
            model: model(b, 0.0),
            bootstrap: reps.into_iter().map(|r| model(r, 0.0)).collect(),
            mean_predicted: 0.1,
            mean_predicted_all: 0.1,
            cv_mean_predicted: 0.1,
        };
        let t = TrialModels {
            event_class: 1,
            arms: vec![arm("c", 0.0, vec![0.0; 5]), arm("t", -1.0, vec![-1.0; 5])],
            control: 0,
            alpha: 1.0,
            cv_log_loss: 0.3,
        };
        t.check(1, 2, 2).unwrap();
        assert!(t.check(2, 2, 2).is_err());
        let r = t.risks(&[0.0]);
        assert!(r[0].difference.is_none());
        let d = r[1].difference.unwrap();
        let want = sigmoid(-1.0) - 0.5;
        assert!((d.value - want).abs() < 1e-12);
        assert!((d.low - want).abs() < 1e-12 && (d.high - want).abs() < 1e-12);
        assert!((r[1].observed.value - 0.1).abs() < 1e-12);
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::decode_struct;
    decode_struct!(TrialModels {
        event_class,
        arms,
        control,
        alpha,
        cv_log_loss
    });
    decode_struct!(ArmFit {
        code,
        n,
        events,
        model,
        bootstrap,
        mean_predicted,
        mean_predicted_all,
        cv_mean_predicted
    });
    decode_struct!(Logit { intercept, weights });
}
