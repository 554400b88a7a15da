//! [native only] smartcore 0.7's binary logistic regression (its L-BFGS with its cubic
//! backtracking line search), reproduced operation for operation but without its repeated
//! passes over the data.
//!
//! Why: at 50,000 rows the logistic fits were nearly half of all training time (`perf`).
//! smartcore's optimiser evaluates the objective and its gradient in separate passes and
//! recomputes both at points it has already evaluated: every iteration re-derives the gradient
//! and the value at the current point (which it already holds), evaluates the value at each
//! trial step, then evaluates the value again and the gradient at the accepted step. That is
//! three value passes and two gradient passes where one pass that yields both is enough.
//!
//! Why a port rather than another solver: a different optimiser reaches the same optimum only
//! to its own tolerance, which would move the shipped bundles' probabilities. This one performs
//! the same floating-point operations in the same order (each row's dot product, the
//! accumulation of the value and of every gradient entry over the rows in row order, the
//! two-loop recursion, the line search's interpolation, the convergence tests), so its
//! coefficients are smartcore's bit for bit (`tests::same_bits_as_smartcore`). What changed is
//! only that a value or gradient smartcore computes twice at the same point is computed once.
//!
//! One behaviour differs on purpose: where smartcore's line search panics after more than
//! 1,000 backtracking steps, this returns an error.

use crate::error::{Error, Result};

/// smartcore's `LBFGS::default()`: history length.
const HISTORY: usize = 10;
/// smartcore's `LBFGS::default()`: iteration limit.
const MAX_ITER: usize = 1000;
/// smartcore's `LBFGS::default()`: gradient tolerance (max-norm).
const G_ATOL: f64 = 1e-8;
/// smartcore's `Backtracking::default()`: sufficient-decrease constant.
const C1: f64 = 1e-4;
/// smartcore's `Backtracking::default()`: step limit.
const LS_MAX_ITER: usize = 1000;
/// smartcore's `Backtracking::default()`: halvings tried while the value is not finite
/// (`-log2(f64::EPSILON)`).
const LS_MAX_INFINITE: usize = 52;
/// smartcore's `Backtracking::default()`: largest step ratio.
const PHI: f64 = 0.5;
/// smartcore's `Backtracking::default()`: smallest step ratio.
const PLO: f64 = 0.1;

/// Fitted weights (one per input) and intercept.
#[derive(Debug, Clone, PartialEq)]
pub struct Binary {
    /// Weight per input.
    pub weights: Vec<f64>,
    /// Intercept.
    pub intercept: f64,
}

/// Fit binary logistic regression with L2 strength `alpha` (smartcore's: the penalty is
/// `alpha / 2 · |w|²`, the intercept unpenalised) on rows `x` with classes `y` in {0, 1}.
pub fn fit_binary(x: &[Vec<f64>], y: &[usize], alpha: f64) -> Result<Binary> {
    let bad = |what: String| Error::Training(format!("logistic regression: {what}"));
    let p = x.first().map_or(0, Vec::len);
    if x.len() != y.len() {
        return Err(bad(format!("{} rows but {} classes", x.len(), y.len())));
    }
    if x.is_empty() {
        return Err(bad("no rows to fit".into()));
    }
    if p == 0 {
        return Err(bad("no inputs: a row needs at least one value".into()));
    }
    if x.iter().any(|r| r.len() != p) {
        return Err(bad(format!("rows of unequal length (the first has {p})")));
    }
    if y.iter().any(|&c| c > 1) || !y.contains(&0) || !y.contains(&1) {
        return Err(bad(
            "both classes 0 and 1, and only those, are needed".into()
        ));
    }
    let objective = Objective {
        x: x.iter().flatten().copied().collect(),
        y: y.iter().map(|&c| c as f64).collect(),
        p,
        alpha,
    };
    let w = minimize(&objective).map_err(bad)?;
    let (weights, intercept) = w.split_at(p);
    Ok(Binary {
        weights: weights.to_vec(),
        intercept: intercept.first().copied().unwrap_or(0.0),
    })
}

/// smartcore's `BinaryObjectiveFunction`: the negative log-likelihood plus the L2 penalty.
struct Objective {
    /// Row-major rows.
    x: Vec<f64>,
    /// Classes as 0.0 / 1.0.
    y: Vec<f64>,
    /// Inputs per row (the weight vector has one more: the intercept, last).
    p: usize,
    /// L2 strength.
    alpha: f64,
}

impl Objective {
    /// The value at `w`, with its gradient written to `g`, in one pass. The value's terms and
    /// each gradient entry are accumulated over the rows in row order, exactly as smartcore's
    /// separate `f` and `df` passes accumulate them.
    fn eval(&self, w: &[f64], g: &mut [f64]) -> f64 {
        let p = self.p;
        let (coef, bias) = w.split_at(p.min(w.len()));
        let bias = bias.first().copied().unwrap_or(0.0);
        g.fill(0.0);
        let (g_coef, g_bias) = g.split_at_mut(p.min(g.len()));
        let mut f = 0.0;
        let mut gb = 0.0;
        for (row, &yi) in self.x.chunks_exact(p.max(1)).zip(&self.y) {
            // smartcore's `partial_dot`: Σ x·w from zero, then the intercept.
            let mut sum = 0.0;
            for (xv, wv) in row.iter().zip(coef) {
                sum += xv * wv;
            }
            let wx = sum + bias;
            f += ln_1pe(wx) - yi * wx;
            let dyi = yi - sigmoid(wx);
            for (gj, xv) in g_coef.iter_mut().zip(row) {
                *gj -= dyi * xv;
            }
            gb -= dyi;
        }
        if let Some(b) = g_bias.first_mut() {
            *b = gb;
        }
        if self.alpha > 0.0 {
            let mut w_squared = 0.0;
            for wi in coef {
                w_squared += wi * wi;
            }
            f += 0.5 * self.alpha * w_squared;
            for (gj, wi) in g_coef.iter_mut().zip(coef) {
                *gj += self.alpha * wi;
            }
        }
        f
    }
}

/// smartcore's `RealNumber::ln_1pe` for f64: ln(1 + eˣ), linear past 15.
fn ln_1pe(v: f64) -> f64 {
    if v > 15. {
        v
    } else {
        v.exp().ln_1p()
    }
}

/// smartcore's `RealNumber::sigmoid` for f64, saturating past ±40.
fn sigmoid(v: f64) -> f64 {
    if v < -40. {
        0.
    } else if v > 40. {
        1.
    } else {
        1. / (1. + f64::exp(-v))
    }
}

/// smartcore's `Array1::dot`: products summed by `Iterator::sum`.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(s, o)| *s * *o).sum()
}

/// smartcore's `norm(f64::INFINITY)`.
fn norm_inf(a: &[f64]) -> f64 {
    a.iter()
        .map(|v| v.abs())
        .fold(f64::NEG_INFINITY, |m, v| m.max(v))
}

/// smartcore's `max_diff`.
fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&u, &v)| (u - v).abs())
        .fold(f64::MIN, |m, v| if v > m { v } else { m })
}

/// A point with its value and gradient.
#[derive(Clone)]
struct Point {
    x: Vec<f64>,
    f: f64,
    g: Vec<f64>,
}

/// smartcore's `LBFGS::optimize` from zero, with smartcore's `Backtracking` (third order).
fn minimize(objective: &Objective) -> std::result::Result<Vec<f64>, String> {
    let dim = objective.p + 1;
    let mut g0 = vec![0.0; dim];
    let f0 = objective.eval(&vec![0.0; dim], &mut g0);
    let mut cur = Point {
        x: vec![0.0; dim],
        f: f0,
        g: g0,
    };
    // The two-loop recursion's history, as smartcore initialises it (copies of the start).
    let mut rho = [0.0f64; HISTORY];
    let mut dx_history = vec![vec![0.0; dim]; HISTORY];
    let mut dg_history = vec![vec![0.0; dim]; HISTORY];
    let mut twoloop_alpha = [0.0f64; HISTORY];
    let mut counter_f_tol = 0usize;
    let mut converged = norm_inf(&cur.g) < G_ATOL;
    let mut iteration = 0usize;
    while !converged && iteration < MAX_ITER {
        // Two loops: the search direction s from the gradient and the history.
        let lower = iteration.max(HISTORY) - HISTORY;
        let mut q = cur.g.clone();
        for index in (lower..iteration).rev() {
            let i = index % HISTORY;
            twoloop_alpha[i] = rho[i] * dot(&dx_history[i], &q);
            for (qj, dg) in q.iter_mut().zip(&dg_history[i]) {
                *qj -= dg * twoloop_alpha[i];
            }
        }
        let mut s = if iteration > 0 {
            let i = (iteration - 1) % HISTORY;
            let div: f64 = dg_history[i].iter().map(|v| v.abs().powf(2.0)).sum();
            let scaling = dot(&dx_history[i], &dg_history[i]) / div;
            q.iter().map(|v| v * scaling).collect()
        } else {
            q
        };
        for index in lower..iteration {
            let i = index % HISTORY;
            let beta = rho[i] * dot(&dg_history[i], &s);
            let step = twoloop_alpha[i] - beta;
            for (sj, dx) in s.iter_mut().zip(&dx_history[i]) {
                *sj += dx * step;
            }
        }
        for sj in &mut s {
            *sj *= -1.0;
        }

        // The line search along s from the current point; the last point it evaluates is the
        // step it returns, so its value and gradient are the new point's.
        let df0 = dot(&cur.g, &s);
        let mut trial = Point {
            x: vec![0.0; dim],
            f: f64::NAN,
            g: vec![0.0; dim],
        };
        let mut at = |a: f64, t: &mut Point| -> f64 {
            for ((tx, sj), xj) in t.x.iter_mut().zip(&s).zip(&cur.x) {
                *tx = sj * a + xj;
            }
            t.f = objective.eval(&t.x, &mut t.g);
            t.f
        };
        let alpha = backtrack(&mut at, &mut trial, cur.f, df0)?;
        let dx: Vec<f64> = s.iter().map(|sj| sj * alpha).collect();
        let prev = std::mem::replace(&mut cur, trial);

        // Convergence, as smartcore tests it (its x and f tolerances are zero).
        let moved = max_diff(&cur.x, &prev.x);
        let x_converged = moved <= 0.0 || moved <= 0.0 * norm_inf(&cur.x);
        let change = (cur.f - prev.f).abs();
        if change <= 0.0 {
            counter_f_tol += 1;
        }
        if change <= 0.0 * cur.f.abs() {
            counter_f_tol += 1;
        }
        let g_converged = norm_inf(&cur.g) <= G_ATOL;
        converged = g_converged || x_converged || counter_f_tol > 1;

        if !converged {
            let dg: Vec<f64> = cur.g.iter().zip(&prev.g).map(|(a, b)| a - b).collect();
            let rho_iteration = 1.0 / dot(&dx, &dg);
            if !rho_iteration.is_infinite() {
                let idx = iteration % HISTORY;
                dx_history[idx] = dx;
                dg_history[idx] = dg;
                rho[idx] = rho_iteration;
            }
        }
        iteration += 1;
    }
    Ok(cur.x)
}

/// smartcore's `Backtracking::search` (third order): the step `a` with sufficient decrease,
/// starting from 1. `f(a, point)` evaluates the objective at step `a` into `point`.
fn backtrack(
    f: &mut impl FnMut(f64, &mut Point) -> f64,
    point: &mut Point,
    f0: f64,
    df0: f64,
) -> std::result::Result<f64, String> {
    let (two, three) = (2.0f64, 3.0f64);
    let (mut a1, mut a2) = (1.0f64, 1.0f64);
    let mut fx0 = f0;
    let mut fx1 = f(a1, point);
    let mut iterfinite = 0;
    while !fx1.is_finite() && iterfinite < LS_MAX_INFINITE {
        iterfinite += 1;
        a1 = a2;
        a2 = a1 / two;
        fx1 = f(a2, point);
    }
    let mut iteration = 0;
    while fx1 > f0 + C1 * a2 * df0 {
        if iteration > LS_MAX_ITER {
            return Err(format!(
                "the line search found no step that lowers the objective in more than \
                 {LS_MAX_ITER} steps; the inputs may be badly scaled or contain extreme values"
            ));
        }
        let a_tmp = if iteration == 0 {
            -(df0 * a2.powf(two)) / (two * (fx1 - f0 - df0 * a2))
        } else {
            let div = 1.0 / (a1.powf(two) * a2.powf(two) * (a2 - a1));
            let a =
                (a1.powf(two) * (fx1 - f0 - df0 * a2) - a2.powf(two) * (fx0 - f0 - df0 * a1)) * div;
            let b = (-a1.powf(three) * (fx1 - f0 - df0 * a2)
                + a2.powf(three) * (fx0 - f0 - df0 * a1))
                * div;
            if (a - 0.0).powf(two).sqrt() <= f64::EPSILON {
                df0 / (two * b)
            } else {
                let d = f64::max(b.powf(two) - three * a * df0, 0.0);
                (-b + d.sqrt()) / (three * a)
            }
        };
        a1 = a2;
        a2 = f64::max(f64::min(a_tmp, a2 * PHI), a2 * PLO);
        fx0 = fx1;
        fx1 = f(a2, point);
        iteration += 1;
    }
    Ok(a2)
}

#[cfg(test)]
mod tests;
