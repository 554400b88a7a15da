//! A decision tree as the forests carry it: a flat node list with per-leaf class counts.
//! Its own file so that the model (`fitted.rs`) and the forest's storage (`packed_trees.rs`)
//! both build on it without importing each other.

use serde::{Deserialize, Serialize};

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

    /// Every field, the threshold as its bits: for tests that compare trees exactly.
    #[cfg(test)]
    pub(crate) fn bits(&self) -> (u32, u64, u32, u32, u32, Vec<u32>) {
        (
            self.feature,
            self.threshold.to_bits(),
            self.left,
            self.right,
            self.cover,
            self.counts.clone(),
        )
    }
}

/// One step down a tree: left when `x[feature] <= threshold` (smartcore's rule; a missing
/// input, NaN, goes right).
pub(crate) fn step(x: &[f64], feature: u32, threshold: f64, left: u32, right: u32) -> usize {
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

    /// Training rows at a leaf, all classes together. Summed in `u64`: counts of a hostile
    /// bundle can add up past `u32::MAX` (refused by [`super::Model::check`], but the sum must not
    /// overflow before that, nor in a model built some other way).
    pub fn leaf_total(node: &Node) -> u64 {
        node.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// The share of `class` at a leaf (`n_classes` classes); no allocation, for the
    /// explanation's inner loops. An empty leaf gives every class the same share.
    pub fn leaf_class_proba(node: &Node, n_classes: usize, class: usize) -> f64 {
        let total = Tree::leaf_total(node);
        if total == 0 {
            1.0 / n_classes.max(1) as f64
        } else {
            f64::from(node.counts.get(class).copied().unwrap_or(0)) / total as f64
        }
    }

    /// Add the class distribution at a leaf to `acc` (one entry per class).
    pub fn add_leaf_proba(node: &Node, acc: &mut [f64]) {
        let total = Tree::leaf_total(node);
        let uniform = 1.0 / acc.len().max(1) as f64;
        for (c, a) in acc.iter_mut().enumerate() {
            *a += if total == 0 {
                uniform
            } else {
                f64::from(node.counts.get(c).copied().unwrap_or(0)) / total as f64
            };
        }
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::decode_struct;
    decode_struct!(Tree { nodes });
    decode_struct!(Node {
        feature,
        threshold,
        left,
        right,
        cover,
        counts
    });
}
