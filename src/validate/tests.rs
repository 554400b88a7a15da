//! Local validation on real data: a pima model (trained on `pima_tr.csv`, logistic only, so
//! the test is quick) validated on the 332 women of `pima_te.csv` it never saw.
#![cfg(not(target_arch = "wasm32"))]

use super::*;
use crate::train::candidates::Spec;

fn read(p: &str) -> String {
    std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn pima() -> Bundle {
    let schema = Schema::from_toml(&read("data/pima.schema.toml")).unwrap();
    let data = read("data/pima_tr.csv");
    let mut input = crate::train::TrainInput::new(&schema, &data, None);
    input.candidates = vec![Spec::Logistic { alpha: 1.0 }];
    Bundle::from_bytes(&crate::train::train(&input, &|_, _, _| {}).unwrap().bytes).unwrap()
}

#[test]
fn evaluate_scores_every_row_and_recalibration_fits_the_local_data() {
    let b = pima();
    let csv = read("data/pima_te.csv");
    let ev = evaluate(&b, &csv).unwrap();
    assert_eq!(
        ev.report.n as usize + ev.refused.len(),
        csv.lines().count() - 1
    );
    assert_eq!(ev.report.n, 332);
    // The same probabilities as assess gives one patient at a time.
    for (s, r) in ev.scored.iter().zip(&ev.data.records).take(20) {
        assert_eq!(s.proba, crate::clinical::predict::probabilities(&b, r));
    }
    let cal = ev.report.calibration.unwrap();
    assert!(cal.slope > 0.3 && cal.slope < 3.0, "{cal:?}");
    assert_eq!(ev.report.net_benefit.len(), 10);
    assert_eq!(ev.report.drift.len(), b.schema.features.len());

    let about = About {
        site: "test site".into(),
        period: "1990s".into(),
        date: "2026-11-26".into(),
        signed_by: String::new(),
    };
    let re = recalibrate(&b, &ev, &about).unwrap();
    let after = re.after.calibration.unwrap();
    assert!(after.intercept.abs() < 1e-6, "{after:?}");
    assert!((after.slope - 1.0).abs() < 1e-6, "{after:?}");
    // The ranking is kept: the AUC does not move.
    assert!((re.after.auc - ev.report.auc).abs() < 1e-12);
    // The new bundle round-trips, carries the validation, and gives the new probabilities.
    let bytes = re.bundle.to_bytes().unwrap();
    let back = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(back.local.len(), 1);
    assert_eq!(back.local[0].n, 332);
    assert_eq!(back.local[0].site, "test site");
    let again = evaluate(&back, &csv).unwrap();
    let fit = again.report.calibration.unwrap();
    assert!(
        fit.intercept.abs() < 1e-6 && (fit.slope - 1.0).abs() < 1e-6,
        "{fit:?}"
    );
    // A second recalibration stacks on the first.
    let twice = recalibrate(&back, &again, &about).unwrap();
    assert_eq!(twice.bundle.local.len(), 2);
}

#[test]
fn composing_with_a_positive_class_zero_moves_class_zero() {
    let current = Calibration::Platt { a: 0.8, b: 0.3 };
    let fit = CalibrationFit {
        intercept: 0.4,
        slope: 1.3,
    };
    let r = Recalibration::Logistic {
        intercept: 0.4,
        slope: 1.3,
    };
    for positive in [0, 1] {
        let new = compose_logistic(&current, fit, positive).unwrap();
        for raw1 in [0.05, 0.3, 0.5, 0.9] {
            let raw = [1.0 - raw1, raw1];
            let want = update(&current.apply(&raw), r, positive);
            let got = new.apply(&raw);
            assert!(
                (want[0] - got[0]).abs() < 1e-9,
                "{positive}: {want:?} {got:?}"
            );
        }
    }
}

#[test]
fn predict_needs_no_outcome_and_lists_bad_rows_with_their_column() {
    let b = pima();
    let csv = "npreg,glu,bp,skin,bmi,ped,age\n1,85,66,29,26.6,0.351,31\n1,abc,66,29,26.6,0.351,31\n2,90,,,30,0.2,40\n";
    let p = predict(&b, csv).unwrap();
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.refused.len(), 1);
    assert_eq!(p.refused[0].row, 2);
    assert_eq!(p.refused[0].column.as_deref(), Some("glu"));
    assert_eq!(p.rows[1].row, 3);
    assert_eq!(p.rows[1].imputed, vec![2, 3]);
    assert!((p.rows[0].proba.iter().sum::<f64>() - 1.0).abs() < 1e-9);
}

#[test]
fn bad_validation_data_is_refused_naming_what_is_missing() {
    let b = pima();
    let err = |csv: &str| evaluate(&b, csv).unwrap_err().to_string();
    // No outcome column.
    let e = err("npreg,glu,bp,skin,bmi,ped,age\n1,85,66,29,26.6,0.351,31\n");
    assert!(e.contains("no column `type`") && e.contains("`Yes`"), "{e}");
    // Outcomes coded otherwise.
    let e = err("npreg,glu,bp,skin,bmi,ped,age,type\n1,85,66,29,26.6,0.351,31,1\n1,85,66,29,26.6,0.351,31,0\n");
    assert!(
        e.contains("not one of the target classes") && e.contains("column `type`"),
        "{e}"
    );
    // A missing outcome is a row left out, not another coding.
    let mut csv = read("data/pima_te.csv");
    csv.push_str("1,85,66,29,26.6,0.351,31,\n");
    let ev = evaluate(&b, &csv).unwrap();
    assert_eq!(ev.report.n, 332);
    assert_eq!(ev.refused.len(), 1);
    assert!(
        ev.refused[0].message.contains("the outcome is missing"),
        "{:?}",
        ev.refused
    );
    // One row.
    let e = err("npreg,glu,bp,skin,bmi,ped,age,type\n1,85,66,29,26.6,0.351,31,Yes\n");
    assert!(e.contains("1 usable row"), "{e}");
    // One class only.
    let e = err("npreg,glu,bp,skin,bmi,ped,age,type\n1,85,66,29,26.6,0.351,31,No\n2,95,66,29,26.6,0.351,35,No\n");
    assert!(e.contains("no patient has the outcome `Yes`"), "{e}");
    // Perfectly separated outcomes: evaluated, but not recalibrated.
    let csv = "npreg,glu,bp,skin,bmi,ped,age,type\n1,85,66,29,26.6,0.351,31,No\n9,190,80,40,45,1.2,60,Yes\n";
    let ev = evaluate(&b, csv).unwrap();
    assert!(ev.report.calibration.is_none());
    let e = recalibrate(&b, &ev, &About::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot be fitted"), "{e}");
}

#[test]
fn censored_time_to_event_data_is_validated_but_not_recalibrated() {
    let schema = Schema::from_toml(&read("data/gbsg.schema.toml")).unwrap();
    let data = read("data/gbsg.csv");
    let mut input = crate::train::TrainInput::new(&schema, &data, None);
    input.candidates = vec![Spec::Logistic { alpha: 1.0 }];
    let b = Bundle::from_bytes(&crate::train::train(&input, &|_, _, _| {}).unwrap().bytes).unwrap();
    let ev = evaluate(&b, &data).unwrap();
    assert!(ev.report.censored > 0);
    assert_eq!(
        ev.report.n + ev.report.censored + ev.refused.len() as u32,
        data.lines().count() as u32 - 1
    );
    let e = recalibrate(&b, &ev, &About::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("censored before the horizon"), "{e}");
}
