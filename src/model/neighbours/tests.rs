use super::*;
use crate::util::rng::Rng;
use proptest::prelude::*;

/// The scan in case order: every case's full distance, ranked by (distance, case).
fn scan(
    cases: &[f32],
    width: usize,
    query: &[f64],
    k: usize,
    skip: Option<usize>,
) -> Vec<(f64, usize)> {
    let mut all: Vec<(f64, usize)> = cases
        .chunks_exact(width)
        .enumerate()
        .filter(|&(i, _)| Some(i) != skip)
        .filter_map(|(i, row)| dist_sq_below(row, query, f64::INFINITY).map(|d| (d, i)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(k);
    all
}

fn bits(v: &[(f64, usize)]) -> Vec<(u64, usize)> {
    v.iter().map(|&(d, i)| (d.to_bits(), i)).collect()
}

#[test]
fn same_answers_as_the_scan_in_case_order() {
    let mut rng = Rng::new(5);
    for (n, width, grid) in [
        (400, 3, true),
        (300, 7, false),
        (50, 1, true),
        (250, 30, false),
    ] {
        // On a grid, many cases sit at exactly the same distance from a query on the grid.
        let mut value = || {
            if grid {
                (rng.below(9) as f32) * 0.5 - 2.0
            } else {
                (rng.below(1_000_000) as f32) / 250_000.0 - 2.0
            }
        };
        let cases: Vec<f32> = (0..n * width).map(|_| value()).collect();
        let index = SortedAxis::new(&cases, width).unwrap();
        for qi in 0..60 {
            let query: Vec<f64> = if qi % 3 == 0 {
                // A case itself, left out as the distance check leaves it out.
                cases[(qi % n) * width..(qi % n + 1) * width]
                    .iter()
                    .map(|&v| f64::from(v))
                    .collect()
            } else {
                (0..width).map(|_| f64::from(value()) * 1.1).collect()
            };
            let skip = (qi % 3 == 0).then_some(qi % n);
            for k in [1, 2, 5, 15, 40, n + 3] {
                let got = index.nearest(&cases, &query, k, skip).unwrap();
                assert_eq!(
                    bits(&got),
                    bits(&scan(&cases, width, &query, k, skip)),
                    "n {n}, k {k}, query {qi}"
                );
            }
        }
    }
}

#[test]
fn what_it_cannot_order_it_refuses() {
    assert!(SortedAxis::new(&[], 2).is_none());
    assert!(SortedAxis::new(&[1.0, 2.0, 3.0], 2).is_none());
    assert!(SortedAxis::new(&[1.0, 2.0], 0).is_none());
    assert!(SortedAxis::new(&[1.0, f32::NAN], 2).is_none());
    let cases = [0.0, 1.0, 2.0, 3.0];
    let index = SortedAxis::new(&cases, 2).unwrap();
    assert!(index.nearest(&cases, &[0.0, f64::NAN], 1, None).is_none());
    assert!(index.nearest(&cases, &[0.0], 1, None).is_none());
    assert_eq!(index.nearest(&cases, &[0.0, 1.0], 0, None), Some(vec![]));
    // Every case left out: nothing is near.
    let one = SortedAxis::new(&[1.0, 1.0], 2).unwrap();
    assert_eq!(
        one.nearest(&[1.0, 1.0], &[1.0, 1.0], 1, Some(0)),
        Some(vec![])
    );
}

proptest! {
    #[test]
    fn any_cases_any_query(
        cases in prop::collection::vec(-5i8..5, 2..120),
        query in prop::collection::vec(-6.0f64..6.0, 2),
        k in 1usize..12,
    ) {
        let cases: Vec<f32> = cases.iter().map(|&v| f32::from(v) * 0.25).collect();
        let cases = &cases[..cases.len() / 2 * 2];
        let index = SortedAxis::new(cases, 2).unwrap();
        let got = index.nearest(cases, &query, k, None).unwrap();
        prop_assert_eq!(bits(&got), bits(&scan(cases, 2, &query, k, None)));
    }
}
