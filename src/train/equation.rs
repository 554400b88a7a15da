//! [native only] A published equation + its schema → a bundle, like any trained model's.
//!
//! Nothing is fitted: the equation file's coefficients are the model ([`crate::model::equation`]).
//! The bundle carries an identity preprocessing (the equation centres and scales its own
//! inputs), the calibration map as the identity (so a site's recalibration composes onto it
//! exactly as onto a trained model's), no training cases (there are none), and the paper's own
//! figures on the model card (`Bundle::published`) instead of held-out metrics of ours.

use sha2::{Digest, Sha256};

use crate::bundle::{Bundle, Evaluation, Published, TrainingInfo};
use crate::cases::{CaseLibrary, Metric, Pca};
use crate::contract::schema::{Kind, Missing, Schema};
use crate::error::{Error, Result};
use crate::guidance::rules::RuleSet;
use crate::model::calibrate::Calibration;
use crate::model::equation::Equation;
use crate::model::fitted::Model;
use crate::model::metrics::Metrics;
use crate::model::preprocess::Preprocessor;
use crate::model::typicality::Typicality;
use crate::util::hex::hex;

use super::Trained;

/// Metrics that were not measured: a published equation has no held-out set of ours. NaN, so
/// that anything that showed them by mistake would show "NaN", never a made-up figure.
fn not_measured(n_classes: usize) -> Metrics {
    Metrics {
        n: 0,
        accuracy: f64::NAN,
        precision: f64::NAN,
        recall: f64::NAN,
        f1: f64::NAN,
        auc: f64::NAN,
        log_loss: f64::NAN,
        brier: f64::NAN,
        ece: f64::NAN,
        confusion: vec![vec![0; n_classes]; n_classes],
    }
}

/// Build the bundle of a published equation. `rules` as for a trained model.
pub fn build(schema: &Schema, equation_text: &str, rules: Option<&str>) -> Result<Trained> {
    if schema.target.classes.len() != 2 {
        return Err(Error::Equation(format!(
            "schema `{}` has {} target classes; a published risk equation has two (no event, \
             event)",
            schema.id,
            schema.target.classes.len()
        )));
    }
    if schema.positive_index() != 1 {
        return Err(Error::Equation(format!(
            "schema `{}`: the equation gives the risk of the event, which must be the second \
             class (no event, event); `positive` names the first",
            schema.id
        )));
    }
    if schema.treatment.is_some() || schema.target.derive.is_some() || schema.rows.is_some() {
        return Err(Error::Equation(
            "a published equation's schema has no trial arms, derived target or row filter \
             (there is no data)"
                .into(),
        ));
    }
    if let Some(f) = schema
        .features
        .iter()
        .find(|f| f.missing == Missing::Impute)
    {
        return Err(Error::Equation(format!(
            "`{}` may be missing, but a published equation has no population to impute from; \
             accepted: every input required",
            f.column
        )));
    }
    // The equation is resolved against an identity preprocessing's columns; the reference
    // patient it reads only sets the (unused) imputation values.
    let probe = Preprocessor::identity(schema, &[]);
    let columns = probe.first_columns();
    let parsed = Equation::from_toml(equation_text, schema, &probe)?;
    let preprocessor = Preprocessor::identity(schema, &parsed.reference);
    let width = preprocessor.width();
    // The reference patient as the model's input: numbers and yes/no as given, categories at
    // their first level (the explanation takes the patient's own, as they only choose the
    // equation).
    let mut baseline = vec![0.0; width];
    for (j, f) in schema.features.iter().enumerate() {
        if let (Some(&c), Some(&v)) = (columns.get(j), parsed.reference.get(j)) {
            if !matches!(f.kind, Kind::Categorical { .. }) {
                if let Some(b) = baseline.get_mut(c) {
                    *b = v;
                }
            }
        }
    }
    let n_features = schema.features.len();
    let positive = schema.positive_index();
    // The base rate field holds the comparison patient's risk at the reference values in the
    // first equation; every assessment replaces it with the patient's own comparison
    // (`Published::optimal`), so it is only the card's example.
    let example_risk = {
        let mut x = baseline.clone();
        for (j, v) in parsed.optimal.iter().enumerate() {
            if let (Some(v), Some(&c)) = (v, columns.get(j)) {
                if let Some(slot) = x.get_mut(c) {
                    *slot = *v;
                }
            }
        }
        if let Some(first) = parsed.equation.strata.first() {
            for any in &first.when {
                if let Some(&(c, v)) = any.first() {
                    if let Some(slot) = x.get_mut(c as usize) {
                        *slot = v;
                    }
                }
            }
        }
        parsed.equation.predict_proba(&x)
    };
    let risk = example_risk.get(positive).copied().unwrap_or(f64::NAN);
    let base_rates = vec![1.0 - risk, risk];
    let (lo, hi) = parsed.card.c_statistic;
    let bundle = Bundle {
        schema: schema.clone(),
        model: Model::Equation(parsed.equation),
        calibration: Calibration::Platt { a: 1.0, b: 0.0 },
        fold_models: Vec::new(),
        baseline,
        typicality: Typicality {
            width: width as u32,
            rows: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            nn_p99: f64::INFINITY,
        },
        cases: CaseLibrary {
            source: "none: a published equation carries no patients".into(),
            columns: vec![Vec::new(); n_features],
            outcome: Vec::new(),
            rows: Vec::new(),
            map: Vec::new(),
            arms: Vec::new(),
            held_out: Vec::new(),
        },
        metric: Metric::new(
            &preprocessor,
            &vec![1.0; n_features],
            Pca {
                mean: vec![0.0; width],
                axes: Vec::new(),
                explained: Vec::new(),
            },
        ),
        preprocessor,
        evaluation: Evaluation {
            folds: 0,
            candidates: Vec::new(),
            chosen: 0,
            cv_calibrated: not_measured(2),
            test_raw: not_measured(2),
            test: Metrics {
                auc: lo,
                ..not_measured(2)
            },
            auc_ci: (lo, hi),
            roc: Vec::new(),
            reliability_raw: Vec::new(),
            reliability: Vec::new(),
            subgroups: Vec::new(),
        },
        training: TrainingInfo {
            n_train: 0,
            n_test: 0,
            train_class_counts: vec![0, 0],
            test_class_counts: vec![0, 0],
            test_source: "none: a published equation, validated by its authors".into(),
            missing_counts: vec![0; n_features],
            data_sha256: hex(&Sha256::digest(equation_text.as_bytes())),
            seed: 0,
            trainer_version: env!("CARGO_PKG_VERSION").to_string(),
            censored: 0,
            base_rates,
            censoring: None,
        },
        examples: parsed
            .examples
            .iter()
            .enumerate()
            .map(|(i, (label, patient))| {
                // A worked example must be a patient the equation accepts.
                crate::contract::patient::PatientRecord::from_json(schema, patient)
                    .map_err(|e| Error::Equation(format!("example `{label}`: {e}")))?;
                Ok(crate::bundle::Example {
                    row: i as u32 + 1,
                    inputs: crate::clinical::form::from_json(schema, patient),
                    truth: 0,
                    label: label.clone(),
                })
            })
            .collect::<Result<_>>()?,
        rules: match rules {
            Some(text) => RuleSet::from_toml(text, schema)?,
            None => RuleSet::default(),
        },
        trial: None,
        published: Some(Published {
            card: parsed.card,
            optimal: parsed.optimal,
            equation_sha256: hex(&Sha256::digest(equation_text.as_bytes())),
        }),
        local: Vec::new(),
    };
    bundle.check()?;
    let bytes = bundle.to_bytes()?;
    Ok(Trained { bundle, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clinical::assess::assess_text;

    fn built(id: &str) -> Bundle {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let schema_text = std::fs::read_to_string(format!("{dir}/{id}.schema.toml")).unwrap();
        let eq = std::fs::read_to_string(format!("{dir}/{id}.equation.toml")).unwrap();
        let schema = Schema::from_toml(&schema_text).unwrap();
        let t = build(&schema, &eq, None).unwrap();
        let back = Bundle::from_bytes(&t.bytes).unwrap();
        // (Compared as bytes: the unmeasured metrics are NaN, which no value equals.)
        assert!(back.to_bytes().unwrap() == t.bytes, "round trip");
        let again = build(&schema, &eq, None).unwrap();
        assert!(again.bytes == t.bytes, "deterministic bytes");
        back
    }

    const TABLE_A: &str = r#"{"age": 55, "sex": "SEX", "race": "RACE", "tc": 213, "hdl": 50,
        "sbp": 120, "bp_treated": 0, "smoker": 0, "diabetes": 0}"#;

    #[test]
    fn the_papers_worked_examples_are_offered_in_the_form() {
        let b = built("pce");
        assert_eq!(b.examples.len(), 4);
        assert_eq!(
            b.examples[0].inputs,
            ["55", "female", "white", "213", "50", "120", "false", "false", "false"]
        );
        assert!(b.examples[3].label.contains("African American man"));
        assert_eq!(built("prevent").examples.len(), 1);
    }

    #[test]
    fn the_pce_bundle_gives_table_a_through_assess_with_an_exact_explanation() {
        let b = built("pce");
        for (sex, race, published) in [
            ("female", "white", 2.1),
            ("female", "african_american", 3.0),
            ("male", "white", 5.3),
            ("male", "african_american", 6.1),
        ] {
            let patient = TABLE_A.replace("SEX", sex).replace("RACE", race);
            let a = assess_text(&b, &patient).unwrap();
            let p = a.probabilities[1].probability;
            assert!((p * 100.0 - published).abs() <= 0.1, "{sex} {race}: {p}");
            assert!(a.discrimination.published && a.band.is_none());
            // The Table A patient is the reference: every contribution is 0.
            let e = a.explanation.unwrap();
            assert!(e.contributions.iter().all(|c| c.abs() < 1e-12));
            // The comparison: optimal risk factors, lower than this patient's risk.
            assert!(a.base_rate < p, "{} < {p}", a.base_rate);
        }
        // A smoker on treatment at 160: the contributions add up to lp − lp(reference).
        let a = assess_text(
            &b,
            r#"{"age": 63, "sex": "female", "race": "african_american", "tc": 250, "hdl": 38,
                "sbp": 160, "bp_treated": 1, "smoker": 1, "diabetes": 1}"#,
        )
        .unwrap();
        let e = a.explanation.unwrap();
        let sum: f64 = e.contributions.iter().sum();
        assert!((e.baseline + sum - e.output).abs() < 1e-9);
        assert!(
            e.contributions[3] > 0.0 && e.contributions[7] > 0.0,
            "{e:?}"
        );
        assert_eq!(e.contributions[1], 0.0, "sex chooses the equation");
    }

    /// A site's labelled patients whose true risk is 60 % of PREVENT's (the equation
    /// overestimates there): synthetic, to check the mechanism, not the equation.
    fn overestimated_site(b: &Bundle, n: usize) -> String {
        let mut rng = crate::util::rng::Rng::new(20261127);
        let mut u = |lo: f64, hi: f64| lo + (hi - lo) * f64::from(rng.unit_f32());
        let mut csv =
            String::from("age,sex,tc,hdl,sbp,bp_treated,diabetes,smoker,egfr,statin,cvd10\n");
        for _ in 0..n {
            let (age, female) = (u(30.0, 79.0).round(), u(0.0, 1.0) < 0.5);
            let (tc, hdl, sbp, egfr) = (
                u(130.0, 320.0),
                u(20.0, 100.0),
                u(90.0, 200.0),
                u(15.0, 140.0),
            );
            let yn: Vec<u8> = (0..4).map(|_| u8::from(u(0.0, 1.0) < 0.5)).collect();
            let sex = if female { "female" } else { "male" };
            let patient = format!(
                r#"{{"age": {age}, "sex": "{sex}", "tc": {tc:.1}, "hdl": {hdl:.1}, "sbp": {sbp:.1}, "bp_treated": {}, "diabetes": {}, "smoker": {}, "egfr": {egfr:.1}, "statin": {}}}"#,
                yn[0], yn[1], yn[2], yn[3]
            );
            let p = assess_text(b, &patient).unwrap().probabilities[1].probability;
            let event = u8::from(u(0.0, 1.0) < 0.6 * p);
            csv.push_str(&format!(
                "{age},{sex},{tc:.1},{hdl:.1},{sbp:.1},{},{},{},{egfr:.1},{},{event}\n",
                yn[0], yn[1], yn[2], yn[3]
            ));
        }
        csv
    }

    #[test]
    fn a_site_can_validate_and_recalibrate_a_published_equation() {
        use crate::validate::{evaluate, recalibrate, About};
        let b = built("prevent");
        let csv = overestimated_site(&b, 1500);
        let e = evaluate(&b, &csv).unwrap();
        assert_eq!(e.report.n, 1500);
        assert!(
            e.report.drift.is_empty(),
            "no development data to compare with"
        );
        assert!(
            e.report.calibration_in_the_large.unwrap() < -0.3,
            "overestimated here"
        );
        let about = About {
            site: "Test site".into(),
            period: String::new(),
            date: "2026-11-27".into(),
            signed_by: String::new(),
        };
        let r = recalibrate(&b, &e, &about).unwrap();
        let c = r.after.calibration.unwrap();
        assert!(
            c.intercept.abs() < 1e-6 && (c.slope - 1.0).abs() < 1e-6,
            "{c:?}"
        );
        assert!(
            (r.after.auc - e.report.auc).abs() < 1e-9,
            "the ranking is kept"
        );
        let bytes = r.bundle.to_bytes().unwrap();
        let back = Bundle::from_bytes(&bytes).unwrap();
        assert_eq!(back.local.len(), 1);
        assert!(back.published.is_some());
        let md = crate::present::model_card::markdown(&back, "x", crate::util::lang::Lang::En);
        assert!(md.contains("Local validation") && md.contains("Test site"));
        // Every estimate of the recalibrated bundle is lower for this patient.
        let patient = r#"{"age": 60, "sex": "male", "tc": 240, "hdl": 40, "sbp": 150,
            "bp_treated": 0, "diabetes": 0, "smoker": 1, "egfr": 85, "statin": 0}"#;
        let before = assess_text(&b, patient).unwrap().probabilities[1].probability;
        let after = assess_text(&back, patient).unwrap().probabilities[1].probability;
        assert!(after < before, "{after} < {before}");
    }

    #[test]
    fn values_outside_the_papers_ranges_are_refused_with_the_range() {
        let b = built("pce");
        let young = TABLE_A
            .replace("SEX", "female")
            .replace("RACE", "white")
            .replace("\"age\": 55", "\"age\": 35");
        let err = assess_text(&b, &young).unwrap_err().to_string();
        assert!(err.contains("40") && err.contains("79"), "{err}");
        let b = built("prevent");
        let err = assess_text(
            &b,
            r#"{"age": 50, "sex": "male", "tc": 200, "hdl": 45, "sbp": 130, "bp_treated": 0,
                "diabetes": 0, "smoker": 0, "egfr": 10, "statin": 0}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("15") && err.contains("140"), "{err}");
    }

    #[test]
    fn an_equation_schema_that_imputes_or_has_three_classes_is_refused() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let schema_text = std::fs::read_to_string(format!("{dir}/prevent.schema.toml")).unwrap();
        let eq = std::fs::read_to_string(format!("{dir}/prevent.equation.toml")).unwrap();
        let imputing = schema_text.replacen(
            "column = \"egfr\"",
            "column = \"egfr\"\nmissing = \"impute\"",
            1,
        );
        let schema = Schema::from_toml(&imputing).unwrap();
        let err = build(&schema, &eq, None).unwrap_err().to_string();
        assert!(err.contains("`egfr` may be missing"), "{err}");
    }
}
