//! One sort for every list of indices the browser orders (library table, neighbour features,
//! explanation bars). Each distinct closure passed to `sort_by` instantiates its own copy of
//! the standard library's sort in the WASM (about 3 KB each); routing them through one
//! `&dyn Fn` keeps a single copy. The comparators all break ties by index, so an unstable sort
//! gives the same order as a stable one.

use std::cmp::Ordering;

/// Sort `indices` by `cmp`, which must be a total order (break ties by index).
///
/// In the browser this is a heapsort: a total order has exactly one sorted result, so any
/// correct sort gives the same order, and a heapsort is a few hundred bytes where the standard
/// library's unstable sort is a few kilobytes. Natively (training, the CLI) it is
/// the standard library's, which is faster on large inputs. A test compares the two.
pub fn sort_indices(indices: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    heapsort(indices, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    indices.sort_unstable_by(|&a, &b| cmp(a, b));
}

/// Heapsort, ascending by `cmp` (the browser's [`sort_indices`]).
pub fn heapsort(v: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    /// Move the value at `root` down until both children are not greater (a max-heap on
    /// `v[..end]`).
    fn sift_down(
        v: &mut [usize],
        mut root: usize,
        end: usize,
        cmp: &dyn Fn(usize, usize) -> Ordering,
    ) {
        let at = |v: &[usize], i: usize| v.get(i).copied().unwrap_or_default();
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                break;
            }
            if child + 1 < end && cmp(at(v, child), at(v, child + 1)) == Ordering::Less {
                child += 1;
            }
            if cmp(at(v, root), at(v, child)) != Ordering::Less {
                break;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift_down(v, i, n, cmp);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, cmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_the_given_order() {
        let keys = [3.0f64, 1.0, 2.0, 1.0];
        let mut v: Vec<usize> = (0..keys.len()).collect();
        sort_indices(&mut v, &|a, b| keys[a].total_cmp(&keys[b]).then(a.cmp(&b)));
        assert_eq!(v, [1, 3, 2, 0]);
    }

    /// The browser's heapsort gives the standard library's order, ties and all.
    #[test]
    fn the_heapsort_gives_the_standard_order() {
        let mut rng = crate::util::rng::Rng::new(7);
        for n in [0usize, 1, 2, 3, 5, 8, 17, 100, 1000] {
            // Few distinct keys, so ties are common and broken by index.
            let keys: Vec<u64> = (0..n).map(|_| rng.next_u64() % 7).collect();
            let cmp = |a: usize, b: usize| keys[a].cmp(&keys[b]).then(a.cmp(&b));
            let mut expected: Vec<usize> = (0..n).rev().collect();
            expected.sort_unstable_by(|&a, &b| cmp(a, b));
            let mut got: Vec<usize> = (0..n).rev().collect();
            heapsort(&mut got, &cmp);
            assert_eq!(got, expected, "n = {n}");
        }
    }
}
