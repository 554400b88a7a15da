//! Exact per-feature explanations: contributions that add up (to floating-point rounding) to
//! the model's output minus a stated baseline.
//!
//! * Logistic regression and naive Bayes are additive in log-odds already: each feature's
//!   contribution is its term at the patient minus its term at the baseline patient (the mean
//!   of the preprocessed training inputs).
//! * Random forests: exact TreeSHAP (Lundberg et al., 2018, algorithm 2) on each tree's leaf
//!   probability, with node covers counted from the training rows, averaged over trees. The
//!   baseline is the forest's expected output over the training rows.
//! * k-nearest neighbours: exact Shapley values by enumerating every coalition of features,
//!   absent features taking the baseline patient's values. This costs 2^d model calls, so it
//!   is offered only up to [`MAX_ENUMERATED_FEATURES`] features (the trainer does not select
//!   k-NN beyond that).
//!
//! Contributions are per schema feature (one-hot columns of a categorical are summed).

// Indices run over the model's input width and class count, which `Bundle::check` matched
// to the preprocessing and the schema when the bundle was loaded.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use crate::model::fitted::{Model, NaiveBayes, Node, Tree};

/// Largest number of features for which coalition enumeration is used.
pub const MAX_ENUMERATED_FEATURES: usize = 12;

/// What the contributions add up to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// Log-odds of the explained class (binary linear and naive Bayes models).
    LogOdds,
    /// Log of the class probability minus the mean log over classes (multiclass linear and
    /// naive Bayes models).
    CenteredLogRatio,
    /// The class probability itself (forests, k-NN).
    Probability,
    /// The linear predictor of a proportional-hazards equation: the log of the hazard
    /// relative to the equation's baseline (the Pooled Cohort Equations).
    LogHazard,
}

/// An exact explanation of one class's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The class explained (index into the target classes).
    pub class: usize,
    /// The scale of `baseline`, `output` and the contributions.
    pub scale: Scale,
    /// The output for the baseline patient.
    pub baseline: f64,
    /// The output for this patient; equals `baseline + Σ contributions`.
    pub output: f64,
    /// Per schema feature, in schema order.
    pub contributions: Vec<f64>,
}

/// Explain `class` for preprocessed input `x`. `columns[i]` is the schema feature of input
/// column `i`; `baseline_x` is the baseline patient's preprocessed input. `None` when the
/// model has no exact explanation at this width (k-NN with many features).
pub fn explain(
    model: &Model,
    x: &[f64],
    baseline_x: &[f64],
    columns: &[usize],
    n_features: usize,
    n_classes: usize,
    class: usize,
) -> Option<Explanation> {
    let mut contributions = vec![0.0; n_features];
    let mut add = |col: usize, v: f64| {
        if let Some(c) = columns.get(col).and_then(|&f| contributions.get_mut(f)) {
            *c += v;
        }
    };
    let (scale, baseline, output) = match model {
        Model::Logistic { linear, .. } => {
            // Per-class row scores; binary models have one row for class 1.
            let rows: Vec<Vec<f64>> = if n_classes == 2 {
                let w = linear.weights.first()?;
                let sign = if class == 1 { 1.0 } else { -1.0 };
                vec![w.iter().map(|v| sign * v).collect()]
            } else {
                let k = n_classes as f64;
                let mean: Vec<f64> = (0..x.len())
                    .map(|j| linear.weights.iter().map(|w| w[j]).sum::<f64>() / k)
                    .collect();
                vec![linear
                    .weights
                    .get(class)?
                    .iter()
                    .zip(&mean)
                    .map(|(w, m)| w - m)
                    .collect()]
            };
            let w = &rows[0];
            for (j, ((wj, xj), bj)) in w.iter().zip(x).zip(baseline_x).enumerate() {
                add(j, wj * (xj - bj));
            }
            let intercept = if n_classes == 2 {
                let b = *linear.intercepts.first()?;
                if class == 1 {
                    b
                } else {
                    -b
                }
            } else {
                let k = n_classes as f64;
                linear.intercepts.get(class)? - linear.intercepts.iter().sum::<f64>() / k
            };
            let dot = |v: &[f64]| w.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() + intercept;
            let scale = if n_classes == 2 {
                Scale::LogOdds
            } else {
                Scale::CenteredLogRatio
            };
            (scale, dot(baseline_x), dot(x))
        }
        Model::NaiveBayes(nb) => {
            // term_j(v) = ℓ_class,j(v) − reference_j(v), reference = the other class (binary)
            // or the mean over classes (multiclass).
            let term = |j: usize, v: f64| nb_term(nb, class, n_classes, j, v);
            let prior = nb_prior_term(nb, class, n_classes);
            let mut base = prior;
            let mut out = prior;
            for (j, (&xj, &bj)) in x.iter().zip(baseline_x).enumerate() {
                let (tx, tb) = (term(j, xj), term(j, bj));
                add(j, tx - tb);
                out += tx;
                base += tb;
            }
            let scale = if n_classes == 2 {
                Scale::LogOdds
            } else {
                Scale::CenteredLogRatio
            };
            (scale, base, out)
        }
        Model::Forest { trees, .. } => {
            let n = trees.len().max(1) as f64;
            let mut phi = vec![0.0; x.len()];
            let mut base = 0.0;
            for t in trees {
                base += expected_value(t, class, n_classes) / n;
                tree_shap(t, x, class, n_classes, &mut phi, 1.0 / n);
            }
            for (j, p) in phi.iter().enumerate() {
                add(j, *p);
            }
            let out = model.predict_proba(x, n_classes).get(class).copied()?;
            (Scale::Probability, base, out)
        }
        Model::Equation(e) => {
            // Exact per term (`Equation::shapley`); the reference patient in this patient's
            // stratum. Class 0 of a binary risk is the same explanation with the sign turned.
            let (phi, at_ref) = e.shapley(x, baseline_x)?;
            let lp = e.linear(x)?.lp;
            let sign = if class == 1 { 1.0 } else { -1.0 };
            for (j, p) in phi.iter().enumerate() {
                add(j, sign * p);
            }
            let scale = match e.link {
                crate::model::equation::Link::Logistic => Scale::LogOdds,
                crate::model::equation::Link::Hazard { .. } => Scale::LogHazard,
            };
            (scale, sign * at_ref.lp, sign * lp)
        }
        Model::Knn(_) => {
            if n_features > MAX_ENUMERATED_FEATURES {
                return None;
            }
            let value = |mask: u32| {
                let input: Vec<f64> = x
                    .iter()
                    .zip(baseline_x)
                    .zip(columns)
                    .map(|((&xv, &bv), &f)| if mask & (1 << f) != 0 { xv } else { bv })
                    .collect();
                model
                    .predict_proba(&input, n_classes)
                    .get(class)
                    .copied()
                    .unwrap_or(0.0)
            };
            let values: Vec<f64> = (0..1u32 << n_features).map(value).collect();
            let phi = shapley_from_values(&values, n_features);
            let full = values[(1usize << n_features) - 1];
            return Some(Explanation {
                class,
                scale: Scale::Probability,
                baseline: values[0],
                output: full,
                contributions: phi,
            });
        }
    };
    Some(Explanation {
        class,
        scale,
        baseline,
        output,
        contributions,
    })
}

fn nb_term(nb: &NaiveBayes, class: usize, n_classes: usize, j: usize, v: f64) -> f64 {
    let own = nb.log_density(class, j, v);
    if n_classes == 2 {
        own - nb.log_density(1 - class, j, v)
    } else {
        own - (0..n_classes).map(|c| nb.log_density(c, j, v)).sum::<f64>() / n_classes as f64
    }
}

fn nb_prior_term(nb: &NaiveBayes, class: usize, n_classes: usize) -> f64 {
    let own = nb.priors[class].ln();
    if n_classes == 2 {
        own - nb.priors[1 - class].ln()
    } else {
        own - nb.priors.iter().map(|p| p.ln()).sum::<f64>() / n_classes as f64
    }
}

/// Shapley values from the value of every coalition (`values[mask]`, bit `j` = feature `j`).
pub fn shapley_from_values(values: &[f64], n: usize) -> Vec<f64> {
    // weight(|S|) = |S|! (n − |S| − 1)! / n!
    let mut fact = vec![1.0f64; n + 1];
    for i in 1..=n {
        fact[i] = fact[i - 1] * i as f64;
    }
    let weight: Vec<f64> = (0..n)
        .map(|s| fact[s] * fact[n - s - 1] / fact[n])
        .collect();
    let mut phi = vec![0.0; n];
    for (mask, &v) in values.iter().enumerate() {
        let size = (mask as u32).count_ones() as usize;
        for (j, p) in phi.iter_mut().enumerate() {
            if mask & (1 << j) == 0 && size < n {
                *p += weight[size] * (values[mask | (1 << j)] - v);
            }
        }
    }
    phi
}

/// The tree's output for `class` averaged over its training rows (weighted by cover).
pub fn expected_value(tree: &Tree, class: usize, n_classes: usize) -> f64 {
    let root = tree.nodes.first().map_or(0, |n| n.cover);
    if root == 0 {
        return 0.0;
    }
    tree.nodes
        .iter()
        .filter(|n| n.is_leaf())
        .map(|n| f64::from(n.cover) / f64::from(root) * Tree::leaf_class_proba(n, n_classes, class))
        .sum()
}

#[derive(Debug, Clone, Copy)]
struct PathElem {
    feature: i64,
    zero: f64,
    one: f64,
    weight: f64,
}

fn extend(path: &mut Vec<PathElem>, zero: f64, one: f64, feature: i64) {
    let l = path.len();
    path.push(PathElem {
        feature,
        zero,
        one,
        weight: if l == 0 { 1.0 } else { 0.0 },
    });
    for i in (0..l).rev() {
        path[i + 1].weight += one * path[i].weight * (i + 1) as f64 / (l + 1) as f64;
        path[i].weight = zero * path[i].weight * (l - i) as f64 / (l + 1) as f64;
    }
}

fn unwind(path: &mut Vec<PathElem>, i: usize) {
    let l = path.len() - 1;
    let (one, zero) = (path[i].one, path[i].zero);
    let mut n = path[l].weight;
    for j in (0..l).rev() {
        if one != 0.0 {
            let t = path[j].weight;
            path[j].weight = n * (l + 1) as f64 / ((j + 1) as f64 * one);
            n = t - path[j].weight * zero * (l - j) as f64 / (l + 1) as f64;
        } else {
            path[j].weight = path[j].weight * (l + 1) as f64 / (zero * (l - j) as f64);
        }
    }
    for j in i..l {
        path[j].feature = path[j + 1].feature;
        path[j].zero = path[j + 1].zero;
        path[j].one = path[j + 1].one;
    }
    path.pop();
}

fn unwound_sum(path: &[PathElem], i: usize) -> f64 {
    let l = path.len() - 1;
    let (one, zero) = (path[i].one, path[i].zero);
    let mut total = 0.0;
    if one != 0.0 {
        let mut n = path[l].weight;
        for j in (0..l).rev() {
            let t = n * (l + 1) as f64 / ((j + 1) as f64 * one);
            total += t;
            n = path[j].weight - t * zero * (l - j) as f64 / (l + 1) as f64;
        }
    } else {
        for j in (0..l).rev() {
            total += path[j].weight * (l + 1) as f64 / (zero * (l - j) as f64);
        }
    }
    total
}

/// Add `scale ×` this tree's TreeSHAP values for `class` at `x` into `phi` (per input column).
pub fn tree_shap(
    tree: &Tree,
    x: &[f64],
    class: usize,
    n_classes: usize,
    phi: &mut [f64],
    scale: f64,
) {
    if tree.nodes.is_empty() {
        return;
    }
    recurse(
        tree,
        x,
        class,
        n_classes,
        phi,
        scale,
        0,
        Vec::new(),
        1.0,
        1.0,
        -1,
    );
}

#[allow(clippy::too_many_arguments)]
fn recurse(
    tree: &Tree,
    x: &[f64],
    class: usize,
    n_classes: usize,
    phi: &mut [f64],
    scale: f64,
    node: usize,
    mut path: Vec<PathElem>,
    zero: f64,
    one: f64,
    feature: i64,
) {
    let Some(n) = tree.nodes.get(node) else {
        return;
    };
    extend(&mut path, zero, one, feature);
    if n.is_leaf() {
        let v = Tree::leaf_class_proba(n, n_classes, class);
        for i in 1..path.len() {
            let w = unwound_sum(&path, i);
            let el = path[i];
            if let Some(p) = usize::try_from(el.feature)
                .ok()
                .and_then(|f| phi.get_mut(f))
            {
                *p += scale * w * (el.one - el.zero) * v;
            }
        }
        return;
    }
    let d = n.feature as usize;
    let goes_left = x.get(d).copied().unwrap_or(f64::NAN) <= n.threshold;
    let (hot, cold) = if goes_left {
        (n.left, n.right)
    } else {
        (n.right, n.left)
    };
    let cover = |i: u32| {
        tree.nodes
            .get(i as usize)
            .map_or(0.0, |c: &Node| f64::from(c.cover))
    };
    let parent = f64::from(n.cover).max(f64::MIN_POSITIVE);
    let (mut iz, mut io) = (1.0, 1.0);
    if let Some(k) = (1..path.len()).find(|&k| path[k].feature == d as i64) {
        iz = path[k].zero;
        io = path[k].one;
        unwind(&mut path, k);
    }
    recurse(
        tree,
        x,
        class,
        n_classes,
        phi,
        scale,
        hot as usize,
        path.clone(),
        iz * cover(hot) / parent,
        io,
        d as i64,
    );
    recurse(
        tree,
        x,
        class,
        n_classes,
        phi,
        scale,
        cold as usize,
        path,
        iz * cover(cold) / parent,
        0.0,
        d as i64,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fitted::tests::small_tree;
    use crate::model::fitted::{Knn, Linear};
    use proptest::prelude::*;

    /// Path-dependent conditional expectation of a tree given the features in `mask`
    /// (Lundberg's algorithm 1): the definition TreeSHAP computes Shapley values of.
    fn cond_expectation(t: &Tree, x: &[f64], mask: u32, class: usize, node: usize) -> f64 {
        let n = &t.nodes[node];
        if n.is_leaf() {
            return Tree::leaf_class_proba(n, 2, class);
        }
        let d = n.feature as usize;
        if mask & (1 << d) != 0 {
            let next = if x[d] <= n.threshold { n.left } else { n.right };
            cond_expectation(t, x, mask, class, next as usize)
        } else {
            let (l, r) = (&t.nodes[n.left as usize], &t.nodes[n.right as usize]);
            (f64::from(l.cover) * cond_expectation(t, x, mask, class, n.left as usize)
                + f64::from(r.cover) * cond_expectation(t, x, mask, class, n.right as usize))
                / f64::from(n.cover)
        }
    }

    /// A random full tree of the given depth over `width` inputs, with consistent covers.
    fn random_tree(seed: u64, depth: u32, width: u32) -> Tree {
        let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut nodes = Vec::new();
        fn build(
            nodes: &mut Vec<Node>,
            depth: u32,
            width: u32,
            next: &mut dyn FnMut() -> u64,
        ) -> usize {
            let idx = nodes.len();
            nodes.push(Node {
                feature: 0,
                threshold: 0.0,
                left: 0,
                right: 0,
                cover: 0,
                counts: vec![],
            });
            if depth == 0 {
                let counts = vec![(next() % 5 + 1) as u32, (next() % 5) as u32];
                nodes[idx].cover = counts.iter().sum();
                nodes[idx].counts = counts;
            } else {
                let l = build(nodes, depth - 1, width, next);
                let r = build(nodes, depth - 1, width, next);
                nodes[idx].feature = (next() % u64::from(width)) as u32;
                nodes[idx].threshold = (next() % 200) as f64 / 100.0 - 1.0;
                nodes[idx].left = l as u32;
                nodes[idx].right = r as u32;
                nodes[idx].cover = nodes[l].cover + nodes[r].cover;
            }
            idx
        }
        build(&mut nodes, depth, width, &mut next);
        Tree { nodes }
    }

    #[test]
    fn tree_shap_matches_brute_force_shapley_on_a_small_tree() {
        let t = small_tree();
        let x = [0.2, -3.0];
        let values: Vec<f64> = (0..4).map(|m| cond_expectation(&t, &x, m, 1, 0)).collect();
        let brute = shapley_from_values(&values, 2);
        let mut phi = vec![0.0; 2];
        tree_shap(&t, &x, 1, 2, &mut phi, 1.0);
        for (a, b) in phi.iter().zip(&brute) {
            assert!((a - b).abs() < 1e-12, "{phi:?} vs {brute:?}");
        }
    }

    proptest! {
        #[test]
        fn tree_shap_is_exact_shapley_and_additive(seed: u64, depth in 1u32..5, x in prop::collection::vec(-1.5f64..1.5, 4)) {
            let t = random_tree(seed, depth, 4);
            let values: Vec<f64> = (0..16).map(|m| cond_expectation(&t, &x, m, 1, 0)).collect();
            let brute = shapley_from_values(&values, 4);
            let mut phi = vec![0.0; 4];
            tree_shap(&t, &x, 1, 2, &mut phi, 1.0);
            for (a, b) in phi.iter().zip(&brute) {
                prop_assert!((a - b).abs() < 1e-9);
            }
            let f = Tree::leaf_proba(t.leaf(&x).unwrap(), 2)[1];
            let sum: f64 = phi.iter().sum();
            prop_assert!((expected_value(&t, 1, 2) + sum - f).abs() < 1e-9);
        }

        #[test]
        fn every_family_is_additive(seed: u64, x in prop::collection::vec(-3.0f64..3.0, 4), base in prop::collection::vec(-1.0f64..1.0, 4), class in 0usize..2) {
            let columns = [0, 1, 1, 2]; // input 1 and 2 are one-hot columns of feature 1
            let models = vec![
                Model::Logistic { linear: Linear { weights: vec![vec![0.3, -1.2, 0.7, 2.0]], intercepts: vec![0.1] }, alpha: 1.0 },
                Model::NaiveBayes(NaiveBayes {
                    priors: vec![0.3, 0.7],
                    means: vec![vec![0.0, 1.0, -1.0, 0.5], vec![1.0, 0.0, 0.5, -0.5]],
                    vars: vec![vec![1.0, 0.5, 2.0, 1.5], vec![0.7, 1.0, 1.0, 0.3]],
                }),
                Model::Forest { trees: vec![random_tree(seed, 3, 4), random_tree(seed ^ 7, 2, 4)], max_depth: 3, flat: Default::default() },
                Model::Knn(Knn { k: 3, width: 4, x: (0..40).map(|i| ((i * 37 % 17) as f32) / 8.0 - 1.0).collect(), y: (0..10).map(|i| (i % 2) as u16).collect() }),
            ];
            for m in &models {
                let e = explain(m, &x, &base, &columns, 3, 2, class).unwrap();
                let sum: f64 = e.contributions.iter().sum();
                prop_assert!((e.baseline + sum - e.output).abs() < 1e-9, "{:?}: {} + {} != {}", m.family(), e.baseline, sum, e.output);
                // The output is the model's own output on that scale. Compared as a probability:
                // the logit of a probability within 1e-12 of 1 has lost most of its digits, so
                // comparing on the log-odds scale would test rounding, not the explanation.
                let p = m.predict_proba(&x, 2)[class];
                let output_p = match e.scale {
                    Scale::LogOdds => 1.0 / (1.0 + (-e.output).exp()),
                    _ => e.output,
                };
                prop_assert!((output_p - p).abs() < 1e-9, "{:?}: {} vs {}", m.family(), output_p, p);
            }
        }

        #[test]
        fn multiclass_linear_is_additive(x in prop::collection::vec(-3.0f64..3.0, 2), class in 0usize..3) {
            let m = Model::Logistic {
                linear: Linear { weights: vec![vec![1.0, 0.0], vec![-0.5, 2.0], vec![0.2, -1.0]], intercepts: vec![0.0, 0.3, -0.2] },
                alpha: 1.0,
            };
            let e = explain(&m, &x, &[0.0, 0.0], &[0, 1], 2, 3, class).unwrap();
            prop_assert!((e.baseline + e.contributions.iter().sum::<f64>() - e.output).abs() < 1e-9);
            let p = m.predict_proba(&x, 3);
            let clr = p[class].ln() - p.iter().map(|v| v.ln()).sum::<f64>() / 3.0;
            prop_assert!((e.output - clr).abs() < 1e-9);
        }
    }

    #[test]
    fn knn_beyond_the_enumeration_limit_has_no_explanation() {
        let w = MAX_ENUMERATED_FEATURES + 1;
        let m = Model::Knn(Knn {
            k: 1,
            width: w as u32,
            x: vec![0.0; w],
            y: vec![0],
        });
        let cols: Vec<usize> = (0..w).collect();
        assert!(explain(&m, &vec![0.0; w], &vec![0.0; w], &cols, w, 2, 0).is_none());
    }
}
