//! [native only] Fitting the per-arm outcome models of a randomized trial (see
//! `treatment::trial` for why one model per arm).
//!
//! Every trial patient with a known outcome is used (the trial's own population, not the
//! diagnosis model's training split): each arm's model is an estimate for that arm, and the
//! calibration check compares its mean prediction with the arm's observed rate. The penalty is
//! chosen once for all arms by stratified cross-validated log-loss; the bootstrap resamples each
//! arm's patients with replacement and refits.

use crate::contract::schema::Schema;
use crate::error::{Error, Result};
use crate::guidance::trial::{ArmFit, Logit, TrialModels};
use crate::model::fitted::Model;
use crate::train::candidates::Spec;
use crate::train::split::stratified_folds;
use crate::util::rng::Rng;

/// Penalties tried (smartcore's `alpha`: the L2 term added to the summed log-loss).
const ALPHAS: [f64; 5] = [0.1, 1.0, 3.0, 10.0, 30.0];
const FOLDS: usize = 5;

/// Fit per-arm models on preprocessed inputs `x`, outcome classes `labels` and arm indices
/// `arms` (all parallel).
pub fn fit(
    schema: &Schema,
    x: &[Vec<f64>],
    labels: &[usize],
    arms: &[usize],
    seed: u64,
) -> Result<TrialModels> {
    let t = schema
        .treatment
        .as_ref()
        .ok_or_else(|| Error::Training("the schema has no treatment".into()))?;
    let event = schema.positive_index();
    let y: Vec<usize> = labels.iter().map(|&l| usize::from(l == event)).collect();
    let rows_of = |a: usize| -> Vec<usize> { (0..x.len()).filter(|&i| arms[i] == a).collect() };
    for (a, arm) in t.arms.iter().enumerate() {
        let rows = rows_of(a);
        let events = rows.iter().filter(|&&i| y[i] == 1).count();
        if events < FOLDS || rows.len() - events < FOLDS {
            return Err(Error::Data(format!(
                "arm `{}` has {events} events among {} patients; at least {FOLDS} with and {FOLDS} without the outcome are needed",
                arm.code,
                rows.len()
            )));
        }
    }

    // Penalty by cross-validation, pooled over arms.
    let mut best = (f64::INFINITY, ALPHAS[0], Vec::new());
    for &alpha in &ALPHAS {
        let mut loss = 0.0;
        let mut n = 0usize;
        // Per arm: the mean out-of-fold prediction (an honest calibration-in-the-large check,
        // since an in-sample logistic fit matches its arm's rate by construction).
        let mut oof_mean = vec![0.0; t.arms.len()];
        for (a, arm_mean) in oof_mean.iter_mut().enumerate() {
            let rows = rows_of(a);
            let ya: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
            let folds = stratified_folds(&ya, 2, FOLDS, seed.wrapping_add(a as u64));
            for f in 0..FOLDS {
                let (fit_rows, held): (Vec<usize>, Vec<usize>) =
                    (0..rows.len()).partition(|&k| folds[k] != f);
                let m = fit_logit(
                    x,
                    &y,
                    &fit_rows.iter().map(|&k| rows[k]).collect::<Vec<_>>(),
                    alpha,
                    seed,
                )?;
                for k in held {
                    let i = rows[k];
                    let p = m.risk(&x[i]).clamp(1e-12, 1.0 - 1e-12);
                    loss -= if y[i] == 1 { p.ln() } else { (1.0 - p).ln() };
                    n += 1;
                    *arm_mean += p / rows.len() as f64;
                }
            }
        }
        let loss = loss / n.max(1) as f64;
        if loss < best.0 {
            best = (loss, alpha, oof_mean);
        }
    }
    let (cv_log_loss, alpha, oof_mean) = best;

    let mut rng = Rng::new(seed ^ 0x7472_6961_6c00_0000);
    let mut fits = Vec::new();
    for (a, arm) in t.arms.iter().enumerate() {
        let rows = rows_of(a);
        let model = fit_logit(x, &y, &rows, alpha, seed)?;
        let mut bootstrap = Vec::with_capacity(t.bootstrap as usize);
        for b in 0..t.bootstrap {
            let mut tries = 0;
            let sample = loop {
                let s: Vec<usize> = (0..rows.len())
                    .map(|_| rows[rng.below(rows.len())])
                    .collect();
                let events = s.iter().filter(|&&i| y[i] == 1).count();
                if events > 0 && events < s.len() {
                    break s;
                }
                tries += 1;
                if tries > 100 {
                    return Err(Error::Training(format!(
                        "arm `{}`: bootstrap samples keep having a single outcome",
                        arm.code
                    )));
                }
            };
            bootstrap.push(fit_logit(
                x,
                &y,
                &sample,
                alpha,
                seed.wrapping_add(u64::from(b)),
            )?);
        }
        let mean = |idx: &mut dyn Iterator<Item = usize>| {
            let (s, n) = idx.fold((0.0, 0usize), |(s, n), i| (s + model.risk(&x[i]), n + 1));
            s / n.max(1) as f64
        };
        fits.push(ArmFit {
            code: arm.code.clone(),
            n: rows.len() as u32,
            events: rows.iter().filter(|&&i| y[i] == 1).count() as u32,
            mean_predicted: mean(&mut rows.iter().copied()),
            mean_predicted_all: mean(&mut (0..x.len())),
            cv_mean_predicted: oof_mean.get(a).copied().unwrap_or(f64::NAN),
            model,
            bootstrap,
        });
    }
    Ok(TrialModels {
        event_class: event as u16,
        arms: fits,
        control: t.control_index() as u16,
        alpha,
        cv_log_loss,
    })
}

/// smartcore's logistic regression on the rows `idx`, as an `f32` [`Logit`].
fn fit_logit(x: &[Vec<f64>], y: &[usize], idx: &[usize], alpha: f64, seed: u64) -> Result<Logit> {
    let fx: Vec<Vec<f64>> = idx.iter().map(|&i| x[i].clone()).collect();
    let fy: Vec<usize> = idx.iter().map(|&i| y[i]).collect();
    match (Spec::Logistic { alpha }).fit(&fx, &fy, 2, seed)? {
        Model::Logistic { linear, .. } => Ok(Logit {
            intercept: linear.intercepts.first().copied().unwrap_or(0.0) as f32,
            weights: linear
                .weights
                .first()
                .map(|w| w.iter().map(|&v| v as f32).collect())
                .unwrap_or_default(),
        }),
        _ => Err(Error::Training(
            "logistic fit returned another family".into(),
        )),
    }
}
