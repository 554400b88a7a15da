//! How typical a patient is of the training data: the training cases in the model's own input
//! space (preprocessed, f32, row-major) with the usual distance between neighbours, to tell a
//! clinician when a patient is unlike every case the model learned from. (The case library that
//! clinicians browse and search, in the schema's units, is `crate::cases`.)

use serde::{Deserialize, Serialize};

use super::neighbours::SortedAxis;

/// Preprocessed training cases and what is typical of their spacing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Typicality {
    /// Inputs per case.
    pub width: u32,
    /// In a bundle, which cases of its case library are the training cases this check
    /// measures against (indices; empty: all of them). The cases are stored once, in the
    /// library; `x` and `y` are computed from them when the bundle is opened
    /// ([`crate::bundle::Bundle::derive_from_cases`]).
    pub rows: Vec<u32>,
    /// Cases, row-major, preprocessed (standardised) inputs.
    #[serde(skip)]
    pub x: Vec<f32>,
    /// Outcome class index per case.
    #[serde(skip)]
    pub y: Vec<u16>,
    /// 99th percentile of each training case's distance to its nearest other training case.
    pub nn_p99: f64,
}

impl Typicality {
    /// Build from preprocessed rows and outcomes, computing the nearest-neighbour threshold.
    pub fn new(rows: &[Vec<f64>], y: &[usize]) -> Typicality {
        let lib = Typicality::unthresholded(rows, y);
        let sorted = lib.sorted();
        let nn = (0..lib.len())
            .map(|i| lib.nearest_excluding(i, sorted.as_ref()))
            .collect();
        lib.with_threshold(nn)
    }

    /// The cases without a threshold yet (every distance passes): the trainer finds each
    /// case's nearest other case on every core and hands the distances to
    /// [`Typicality::with_threshold`].
    pub fn unthresholded(rows: &[Vec<f64>], y: &[usize]) -> Typicality {
        let width = rows.first().map_or(0, Vec::len);
        Typicality {
            width: width as u32,
            rows: Vec::new(),
            x: rows.iter().flatten().map(|&v| v as f32).collect(),
            y: y.iter().map(|&c| c as u16).collect(),
            nn_p99: f64::INFINITY,
        }
    }

    /// The threshold from each case's distance to its nearest other case
    /// ([`Typicality::nearest_excluding`]): their 99th percentile.
    pub fn with_threshold(mut self, nearest: Vec<f64>) -> Typicality {
        let mut nn: Vec<f64> = nearest.into_iter().filter(|d| d.is_finite()).collect();
        nn.sort_by(f64::total_cmp);
        if !nn.is_empty() {
            let idx = ((nn.len() as f64 * 0.99).ceil() as usize).clamp(1, nn.len()) - 1;
            self.nn_p99 = nn.get(idx).copied().unwrap_or(self.nn_p99);
        }
        self
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Whether the stored shapes agree.
    pub fn is_consistent(&self, width: usize) -> bool {
        self.width as usize == width
            // Checked: on wasm32 a crafted length could wrap and pass as consistent.
            && self.y.len().checked_mul(width) == Some(self.x.len())
            && !self.nn_p99.is_nan()
    }

    fn row(&self, i: usize) -> &[f32] {
        let w = self.width as usize;
        let (Some(start), Some(end)) = (
            i.checked_mul(w),
            i.checked_add(1).and_then(|j| j.checked_mul(w)),
        ) else {
            return &[];
        };
        self.x.get(start..end).unwrap_or(&[])
    }

    /// Distance to the nearest row, skipping row `skip`.
    fn nearest_to(&self, x: &[f64], skip: Option<usize>) -> f64 {
        let w = (self.width as usize).max(1);
        let mut best = f64::INFINITY;
        for (j, row) in self.x.chunks_exact(w).enumerate() {
            if Some(j) == skip {
                continue;
            }
            if let Some(d) = crate::util::num::dist_sq_below(row, x, best) {
                best = best.min(d);
            }
        }
        best.sqrt()
    }

    /// The cases sorted along one input, for the many searches of the threshold
    /// ([`Typicality::nearest_excluding`]); `None` when they cannot be ordered.
    pub fn sorted(&self) -> Option<SortedAxis> {
        SortedAxis::new(&self.x, self.width as usize)
    }

    /// Distance from case `i` to its nearest other case (infinite when there is none). With
    /// `sorted` (these cases' [`Typicality::sorted`]) the search stops early, with the same
    /// answer.
    pub fn nearest_excluding(&self, i: usize, sorted: Option<&SortedAxis>) -> f64 {
        let me: Vec<f64> = self.row(i).iter().map(|&v| f64::from(v)).collect();
        if let Some(best) = sorted.and_then(|s| s.nearest(&self.x, &me, 1, Some(i))) {
            return best.first().map_or(f64::INFINITY, |&(d, _)| d).sqrt();
        }
        self.nearest_to(&me, Some(i))
    }

    /// Distance from `x` (preprocessed) to the nearest training case.
    pub fn nearest(&self, x: &[f64]) -> f64 {
        self.nearest_to(x, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_patients_are_beyond_the_threshold() {
        let rows: Vec<Vec<f64>> = (0..200)
            .map(|i| vec![(i % 20) as f64 * 0.1, (i / 20) as f64 * 0.1])
            .collect();
        let y = vec![0; 200];
        let lib = Typicality::new(&rows, &y);
        assert!(lib.is_consistent(2));
        assert!((lib.nn_p99 - 0.1).abs() < 1e-6, "{}", lib.nn_p99);
        assert!(lib.nearest(&[0.5, 0.5]) <= lib.nn_p99);
        assert!(lib.nearest(&[9.0, 9.0]) > lib.nn_p99);
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::decode_struct;
    decode_struct!(Typicality { width, rows, x = crate::util::wire::skip, y = crate::util::wire::skip, nn_p99 });
}
