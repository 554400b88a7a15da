//! Seeded, stratified train/test split, with the crate's own generator ([`Rng`]) so the split
//! — and so the bundle bytes — can never change under us with a dependency's version.

pub use crate::util::rng::Rng;

/// Indices of (train, test): each class is shuffled and `fraction` of it (rounded, at least
/// one when the class has two or more cases) goes to test. Both lists come back sorted.
pub fn stratified(
    labels: &[usize],
    n_classes: usize,
    fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for class in 0..n_classes {
        let mut idx: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == class)
            .map(|(i, _)| i)
            .collect();
        rng.shuffle(&mut idx);
        let mut k = (idx.len() as f64 * fraction).round() as usize;
        if idx.len() >= 2 {
            k = k.clamp(1, idx.len() - 1);
        } else {
            k = 0;
        }
        test.extend_from_slice(&idx[..k]);
        train.extend_from_slice(&idx[k..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// Fold index (`0..k`) per case: each class is shuffled and dealt round-robin, so every fold
/// has the class balance of the whole.
pub fn stratified_folds(labels: &[usize], n_classes: usize, k: usize, seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed ^ 0x5eed_f01d);
    let mut fold = vec![0; labels.len()];
    let mut next = 0usize;
    for class in 0..n_classes {
        let mut idx: Vec<usize> = labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == class)
            .map(|(i, _)| i)
            .collect();
        rng.shuffle(&mut idx);
        for i in idx {
            fold[i] = next % k.max(1);
            next += 1;
        }
    }
    fold
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn same_seed_same_split_and_classes_keep_their_share() {
        let labels: Vec<usize> = (0..100).map(|i| usize::from(i % 4 == 0)).collect();
        let a = stratified(&labels, 2, 0.2, 7);
        assert_eq!(a, stratified(&labels, 2, 0.2, 7));
        assert_ne!(a, stratified(&labels, 2, 0.2, 8));
        assert_eq!(a.1.len(), 20);
        assert_eq!(a.1.iter().filter(|&&i| labels[i] == 1).count(), 5);
    }

    #[test]
    fn folds_are_balanced() {
        let labels: Vec<usize> = (0..103).map(|i| usize::from(i % 3 == 0)).collect();
        let f = stratified_folds(&labels, 2, 5, 1);
        for k in 0..5 {
            let n = f.iter().filter(|&&v| v == k).count();
            assert!((20..=21).contains(&n), "{n}");
            let pos = f
                .iter()
                .zip(&labels)
                .filter(|(&v, &l)| v == k && l == 1)
                .count();
            assert!((6..=7).contains(&pos), "{pos}");
        }
    }

    proptest! {
        #[test]
        fn split_is_a_partition(labels in prop::collection::vec(0usize..3, 1..200), seed: u64) {
            let (train, test) = stratified(&labels, 3, 0.3, seed);
            let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
        }

        #[test]
        fn below_stays_below(n in 1usize..1000, seed: u64) {
            let mut r = super::Rng::new(seed);
            prop_assert!(r.below(n) < n);
        }
    }
}
