//! Exact nearest-neighbour search for many queries against the same cases: the cases sorted
//! along one input, searched outwards from the query's own value.
//!
//! Why: the trainer asks the same question tens of thousands of times (every held-out row of
//! every fold for k-NN; every training case for the distance check), and a scan in case order
//! visits every case for every query. Sorted along one input, the search can stop as soon as
//! that input alone puts every case not yet visited beyond the k-th nearest found.
//!
//! Why it is exact: a squared distance is a sum of non-negative terms, summed in input order
//! ([`crate::util::num::dist_sq_below`]), and floating-point addition is monotone, so the
//! computed distance of a case is never below its own term for the sorting input, computed the
//! same way. A case whose term exceeds the k-th distance found can therefore not be among the
//! k nearest, nor can any case further along that side. Cases are ranked by distance, then by
//! case order, as the scan in case order ranks them, so the k cases, their order and their
//! distances are the scan's bit for bit (`tests::same_answers_as_the_scan_in_case_order`).
//! A query or a case with a value that is not finite has no such ordering; [`SortedAxis::new`]
//! refuses such cases and [`SortedAxis::nearest`] such a query, and callers scan instead.

use crate::util::num::dist_sq_below;

/// Cases (row-major f32, `width` inputs each) sorted along one input.
#[derive(Debug, Clone)]
pub struct SortedAxis {
    width: usize,
    /// The input the cases are sorted along: the one with the widest spread.
    axis: usize,
    /// Case indices in order of their value of `axis`.
    order: Vec<u32>,
    /// Those values, in that order.
    keys: Vec<f64>,
}

impl SortedAxis {
    /// Sort `cases` along their widest input, or `None` when there is nothing to search
    /// (no cases, no inputs, a ragged buffer, a value that is not finite, more cases than
    /// `u32` counts).
    pub fn new(cases: &[f32], width: usize) -> Option<SortedAxis> {
        if width == 0 || cases.is_empty() || cases.len() % width != 0 {
            return None;
        }
        if cases.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let n = cases.len() / width;
        u32::try_from(n).ok()?;
        let column = |j: usize| cases.iter().skip(j).step_by(width).map(|&v| f64::from(v));
        let spread = |j: usize| {
            let mean = column(j).sum::<f64>() / n as f64;
            column(j).map(|v| (v - mean).powi(2)).sum::<f64>()
        };
        let axis = (0..width)
            .map(|j| (j, spread(j)))
            .fold((0, f64::NEG_INFINITY), |b, c| if c.1 > b.1 { c } else { b })
            .0;
        let mut order: Vec<u32> = (0..n as u32).collect();
        let key = |i: u32| {
            cases
                .get(i as usize * width + axis)
                .map_or(0.0, |&v| f64::from(v))
        };
        order.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
        let keys = order.iter().map(|&i| key(i)).collect();
        Some(SortedAxis {
            width,
            axis,
            order,
            keys,
        })
    }

    /// The `k` nearest of `cases` (the buffer this was built from) to `query`, leaving out case
    /// `skip`, as (squared distance, case) nearest first, ties by case order: exactly what a
    /// scan in case order keeping the `k` smallest (distance, case) pairs gives. `None` when
    /// the query has a value that is not finite or the wrong width, or `cases` is not the
    /// buffer this was built from (scan instead).
    pub fn nearest(
        &self,
        cases: &[f32],
        query: &[f64],
        k: usize,
        skip: Option<usize>,
    ) -> Option<Vec<(f64, usize)>> {
        if query.len() != self.width
            || query.iter().any(|v| !v.is_finite())
            || self.order.len().checked_mul(self.width) != Some(cases.len())
        {
            return None;
        }
        let q = *query.get(self.axis)?;
        let term = |key: f64| (key - q).powi(2);
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(k.min(self.order.len()) + 1);
        if k == 0 {
            return Some(best);
        }
        // The next case down is at `down - 1`, the next up at `up`.
        let mid = self.keys.partition_point(|&v| v < q);
        let (mut down, mut up) = (mid, mid);
        loop {
            let td = down
                .checked_sub(1)
                .and_then(|p| self.keys.get(p))
                .map(|&v| term(v));
            let tu = self.keys.get(up).map(|&v| term(v));
            let (pos, t) = match (td, tu) {
                (Some(a), Some(b)) if a <= b => (down - 1, a),
                (_, Some(b)) => (up, b),
                (Some(a), None) => (down - 1, a),
                (None, None) => break,
            };
            let full = best.len() >= k;
            let (limit, last) = match best.last() {
                Some(&(d, i)) if full => (d, i),
                _ => (f64::INFINITY, usize::MAX),
            };
            // Every case left has a term of at least `t`, so a distance of at least `t`.
            if full && t > limit {
                break;
            }
            if pos < mid {
                down -= 1;
            } else {
                up += 1;
            }
            let Some(&case) = self.order.get(pos) else {
                break;
            };
            let case = case as usize;
            if Some(case) == skip {
                continue;
            }
            let start = case * self.width;
            let Some(row) = cases.get(start..start + self.width) else {
                continue;
            };
            let Some(d) = dist_sq_below(row, query, limit) else {
                continue;
            };
            if !full || d < limit || (d == limit && case < last) {
                let at = best.partition_point(|&(bd, bi)| bd < d || (bd == d && bi < case));
                best.insert(at, (d, case));
                best.truncate(k);
            }
        }
        Some(best)
    }
}

#[cfg(test)]
mod tests;
