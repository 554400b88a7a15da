//! A two-dimensional principal-component projection for the case map, fitted by the trainer
//! on the preprocessed training inputs and applied anywhere (a library loaded from CSV is
//! placed on the same map). Power iteration with deflation from a fixed start: deterministic.

use serde::{Deserialize, Serialize};

/// The first two principal axes of the preprocessed training inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pca {
    /// Mean preprocessed input.
    pub mean: Vec<f64>,
    /// Unit-length axes (two, each as wide as `mean`).
    pub axes: Vec<Vec<f64>>,
    /// Share of the total variance along each axis.
    pub explained: Vec<f64>,
}

impl Pca {
    /// Fit on preprocessed rows (all of the same width).
    pub fn fit(rows: &[Vec<f64>]) -> Pca {
        let width = rows.first().map_or(0, Vec::len);
        let n = rows.len().max(1) as f64;
        let mean: Vec<f64> = (0..width)
            .map(|j| rows.iter().filter_map(|r| r.get(j)).sum::<f64>() / n)
            .collect();
        let mut cov = vec![vec![0.0; width]; width];
        for r in rows {
            for (a, ca) in cov.iter_mut().enumerate() {
                let da = r.get(a).copied().unwrap_or(0.0) - mean[a];
                for (b, c) in ca.iter_mut().enumerate() {
                    *c += da * (r.get(b).copied().unwrap_or(0.0) - mean[b]) / n;
                }
            }
        }
        let total: f64 = (0..width).map(|j| cov[j][j]).sum();
        let mut axes = Vec::new();
        let mut explained = Vec::new();
        for _ in 0..2.min(width) {
            let (v, lambda) = top_eigen(&cov);
            for (a, ca) in cov.iter_mut().enumerate() {
                for (b, c) in ca.iter_mut().enumerate() {
                    *c -= lambda * v[a] * v[b];
                }
            }
            explained.push(if total > 0.0 { lambda / total } else { 0.0 });
            axes.push(v);
        }
        Pca {
            mean,
            axes,
            explained,
        }
    }

    /// Coordinates of a preprocessed input on the two axes (0 where an axis is absent).
    pub fn project(&self, x: &[f64]) -> [f32; 2] {
        let mut out = [0.0f32; 2];
        for (o, axis) in out.iter_mut().zip(&self.axes) {
            *o = axis
                .iter()
                .zip(x.iter().zip(&self.mean))
                .map(|(a, (v, m))| a * (v - m))
                .sum::<f64>() as f32;
        }
        out
    }

    /// Whether the shapes agree with a preprocessor of `width` inputs.
    pub fn is_consistent(&self, width: usize) -> bool {
        self.mean.len() == width && self.axes.iter().all(|a| a.len() == width)
    }
}

/// The leading eigenvector (sign fixed: largest entry positive) and eigenvalue of a symmetric
/// positive semi-definite matrix.
fn top_eigen(m: &[Vec<f64>]) -> (Vec<f64>, f64) {
    let w = m.len();
    let mut v: Vec<f64> = (0..w).map(|i| 1.0 + i as f64 * 0.013).collect();
    normalize(&mut v);
    let mut lambda = 0.0;
    for _ in 0..1000 {
        let mut next: Vec<f64> = m
            .iter()
            .map(|row| row.iter().zip(&v).map(|(a, b)| a * b).sum())
            .collect();
        let norm = normalize(&mut next);
        let delta: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        lambda = norm;
        if norm == 0.0 || delta < 1e-12 {
            break;
        }
    }
    let big = v
        .iter()
        .copied()
        .fold(0.0f64, |acc, x| if x.abs() > acc.abs() { x } else { acc });
    if big < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    (v, lambda)
}

fn normalize(v: &mut [f64]) -> f64 {
    let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    norm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_long_axis_first() {
        // Points along (1, 1) with a little spread along (1, -1).
        let rows: Vec<Vec<f64>> = (0..100)
            .map(|i| {
                let t = i as f64 / 10.0 - 5.0;
                let s = if i % 2 == 0 { 0.1 } else { -0.1 };
                vec![t + s, t - s]
            })
            .collect();
        let p = Pca::fit(&rows);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((p.axes[0][0] - h).abs() < 1e-3 && (p.axes[0][1] - h).abs() < 1e-3);
        assert!((p.axes[1][0].abs() - h).abs() < 1e-3);
        assert!(p.explained[0] > 0.99 && p.explained[0] + p.explained[1] > 0.999999);
        let c = p.project(&[1.0 + p.mean[0], 1.0 + p.mean[1]]);
        assert!((f64::from(c[0]) - 2.0 * h).abs() < 1e-2, "{c:?}");
        assert_eq!(Pca::fit(&rows), p, "deterministic");
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::decode_struct;
    decode_struct!(Pca {
        mean,
        axes,
        explained
    });
}
