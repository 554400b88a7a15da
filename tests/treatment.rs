//! Treatment suggestions on the real indomethacin trial (Elmunzer et al., NEJM 2012): the per-arm
//! models must reproduce the trial's arm rates, and the suggestions must rank, cite and respect
//! contraindications.
#![cfg(not(target_arch = "wasm32"))]

use bedside::clinical::treatment::suggest::{split_answers, suggest};
use bedside::contract::patient::PatientRecord;
use bedside::guidance::rules::Status;
use bedside::guidance::trial::wilson;
use bedside::train::{train, TrainInput};
use bedside::{Bundle, Schema};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn trained(id: &str) -> Bundle {
    let schema = Schema::from_toml(&read(&format!("data/{id}.schema.toml"))).unwrap();
    let data = read(&format!("data/{id}.csv"));
    let rules = std::fs::read_to_string(format!(
        "{}/data/{id}.rules.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .ok();
    let mut input = TrainInput::new(&schema, &data, None);
    input.rules = rules.as_deref();
    let bytes = train(&input, &mut |_, _, _| {}).unwrap().bytes;
    Bundle::from_bytes(&bytes).unwrap()
}

fn indo_rct() -> Bundle {
    trained("indo_rct")
}

/// Mean predicted risk per arm, over the arm and over the whole trial, inside the 95% CI of
/// the observed arm rate.
fn assert_calibrated(b: &Bundle) {
    let t = b.trial.as_ref().unwrap();
    for a in &t.arms {
        let ci = wilson(a.events, a.n);
        eprintln!(
            "{} {}: observed {}/{} = {:.4} (95% CI {:.4}–{:.4}); mean predicted over the arm {:.4} (out of fold {:.4}), over the trial {:.4}",
            b.schema.id, a.code, a.events, a.n, ci.value, ci.low, ci.high, a.mean_predicted, a.cv_mean_predicted, a.mean_predicted_all
        );
        // In-sample, a logistic fit matches its arm's rate by construction; the out-of-fold
        // mean and the whole-trial mean are the real checks.
        for (what, m) in [
            ("own arm", a.mean_predicted),
            ("own arm, out of fold", a.cv_mean_predicted),
            ("whole trial", a.mean_predicted_all),
        ] {
            assert!(
                ci.low <= m && m <= ci.high,
                "{} arm {}: mean predicted risk over the {what} {m:.4} is outside the observed 95% CI {:.4}–{:.4}",
                b.schema.id, a.code, ci.low, ci.high
            );
        }
        assert_eq!(a.bootstrap.len(), 200);
    }
}

#[test]
fn per_arm_risk_is_calibrated_against_the_trial_arm_rates() {
    let b = indo_rct();
    let t = b.trial.as_ref().unwrap();
    // The published arm counts: 52/307 on placebo, 27/295 on indomethacin.
    let counts: Vec<(u32, u32)> = t.arms.iter().map(|a| (a.events, a.n)).collect();
    assert_eq!(counts, [(52, 307), (27, 295)]);
    assert_calibrated(&b);
    // Randomized: the trial population's modelled risk is lower under indomethacin.
    assert!(t.arms[1].mean_predicted_all < t.arms[0].mean_predicted_all);
    // Every trial patient is in the case library with an arm.
    assert_eq!(b.cases.len(), 602);
    assert_eq!(b.cases.arms.len(), 602);
}

#[test]
fn suggestions_rank_options_cite_rules_and_respect_contraindications() {
    let b = indo_rct();
    let patient = serde_json::json!({
        "age": 45, "gender": "1_female", "risk": 2.5, "sod": "1_yes", "pep": "0_no",
        "recpanc": "0_no", "psphinc": "0_no", "difcan": "1_yes", "pdstent": "0_no",
        "nsaid_hypersensitivity": false, "renal_impairment": null
    });
    let (model_part, answers) = split_answers(&b.rules, &patient).unwrap();
    let record = PatientRecord::from_json(&b.schema, &model_part).unwrap();
    let p = bedside::clinical::predict::probabilities(&b, &record);
    let s = suggest(&b, &record, &answers, &p);
    assert_eq!(s.options.len(), 2);
    assert_eq!(
        s.options[0].code, "1_indomethacin",
        "lowest modelled risk first"
    );
    let indo = &s.options[0];
    assert!(
        indo.risk.risk.low <= indo.risk.risk.value && indo.risk.risk.value <= indo.risk.risk.high
    );
    let d = indo.risk.difference.unwrap();
    assert!(d.value < 0.0 && d.low <= d.value && d.value <= d.high);
    assert!(s.options[1].control && s.options[1].risk.difference.is_none());
    assert_eq!(s.evidence_cases, 40);
    assert_eq!(s.options.iter().map(|o| o.evidence.cases).sum::<u32>(), 40);
    let rule = &s.rules[indo.rules[0]];
    assert_eq!(rule.id, "esge-2020-rectal-nsaid");
    assert_eq!(rule.status, Status::Fired);
    assert!(rule.source.guideline.contains("Endoscopy 2020"));
    // Four contraindication questions were not answered (one was), and the panel says so.
    assert_eq!(rule.unchecked_contraindications.len(), 4);

    // NSAID hypersensitivity: the rule is suppressed and indomethacin goes last.
    let patient = {
        let mut p = patient.clone();
        p["nsaid_hypersensitivity"] = serde_json::json!(true);
        p
    };
    let (_, answers) = split_answers(&b.rules, &patient).unwrap();
    let s = suggest(&b, &record, &answers, &p);
    assert_eq!(s.options[1].code, "1_indomethacin");
    assert!(s.options[1].contraindicated);
    assert_eq!(s.rules[0].status, Status::Suppressed);

    // A non-boolean answer is refused with the field and what is accepted.
    let bad = serde_json::json!({ "third_trimester": "maybe" });
    let e = split_answers(&b.rules, &bad).unwrap_err().to_string();
    assert!(
        e.contains("third_trimester") && e.contains("true, false or null"),
        "{e}"
    );
}

/// (arm, events, patients) of each trial arm.
fn arm_counts(t: &bedside::guidance::trial::TrialModels) -> Vec<(&str, u32, u32)> {
    t.arms
        .iter()
        .map(|a| (a.code.as_str(), a.events, a.n))
        .collect()
}

#[test]
fn colon_and_gbsg_per_arm_risks_are_calibrated_with_censoring_disclosed() {
    // colon: recurrence within 5 years, from the recurrence records (etype 1); 41 patients
    // followed for less than 5 years without recurrence have no answer and are left out.
    let colon = trained("colon");
    let t = colon.trial.as_ref().unwrap();
    let counts = arm_counts(t);
    assert_eq!(
        counts,
        [("Obs", 171, 299), ("Lev", 165, 300), ("Lev+5FU", 115, 289)]
    );
    assert_eq!(colon.training.censored, 41);
    assert_calibrated(&colon);
    // Levamisole + fluorouracil lowered recurrence in the trial; the models agree on average.
    assert!(t.arms[2].mean_predicted_all < t.arms[0].mean_predicted_all);
    // gbsg: recurrence or death within 3 years; 131 censored earlier are left out.
    let gbsg = trained("gbsg");
    let t = gbsg.trial.as_ref().unwrap();
    let counts = arm_counts(t);
    assert_eq!(counts, [("0", 158, 353), ("1", 66, 202)]);
    assert_eq!(gbsg.training.censored, 131);
    assert_calibrated(&gbsg);
}
