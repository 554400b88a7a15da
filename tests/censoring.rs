//! Censoring before a derived target's horizon is weighted, not dropped. On the real
//! time-to-event data sets (gbsg, colon): the mean calibrated risk over every patient of the CSV,
//! censored ones included, must be the Kaplan–Meier risk at the horizon within 2 points; and
//! each trial arm's mean modelled risk over all of the arm's patients must be the arm's
//! Kaplan–Meier risk within 2 points (the complete-case fit overstated it by up to 5). A trial
//! without a derived target is fitted exactly as before. Each data set is trained once.
#![cfg(not(target_arch = "wasm32"))]

use bedside::clinical::predict::probabilities;
use bedside::contract::dataset::{read_csv, Dataset};
use bedside::guidance::trial::{Logit, TrialModels};
use bedside::train::censoring::{kaplan_meier, weigh};
use bedside::train::trial::{self, FollowUp};
use bedside::train::{train, TrainInput};
use bedside::{Bundle, Schema};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Schema, CSV text and the bundle trained on it (as `./dev.sh` trains it: no test file).
fn trained(id: &str) -> (Schema, String, Bundle) {
    let schema = Schema::from_toml(&read(&format!("data/{id}.schema.toml"))).unwrap();
    let data = read(&format!("data/{id}.csv"));
    let bytes = train(&TrainInput::new(&schema, &data, None), &|_, _, _| {})
        .unwrap()
        .bytes;
    (schema.clone(), data, Bundle::from_bytes(&bytes).unwrap())
}

/// The per-arm models refitted on the bundle's own preprocessing of every trial row, with the
/// given follow-up (`None`: the complete-case fit, as before censoring was handled).
fn refit(schema: &Schema, b: &Bundle, ds: &Dataset, follow_up: Option<&FollowUp>) -> TrialModels {
    let x: Vec<Vec<f64>> = ds
        .records
        .iter()
        .map(|r| b.preprocessor.transform(r).x)
        .collect();
    trial::fit(
        schema,
        &x,
        &ds.labels,
        &ds.arms,
        follow_up,
        schema.split.seed,
    )
    .unwrap()
}

fn mean(m: &Logit, xs: &[&Vec<f64>]) -> f64 {
    xs.iter().map(|x| m.risk(x)).sum::<f64>() / xs.len() as f64
}

/// The main model: (KM risk, complete-case rate, mean predicted over all rows) on the whole
/// CSV.
fn whole(id: &str, schema: &Schema, data: &str, b: &Bundle) -> (f64, f64, f64) {
    let horizon = schema.target.derive.as_ref().unwrap().horizon;
    let pos = schema.positive_index();
    let ds = read_csv(schema, data).unwrap();

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
        .map(|r| probabilities(b, r)[pos])
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
        let json = lib.case_json(schema, i);
        let r = bedside::contract::patient::PatientRecord::from_json(schema, &json).unwrap();
        probabilities(b, &r)
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

/// The per-arm trial models: each arm's mean modelled risk against the arm's Kaplan–Meier risk.
fn per_arm(id: &str, schema: &Schema, data: &str, b: &Bundle) {
    let tr = schema.treatment.as_ref().unwrap();
    let horizon = schema.target.derive.as_ref().unwrap().horizon;
    let pos = schema.positive_index();
    let ds = read_csv(schema, data).unwrap();
    let shipped = b.trial.as_ref().unwrap();

    // The arm of each censored row, read straight from the CSV (the data set does not keep it).
    let mut rdr = csv::Reader::from_reader(data.as_bytes());
    let column = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == tr.column)
        .unwrap();
    let raw: Vec<String> = rdr
        .records()
        .map(|r| r.unwrap()[column].to_string())
        .collect();
    let censored_arms: Vec<usize> = ds
        .censored
        .rows
        .iter()
        .map(|&row| {
            let code = &raw[row as usize - 1];
            tr.arms.iter().position(|a| &a.code == code).unwrap()
        })
        .collect();
    let follow_up = FollowUp::of(schema, &ds, &b.preprocessor, data, None)
        .unwrap()
        .unwrap();
    assert_eq!(follow_up.censored_arms, censored_arms);

    // The shipped models are the censoring-aware fit; the complete-case one is the old fit.
    assert_eq!(*shipped, refit(schema, b, &ds, Some(&follow_up)));
    let before = refit(schema, b, &ds, None);

    let x_known: Vec<Vec<f64>> = ds
        .records
        .iter()
        .map(|r| b.preprocessor.transform(r).x)
        .collect();
    for (a, (now, old)) in shipped.arms.iter().zip(&before.arms).enumerate() {
        let known: Vec<usize> = (0..ds.records.len()).filter(|&i| ds.arms[i] == a).collect();
        let censored: Vec<usize> = (0..censored_arms.len())
            .filter(|&k| censored_arms[k] == a)
            .collect();
        // The arm's Kaplan–Meier risk by the horizon, from all of its patients.
        let times: Vec<f64> = known
            .iter()
            .map(|&i| ds.times[i])
            .chain(censored.iter().map(|&k| ds.censored.times[k]))
            .collect();
        let events: Vec<bool> = known
            .iter()
            .map(|&i| ds.labels[i] == pos)
            .chain(censored.iter().map(|_| false))
            .collect();
        let km = 1.0 - kaplan_meier(&times, &events).0.at(horizon);
        let complete_case =
            known.iter().filter(|&&i| ds.labels[i] == pos).count() as f64 / known.len() as f64;
        // Every patient of the arm, censored ones included.
        let everyone: Vec<&Vec<f64>> = known
            .iter()
            .map(|&i| &x_known[i])
            .chain(censored.iter().map(|&k| &follow_up.censored_x[k]))
            .collect();
        let (m_now, m_old) = (mean(&now.model, &everyone), mean(&old.model, &everyone));
        // The bootstrap replicates are corrected too: on average they sit at the same level.
        let reps = |t: &[Logit]| t.iter().map(|m| mean(m, &everyone)).sum::<f64>() / t.len() as f64;
        let (r_now, r_old) = (reps(&now.bootstrap), reps(&old.bootstrap));
        eprintln!(
            "{id} arm {}: {} known + {} censored; Kaplan–Meier risk {km:.4}, complete-case rate {complete_case:.4}; mean modelled risk over all the arm's patients: before {m_old:.4} ({:+.4}), after {m_now:.4} ({:+.4}); bootstrap replicates' mean: before {r_old:.4}, after {r_now:.4}; out-of-fold mean: before {:.4}, after {:.4}",
            now.code,
            known.len(),
            censored.len(),
            m_old - km,
            m_now - km,
            old.cv_mean_predicted,
            now.cv_mean_predicted,
        );
        assert!(
            (m_now - km).abs() <= 0.02,
            "{id} arm {}: mean modelled risk {m_now:.4} vs Kaplan–Meier {km:.4}",
            now.code
        );
        assert!(
            (r_now - km).abs() <= 0.02,
            "{id} arm {}: {r_now:.4}",
            now.code
        );
        assert!(
            (now.cv_mean_predicted - km).abs() <= 0.02,
            "{id} arm {}",
            now.code
        );
        // The stored mean is this one; the counts are still the known-status patients'.
        assert!((now.mean_predicted - m_now).abs() < 1e-12);
        assert_eq!((now.n, now.events), (old.n, old.events));
        assert_eq!(now.n as usize, known.len());
        // Exactly: the censoring-weighted mean over the known-status patients is the
        // Kaplan–Meier risk (the weighted score equation of the intercept).
        let w = weigh(
            &known.iter().map(|&i| ds.times[i]).collect::<Vec<_>>(),
            &known
                .iter()
                .map(|&i| ds.labels[i] == pos)
                .collect::<Vec<_>>(),
            &censored
                .iter()
                .map(|&k| ds.censored.times[k])
                .collect::<Vec<_>>(),
            horizon,
        )
        .unwrap();
        assert!((w.km_risk - km).abs() < 1e-12);
        let weighted = known
            .iter()
            .zip(&w.weights)
            .map(|(&i, w)| w * now.model.risk(&x_known[i]))
            .sum::<f64>()
            / w.weights.iter().sum::<f64>();
        assert!((weighted - km).abs() < 1e-5, "{weighted} vs {km}");
        // Only the intercepts moved.
        assert_eq!(now.model.weights, old.model.weights);
    }
}

#[test]
fn gbsg_and_colon_risks_over_all_patients_and_per_arm_are_the_kaplan_meier_risks() {
    let (schema, data, b) = trained("gbsg");
    let (km, cc, _) = whole("gbsg", &schema, &data, &b);
    // The numbers in the brief: 35.7 % by Kaplan–Meier, 40.4 % among the rest.
    assert!(
        (km - 0.357).abs() < 0.001 && (cc - 0.404).abs() < 0.001,
        "{km} {cc}"
    );
    per_arm("gbsg", &schema, &data, &b);
    let (schema, data, b) = trained("colon");
    whole("colon", &schema, &data, &b);
    per_arm("colon", &schema, &data, &b);
}

#[test]
fn a_trial_without_a_derived_target_is_fitted_as_before() {
    let (schema, data, b) = trained("indo_rct");
    let ds = read_csv(&schema, &data).unwrap();
    assert!(FollowUp::of(&schema, &ds, &b.preprocessor, &data, None)
        .unwrap()
        .is_none());
    // No follow-up: the plain complete-case fit (compared bit for bit, before and after this
    // change, on the postcard bytes of the fitted `TrialModels`).
    assert_eq!(*b.trial.as_ref().unwrap(), refit(&schema, &b, &ds, None));
}

#[test]
fn the_censoring_note_says_the_censored_are_weighted_not_dropped() {
    use bedside::present::wording::censored_text;
    use bedside::util::lang::Lang;
    let en = censored_text(131, Lang::En);
    assert!(en.starts_with("131 "), "{en}");
    for want in [
        "not dropped",
        "inverse-probability-of-censoring weights",
        "Kaplan–Meier",
        "per-arm models",
        "only the patients with a known status",
    ] {
        assert!(en.contains(want), "{want}: {en}");
    }
    assert!(
        !en.contains("left out") && !en.contains("overstates"),
        "{en}"
    );
    let zh = censored_text(131, Lang::Zh);
    for want in ["逆概率删失加权", "Kaplan–Meier", "各组模型", "结局已知"] {
        assert!(zh.contains(want), "{want}: {zh}");
    }
    assert!(!zh.contains("被排除；") && !zh.contains("高估"), "{zh}");
}
