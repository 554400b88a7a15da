//! The fitted models a bundle can carry, reduced to what inference needs.
//!
//! Training uses smartcore natively; what ships is the fitted parameters in a plain form:
//! logistic regression's coefficients, Gaussian naive Bayes' means, variances and priors, the
//! random forest's trees (with per-leaf class counts recovered from the training rows, because
//! smartcore's leaves keep only the majority class), and for k-nearest neighbours the
//! preprocessed training cases. The browser therefore carries a few loops of arithmetic, and
//! the same parameters give exact explanations (`explain`).

// Weights, means and tree nodes are indexed by class and input; `Model::check` verified
// every shape (and every tree's child and feature indices) when the bundle was loaded.
#![allow(clippy::indexing_slicing)]

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

impl Linear {
    /// Row scores `w·x + b`.
    pub fn scores(&self, x: &[f64]) -> Vec<f64> {
        self.weights
            .iter()
            .zip(&self.intercepts)
            .map(|(w, b)| w.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + b)
            .collect()
    }
}

/// Gaussian naive Bayes: per class a prior and, per input, a mean and a variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveBayes {
    /// Class priors.
    pub priors: Vec<f64>,
    /// `means[class][input]`.
    pub means: Vec<Vec<f64>>,
    /// `vars[class][input]` (strictly positive).
    pub vars: Vec<Vec<f64>>,
}

impl NaiveBayes {
    /// `log N(x; mean, var)` of input `j` under class `c`.
    pub fn log_density(&self, c: usize, j: usize, x: f64) -> f64 {
        let m = self.means[c][j];
        let v = self.vars[c][j];
        -0.5 * (2.0 * std::f64::consts::PI * v).ln() - (x - m).powi(2) / (2.0 * v)
    }

    /// Joint log-likelihood `log π_c + Σ_j log N(x_j)` per class.
    pub fn joint_log_likelihood(&self, x: &[f64]) -> Vec<f64> {
        (0..self.priors.len())
            .map(|c| {
                self.priors[c].ln()
                    + x.iter()
                        .enumerate()
                        .map(|(j, &v)| self.log_density(c, j, v))
                        .sum::<f64>()
            })
            .collect()
    }
}

/// One node of a decision tree. A node with `left == right == 0` is a leaf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Input index tested (internal nodes).
    pub feature: u32,
    /// Go left when `x[feature] <= threshold` (smartcore's rule).
    pub threshold: f64,
    /// Left child index (0 for a leaf; the root is never a child).
    pub left: u32,
    /// Right child index.
    pub right: u32,
    /// Training rows that reach this node (the tree's in-bag rows).
    pub cover: u32,
    /// Leaves: training rows per class. Empty for internal nodes.
    pub counts: Vec<u32>,
}

impl Node {
    /// Whether this node is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.left == 0 && self.right == 0
    }
}

/// One step down a tree: left when `x[feature] <= threshold` (smartcore's rule; a missing
/// input, NaN, goes right).
fn step(x: &[f64], feature: u32, threshold: f64, left: u32, right: u32) -> usize {
    let v = x.get(feature as usize).copied().unwrap_or(f64::NAN);
    (if v <= threshold { left } else { right }) as usize
}

/// A decision tree as a flat node list, root first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Nodes, root at index 0.
    pub nodes: Vec<Node>,
}

impl Tree {
    /// The leaf `x` falls into.
    pub fn leaf(&self, x: &[f64]) -> Option<&Node> {
        let mut i = 0usize;
        for _ in 0..=self.nodes.len() {
            let node = self.nodes.get(i)?;
            if node.is_leaf() {
                return Some(node);
            }
            i = step(x, node.feature, node.threshold, node.left, node.right);
        }
        None // a cycle: refused by `check`, never reached
    }

    /// Class distribution at a leaf.
    pub fn leaf_proba(node: &Node, n_classes: usize) -> Vec<f64> {
        let mut p = vec![0.0; n_classes];
        Tree::add_leaf_proba(node, &mut p);
        p
    }

    /// The share of `class` at a leaf (`n_classes` classes); no allocation, for the
    /// explanation's inner loops.
    pub fn leaf_class_proba(node: &Node, n_classes: usize, class: usize) -> f64 {
        let total: u32 = node.counts.iter().sum();
        if total == 0 {
            1.0 / n_classes.max(1) as f64
        } else {
            f64::from(node.counts.get(class).copied().unwrap_or(0)) / f64::from(total)
        }
    }

    /// Add the class distribution at a leaf to `acc` (one entry per class).
    pub fn add_leaf_proba(node: &Node, acc: &mut [f64]) {
        let total: u32 = node.counts.iter().sum();
        let uniform = 1.0 / acc.len().max(1) as f64;
        for (c, a) in acc.iter_mut().enumerate() {
            *a += if total == 0 {
                uniform
            } else {
                f64::from(node.counts.get(c).copied().unwrap_or(0)) / f64::from(total)
            };
        }
    }
}

/// k-nearest neighbours over the preprocessed training cases (Euclidean, uniform weights, as
/// smartcore's default). The cases are stored as f32 to keep the bundle small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Knn {
    /// Neighbours consulted.
    pub k: u32,
    /// Inputs per case.
    pub width: u32,
    /// Cases, row-major.
    pub x: Vec<f32>,
    /// Class index per case.
    pub y: Vec<u16>,
}

impl Knn {
    /// Class shares among the `k` nearest cases (ties broken by case order).
    pub fn proba(&self, x: &[f64], n_classes: usize) -> Vec<f64> {
        let w = self.width as usize;
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(self.k as usize + 1);
        for (i, row) in self.x.chunks_exact(w.max(1)).enumerate() {
            let d: f64 = row
                .iter()
                .zip(x)
                .map(|(&a, &b)| (f64::from(a) - b).powi(2))
                .sum();
            if best.len() < self.k as usize || best.last().is_some_and(|&(bd, _)| d < bd) {
                let pos = best.partition_point(|&(bd, _)| bd <= d);
                best.insert(pos, (d, i));
                best.truncate(self.k as usize);
            }
        }
        let mut votes = vec![0.0; n_classes];
        for &(_, i) in &best {
            if let Some(v) = self.y.get(i).and_then(|&c| votes.get_mut(c as usize)) {
                *v += 1.0;
            }
        }
        let n = best.len().max(1) as f64;
        votes.iter().map(|v| v / n).collect()
    }
}

/// A forest's trees in one flat node array with each leaf's class distribution precomputed:
/// a single-patient prediction walks a few hundred 24-byte nodes in one allocation instead of
/// chasing each node's and each leaf's own heap vectors. Built from the trees when a bundle is
/// loaded ([`Model::prepare`]); it is a cache of them, so it is neither stored nor compared.
#[derive(Debug, Clone, Default)]
pub struct FlatForest {
    nodes: Vec<FlatNode>,
    roots: Vec<u32>,
    /// `n_classes` probabilities per leaf.
    leaves: Vec<f64>,
    n_classes: usize,
}

#[derive(Debug, Clone, Copy)]
struct FlatNode {
    threshold: f64,
    /// Input index, or [`FlatNode::LEAF`].
    feature: u32,
    /// Internal node: left child (absolute index). Leaf: its index in `leaves`.
    left: u32,
    right: u32,
}

impl FlatNode {
    const LEAF: u32 = u32::MAX;
}

impl PartialEq for FlatForest {
    /// A cache of the trees: two forests are equal when their trees are.
    fn eq(&self, _: &FlatForest) -> bool {
        true
    }
}

impl FlatForest {
    /// Lay out `trees` (already checked: children in range, no cycles) for `n_classes`.
    pub fn new(trees: &[Tree], n_classes: usize) -> FlatForest {
        let mut flat = FlatForest {
            n_classes,
            ..FlatForest::default()
        };
        for tree in trees {
            let base = flat.nodes.len() as u32;
            flat.roots.push(base);
            for node in &tree.nodes {
                flat.nodes.push(if node.is_leaf() {
                    let leaf = (flat.leaves.len() / n_classes.max(1)) as u32;
                    flat.leaves.extend(Tree::leaf_proba(node, n_classes));
                    FlatNode {
                        threshold: 0.0,
                        feature: FlatNode::LEAF,
                        left: leaf,
                        right: 0,
                    }
                } else {
                    FlatNode {
                        threshold: node.threshold,
                        feature: node.feature,
                        left: base + node.left,
                        right: base + node.right,
                    }
                });
            }
        }
        flat
    }

    /// Add each tree's leaf distribution for `x` to `acc`. False (and nothing added) when the
    /// layout is absent or for another number of classes, so the caller walks the trees.
    fn predict(&self, x: &[f64], acc: &mut [f64]) -> bool {
        if self.roots.is_empty() || self.n_classes != acc.len() {
            return false;
        }
        let k = self.n_classes;
        for &root in &self.roots {
            let mut i = root as usize;
            // Every path ends at a leaf (checked on load); the bound only guards termination.
            for _ in 0..self.nodes.len() {
                let Some(node) = self.nodes.get(i) else { break };
                if node.feature == FlatNode::LEAF {
                    let at = node.left as usize * k;
                    if let Some(p) = self.leaves.get(at..at + k) {
                        acc.iter_mut().zip(p).for_each(|(a, p)| *a += p);
                    }
                    break;
                }
                i = step(x, node.feature, node.threshold, node.left, node.right);
            }
        }
        true
    }
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
    /// Gaussian naive Bayes (smartcore `GaussianNB`).
    NaiveBayes(NaiveBayes),
    /// Random forest (smartcore `RandomForestClassifier`); probability = mean leaf distribution.
    Forest {
        /// The trees.
        trees: Vec<Tree>,
        /// Maximum depth used in training.
        max_depth: u16,
        /// The trees laid out for prediction ([`Model::prepare`]); not stored in the bundle.
        #[serde(skip)]
        flat: FlatForest,
    },
    /// k-nearest neighbours (smartcore `KNNClassifier`).
    Knn(Knn),
}

/// The model families, for reports and the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Family {
    /// Logistic regression.
    Logistic,
    /// Gaussian naive Bayes.
    NaiveBayes,
    /// Random forest.
    Forest,
    /// k-nearest neighbours.
    Knn,
}

impl Family {
    /// English name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Logistic => "logistic regression",
            Family::NaiveBayes => "Gaussian naive Bayes",
            Family::Forest => "random forest",
            Family::Knn => "k-nearest neighbours",
        }
    }

    /// 简体中文 name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Family::Logistic => "逻辑回归",
            Family::NaiveBayes => "高斯朴素贝叶斯",
            Family::Forest => "随机森林",
            Family::Knn => "k 近邻",
        }
    }
}

impl Model {
    /// The model's family.
    pub fn family(&self) -> Family {
        match self {
            Model::Logistic { .. } => Family::Logistic,
            Model::NaiveBayes(_) => Family::NaiveBayes,
            Model::Forest { .. } => Family::Forest,
            Model::Knn(_) => Family::Knn,
        }
    }

    /// Check the model fits `width` inputs and `n_classes` outputs, so inference never
    /// indexes out of bounds on a hand-made or damaged bundle.
    pub fn check(&self, width: usize, n_classes: usize) -> Result<()> {
        let bad = |what: &str| {
            Err(Error::InconsistentBundle(format!(
                "{what} does not match {width} inputs and {n_classes} classes"
            )))
        };
        let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        match self {
            Model::Logistic { linear, .. } => {
                let rows = if n_classes == 2 { 1 } else { n_classes };
                if linear.weights.len() != rows
                    || linear.intercepts.len() != rows
                    || linear
                        .weights
                        .iter()
                        .any(|w| w.len() != width || !finite(w))
                    || !finite(&linear.intercepts)
                {
                    return bad("logistic model");
                }
            }
            Model::NaiveBayes(nb) => {
                let ok_rows = |m: &Vec<Vec<f64>>| {
                    m.len() == n_classes && m.iter().all(|r| r.len() == width && finite(r))
                };
                if nb.priors.len() != n_classes
                    || nb.priors.iter().any(|p| !(p.is_finite() && *p > 0.0))
                    || !ok_rows(&nb.means)
                    || !ok_rows(&nb.vars)
                    || nb.vars.iter().flatten().any(|v| *v <= 0.0)
                {
                    return bad("naive Bayes model");
                }
            }
            Model::Forest { trees, .. } => {
                if trees.is_empty() {
                    return bad("empty forest");
                }
                for t in trees {
                    let n = t.nodes.len();
                    for (i, node) in t.nodes.iter().enumerate() {
                        let ok = if node.is_leaf() {
                            node.counts.len() == n_classes
                        } else {
                            // Children come after their parent, so walking can never loop.
                            (node.feature as usize) < width
                                && (node.left as usize) > i
                                && (node.right as usize) > i
                                && (node.left as usize) < n
                                && (node.right as usize) < n
                                && node.threshold.is_finite()
                        };
                        if !ok {
                            return bad("forest tree");
                        }
                    }
                }
            }
            Model::Knn(knn) => {
                if knn.width as usize != width
                    || knn.k == 0
                    || knn.x.len() != knn.y.len() * width
                    || knn.y.iter().any(|&c| c as usize >= n_classes)
                    || knn.y.is_empty()
                {
                    return bad("k-nearest-neighbour model");
                }
            }
        }
        Ok(())
    }

    /// Build what prediction needs beyond the stored form (a forest's flat layout). Call
    /// after [`Model::check`] has passed; prediction is the same without it, only slower.
    pub fn prepare(&mut self, n_classes: usize) {
        if let Model::Forest { trees, flat, .. } = self {
            *flat = FlatForest::new(trees, n_classes);
        }
    }

    /// Class probabilities for one preprocessed input (sums to 1).
    pub fn predict_proba(&self, x: &[f64], n_classes: usize) -> Vec<f64> {
        match self {
            Model::Logistic { linear, .. } => {
                let scores = linear.scores(x);
                if let [z] = scores[..] {
                    let p = sigmoid(z);
                    vec![1.0 - p, p]
                } else {
                    softmax(&scores)
                }
            }
            Model::NaiveBayes(nb) => softmax(&nb.joint_log_likelihood(x)),
            Model::Forest { trees, flat, .. } => {
                let mut acc = vec![0.0; n_classes];
                if flat.predict(x, &mut acc) {
                    let n = trees.len().max(1) as f64;
                    return acc.iter().map(|a| a / n).collect();
                }
                for t in trees {
                    if let Some(leaf) = t.leaf(x) {
                        Tree::add_leaf_proba(leaf, &mut acc);
                    }
                }
                let n = trees.len().max(1) as f64;
                acc.iter().map(|a| a / n).collect()
            }
            Model::Knn(knn) => knn.proba(x, n_classes),
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

/// Log-odds of a probability, clipped away from 0 and 1 so it stays finite.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

/// Softmax, shifted by the maximum so it never overflows.
pub fn softmax(scores: &[f64]) -> Vec<f64> {
    let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
pub(crate) mod tests {
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

    /// A hand-made two-level tree on two inputs.
    pub(crate) fn small_tree() -> Tree {
        let leaf = |cover, counts: Vec<u32>| Node {
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
            cover,
            counts,
        };
        Tree {
            nodes: vec![
                Node {
                    feature: 0,
                    threshold: 0.5,
                    left: 1,
                    right: 2,
                    cover: 10,
                    counts: vec![],
                },
                Node {
                    feature: 1,
                    threshold: -1.0,
                    left: 3,
                    right: 4,
                    cover: 6,
                    counts: vec![],
                },
                leaf(4, vec![1, 3]),
                leaf(2, vec![2, 0]),
                leaf(4, vec![1, 3]),
            ],
        }
    }

    #[test]
    fn flat_forest_predicts_what_the_trees_predict() {
        let mut other = small_tree();
        other.nodes[0].feature = 1;
        other.nodes[0].threshold = 0.0;
        other.nodes[2].counts = vec![0, 0]; // an empty leaf: uniform
        let walked = Model::Forest {
            trees: vec![small_tree(), other, small_tree()],
            max_depth: 2,
            flat: FlatForest::default(),
        };
        let mut prepared = walked.clone();
        prepared.prepare(2);
        let Model::Forest { flat, .. } = &prepared else {
            unreachable!()
        };
        assert_eq!(flat.roots, vec![0, 5, 10]);
        let grid = [-2.0, -1.0, 0.0, 0.5, 0.75, 3.0, f64::NAN];
        for &a in &grid {
            for &b in &grid {
                let x = [a, b];
                assert_eq!(
                    prepared.predict_proba(&x, 2),
                    walked.predict_proba(&x, 2),
                    "{x:?}"
                );
            }
        }
        // Prepared for another class count, it falls back to the trees.
        let mut three = walked.clone();
        three.prepare(3);
        assert_eq!(
            three.predict_proba(&[0.0, 0.0], 2),
            walked.predict_proba(&[0.0, 0.0], 2)
        );
    }

    #[test]
    fn binary_is_sigmoid_of_score() {
        let p = binary().predict_proba(&[1.0, 1.0], 2);
        let expected = 1.0 / (1.0 + (-1.5f64).exp());
        assert!((p[1] - expected).abs() < 1e-15);
        assert!((p[0] + p[1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn shape_check_catches_mismatch() {
        assert!(binary().check(2, 2).is_ok());
        assert!(binary().check(3, 2).is_err());
        assert!(binary().check(2, 3).is_err());
        let forest = Model::Forest {
            trees: vec![small_tree()],
            max_depth: 2,
            flat: FlatForest::default(),
        };
        assert!(forest.check(2, 2).is_ok());
        assert!(forest.check(1, 2).is_err());
        let mut looped = small_tree();
        looped.nodes[1].left = 0;
        assert!(Model::Forest {
            trees: vec![looped],
            max_depth: 2,
            flat: FlatForest::default(),
        }
        .check(2, 2)
        .is_err());
    }

    #[test]
    fn forest_averages_leaf_distributions() {
        let forest = Model::Forest {
            trees: vec![small_tree(), small_tree()],
            max_depth: 2,
            flat: FlatForest::default(),
        };
        assert_eq!(forest.predict_proba(&[0.0, -2.0], 2), vec![1.0, 0.0]);
        assert_eq!(forest.predict_proba(&[1.0, 0.0], 2), vec![0.25, 0.75]);
    }

    #[test]
    fn knn_votes_among_nearest() {
        let knn = Model::Knn(Knn {
            k: 3,
            width: 1,
            x: vec![0.0, 0.1, 0.2, 5.0, 5.1],
            y: vec![0, 0, 1, 1, 1],
        });
        assert!(knn.check(1, 2).is_ok());
        let p = knn.predict_proba(&[0.05], 2);
        assert!((p[0] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(knn.predict_proba(&[5.05], 2), vec![0.0, 1.0]);
    }

    proptest! {
        #[test]
        fn probabilities_sum_to_one(scores in prop::collection::vec(-800.0f64..800.0, 2..6), z in -800.0f64..800.0) {
            let p = softmax(&scores);
            prop_assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)));
            let s = sigmoid(z);
            prop_assert!((0.0..=1.0).contains(&s) && s.is_finite());
            prop_assert!(logit(s).is_finite());
        }
    }
}
