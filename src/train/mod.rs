//! [native only] CSV + schema → fitted preprocessing + smartcore model + metrics → bundle.
//!
//! The test set is either the schema's own test file (e.g. the data authors' split) or a seeded
//! stratified hold-out; preprocessing is fitted on the training rows only, so the reported
//! metrics are honest estimates on unseen cases.
//!
//! For a target derived from time-to-event data, the rows censored before the horizon have no
//! label: the models are fitted on the rows with a known status as for any target, but the
//! calibration and the base rate weight those rows by the inverse probability of censoring
//! ([`censoring`]), so the calibrated risks average to the Kaplan–Meier risk of the whole
//! population instead of the (higher) event rate among the patients followed to the horizon.

// [native trainer] Indexes matrices it has just built itself (rows × inputs, folds drawn
// from 0..rows); never reached from browser input. Covers the train/ submodules.
#![allow(clippy::indexing_slicing)]

pub mod split;

pub mod candidates;
pub mod censoring;
pub mod draft;
pub mod equation;
mod forest;
pub mod lbfgs;
pub mod trial;

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::bundle::{Bundle, Candidate, Censoring, Evaluation, Example, TrainingInfo};
use crate::cases::{CaseLibrary, Metric, Pca};
use crate::error::{Error, Result};
use crate::model::calibrate::Calibration;
use crate::model::explain::explain;
use crate::model::fitted::Model;
use crate::model::metrics::{auc_ci, evaluate, reliability, roc_curve};
use crate::model::typicality::Typicality;
use crate::model::validation::subgroups;
use crate::util::hex::hex;

use crate::contract::dataset::{self as data, Dataset};
use crate::contract::schema::Schema;
use crate::guidance::rules::RuleSet;
use crate::model::preprocess::Preprocessor;
pub use candidates::Spec;

/// Everything `bedside train` needs, already read from disk.
#[derive(Debug, Clone)]
pub struct TrainInput<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// Training CSV text.
    pub data: &'a str,
    /// Separate test CSV text and its name, if the split uses one.
    pub test: Option<(&'a str, &'a str)>,
    /// The candidates to compare (default: [`Spec::candidates`]).
    pub candidates: Vec<Spec>,
    /// Cross-validation folds.
    pub folds: usize,
    /// Guideline rules (TOML text), checked against the schema and compiled into the bundle.
    pub rules: Option<&'a str>,
}

impl<'a> TrainInput<'a> {
    /// Default candidates and 5 folds.
    pub fn new(
        schema: &'a Schema,
        data: &'a str,
        test: Option<(&'a str, &'a str)>,
    ) -> TrainInput<'a> {
        TrainInput {
            schema,
            data,
            test,
            candidates: Spec::candidates(),
            folds: 5,
            rules: None,
        }
    }
}

/// Progress of training: `(done, total, what)`. Called from every core while the folds run,
/// hence `Fn + Sync`.
pub type Progress<'p> = &'p (dyn Fn(usize, usize, &str) + Sync);

/// One cross-validation job's result: the held-out rows' predictions, and the fold model when
/// the family is small enough to keep.
struct FoldFit {
    predicted: Vec<(usize, Vec<f64>)>,
    model: Option<Model>,
}

/// The distance check's threshold, each case's nearest other case found on every core (the
/// same distances as [`Typicality::new`]).
fn thresholded(lib: Typicality) -> Typicality {
    let sorted = lib.sorted();
    let nearest: Vec<f64> = (0..lib.len())
        .into_par_iter()
        .map(|i| lib.nearest_excluding(i, sorted.as_ref()))
        .collect();
    lib.with_threshold(nearest)
}

/// What training produced.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The bundle.
    pub bundle: Bundle,
    /// Its bytes, ready to write.
    pub bytes: Vec<u8>,
}

/// Train, compare candidates by stratified k-fold cross-validation on log-loss, refit the
/// winner on all training rows, calibrate it on its out-of-fold predictions (weighted by the
/// inverse probability of censoring for a derived event target), evaluate on the held-out test
/// set, and package.
pub fn train(input: &TrainInput, progress: Progress) -> Result<Trained> {
    let schema = input.schema;
    let n_classes = schema.target.classes.len();
    let positive = schema.positive_index();
    let seed = schema.split.seed;
    let total = input.candidates.len() * input.folds + 4;
    let mut done = 0usize;
    // Rules first: a bad rule file should fail the build before minutes of training.
    let rules = match input.rules {
        Some(text) => RuleSet::from_toml(text, schema)?,
        None => RuleSet::default(),
    };
    progress(done, total, "reading data");
    let all = data::read_csv(schema, input.data)?;
    let all_censored = all.censored.clone();
    let mut trial_rows = schema.treatment.is_some().then(|| all.clone());

    // `place[i]`: where trial row `i` sits in the training rows followed by the test rows, to
    // give each case of a trial's library the prediction of a model that did not see it.
    let (mut train, mut test, test_source, place) = match input.test {
        Some((text, name)) => {
            let test =
                data::read_csv(schema, text).map_err(|e| Error::Data(format!("{name}: {e}")))?;
            if let Some(t) = trial_rows.as_mut() {
                t.append(&test);
            }
            let place = (0..all.records.len() + test.records.len()).collect();
            (all, test, format!("separate test file {name}"), place)
        }
        None => {
            let f = schema.split.test_fraction;
            let (tr, te) = split::stratified(&all.labels, n_classes, f, seed);
            let source = format!(
                "stratified random hold-out of {:.0}% (seed {seed})",
                f * 100.0
            );
            let mut place = vec![0; all.records.len()];
            for (p, &i) in tr.iter().chain(&te).enumerate() {
                place[i] = p;
            }
            (all.subset(&tr), all.subset(&te), source, place)
        }
    };
    if input.test.is_none() {
        // Rows censored before the horizon go to training or test in the same proportion, by
        // their own seeded draw (so the split of the labelled rows is what it would be without
        // them). Only the training share enters the censoring weights.
        let c = &all_censored;
        let (ctr, cte) = split::stratified(
            &vec![0; c.len()],
            1,
            schema.split.test_fraction,
            seed ^ 0xce45_0ced,
        );
        train.censored = c.subset(&ctr);
        test.censored = c.subset(&cte);
    }
    let train_counts = train.class_counts(n_classes);
    if let Some(c) = train_counts
        .iter()
        .position(|&n| (n as usize) < input.folds)
    {
        return Err(Error::Data(format!(
            "class `{}` has {} training cases; at least {} (one per fold) are needed",
            schema.target.classes[c].code, train_counts[c], input.folds
        )));
    }

    check_informative(schema, &train)?;
    let missing_counts: Vec<u32> = (0..schema.features.len())
        .map(|j| {
            train
                .records
                .iter()
                .filter(|r| r.values()[j].is_none())
                .count() as u32
        })
        .collect();
    let preprocessor = Preprocessor::fit(schema, &train.records)?;
    let x_train: Vec<Vec<f64>> = train
        .records
        .iter()
        .map(|r| preprocessor.transform(r).x)
        .collect();
    let y = &train.labels;
    let fold_of = split::stratified_folds(y, n_classes, input.folds, seed);

    // Cross-validate every candidate. Preprocessing is fitted once on all training rows: it
    // is unsupervised (medians, means, scales), so it leaks no outcome into the folds. One job
    // per candidate and fold, on every core: each is a pure function of its rows and seed, and
    // the results are gathered in job order, so the bundle is the same on any number of cores.
    // The k-NN candidates of a fold share one scan ([`Knn::proba_each`]): the same answers,
    // half the quadratic work.
    let knn: Vec<usize> = (0..input.candidates.len())
        .filter(|&c| matches!(input.candidates[c], Spec::Knn { .. }))
        .collect();
    let mut jobs: Vec<(Vec<usize>, usize)> = Vec::new();
    for c in 0..input.candidates.len() {
        for fold in 0..input.folds {
            if !knn.contains(&c) {
                jobs.push((vec![c], fold));
            } else if knn.first() == Some(&c) {
                jobs.push((knn.clone(), fold));
            }
        }
    }
    let started = AtomicUsize::new(done);
    let fitted: Vec<Result<Vec<(usize, usize, FoldFit)>>> = jobs
        .par_iter()
        .map(|(group, fold)| {
            let fold = *fold;
            let (fit_idx, held): (Vec<usize>, Vec<usize>) =
                (0..x_train.len()).partition(|&i| fold_of[i] != fold);
            let fx: Vec<Vec<f64>> = fit_idx.iter().map(|&i| x_train[i].clone()).collect();
            let fy: Vec<usize> = fit_idx.iter().map(|&i| y[i]).collect();
            let specs: Vec<Spec> = group.iter().map(|&c| input.candidates[c]).collect();
            for spec in &specs {
                progress(
                    started.fetch_add(1, Ordering::Relaxed),
                    total,
                    &format!(
                        "cross-validating {} ({}), fold {}",
                        spec.family().name(),
                        spec.params(),
                        fold + 1
                    ),
                );
            }
            let ks: Vec<usize> = specs
                .iter()
                .filter_map(|s| match s {
                    Spec::Knn { k } => Some(*k as usize),
                    _ => None,
                })
                .collect();
            if ks.len() == specs.len() && ks.len() > 1 {
                // One k-NN "model" is the fold's rows; each k votes among the same scan.
                let Model::Knn(cases) =
                    specs[0].fit(&fx, &fy, n_classes, seed.wrapping_add(fold as u64))?
                else {
                    return Err(Error::Training("k-NN did not fit as k-NN".into()));
                };
                let mut per: Vec<Vec<(usize, Vec<f64>)>> = vec![Vec::new(); ks.len()];
                let sorted = cases.sorted();
                for &i in &held {
                    for (p, shares) in per.iter_mut().zip(cases.proba_each(
                        sorted.as_ref(),
                        &x_train[i],
                        &ks,
                        n_classes,
                    )) {
                        p.push((i, shares));
                    }
                }
                return Ok(group
                    .iter()
                    .zip(per)
                    .map(|(&c, predicted)| {
                        (
                            c,
                            fold,
                            FoldFit {
                                predicted,
                                model: None,
                            },
                        )
                    })
                    .collect());
            }
            let spec = specs[0];
            let model = spec.fit(&fx, &fy, n_classes, seed.wrapping_add(fold as u64))?;
            let predicted = held
                .iter()
                .map(|&i| (i, model.predict_proba(&x_train[i], n_classes)))
                .collect();
            // The small families' fold models are kept: they are the uncertainty band's.
            let keep = matches!(spec, Spec::Logistic { .. } | Spec::NaiveBayes).then_some(model);
            Ok(vec![(
                group[0],
                fold,
                FoldFit {
                    predicted,
                    model: keep,
                },
            )])
        })
        .collect();
    done += input.candidates.len() * input.folds;
    // Gathered by candidate, then fold: the same order on any number of cores.
    let mut by_job: Vec<Vec<Option<FoldFit>>> = (0..input.candidates.len())
        .map(|_| (0..input.folds).map(|_| None).collect())
        .collect();
    for result in fitted {
        for (c, fold, fit) in result? {
            by_job[c][fold] = Some(fit);
        }
    }
    let mut candidates = Vec::new();
    let mut oof_all = Vec::new();
    let mut fold_models_all = Vec::new();
    for (spec, fits) in input.candidates.iter().zip(by_job) {
        let mut oof = vec![Vec::new(); x_train.len()];
        let mut models = Vec::new();
        for fit in fits.into_iter().flatten() {
            for (i, p) in fit.predicted {
                oof[i] = p;
            }
            models.extend(fit.model);
        }
        candidates.push(Candidate {
            family: spec.family(),
            params: spec.params(),
            cv: evaluate(y, &oof, n_classes, positive),
            eligible: spec.eligible(schema.features.len()),
        });
        oof_all.push(oof);
        fold_models_all.push(models);
    }
    let chosen = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.eligible && c.cv.log_loss.is_finite())
        .min_by(|a, b| a.1.cv.log_loss.total_cmp(&b.1.cv.log_loss))
        .map(|(i, _)| i)
        .ok_or_else(|| Error::Training("no candidate model could be cross-validated".into()))?;
    let spec = input.candidates[chosen];

    progress(
        done,
        total,
        &format!("fitting {} on all training rows", spec.family().name()),
    );
    done += 1;
    let model = spec.fit(&x_train, y, n_classes, seed)?;
    // A derived event target: weights for the rows with a known status (see `censoring`).
    let ipcw = match &schema.target.derive {
        Some(d) => {
            let events: Vec<bool> = y.iter().map(|&c| c == positive).collect();
            Some(censoring::weigh(
                &train.times,
                &events,
                &train.censored.times,
                d.horizon,
            )?)
        }
        None => None,
    };
    let calibration = match &ipcw {
        Some(w) => Calibration::fit_weighted(&oof_all[chosen], y, n_classes, &w.weights),
        None => Calibration::fit(&oof_all[chosen], y, n_classes),
    };
    let oof_cal: Vec<Vec<f64>> = oof_all[chosen]
        .iter()
        .map(|p| calibration.apply(p))
        .collect();
    let cv_calibrated = evaluate(y, &oof_cal, n_classes, positive);

    // Fold models for the uncertainty band (only the small families keep theirs): the
    // cross-validation's own, fitted on the same rows with the same seeds.
    let fold_models = std::mem::take(&mut fold_models_all[chosen]);

    progress(done, total, "evaluating on held-out data");
    done += 1;
    let x_test: Vec<Vec<f64>> = test
        .records
        .iter()
        .map(|r| preprocessor.transform(r).x)
        .collect();
    let raw: Vec<Vec<f64>> = x_test
        .iter()
        .map(|x| model.predict_proba(x, n_classes))
        .collect();
    let cal: Vec<Vec<f64>> = raw.iter().map(|p| calibration.apply(p)).collect();
    let card = Evaluation {
        folds: input.folds as u32,
        candidates,
        chosen: chosen as u32,
        cv_calibrated,
        test_raw: evaluate(&test.labels, &raw, n_classes, positive),
        test: evaluate(&test.labels, &cal, n_classes, positive),
        auc_ci: auc_ci(&test.labels, &cal, n_classes, positive, seed),
        roc: roc_curve(&test.labels, &cal, positive),
        reliability_raw: reliability(&test.labels, &raw, n_classes, positive),
        reliability: reliability(&test.labels, &cal, n_classes, positive),
        subgroups: subgroups(
            schema,
            &test.records,
            &test.labels,
            &cal,
            n_classes,
            positive,
        ),
    };

    progress(done, total, "writing bundle");
    let width = preprocessor.width();
    let n = x_train.len().max(1) as f64;
    let baseline: Vec<f64> = (0..width)
        .map(|j| x_train.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    // Similar-case search: each feature's relevance is its mean absolute exact contribution
    // over the training cases; the case map is the first two principal components.
    let columns = preprocessor.columns();
    progress(
        done,
        total,
        &format!("explaining {} training cases", x_train.len()),
    );
    // One explanation per training case, on every core; summed in row order afterwards, so
    // the sum is the same on any number of cores.
    let contributions: Vec<Option<Vec<f64>>> = x_train
        .par_iter()
        .map(|x| {
            let p = model.predict_proba(x, n_classes);
            let top = crate::model::metrics::argmax(&p);
            explain(
                &model,
                x,
                &baseline,
                &columns,
                schema.features.len(),
                n_classes,
                top,
            )
            .map(|e| e.contributions)
        })
        .collect();
    let mut relevance = vec![0.0; schema.features.len()];
    for c in contributions.iter().flatten() {
        for (r, v) in relevance.iter_mut().zip(c) {
            *r += v.abs() / n;
        }
    }
    let pca = Pca::fit(&x_train);
    // Per training row then per test row: calibrated probabilities from a model that did not
    // see the row (the chosen candidate's out-of-fold prediction; the final model's).
    let unseen: Vec<Vec<f32>> = oof_cal
        .iter()
        .chain(&cal)
        .map(|p| p.iter().map(|&v| v as f32).collect())
        .collect();
    // A trial's case library and per-arm models use every trial patient.
    let (mut cases, trial) = match &trial_rows {
        Some(rows) => {
            progress(done, total, "fitting per-arm outcome models with bootstrap");
            let x: Vec<Vec<f64>> = rows
                .records
                .iter()
                .map(|r| preprocessor.transform(r).x)
                .collect();
            let follow_up = trial::FollowUp::of(
                schema,
                rows,
                &preprocessor,
                input.data,
                input.test.map(|t| t.0),
            )?;
            let models = trial::fit(
                schema,
                &x,
                &rows.labels,
                &rows.arms,
                follow_up.as_ref(),
                seed,
            )?;
            let mut lib = CaseLibrary::from_dataset(
                format!("{} trial patients", rows.records.len()),
                rows,
                &preprocessor,
                &pca,
            );
            lib.held_out = place
                .iter()
                .map(|&p| unseen.get(p).cloned().unwrap_or_default())
                .collect();
            (lib, Some(models))
        }
        None => (
            CaseLibrary::from_dataset(
                format!("{} training cases", train.records.len()),
                &train,
                &preprocessor,
                &pca,
            ),
            None,
        ),
    };
    if trial_rows.is_none() {
        cases.held_out = unseen
            .get(..train.records.len())
            .unwrap_or_default()
            .to_vec();
    }
    // The library as the bundle stores it (exact where its decimals allow, else quantised):
    // the distance check and the case map are computed from it below, as an opened bundle
    // computes them.
    cases.as_stored();
    let quantised = cases.quantised_features().len();
    if quantised > 0 {
        // Said where the cases are shown: their values are the stored ones.
        cases.source = format!(
            "{}; {quantised} of {} features stored to 1/65,534 of their range",
            cases.source,
            schema.features.len()
        );
    }
    // A trial's library holds every trial patient; the distance check measures against the
    // training ones only.
    let typicality_rows: Vec<u32> = if trial_rows.is_some() {
        (0..place.len())
            .filter(|&i| place[i] < train.records.len())
            .map(|i| i as u32)
            .collect()
    } else {
        Vec::new()
    };
    let metric = Metric::new(&preprocessor, &relevance, pca);
    let base_rates = base_rates(y, ipcw.as_ref().map(|w| w.weights.as_slice()), n_classes);
    let censoring = match &ipcw {
        Some(w) => {
            let risk = |r: &crate::contract::patient::PatientRecord| {
                let p = model.predict_proba(&preprocessor.transform(r).x, n_classes);
                calibration
                    .apply(&p)
                    .get(positive)
                    .copied()
                    .unwrap_or(f64::NAN)
            };
            let everyone = train.records.iter().chain(&train.censored.records);
            let n_all = (train.records.len() + train.censored.len()).max(1) as f64;
            Some(Censoring {
                censored: train.censored.len() as u32,
                km_risk: w.km_risk,
                complete_case_rate: f64::from(train_counts[positive]) / n,
                mean_predicted: everyone.map(risk).sum::<f64>() / n_all,
                method: "inverse probability of censoring weights (Kaplan–Meier of censoring, \
                         training rows) in the calibration and the base rate; per arm (Kaplan–Meier of \
                         censoring in each arm) in the per-arm trial models"
                    .into(),
            })
        }
        None => None,
    };
    let mut bundle = Bundle {
        published: None,
        local: Vec::new(),
        schema: schema.clone(),
        typicality: Typicality {
            rows: typicality_rows,
            ..Typicality::default()
        },
        cases,
        metric,
        preprocessor,
        model,
        calibration,
        fold_models,
        baseline,
        evaluation: card,
        training: TrainingInfo {
            n_train: train.records.len() as u32,
            n_test: test.records.len() as u32,
            train_class_counts: train_counts,
            test_class_counts: test.class_counts(n_classes),
            test_source,
            missing_counts,
            data_sha256: hex(&Sha256::digest(input.data.as_bytes())),
            seed,
            trainer_version: env!("CARGO_PKG_VERSION").to_string(),
            censored: trial_rows
                .as_ref()
                .map_or(train.censored.len() + test.censored.len(), |t| {
                    t.censored.len()
                }) as u32,
            base_rates,
            censoring,
        },
        examples: examples(schema, &test, n_classes),
        rules,
        trial,
    };
    progress(
        done,
        total,
        "storing the case library and measuring the distance check",
    );
    bundle.derive_from_cases()?;
    bundle.typicality = thresholded(std::mem::take(&mut bundle.typicality));
    bundle.check()?;
    let bytes = bundle.to_bytes()?;
    progress(total, total, "done");
    Ok(Trained { bundle, bytes })
}

/// Share of each class among the training rows, each row counting its weight (all 1 when
/// `weights` is `None`; for a derived event target the censoring weights, which make the
/// positive share the Kaplan–Meier risk).
fn base_rates(y: &[usize], weights: Option<&[f64]>, n_classes: usize) -> Vec<f64> {
    let mut sums = vec![0.0; n_classes];
    for (i, &c) in y.iter().enumerate() {
        if let Some(s) = sums.get_mut(c) {
            *s += weights.map_or(1.0, |w| w[i]);
        }
    }
    let total: f64 = sums.iter().sum();
    sums.iter()
        .map(|s| if total > 0.0 { s / total } else { f64::NAN })
        .collect()
}

/// The train and test rows `train` uses, as CSV text with the schema's columns (features,
/// then target); missing values are left empty.
pub fn split_csv(schema: &Schema, data: &str, test: Option<&str>) -> Result<(String, String)> {
    let n_classes = schema.target.classes.len();
    let all = data::read_csv(schema, data)?;
    let (train, test) = match test {
        Some(t) => (all, data::read_csv(schema, t)?),
        None => {
            let (tr, te) = split::stratified(
                &all.labels,
                n_classes,
                schema.split.test_fraction,
                schema.split.seed,
            );
            (all.subset(&tr), all.subset(&te))
        }
    };
    let to_csv = |ds: &Dataset| -> Result<String> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header: Vec<&str> = schema.features.iter().map(|f| f.column.as_str()).collect();
        header.push(&schema.target.column);
        w.write_record(&header)
            .map_err(|e| Error::Data(e.to_string()))?;
        for (json, &label) in ds.json.iter().zip(&ds.labels) {
            let mut row: Vec<String> = schema
                .features
                .iter()
                .map(|f| match json.get(&f.column) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                })
                .collect();
            row.push(schema.target.classes[label].code.clone());
            w.write_record(&row)
                .map_err(|e| Error::Data(e.to_string()))?;
        }
        let bytes = w.into_inner().map_err(|e| Error::Data(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| Error::Data(e.to_string()))
    };
    Ok((to_csv(&train)?, to_csv(&test)?))
}

/// A feature with one value in every training row carries no information and usually means
/// a wrong column or a broken export: stop and say which.
fn check_informative(schema: &Schema, train: &Dataset) -> Result<()> {
    for (j, f) in schema.features.iter().enumerate() {
        let mut seen = train.records.iter().filter_map(|r| r.values()[j]);
        let Some(first) = seen.next() else {
            return Err(Error::Data(format!(
                "column `{}` has no values in the training rows",
                f.column
            )));
        };
        if seen.all(|v| v == first) {
            let row = train.rows.first().copied().unwrap_or(1);
            return Err(Error::Data(format!(
                "column `{}` has the same value in every training row (from row {row} on): it carries no information; fix the data or remove it from the schema",
                f.column
            )));
        }
    }
    Ok(())
}

/// The first two test cases of each class: real cases to try the model on.
fn examples(schema: &Schema, test: &Dataset, n_classes: usize) -> Vec<Example> {
    let mut out = Vec::new();
    for class in 0..n_classes {
        for i in test
            .labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == class)
            .map(|(i, _)| i)
            .take(2)
        {
            out.push(Example {
                row: test.rows[i],
                inputs: crate::clinical::form::from_json(schema, &test.json[i]),
                truth: class as u32,
                label: String::new(),
            });
        }
    }
    out.sort_by_key(|e| e.row);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::schema::tests::SAMPLE;

    fn synthetic_csv(n: usize) -> String {
        let mut rng = split::Rng::new(3);
        let mut s = String::from("glu,smoker,sex,dx\n");
        for _ in 0..n {
            let glu = 60 + rng.below(200);
            let smoker = rng.below(2);
            let sex = if rng.below(2) == 0 { "f" } else { "m" };
            let noisy = glu as i64 + rng.below(60) as i64 - 30;
            let dx = if noisy > 150 { "yes" } else { "no" };
            s.push_str(&format!("{glu},{smoker},{sex},{dx}\n"));
        }
        s
    }

    #[test]
    fn trains_compares_calibrates_and_is_deterministic() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let csv = synthetic_csv(300);
        let input = TrainInput::new(&schema, &csv, None);
        let steps = AtomicUsize::new(0);
        let a = train(&input, &|_, _, _| {
            steps.fetch_add(1, Ordering::Relaxed);
        })
        .unwrap();
        assert!(steps.into_inner() > 30);
        // One thread: the same bytes as on every core.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool.install(|| train(&input, &|_, _, _| {})).unwrap();
        assert_eq!(
            a.bytes, b.bytes,
            "same data and seed must give the same bytes"
        );
        let card = &a.bundle.evaluation;
        assert_eq!(card.candidates.len(), Spec::candidates().len());
        let chosen = &card.candidates[card.chosen as usize];
        assert!(card
            .candidates
            .iter()
            .filter(|c| c.eligible)
            .all(|c| c.cv.log_loss >= chosen.cv.log_loss));
        assert!(card.test.auc > 0.9, "auc {}", card.test.auc);
        assert_eq!(a.bundle.training.n_train + a.bundle.training.n_test, 300);
        assert!(!a.bundle.examples.is_empty());
        // sex has two levels with enough test cases; glu bands likewise.
        assert!(!card.subgroups.is_empty());
    }

    #[test]
    fn held_out_probabilities_come_from_models_that_did_not_see_the_case() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let csv = synthetic_csv(300);
        let b = train(&TrainInput::new(&schema, &csv, None), &|_, _, _| {})
            .unwrap()
            .bundle;
        let lib = &b.cases;
        assert_eq!(lib.len(), b.training.n_train as usize);
        assert_eq!(lib.held_out.len(), lib.len());
        assert!(lib
            .held_out
            .iter()
            .all(|p| p.len() == 2 && (p.iter().sum::<f32>() - 1.0).abs() < 1e-5));
        // The final model's own (in-sample) probability differs from the out-of-fold one.
        let differs = (0..lib.len())
            .filter(|&i| {
                let json = lib.case_json(&schema, i);
                let record =
                    crate::contract::patient::PatientRecord::from_json(&schema, &json).unwrap();
                let own = crate::clinical::predict::probabilities(&b, &record);
                (own[1] as f32 - lib.held_out[i][1]).abs() > 1e-4
            })
            .count();
        assert!(differs > lib.len() / 2, "{differs} of {}", lib.len());
        // Survives the bundle's round trip and is checked on load.
        let back = Bundle::from_bytes(&b.to_bytes().unwrap()).unwrap();
        assert_eq!(back.cases, b.cases);
        let mut bad = b.clone();
        bad.cases.held_out[0].push(0.0);
        assert!(matches!(
            Bundle::from_bytes(&bad.to_bytes().unwrap()),
            Err(Error::InconsistentBundle(_))
        ));
        // Not a derived target: plain class shares, no censoring.
        assert!(b.training.censoring.is_none());
        let share = f64::from(b.training.train_class_counts[1]) / f64::from(b.training.n_train);
        assert_eq!(b.training.base_rates[1], share);
        let (lo, hi) = b.evaluation.auc_ci;
        assert!(lo < b.evaluation.test.auc && b.evaluation.test.auc < hi && hi <= 1.0);
    }

    /// Time-to-event rows: the hazard rises with glucose, and half of the patients enter late
    /// and are censored at a uniform time, many before the horizon (100).
    fn survival_csv(n: usize) -> String {
        let mut rng = split::Rng::new(17);
        let mut unit = move || (rng.below(1_000_000) as f64 + 1.0) / 1_000_001.0;
        let mut s = String::from("glu,smoker,sex,t,s\n");
        for _ in 0..n {
            let glu = 60.0 + (unit() * 200.0).floor();
            let smoker = u8::from(unit() < 0.5);
            let sex = if unit() < 0.5 { "f" } else { "m" };
            let hazard = 0.006 * ((glu - 160.0) / 40.0).exp();
            let event = -unit().ln() / hazard;
            let censor = if unit() < 0.5 { unit() * 200.0 } else { 1000.0 };
            let (t, status) = if event <= censor {
                (event, 1)
            } else {
                (censor, 0)
            };
            s.push_str(&format!("{glu},{smoker},{sex},{t:.1},{status}\n"));
        }
        s
    }

    #[test]
    fn censoring_is_weighted_so_risks_average_to_the_kaplan_meier_risk() {
        let text = SAMPLE.replace(
            "column = \"dx\"\nlabel",
            "column = \"dx\"\nderive = { time = \"t\", status = \"s\", event = \"1\", horizon = 100 }\nlabel",
        );
        let schema = Schema::from_toml(&text).unwrap();
        let csv = survival_csv(1200);
        let b = train(&TrainInput::new(&schema, &csv, None), &|_, _, _| {})
            .unwrap()
            .bundle;
        let c = b.training.censoring.clone().unwrap();
        eprintln!("{c:?}");
        assert!(c.censored > 100, "{c:?}");
        // Dropping the censored overstates the risk; the weighted base rate is the KM risk and
        // the calibrated risks over everyone (censored included) average to it.
        assert!(c.complete_case_rate > c.km_risk + 0.03, "{c:?}");
        assert!((b.training.base_rates[1] - c.km_risk).abs() < 1e-9);
        assert!((b.training.base_rates.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((c.mean_predicted - c.km_risk).abs() < 0.02, "{c:?}");
        // Training and test censored rows together are all of them.
        let all = data::read_csv(&schema, &csv).unwrap();
        assert_eq!(b.training.censored as usize, all.censored.len());
        assert!((c.censored as usize) < all.censored.len());
    }

    #[test]
    fn multiclass_targets_train_too() {
        let text = SAMPLE.replace(
            "  { code = \"yes\", label = { en = \"Yes\", zh = \"是\" } },",
            "  { code = \"yes\", label = { en = \"Yes\", zh = \"是\" } },\n  { code = \"maybe\", label = { en = \"Maybe\", zh = \"可能\" } },",
        );
        let schema = Schema::from_toml(&text).unwrap();
        let csv = synthetic_csv(300)
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i > 0 && i % 3 == 0 {
                    l.replace(",no", ",maybe")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let trained = train(&TrainInput::new(&schema, &csv, None), &|_, _, _| {}).unwrap();
        let a = crate::clinical::assess::assess_text(
            &trained.bundle,
            r#"{"glu": 100, "smoker": 1, "sex": "m"}"#,
        )
        .unwrap();
        assert_eq!(a.probabilities.len(), 3);
        assert!((a.probabilities.iter().map(|c| c.probability).sum::<f64>() - 1.0).abs() < 1e-9);
        let e = a.explanation.unwrap();
        assert!((e.baseline + e.contributions.iter().sum::<f64>() - e.output).abs() < 1e-9);
    }

    #[test]
    fn a_constant_column_is_an_error_naming_it() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let csv: String = synthetic_csv(60)
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("{l}\n")
                } else {
                    let mut parts: Vec<&str> = l.split(',').collect();
                    parts[1] = "1";
                    format!("{}\n", parts.join(","))
                }
            })
            .collect();
        let e = train(&TrainInput::new(&schema, &csv, None), &|_, _, _| {}).unwrap_err();
        assert!(
            e.to_string()
                .contains("column `smoker` has the same value in every training row"),
            "{e}"
        );
    }

    #[test]
    fn too_few_cases_of_a_class_is_an_error() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let csv = "glu,smoker,sex,dx\n100,1,m,no\n120,0,f,no\n130,0,f,yes\n";
        let input = TrainInput::new(&schema, csv, Some((csv, "same.csv")));
        let e = train(&input, &|_, _, _| {}).unwrap_err();
        assert!(
            e.to_string()
                .contains("class `no` has 2 training cases; at least 5"),
            "{e}"
        );
    }
}
