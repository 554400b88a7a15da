//! The fitted models a bundle can carry, reduced to what inference needs.
//!
//! Training uses smartcore natively; what ships is the fitted parameters in a plain form (for
//! logistic regression: coefficients and intercepts exactly as smartcore fitted them). The
//! browser therefore carries a few lines of arithmetic instead of a machine-learning library,
//! and the same parameters give exact per-feature explanations later.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A linear model on the preprocessed inputs.
///
/// Binary: one row; `P(class 1) = σ(w·x + b)`, as smartcore's binary logistic regression.
/// Multiclass: one row per class; probabilities are the softmax of the rows' scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// Coefficient rows.
    pub weights: Vec<Vec<f64>>,
    /// One intercept per row.
    pub intercepts: Vec<f64>,
}

/// Every model family a bundle can hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Model {
    /// L2-regularised logistic regression (smartcore `LogisticRegression`).
    Logistic {
        /// Fitted parameters.
        linear: Linear,
        /// Regularisation strength used in training.
        alpha: f64,
    },
}

impl Model {
    /// Human-readable name of the family, for the model basis shown with results.
    pub fn family(&self) -> &'static str {
        match self {
            Model::Logistic { .. } => "logistic regression (smartcore)",
        }
    }

    /// Check the model fits `width` inputs and `n_classes` outputs.
    pub fn check(&self, width: usize, n_classes: usize) -> Result<()> {
        match self {
            Model::Logistic { linear, .. } => {
                let rows = if n_classes == 2 { 1 } else { n_classes };
                let finite = linear
                    .weights
                    .iter()
                    .flatten()
                    .chain(&linear.intercepts)
                    .all(|v| v.is_finite());
                if linear.weights.len() != rows
                    || linear.intercepts.len() != rows
                    || linear.weights.iter().any(|w| w.len() != width)
                    || !finite
                {
                    return Err(Error::InconsistentBundle(format!(
                        "logistic model shape does not match {width} inputs and {n_classes} classes"
                    )));
                }
                Ok(())
            }
        }
    }

    /// Class probabilities for one preprocessed input (sums to 1).
    pub fn predict_proba(&self, x: &[f64]) -> Vec<f64> {
        match self {
            Model::Logistic { linear, .. } => {
                let scores: Vec<f64> = linear
                    .weights
                    .iter()
                    .zip(&linear.intercepts)
                    .map(|(w, b)| w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + b)
                    .collect();
                if let [z] = scores[..] {
                    let p = sigmoid(z);
                    vec![1.0 - p, p]
                } else {
                    softmax(&scores)
                }
            }
        }
    }
}

/// Logistic function, stable for large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Softmax, shifted by the maximum so it never overflows.
pub fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn binary() -> Model {
        Model::Logistic {
            linear: Linear {
                weights: vec![vec![2.0, -1.0]],
                intercepts: vec![0.5],
            },
            alpha: 0.0,
        }
    }

    #[test]
    fn binary_is_sigmoid_of_score() {
        let p = binary().predict_proba(&[1.0, 1.0]);
        let expected = 1.0 / (1.0 + (-1.5f64).exp());
        assert!((p[1] - expected).abs() < 1e-15);
        assert!((p[0] + p[1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn shape_check_catches_mismatch() {
        assert!(binary().check(2, 2).is_ok());
        assert!(binary().check(3, 2).is_err());
        assert!(binary().check(2, 3).is_err());
    }

    proptest! {
        #[test]
        fn probabilities_sum_to_one(scores in prop::collection::vec(-800.0f64..800.0, 2..6), z in -800.0f64..800.0) {
            let p = softmax(&scores);
            prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
            let s = sigmoid(z);
            prop_assert!((0.0..=1.0).contains(&s) && s.is_finite());
        }
    }
}
