//! The hand-written bundle decoder (`util::wire`, `bundle::read_payload`) against serde's
//! decoder of the same bytes (`bundle::read_payload_with_serde`), on freshly trained bundles
//! of every kind the trainer writes: each model family (a forest both packed and with one tree
//! that will not pack), naive Bayes, k-NN, a trial's arm models with rules, censored outcomes,
//! both published equations, and the shipped bundles when `./dev.sh build` has made them.
//!
//! For each payload: both decoders give the same bundle (compared through its bytes), and on a
//! hundred truncations and hundreds of spoiled copies both give the same error, word for word,
//! or the same bundle. The `bundle_wire` fuzz target runs the same comparison on inputs
//! libFuzzer finds.
#![cfg(not(target_arch = "wasm32"))]

use bedside::bundle::{check_hash, signature};
use bedside::bundle::{read_payload as read, read_payload_with_serde as read_with_serde};
use bedside::train::candidates::Spec;
use bedside::train::{self, TrainInput};
use bedside::util::rng::Rng;
use bedside::{Bundle, Schema};

mod common;
use common::read as text;

fn payload(file: &[u8]) -> Vec<u8> {
    let unsigned = signature::split(file).expect("a bundle file").bundle;
    check_hash(unsigned).expect("a hashed payload").to_vec()
}

/// The payload of a bundle trained from `data/<id>.schema.toml` on `csv` with only `specs` as
/// candidates.
fn trained(id: &str, csv: &str, specs: Vec<Spec>) -> Vec<u8> {
    payload(&common::trained_bytes(id, csv, Some(specs)))
}

fn equation(id: &str) -> Vec<u8> {
    let schema = Schema::from_toml(&text(&format!("data/{id}.schema.toml"))).unwrap();
    let built =
        train::equation::build(&schema, &text(&format!("data/{id}.equation.toml")), None).unwrap();
    payload(&built.bytes)
}

/// What a decoder made of some bytes, comparable across the two. A bundle is compared through
/// its bytes: the fields the wire does not carry are derived after decoding, the same for both.
fn outcome(r: bedside::Result<Bundle>) -> Result<Vec<u8>, String> {
    r.map(|b| postcard::to_allocvec(&b).unwrap())
        .map_err(|e| e.to_string())
}

fn agree(bytes: &[u8], what: &str) {
    let ours = outcome(read(bytes));
    let reference = outcome(read_with_serde(bytes));
    assert!(
        ours == reference,
        "{what}: the hand decoder gave {:?}, serde's {:?}",
        ours.as_ref().map(|_| "a bundle"),
        reference.as_ref().map(|_| "a bundle"),
    );
}

fn check(name: &str, p: &[u8]) {
    // The whole payload decodes, to the same bundle, and writes back to the same bytes.
    let bundle = read(p).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        postcard::to_allocvec(&bundle).unwrap(),
        p,
        "{name}: round trip"
    );
    agree(p, name);
    // Truncated anywhere (at most 100 cuts, spread over the payload).
    let step = (p.len() / 100).max(1);
    for cut in (0..p.len()).step_by(step) {
        agree(&p[..cut], &format!("{name} cut at {cut}"));
    }
    // One to three bytes set to random values, 300 times (the crate's seeded generator, so
    // the spoiled copies are the same on every run).
    let mut rng = Rng::new(p.len() as u64);
    for k in 0..300 {
        let mut q = p.to_vec();
        for _ in 0..=rng.below(3) {
            let i = rng.below(q.len());
            q[i] = rng.next_u64() as u8;
        }
        agree(&q, &format!("{name} spoiled copy {k}"));
    }
}

#[test]
fn every_family_decodes_as_serde_decodes_it() {
    let forest = Spec::Forest {
        trees: 12,
        max_depth: 6,
        min_leaf: 3,
    };
    let cases = [
        (
            "pima",
            "data/pima_tr2.csv",
            vec![Spec::Logistic { alpha: 1.0 }],
        ),
        ("pima", "data/pima_tr2.csv", vec![Spec::NaiveBayes]),
        ("pima", "data/pima_tr2.csv", vec![Spec::Knn { k: 5 }]),
        ("wdbc", "data/wdbc.csv", vec![forest]),
        (
            "indo_rct",
            "data/indo_rct.csv",
            vec![Spec::Logistic { alpha: 1.0 }],
        ),
        ("colon", "data/colon.csv", vec![Spec::NaiveBayes]),
        ("gbsg", "data/gbsg.csv", vec![forest]),
    ];
    for (id, csv, specs) in cases {
        let family = format!("{:?}", specs.first().map(Spec::family));
        check(&format!("{id} {family}"), &trained(id, csv, specs));
    }
    for id in ["pce", "prevent"] {
        check(id, &equation(id));
    }
}

#[test]
fn a_forest_stored_whole_decodes_as_serde_decodes_it() {
    // Renumbering one tree's children keeps it valid but not in the trainer's order, so the
    // forest is stored whole rather than packed: the other arm of the forest's codec.
    let p = trained(
        "pima",
        "data/pima_tr2.csv",
        vec![Spec::Forest {
            trees: 3,
            max_depth: 3,
            min_leaf: 3,
        }],
    );
    let mut b = read(&p).unwrap();
    let bedside::model::fitted::Model::Forest { trees, .. } = &mut b.model else {
        panic!("a forest")
    };
    let tree = trees.first_mut().unwrap();
    let root = tree.nodes.first().unwrap().clone();
    assert!(!root.is_leaf(), "the root splits");
    let (l, r) = (root.left as usize, root.right as usize);
    tree.nodes.swap(l, r);
    let root = tree.nodes.first_mut().unwrap();
    (root.left, root.right) = (root.right, root.left);
    let whole = postcard::to_allocvec(&b).unwrap();
    assert!(whole.len() > p.len(), "stored whole, so larger");
    check("pima forest stored whole", &whole);
}

#[test]
fn a_locally_validated_bundle_decodes_as_serde_decodes_it() {
    // What `bedside recalibrate` adds: the site's validation, with either recalibration.
    use bedside::bundle::{LocalMetrics, LocalValidation, Recalibration};
    let p = trained("pima", "data/pima_tr2.csv", vec![Spec::NaiveBayes]);
    let metrics = |x: f64| LocalMetrics {
        auc: 0.7 + x,
        auc_ci: (0.6 + x, 0.8 + x),
        brier: 0.2 + x,
        intercept: -0.1 - x,
        slope: 0.9 + x,
        mean_predicted: 0.3 + x,
    };
    let recalibrations = [
        Recalibration::Logistic {
            intercept: 0.25,
            slope: 0.875,
        },
        Recalibration::Temperature { t: 1.5 },
    ];
    // Two sites, one after the other, as `local` keeps them.
    let mut b = read(&p).unwrap();
    for (k, recalibration) in recalibrations.into_iter().enumerate() {
        b.local.push(LocalValidation {
            site: "Site 中文".into(),
            period: "2025".into(),
            date: "2026-11-27".into(),
            data_sha256: "ab".repeat(32),
            n: 300 + k as u32,
            refused: 2,
            censored: 1,
            events: 90,
            before: metrics(0.0),
            after: metrics(0.01),
            recalibration,
            signed_by: "key".into(),
        });
    }
    check(
        "validated at two sites",
        &postcard::to_allocvec(&b).unwrap(),
    );
}

/// Rules with a derived value (a formula with every operator, a negation and operands), clauses
/// on a derived value, a category and the model's probability: what no shipped rule file has.
const EXTRA_RULES: &str = r#"
[[derived]]
id = "wire_score"
label = { en = "Test score", zh = "测试分数" }
unit = "points"
formula = "-(age - 60) * 2 / (age + 1) ^ 0.5 + 3"
units = { age = "years" }

[[rules]]
id = "wire-test"
when = [{ derived = "wire_score", at_least = 1, unit = "points" }, { field = "extent", is = "3" }, { probability = "yes", at_least = 0.2 }]
recommend = { en = "Test", zh = "测试" }
strength = { en = "Test", zh = "测试" }
source = { guideline = "Test", year = 2020, section = "1" }
"#;

#[test]
fn the_parts_no_shipped_bundle_has_decode_as_serde_decodes_them() {
    use bedside::model::calibrate::Calibration;
    use bedside::model::fitted::{Family, Model};
    let schema = Schema::from_toml(&text("data/colon.schema.toml")).unwrap();
    let data = text("data/colon.csv");
    let rules = text("data/colon.rules.toml") + EXTRA_RULES;
    let mut input = TrainInput::new(&schema, &data, None);
    input.rules = Some(&rules);
    input.candidates = vec![Spec::Logistic { alpha: 1.0 }];
    let p = payload(&train::train(&input, &|_, _, _| {}).unwrap().bytes);
    check("colon with a derived value", &p);
    // Fields and variants the trainer leaves at one value, set by hand.
    let mut b = read(&p).unwrap();
    b.schema.target.min_auc = Some(0.7);
    let feature = b.schema.features.first_mut().unwrap();
    feature.blank = Some("none".into());
    feature.missing_codes = vec!["?".into(), "N/A".into()];
    let mut candidate = b.evaluation.candidates.first().unwrap().clone();
    candidate.family = Family::Equation;
    b.evaluation.candidates.push(candidate);
    for (k, calibration) in [Calibration::None, Calibration::Temperature { t: 1.25 }]
        .into_iter()
        .enumerate()
    {
        b.calibration = calibration;
        check(
            &format!("calibration {k}"),
            &postcard::to_allocvec(&b).unwrap(),
        );
    }
    // An equation's capped transforms.
    let mut e = read(&equation("pce")).unwrap();
    let Model::Equation(eq) = &mut e.model else {
        panic!("an equation")
    };
    let t = eq.transforms.first_mut().unwrap();
    (t.at_most, t.at_least) = (Some(90.0), Some(40.0));
    check("capped transform", &postcard::to_allocvec(&e).unwrap());
}

#[test]
fn the_shipped_bundles_decode_as_serde_decodes_them() {
    // Built by `./dev.sh build` (and so present whenever `./dev.sh test` runs); a bare
    // `cargo test` on a fresh clone has none, and the test above covers the same kinds.
    let dir = format!("{}/static/bundles", env!("CARGO_MANIFEST_DIR"));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "bdsx") {
            let p = payload(&std::fs::read(&path).unwrap());
            check(&path.display().to_string(), &p);
        }
    }
}
