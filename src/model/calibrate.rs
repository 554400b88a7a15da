//! Probability calibration, fitted on out-of-fold predictions so it never sees a case it is
//! judged on.
//!
//! Binary targets use Platt scaling on the log-odds, `σ(a · logit(p) + b)`, with Platt's
//! smoothed targets so a perfectly separating fold cannot drive the parameters to infinity.
//! Multiclass targets use temperature scaling, `p_c ∝ p_c^(1/T)`. Both are monotone, so the
//! ranking of classes (and the explanation of the model's raw output) is unchanged.
//!
//! Both can be fitted with a weight per case ([`Calibration::fit_weighted`]): the trainer passes
//! inverse-probability-of-censoring weights for a time-to-event target (see `train::censoring`),
//! so that the calibrated risks average to the Kaplan–Meier risk of the whole population rather
//! than to the event rate among the patients who happened to be followed to the horizon. The
//! smartcore models take no sample weights; the calibration map is where the weights enter.

use serde::{Deserialize, Serialize};

use crate::model::fitted::{logit, sigmoid};

/// A fitted calibration map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibration {
    /// Probabilities are used as the model gives them.
    None,
    /// Binary: `P(class 1) = σ(a · logit(p) + b)`.
    Platt {
        /// Slope on the model's log-odds.
        a: f64,
        /// Intercept.
        b: f64,
    },
    /// Multiclass: `p_c ∝ p_c^(1/t)`.
    Temperature {
        /// Temperature (> 0).
        t: f64,
    },
}

impl Calibration {
    /// Calibrated probabilities (sum to 1).
    pub fn apply(&self, p: &[f64]) -> Vec<f64> {
        match *self {
            Calibration::None => p.to_vec(),
            Calibration::Platt { a, b } => match p {
                [_, p1] => {
                    let q = sigmoid(a * logit(*p1) + b);
                    vec![1.0 - q, q]
                }
                _ => p.to_vec(),
            },
            Calibration::Temperature { t } => {
                let logs: Vec<f64> = p.iter().map(|v| v.max(1e-12).ln() / t).collect();
                crate::model::fitted::softmax(&logs)
            }
        }
    }

    /// Whether the map is finite and usable (checked when a bundle is loaded).
    pub fn is_valid(&self) -> bool {
        match *self {
            Calibration::None => true,
            Calibration::Platt { a, b } => a.is_finite() && b.is_finite(),
            Calibration::Temperature { t } => t.is_finite() && t > 0.0,
        }
    }

    /// Fit on out-of-fold probabilities `oof` with true classes `y`.
    pub fn fit(oof: &[Vec<f64>], y: &[usize], n_classes: usize) -> Calibration {
        Calibration::fit_with(oof, y, n_classes, None)
    }

    /// As [`Calibration::fit`], each case counting `weights[i]` times in the cross-entropy
    /// (and, for Platt's smoothed targets, in the class counts). With all weights 1 the result
    /// is bit for bit that of `fit` (every weight multiplies exactly by 1).
    pub fn fit_weighted(
        oof: &[Vec<f64>],
        y: &[usize],
        n_classes: usize,
        weights: &[f64],
    ) -> Calibration {
        Calibration::fit_with(oof, y, n_classes, Some(weights))
    }

    fn fit_with(
        oof: &[Vec<f64>],
        y: &[usize],
        n_classes: usize,
        weights: Option<&[f64]>,
    ) -> Calibration {
        if oof.is_empty() {
            return Calibration::None;
        }
        let weight = |i: usize| weights.map_or(1.0, |w| w.get(i).copied().unwrap_or(0.0));
        if n_classes == 2 {
            let s: Vec<f64> = oof
                .iter()
                .map(|p| logit(p.get(1).copied().unwrap_or(0.5)))
                .collect();
            let t: Vec<bool> = y.iter().map(|&c| c == 1).collect();
            let w: Vec<f64> = (0..s.len()).map(weight).collect();
            let (a, b) = platt(&s, &t, weights.map(|_| w.as_slice()));
            Calibration::Platt { a, b }
        } else {
            let loss = |t: f64| {
                let cal = Calibration::Temperature { t };
                oof.iter()
                    .zip(y)
                    .enumerate()
                    .map(|(i, (p, &c))| {
                        weight(i) * -cal.apply(p).get(c).copied().unwrap_or(0.0).max(1e-15).ln()
                    })
                    .sum::<f64>()
            };
            // Golden-section search on log T in [1/20, 20].
            let (mut lo, mut hi) = ((0.05f64).ln(), (20.0f64).ln());
            let g = (5f64.sqrt() - 1.0) / 2.0;
            for _ in 0..80 {
                let m1 = hi - g * (hi - lo);
                let m2 = lo + g * (hi - lo);
                if loss(m1.exp()) <= loss(m2.exp()) {
                    hi = m2;
                } else {
                    lo = m1;
                }
            }
            Calibration::Temperature {
                t: ((lo + hi) / 2.0).exp(),
            }
        }
    }
}

/// Platt scaling by Newton's method with smoothed targets (Platt 1999; Lin, Lin & Weng 2007).
/// With `weights`, each case's term in the cross-entropy, its gradient and Hessian is multiplied
/// by its weight, and the smoothed targets use the weighted class counts
/// (`(N₊ + 1) / (N₊ + 2)` and `1 / (N₋ + 2)` with `N` the summed weights); without, every
/// weight is 1 and the counts are plain counts.
fn platt(s: &[f64], y: &[bool], weights: Option<&[f64]>) -> (f64, f64) {
    let weight = |i: usize| weights.map_or(1.0, |w| w.get(i).copied().unwrap_or(0.0));
    let (n_pos, n_neg) = match weights {
        None => {
            let n_pos = y.iter().filter(|&&v| v).count() as f64;
            (n_pos, y.len() as f64 - n_pos)
        }
        Some(_) => y.iter().enumerate().fold((0.0, 0.0), |(p, n), (i, &v)| {
            if v {
                (p + weight(i), n)
            } else {
                (p, n + weight(i))
            }
        }),
    };
    let hi = (n_pos + 1.0) / (n_pos + 2.0);
    let lo = 1.0 / (n_neg + 2.0);
    let targets: Vec<f64> = y.iter().map(|&v| if v { hi } else { lo }).collect();
    let w: Vec<f64> = (0..s.len()).map(weight).collect();
    let (mut a, mut b) = (1.0, 0.0);
    let loss = |a: f64, b: f64| -> f64 {
        s.iter()
            .zip(&targets)
            .zip(&w)
            .map(|((&si, &ti), &wi)| {
                let p = sigmoid(a * si + b).clamp(1e-15, 1.0 - 1e-15);
                wi * -(ti * p.ln() + (1.0 - ti) * (1.0 - p).ln())
            })
            .sum()
    };
    let mut current = loss(a, b);
    for _ in 0..100 {
        // Gradient and Hessian of the cross-entropy in (a, b), with a tiny ridge for stability.
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for ((&si, &ti), &wi) in s.iter().zip(&targets).zip(&w) {
            let p = sigmoid(a * si + b);
            let d = wi * (p - ti);
            let h = wi * (p * (1.0 - p));
            ga += d * si;
            gb += d;
            haa += h * si * si;
            hab += h * si;
            hbb += h;
        }
        let det = haa * hbb - hab * hab;
        if !(det.is_finite() && det.abs() > 1e-18) {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        // Backtracking line search keeps every step an improvement.
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-8 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l.is_finite() && l <= current {
                a = na;
                b = nb;
                improved = (current - l).abs() > 1e-12;
                current = l;
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_fixes_overconfidence() {
        // A model that says 0.99 / 0.01 but is right only 75% of the time.
        let mut oof = Vec::new();
        let mut y = Vec::new();
        for i in 0..400 {
            let says_pos = i % 2 == 0;
            let right = i % 8 != 0 && i % 8 != 1; // wrong a quarter of the time, either way
            let truth = if right { says_pos } else { !says_pos };
            oof.push(if says_pos {
                vec![0.01, 0.99]
            } else {
                vec![0.99, 0.01]
            });
            y.push(usize::from(truth));
        }
        let frac_pos_when_says_pos = oof
            .iter()
            .zip(&y)
            .filter(|(p, _)| p[1] > 0.5)
            .map(|(_, &c)| c as f64)
            .sum::<f64>()
            / oof.iter().filter(|p| p[1] > 0.5).count() as f64;
        let cal = Calibration::fit(&oof, &y, 2);
        let q = cal.apply(&[0.01, 0.99])[1];
        assert!(
            (q - frac_pos_when_says_pos).abs() < 0.02,
            "{q} vs {frac_pos_when_says_pos}"
        );
        assert!(cal.is_valid());
    }

    /// A noisy but informative score: case `i`'s log-odds and class.
    fn noisy(n: usize) -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = crate::util::rng::Rng::new(9);
        let mut oof = Vec::new();
        let mut y = Vec::new();
        for _ in 0..n {
            let z = rng.below(1000) as f64 / 250.0 - 2.0;
            let truth = rng.below(1000) as f64 / 1000.0 < sigmoid(1.5 * z);
            let p = sigmoid(z);
            oof.push(vec![1.0 - p, p]);
            y.push(usize::from(truth));
        }
        (oof, y)
    }

    #[test]
    fn unit_weights_give_exactly_the_unweighted_fit() {
        let (oof, y) = noisy(300);
        let ones = vec![1.0; y.len()];
        assert_eq!(
            Calibration::fit_weighted(&oof, &y, 2, &ones),
            Calibration::fit(&oof, &y, 2)
        );
        let three: Vec<Vec<f64>> = oof
            .iter()
            .map(|p| vec![p[0] / 2.0, p[0] / 2.0, p[1]])
            .collect();
        let y3: Vec<usize> = y.iter().map(|&c| if c == 1 { 2 } else { c }).collect();
        assert_eq!(
            Calibration::fit_weighted(&three, &y3, 3, &ones),
            Calibration::fit(&three, &y3, 3)
        );
    }

    #[test]
    fn weighted_platt_reproduces_the_weighted_event_share() {
        // Counting every negative case twice (as censoring weights might) must move the mean
        // calibrated risk to the weighted share of positives, which an unweighted fit misses.
        let (oof, y) = noisy(600);
        let w: Vec<f64> = y.iter().map(|&c| if c == 1 { 1.0 } else { 2.0 }).collect();
        let cal = Calibration::fit_weighted(&oof, &y, 2, &w);
        let mean = |cal: &Calibration| {
            oof.iter()
                .zip(&w)
                .map(|(p, wi)| wi * cal.apply(p)[1])
                .sum::<f64>()
                / w.iter().sum::<f64>()
        };
        let share =
            y.iter().zip(&w).map(|(&c, wi)| c as f64 * wi).sum::<f64>() / w.iter().sum::<f64>();
        assert!(
            (mean(&cal) - share).abs() < 0.005,
            "{} vs {share}",
            mean(&cal)
        );
        let plain = Calibration::fit(&oof, &y, 2);
        assert!((mean(&plain) - share).abs() > 0.03, "{}", mean(&plain));
        // A zero weight removes a case: the fit equals the fit without it.
        let mut w0 = vec![1.0; y.len()];
        w0[0] = 0.0;
        let (a, b) = match (
            Calibration::fit_weighted(&oof, &y, 2, &w0),
            Calibration::fit(&oof[1..], &y[1..], 2),
        ) {
            (Calibration::Platt { a, b }, Calibration::Platt { a: a2, b: b2 }) => {
                ((a - a2).abs(), (b - b2).abs())
            }
            other => panic!("{other:?}"),
        };
        assert!(a < 1e-9 && b < 1e-9, "{a} {b}");
    }

    #[test]
    fn calibration_is_monotone_and_sums_to_one() {
        let cal = Calibration::Platt { a: 0.7, b: -0.2 };
        let mut last = 0.0;
        for i in 1..100 {
            let p = i as f64 / 100.0;
            let q = cal.apply(&[1.0 - p, p]);
            assert!((q[0] + q[1] - 1.0).abs() < 1e-12);
            assert!(q[1] > last);
            last = q[1];
        }
        let t = Calibration::Temperature { t: 2.0 };
        let q = t.apply(&[0.7, 0.2, 0.1]);
        assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(q[0] > q[1] && q[1] > q[2] && q[0] < 0.7);
    }

    #[test]
    fn temperature_fit_softens_an_overconfident_multiclass_model() {
        let mut oof = Vec::new();
        let mut y = Vec::new();
        for i in 0..300 {
            let said = i % 3;
            oof.push(
                (0..3)
                    .map(|c| if c == said { 0.98 } else { 0.01 })
                    .collect(),
            );
            y.push(if i % 5 == 0 { (said + 1) % 3 } else { said }); // right 80% of the time
        }
        match Calibration::fit(&oof, &y, 3) {
            Calibration::Temperature { t } => assert!(t > 1.0, "{t}"),
            other => panic!("{other:?}"),
        }
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, Decode, Reader};
    impl Decode for Calibration {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Calibration::None,
                1 => Calibration::Platt {
                    a: decode(r),
                    b: decode(r),
                },
                2 => Calibration::Temperature { t: decode(r) },
                _ => r.bad_variant(Calibration::None),
            }
        }
    }
}
