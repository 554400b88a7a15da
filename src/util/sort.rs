//! One sort for every list of indices the browser orders (library table, neighbour features,
//! explanation bars). Each distinct closure passed to `sort_by` instantiates its own copy of
//! the standard library's sort in the WASM (about 3 KB each); routing them through one
//! `&dyn Fn` keeps a single copy. The comparators all break ties by index, so an unstable sort
//! gives the same order as a stable one.

use std::cmp::Ordering;

/// Sort `indices` by `cmp`, which must be a total order (break ties by index).
pub fn sort_indices(indices: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    indices.sort_unstable_by(|&a, &b| cmp(a, b));
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
}
