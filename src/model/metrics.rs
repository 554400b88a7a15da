//! Held-out performance, computed by the trainer and shown with every suggestion.
//!
//! Binary targets report precision, recall and F1 for the schema's positive class; with more
//! classes they are macro-averaged and AUC is the mean one-vs-rest AUC.
//!
//! The AUC comes with a 95 % confidence interval ([`auc_ci`]): a test set of a hundred or two
//! patients leaves the AUC uncertain by several points, and an interval that reaches down to
//! 0.5 says the model may not tell patients apart at all.

// Loops over confusion matrices and calibration bins sized from the class count and the
// bin count it allocates itself.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

/// Test-set metrics for one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of test cases.
    pub n: u32,
    /// Fraction classified correctly (predicted class = most probable).
    pub accuracy: f64,
    /// Positive predictive value (macro average when multiclass).
    pub precision: f64,
    /// Sensitivity (macro average when multiclass).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Area under the ROC curve (mean one-vs-rest when multiclass).
    pub auc: f64,
    /// Mean negative log-probability of the true class.
    pub log_loss: f64,
    /// Brier score: mean squared error of the positive-class probability (binary) or the
    /// summed squared error over classes (multiclass).
    pub brier: f64,
    /// Expected calibration error over 10 equal-width bins of the positive-class probability
    /// (binary) or of the top-class confidence (multiclass).
    pub ece: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<u32>>,
}

/// Metrics of one subgroup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupMetrics {
    /// The group, e.g. "Age 30–39".
    pub label: crate::contract::schema::Text,
    /// Calibrated metrics within the group.
    pub metrics: Metrics,
}

/// One bin of a reliability (calibration) curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Mean predicted probability in the bin.
    pub predicted: f64,
    /// Observed frequency in the bin.
    pub observed: f64,
    /// Cases in the bin.
    pub n: u32,
}

/// The probability scored by the calibration measures: the positive class's (binary), else
/// the top class's confidence with "correct" as the outcome.
fn scored(
    truth: &[usize],
    proba: &[Vec<f64>],
    n_classes: usize,
    positive: usize,
) -> Vec<(f64, bool)> {
    truth
        .iter()
        .zip(proba)
        .map(|(&t, p)| {
            if n_classes == 2 {
                (p.get(positive).copied().unwrap_or(0.0), t == positive)
            } else {
                let top = argmax(p);
                (p.get(top).copied().unwrap_or(0.0), t == top)
            }
        })
        .collect()
}

/// Reliability curve: 10 equal-width bins; empty bins are left out.
pub fn reliability(
    truth: &[usize],
    proba: &[Vec<f64>],
    n_classes: usize,
    positive: usize,
) -> Vec<Bin> {
    let mut sums = [(0.0f64, 0.0f64, 0u32); 10];
    for (p, hit) in scored(truth, proba, n_classes, positive) {
        let b = ((p * 10.0).floor() as usize).min(9);
        sums[b].0 += p;
        sums[b].1 += if hit { 1.0 } else { 0.0 };
        sums[b].2 += 1;
    }
    sums.iter()
        .filter(|s| s.2 > 0)
        .map(|&(p, o, n)| Bin {
            predicted: p / f64::from(n),
            observed: o / f64::from(n),
            n,
        })
        .collect()
}

/// ROC curve of the positive class (one-vs-rest): (false positive rate, true positive rate)
/// points from (0, 0) to (1, 1), one per distinct threshold.
pub fn roc_curve(truth: &[usize], proba: &[Vec<f64>], positive: usize) -> Vec<(f64, f64)> {
    let mut s: Vec<(f64, bool)> = truth
        .iter()
        .zip(proba)
        .map(|(&t, p)| (p.get(positive).copied().unwrap_or(0.0), t == positive))
        .collect();
    s.sort_by(|a, b| b.0.total_cmp(&a.0));
    let pos = s.iter().filter(|v| v.1).count().max(1) as f64;
    let neg = s.iter().filter(|v| !v.1).count().max(1) as f64;
    let mut out = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    for (i, &(score, hit)) in s.iter().enumerate() {
        if hit {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if s.get(i + 1).is_none_or(|next| next.0 != score) {
            out.push((fp / neg, tp / pos));
        }
    }
    out
}

/// Index of the largest probability (first on ties).
pub fn argmax(p: &[f64]) -> usize {
    p.iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, &v)| {
            if v > best.1 {
                (i, v)
            } else {
                best
            }
        })
        .0
}

/// Compute all metrics. `truth[i]` is a class index, `proba[i]` that case's probabilities.
pub fn evaluate(truth: &[usize], proba: &[Vec<f64>], n_classes: usize, positive: usize) -> Metrics {
    let mut confusion = vec![vec![0u32; n_classes]; n_classes];
    for (t, p) in truth.iter().zip(proba) {
        let pred = argmax(p);
        if let Some(cell) = confusion.get_mut(*t).and_then(|row| row.get_mut(pred)) {
            *cell += 1;
        }
    }
    let n = truth.len();
    let correct: u32 = (0..n_classes).map(|c| confusion[c][c]).sum();
    let prf = |c: usize| {
        let tp = f64::from(confusion[c][c]);
        let predicted: f64 = (0..n_classes).map(|r| f64::from(confusion[r][c])).sum();
        let actual: f64 = confusion[c].iter().map(|&v| f64::from(v)).sum();
        let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
        let recall = if actual > 0.0 { tp / actual } else { 0.0 };
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        (precision, recall, f1)
    };
    let auc_for = |c: usize| auc(&one_vs_rest(truth, proba, c));
    let (precision, recall, f1, auc) = if n_classes == 2 {
        let (p, r, f) = prf(positive);
        (p, r, f, auc_for(positive))
    } else {
        let k = n_classes as f64;
        let sums = (0..n_classes)
            .map(prf)
            .fold((0.0, 0.0, 0.0), |a, (p, r, f)| (a.0 + p, a.1 + r, a.2 + f));
        (
            sums.0 / k,
            sums.1 / k,
            sums.2 / k,
            macro_auc(truth, proba, n_classes),
        )
    };
    let nf = n.max(1) as f64;
    let log_loss = truth
        .iter()
        .zip(proba)
        .map(|(&t, p)| -p.get(t).copied().unwrap_or(0.0).clamp(1e-15, 1.0).ln())
        .sum::<f64>()
        / nf;
    let brier = if n_classes == 2 {
        truth
            .iter()
            .zip(proba)
            .map(|(&t, p)| {
                (p.get(positive).copied().unwrap_or(0.0) - if t == positive { 1.0 } else { 0.0 })
                    .powi(2)
            })
            .sum::<f64>()
            / nf
    } else {
        truth
            .iter()
            .zip(proba)
            .map(|(&t, p)| {
                p.iter()
                    .enumerate()
                    .map(|(c, &v)| (v - if c == t { 1.0 } else { 0.0 }).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / nf
    };
    let ece = reliability(truth, proba, n_classes, positive)
        .iter()
        .map(|b| f64::from(b.n) / nf * (b.predicted - b.observed).abs())
        .sum();
    Metrics {
        n: n as u32,
        log_loss,
        brier,
        ece,
        accuracy: if n > 0 {
            f64::from(correct) / n as f64
        } else {
            0.0
        },
        precision,
        recall,
        f1,
        auc,
        confusion,
    }
}

/// Class `c`'s probability and whether it is the true class, per case.
fn one_vs_rest(truth: &[usize], proba: &[Vec<f64>], c: usize) -> Vec<(f64, bool)> {
    truth
        .iter()
        .zip(proba)
        .map(|(t, p)| (p.get(c).copied().unwrap_or(0.0), *t == c))
        .collect()
}

/// Mean one-vs-rest AUC over the classes (`NaN` when a class is absent).
fn macro_auc(truth: &[usize], proba: &[Vec<f64>], n_classes: usize) -> f64 {
    (0..n_classes)
        .map(|c| auc(&one_vs_rest(truth, proba, c)))
        .sum::<f64>()
        / n_classes.max(1) as f64
}

/// The 97.5th percentile of the standard normal distribution.
const Z_95: f64 = 1.959_963_984_540_054;

/// Bootstrap resamples for the multiclass AUC interval.
pub const AUC_BOOTSTRAP: usize = 2000;

/// 95 % confidence interval of the AUC that [`evaluate`] reports for these cases.
///
/// - Binary: DeLong's method (DeLong, DeLong & Clarke-Pearson 1988, in the midrank form of
///   Sun & Xu 2014: [`delong`]), a normal interval on the logit scale, so it stays inside
///   (0, 1) and is asymmetric near 1 as the AUC's sampling distribution is. An AUC of exactly 0
///   or 1 (perfect separation) has DeLong variance 0 and gives the point itself; with fewer
///   than two cases of either class the variance cannot be estimated and the interval is the
///   whole (0, 1).
/// - Multiclass (mean one-vs-rest AUC, which has no closed-form variance): a percentile
///   bootstrap of [`AUC_BOOTSTRAP`] resamples drawn with `seed`, stratified by true class
///   (each class is resampled with replacement to its own size, so every resample has every
///   class and an AUC).
///
/// `NaN` bounds when a class is absent (the AUC itself is then `NaN`).
pub fn auc_ci(
    truth: &[usize],
    proba: &[Vec<f64>],
    n_classes: usize,
    positive: usize,
    seed: u64,
) -> (f64, f64) {
    if n_classes == 2 {
        return delong_ci(&one_vs_rest(truth, proba, positive));
    }
    if !macro_auc(truth, proba, n_classes).is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let by_class: Vec<Vec<usize>> = (0..n_classes)
        .map(|c| (0..truth.len()).filter(|&i| truth[i] == c).collect())
        .collect();
    let mut rng = crate::util::rng::Rng::new(seed ^ 0xa0c0_c1b0_0757_a9b5);
    let mut aucs: Vec<f64> = Vec::with_capacity(AUC_BOOTSTRAP);
    let (mut t, mut p) = (
        Vec::with_capacity(truth.len()),
        Vec::with_capacity(truth.len()),
    );
    for _ in 0..AUC_BOOTSTRAP {
        t.clear();
        p.clear();
        for idx in &by_class {
            for _ in 0..idx.len() {
                let i = idx[rng.below(idx.len())];
                t.push(truth[i]);
                p.push(proba[i].clone());
            }
        }
        aucs.push(macro_auc(&t, &p, n_classes));
    }
    aucs.sort_by(f64::total_cmp);
    // Nearest-rank percentiles: the 50th and the 1950th of 2000.
    let rank = |q: f64| ((q * AUC_BOOTSTRAP as f64).ceil() as usize).clamp(1, AUC_BOOTSTRAP) - 1;
    (aucs[rank(0.025)], aucs[rank(0.975)])
}

/// DeLong's interval for a binary AUC (see [`auc_ci`]).
fn delong_ci(scores: &[(f64, bool)]) -> (f64, f64) {
    let Some((auc, var)) = delong(scores) else {
        let n_pos = scores.iter().filter(|s| s.1).count();
        return if n_pos == 0 || n_pos == scores.len() {
            (f64::NAN, f64::NAN)
        } else {
            (0.0, 1.0)
        };
    };
    if auc <= 0.0 || auc >= 1.0 || var <= 0.0 {
        return (auc, auc);
    }
    let logit = (auc / (1.0 - auc)).ln();
    // Delta method: d logit(A) / dA = 1 / (A (1 − A)).
    let se = var.sqrt() / (auc * (1.0 - auc));
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    (sigmoid(logit - Z_95 * se), sigmoid(logit + Z_95 * se))
}

/// The AUC and its DeLong variance, `S₁₀ / m + S₀₁ / n`: with `m` positives and `n` negatives,
/// `V₁₀(i)` is the share of negatives positive `i` outscores (ties half), `V₀₁(j)` the share of
/// positives that outscore negative `j`, and `S₁₀`, `S₀₁` their sample variances. Each `V` is
/// found from sorted scores by binary search (the midrank idea of Sun & Xu 2014), so the cost
/// is `O(N log N)`. `None` with fewer than two positives or negatives.
pub fn delong(scores: &[(f64, bool)]) -> Option<(f64, f64)> {
    let mut pos: Vec<f64> = scores.iter().filter(|s| s.1).map(|s| s.0).collect();
    let mut neg: Vec<f64> = scores.iter().filter(|s| !s.1).map(|s| s.0).collect();
    if pos.len() < 2 || neg.len() < 2 {
        return None;
    }
    pos.sort_by(f64::total_cmp);
    neg.sort_by(f64::total_cmp);
    // Share of `of` below `x`, ties counted half.
    let share_below = |of: &[f64], x: f64| {
        let below = of.partition_point(|&v| v < x);
        let not_above = of.partition_point(|&v| v <= x);
        (below as f64 + (not_above - below) as f64 / 2.0) / of.len() as f64
    };
    let v10: Vec<f64> = pos.iter().map(|&x| share_below(&neg, x)).collect();
    let v01: Vec<f64> = neg.iter().map(|&y| 1.0 - share_below(&pos, y)).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var =
        |v: &[f64], m: f64| v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
    let auc = mean(&v10);
    let variance = var(&v10, auc) / v10.len() as f64 + var(&v01, mean(&v01)) / v01.len() as f64;
    Some((auc, variance))
}

/// ROC AUC by the Mann–Whitney statistic, ties counted half. `NaN` when a class is absent.
pub fn auc(scores: &[(f64, bool)]) -> f64 {
    let mut sorted: Vec<(f64, bool)> = scores.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n_pos = sorted.iter().filter(|s| s.1).count() as f64;
    let n_neg = sorted.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    // Sum of (average) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg_rank * sorted[i..=j].iter().filter(|s| s.1).count() as f64;
        i = j + 1;
    }
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_matches_hand_count() {
        // positives 0.8, 0.4; negatives 0.5, 0.1 → pairs won: (0.8>0.5),(0.8>0.1),(0.4>0.1) = 3/4
        let s = [(0.8, true), (0.4, true), (0.5, false), (0.1, false)];
        assert_eq!(auc(&s), 0.75);
        assert_eq!(auc(&[(0.5, true), (0.5, false)]), 0.5);
        assert!(auc(&[(0.5, true)]).is_nan());
    }

    #[test]
    fn delong_variance_matches_a_hand_computation_with_a_tie() {
        // Positives 0.9, 0.6, 0.4; negatives 0.6, 0.3, 0.2.
        // V10 (share of negatives each positive beats, ties half): 1, 5/6, 2/3 → AUC 5/6.
        // V01 (share of positives beating each negative): 1/2, 1, 1 → mean 5/6.
        // S10 = ((1/6)² + 0 + (1/6)²) / 2 = 1/36; S01 = ((1/3)² + (1/6)² + (1/6)²) / 2 = 1/12.
        // Var = S10/3 + S01/3 = 1/108 + 1/36 = 1/27.
        let s = [
            (0.9, true),
            (0.6, true),
            (0.4, true),
            (0.6, false),
            (0.3, false),
            (0.2, false),
        ];
        let (auc_value, var) = delong(&s).unwrap();
        assert!((auc_value - 5.0 / 6.0).abs() < 1e-12);
        assert!((auc_value - auc(&s)).abs() < 1e-12);
        assert!((var - 1.0 / 27.0).abs() < 1e-12, "{var}");
        // Logit scale: logit(5/6) = ln 5, SE = sqrt(1/27) / (5/6 · 1/6).
        let se = (1.0f64 / 27.0).sqrt() / (5.0 / 36.0);
        let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
        let want = (sig(5f64.ln() - Z_95 * se), sig(5f64.ln() + Z_95 * se));
        let truth = [1, 1, 1, 0, 0, 0];
        let proba: Vec<Vec<f64>> = s.iter().map(|p| vec![1.0 - p.0, p.0]).collect();
        let got = auc_ci(&truth, &proba, 2, 1, 0);
        assert!((got.0 - want.0).abs() < 1e-12 && (got.1 - want.1).abs() < 1e-12);
        // ≈ (0.249, 0.987): three cases a side say little.
        assert!(
            (got.0 - 0.2486).abs() < 1e-3 && (got.1 - 0.9869).abs() < 1e-3,
            "{got:?}"
        );
        assert_eq!(delong(&s[..4]), None);
        assert_eq!(delong(&[(0.1, true), (0.2, false), (0.3, false)]), None);
    }

    #[test]
    fn a_separating_score_has_an_interval_at_1_and_a_random_one_contains_a_half() {
        let truth: Vec<usize> = (0..100).map(|i| i % 2).collect();
        let perfect: Vec<Vec<f64>> = truth
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let p = if c == 1 { 0.6 } else { 0.1 } + i as f64 / 1000.0;
                vec![1.0 - p, p]
            })
            .collect();
        let (lo, hi) = auc_ci(&truth, &perfect, 2, 1, 0);
        assert!(lo > 0.99 && hi <= 1.0, "{lo} {hi}");
        let mut rng = crate::util::rng::Rng::new(42);
        let truth: Vec<usize> = (0..200).map(|_| rng.below(2)).collect();
        let random: Vec<Vec<f64>> = (0..200)
            .map(|_| {
                let p = rng.below(1000) as f64 / 1000.0;
                vec![1.0 - p, p]
            })
            .collect();
        let (lo, hi) = auc_ci(&truth, &random, 2, 1, 0);
        let a = evaluate(&truth, &random, 2, 1).auc;
        assert!(lo < 0.5 && 0.5 < hi, "{lo} {a} {hi}");
        assert!(lo < a && a < hi);
        // About ±0.08 with 100 a side.
        assert!(hi - lo > 0.1 && hi - lo < 0.25, "{lo} {hi}");
        // One positive: no variance to estimate, the interval is everything; none: NaN.
        let (lo, hi) = auc_ci(
            &[1, 0, 0],
            &[vec![0.2, 0.8], vec![0.5, 0.5], vec![0.9, 0.1]],
            2,
            1,
            0,
        );
        assert_eq!((lo, hi), (0.0, 1.0));
        assert!(auc_ci(&[0, 0], &[vec![0.5, 0.5], vec![0.9, 0.1]], 2, 1, 0)
            .0
            .is_nan());
    }

    #[test]
    fn the_multiclass_interval_is_a_seeded_bootstrap_around_the_macro_auc() {
        let mut rng = crate::util::rng::Rng::new(5);
        let mut truth = Vec::new();
        let mut proba = Vec::new();
        for i in 0..240 {
            let c = i % 3;
            // The true class gets a bonus half the time: informative, not perfect.
            let mut p: Vec<f64> = (0..3).map(|_| rng.below(100) as f64 + 1.0).collect();
            if rng.below(2) == 0 {
                p[c] += 80.0;
            }
            let sum: f64 = p.iter().sum();
            truth.push(c);
            proba.push(p.iter().map(|v| v / sum).collect::<Vec<f64>>());
        }
        let a = evaluate(&truth, &proba, 3, 0).auc;
        let (lo, hi) = auc_ci(&truth, &proba, 3, 0, 11);
        assert!(lo < a && a < hi && lo > 0.5 && hi < 1.0, "{lo} {a} {hi}");
        assert_eq!(auc_ci(&truth, &proba, 3, 0, 11), (lo, hi), "seeded");
        assert_ne!(auc_ci(&truth, &proba, 3, 0, 12), (lo, hi));
        let perfect: Vec<Vec<f64>> = truth
            .iter()
            .map(|&c| (0..3).map(|k| if k == c { 0.8 } else { 0.1 }).collect())
            .collect();
        assert_eq!(auc_ci(&truth, &perfect, 3, 0, 1), (1.0, 1.0));
        assert!(auc_ci(&[0, 1, 1], &perfect[..3], 3, 0, 1).0.is_nan());
    }

    #[test]
    fn binary_metrics_from_confusion() {
        let truth = [1, 1, 0, 0, 1];
        let proba = vec![
            vec![0.2, 0.8], // TP
            vec![0.6, 0.4], // FN
            vec![0.7, 0.3], // TN
            vec![0.4, 0.6], // FP
            vec![0.1, 0.9], // TP
        ];
        let m = evaluate(&truth, &proba, 2, 1);
        assert_eq!(m.confusion, vec![vec![1, 1], vec![1, 2]]);
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
        // positives 0.8, 0.4, 0.9 vs negatives 0.3, 0.6: wins 2+1+2 = 5 of 6
        assert!((m.auc - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn calibration_measures_by_hand() {
        let truth = [1, 0, 1, 0];
        let proba = vec![
            vec![0.1, 0.9],
            vec![0.8, 0.2],
            vec![0.4, 0.6],
            vec![0.3, 0.7],
        ];
        let m = evaluate(&truth, &proba, 2, 1);
        let brier = (0.01 + 0.04 + 0.16 + 0.49) / 4.0;
        assert!((m.brier - brier).abs() < 1e-12);
        let ll = -(0.9f64.ln() + 0.8f64.ln() + 0.6f64.ln() + 0.3f64.ln()) / 4.0;
        assert!((m.log_loss - ll).abs() < 1e-12);
        // bins: 0.2 → observed 0; 0.6 → 1; 0.7 → 0; 0.9 → 1 ⇒ |0.2|+|0.4|+|0.7|+|0.1| over 4
        assert!((m.ece - (0.2 + 0.4 + 0.7 + 0.1) / 4.0).abs() < 1e-12);
        let roc = roc_curve(&truth, &proba, 1);
        assert_eq!(roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.last(), Some(&(1.0, 1.0)));
    }

    #[test]
    fn multiclass_is_macro_averaged() {
        let truth = [0, 1, 2];
        let proba = vec![
            vec![0.8, 0.1, 0.1],
            vec![0.1, 0.8, 0.1],
            vec![0.1, 0.1, 0.8],
        ];
        let m = evaluate(&truth, &proba, 3, 0);
        assert_eq!(
            (m.accuracy, m.precision, m.recall, m.f1, m.auc),
            (1.0, 1.0, 1.0, 1.0, 1.0)
        );
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::decode_struct;
    decode_struct!(Metrics {
        n,
        accuracy,
        precision,
        recall,
        f1,
        auc,
        log_loss,
        brier,
        ece,
        confusion
    });
    decode_struct!(Bin {
        predicted,
        observed,
        n
    });
    decode_struct!(SubgroupMetrics { label, metrics });
}
