//! [native only] smartcore 0.7.0's random forest classifier, grown here: the same trees, bit
//! for bit, in a fraction of the time.
//!
//! Why a port: smartcore's `DecisionTreeClassifier::fit_weak_learner` argsorts every column of
//! `x` again for every tree, although `x` is the same for all the trees of a forest; with 30
//! inputs most of a forest's time goes there (measured with `perf` on 50,000 rows), and every
//! node then scans all the rows of the matrix through a generic accessor. Here each column is
//! sorted once per forest, and each node scans only its own rows: on 20,000 rows × 30 inputs,
//! 100 trees of depth 6, 1.3 s instead of smartcore's 7.5 s (`tests::timing`).
//!
//! Why exact: the trees go into bundles whose bytes and predictions must not change with a
//! speed-up. This mirrors `RandomForestClassifier::fit` with
//! `RandomForestClassifierParameters::default()` (Gini, `min_samples_split` 2, `m` = ⌊√p⌋) and
//! the given trees, depth, leaf size and seed, as smartcore **0.7.0** does it, with the same
//! generator (rand 0.10's `SmallRng`, the crate smartcore itself resolves to):
//!
//! - the same bootstrap draws, class by class over the sorted distinct classes, from one
//!   generator seeded with `seed`, and the same per-tree seed (`seed + tree`, wrapping);
//! - the same feature shuffle per node, drawn only for an impure node when ⌊√p⌋ < p;
//! - the same row order within each column: smartcore's own `argsort_mut`, called, not copied.
//!   It is not a stable sort, and its tie order matters: a cut between two values is only
//!   tried when the last row before it and the first after it differ in class;
//! - the same breadth-first order of nodes (true child, then false child), the same strict
//!   `>` between gains (the first best cut wins), the same floating-point sums in the same
//!   order, and the same quirks: a node found splittable at the maximum depth keeps its split
//!   feature though it stays a leaf, and a split that the midpoint threshold makes smaller
//!   than the minimum leaf is undone (feature back to 0).
//!
//! The one structural change: each node keeps, per column, its in-bag rows in the column's
//! sorted order (a stable partition of its parent's), where smartcore walks the whole sorted
//! column and skips the rows whose bootstrap count is 0 in the node. Both visit the node's
//! rows in the same order with the same counts, so every sum, comparison and tie is the same.
//! `forest_is_smartcores_bit_for_bit` checks the lifted trees against smartcore's own on data
//! built to reach each of these paths; re-run it on any smartcore or rand upgrade.
//!
//! Indexing below is into vectors this module builds to the shapes checked in [`Data::new`]
//! (rows × inputs, row indices from `0..rows`, classes from `0..k`); it is never driven by
//! unchecked input.

use std::collections::VecDeque;

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use smartcore::linalg::basic::arrays::MutArrayView1;

use crate::error::{Error, Result};
use crate::model::fitted::{Node, Tree};

/// smartcore's default `min_samples_split`.
const MIN_SPLIT: usize = 2;

/// Fits a random forest exactly as smartcore 0.7.0's `RandomForestClassifier::fit` does with
/// `RandomForestClassifierParameters::default().with_n_trees(trees).with_max_depth(max_depth)
/// .with_min_samples_leaf(min_leaf).with_keep_samples(true).with_seed(seed)`, and lifts each
/// tree as [`super::candidates`] lifts smartcore's: the structure, then the cover and leaf
/// counts recounted from the tree's in-bag rows ([`lift_tree`]).
///
/// `x` is rows × inputs, `y` the class of each row in `0..n_classes`.
pub(crate) fn fit_forest(
    x: &[Vec<f64>],
    y: &[usize],
    n_classes: usize,
    trees: u16,
    max_depth: u16,
    min_leaf: usize,
    seed: u64,
) -> Result<Vec<Tree>> {
    Data::new(x, y, n_classes)?.forest(trees, max_depth, min_leaf, seed)
}

/// The forest's refusal of its input, naming what was wrong.
fn refuse(what: &str) -> Error {
    Error::Training(format!("random forest: {what}"))
}

/// What every tree of a forest shares: the checked input, the classes as smartcore numbers
/// them, and each column sorted once.
struct Data<'a> {
    x: &'a [Vec<f64>],
    y: &'a [usize],
    n_classes: usize,
    /// Each row's class as an index into the sorted distinct classes (smartcore's `yi`).
    class: Vec<u32>,
    /// The rows of each of those classes, in row order (the bootstrap draws from these).
    by_class: Vec<Vec<usize>>,
    /// Each column's rows in smartcore's `argsort_mut` order.
    order: Vec<Vec<u32>>,
    /// Each column's values in that order.
    sorted: Vec<Vec<f64>>,
}

impl<'a> Data<'a> {
    fn new(x: &'a [Vec<f64>], y: &'a [usize], n_classes: usize) -> Result<Data<'a>> {
        let rows = x.len();
        let width = x.first().map_or(0, Vec::len);
        if rows == 0 || width == 0 {
            return Err(refuse("no training rows or no inputs"));
        }
        if x.iter().any(|r| r.len() != width) {
            return Err(refuse("rows of different lengths"));
        }
        if y.len() != rows {
            return Err(refuse(&format!(
                "one class per row is needed (got {} classes for {rows} rows)",
                y.len()
            )));
        }
        // Row indices, classes and bootstrap counts (at most `rows`) are held in `u32`.
        if u32::try_from(rows).is_err() {
            return Err(refuse("too many rows"));
        }
        // The preprocessed inputs are finite; smartcore's sort and thresholds are not defined
        // for NaN, and its serialized trees (read by `lift_forest`) cannot hold an infinity.
        if x.iter().flatten().any(|v| !v.is_finite()) {
            return Err(refuse("an input is not a finite number"));
        }
        // smartcore numbers the classes present in `y`, in increasing order.
        let mut index = vec![None; n_classes];
        for &c in y {
            *index
                .get_mut(c)
                .ok_or_else(|| refuse("a class is out of range"))? = Some(0u32);
        }
        let mut k = 0;
        for i in index.iter_mut().flatten() {
            *i = k;
            k += 1;
        }
        if k < 2 {
            return Err(refuse("at least two classes are needed"));
        }
        let class: Vec<u32> = y
            .iter()
            .map(|&c| index.get(c).copied().flatten().unwrap_or(0))
            .collect();
        let mut by_class = vec![Vec::new(); k as usize];
        for (row, &c) in class.iter().enumerate() {
            by_class[c as usize].push(row);
        }
        let (mut order, mut sorted) = (Vec::with_capacity(width), Vec::with_capacity(width));
        for j in 0..width {
            // smartcore's own sort, on the column as smartcore reads it (rows in order).
            let mut col: Vec<f64> = x.iter().map(|r| r[j]).collect();
            let o: Vec<u32> = col.argsort_mut().into_iter().map(|i| i as u32).collect();
            sorted.push(o.iter().map(|&i| x[i as usize][j]).collect());
            order.push(o);
        }
        Ok(Data {
            x,
            y,
            n_classes,
            class,
            by_class,
            order,
            sorted,
        })
    }

    /// smartcore's `RandomForestClassifier::fit` loop: one bootstrap and one tree at a time.
    fn forest(&self, trees: u16, max_depth: u16, min_leaf: usize, seed: u64) -> Result<Vec<Tree>> {
        let width = self.order.len();
        let mtry = (width as f64).sqrt().floor() as usize;
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut out = Vec::with_capacity(usize::from(trees));
        let mut work = Work::default();
        for t in 0..trees {
            let samples = self.bootstrap(&mut rng);
            let tree_rng = SmallRng::seed_from_u64(seed.wrapping_add(u64::from(t)));
            let nodes;
            (nodes, work) =
                Grow::new(self, work, &samples, mtry, min_leaf, tree_rng).grow(max_depth);
            out.push(lift_tree(
                nodes.into_iter().map(Split::from),
                samples.iter().map(|&s| s != 0),
                self.x,
                self.y,
                self.n_classes,
            )?);
        }
        Ok(out)
    }

    /// smartcore's `sample_with_replacement`: per class, as many draws as the class has rows
    /// (its class weight is 1), each a uniform `usize` in `0..rows of the class`. Returns each
    /// row's multiplicity.
    fn bootstrap(&self, rng: &mut SmallRng) -> Vec<u32> {
        let mut samples = vec![0u32; self.class.len()];
        for rows in &self.by_class {
            let n = rows.len();
            for _ in 0..n {
                let i: usize = rng.random_range(0..n);
                samples[rows[i]] += 1;
            }
        }
        samples
    }
}

/// smartcore's Gini impurity, the same operations in the same order.
fn gini(count: &[usize], n: usize) -> f64 {
    let mut impurity = 1f64;
    for &c in count {
        if c > 0 {
            let p = c as f64 / n as f64;
            impurity -= p * p;
        }
    }
    impurity
}

/// A node as smartcore's tree holds it while growing (its `output` and sample count are not
/// needed: the lift recounts them).
#[derive(Debug, Clone, Default)]
struct Grown {
    feature: usize,
    value: Option<f64>,
    score: Option<f64>,
    impurity: f64,
    children: Option<(usize, usize)>,
}

/// A node waiting in the breadth-first queue (smartcore's `NodeVisitor`): its rows are
/// `start..start + len` of every column's stretch of [`Grow::rows`].
#[derive(Debug, Clone, Copy)]
struct Visit {
    node: usize,
    start: usize,
    len: usize,
    level: u16,
}

/// A row's class index and bootstrap multiplicity, side by side: one load per row in a scan.
/// A row in a node always keeps its multiplicity (smartcore's per-node `samples` are these
/// or 0).
#[derive(Debug, Clone, Copy)]
struct Row {
    class: u32,
    mult: u32,
}

/// A tree's working buffers, handed on from tree to tree (allocating and zeroing them afresh
/// for each tree cost a tenth of the time).
#[derive(Debug, Default)]
struct Work {
    /// Each row's class and multiplicity in this tree's bootstrap.
    row: Vec<Row>,
    /// Column `j`'s in-bag rows in its sorted order at `j * m..(j + 1) * m` (`m` distinct
    /// in-bag rows), and their values in `vals`; a node's rows are one range of every column's
    /// stretch, in that column's order. One spare slot at the end (see [`Grow::new`]).
    rows: Vec<u32>,
    vals: Vec<f64>,
    /// Which rows of the node being split go to its true child.
    left: Vec<bool>,
    /// Scratch for the stable partition, `m` long.
    tmp_rows: Vec<u32>,
    tmp_vals: Vec<f64>,
}

/// One tree being grown (smartcore's `fit_weak_learner`).
struct Grow<'d, 'a> {
    data: &'d Data<'a>,
    work: Work,
    /// Distinct in-bag rows.
    m: usize,
    nodes: Vec<Grown>,
    mtry: usize,
    min_leaf: usize,
    rng: SmallRng,
}

impl<'d, 'a> Grow<'d, 'a> {
    fn new(
        data: &'d Data<'a>,
        mut work: Work,
        mult: &[u32],
        mtry: usize,
        min_leaf: usize,
        rng: SmallRng,
    ) -> Grow<'d, 'a> {
        let Work {
            row,
            rows,
            vals,
            left,
            tmp_rows,
            tmp_vals,
        } = &mut work;
        row.clear();
        row.extend(
            data.class
                .iter()
                .zip(mult)
                .map(|(&class, &mult)| Row { class, mult }),
        );
        let m = mult.iter().filter(|&&s| s > 0).count();
        let width = data.order.len();
        // Only the lengths matter: every slot is written before it is read.
        rows.resize(width * m + 1, 0);
        vals.resize(width * m + 1, 0.0);
        left.resize(mult.len(), false);
        tmp_rows.resize(m, 0);
        tmp_vals.resize(m, 0.0);
        // Each column's in-bag rows, kept without a branch (in or out of the bag is a coin
        // toss): every row is written at the cursor, which moves on only for an in-bag row.
        // The cursor of column j ends at (j + 1) * m, the start of the next column's stretch
        // (rewritten next) or the spare slot at the end.
        for (j, (order, sorted)) in data.order.iter().zip(&data.sorted).enumerate() {
            let mut w = j * m;
            for (&r, &v) in order.iter().zip(sorted) {
                rows[w] = r;
                vals[w] = v;
                w += usize::from(row[r as usize].mult > 0);
            }
        }
        Grow {
            data,
            work,
            m,
            nodes: Vec::new(),
            mtry,
            min_leaf,
            rng,
        }
    }

    /// The breadth-first growth: a node whose best cut was found is split when its level is
    /// below `max_depth`, the root being level 1.
    fn grow(mut self, max_depth: u16) -> (Vec<Grown>, Work) {
        self.nodes.push(Grown::default());
        let root = Visit {
            node: 0,
            start: 0,
            len: self.m,
            level: 1,
        };
        let mut queue = VecDeque::new();
        if self.cutoff(root) {
            queue.push_back(root);
        }
        while let Some(v) = queue.pop_front() {
            if v.level < max_depth {
                self.split(v, &mut queue);
            }
        }
        (self.nodes, self.work)
    }

    /// Where node `v`'s rows are in column `j`'s stretch.
    fn range(&self, j: usize, v: Visit) -> std::ops::Range<usize> {
        let at = j * self.m + v.start;
        at..at + v.len
    }

    /// smartcore's `find_best_cutoff`: whether node `v` has a cut.
    fn cutoff(&mut self, v: Visit) -> bool {
        let k = self.data.by_class.len();
        let mut count = vec![0usize; k];
        let mut n = 0usize;
        for &r in &self.work.rows[self.range(0, v)] {
            let Row { class, mult } = self.work.row[r as usize];
            count[class as usize] += mult as usize;
            n += mult as usize;
        }
        let node = &mut self.nodes[v.node];
        node.impurity = gini(&count, n);
        let pure = count.iter().filter(|&&c| c > 0).count() <= 1;
        if pure || n < MIN_SPLIT {
            return false;
        }
        let width = self.data.order.len();
        let mut variables: Vec<usize> = (0..width).collect();
        if self.mtry < width {
            variables.shuffle(&mut self.rng);
        }
        for &j in variables.iter().take(self.mtry) {
            self.best_split(v, n, &count, j);
        }
        self.nodes[v.node].score.is_some()
    }

    /// smartcore's `find_best_split` for input `j`: walk the node's rows in the column's
    /// order, trying a cut wherever both the value and the class change from the row before.
    fn best_split(&mut self, v: Visit, n: usize, count: &[usize], j: usize) {
        let range = self.range(j, v);
        let (rows, vals) = (&self.work.rows[range.clone()], &self.work.vals[range]);
        let (row, min_leaf) = (&self.work.row, self.min_leaf);
        let node = &mut self.nodes[v.node];
        let mut true_count = vec![0usize; count.len()];
        let mut false_count = vec![0usize; count.len()];
        let mut tc = 0usize;
        let mut prev: Option<(f64, usize)> = None;
        for (&r, &x) in rows.iter().zip(vals) {
            let Row { class, mult } = row[r as usize];
            let (y, s) = (class as usize, mult as usize);
            if let Some((px, py)) = prev {
                let fc = n - tc;
                if x != px && y != py && tc >= min_leaf && fc >= min_leaf {
                    for ((f, &c), &t) in false_count.iter_mut().zip(count).zip(&true_count) {
                        *f = c - t;
                    }
                    let gain = node.impurity
                        - tc as f64 / n as f64 * gini(&true_count, tc)
                        - fc as f64 / n as f64 * gini(&false_count, fc);
                    if node.score.is_none_or(|best| gain > best) {
                        node.feature = j;
                        node.value = Some((x + px) / 2f64);
                        node.score = Some(gain);
                    }
                }
            }
            prev = Some((x, y));
            true_count[y] += s;
            tc += s;
        }
    }

    /// smartcore's `split`: send node `v`'s rows to its children by `x <= threshold`, undo the
    /// cut if a child gets fewer than `min_leaf` rows, else look for the children's cuts (true
    /// child first) and queue those that have one.
    fn split(&mut self, v: Visit, queue: &mut VecDeque<Visit>) {
        let (feature, threshold) = {
            let node = &self.nodes[v.node];
            (node.feature, node.value.unwrap_or(f64::NAN))
        };
        let (mut tc, mut fc, mut n_left) = (0usize, 0usize, 0usize);
        let range = self.range(feature, v);
        for (&r, &x) in self.work.rows[range.clone()]
            .iter()
            .zip(&self.work.vals[range])
        {
            let goes_left = x <= threshold;
            self.work.left[r as usize] = goes_left;
            let s = self.work.row[r as usize].mult as usize;
            if goes_left {
                tc += s;
                n_left += 1;
            } else {
                fc += s;
            }
        }
        if tc < self.min_leaf || fc < self.min_leaf {
            let node = &mut self.nodes[v.node];
            node.feature = 0;
            node.value = None;
            node.score = None;
            return;
        }
        for j in 0..self.data.order.len() {
            let range = self.range(j, v);
            stable_partition(
                &mut self.work.rows[range.clone()],
                &mut self.work.vals[range],
                &self.work.left,
                (&mut self.work.tmp_rows, &mut self.work.tmp_vals),
            );
        }
        let t = self.nodes.len();
        self.nodes.push(Grown::default());
        self.nodes.push(Grown::default());
        self.nodes[v.node].children = Some((t, t + 1));
        let level = v.level + 1;
        let true_child = Visit {
            node: t,
            start: v.start,
            len: n_left,
            level,
        };
        if self.cutoff(true_child) {
            queue.push_back(true_child);
        }
        let false_child = Visit {
            node: t + 1,
            start: v.start + n_left,
            len: v.len - n_left,
            level,
        };
        if self.cutoff(false_child) {
            queue.push_back(false_child);
        }
    }
}

/// Moves the rows marked in `left` (and their values) to the front, keeping the order on each
/// side. Branch-free, each row written to both sides and only one cursor moving on: the sides
/// are a coin toss, and this is where a tree spends most of its time.
fn stable_partition(
    rows: &mut [u32],
    vals: &mut [f64],
    left: &[bool],
    (tmp_rows, tmp_vals): (&mut [u32], &mut [f64]),
) {
    let (mut w, mut t) = (0, 0);
    for i in 0..rows.len() {
        let (r, v) = (rows[i], vals[i]);
        let goes_left = left[r as usize];
        // `w <= i`: what is read was never overwritten.
        rows[w] = r;
        vals[w] = v;
        tmp_rows[t] = r;
        tmp_vals[t] = v;
        w += usize::from(goes_left);
        t += usize::from(!goes_left);
    }
    rows[w..].copy_from_slice(&tmp_rows[..t]);
    vals[w..].copy_from_slice(&tmp_vals[..t]);
}

impl From<Grown> for Split {
    fn from(g: Grown) -> Split {
        Split {
            feature: g.feature,
            value: g.value,
            children: g.children,
        }
    }
}

/// One node of a smartcore tree, as far as a lifted [`Tree`] needs it: smartcore's
/// `split_feature`, `split_value` and children (true, false).
#[derive(Debug, Clone)]
pub(super) struct Split {
    pub(super) feature: usize,
    pub(super) value: Option<f64>,
    pub(super) children: Option<(usize, usize)>,
}

/// Lifts one smartcore tree, whether read from smartcore's serialized forest
/// (`candidates::lift_forest`) or grown by [`fit_forest`]. smartcore's leaves hold only the
/// majority class, so the structure is taken as it is (every node keeps its `split_feature`;
/// an internal node's threshold is its `split_value`, a leaf's 0) and then each in-bag
/// training row (once, whatever its bootstrap multiplicity) is sent down the tree, counted in
/// every node's cover (needed by TreeSHAP) and in its leaf's class counts (the leaf's
/// probability).
pub(super) fn lift_tree(
    nodes: impl IntoIterator<Item = Split>,
    in_bag: impl IntoIterator<Item = bool>,
    x: &[Vec<f64>],
    y: &[usize],
    n_classes: usize,
) -> Result<Tree> {
    let bad = |what: &str| refuse(&format!("unexpected smartcore layout ({what})"));
    let index = |i: usize, what: &str| u32::try_from(i).map_err(|_| bad(what));
    let nodes = nodes
        .into_iter()
        .map(|s| {
            let (left, right, threshold) = match s.children {
                Some((l, r)) => (
                    index(l, "child index")?,
                    index(r, "child index")?,
                    s.value
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| bad("split_value"))?,
                ),
                None => (0, 0, 0.0),
            };
            Ok(Node {
                feature: index(s.feature, "split_feature")?,
                threshold,
                left,
                right,
                cover: 0,
                counts: if s.children.is_none() {
                    vec![0; n_classes]
                } else {
                    vec![]
                },
            })
        })
        .collect::<Result<Vec<Node>>>()?;
    let mut tree = Tree { nodes };
    for (row, (&class, used)) in x.iter().zip(y.iter().zip(in_bag)) {
        if !used {
            continue;
        }
        let mut i = 0usize;
        for _ in 0..=tree.nodes.len() {
            let node = tree.nodes.get_mut(i).ok_or_else(|| bad("child index"))?;
            node.cover += 1;
            if node.is_leaf() {
                if let Some(c) = node.counts.get_mut(class) {
                    *c += 1;
                }
                break;
            }
            let v = row
                .get(node.feature as usize)
                .ok_or_else(|| bad("split_feature"))?;
            i = if *v <= node.threshold {
                node.left
            } else {
                node.right
            } as usize;
        }
    }
    Ok(tree)
}

#[cfg(test)]
mod tests;
