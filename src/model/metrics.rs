//! Held-out performance, computed by the trainer and shown with every suggestion.
//!
//! Binary targets report precision, recall and F1 for the schema's positive class; with more
//! classes they are macro-averaged and AUC is the mean one-vs-rest AUC.

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
    let auc_for = |c: usize| {
        let scores: Vec<(f64, bool)> = truth
            .iter()
            .zip(proba)
            .map(|(t, p)| (p.get(c).copied().unwrap_or(0.0), *t == c))
            .collect();
        auc(&scores)
    };
    let (precision, recall, f1, auc) = if n_classes == 2 {
        let (p, r, f) = prf(positive);
        (p, r, f, auc_for(positive))
    } else {
        let k = n_classes as f64;
        let sums = (0..n_classes)
            .map(prf)
            .fold((0.0, 0.0, 0.0), |a, (p, r, f)| (a.0 + p, a.1 + r, a.2 + f));
        let auc_mean = (0..n_classes).map(auc_for).sum::<f64>() / k;
        (sums.0 / k, sums.1 / k, sums.2 / k, auc_mean)
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
