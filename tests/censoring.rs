//! Censoring before a derived target's horizon is weighted, not dropped: on the real
//! time-to-event data sets (gbsg, colon), the mean calibrated risk over every patient of the
//! CSV, censored ones included, must be the Kaplan–Meier risk at the horizon within 2 points.
#![cfg(not(target_arch = "wasm32"))]

use bedside::clinical::predict::probabilities;
use bedside::contract::dataset::read_csv;
use bedside::train::censoring::kaplan_meier;
use bedside::train::{train, TrainInput};
use bedside::{Bundle, Schema};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// (KM risk, complete-case rate, mean predicted over all rows) on the whole CSV.
fn check(id: &str) -> (f64, f64, f64) {
    let schema = Schema::from_toml(&read(&format!("data/{id}.schema.toml"))).unwrap();
    let data = read(&format!("data/{id}.csv"));
    let bytes = train(&TrainInput::new(&schema, &data, None), &mut |_, _, _| {})
        .unwrap()
        .bytes;
    let b = Bundle::from_bytes(&bytes).unwrap();
    let horizon = schema.target.derive.as_ref().unwrap().horizon;
    let pos = schema.positive_index();
    let ds = read_csv(&schema, &data).unwrap();

    // Kaplan–Meier on the whole CSV: a row with a known status is an event at its time when
    // positive (time ≤ horizon) and still at risk through the horizon otherwise; a censored
    // row is a censoring at its time.
    let times: Vec<f64> = ds.times.iter().chain(&ds.censored.times).copied().collect();
    let events: Vec<bool> = ds
        .labels
        .iter()
        .map(|&l| l == pos)
        .chain(ds.censored.times.iter().map(|_| false))
        .collect();
    let km = 1.0 - kaplan_meier(&times, &events).0.at(horizon);
    let complete_case =
        ds.labels.iter().filter(|&&l| l == pos).count() as f64 / ds.labels.len() as f64;
    let everyone: Vec<_> = ds.records.iter().chain(&ds.censored.records).collect();
    let mean = everyone
        .iter()
        .map(|r| probabilities(&b, r)[pos])
        .sum::<f64>()
        / everyone.len() as f64;
    let c = b.training.censoring.as_ref().unwrap();
    eprintln!(
        "{id}: {} rows ({} censored before the horizon); Kaplan–Meier risk {km:.4}, complete-case rate {complete_case:.4}, mean predicted over all rows {mean:.4} | training rows: KM {:.4}, complete-case {:.4}, mean predicted {:.4}, {} censored; base rate {:.4}; test AUC {:.3} (95% CI {:.3}–{:.3})",
        everyone.len(),
        ds.censored.len(),
        c.km_risk,
        c.complete_case_rate,
        c.mean_predicted,
        c.censored,
        b.training.base_rates[pos],
        b.evaluation.test.auc,
        b.evaluation.auc_ci.0,
        b.evaluation.auc_ci.1,
    );
    assert!(
        (mean - km).abs() <= 0.02,
        "{id}: mean predicted {mean:.4} vs Kaplan–Meier {km:.4}"
    );
    assert!((b.training.base_rates[pos] - c.km_risk).abs() < 1e-9);
    assert!(
        complete_case > km,
        "dropping the censored overstates the risk"
    );

    // Every case of the trial library has held-out probabilities; exactly the test rows' are
    // the final model's own (it never saw them), the training rows' are out of fold.
    let lib = &b.cases;
    assert_eq!(lib.held_out.len(), lib.len());
    let own = |i: usize| {
        let json = lib.case_json(&schema, i);
        let r = bedside::contract::patient::PatientRecord::from_json(&schema, &json).unwrap();
        probabilities(&b, &r)
    };
    let same = (0..lib.len())
        .filter(|&i| {
            let p = own(i);
            lib.held_out[i]
                .iter()
                .zip(&p)
                .all(|(&h, &q)| (f64::from(h) - q).abs() < 1e-6)
        })
        .count();
    assert_eq!(same, b.training.n_test as usize, "{id}");
    (km, complete_case, mean)
}

#[test]
fn gbsg_and_colon_mean_risk_over_all_patients_is_the_kaplan_meier_risk() {
    let (km, cc, _) = check("gbsg");
    // The numbers in the brief: 35.7 % by Kaplan–Meier, 40.4 % among the rest.
    assert!(
        (km - 0.357).abs() < 0.001 && (cc - 0.404).abs() < 0.001,
        "{km} {cc}"
    );
    check("colon");
}
