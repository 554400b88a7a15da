//! Native integration tests: the `bedside` binary end to end on the real data sets, and every
//! kind of bad input it must refuse with a clear message (exit code 2, never a panic).
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bedside::bundle::{Bundle, FORMAT_VERSION};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bedside"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let path = std::env::temp_dir()
        .join(format!("bedside-it-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run bedside");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "bedside panicked: {stderr}");
    out
}

fn train(id: &str, data: &str, out: &Path) -> Output {
    train_with(id, data, out, &[])
}

fn train_with(id: &str, data: &str, out: &Path, extra: &[&str]) -> Output {
    run(bin()
        .arg("train")
        .args(extra)
        .arg("--data")
        .arg(root().join("data").join(data))
        .arg("--schema")
        .arg(root().join("data").join(format!("{id}.schema.toml")))
        .arg("--out")
        .arg(out))
}

/// `bedside assess` with the patient on standard input.
fn assess(bundle: &Path, patient: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = bin()
        .args(["assess", "--patient", "-", "--bundle"])
        .arg(bundle)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn bedside");
    // The CLI may refuse a bad bundle before reading stdin; a closed pipe is fine then.
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(patient.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("panicked"),
        "bedside panicked"
    );
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Train pima once per test binary run (into a temp dir) and return the bundle path.
fn pima() -> PathBuf {
    static ONCE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        let out = tmp("pima/pima.bdsx");
        let o = train("pima", "pima_tr2.csv", &out);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    })
    .clone()
}

const PATIENT: &str =
    r#"{"npreg": 6, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#;

#[test]
fn training_is_byte_for_byte_reproducible_and_round_trips() {
    let a = std::fs::read(pima()).unwrap();
    let other = tmp("again/pima.bdsx");
    assert!(train("pima", "pima_tr2.csv", &other).status.success());
    let b = std::fs::read(&other).unwrap();
    assert_eq!(a, b, "same data and seed must give identical bundles");
    let bundle = Bundle::from_bytes(&a).unwrap();
    assert_eq!(bundle.to_bytes().unwrap(), a);
    assert_eq!(bundle.training.n_train, 300);
    assert_eq!(bundle.training.n_test, 332);
    // Ripley's logistic regression on this split is about 80% accurate; ours must be close.
    assert!(bundle.metrics().accuracy > 0.75, "{:?}", bundle.metrics());
    assert!(bundle.metrics().auc > 0.8, "{:?}", bundle.metrics());
    // Seven candidates were compared and the comparison was printed.
    assert_eq!(bundle.evaluation.candidates.len(), 7);
    let index = std::fs::read_to_string(other.with_file_name("index.json")).unwrap();
    assert!(index.contains("\"file\": \"pima.bdsx\""), "{index}");
}

#[test]
fn biopsy_trains_with_its_missing_values_imputed() {
    let out = tmp("biopsy/biopsy.bdsx");
    let o = train("biopsy", "biopsy.csv", &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle = Bundle::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(bundle.training.n_train + bundle.training.n_test, 699);
    assert!(bundle.metrics().auc > 0.95, "{:?}", bundle.metrics());
    // Bare nuclei may be left blank: it is imputed and the assessment says so.
    let o = assess(
        &out,
        r#"{"V1":5,"V2":1,"V3":1,"V4":1,"V5":2,"V7":3,"V8":1,"V9":1}"#,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["imputed"], serde_json::json!(["V6"]));
}

#[test]
fn assess_prints_probabilities_that_sum_to_one() {
    let o = assess(&pima(), PATIENT);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let probs: Vec<f64> = json["probabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["probability"].as_f64().unwrap())
        .collect();
    assert_eq!(probs.len(), 2);
    assert!((probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // The same answer through the library.
    let bundle = Bundle::from_bytes(&std::fs::read(pima()).unwrap()).unwrap();
    let direct = bedside::clinical::assess::assess_text(&bundle, PATIENT).unwrap();
    assert_eq!(direct.probabilities[1].probability, probs[1]);
}

/// Every bad patient input: the message names the field, the value and what is accepted.
#[test]
fn bad_patient_input_is_refused_with_a_clear_message() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"npreg": 6, "glu": 948, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
            "field `glu`: 948 mg/dL is outside the plausible range 20–600 mg/dL",
        ),
        (
            r#"{"npreg": 6, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 17}"#,
            "field `age`: 17 is outside the plausible range 21–110\n",
        ),
        (
            r#"{"npreg": 6, "glu": "high", "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
            "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"high\"",
        ),
        (
            r#"{"npreg": 2.5, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
            "field `npreg`: expected a whole number between 0 and 25, got 2.5",
        ),
        (
            r#"{"npreg": 6, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
            "field `glu` is required (missing values are not allowed for it)",
        ),
        (
            r#"{"npreg": "6", "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
            "field `npreg`: expected a number, got the text \"6\"",
        ),
        (
            r#"{"npreg": 6, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50, "insulin": 80}"#,
            "unknown field `insulin`; accepted fields: npreg, glu, bp, skin, bmi, ped, age",
        ),
        (
            r#"{"npreg": 6, "glu": 148, "glu": 90, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
            "field `glu` appears more than once",
        ),
        (r#"[1, 2, 3]"#, "patient input is not a JSON object"),
        (r#"{"glu": 1e999}"#, "patient input is not a JSON object"),
        ("", "patient input is not a JSON object"),
    ];
    for (patient, expected) in cases {
        let o = assess(&pima(), patient);
        assert_eq!(o.status.code(), Some(2), "{patient}");
        assert!(
            stderr(&o).contains(expected),
            "{patient}\n  expected: {expected}\n  got: {}",
            stderr(&o)
        );
    }
}

/// Every damaged bundle is refused with a reason.
#[test]
fn bad_bundles_are_refused_with_the_reason() {
    let good = std::fs::read(pima()).unwrap();
    let mut wrong_version = good.clone();
    wrong_version[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    let mut corrupt = good.clone();
    let mid = good.len() / 2;
    corrupt[mid] ^= 0x55;
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        (
            "truncated",
            good[..good.len() - 10].to_vec(),
            "bundle is truncated".into(),
        ),
        ("corrupt", corrupt, "payload SHA-256 does not match".into()),
        (
            "wrong-version",
            wrong_version,
            format!(
                "bundle format version {} is not supported",
                FORMAT_VERSION + 1
            ),
        ),
        (
            "html",
            b"<!doctype html><p>Not found</p>".to_vec(),
            "not a Bedside model bundle".into(),
        ),
        ("empty", Vec::new(), "not a Bedside model bundle".into()),
    ];
    for (name, bytes, expected) in cases {
        let path = tmp(&format!("{name}.bdsx"));
        std::fs::write(&path, bytes).unwrap();
        let o = assess(&path, PATIENT);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(stderr(&o).contains(&expected), "{name}: {}", stderr(&o));
    }
    let o = assess(&tmp("does-not-exist.bdsx"), PATIENT);
    assert!(stderr(&o).contains("does-not-exist.bdsx"), "{}", stderr(&o));
}

#[test]
fn bad_training_input_is_refused_with_row_and_column() {
    let csv = tmp("bad.csv");
    std::fs::write(&csv, "npreg,glu,bp,skin,bmi,ped,age,type\n5,86,68,28,30.2,0.364,24,No\n7,abc,70,33,25.1,0.163,55,Yes\n").unwrap();
    let o = run(bin()
        .args(["train", "--data"])
        .arg(&csv)
        .arg("--schema")
        .arg(root().join("data/pima.schema.toml"))
        .arg("--test")
        .arg(&csv)
        .arg("--out")
        .arg(tmp("bad.bdsx")));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("row 2, column `glu`: `abc` is not a number"),
        "{}",
        stderr(&o)
    );

    // A table of bad CSVs, each refused with the row and column named.
    let header = "npreg,glu,bp,skin,bmi,ped,age,type\n";
    let rows = |ped: Option<&str>| -> String {
        (0..40)
            .map(|i| {
                let ped = ped.map_or_else(|| format!("0.{}", i % 9 + 1), str::to_string);
                let class = if i % 2 == 0 { "Yes" } else { "No" };
                format!(
                    "{},{},{},{},{}.5,{ped},{},{class}\n",
                    i % 5,
                    90 + i * 3,
                    60 + i % 15,
                    20 + i % 7,
                    25 + i % 10,
                    30 + i % 20
                )
            })
            .collect()
    };
    let good_rows = rows(None);
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", String::new(), "the CSV is empty"),
        ("header-only", header.to_string(), "no data rows"),
        (
            "missing-column",
            "npreg,glu,bp,skin,bmi,ped,type\n1,90,70,30,25,0.3,No\n".to_string(),
            "column `age` is missing from the CSV header",
        ),
        (
            "unknown-class",
            format!("{header}{good_rows}1,90,70,30,25,0.3,30,Maybe\n"),
            "row 41, column `type`: `Maybe` is not one of the target classes",
        ),
        (
            "out-of-range",
            format!("{header}{good_rows}1,900,70,30,25,0.3,30,No\n"),
            "row 41: field `glu`: 900 mg/dL is outside the plausible range 20–600 mg/dL",
        ),
        (
            "constant-column",
            format!("{header}{}", rows(Some("0.5"))),
            "column `ped` has the same value in every training row",
        ),
        (
            "one-class",
            format!("{header}{}", good_rows.replace(",Yes", ",No")),
            "class `Yes` has 0 training cases",
        ),
    ];
    for (name, text, expected) in cases {
        let path = tmp(&format!("{name}.csv"));
        std::fs::write(&path, text).unwrap();
        let o = run(bin()
            .args(["train", "--data"])
            .arg(&path)
            .arg("--schema")
            .arg(root().join("data/pima.schema.toml"))
            .arg("--test")
            .arg(root().join("data/pima_te.csv"))
            .arg("--out")
            .arg(tmp(&format!("{name}.bdsx"))));
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(
            stderr(&o).contains(expected),
            "{name}: expected {expected}\n got {}",
            stderr(&o)
        );
    }

    let schema = tmp("bad.schema.toml");
    std::fs::write(&schema, "id = \"x\"\n").unwrap();
    let o = run(bin()
        .args(["train", "--data"])
        .arg(&csv)
        .arg("--schema")
        .arg(&schema)
        .arg("--out")
        .arg(tmp("x.bdsx")));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing field `title`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn inspect_shows_metrics_and_provenance() {
    let o = run(bin().arg("inspect").arg("--bundle").arg(pima()));
    assert!(o.status.success(), "{}", stderr(&o));
    let md = String::from_utf8(o.stdout).unwrap();
    for needle in [
        "# Model card",
        "## Intended use",
        "Patients' self-use",
        "## Caveats and limitations",
        "| test (calibrated) |",
        "Age (years) 30–<40",
        "## Model selection",
    ] {
        assert!(md.contains(needle), "missing {needle} in\n{md}");
    }
    let o = run(bin()
        .args(["inspect", "--lang", "zh", "--bundle"])
        .arg(pima()));
    assert!(String::from_utf8(o.stdout).unwrap().contains("## 预期用途"));
    let o = run(bin().args(["inspect", "--json", "--bundle"]).arg(pima()));
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["schema"]["id"], "pima");
    assert_eq!(json["payload_sha256"].as_str().unwrap().len(), 64);
    assert!(json["metrics"]["auc"].as_f64().unwrap() > 0.8);
    assert!(json["schema"]["provenance"]["dataset"]
        .as_str()
        .unwrap()
        .contains("MASS"));
}

/// Every model family, forced in turn, trains on real data and gives assessments whose
/// explanation adds up exactly; the comparison table is printed.
#[test]
fn every_family_trains_on_real_data_and_explains_exactly() {
    for family in ["logistic", "naive-bayes", "forest", "knn"] {
        let out = tmp(&format!("{family}/biopsy.bdsx"));
        let o = train_with("biopsy", "biopsy.csv", &out, &["--models", family]);
        assert!(o.status.success(), "{family}: {}", stderr(&o));
        let table = String::from_utf8_lossy(&o.stdout);
        assert!(
            table.contains("5-fold stratified cross-validation"),
            "{table}"
        );
        let bundle = Bundle::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
        assert!(
            bundle.metrics().auc > 0.95,
            "{family}: {:?}",
            bundle.metrics()
        );
        for patient in [
            r#"{"V1":5,"V2":1,"V3":1,"V4":1,"V5":2,"V6":1,"V7":3,"V8":1,"V9":1}"#,
            r#"{"V1":8,"V2":10,"V3":10,"V4":8,"V5":7,"V6":10,"V7":9,"V8":7,"V9":1}"#,
            r#"{"V1":4,"V2":3,"V3":4,"V4":1,"V5":3,"V7":3,"V8":5,"V9":1}"#,
        ] {
            let a = bedside::clinical::assess::assess_text(&bundle, patient).unwrap();
            let e = a.explanation.expect("an explanation");
            let sum: f64 = e.contributions.iter().sum();
            assert!(
                (e.baseline + sum - e.output).abs() < 1e-9,
                "{family}: {} + {sum} != {}",
                e.baseline,
                e.output
            );
        }
    }
    let o = train_with(
        "biopsy",
        "biopsy.csv",
        &tmp("bad/biopsy.bdsx"),
        &["--models", "svm"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`svm` is not one of"));
}

/// The calibrated test metrics are no worse than a coin and the card reports both sides.
#[test]
fn calibration_is_reported_before_and_after() {
    let bundle = Bundle::from_bytes(&std::fs::read(pima()).unwrap()).unwrap();
    let c = &bundle.evaluation;
    assert!(c.test.brier < 0.25 && c.test_raw.brier < 0.25);
    assert!(c.test.ece.is_finite() && c.test_raw.ece.is_finite());
    assert!(!c.roc.is_empty() && !c.reliability.is_empty());
    // Subgroups by age band are present with enough cases.
    assert!(
        c.subgroups.len() >= 3,
        "{:?}",
        c.subgroups.iter().map(|g| &g.label.en).collect::<Vec<_>>()
    );
}

#[test]
fn similar_lists_the_nearest_training_cases_and_reads_csv_libraries() {
    let bundle = pima();
    let patient = tmp("similar-patient.json");
    std::fs::write(&patient, PATIENT).unwrap();
    let o = run(bin()
        .args(["similar", "--k", "5", "--bundle"])
        .arg(&bundle)
        .arg("--patient")
        .arg(&patient));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = v["neighbours"].as_array().unwrap();
    assert_eq!(n.len(), 5);
    let d: Vec<f64> = n.iter().map(|x| x["distance"].as_f64().unwrap()).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
    assert!(d.iter().all(|&x| (0.0..=1.0).contains(&x)));
    assert_eq!(v["total"], 300);
    let counts: u64 = v["outcome_counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 5);

    // A CSV library: good rows are searched, bad rows are named on stderr.
    let lib = tmp("library.csv");
    std::fs::write(
        &lib,
        "npreg,glu,bp,skin,bmi,ped,age,type\n6,148,72,35,33.6,0.627,50,Yes\n1,85,66,29,26.6,0.351,31,No\n1,abc,66,29,26.6,0.351,31,No\n",
    )
    .unwrap();
    let o = run(bin()
        .args(["similar", "--bundle"])
        .arg(&bundle)
        .arg("--patient")
        .arg(&patient)
        .arg("--library")
        .arg(&lib));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("skipped row 3, column `glu`: `abc` is not a number"),
        "{}",
        stderr(&o)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], 2);
    assert_eq!(
        v["neighbours"][0]["distance"], 0.0,
        "the identical case first"
    );
    assert_eq!(v["neighbours"][0]["row"], 1);

    // A bad patient is refused as by `assess`.
    let bad = tmp("similar-bad.json");
    std::fs::write(&bad, r#"{"glu": 900}"#).unwrap();
    let o = run(bin()
        .args(["similar", "--bundle"])
        .arg(&bundle)
        .arg("--patient")
        .arg(&bad));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("20–600"), "{}", stderr(&o));
}

#[test]
fn a_bad_rule_file_fails_the_build_naming_the_rule() {
    let shipped = std::fs::read_to_string(root().join("data/pima.rules.toml")).unwrap();
    for (from, to, want) in [
        (
            r#"field = "bmi", at_least = 30"#,
            r#"field = "weight", at_least = 30"#,
            "rule `who-bmi-obesity`: unknown feature `weight`",
        ),
        (
            r#"at_least = 90, unit = "mmHg""#,
            r#"at_least = 90, unit = "kPa""#,
            "rule `acc-aha-dbp-stage-2`: `bp` is in mmHg; kPa is not a unit it can be converted from",
        ),
        (
            "at_least = 80, below = 90",
            "at_least = 80, below = 95",
            "rule `acc-aha-dbp-stage-2`: overlaps rule `acc-aha-dbp-stage-1` in group `acc-aha-dbp`",
        ),
    ] {
        assert!(shipped.contains(from), "{from}");
        let rules = tmp("bad.rules.toml");
        std::fs::write(&rules, shipped.replace(from, to)).unwrap();
        let out = tmp("bad-rules.bdsx");
        let o = train_with(
            "pima",
            "pima_tr2.csv",
            &out,
            &["--rules", rules.to_str().unwrap(), "--models", "logistic"],
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(want), "want `{want}` in {}", stderr(&o));
        assert!(!out.exists(), "no bundle is written");
    }
}

/// Run a `bedside` subcommand with a bundle and a data file.
fn with_data(cmd: &str, bundle: &Path, data: &Path, extra: &[&str]) -> Output {
    run(bin()
        .arg(cmd)
        .arg("--bundle")
        .arg(bundle)
        .arg("--data")
        .arg(data)
        .args(extra))
}

#[test]
fn predict_evaluate_and_recalibrate_on_held_out_patients() {
    let b = pima();
    let te = root().join("data/pima_te.csv");
    // predict: one line per row, probabilities summing to 1.
    let out = tmp("pima-preds.csv");
    let o = with_data("predict", &b, &te, &["--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let preds = std::fs::read_to_string(&out).unwrap();
    let mut lines = preds.lines();
    assert_eq!(
        lines.next().unwrap(),
        "row,status,p_No,p_Yes,top,imputed,outside_training_range,unusual,column,reason"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 332);
    for r in &rows {
        let c: Vec<&str> = r.split(',').collect();
        assert_eq!(c[1], "scored");
        let s: f64 = c[2].parse::<f64>().unwrap() + c[3].parse::<f64>().unwrap();
        assert!((s - 1.0).abs() < 1e-9);
    }
    // evaluate --json: the fields the data team's scripts read.
    let o = with_data("evaluate", &b, &te, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["n"], 332);
    assert_eq!(j["refused"], 0);
    for key in ["auc", "brier"] {
        assert!(j[key].as_f64().unwrap() > 0.0, "{key}");
    }
    assert_eq!(j["auc_ci"].as_array().unwrap().len(), 2);
    assert!(j["calibration"]["intercept"].is_f64() && j["calibration"]["slope"].is_f64());
    let nb = j["net_benefit"].as_array().unwrap();
    assert_eq!(nb.len(), 10);
    assert!((nb[0]["threshold"].as_f64().unwrap() - 0.05).abs() < 1e-12);
    assert!(nb[9]["model"].is_f64() && nb[9]["treat_all"].is_f64());
    assert!(!j["subgroups"].as_array().unwrap().is_empty());
    assert_eq!(j["drift"].as_array().unwrap().len(), 7);
    // The readable report.
    let o = with_data("evaluate", &b, &te, &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Calibration line: intercept") && text.contains("Net benefit"));
    // recalibrate, signed with a site key: the card carries the validation and the signer.
    let key = tmp("site-key");
    let _ = std::fs::remove_file(key.with_extension("key"));
    let o = run(bin().arg("keygen").arg("--out").arg(&key));
    assert!(o.status.success(), "{}", stderr(&o));
    let re = tmp("pima-recal.bdsx");
    let o = with_data(
        "recalibrate",
        &b,
        &te,
        &[
            "--out",
            re.to_str().unwrap(),
            "--key",
            key.with_extension("key").to_str().unwrap(),
            "--site",
            "Test clinic",
            "--period",
            "1990s",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(bin()
        .arg("verify")
        .arg("--trusted")
        .arg(key.with_extension("pub"))
        .arg(&re));
    assert!(o.status.success(), "{}", stderr(&o));
    let card = run(bin().arg("inspect").arg("--bundle").arg(&re));
    let card = String::from_utf8_lossy(&card.stdout);
    assert!(
        card.contains("## Local validation") && card.contains("Test clinic"),
        "{card}"
    );
    assert!(card.contains("signed by key"), "{card}");
    let o = with_data("evaluate", &re, &te, &["--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["calibration"]["intercept"].as_f64().unwrap().abs() < 1e-6);
    assert!((j["calibration"]["slope"].as_f64().unwrap() - 1.0).abs() < 1e-6);
}

#[test]
fn bad_validation_data_is_refused_with_what_is_missing() {
    let b = pima();
    let write = |name: &str, text: &str| {
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let header = "npreg,glu,bp,skin,bmi,ped,age";
    let cases = [
        (
            "no-target.csv",
            format!("{header}\n1,85,66,29,26.6,0.351,31\n"),
            "no column `type`",
        ),
        (
            "coded.csv",
            format!("{header},type\n1,85,66,29,26.6,0.351,31,0\n2,85,66,29,26.6,0.351,31,1\n"),
            "not one of the target classes",
        ),
        (
            "one-class.csv",
            format!("{header},type\n1,85,66,29,26.6,0.351,31,No\n2,95,66,29,26.6,0.351,35,No\n"),
            "no patient has the outcome `Yes`",
        ),
        (
            "one-row.csv",
            format!("{header},type\n1,85,66,29,26.6,0.351,31,Yes\n"),
            "1 usable row",
        ),
        ("blank.csv", String::new(), "the CSV is empty"),
        ("blank-lines.csv", "\n\n".to_string(), "the CSV is empty"),
    ];
    for (name, text, want) in cases {
        let p = write(name, &text);
        for cmd in ["evaluate", "recalibrate"] {
            let out = tmp(&format!("{name}.bdsx"));
            let o = with_data(
                cmd,
                &b,
                &p,
                &["--out", out.to_str().unwrap()][..if cmd == "recalibrate" { 2 } else { 0 }],
            );
            assert_eq!(o.status.code(), Some(2), "{cmd} {name}");
            assert!(stderr(&o).contains(want), "{cmd} {name}: {}", stderr(&o));
            assert!(!out.exists(), "{cmd} {name}: nothing is written");
        }
    }
    // predict lists bad rows and keeps the good ones.
    let p = write(
        "mixed.csv",
        &format!("{header}\n1,85,66,29,26.6,0.351,31\n1,85,66,29,900,0.351,31\n"),
    );
    let o = with_data("predict", &b, &p, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let refused: Vec<&str> = text.lines().filter(|l| l.contains(",refused,")).collect();
    assert_eq!(refused.len(), 1, "{text}");
    assert!(
        refused[0].starts_with("2,refused,") && refused[0].contains(",bmi,"),
        "{text}"
    );
}

/// `bedside init --data D --target T [extra] --out OUT`.
fn init(data: &Path, target: &str, out: &Path, extra: &[&str]) -> Output {
    run(bin()
        .arg("init")
        .arg("--data")
        .arg(data)
        .args(["--target", target])
        .args(extra)
        .arg("--out")
        .arg(out))
}

/// `bedside train` on a schema anywhere (not only `data/`).
fn train_schema(data: &Path, schema: &Path, out: &Path) -> Output {
    run(bin()
        .arg("train")
        .arg("--data")
        .arg(data)
        .arg("--schema")
        .arg(schema)
        .arg("--out")
        .arg(out))
}

#[test]
fn init_drafts_a_schema_for_biopsy_that_trains_as_it_is() {
    let schema = tmp("init-biopsy/biopsy.schema.toml");
    let _ = std::fs::remove_file(&schema);
    let data = root().join("data/biopsy.csv");
    let o = init(&data, "class", &schema, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // One line per column on stderr, each saying what and why.
    let said = stderr(&o);
    assert_eq!(said.lines().count(), 11, "{said}");
    assert!(said.contains("`ID`: left out — an identifier"), "{said}");
    assert!(
        said.contains("`class`: target, classes `benign`, `malignant`; positive `malignant`"),
        "{said}"
    );
    assert!(
        said.contains("`V6`: numeric (whole numbers), plausible 0–15"),
        "{said}"
    );
    let text = std::fs::read_to_string(&schema).unwrap();
    assert!(text.contains("id = \"biopsy\""), "{text}");

    let out = tmp("init-biopsy/biopsy.bdsx");
    let o = train_schema(&data, &schema, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle = Bundle::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(bundle.training.n_train + bundle.training.n_test, 699);
    assert!(bundle.metrics().auc > 0.95, "{:?}", bundle.metrics());

    // An existing schema is not overwritten unless asked.
    let o = init(&data, "class", &schema, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists; pass --force to overwrite it"),
        "{}",
        stderr(&o)
    );
    let o = init(&data, "class", &schema, &["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// 160 patients with an ID, a constant column, names with spaces, punctuation and a quote,
/// `?` codes, a blank that is a level, yes/no as Yes/No, sex as 1/2.
fn awkward_csv() -> String {
    let mut rng = bedside::util::rng::Rng::new(11);
    let mut s = String::from(
        "Patient ID,Blood pressure (mm Hg),\"say \"\"hi\"\"\",centre,coma,smoker,sex,grade,outcome\n",
    );
    for i in 0..160 {
        let bp = 90 + rng.below(80);
        let bp_cell = if i % 13 == 4 {
            "?".to_string()
        } else {
            bp.to_string()
        };
        let coma = ["deep", "light", "", "", ""][rng.below(5)];
        let smoker = rng.below(3) == 0;
        let grade = if i % 17 == 2 {
            "?".to_string()
        } else {
            (1 + rng.below(3)).to_string()
        };
        let noisy = bp as i64 + if smoker { 25 } else { 0 } + rng.below(40) as i64 - 20;
        s.push_str(&format!(
            "P{i:04},{bp_cell},{}.{},Leeds,{coma},{},{},{grade},{}\n",
            rng.below(10),
            rng.below(10),
            if smoker { "Yes" } else { "No" },
            1 + rng.below(2),
            if noisy > 140 { "yes" } else { "no" }
        ));
    }
    s
}

#[test]
fn init_drafts_an_awkward_csv_that_trains_as_it_is() {
    let data = tmp("init-awkward/awkward.csv");
    std::fs::write(&data, awkward_csv()).unwrap();
    let schema = tmp("init-awkward/awkward.schema.toml");
    let o = init(&data, "outcome", &schema, &["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stderr(&o);
    for needle in [
        "`Patient ID`: left out — an identifier",
        "`centre`: left out — the same value (`Leeds`) in every row",
        "`coma`: categorical, 3 levels: `deep`, `light`, `blank`",
        "`smoker`: yes/no (`Yes` yes, `No` no)",
        "`sex`: categorical, 2 levels: `1`, `2`",
        "`Blood pressure (mm Hg)`: numeric (whole numbers)",
    ] {
        assert!(said.contains(needle), "missing {needle} in\n{said}");
    }
    let out = tmp("init-awkward/awkward.bdsx");
    let o = train_schema(&data, &schema, &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let bundle = Bundle::from_bytes(&std::fs::read(&out).unwrap()).unwrap();
    let s = &bundle.schema;
    assert_eq!(s.id, "awkward");
    assert_eq!(s.feature("coma").unwrap().blank.as_deref(), Some("blank"));
    assert_eq!(
        s.feature("Blood pressure (mm Hg)").unwrap().missing_codes,
        vec!["?"]
    );
    assert!(s.feature("say \"hi\"").is_some());
    assert!(s.feature("Patient ID").is_none() && s.feature("centre").is_none());
}

#[test]
fn init_refuses_a_column_that_reads_two_ways_naming_both_and_their_flags() {
    let mut csv = String::from("age,crp,k,dx\n");
    for i in 0..400 {
        let crp = match i {
            10 | 30 => "<5".to_string(),
            20 => "trace".to_string(),
            _ => (3 + i % 40).to_string(),
        };
        let k = if i % 50 == 0 {
            "-9".to_string()
        } else {
            (i % 11).to_string()
        };
        csv.push_str(&format!("{},{crp},{k},{}\n", 20 + i % 60, i % 3 == 0));
    }
    let data = tmp("init-crp/crp.csv");
    std::fs::write(&data, csv).unwrap();
    let schema = tmp("init-crp/crp.schema.toml");
    let o = init(&data, "dx", &schema, &["--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(
            "column `crp`: 3 of 400 values are not numbers (`<5`, `trace`); read it as numeric \
             with those as missing (`--na '<5' --na trace`) or as categorical (`--categorical crp`)"
        ),
        "{}",
        stderr(&o)
    );
    assert!(!schema.exists());
    // Each reading, as its flag picks it (a code starting with `-` is taken as a value).
    let o = init(
        &data,
        "dx",
        &schema,
        &["--na", "<5", "--na", "trace", "--na", "-9", "--force"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&schema).unwrap();
    assert!(
        text.contains("missing_codes = [\"<5\", \"trace\"]"),
        "{text}"
    );
    assert!(text.contains("missing_codes = [\"-9\"]"), "{text}");
    let o = init(&data, "dx", &schema, &["--categorical", "crp", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
}
