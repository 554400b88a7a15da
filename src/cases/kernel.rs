//! The distance kernel: Gower-style distances from one query to every case of a columnar
//! library, four cases at a time, keeping the `k` nearest that pass a filter.
//!
//! Per compared feature `j` with weight `w_j`, a case contributes `w_j · d_j` to the numerator
//! and `w_j` to the denominator, where `d_j = min(|x − q| · scale_j, 1)` for numeric features
//! (`scale_j` = 1 / training range) and `d_j = [x ≠ q]` for categorical and yes/no features.
//! A feature missing in the query is left out for every case; one missing in a case (`NaN`) is
//! left out for that case only, so a gap is neither "alike" nor "different" (no silent bias
//! toward or away from incomplete records). The distance is the ratio, in `[0, 1]`; a case
//! with nothing to compare gets `+∞`.
//!
//! The same arithmetic runs scalar (natively, and as the reference) and with WASM SIMD
//! (`simd128`) in the browser; every lane does the same IEEE operations in the same order, so
//! both give bit-identical distances and the same top-k.

/// One feature the query has a value for.
#[derive(Debug, Clone, Copy)]
pub struct Term<'a> {
    /// The library's column for this feature.
    pub column: &'a [f32],
    /// The query's value.
    pub q: f32,
    /// `1 / range` for numeric features; `0` marks a categorical or yes/no feature.
    pub scale: f32,
    /// The feature's weight.
    pub weight: f32,
}

/// The `k` nearest accepted cases as `(distance, case)`, nearest first (ties: lower index).
pub fn top_k(
    n: usize,
    terms: &[Term],
    k: usize,
    accept: impl Fn(usize) -> bool,
) -> Vec<(f32, u32)> {
    let mut best = TopK::new(k);
    if k == 0 {
        return Vec::new();
    }
    let blocks = n / 4;
    for b in 0..blocks {
        let i = b * 4;
        let d = imp::block(terms, i);
        for (lane, &dist) in d.iter().enumerate() {
            if dist < best.worst() && accept(i + lane) {
                best.push(dist, (i + lane) as u32);
            }
        }
    }
    for i in blocks * 4..n {
        let dist = distance(terms, i);
        if dist < best.worst() && accept(i) {
            best.push(dist, i as u32);
        }
    }
    best.into_sorted()
}

/// The distance of case `i`, scalar (the reference for the kernel).
pub fn distance(terms: &[Term], i: usize) -> f32 {
    let (mut num, mut den) = (0.0f32, 0.0f32);
    for t in terms {
        let x = t.column.get(i).copied().unwrap_or(f32::NAN);
        let (n, d) = term(x, t);
        num += n;
        den += d;
    }
    finish(num, den)
}

#[inline(always)]
fn term(x: f32, t: &Term) -> (f32, f32) {
    if x.is_nan() {
        return (0.0, 0.0);
    }
    let d = if t.scale > 0.0 {
        ((x - t.q).abs() * t.scale).min(1.0)
    } else if x != t.q {
        1.0
    } else {
        0.0
    };
    (d * t.weight, t.weight)
}

#[inline(always)]
fn finish(num: f32, den: f32) -> f32 {
    if den > 0.0 {
        num / den
    } else {
        f32::INFINITY
    }
}

/// The `k` smallest `(distance, index)` pairs seen so far, kept sorted (k is small: a linear
/// insertion beats a heap).
struct TopK {
    k: usize,
    items: Vec<(f32, u32)>,
}

impl TopK {
    fn new(k: usize) -> TopK {
        TopK {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    #[inline(always)]
    fn worst(&self) -> f32 {
        if self.items.len() < self.k {
            f32::INFINITY
        } else {
            self.items.last().map_or(f32::INFINITY, |&(d, _)| d)
        }
    }

    fn push(&mut self, d: f32, i: u32) {
        // Cases arrive in index order, so inserting after equal distances keeps ties by index.
        let at = self.items.partition_point(|&(e, _)| e <= d);
        self.items.insert(at, (d, i));
        self.items.truncate(self.k);
    }

    fn into_sorted(self) -> Vec<(f32, u32)> {
        self.items
    }
}

/// Scalar blocks of four (natively, and in WASM builds without `simd128`).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    use super::{finish, term, Term};

    #[inline(always)]
    pub fn block(terms: &[Term], i: usize) -> [f32; 4] {
        let mut num = [0.0f32; 4];
        let mut den = [0.0f32; 4];
        for t in terms {
            let xs = t.column.get(i..i + 4).unwrap_or(&[f32::NAN; 4]);
            for lane in 0..4 {
                let (n, d) = term(xs[lane], t);
                num[lane] += n;
                den[lane] += d;
            }
        }
        [
            finish(num[0], den[0]),
            finish(num[1], den[1]),
            finish(num[2], den[2]),
            finish(num[3], den[3]),
        ]
    }
}

/// WASM SIMD: four cases per instruction.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    use super::{finish, Term};

    #[inline(always)]
    pub fn block(terms: &[Term], i: usize) -> [f32; 4] {
        let mut num = f32x4_splat(0.0);
        let mut den = f32x4_splat(0.0);
        let one = f32x4_splat(1.0);
        for t in terms {
            let Some(xs) = t.column.get(i..i + 4) else {
                continue;
            };
            let x = f32x4(xs[0], xs[1], xs[2], xs[3]);
            let q = f32x4_splat(t.q);
            let w = f32x4_splat(t.weight);
            let present = f32x4_eq(x, x);
            let d = if t.scale > 0.0 {
                let d = f32x4_mul(f32x4_abs(f32x4_sub(x, q)), f32x4_splat(t.scale));
                f32x4_mul(f32x4_pmin(one, d), w)
            } else {
                v128_and(f32x4_ne(x, q), w)
            };
            num = f32x4_add(num, v128_and(d, present));
            den = f32x4_add(den, v128_and(w, present));
        }
        [
            finish(f32x4_extract_lane::<0>(num), f32x4_extract_lane::<0>(den)),
            finish(f32x4_extract_lane::<1>(num), f32x4_extract_lane::<1>(den)),
            finish(f32x4_extract_lane::<2>(num), f32x4_extract_lane::<2>(den)),
            finish(f32x4_extract_lane::<3>(num), f32x4_extract_lane::<3>(den)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms<'a>(cols: &'a [Vec<f32>], q: &[f32], scale: &[f32]) -> Vec<Term<'a>> {
        cols.iter()
            .zip(q)
            .zip(scale)
            .map(|((c, &q), &s)| Term {
                column: c,
                q,
                scale: s,
                weight: 1.0,
            })
            .collect()
    }

    #[test]
    fn gower_by_hand() {
        // feature 0 numeric with range 10, feature 1 categorical
        let cols = vec![
            vec![0.0, 5.0, 10.0, f32::NAN, 3.0],
            vec![1.0, 2.0, 1.0, 2.0, f32::NAN],
        ];
        let t = terms(&cols, &[0.0, 1.0], &[0.1, 0.0]);
        assert_eq!(distance(&t, 0), 0.0);
        assert_eq!(distance(&t, 1), 0.75); // (0.5 + 1) / 2
        assert_eq!(distance(&t, 2), 0.5); // (1 + 0) / 2
        assert_eq!(distance(&t, 3), 1.0); // only the category compared
        assert!((distance(&t, 4) - 0.3).abs() < 1e-6); // only the number compared
        let top = top_k(5, &t, 3, |_| true);
        assert_eq!(
            top.iter().map(|&(_, i)| i).collect::<Vec<_>>(),
            vec![0, 4, 2]
        );
        let odd = top_k(5, &t, 2, |i| i % 2 == 1);
        assert_eq!(odd.iter().map(|&(_, i)| i).collect::<Vec<_>>(), vec![1, 3]);
    }

    #[test]
    fn nothing_to_compare_is_infinitely_far() {
        let cols = vec![vec![f32::NAN; 3]];
        let t = terms(&cols, &[1.0], &[1.0]);
        assert_eq!(distance(&t, 1), f32::INFINITY);
        assert!(top_k(3, &t, 2, |_| true).is_empty());
        assert!(top_k(3, &t, 0, |_| true).is_empty());
    }
}
