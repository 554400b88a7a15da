//! Treatment suggestions on the real indomethacin trial (Elmunzer et al., NEJM 2012): the per-arm
//! models must reproduce the trial's arm rates, and the suggestions must rank, cite and respect
//! contraindications.
#![cfg(not(target_arch = "wasm32"))]

use bedside::clinical::treatment::suggest::{split_answers, suggest};
use bedside::contract::patient::PatientRecord;
use bedside::guidance::rules::Status;
use bedside::guidance::trial::wilson;
use bedside::{Bundle, Schema};

mod common;
use common::read;

fn trained(id: &str) -> Bundle {
    let bytes = common::trained_bytes(id, &format!("data/{id}.csv"), None);
    Bundle::from_bytes(&bytes).unwrap()
}

/// indo_rct, trained once for all the tests of this file (each used to train its own).
fn indo_rct() -> Bundle {
    static BUNDLE: std::sync::OnceLock<Bundle> = std::sync::OnceLock::new();
    BUNDLE.get_or_init(|| trained("indo_rct")).clone()
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
        assert_eq!(a.bootstrap.len(), 200);
        // A time-to-event outcome's arm rate counts only patients with a known status, which
        // over-represents events; its models estimate the Kaplan–Meier risk instead, checked
        // against it in tests/trial_censoring.rs.
        if b.schema.target.derive.is_some() {
            continue;
        }
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
    // Every contraindication question but the one answered is listed as not yet checked.
    assert_eq!(b.rules.inputs.len(), 11);
    assert_eq!(rule.unchecked_contraindications.len(), 10);

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
    // followed for less than 5 years without recurrence have no known status: they carry no
    // label, and their follow-up enters through the censoring weights.
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
    // gbsg: recurrence or death within 3 years; 131 censored earlier (weighted, not labelled).
    let gbsg = trained("gbsg");
    let t = gbsg.trial.as_ref().unwrap();
    let counts = arm_counts(t);
    assert_eq!(counts, [("0", 158, 353), ("1", 66, 202)]);
    assert_eq!(gbsg.training.censored, 131);
    assert_calibrated(&gbsg);
}

/// (id, answer "yes" withholds the option) for every question of the ESGE rule.
const SMPC_QUESTIONS: [(&str, bool); 11] = [
    ("indometacin_hypersensitivity", true),
    ("nsaid_hypersensitivity", true),
    ("nasal_polyps_angioedema", true),
    ("peptic_ulcer", true),
    ("recurrent_gi_lesions", true),
    ("proctitis_or_rectal_bleeding", true),
    ("third_trimester", true),
    ("breastfeeding", true),
    ("renal_impairment", false),
    ("hepatic_impairment", false),
    ("heart_failure", false),
];

#[test]
fn every_smpc_contraindication_is_a_question_that_withholds_or_warns() {
    let b = indo_rct();
    let ids: Vec<&str> = b.rules.inputs.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, SMPC_QUESTIONS.map(|(id, _)| id));
    let patient = serde_json::json!({
        "age": 45, "gender": "1_female", "risk": 2.5, "sod": "1_yes", "pep": "0_no",
        "recpanc": "0_no", "psphinc": "0_no", "difcan": "1_yes", "pdstent": "0_no"
    });
    let (model_part, _) = split_answers(&b.rules, &patient).unwrap();
    let record = PatientRecord::from_json(&b.schema, &model_part).unwrap();
    let p = bedside::clinical::predict::probabilities(&b, &record);
    let indo = |answers: &[Option<bool>]| {
        let s = suggest(&b, &record, answers, &p);
        let o = s
            .options
            .iter()
            .find(|o| o.code == "1_indomethacin")
            .unwrap()
            .clone();
        (o, s.rules[0].clone())
    };
    // All answered "no": nothing unchecked, nothing withheld.
    let (o, rule) = indo(&[Some(false); 11]);
    assert!(!o.contraindicated && !o.warned);
    assert_eq!(rule.status, Status::Fired);
    assert!(rule.unchecked_contraindications.is_empty());
    // Each "yes" alone: a section 4.3 item withholds, a section 4.4 caution warns.
    for (i, (id, withholds)) in SMPC_QUESTIONS.iter().enumerate() {
        let mut answers = [Some(false); 11];
        answers[i] = Some(true);
        let (o, rule) = indo(&answers);
        assert_eq!(o.contraindicated, *withholds, "{id}");
        assert_eq!(o.warned, !*withholds, "{id}");
        let hit = &rule.contraindications[0];
        let section = if *withholds {
            "section 4.3"
        } else {
            "section 4.4"
        };
        assert!(
            hit.source
                .contains("Indometacin 100mg suppositories, UK Summary of Product Characteristics")
                && hit.source.contains(section),
            "{id}: {}",
            hit.source
        );
        assert!(
            !hit.reason.en.is_empty() && !hit.reason.zh.is_empty(),
            "{id}"
        );
    }
}

#[test]
fn the_esge_rule_is_attributed_and_says_when_the_estimate_is_known() {
    let b = indo_rct();
    let rule = &b.rules.rules[0];
    let en = &rule.recommend.en;
    assert!(
        en.starts_with("ESGE (Dumonceau et al., Endoscopy 2020) recommends routine rectal administration of 100 mg of diclofenac or indomethacin immediately before ERCP in all patients without a contraindication"),
        "{en}"
    );
    assert!(en.contains("not an order"), "{en}");
    assert!(
        en.contains("does not depend on the model's estimate"),
        "{en}"
    );
    assert!(
        en.contains("difficult cannulation, pancreatic sphincterotomy, pancreatic duct stent")
            && en.contains("only known during or after the procedure")
            && en.contains("indomethacin was given right after ERCP"),
        "{en}"
    );
    let zh = &rule.recommend.zh;
    assert!(
        zh.starts_with("ESGE（Dumonceau 等，Endoscopy 2020）推荐"),
        "{zh}"
    );
    assert!(
        zh.contains("而非指令") && zh.contains("不取决于模型的估计"),
        "{zh}"
    );
    assert!(
        zh.contains("插管困难、胰管括约肌切开术、放置胰管支架")
            && zh.contains("ERCP 结束后立即给予吲哚美辛"),
        "{zh}"
    );
    // The three inputs the rule names are the schema's own procedural features.
    for f in ["psphinc", "difcan", "pdstent"] {
        let label = &b.schema.feature(f).unwrap().label;
        let en_label = label.en.to_lowercase();
        assert!(
            en.contains(en_label.trim_end_matches(" placed")),
            "{f}: {}",
            label.en
        );
        assert!(zh.contains(&label.zh), "{f}: {}", label.zh);
    }
}

#[test]
fn no_shipped_rule_is_worded_as_an_order() {
    for id in ["indo_rct", "colon", "pima"] {
        let text = read(&format!("data/{id}.rules.toml"));
        let rules: toml::Value = toml::from_str(&text).unwrap();
        for r in rules["rules"].as_array().unwrap() {
            let en = r["recommend"]["en"].as_str().unwrap();
            let zh = r["recommend"]["zh"].as_str().unwrap();
            for order in [
                "Give ",
                "Start ",
                "Prescribe ",
                "Administer ",
                "Refer ",
                "Monitor ",
                "Confirm ",
            ] {
                assert!(!en.starts_with(order), "{id}: {en}");
            }
            assert!(
                ["ESGE", "ESMO", "ADA", "WHO", "ACC/AHA"]
                    .iter()
                    .any(|g| en.contains(g) && zh.contains(g)),
                "{id}: the recommendation names its guideline in both languages: {en} / {zh}"
            );
        }
    }
}

#[test]
fn the_trial_panel_words_risk_as_frequencies_and_intervals_as_bootstrap() {
    use bedside::present::treatment::{about_trial_html, option_html};
    use bedside::util::lang::Lang;
    let b = indo_rct();
    let patient = serde_json::json!({
        "age": 45, "gender": "1_female", "risk": 2.5, "sod": "1_yes", "pep": "0_no",
        "recpanc": "0_no", "psphinc": "0_no", "difcan": "1_yes", "pdstent": "0_no"
    });
    let (model_part, answers) = split_answers(&b.rules, &patient).unwrap();
    let record = PatientRecord::from_json(&b.schema, &model_part).unwrap();
    let p = bedside::clinical::predict::probabilities(&b, &record);
    let s = suggest(&b, &record, &answers, &p);
    let (indo, placebo) = (&s.options[0], &s.options[1]);
    assert_eq!(indo.code, "1_indomethacin");
    let of_100 = |x: f64| (x * 100.0).round() as u32;
    let (ni, np) = (
        of_100(indo.risk.risk.value),
        of_100(placebo.risk.risk.value),
    );
    // The difference of the two counts shown, so the sentence adds up.
    let fewer = np - ni;
    let en = option_html(&b, &s, 0, indo, Lang::En);
    let want = format!("of 100 patients like this one about {ni} would have post-ERCP pancreatitis with Rectal indomethacin 100 mg and about {np} with Placebo (no NSAID prophylaxis).");
    assert!(en.contains(&want), "{want} in {en}");
    let want = format!("About {fewer} fewer per 100 with Rectal indomethacin 100 mg than with Placebo (no NSAID prophylaxis) (absolute difference); relative risk ");
    assert!(en.contains(&want), "{want} in {en}");
    assert!(
        en.contains("percentile bootstrap interval") && !en.contains("95 % interval"),
        "{en}"
    );
    let zh = option_html(&b, &s, 0, indo, Lang::Zh);
    let want = format!("直肠吲哚美辛 100 毫克组约 {ni} 人会发生“ERCP 术后胰腺炎”，安慰剂（不用 NSAID 预防）组约 {np} 人。");
    assert!(zh.contains(&want), "{want} in {zh}");
    let want = format!("每 100 人约少 {fewer} 人（绝对差值）；相对风险 ");
    assert!(zh.contains(&want), "{want} in {zh}");
    assert!(zh.contains("百分位自助法区间"), "{zh}");

    // About the trial: the pooled estimate and the per-arm risks differ by design, and the
    // intervals are bootstrap intervals of the models' estimates, not confidence intervals.
    let en = about_trial_html(&b, Lang::En);
    assert!(
        en.contains("pools both arms") && en.contains("differ by design"),
        "{en}"
    );
    assert!(
        en.contains("Randomization supports the average difference"),
        "{en}"
    );
    assert!(en.contains("they are not confidence intervals for this patient&#39;s own risk or for the true treatment effect"), "{en}");
    let zh = about_trial_html(&b, Lang::Zh);
    assert!(
        zh.contains("合并了两组") && zh.contains("按设计即不相同"),
        "{zh}"
    );
    assert!(
        zh.contains("而不是该患者自身风险或真实治疗效应的置信区间"),
        "{zh}"
    );
    // No trial bundle's caveats call an interval a confidence interval.
    for id in ["indo_rct", "colon", "gbsg"] {
        let schema = Schema::from_toml(&read(&format!("data/{id}.schema.toml"))).unwrap();
        let c = &schema.treatment.unwrap().caveats;
        assert!(
            !c.en.to_lowercase().contains("confidence") && !c.en.contains("CI"),
            "{id}: {}",
            c.en
        );
        assert!(!c.zh.contains("置信"), "{id}: {}", c.zh);
    }
}
