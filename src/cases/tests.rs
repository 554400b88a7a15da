use proptest::prelude::*;

use super::*;
use crate::contract::schema::tests::SAMPLE;

fn sample() -> (Schema, Preprocessor, Pca) {
    let s = Schema::from_toml(SAMPLE).unwrap();
    let ds =
        dataset::read_csv(&s, "glu,smoker,sex,dx\n100,1,m,yes\n150,0,f,no\n90,1,,no\n").unwrap();
    let p = Preprocessor::fit(&s, &ds.records).unwrap();
    let x: Vec<Vec<f64>> = ds.records.iter().map(|r| p.transform(r).x).collect();
    let pca = Pca::fit(&x);
    (s, p, pca)
}

/// A library of `n` cases over one numeric (range 100), one yes/no and one 3-level feature,
/// with some values missing.
fn random_library(values: &[(f32, u8, u8, u8)]) -> (CaseLibrary, Metric) {
    let col0 = values
        .iter()
        .map(|&(x, _, _, m)| if m == 1 { f32::NAN } else { x })
        .collect();
    let col1 = values
        .iter()
        .map(|&(_, b, _, m)| if m == 2 { f32::NAN } else { f32::from(b % 2) })
        .collect();
    let col2 = values
        .iter()
        .map(|&(_, _, c, _)| f32::from(c % 3))
        .collect();
    let n = values.len();
    let lib = CaseLibrary {
        source: "random".into(),
        columns: vec![col0, col1, col2],
        outcome: values
            .iter()
            .map(|&(_, b, c, _)| u16::from((b + c) % 2))
            .collect(),
        rows: (1..=n as u32).collect(),
        map: Vec::new(),
        arms: Vec::new(),
        held_out: Vec::new(),
    };
    let metric = Metric {
        scale: vec![0.01, 0.0, 0.0],
        relevance: vec![2.0, 0.5, 0.5],
        pca: Pca {
            mean: vec![],
            axes: vec![],
            explained: vec![],
        },
    };
    (lib, metric)
}

/// The naive reference: every distance by the scalar formula, sorted by (distance, index).
fn naive(lib: &CaseLibrary, metric: &Metric, q: &[f32], o: &Options) -> Vec<(f32, usize)> {
    let w = |j: usize| if o.weighted { metric.relevance[j] } else { 1.0 };
    let mut all: Vec<(f32, usize)> = (0..lib.len())
        .filter(|&i| o.exclude != Some(i))
        .filter(|&i| o.outcome.is_none_or(|c| lib.outcome[i] as usize == c))
        .filter(|&i| {
            o.groups
                .iter()
                .all(|&(j, m)| m.contains_stored(lib.value(i, j)))
        })
        .map(|i| {
            let (mut num, mut den) = (0.0f32, 0.0f32);
            for (j, &qv) in q.iter().enumerate() {
                let x = lib.value(i, j);
                if qv.is_nan() || x.is_nan() {
                    continue;
                }
                let d = if metric.scale[j] > 0.0 {
                    ((x - qv).abs() * metric.scale[j]).min(1.0)
                } else if x != qv {
                    1.0
                } else {
                    0.0
                };
                num += d * w(j);
                den += w(j);
            }
            (if den > 0.0 { num / den } else { f32::INFINITY }, i)
        })
        .filter(|d| d.0.is_finite())
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    all.truncate(o.k.unwrap_or(10));
    all
}

fn case_strategy() -> impl Strategy<Value = Vec<(f32, u8, u8, u8)>> {
    prop::collection::vec((0.0f32..100.0, 0u8..2, 0u8..3, 0u8..6), 1..300)
}

proptest! {
    #[test]
    fn top_k_is_exact(
        cases in case_strategy(),
        q in (0.0f32..100.0, 0u8..3, 0u8..4),
        k in 1usize..20,
        weighted: bool,
        filter in 0u8..4,
    ) {
        let (lib, metric) = random_library(&cases);
        let query = [
            q.0,
            if q.1 == 2 { f32::NAN } else { f32::from(q.1) },
            if q.2 == 3 { f32::NAN } else { f32::from(q.2) },
        ];
        let options = Options {
            k: Some(k),
            weighted,
            groups: if filter == 1 { vec![(2, Member::Level(1))] } else { vec![] },
            outcome: (filter == 2).then_some(1),
            exclude: (filter == 3).then_some(0),
        };
        let got = search_stored(&lib, &metric, 2, &query, &options);
        let want = naive(&lib, &metric, &query, &options);
        let got: Vec<(f32, usize)> = got.neighbours.iter().map(|n| (n.distance as f32, n.case)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn symmetric_with_zero_self_distance(cases in case_strategy(), a in 0usize..300, b in 0usize..300) {
        let (lib, metric) = random_library(&cases);
        let (a, b) = (a % lib.len(), b % lib.len());
        let row = |i: usize| -> Vec<f32> { (0..3).map(|j| lib.value(i, j)).collect() };
        let d = |from: usize, to: usize| {
            let terms: Vec<kernel::Term> = row(from)
                .iter()
                .enumerate()
                .filter(|(_, q)| !q.is_nan())
                .map(|(j, &q)| kernel::Term { column: &lib.columns[j], q, scale: metric.scale[j], weight: 1.0 })
                .collect();
            kernel::distance(&terms, to)
        };
        prop_assert_eq!(d(a, b), d(b, a));
        prop_assert_eq!(d(a, a), 0.0);
        let s = search_stored(&lib, &metric, 2, &row(a), &Options { k: Some(1), ..Options::default() });
        prop_assert_eq!(s.neighbours[0].distance, 0.0);
    }
}

#[test]
fn filters_apply_before_ranking() {
    let values: Vec<(f32, u8, u8, u8)> = (0..50)
        .map(|i| (i as f32, (i % 2) as u8, (i % 3) as u8, 0))
        .collect();
    let (lib, metric) = random_library(&values);
    let q = [0.0, 0.0, 0.0];
    let o = Options {
        k: Some(5),
        groups: vec![(2, Member::Level(2))],
        ..Options::default()
    };
    let s = search_stored(&lib, &metric, 2, &q, &o);
    assert_eq!(s.neighbours.len(), 5, "five cases of the group, not fewer");
    assert!(s.neighbours.iter().all(|n| lib.value(n.case, 2) == 2.0));
    assert_eq!(s.eligible, 16);
    let by_outcome = search_stored(
        &lib,
        &metric,
        2,
        &q,
        &Options {
            outcome: Some(1),
            k: Some(50),
            ..Options::default()
        },
    );
    assert!(by_outcome.neighbours.iter().all(|n| n.outcome == 1));
    assert_eq!(by_outcome.outcome_counts[0], 0);
    assert_eq!(by_outcome.eligible, by_outcome.neighbours.len());
}

#[test]
fn explains_what_is_alike_and_what_differs() {
    let values = vec![(10.0, 1, 0, 0), (60.0, 0, 0, 0)];
    let (lib, metric) = random_library(&values);
    let s = search_stored(&lib, &metric, 2, &[12.0, 1.0, 1.0], &Options::default());
    let first = &s.neighbours[0];
    assert_eq!(first.case, 0);
    assert_eq!(first.alike, vec![0, 1], "glucose-like and yes/no alike");
    assert_eq!(first.differ[0].feature, 2);
    let second = &s.neighbours[1];
    assert_eq!(second.differ[0].feature, 1);
    let numeric = second.differ.iter().find(|d| d.feature == 0).unwrap();
    assert_eq!(numeric.delta, Some(48.0));
    assert!((numeric.term - 0.48).abs() < 1e-6);
    assert_eq!(s.compared_features, 3);
}

#[test]
fn missing_query_values_are_left_out() {
    let values = vec![(10.0, 1, 0, 0), (90.0, 1, 0, 0)];
    let (lib, metric) = random_library(&values);
    let s = search_stored(&lib, &metric, 2, &[f32::NAN, 1.0, 0.0], &Options::default());
    assert_eq!(s.compared_features, 2);
    assert!(s
        .neighbours
        .iter()
        .all(|n| n.distance == 0.0 && n.compared == 2));
}

#[test]
fn csv_library_lists_bad_rows_and_keeps_good_ones() {
    let (s, p, pca) = sample();
    let text =
        "glu,smoker,sex,dx\n100,1,m,yes\nabc,1,m,no\n120,1,m,maybe\n900,0,f,no\n130,0,f,no\n";
    let (lib, bad) = CaseLibrary::from_csv(&s, &p, &pca, "mine.csv", text).unwrap();
    assert_eq!(lib.len(), 2);
    assert_eq!(lib.rows, vec![1, 5]);
    assert!(lib.is_consistent(3));
    let msgs: Vec<String> = bad.iter().map(|e| e.message.clone()).collect();
    assert_eq!(bad.iter().map(|e| e.row).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(msgs[0], "row 2, column `glu`: `abc` is not a number");
    assert!(
        msgs[1].contains("`maybe` is not one of the target classes (no, yes)"),
        "{}",
        msgs[1]
    );
    assert!(
        msgs[2].contains("900 mg/dL is outside the plausible range 20–600 mg/dL"),
        "{}",
        msgs[2]
    );
    assert_eq!(
        lib.case_json(&s, 1),
        serde_json::json!({"glu": 130.0, "smoker": "0", "sex": "f"})
    );
}

#[test]
fn csv_library_errors() {
    let (s, p, pca) = sample();
    let err = |text: &str| {
        CaseLibrary::from_csv(&s, &p, &pca, "x.csv", text)
            .unwrap_err()
            .to_string()
    };
    assert!(err("").contains("x.csv: the CSV is empty"));
    assert!(err("glu,sex,dx\n1,m,yes\n")
        .contains("x.csv: column `smoker` is missing from the CSV header"));
    assert!(
        err("glu,smoker,sex,dx\n").contains("no row could be used as a case (it has no data rows)")
    );
    assert!(err("glu,smoker,sex,dx\n5,1,m,yes\n")
        .contains("no row could be used as a case (row 1: field `glu`"));
    assert!(err("glu,smoker,sex,dx\n100,1\n").contains("row 1: has 2 cells, the header has 4"));
    assert!(err("glu,smoker,sex,dx\n\"100,1,m,yes\n").contains("never closed"));
}

#[test]
fn synthetic_libraries_keep_the_shape_and_ranges() {
    let values: Vec<(f32, u8, u8, u8)> = (0..30)
        .map(|i| (i as f32 * 3.0, (i % 2) as u8, (i % 3) as u8, (i % 7) as u8))
        .collect();
    let (lib, metric) = random_library(&values);
    let big = lib.synthetic(&metric, 1000, 7);
    assert!(big.is_consistent(3));
    assert_eq!(big.len(), 1000);
    assert!(big.columns[0]
        .iter()
        .filter(|v| !v.is_nan())
        .all(|&v| (0.0..=87.0).contains(&v)));
    assert!(
        big.columns[0].iter().any(|v| v.is_nan()),
        "missing values stay missing"
    );
    assert!(big.columns[2]
        .iter()
        .all(|&v| v == 0.0 || v == 1.0 || v == 2.0));
    let bits =
        |l: &CaseLibrary| -> Vec<u32> { l.columns.iter().flatten().map(|v| v.to_bits()).collect() };
    assert!(
        bits(&big) == bits(&lib.synthetic(&metric, 1000, 7)),
        "seeded"
    );
}

#[test]
fn ordering_puts_missing_last_both_ways_and_filters_by_outcome() {
    let values = vec![
        (30.0, 0, 0, 0),
        (10.0, 1, 0, 1),
        (20.0, 0, 1, 0),
        (5.0, 1, 1, 0),
    ];
    let (lib, _) = random_library(&values);
    // case 1's number is missing
    assert_eq!(
        lib.ordered(SortKey::Feature(0), true, None),
        vec![3, 2, 0, 1]
    );
    assert_eq!(
        lib.ordered(SortKey::Feature(0), false, None),
        vec![0, 2, 3, 1]
    );
    assert_eq!(lib.ordered(SortKey::Row, false, None), vec![3, 2, 1, 0]);
    // outcome = (b + c) % 2: cases 1 and 2 have outcome 1
    assert_eq!(lib.ordered(SortKey::Outcome, true, Some(1)), vec![1, 2]);
    assert_eq!(lib.stored_case(2), vec![20.0, 0.0, 1.0]);
}

#[test]
fn dense_vectors_scale_numeric_values_and_fill_missing_with_the_mean() {
    let values = vec![(30.0, 0, 2, 0), (10.0, 1, 0, 1), (20.0, 0, 1, 0)];
    let (lib, metric) = random_library(&values);
    let dense = lib.dense_scaled(&metric);
    assert_eq!(dense.len(), 3 * 3);
    // row-major; the numeric column scaled by 1/100, case 1's missing value → mean 25
    let want = [0.3, 0.0, 0.0, 0.25, 0.0, 0.0, 0.2, 0.0, 0.0];
    for (got, want) in dense.iter().zip(want) {
        assert!((got - want).abs() < 1e-6, "{dense:?}");
    }
}
