//! [native only] Fitting each model family and lifting out what inference needs: smartcore's
//! algorithms throughout, two of them (binary logistic regression, `lbfgs`; the random forest,
//! `forest`) in exact ports that skip smartcore's repeated work, and Gaussian naive Bayes in
//! one pass.

#[cfg(test)]
use smartcore::ensemble::random_forest_classifier::{
    RandomForestClassifier, RandomForestClassifierParameters,
};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::error::{Error, Result};
use crate::model::explain::MAX_ENUMERATED_FEATURES;
#[cfg(test)]
use crate::model::fitted::Tree;
use crate::model::fitted::{Family, Knn, Linear, Model, NaiveBayes};

/// A model family with fixed hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spec {
    /// Logistic regression with L2 strength `alpha`.
    Logistic {
        /// smartcore's `alpha`.
        alpha: f64,
    },
    /// Gaussian naive Bayes.
    NaiveBayes,
    /// Random forest.
    Forest {
        /// Trees.
        trees: u16,
        /// Maximum depth.
        max_depth: u16,
        /// Minimum rows per leaf.
        min_leaf: usize,
    },
    /// k-nearest neighbours.
    Knn {
        /// Neighbours.
        k: u32,
    },
}

impl Spec {
    /// The candidates tried for a data set with `n_features` schema features.
    pub fn candidates() -> Vec<Spec> {
        vec![
            Spec::Logistic { alpha: 0.1 },
            Spec::Logistic { alpha: 1.0 },
            Spec::Logistic { alpha: 10.0 },
            Spec::NaiveBayes,
            Spec::Forest {
                trees: 100,
                max_depth: 6,
                min_leaf: 3,
            },
            Spec::Knn { k: 5 },
            Spec::Knn { k: 15 },
        ]
    }

    /// The family.
    pub fn family(&self) -> Family {
        match self {
            Spec::Logistic { .. } => Family::Logistic,
            Spec::NaiveBayes => Family::NaiveBayes,
            Spec::Forest { .. } => Family::Forest,
            Spec::Knn { .. } => Family::Knn,
        }
    }

    /// Hyper-parameters in words.
    pub fn params(&self) -> String {
        match self {
            Spec::Logistic { alpha } => format!("alpha = {alpha}"),
            Spec::NaiveBayes => "variance from data".into(),
            Spec::Forest {
                trees,
                max_depth,
                min_leaf,
            } => {
                format!("{trees} trees, max depth {max_depth}, min {min_leaf} per leaf")
            }
            Spec::Knn { k } => format!("k = {k}, Euclidean, uniform weights"),
        }
    }

    /// Whether the chosen model could be explained exactly with `n_features` features.
    pub fn eligible(&self, n_features: usize) -> bool {
        !matches!(self, Spec::Knn { .. }) || n_features <= MAX_ENUMERATED_FEATURES
    }

    /// Fit on preprocessed rows `x` with classes `y` in `0..n_classes` (all present).
    pub fn fit(&self, x: &[Vec<f64>], y: &[usize], n_classes: usize, seed: u64) -> Result<Model> {
        let fail =
            |e: smartcore::error::Failed| Error::Training(format!("{}: {e}", self.family().name()));
        let yv: Vec<i32> = y.iter().map(|&c| c as i32).collect();
        let width = x.first().map_or(0, Vec::len);
        match *self {
            Spec::Logistic { alpha } if n_classes == 2 => {
                // smartcore's own optimiser, without its repeated passes (`lbfgs`): the same
                // bits in a third of the passes over the data.
                let fitted = super::lbfgs::fit_binary(x, y, alpha)?;
                Ok(Model::Logistic {
                    linear: Linear {
                        weights: vec![fitted.weights],
                        intercepts: vec![fitted.intercept],
                    },
                    alpha,
                })
            }
            Spec::Logistic { alpha } => {
                // More than two classes: smartcore's multinomial fit, on a row-major matrix
                // (the objective reads one row at a time; the default column-major layout
                // strides across the whole matrix for every input).
                let xm =
                    DenseMatrix::new(x.len(), width, x.iter().flatten().copied().collect(), false)
                        .map_err(fail)?;
                let params = LogisticRegressionParameters::default().with_alpha(alpha);
                let fitted = LogisticRegression::fit(&xm, &yv, params).map_err(fail)?;
                let (coef, icpt) = (fitted.coefficients(), fitted.intercept());
                let rows = coef.shape().0;
                Ok(Model::Logistic {
                    linear: Linear {
                        weights: (0..rows)
                            .map(|r| (0..width).map(|c| *coef.get((r, c))).collect())
                            .collect(),
                        intercepts: (0..rows).map(|r| *icpt.get((r, 0))).collect(),
                    },
                    alpha,
                })
            }
            Spec::NaiveBayes => {
                let fitted = gaussian_nb(x, y, n_classes);
                // A constant input within a class has zero variance; floor it as scikit-learn
                // does (1e-9 × the largest input variance) so densities stay finite.
                let floor = 1e-9 * max_variance(x).max(1e-12);
                Ok(Model::NaiveBayes(NaiveBayes {
                    vars: fitted
                        .vars
                        .iter()
                        .map(|r| r.iter().map(|v| v.max(floor)).collect())
                        .collect(),
                    ..fitted
                }))
            }
            Spec::Forest {
                trees,
                max_depth,
                min_leaf,
            } => {
                let mut model = Model::Forest {
                    // smartcore's forest, each column sorted once per forest instead of once
                    // per tree (`forest`): the same trees, bit for bit.
                    trees: super::forest::fit_forest(
                        x, y, n_classes, trees, max_depth, min_leaf, seed,
                    )?,
                    max_depth,
                    flat: Default::default(),
                };
                model.prepare(n_classes);
                Ok(model)
            }
            Spec::Knn { k } => Ok(Model::Knn(Knn {
                k,
                width: width as u32,
                x: x.iter().flatten().map(|&v| v as f32).collect(),
                y: y.iter().map(|&c| c as u16).collect(),
            })),
        }
    }
}

/// Gaussian naive Bayes fitted exactly as smartcore 0.7's `GaussianNB` does it (the same sums
/// in the same row order, so the same bits: `gaussian_nb_is_smartcores_bit_for_bit`), in one
/// pass. smartcore gathers each class's rows by chaining one boxed iterator per row, which
/// costs time quadratic in the rows: a quarter of all training time on 5,000 rows (profiled
/// with `perf`), and most of it on 50,000. Classes are `0..n_classes`, all present.
fn gaussian_nb(x: &[Vec<f64>], y: &[usize], n_classes: usize) -> NaiveBayes {
    let width = x.first().map_or(0, Vec::len);
    let mut count = vec![0usize; n_classes];
    let mut sum = vec![vec![0f64; width]; n_classes];
    let mut sum_sq = vec![vec![0f64; width]; n_classes];
    for (row, &c) in x.iter().zip(y) {
        count[c] += 1;
        for ((s, q), &v) in sum[c].iter_mut().zip(sum_sq[c].iter_mut()).zip(row) {
            *s += v;
            *q += v * v;
        }
    }
    let n = x.len() as f64;
    let mut means = Vec::with_capacity(n_classes);
    let mut vars = Vec::with_capacity(n_classes);
    for c in 0..n_classes {
        let div = count[c] as f64;
        // smartcore: the mean is `sum / n`; the variance `sum_sq / n − (sum / n)²`.
        means.push(sum[c].iter().map(|s| s / div).collect::<Vec<f64>>());
        vars.push(
            sum[c]
                .iter()
                .zip(&sum_sq[c])
                .map(|(s, q)| q / div - (s / div).powi(2))
                .collect::<Vec<f64>>(),
        );
    }
    NaiveBayes {
        priors: count.iter().map(|&k| k as f64 / n).collect(),
        means,
        vars,
    }
}

fn max_variance(x: &[Vec<f64>]) -> f64 {
    let n = x.len().max(1) as f64;
    let width = x.first().map_or(0, Vec::len);
    (0..width)
        .map(|j| {
            let mean = x.iter().map(|r| r[j]).sum::<f64>() / n;
            x.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n
        })
        .fold(0.0, f64::max)
}

/// smartcore keeps its trees private and its leaves hold only the majority class. Its serde
/// form exposes the node structure and each tree's in-bag rows (`keep_samples`), so we read the
/// structure from there and recount, per node, the in-bag training rows that reach it (the
/// cover, needed by TreeSHAP) and, per leaf, their classes (the leaf's probability), with the
/// same [`super::forest::lift_tree`] as the port of smartcore's forest.
#[cfg(test)]
pub(super) fn lift_forest(
    forest: &RandomForestClassifier<f64, i32, DenseMatrix<f64>, Vec<i32>>,
    x: &[Vec<f64>],
    y: &[usize],
    n_classes: usize,
) -> Result<Vec<Tree>> {
    let bad = |what: &str| {
        Error::Training(format!(
            "random forest: unexpected smartcore layout ({what})"
        ))
    };
    let value = serde_json::to_value(forest).map_err(|e| Error::Training(e.to_string()))?;
    let trees = value["trees"].as_array().ok_or_else(|| bad("trees"))?;
    let samples = value["samples"].as_array().ok_or_else(|| bad("samples"))?;
    trees
        .iter()
        .zip(samples)
        .map(|(t, in_bag)| {
            let raw = t["nodes"].as_array().ok_or_else(|| bad("nodes"))?;
            let nodes = raw
                .iter()
                .map(|n| {
                    let index = |k: &str| n[k].as_u64().and_then(|v| usize::try_from(v).ok());
                    Ok(super::forest::Split {
                        feature: index("split_feature").ok_or_else(|| bad("split_feature"))?,
                        value: n["split_value"].as_f64(),
                        children: index("true_child").zip(index("false_child")),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let in_bag = in_bag.as_array().ok_or_else(|| bad("in-bag rows"))?;
            super::forest::lift_tree(
                nodes,
                in_bag.iter().map(|used| used.as_bool() == Some(true)),
                x,
                y,
                n_classes,
            )
        })
        .collect()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// 160 rows, two continuous inputs, two classes (also the forest port's first data set).
    pub(in crate::train) fn data() -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rng = crate::train::split::Rng::new(11);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for _ in 0..160 {
            let a = rng.below(1000) as f64 / 250.0 - 2.0;
            let b = rng.below(1000) as f64 / 250.0 - 2.0;
            let noise = rng.below(100) as f64 / 100.0 - 0.5;
            y.push(usize::from(a + 0.5 * b + noise > 0.0));
            x.push(vec![a, b]);
        }
        (x, y)
    }

    #[test]
    fn gaussian_nb_is_smartcores_bit_for_bit() {
        use smartcore::naive_bayes::gaussian::{GaussianNB, GaussianNBParameters};
        let (mut x, mut y) = data();
        // Three classes, uneven, with values of many magnitudes.
        for (i, (r, c)) in x.iter_mut().zip(y.iter_mut()).enumerate() {
            r.push((i as f64 * 0.37).sin() * 1e3 + 1e-3 * i as f64);
            if i % 7 == 0 {
                *c = 2;
            }
        }
        let ours = gaussian_nb(&x, &y, 3);
        let xm = DenseMatrix::from_2d_vec(&x).unwrap();
        let yu: Vec<u32> = y.iter().map(|&c| c as u32).collect();
        let theirs = GaussianNB::fit(&xm, &yu, GaussianNBParameters::default()).unwrap();
        let bits = |v: &[Vec<f64>]| -> Vec<Vec<u64>> {
            v.iter()
                .map(|r| r.iter().map(|f| f.to_bits()).collect())
                .collect()
        };
        assert_eq!(
            bits(std::slice::from_ref(&ours.priors)),
            bits(&[theirs.class_priors().clone()])
        );
        assert_eq!(bits(&ours.means), bits(theirs.theta()));
        assert_eq!(bits(&ours.vars), bits(theirs.var()));
    }

    #[test]
    fn every_family_fits_and_predicts_sensibly() {
        let (x, y) = data();
        for spec in Spec::candidates() {
            let m = spec.fit(&x, &y, 2, 5).unwrap();
            m.check(2, 2).unwrap();
            let acc = x
                .iter()
                .zip(&y)
                .filter(|(r, &c)| crate::model::metrics::argmax(&m.predict_proba(r, 2)) == c)
                .count();
            assert!(acc as f64 / x.len() as f64 > 0.8, "{spec:?}: {acc}");
        }
    }

    #[test]
    fn lifted_forest_agrees_with_smartcore_majority_votes() {
        let (x, y) = data();
        let xm = DenseMatrix::from_2d_vec(&x).unwrap();
        let yv: Vec<i32> = y.iter().map(|&c| c as i32).collect();
        let params = RandomForestClassifierParameters::default()
            .with_n_trees(15)
            .with_max_depth(4)
            .with_min_samples_leaf(3)
            .with_keep_samples(true)
            .with_seed(3);
        let rf: RandomForestClassifier<f64, i32, DenseMatrix<f64>, Vec<i32>> =
            RandomForestClassifier::fit(&xm, &yv, params).unwrap();
        let trees = lift_forest(&rf, &x, &y, 2).unwrap();
        // Each lifted leaf's majority (from recounted in-bag rows) is smartcore's leaf output
        // in the vast majority of leaves; bootstrap multiplicities can tip close ones.
        let value = serde_json::to_value(&rf).unwrap();
        let (mut leaves, mut same) = (0, 0);
        for (t, raw) in trees.iter().zip(value["trees"].as_array().unwrap()) {
            for (n, r) in t.nodes.iter().zip(raw["nodes"].as_array().unwrap()) {
                if n.is_leaf() {
                    leaves += 1;
                    let majority = if n.counts[1] > n.counts[0] { 1 } else { 0 };
                    if majority == r["output"].as_u64().unwrap() as usize
                        || n.counts[0] == n.counts[1]
                    {
                        same += 1;
                    }
                }
            }
            // Covers add up.
            for n in &t.nodes {
                if !n.is_leaf() {
                    assert_eq!(
                        n.cover,
                        t.nodes[n.left as usize].cover + t.nodes[n.right as usize].cover
                    );
                }
            }
        }
        assert!(same as f64 / leaves as f64 > 0.9, "{same}/{leaves}");
    }
}
