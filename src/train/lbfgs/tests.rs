use super::*;
use crate::util::rng::Rng;
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

/// smartcore's own fit of the same problem.
fn smartcores(x: &[Vec<f64>], y: &[usize], alpha: f64) -> Binary {
    let xm = DenseMatrix::from_2d_vec(&x.to_vec()).unwrap();
    let yv: Vec<i32> = y.iter().map(|&c| c as i32).collect();
    let params = LogisticRegressionParameters::default().with_alpha(alpha);
    let fitted = LogisticRegression::fit(&xm, &yv, params).unwrap();
    Binary {
        weights: (0..x[0].len())
            .map(|c| *fitted.coefficients().get((0, c)))
            .collect(),
        intercept: *fitted.intercept().get((0, 0)),
    }
}

fn bits(b: &Binary) -> Vec<u64> {
    b.weights
        .iter()
        .chain([&b.intercept])
        .map(|v| v.to_bits())
        .collect()
}

/// `n` rows of `p` inputs on mixed scales, some correlated, with a noisy linear class;
/// `noise` 0 makes the classes separable.
fn data(n: usize, p: usize, noise: f64, seed: u64) -> (Vec<Vec<f64>>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let mut u = || rng.below(1_000_000) as f64 / 1_000_000.0 - 0.5;
    let mut x = Vec::new();
    let mut y = Vec::new();
    for _ in 0..n {
        let mut row: Vec<f64> = (0..p).map(|j| u() * (1.0 + j as f64 * 3.0)).collect();
        if p > 2 {
            row[2] = row[0] * 0.9 + u() * 0.1;
        }
        let score: f64 = row
            .iter()
            .enumerate()
            .map(|(j, v)| v / (1.0 + j as f64))
            .sum();
        y.push(usize::from(score + noise * u() > 0.0));
        x.push(row);
    }
    (x, y)
}

#[test]
fn same_bits_as_smartcore() {
    let cases = [
        (300, 4, 1.0, 1),
        (500, 9, 0.5, 2),
        (120, 30, 2.0, 3),
        (400, 2, 0.0, 4), // separable: long runs, large weights
        (250, 6, 0.05, 5),
    ];
    for (n, p, noise, seed) in cases {
        let (x, y) = data(n, p, noise, seed);
        for alpha in [0.0, 0.1, 1.0, 10.0] {
            let ours = fit_binary(&x, &y, alpha).unwrap();
            let theirs = smartcores(&x, &y, alpha);
            assert_eq!(
                bits(&ours),
                bits(&theirs),
                "n {n}, p {p}, noise {noise}, alpha {alpha}: {ours:?} vs {theirs:?}"
            );
        }
    }
}

#[test]
fn standardised_one_hot_inputs_match_too() {
    // The trainer's inputs: standardised numbers beside 0/1 indicator columns.
    let (mut x, y) = data(350, 5, 1.0, 9);
    for (i, row) in x.iter_mut().enumerate() {
        row.push(f64::from(u8::from(i % 3 == 0)));
        row.push(f64::from(u8::from(i % 5 == 1)));
    }
    for alpha in [0.1, 1.0, 10.0] {
        assert_eq!(
            bits(&fit_binary(&x, &y, alpha).unwrap()),
            bits(&smartcores(&x, &y, alpha))
        );
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let (x, y) = data(50, 3, 1.0, 7);
    let e = fit_binary(&x, &y[..40], 1.0).unwrap_err().to_string();
    assert!(e.contains("50 rows but 40"), "{e}");
    let mut ragged = x.clone();
    ragged[3].pop();
    assert!(fit_binary(&ragged, &y, 1.0).is_err());
    assert!(fit_binary(&x, &vec![1; 50], 1.0).is_err());
    assert!(fit_binary(&x, &vec![2; 50], 1.0).is_err());
    assert!(fit_binary(&[], &[], 1.0).is_err());
    assert!(fit_binary(&vec![vec![]; 2], &[0, 1], 1.0).is_err());
}
