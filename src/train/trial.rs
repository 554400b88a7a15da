//! [native only] Fitting the per-arm outcome models of a randomized trial (see
//! `treatment::trial` for why one model per arm).
//!
//! Every trial patient with a known outcome is used (the trial's own population, not the
//! diagnosis model's training split): each arm's model is an estimate for that arm, and the
//! calibration check compares its mean prediction with the arm's observed rate (with censoring,
//! its Kaplan–Meier risk: see below). The penalty is chosen once for all arms by stratified
//! cross-validated log-loss; the bootstrap resamples each arm's patients with replacement and
//! refits.
//!
//! # Censoring before a derived target's horizon
//!
//! For a target derived from time-to-event data ([`FollowUp`]), the patients censored before
//! the horizon have no known outcome, and fitting on the others alone overstates each arm's
//! risk, as it would the main model's (see [`censoring`](super::censoring)). They are handled
//! the same way, arm by arm:
//!
//! - **Weights.** Each known-status patient of an arm gets the inverse-probability-of-censoring
//!   weight of [`censoring::weigh`](super::censoring::weigh), from the Kaplan–Meier curve of
//!   censoring estimated on *that arm's* trial patients, censored ones included. Per arm rather
//!   than pooled because follow-up may differ between arms (in gbsg the therapy was not
//!   randomized, and who received it changed over the years of enrolment, which is when the
//!   administrative censoring was decided), and because with the arm's own curve the weighted
//!   event share of the arm is exactly its own Kaplan–Meier risk (Satten & Datta 2001).
//! - **Intercept shift.** The penalised logistic model is fitted on the arm's known-status
//!   patients as before (smartcore takes no case weights), then its intercept is shifted by the
//!   `δ` that solves the weighted score equation for the intercept, `Σ wᵢ (yᵢ − σ(ηᵢ + δ)) = 0`:
//!   the weighted mean predicted risk then equals the weighted event share, i.e. the arm's
//!   Kaplan–Meier risk by the horizon. The covariate effects are those of the complete-case
//!   fit: censoring that does not depend on the outcome (here mostly administrative, from
//!   staggered entry) selects on follow-up time, which shifts the baseline risk among those
//!   followed long enough much more than it changes the effects.
//! - **Everywhere the model is refitted**: in each cross-validation fold (the out-of-fold loss
//!   and mean are then weighted too, so the penalty is chosen, and the calibration checked, for
//!   the models actually shipped and the whole arm's population), and in each bootstrap refit
//!   (shifted with the weights of the resampled patients). The weights are computed once per
//!   arm and kept fixed: folds and replicates do not re-estimate the censoring curve, and the
//!   censored patients themselves are not resampled (they carry no outcome to refit on).
//!
//! A trial without a derived target has no [`FollowUp`]: nothing is weighted or shifted, and
//! the fit is exactly the complete-case one.

use crate::contract::csv_text;
use crate::contract::dataset::{read_csv, Dataset};
use crate::contract::schema::Schema;
use crate::error::{Error, Result};
use crate::guidance::trial::{ArmFit, Logit, TrialModels};
use crate::model::fitted::{sigmoid, Model};
use crate::model::preprocess::Preprocessor;
use crate::train::candidates::Spec;
use crate::train::censoring::weigh;
use crate::train::split::stratified_folds;
use crate::util::rng::Rng;

/// Penalties tried (smartcore's `alpha`: the L2 term added to the summed log-loss).
const ALPHAS: [f64; 5] = [0.1, 1.0, 3.0, 10.0, 30.0];
const FOLDS: usize = 5;

/// The follow-up of a derived event target's trial rows: what the per-arm censoring weights
/// are estimated from, and the censored patients the arms' mean risks are taken over.
#[derive(Debug, Clone, PartialEq)]
pub struct FollowUp {
    /// The target's horizon (in the time column's unit).
    pub horizon: f64,
    /// Follow-up time of each row with a known status (parallel to [`fit`]'s `x`).
    pub times: Vec<f64>,
    /// Preprocessed inputs of each row censored before the horizon.
    pub censored_x: Vec<Vec<f64>>,
    /// Follow-up time of each censored row (parallel to `censored_x`).
    pub censored_times: Vec<f64>,
    /// Arm of each censored row (parallel to `censored_x`).
    pub censored_arms: Vec<usize>,
}

impl FollowUp {
    /// The follow-up of the trial rows `rows`, read from the CSV texts `data` then `test` and
    /// joined in that order (as the trainer joins them), or `None` when the schema's target is
    /// not derived from time-to-event data.
    ///
    /// `Dataset::censored` does not keep the arm of a censored row, so it is read back from the
    /// CSV texts at the censored rows' own row numbers, and checked against them.
    pub fn of(
        schema: &Schema,
        rows: &Dataset,
        preprocessor: &Preprocessor,
        data: &str,
        test: Option<&str>,
    ) -> Result<Option<FollowUp>> {
        let Some(derive) = &schema.target.derive else {
            return Ok(None);
        };
        let censored_arms = censored_arms(schema, std::iter::once(data).chain(test))?;
        let c = &rows.censored;
        if censored_arms.len() != c.len() || rows.times.len() != rows.records.len() {
            return Err(Error::Training(format!(
                "trial follow-up: {} censored rows read back for {} censored rows, {} follow-up times for {} rows",
                censored_arms.len(),
                c.len(),
                rows.times.len(),
                rows.records.len()
            )));
        }
        Ok(Some(FollowUp {
            horizon: derive.horizon,
            times: rows.times.clone(),
            censored_x: c
                .records
                .iter()
                .map(|r| preprocessor.transform(r).x)
                .collect(),
            censored_times: c.times.clone(),
            censored_arms,
        }))
    }
}

/// The arm of each row censored before the horizon, file after file, in the order
/// `Dataset::append` joins them.
fn censored_arms<'t>(schema: &Schema, texts: impl Iterator<Item = &'t str>) -> Result<Vec<usize>> {
    let t = schema
        .treatment
        .as_ref()
        .ok_or_else(|| Error::Training("the schema has no treatment".into()))?;
    let mut arms = Vec::new();
    for text in texts {
        let censored = read_csv(schema, text)?.censored;
        let records = csv_text::records(text)?;
        let column = records
            .first()
            .and_then(|h| h.iter().position(|c| *c == t.column))
            .ok_or_else(|| Error::Data(format!("column `{}` is missing", t.column)))?;
        for &row in &censored.rows {
            // Row numbers count data rows from 1, and the header is record 0.
            let code = records
                .get(row as usize)
                .and_then(|r| r.get(column))
                .map(String::as_str);
            let arm = code
                .and_then(|code| t.arms.iter().position(|a| a.code == code))
                .ok_or_else(|| {
                    Error::Data(format!(
                        "row {row}, column `{}`: `{}` is not one of the arms",
                        t.column,
                        code.unwrap_or("")
                    ))
                })?;
            arms.push(arm);
        }
    }
    Ok(arms)
}

/// Fit per-arm models on preprocessed inputs `x`, outcome classes `labels` and arm indices
/// `arms` (all parallel). With a [`FollowUp`] (a derived event target), each arm's models are
/// corrected for censoring (see the module docs); without, they are plain complete-case fits.
pub fn fit(
    schema: &Schema,
    x: &[Vec<f64>],
    labels: &[usize],
    arms: &[usize],
    follow_up: Option<&FollowUp>,
    seed: u64,
) -> Result<TrialModels> {
    let t = schema
        .treatment
        .as_ref()
        .ok_or_else(|| Error::Training("the schema has no treatment".into()))?;
    let event = schema.positive_index();
    let y: Vec<usize> = labels.iter().map(|&l| usize::from(l == event)).collect();
    let rows_of = |a: usize| -> Vec<usize> { (0..x.len()).filter(|&i| arms[i] == a).collect() };
    let censored_of = |a: usize| -> Vec<usize> {
        follow_up.map_or_else(Vec::new, |f| {
            (0..f.censored_arms.len())
                .filter(|&k| f.censored_arms[k] == a)
                .collect()
        })
    };
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
    // Censoring weights per row (parallel to `x`), each arm's from its own follow-up.
    let weights: Option<Vec<f64>> = match follow_up {
        None => None,
        Some(f) => {
            if f.times.len() != x.len()
                || f.censored_times.len() != f.censored_arms.len()
                || f.censored_x.len() != f.censored_arms.len()
            {
                return Err(Error::Training(
                    "trial follow-up: lengths do not match the rows".into(),
                ));
            }
            let mut w = vec![1.0; x.len()];
            for a in 0..t.arms.len() {
                let rows = rows_of(a);
                let times: Vec<f64> = rows.iter().map(|&i| f.times[i]).collect();
                let positive: Vec<bool> = rows.iter().map(|&i| y[i] == 1).collect();
                let censored: Vec<f64> = censored_of(a)
                    .iter()
                    .map(|&k| f.censored_times[k])
                    .collect();
                let arm_w = weigh(&times, &positive, &censored, f.horizon)?;
                for (&i, &v) in rows.iter().zip(&arm_w.weights) {
                    w[i] = v;
                }
            }
            Some(w)
        }
    };
    // Weight of row `i` (1 without censoring: the sums below are then the plain ones, bit for
    // bit, since multiplying by 1.0 is exact).
    let w = |i: usize| weights.as_ref().map_or(1.0, |w| w[i]);
    // Fit, then (with censoring) shift the intercept so the weighted score equation holds.
    let fit_arm = |idx: &[usize], alpha: f64, seed: u64| -> Result<Logit> {
        let m = fit_logit(x, &y, idx, alpha, seed)?;
        match &weights {
            None => Ok(m),
            Some(wt) => shift_intercept(m, x, &y, wt, idx),
        }
    };

    // Penalty by cross-validation, pooled over arms.
    let mut best = (f64::INFINITY, ALPHAS[0], Vec::new());
    for &alpha in &ALPHAS {
        let mut loss = 0.0;
        let mut n = 0.0;
        // Per arm: the mean out-of-fold prediction (an honest calibration-in-the-large check,
        // since an in-sample logistic fit matches its arm's rate by construction), weighted
        // for censoring.
        let mut oof_mean = vec![0.0; t.arms.len()];
        for (a, arm_mean) in oof_mean.iter_mut().enumerate() {
            let rows = rows_of(a);
            let arm_total: f64 = rows.iter().map(|&i| w(i)).sum();
            let ya: Vec<usize> = rows.iter().map(|&i| y[i]).collect();
            let folds = stratified_folds(&ya, 2, FOLDS, seed.wrapping_add(a as u64));
            for f in 0..FOLDS {
                let (fit_rows, held): (Vec<usize>, Vec<usize>) =
                    (0..rows.len()).partition(|&k| folds[k] != f);
                let m = fit_arm(
                    &fit_rows.iter().map(|&k| rows[k]).collect::<Vec<_>>(),
                    alpha,
                    seed,
                )?;
                for k in held {
                    let i = rows[k];
                    let p = m.risk(&x[i]).clamp(1e-12, 1.0 - 1e-12);
                    loss -= w(i) * if y[i] == 1 { p.ln() } else { (1.0 - p).ln() };
                    n += w(i);
                    *arm_mean += w(i) * p / arm_total;
                }
            }
        }
        let loss = if n > 0.0 { loss / n } else { loss };
        if loss < best.0 {
            best = (loss, alpha, oof_mean);
        }
    }
    let (cv_log_loss, alpha, oof_mean) = best;

    let mut rng = Rng::new(seed ^ 0x7472_6961_6c00_0000);
    let mut fits = Vec::new();
    for (a, arm) in t.arms.iter().enumerate() {
        let rows = rows_of(a);
        let model = fit_arm(&rows, alpha, seed)?;
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
            bootstrap.push(fit_arm(&sample, alpha, seed.wrapping_add(u64::from(b)))?);
        }
        // Mean risk over rows of `x` then censored rows (none without censoring).
        let mean = |known: &mut dyn Iterator<Item = usize>, censored: &[usize]| {
            let censored_x = censored
                .iter()
                .filter_map(|&k| follow_up.and_then(|f| f.censored_x.get(k)));
            let (s, n) = known
                .map(|i| &x[i])
                .chain(censored_x)
                .fold((0.0, 0usize), |(s, n), xi| (s + model.risk(xi), n + 1));
            s / n.max(1) as f64
        };
        let all_censored: Vec<usize> =
            (0..follow_up.map_or(0, |f| f.censored_arms.len())).collect();
        fits.push(ArmFit {
            code: arm.code.clone(),
            n: rows.len() as u32,
            events: rows.iter().filter(|&&i| y[i] == 1).count() as u32,
            mean_predicted: mean(&mut rows.iter().copied(), &censored_of(a)),
            mean_predicted_all: mean(&mut (0..x.len()), &all_censored),
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

/// `m` with its intercept shifted by the `δ` that solves `Σ wᵢ (yᵢ − σ(ηᵢ + δ)) = 0` over the
/// rows `idx` (a row may appear more than once, as in a bootstrap sample), where `ηᵢ` is `m`'s
/// linear predictor: afterwards the `w`-weighted mean risk over `idx` is the weighted event
/// share. The left side falls strictly with `δ`, and between `logit(r) − max η` and
/// `logit(r) − min η` (`r` the weighted share) it changes sign, so safeguarded Newton steps
/// inside that bracket find the root.
fn shift_intercept(
    m: Logit,
    x: &[Vec<f64>],
    y: &[usize],
    w: &[f64],
    idx: &[usize],
) -> Result<Logit> {
    // The linear predictor as `Logit::risk` computes it.
    let eta: Vec<f64> = idx
        .iter()
        .map(|&i| {
            m.weights
                .iter()
                .zip(&x[i])
                .map(|(a, b)| f64::from(*a) * b)
                .sum::<f64>()
                + f64::from(m.intercept)
        })
        .collect();
    let (total, events) = idx
        .iter()
        .fold((0.0, 0.0), |(t, e), &i| (t + w[i], e + w[i] * y[i] as f64));
    let rate = events / total;
    if !(rate > 0.0 && rate < 1.0) {
        return Err(Error::Training(format!(
            "censoring-weighted event share {rate} leaves no intercept to solve for"
        )));
    }
    let target = (rate / (1.0 - rate)).ln();
    let (lo_eta, hi_eta) = eta
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &e| {
            (l.min(e), h.max(e))
        });
    // The score Σ w (y − σ(η + δ)) and its derivative in δ.
    let score = |d: f64| {
        idx.iter().zip(&eta).fold((0.0, 0.0), |(s, ds), (&i, &e)| {
            let p = sigmoid(e + d);
            (s + w[i] * (y[i] as f64 - p), ds - w[i] * p * (1.0 - p))
        })
    };
    let (mut lo, mut hi) = (target - hi_eta, target - lo_eta);
    if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
        return Err(Error::Training(
            "censoring-weighted intercept shift: the linear predictors are not finite".into(),
        ));
    }
    let mut d = 0.0f64.max(lo).min(hi);
    for _ in 0..200 {
        let (s, ds) = score(d);
        if s.abs() <= 1e-13 * total {
            break;
        }
        // The score falls with δ: positive means δ is too small.
        if s > 0.0 {
            lo = d;
        } else {
            hi = d;
        }
        let newton = d - s / ds;
        d = if newton.is_finite() && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo <= 1e-15 * (1.0 + d.abs()) {
            break;
        }
    }
    if !d.is_finite() {
        return Err(Error::Training(
            "censoring-weighted intercept shift did not converge".into(),
        ));
    }
    Ok(Logit {
        intercept: (f64::from(m.intercept) + d) as f32,
        weights: m.weights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shift_solves_the_weighted_score_equation() {
        // One input; risks σ(x) at x = −2 … 2, events at the upper three, weights uneven.
        let x: Vec<Vec<f64>> = (-2..=2).map(|v| vec![f64::from(v)]).collect();
        let y = [0, 0, 1, 1, 1];
        let w = [1.0, 3.0, 1.0, 2.0, 1.5];
        let m = Logit {
            intercept: 0.0,
            weights: vec![1.0],
        };
        // A row listed twice counts twice (as in a bootstrap sample).
        for idx in [vec![0, 1, 2, 3, 4], vec![0, 1, 1, 2, 3, 4, 4]] {
            let s = shift_intercept(m.clone(), &x, &y, &w, &idx).unwrap();
            assert_eq!(s.weights, m.weights);
            let (mut pred, mut obs, mut tot) = (0.0, 0.0, 0.0);
            for &i in &idx {
                pred += w[i] * s.risk(&x[i]);
                obs += w[i] * y[i] as f64;
                tot += w[i];
            }
            // Exact up to the f32 intercept.
            assert!((pred - obs).abs() / tot < 1e-6, "{pred} vs {obs}");
        }
        // With unit weights the shift reproduces the plain event share.
        let s = shift_intercept(m.clone(), &x, &y, &[1.0; 5], &[0, 1, 2, 3, 4]).unwrap();
        let mean = x.iter().map(|v| s.risk(v)).sum::<f64>() / 5.0;
        assert!((mean - 0.6).abs() < 1e-6, "{mean}");
        // A sample with a single outcome has no finite shift.
        assert!(shift_intercept(m, &x, &y, &w, &[2, 3]).is_err());
    }

    #[test]
    fn censored_arms_are_read_back_at_their_rows() {
        let schema = Schema::from_toml(
            &crate::contract::schema::tests::SAMPLE
                .replace(
                    "column = \"dx\"\nlabel",
                    "column = \"dx\"\nderive = { time = \"t\", status = \"s\", event = \"1\", horizon = 100 }\nlabel",
                )
                .replacen(
                    "[[subgroups]]",
                    "[treatment]\ncolumn = \"rx\"\nlabel = { en = \"Rx\", zh = \"Rx\" }\ncontrol = \"a\"\narms = [\n  { code = \"a\", label = { en = \"A\", zh = \"A\" } },\n  { code = \"b\", label = { en = \"B\", zh = \"B\" } },\n]\ntrial = \"test\"\ncaveats = { en = \"\", zh = \"\" }\nbootstrap = 20\n\n[[subgroups]]",
                    1,
                ),
        )
        .unwrap();
        let data = "glu,smoker,sex,t,s,rx\n\
                    100,1,m,50,1,a\n\
                    100,1,m,40,0,b\n\
                    100,1,m,500,0,a\n\
                    100,1,m,99,0,a\n";
        let test = "glu,smoker,sex,t,s,rx\n100,1,m,10,0,a\n100,1,m,200,0,b\n100,1,m,10,0,b\n";
        let arms = censored_arms(&schema, [data, test].into_iter()).unwrap();
        assert_eq!(arms, vec![1, 0, 0, 1]);
        // Joined as the trainer joins them, with the preprocessed inputs of the censored rows.
        let mut rows = read_csv(&schema, data).unwrap();
        rows.append(&read_csv(&schema, test).unwrap());
        let pre = Preprocessor::fit(&schema, &rows.records).unwrap();
        let f = FollowUp::of(&schema, &rows, &pre, data, Some(test))
            .unwrap()
            .unwrap();
        assert_eq!(f.censored_arms, arms);
        assert_eq!(f.censored_times, vec![40.0, 99.0, 10.0, 10.0]);
        assert_eq!(f.times, vec![50.0, 500.0, 200.0]);
        assert_eq!(f.censored_x.len(), 4);
        assert_eq!(f.horizon, 100.0);
        // Read back against other texts, the counts disagree: an error, not a wrong arm.
        assert!(FollowUp::of(&schema, &rows, &pre, data, None).is_err());
    }
}
