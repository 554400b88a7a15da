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
use crate::model::neighbours::SortedAxis;

/// A forest's trees as a bundle stores them (the `serde(with)` of [`Model::Forest`]'s trees).
pub mod packed_trees;
/// A decision tree and its nodes (their own file, below both this one and the forest's codec).
pub mod tree;

use tree::step;
pub use tree::{Node, Tree};

/// The deepest tree a bundle may carry, in splits from the root to a leaf. The trainer grows
/// trees of depth 6; explaining a tree (TreeSHAP) recurses once per level and keeps a path as
/// long as the depth, so a hostile tree thousands of levels deep would overflow the browser's
/// stack. 64 is ten times what is trained and still a trivial recursion.
pub const MAX_TREE_DEPTH: usize = 64;

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

/// Up to this many neighbours, the nearest are kept by insertion into a short sorted list
/// (fastest for the k of 5 or 15 the trainer uses); beyond it, by sorting all distances once
/// (through the one index sort, for the page's size), so that even k = every case costs
/// n log n per prediction, not quadratic. The trainer never uses such a k.
const INSERTION_K: usize = 32;

impl Knn {
    /// Class shares among the `k` nearest cases (ties broken by case order). `k` beyond the
    /// number of cases counts every case ([`Model::check`] refuses such a bundle; this keeps
    /// a model built some other way from reserving memory for `k` it cannot use).
    pub fn proba(&self, x: &[f64], n_classes: usize) -> Vec<f64> {
        let k = (self.k as usize).min(self.y.len());
        self.votes(&self.nearest(None, x, k), n_classes)
    }

    /// The cases sorted along one input, for many queries against them
    /// ([`Knn::proba_each`]); `None` when they cannot be ordered (a value that is not finite).
    pub fn sorted(&self) -> Option<SortedAxis> {
        SortedAxis::new(&self.x, self.width as usize)
    }

    /// Class shares for each `k` of `ks` from one scan, each exactly what [`Knn::proba`] gives
    /// with that `k`: the nearest `max(ks)` cases come sorted by distance then case order, so
    /// the first `k` of them are the `k` nearest. The trainer cross-validates k = 5 and 15 on
    /// one scan instead of two (the scan is quadratic in the training rows over a whole
    /// cross-validation). A `k` above [`INSERTION_K`] gets its own scan. `sorted` is these
    /// cases' [`Knn::sorted`], for a search that stops early with the same answers.
    pub fn proba_each(
        &self,
        sorted: Option<&SortedAxis>,
        x: &[f64],
        ks: &[usize],
        n_classes: usize,
    ) -> Vec<Vec<f64>> {
        let cases = self.y.len();
        let shared = ks
            .iter()
            .map(|&k| k.min(cases))
            .filter(|&k| k <= INSERTION_K)
            .max()
            .unwrap_or(0);
        let best = self.nearest(sorted, x, shared);
        ks.iter()
            .map(|&k| {
                let k = k.min(cases);
                if k <= INSERTION_K {
                    self.votes(best.get(..k).unwrap_or(&best), n_classes)
                } else {
                    self.votes(&self.nearest(None, x, k), n_classes)
                }
            })
            .collect()
    }

    /// The `k` nearest cases as (squared distance, case): by insertion, sorted nearest first
    /// (ties: earlier case first), up to [`INSERTION_K`]; beyond, by one sort, in the same order.
    /// With `sorted` (these cases' [`Knn::sorted`]) the search stops early, with the same
    /// answer.
    fn nearest(&self, sorted: Option<&SortedAxis>, x: &[f64], k: usize) -> Vec<(f64, usize)> {
        let rows = self.x.chunks_exact((self.width as usize).max(1));
        let k = k.min(rows.len());
        if k <= INSERTION_K {
            if let Some(best) = sorted.and_then(|s| s.nearest(&self.x, x, k, None)) {
                return best;
            }
        }
        let dist = |row: &[f32]| -> f64 {
            row.iter()
                .zip(x)
                .map(|(&a, &b)| (f64::from(a) - b).powi(2))
                .sum()
        };
        if k <= INSERTION_K {
            let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
            for (i, row) in rows.enumerate() {
                // Once k cases are held, a case is kept only if nearer than the k-th; its sum
                // of non-negative terms only grows, so the scan stops as soon as it is not
                // (the kept cases and their distances are bit for bit those of full sums).
                let limit = match best.last() {
                    Some(&(bd, _)) if best.len() >= k => bd,
                    _ => f64::INFINITY,
                };
                let Some(d) = crate::util::num::dist_sq_below(row, x, limit) else {
                    continue;
                };
                if best.len() < k || d < limit {
                    let pos = best.partition_point(|&(bd, _)| bd <= d);
                    best.insert(pos, (d, i));
                    best.truncate(k);
                }
            }
            best
        } else {
            let mut all: Vec<(f64, usize)> = rows.enumerate().map(|(i, r)| (dist(r), i)).collect();
            if k < all.len() {
                // The same k as the insertion: smallest distance, then earliest case.
                // Through the one index sort, not a selection of its own (page size).
                let mut order: Vec<usize> = (0..all.len()).collect();
                let key = |i: usize| all.get(i).map_or(f64::INFINITY, |&(d, _)| d);
                crate::util::sort::sort_indices(&mut order, &|a, b| {
                    key(a).total_cmp(&key(b)).then(a.cmp(&b))
                });
                all = order
                    .iter()
                    .take(k)
                    .filter_map(|&i| all.get(i).copied())
                    .collect();
            }
            all
        }
    }

    /// Class shares among `best`.
    fn votes(&self, best: &[(f64, usize)], n_classes: usize) -> Vec<f64> {
        let mut votes = vec![0.0; n_classes];
        for &(_, i) in best {
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
                        // In range by `Model::check`; saturating so that a forest that was
                        // not checked cannot overflow here either.
                        left: base.saturating_add(node.left),
                        right: base.saturating_add(node.right),
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
        /// The trees (stored packed: [`crate::model::fitted::packed_trees`]).
        #[serde(with = "crate::model::fitted::packed_trees")]
        trees: Vec<Tree>,
        /// Maximum depth used in training.
        max_depth: u16,
        /// The trees laid out for prediction ([`Model::prepare`]); not stored in the bundle.
        #[serde(skip)]
        flat: FlatForest,
    },
    /// k-nearest neighbours (smartcore `KNNClassifier`).
    Knn(Knn),
    /// A published risk equation (PREVENT, the Pooled Cohort Equations): fitted by its
    /// authors, not trained here ([`crate::model::equation`]).
    Equation(crate::model::equation::Equation),
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
    /// A published equation.
    Equation,
}

impl Family {
    /// English name.
    pub fn name(self) -> &'static str {
        match self {
            Family::Logistic => "logistic regression",
            Family::NaiveBayes => "Gaussian naive Bayes",
            Family::Forest => "random forest",
            Family::Knn => "k-nearest neighbours",
            Family::Equation => "published equation",
        }
    }

    /// 简体中文 name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Family::Logistic => "逻辑回归",
            Family::NaiveBayes => "高斯朴素贝叶斯",
            Family::Forest => "随机森林",
            Family::Knn => "k 近邻",
            Family::Equation => "已发表的方程",
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
            Model::Equation(_) => Family::Equation,
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
                for (t, tree) in trees.iter().enumerate() {
                    check_tree(tree, width, n_classes)
                        .map_err(|e| Error::InconsistentBundle(format!("forest tree {t}: {e}")))?;
                }
            }
            Model::Knn(knn) => {
                let cases = knn.y.len();
                if knn.width as usize != width
                    || cases.checked_mul(width) != Some(knn.x.len())
                    || knn.y.iter().any(|&c| c as usize >= n_classes)
                    || knn.y.is_empty()
                    || !knn.x.iter().all(|v| v.is_finite())
                {
                    return bad("k-nearest-neighbour model");
                }
                if knn.k == 0 || knn.k as usize > cases {
                    return Err(Error::InconsistentBundle(format!(
                        "k-nearest-neighbour model consults k = {} neighbours among {cases} \
                         stored training cases; accepted: 1 ≤ k ≤ {cases}",
                        knn.k
                    )));
                }
            }
            Model::Equation(e) => {
                if n_classes != 2 {
                    return bad("a published equation (one risk, two classes)");
                }
                e.check(width)
                    .map_err(|m| Error::InconsistentBundle(format!("published equation: {m}")))?;
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
            Model::Equation(e) => e.predict_proba(x),
        }
    }
}

/// Check one tree: children in range and after their parent (so walking it never loops), every
/// node but the root the child of exactly one node (a shared child would make the explanation,
/// which visits every root-to-leaf path, take exponential time), at most [`MAX_TREE_DEPTH`]
/// splits deep (the explanation recurses once per level), and leaf counts that fit the classes
/// and add up to at most `u32::MAX` rows (what the training-row counts elsewhere can hold). An
/// empty leaf is accepted: it predicts every class equally. A tree without nodes is not: it
/// would predict nothing while counting in the forest's average, so the probabilities would
/// not add up to 1. Returns what is wrong, in words.
fn check_tree(tree: &Tree, width: usize, n_classes: usize) -> std::result::Result<(), String> {
    let n = tree.nodes.len();
    if n == 0 {
        return Err("it has no nodes; accepted: at least a root".into());
    }
    // Per node: splits from the root, and whether a parent has claimed it. Parents come
    // before their children, so a node's depth is final when it is reached.
    let mut depth = vec![0usize; n];
    let mut claimed = vec![false; n];
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.is_leaf() {
            if node.counts.len() != n_classes {
                return Err(format!(
                    "leaf {i} has {} class counts; accepted: one per class ({n_classes})",
                    node.counts.len()
                ));
            }
            let total = Tree::leaf_total(node);
            if total > u64::from(u32::MAX) {
                return Err(format!(
                    "the class counts of leaf {i} add up to {total} training rows; accepted: \
                     at most {}",
                    u32::MAX
                ));
            }
            continue;
        }
        let (left, right) = (node.left as usize, node.right as usize);
        if (node.feature as usize) >= width || !node.threshold.is_finite() {
            return Err(format!(
                "node {i} splits on input {} at {}; accepted: an input below {width} and a \
                 finite threshold",
                node.feature, node.threshold
            ));
        }
        if !(left > i && right > i && left < n && right < n) {
            return Err(format!(
                "node {i} has children {left} and {right}; accepted: nodes after it and \
                 below {n}"
            ));
        }
        let below = depth[i] + 1;
        if below > MAX_TREE_DEPTH {
            return Err(format!(
                "it is more than {MAX_TREE_DEPTH} splits deep (at node {i}); accepted: at most \
                 {MAX_TREE_DEPTH}"
            ));
        }
        for child in [left, right] {
            if std::mem::replace(&mut claimed[child], true) {
                return Err(format!(
                    "node {child} is the child of two nodes; accepted: a tree, where every \
                     node but the root has one parent"
                ));
            }
            depth[child] = below;
        }
    }
    Ok(())
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

    fn forest(tree: Tree) -> Model {
        Model::Forest {
            trees: vec![small_tree(), tree],
            max_depth: 2,
            flat: FlatForest::default(),
        }
    }

    fn refusal(model: &Model, width: usize, n_classes: usize) -> String {
        match model.check(width, n_classes) {
            Err(Error::InconsistentBundle(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// A chain `depth` splits deep: each split's left child is a leaf, its right the next split.
    pub(crate) fn chain_tree(depth: usize) -> Tree {
        let leaf = || Node {
            feature: 0,
            threshold: 0.0,
            left: 0,
            right: 0,
            cover: 1,
            counts: vec![1, 0],
        };
        let mut nodes = Vec::new();
        for d in 0..depth {
            let i = nodes.len() as u32;
            nodes.push(Node {
                feature: 0,
                threshold: d as f64,
                left: i + 1,
                right: i + 2,
                cover: 1,
                counts: vec![],
            });
            nodes.push(leaf());
        }
        nodes.push(leaf());
        // Node 2d is split d; its left child (2d + 1) a leaf, its right (2d + 2) the next.
        Tree { nodes }
    }

    #[test]
    fn leaf_counts_past_u32_max_are_summed_without_overflow_and_refused_at_load() {
        let mut t = small_tree();
        t.nodes[2].counts = vec![u32::MAX, u32::MAX];
        assert_eq!(Tree::leaf_total(&t.nodes[2]), 2 * u64::from(u32::MAX));
        assert_eq!(Tree::leaf_class_proba(&t.nodes[2], 2, 0), 0.5);
        assert_eq!(Tree::leaf_proba(&t.nodes[2], 2), vec![0.5, 0.5]);
        let mut model = forest(t);
        model.prepare(2);
        assert_eq!(model.predict_proba(&[1.0, 0.0], 2), vec![0.375, 0.625]);
        let m = refusal(&model, 2, 2);
        assert!(
            m.contains("forest tree 1: the class counts of leaf 2 add up to 8589934590")
                && m.contains("accepted: at most 4294967295"),
            "{m}"
        );
        // At the limit is fine, and so is an empty leaf (every class equally likely).
        let mut t = small_tree();
        t.nodes[2].counts = vec![u32::MAX - 1, 1];
        t.nodes[3].counts = vec![0, 0];
        assert!(forest(t).check(2, 2).is_ok());
    }

    #[test]
    fn a_tree_deeper_than_the_limit_is_refused_naming_the_limit() {
        assert!(forest(chain_tree(MAX_TREE_DEPTH)).check(2, 2).is_ok());
        let m = refusal(&forest(chain_tree(MAX_TREE_DEPTH + 1)), 2, 2);
        assert!(
            m.contains("forest tree 1: it is more than 64 splits deep")
                && m.contains("accepted: at most 64"),
            "{m}"
        );
        // 100 000 levels: refused by a loop, not a recursion.
        assert!(forest(chain_tree(100_000)).check(2, 2).is_err());
    }

    #[test]
    fn a_tree_whose_nodes_share_a_child_is_refused() {
        // A diamond, 0 → (1, 2) and 1 → (3, 2): acyclic, children after parents, not a tree.
        let mut t = small_tree();
        t.nodes[1].right = 2;
        let m = refusal(&forest(t), 2, 2);
        assert!(
            m.contains("node 2 is the child of two nodes") && m.contains("accepted: a tree"),
            "{m}"
        );
        let mut t = small_tree();
        t.nodes[1].left = 4;
        let m = refusal(&forest(t), 2, 2);
        assert!(m.contains("node 4 is the child of two nodes"), "{m}");
    }

    #[test]
    fn tree_faults_are_named() {
        type Damage = fn(&mut Tree);
        let cases: [(Damage, &str); 5] = [
            (|t| t.nodes.clear(), "it has no nodes"),
            (|t| t.nodes[1].feature = 7, "node 1 splits on input 7"),
            (
                |t| t.nodes[0].threshold = f64::NAN,
                "node 0 splits on input 0 at NaN",
            ),
            (|t| t.nodes[1].right = 9, "node 1 has children 3 and 9"),
            (|t| t.nodes[3].counts = vec![1], "leaf 3 has 1 class counts"),
        ];
        for (damage, want) in cases {
            let mut t = small_tree();
            damage(&mut t);
            let m = refusal(&forest(t), 2, 2);
            assert!(m.contains(want) && m.contains("accepted"), "{want}: {m}");
        }
    }

    // Native only: the trainer is not built for wasm32.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn what_the_trainer_fits_passes_the_load_checks() {
        use crate::train::Spec;
        let mut rng = crate::train::split::Rng::new(5);
        let x: Vec<Vec<f64>> = (0..300)
            .map(|_| (0..3).map(|_| rng.below(1000) as f64 / 100.0).collect())
            .collect();
        let y: Vec<usize> = x
            .iter()
            .map(|r| usize::from(r[0] + r[1] * 0.5 + rng.below(300) as f64 / 100.0 > 8.0))
            .collect();
        for spec in [
            Spec::Forest {
                trees: 30,
                max_depth: 6,
                min_leaf: 3,
            },
            Spec::Forest {
                trees: 5,
                max_depth: 40,
                min_leaf: 1,
            },
            Spec::Knn { k: 15 },
        ] {
            let model = spec.fit(&x, &y, 2, 9).unwrap();
            assert_eq!(model.check(3, 2), Ok(()), "{}", spec.params());
        }
    }

    fn knn(k: u32, cases: usize) -> Knn {
        // Deterministic, scattered points on two inputs; classes in thirds.
        let x = (0..cases * 2)
            .map(|i| ((i * 7919) % 1009) as f32 / 100.0)
            .collect();
        let y = (0..cases).map(|i| (i % 3) as u16).collect();
        Knn { k, width: 2, x, y }
    }

    #[test]
    fn a_knn_k_outside_one_to_the_number_of_cases_is_refused_naming_k_and_the_range() {
        assert!(Model::Knn(knn(1, 5)).check(2, 3).is_ok());
        assert!(Model::Knn(knn(5, 5)).check(2, 3).is_ok());
        for k in [0, 6, u32::MAX] {
            let m = refusal(&Model::Knn(knn(k, 5)), 2, 3);
            assert!(
                m.contains(&format!("k = {k} neighbours among 5 stored training cases"))
                    && m.contains("accepted: 1 ≤ k ≤ 5"),
                "{m}"
            );
        }
        let mut bad = knn(3, 5);
        bad.x[4] = f32::NAN;
        assert!(Model::Knn(bad).check(2, 3).is_err());
    }

    #[test]
    fn knn_with_any_k_votes_among_the_same_neighbours_as_sorting_every_case() {
        let cases = 200;
        let query = [3.3, 6.1];
        for k in [1, 5, INSERTION_K, INSERTION_K + 1, 77, cases] {
            let model = knn(k as u32, cases);
            let mut all: Vec<(f64, usize)> = model
                .x
                .chunks_exact(2)
                .enumerate()
                .map(|(i, r)| {
                    let d =
                        (f64::from(r[0]) - query[0]).powi(2) + (f64::from(r[1]) - query[1]).powi(2);
                    (d, i)
                })
                .collect();
            all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut want = vec![0.0; 3];
            for &(_, i) in &all[..k] {
                want[model.y[i] as usize] += 1.0 / k as f64;
            }
            let got = model.proba(&query, 3);
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12, "k = {k}: {got:?} vs {want:?}");
            }
        }
    }

    #[test]
    fn knn_shares_for_several_k_from_one_scan_are_each_ks_own_to_the_bit() {
        let cases = 300;
        let model = knn(1, cases);
        let ks = [5, 15, 1, INSERTION_K, INSERTION_K + 3, cases + 10];
        for q in 0..40 {
            // Queries on the cases' own grid make exact distance ties.
            let query = [f64::from(q % 7) * 0.5, f64::from(q / 7) * 0.75];
            let each = model.proba_each(None, &query, &ks, 3);
            let sorted = model.proba_each(model.sorted().as_ref(), &query, &ks, 3);
            assert_eq!(each, sorted);
            for (&k, got) in ks.iter().zip(&each) {
                let alone = Knn {
                    k: k as u32,
                    ..model.clone()
                }
                .proba(&query, 3);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(got), bits(&alone), "k = {k}, query {query:?}");
            }
        }
    }

    #[test]
    fn knn_prediction_with_an_unchecked_huge_k_counts_every_case() {
        // Never loaded (check refuses it), but prediction must not try to reserve room for
        // four billion neighbours.
        let p = knn(u32::MAX, 9).proba(&[0.0, 0.0], 3);
        assert_eq!(p, vec![1.0 / 3.0; 3]);
        assert_eq!(knn(0, 9).proba(&[0.0, 0.0], 3), vec![0.0; 3]);
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

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, decode_unit_enum, Decode, Reader};
    decode_unit_enum!(Family {
        Logistic,
        NaiveBayes,
        Forest,
        Knn,
        Equation
    });
    decode_struct!(Linear {
        weights,
        intercepts
    });
    decode_struct!(NaiveBayes {
        priors,
        means,
        vars
    });
    decode_struct!(Knn { k, width, x, y });
    impl Decode for Model {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Model::Logistic {
                    linear: decode(r),
                    alpha: decode(r),
                },
                1 => Model::NaiveBayes(decode(r)),
                2 => Model::Forest {
                    trees: packed_trees::decode_trees(r),
                    max_depth: decode(r),
                    flat: FlatForest::default(),
                },
                3 => Model::Knn(decode(r)),
                4 => Model::Equation(decode(r)),
                _ => r.bad_variant(Model::NaiveBayes(NaiveBayes {
                    priors: Vec::new(),
                    means: Vec::new(),
                    vars: Vec::new(),
                })),
            }
        }
    }
}
