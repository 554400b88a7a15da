//! The model bundle: everything the browser needs for one model, in one small, checked file.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 0..4 | magic `BDSX` |
//! | 4..6 | format version (`u16`) |
//! | 6..8 | reserved, zero |
//! | 8..12 | payload length (`u32`) |
//! | 12..44 | SHA-256 of the payload |
//! | 44.. | payload: postcard encoding of [`Bundle`] |
//!
//! postcard is compact and deterministic (no maps, fields in declaration order), so the same
//! data and seed give byte-identical bundles. The header is checked before anything is decoded,
//! so a truncated, corrupt or foreign file is refused with a reason instead of misread.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cases::{CaseLibrary, Metric};
use crate::contract::schema::Schema;
use crate::error::{Error, Result};
use crate::guidance::rules::RuleSet;
use crate::guidance::trial::TrialModels;
use crate::model::calibrate::Calibration;
use crate::model::fitted::{Family, Model};
pub use crate::model::metrics::SubgroupMetrics;
use crate::model::metrics::{Bin, Metrics};
use crate::model::preprocess::Preprocessor;
use crate::model::typicality::Typicality;

pub mod format;
pub mod signature;

pub use format::{check_hash, payload_sha256, FORMAT_VERSION, HEADER_LEN, MAGIC};

/// How the model was trained: enough to reproduce it and to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// Rows used for fitting.
    pub n_train: u32,
    /// Rows held out for the metrics.
    pub n_test: u32,
    /// Training cases per target class (schema order).
    pub train_class_counts: Vec<u32>,
    /// Test cases per target class (schema order).
    pub test_class_counts: Vec<u32>,
    /// How the test set was formed, in words.
    pub test_source: String,
    /// Missing (imputed) values per feature in the training rows.
    pub missing_counts: Vec<u32>,
    /// SHA-256 (hex) of the training CSV as read.
    pub data_sha256: String,
    /// Seed used for everything random.
    pub seed: u64,
    /// Version of the `bedside` trainer.
    pub trainer_version: String,
    /// Rows left out because follow-up ended before a derived target's horizon (every such
    /// row of the data the bundle was built from: for trial data, all trial patients).
    pub censored: u32,
    /// Share of each target class in the training population (schema order); for a derived
    /// event target, weighted by inverse probability of censoring (so the positive class's share
    /// is the Kaplan–Meier risk by the horizon).
    pub base_rates: Vec<f64>,
    /// For a derived event target: how censoring before the horizon was handled.
    pub censoring: Option<Censoring>,
}

/// How a derived event target's censoring before the horizon was handled, with the numbers
/// that show it worked: dropping the censored rows would make the event look more common than
/// it is (patients with an early event are never censored before it), so the trainer weights
/// the rows with a known status by the inverse probability of censoring (`train::censoring`)
/// and reports the Kaplan–Meier risk beside the complete-case rate it replaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Censoring {
    /// Training rows censored before the horizon (no known status; weight 0).
    pub censored: u32,
    /// Kaplan–Meier risk of the event by the horizon on the training rows (censored included):
    /// the population's risk that the calibration aims at.
    pub km_risk: f64,
    /// Share of events among the training rows with a known status, unweighted: what dropping
    /// the censored rows would have given.
    pub complete_case_rate: f64,
    /// Mean calibrated predicted risk over all training rows, the censored ones included: the
    /// check that the model's risks average to `km_risk`.
    pub mean_predicted: f64,
    /// The method, in words.
    pub method: String,
}

/// A real case from the held-out test set, shipped so users can try the model at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Row number in the test data (1-based, header excluded).
    pub row: u32,
    /// The patient as the form's inputs (schema order; empty = missing). Stored ready for the
    /// form so the browser needs no JSON parser to fill it in (that parser alone is ~11 KB of
    /// gzipped WASM, measured).
    pub inputs: Vec<String>,
    /// Index of the recorded outcome in the target classes.
    pub truth: u32,
    /// A published equation's worked example, named as its paper names it ("Table A, white
    /// woman"): it has no recorded outcome (`truth` is then 0 and not shown). Empty for a
    /// real test-set case.
    pub label: String,
}

/// One candidate model evaluated by cross-validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Model family.
    pub family: Family,
    /// Hyper-parameters, in words.
    pub params: String,
    /// Out-of-fold metrics (uncalibrated).
    pub cv: Metrics,
    /// Whether it was eligible (has an exact explanation at this width).
    pub eligible: bool,
}

/// Everything the model card shows: how the model was chosen and how well it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Cross-validation folds.
    pub folds: u32,
    /// Every candidate, in the order tried.
    pub candidates: Vec<Candidate>,
    /// Index of the chosen candidate.
    pub chosen: u32,
    /// Out-of-fold metrics of the chosen candidate after calibration (calibration fitted on
    /// the other folds' predictions is not possible without nesting, so this is optimistic
    /// for the calibration measures and is labelled as such).
    pub cv_calibrated: Metrics,
    /// Test metrics before calibration.
    pub test_raw: Metrics,
    /// Test metrics after calibration (what the app shows).
    pub test: Metrics,
    /// 95 % confidence interval of `test.auc` (calibrated probabilities; the same as raw since
    /// calibration is monotone): DeLong's method on the logit scale for a binary target, a
    /// seeded stratified percentile bootstrap for a multiclass one (see
    /// [`crate::model::metrics::auc_ci`]). A test set of a few hundred patients leaves the AUC
    /// uncertain by several points; the interval says by how much.
    pub auc_ci: (f64, f64),
    /// ROC curve of the positive class on the test set (calibrated; same as raw since
    /// calibration is monotone).
    pub roc: Vec<(f64, f64)>,
    /// Reliability curve on the test set before calibration.
    pub reliability_raw: Vec<Bin>,
    /// Reliability curve on the test set after calibration.
    pub reliability: Vec<Bin>,
    /// Test metrics per subgroup of the schema's grouping fields.
    pub subgroups: Vec<SubgroupMetrics>,
}

/// The figures a local validation is summarised by on the model card.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocalMetrics {
    /// AUC (binary: the positive class; multiclass: mean one-vs-rest).
    pub auc: f64,
    /// Its 95 % confidence interval.
    pub auc_ci: (f64, f64),
    /// Brier score.
    pub brier: f64,
    /// Calibration intercept and slope (`NaN` when they could not be fitted).
    pub intercept: f64,
    /// See `intercept`.
    pub slope: f64,
    /// Mean predicted probability of the positive class.
    pub mean_predicted: f64,
}

/// How the probabilities were updated for the site.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Recalibration {
    /// Binary: the positive class's log-odds become `intercept + slope · log-odds`.
    Logistic {
        /// Added to the log-odds.
        intercept: f64,
        /// Multiplies the log-odds.
        slope: f64,
    },
    /// Multiclass: every class's log-probability divided by `t` (temperature scaling).
    Temperature {
        /// The temperature fitted on the local data.
        t: f64,
    },
}

/// One validation of the model on a site's own patients, carried in the bundle so every
/// clinician who opens it sees how the model did there (the trainer's figures describe the
/// development data, not this population).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalValidation {
    /// Who validated it, in words (the site or team), as given to `recalibrate`.
    pub site: String,
    /// The period the data cover, as given (e.g. "2024-01 to 2025-06"); empty when not given.
    pub period: String,
    /// When the validation was made (YYYY-MM-DD, UTC).
    pub date: String,
    /// SHA-256 (hex) of the local CSV as read: identifies the data without carrying it.
    pub data_sha256: String,
    /// Patients with a recorded outcome used.
    pub n: u32,
    /// Rows refused (failing the schema).
    pub refused: u32,
    /// Rows censored before a derived target's horizon (no outcome; not used).
    pub censored: u32,
    /// Patients with the positive class.
    pub events: u32,
    /// The model as it came, on the local data.
    pub before: LocalMetrics,
    /// After the recalibration, on the same data (optimistic by construction: fitted and
    /// judged on the same patients; the calibration then fits these patients exactly).
    pub after: LocalMetrics,
    /// The update applied to the probabilities.
    pub recalibration: Recalibration,
    /// Public key (hex) that signed the recalibrated bundle, when signed at once; empty when
    /// it left the CLI unsigned (the browser never signs: keys stay with the data team).
    pub signed_by: String,
}

impl LocalValidation {
    fn is_valid(&self) -> bool {
        let share = |v: f64| (0.0..=1.0).contains(&v);
        // A multiclass Brier score is summed over the classes: 0 to 2.
        let m = |m: &LocalMetrics| {
            share(m.auc) && (0.0..=2.0).contains(&m.brier) && share(m.mean_predicted)
        };
        self.events <= self.n
            && m(&self.before)
            && m(&self.after)
            && match self.recalibration {
                Recalibration::Logistic { intercept, slope } => {
                    intercept.is_finite() && slope.is_finite() && slope > 0.0
                }
                Recalibration::Temperature { t } => t.is_finite() && t > 0.0,
            }
    }
}

/// What a bundle of a published equation carries beyond the equation: the paper's own figures
/// for the model card, and the comparison patient shown beside every estimate in place of a
/// training population's base rate (there is no training population).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The paper's derivation cohorts, discrimination, calibration, intended use and limits.
    pub card: crate::model::equation::Card,
    /// Per schema feature, the optimal-risk-factor value (schema units); `None` keeps the
    /// patient's own (age, sex, race).
    pub optimal: Vec<Option<f64>>,
    /// SHA-256 (hex) of the equation file the bundle was built from.
    pub equation_sha256: String,
}

/// A trained model with its schema, preprocessing, calibration, model card and provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// What the columns mean (also drives the form).
    pub schema: Schema,
    /// Fitted imputation, encoding and scaling.
    pub preprocessor: Preprocessor,
    /// The fitted model (chosen by cross-validation, refitted on all training rows).
    pub model: Model,
    /// Calibration map fitted on the chosen model's out-of-fold predictions.
    pub calibration: Calibration,
    /// The chosen family refitted on each cross-validation fold, for the uncertainty band;
    /// empty when they would make the bundle too large (forests, k-NN).
    pub fold_models: Vec<Model>,
    /// The baseline patient for explanations: the mean preprocessed training input.
    pub baseline: Vec<f64>,
    /// The preprocessed training cases (for the distance check).
    pub typicality: Typicality,
    /// The training cases in the schema's units, for similar-case search and teaching.
    pub cases: CaseLibrary,
    /// How case similarity is measured, and the case map's projection.
    pub metric: Metric,
    /// Selection, metrics and curves.
    pub evaluation: Evaluation,
    /// How it was trained.
    pub training: TrainingInfo,
    /// A few real test-set cases.
    pub examples: Vec<Example>,
    /// Guideline rules checked against the schema at build time (empty when none apply).
    pub rules: RuleSet,
    /// Per-arm outcome models, for randomized-trial data.
    pub trial: Option<TrialModels>,
    /// For a published equation ([`Model::Equation`]): what the paper reports and the
    /// comparison patient; `None` for a model trained here.
    pub published: Option<Published>,
    /// Validations on sites' own patients, oldest first; each one's recalibration was applied
    /// on top of the ones before, and `calibration` holds them all (empty for a bundle as the
    /// trainer wrote it).
    pub local: Vec<LocalValidation>,
}

/// The most numbers [`Bundle::derive_from_cases`] computes from the case library (cases ×
/// inputs): 64 million (256 MB as the distance check's `f32`), twenty times a 100,000-case
/// library of 30 inputs.
pub const MAX_DERIVED_VALUES: usize = 64_000_000;

impl Bundle {
    /// Serialize with header and hash.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = postcard::to_allocvec(self).map_err(|e| Error::Decode(e.to_string()))?;
        let len = u32::try_from(payload.len())
            .map_err(|_| Error::Decode("payload exceeds 4 GiB".into()))?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Check the header and hash, decode, and check the parts fit together. A signature block,
    /// if present, is split off but not checked: use [`Bundle::open`] where signatures matter.
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle> {
        Bundle::decode(crate::bundle::signature::split(bytes)?.bundle)
    }

    /// Check the signature against `trust` (with `verify(key, signature, message)`, the
    /// platform's Ed25519), then decode as [`Bundle::from_bytes`] does.
    pub fn open(
        bytes: &[u8],
        trust: &crate::bundle::signature::Trust,
        verify: impl FnOnce(&[u8; 32], &[u8; 64], &[u8]) -> bool,
    ) -> Result<(Bundle, crate::bundle::signature::Provenance)> {
        use crate::bundle::signature::{message, split, to_verify};
        let envelope = split(bytes)?;
        check_hash(envelope.bundle)?;
        let valid = to_verify(trust, &envelope)
            .is_some_and(|b| verify(&b.key, &b.signature, &message(envelope.bundle)));
        Bundle::accept(trust, &envelope, valid)
    }

    /// The policy's decision on a split file whose signature was (or needed no) verifying, then
    /// the decoded bundle: the part of [`Bundle::open`] after the platform's verifier, shared
    /// with the browser's asynchronous one.
    pub fn accept(
        trust: &crate::bundle::signature::Trust,
        envelope: &crate::bundle::signature::Envelope<'_>,
        valid: bool,
    ) -> Result<(Bundle, crate::bundle::signature::Provenance)> {
        let provenance = crate::bundle::signature::decide(trust, envelope, valid)?;
        Ok((Bundle::decode(envelope.bundle)?, provenance))
    }

    /// Decode an unsigned bundle whose length [`crate::bundle::signature::split`] has checked.
    pub fn decode(bytes: &[u8]) -> Result<Bundle> {
        let payload = check_hash(bytes)?;
        let mut bundle = read_payload(payload)?;
        // Shapes first (deriving reads the schema, the preprocessing and the projection),
        // then what is derived from the stored cases, then the derived parts' shapes.
        bundle.check()?;
        bundle.derive_from_cases()?;
        bundle.check()?;
        let k = bundle.schema.target.classes.len();
        bundle.model.prepare(k);
        bundle.fold_models.iter_mut().for_each(|m| m.prepare(k));
        Ok(bundle)
    }

    /// What is computed from the stored cases rather than stored beside them: each case's
    /// position on the case map, and the distance check's cases (the library's training
    /// cases, preprocessed). The trainer calls this on the library as stored, before it sets
    /// the distance check's threshold, so an opened bundle measures exactly what its trainer
    /// measured. Nothing of the distance check's threshold is recomputed here.
    pub fn derive_from_cases(&mut self) -> Result<()> {
        let n = self.cases.len();
        let width = self.preprocessor.width();
        if !self.cases.is_consistent(self.schema.features.len()) {
            return Err(Error::InconsistentBundle(
                "the case library does not match the schema".into(),
            ));
        }
        // The distance check's cases: strictly increasing library indices (as the trainer
        // writes them), or all cases.
        let rows = &self.typicality.rows;
        if rows.iter().zip(rows.iter().skip(1)).any(|(a, b)| a >= b)
            || rows.last().is_some_and(|&last| last as usize >= n)
        {
            return Err(Error::InconsistentBundle(
                "the distance check names cases the library does not hold".into(),
            ));
        }
        let chosen = if rows.is_empty() { n } else { rows.len() };
        // A case costs a byte or two per feature in the file but `width` numbers here (a
        // categorical feature of many levels is many inputs): bounded, so that a crafted file
        // is refused rather than exhausting memory or time.
        if n.checked_mul(width).is_none_or(|v| v > MAX_DERIVED_VALUES) {
            return Err(Error::InconsistentBundle(format!(
                "the case library would expand to {n} cases × {width} inputs; at most {MAX_DERIVED_VALUES} values are accepted"
            )));
        }
        let mut map = Vec::with_capacity(n);
        let mut tx = Vec::with_capacity(chosen * width);
        let mut ty = Vec::with_capacity(chosen);
        let mut next = rows.iter().peekable();
        for i in 0..n {
            let x = self
                .preprocessor
                .transform(&self.cases.record(&self.schema, i))
                .x;
            map.push(self.metric.pca.project(&x));
            let keep = if rows.is_empty() {
                true
            } else if next.peek().is_some_and(|&&r| r as usize == i) {
                next.next();
                true
            } else {
                false
            };
            if keep {
                tx.extend(x.iter().map(|&v| v as f32));
                ty.push(self.cases.outcome.get(i).copied().unwrap_or(0));
            }
        }
        self.cases.map = map;
        self.typicality.width = width as u32;
        self.typicality.x = tx;
        self.typicality.y = ty;
        Ok(())
    }

    /// Internal consistency: the schema is valid and every part has the shape it implies.
    pub fn check(&self) -> Result<()> {
        self.schema
            .validate()
            .map_err(|e| Error::InconsistentBundle(e.to_string()))?;
        self.preprocessor.check_against(&self.schema)?;
        let (width, k) = (self.preprocessor.width(), self.schema.target.classes.len());
        self.model.check(width, k)?;
        for m in &self.fold_models {
            m.check(width, k)?;
        }
        if !self.calibration.is_valid() {
            return Err(Error::InconsistentBundle(
                "calibration parameters are not finite".into(),
            ));
        }
        if self.baseline.len() != width || !self.baseline.iter().all(|v| v.is_finite()) {
            return Err(Error::InconsistentBundle(
                "baseline patient does not match the inputs".into(),
            ));
        }
        if !self.typicality.is_consistent(width)
            || self.typicality.y.iter().any(|&c| c as usize >= k)
        {
            return Err(Error::InconsistentBundle(
                "training cases (typicality check) do not match the inputs".into(),
            ));
        }
        let n_features = self.schema.features.len();
        if !self.cases.is_consistent(n_features)
            || self.cases.outcome.iter().any(|&c| c as usize >= k)
            || self.metric.scale.len() != n_features
            || self.metric.relevance.len() != n_features
            || !self.metric.pca.is_consistent(width)
        {
            return Err(Error::InconsistentBundle(
                "case library or similarity metric does not match the schema".into(),
            ));
        }
        self.rules.check(&self.schema)?;
        let arms = self.schema.treatment.as_ref().map_or(0, |t| t.arms.len());
        match &self.trial {
            Some(t) => t.check(width, arms, k)?,
            None if arms > 0 => {
                return Err(Error::InconsistentBundle(
                    "the schema names treatment arms but the bundle has no trial models".into(),
                ))
            }
            None => {}
        }
        if !self.cases.held_out.is_empty()
            && self
                .cases
                .held_out
                .iter()
                .any(|p| p.len() != k || !p.iter().all(|v| (0.0..=1.0).contains(v)))
        {
            return Err(Error::InconsistentBundle(
                "a case's held-out probabilities do not match the target classes".into(),
            ));
        }
        // What every estimate is read against: one base rate per class, and the AUC's interval
        // (a NaN here would be shown as a number and judged as a verdict).
        let share = |v: &f64| (0.0..=1.0).contains(v);
        if self.training.base_rates.len() != k || !self.training.base_rates.iter().all(share) {
            return Err(Error::InconsistentBundle(
                "the base rates do not give one share between 0 and 1 per target class".into(),
            ));
        }
        let (low, high) = self.evaluation.auc_ci;
        if !(share(&low) && share(&high) && low <= high) {
            return Err(Error::InconsistentBundle(
                "the AUC's confidence interval is not an interval within 0–1".into(),
            ));
        }
        match (&self.model, &self.published) {
            (Model::Equation(e), Some(p)) => {
                // Every sex/race combination has an equation (a hand-made bundle could leave
                // one out, and its patients would get no risk at all).
                e.check_coverage(&self.schema, &self.preprocessor)
                    .map_err(|e| Error::InconsistentBundle(e.to_string()))?;
                let (lo, hi) = p.card.c_statistic;
                if p.optimal.len() != n_features
                    || !(0.5..=1.0).contains(&lo)
                    || !(lo..=1.0).contains(&hi)
                    || p.optimal.iter().flatten().any(|v| !v.is_finite())
                {
                    return Err(Error::InconsistentBundle(
                        "the published equation's card or comparison patient does not match \
                         the schema"
                            .into(),
                    ));
                }
            }
            (Model::Equation(_), None) | (_, Some(_)) => {
                return Err(Error::InconsistentBundle(
                    "a published equation needs its card, and only a published equation has one"
                        .into(),
                ))
            }
            _ => {}
        }
        if !self.local.iter().all(LocalValidation::is_valid) {
            return Err(Error::InconsistentBundle(
                "a local validation's figures are not shares between 0 and 1".into(),
            ));
        }
        if self.cases.arms.iter().any(|&a| usize::from(a) >= arms) {
            return Err(Error::InconsistentBundle(
                "a case's treatment arm is not one of the schema's arms".into(),
            ));
        }
        Ok(())
    }

    /// The metrics shown with every suggestion: calibrated, on the held-out test set.
    pub fn metrics(&self) -> &Metrics {
        &self.evaluation.test
    }
}

// ---- the payload, read by hand ------------------------------------------------------------
//
// The app reads every bundle with [`read_payload`], the hand decoder of [`crate::util::wire`]
// (why: that module's documentation); the decoders of this module's types follow it
// (`wire_impls`).
// [`read_payload_with_serde`] is serde's decoder of the same bytes, kept as the reference: the
// tests (`tests/bundle_wire.rs`) and the `bundle_wire` fuzz target require both to give the
// same bundle, or the same error, for any bytes.

/// Decode a payload whose hash has been checked, as [`Bundle::decode`] does before it checks
/// that the parts fit together (which this does not do).
pub fn read_payload(payload: &[u8]) -> Result<Bundle> {
    crate::util::wire::from_bytes(payload).map_err(|e| Error::Decode(e.to_string()))
}

/// [`read_payload`] through serde's decoder: the reference. Refusals that postcard words only as
/// "Serde Deserialization Error" are named from the marks the serde decoders leave, so the
/// two agree on every message.
pub fn read_payload_with_serde(payload: &[u8]) -> Result<Bundle> {
    use crate::guidance::expr;
    use crate::model::fitted::packed_trees;
    expr::take_depth_refusal();
    packed_trees::take_refusal();
    postcard::from_bytes(payload).map_err(|e| {
        Error::Decode(if expr::take_depth_refusal() {
            expr::too_deep()
        } else if packed_trees::take_refusal() {
            packed_trees::refusal()
        } else {
            e.to_string()
        })
    })
}

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, Decode, Reader};

    decode_struct!(Bundle {
        schema,
        preprocessor,
        model,
        calibration,
        fold_models,
        baseline,
        typicality,
        cases,
        metric,
        evaluation,
        training,
        examples,
        rules,
        trial,
        published,
        local
    });
    decode_struct!(Candidate {
        family,
        params,
        cv,
        eligible
    });
    decode_struct!(Evaluation {
        folds,
        candidates,
        chosen,
        cv_calibrated,
        test_raw,
        test,
        auc_ci,
        roc,
        reliability_raw,
        reliability,
        subgroups
    });
    decode_struct!(Censoring {
        censored,
        km_risk,
        complete_case_rate,
        mean_predicted,
        method
    });
    decode_struct!(TrainingInfo {
        n_train,
        n_test,
        train_class_counts,
        test_class_counts,
        test_source,
        missing_counts,
        data_sha256,
        seed,
        trainer_version,
        censored,
        base_rates,
        censoring
    });
    decode_struct!(Example {
        row,
        inputs,
        truth,
        label
    });
    decode_struct!(LocalMetrics {
        auc,
        auc_ci,
        brier,
        intercept,
        slope,
        mean_predicted
    });
    decode_struct!(LocalValidation {
        site,
        period,
        date,
        data_sha256,
        n,
        refused,
        censored,
        events,
        before,
        after,
        recalibration,
        signed_by
    });
    decode_struct!(Published {
        card,
        optimal,
        equation_sha256
    });

    impl Decode for Recalibration {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => {
                    let intercept = decode(r);
                    Recalibration::Logistic {
                        intercept,
                        slope: decode(r),
                    }
                }
                1 => Recalibration::Temperature { t: decode(r) },
                _ => r.bad_variant(Recalibration::Temperature { t: 0.0 }),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::contract::patient::PatientRecord;
    use crate::contract::schema::tests::SAMPLE;
    use crate::model::fitted::Linear;

    /// A complete, tiny bundle built by hand (no training), for tests of the format and of
    /// `assess`.
    pub(crate) fn sample_bundle() -> Bundle {
        use crate::cases::Pca;
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let rows: Vec<PatientRecord> = [
            r#"{"glu": 100, "smoker": 1, "sex": "m"}"#,
            r#"{"glu": 180, "smoker": 0, "sex": "f"}"#,
            r#"{"glu": 140, "smoker": 0}"#,
        ]
        .iter()
        .map(|t| PatientRecord::from_json_text(&schema, t).unwrap())
        .collect();
        let preprocessor = Preprocessor::fit(&schema, &rows).unwrap();
        let x: Vec<Vec<f64>> = rows.iter().map(|r| preprocessor.transform(r).x).collect();
        let metrics =
            crate::model::metrics::evaluate(&[0, 1], &[vec![0.7, 0.3], vec![0.2, 0.8]], 2, 1);
        let model = Model::Logistic {
            linear: Linear {
                weights: vec![vec![1.5, 0.4, -0.2, 0.2]],
                intercepts: vec![-0.3],
            },
            alpha: 0.0,
        };
        Bundle {
            fold_models: vec![model.clone(), model.clone()],
            model,
            calibration: Calibration::Platt { a: 0.9, b: 0.1 },
            baseline: vec![0.0, 1.0 / 3.0, 1.0 / 3.0, 2.0 / 3.0],
            typicality: Typicality::new(&x, &[0, 1, 1]),
            cases: {
                let ds = crate::contract::dataset::Dataset {
                    records: rows.clone(),
                    labels: vec![0, 1, 1],
                    json: vec![],
                    rows: vec![1, 2, 3],
                    arms: vec![],
                    times: vec![],
                    censored: Default::default(),
                };
                CaseLibrary::from_dataset(
                    "3 hand-made cases".into(),
                    &ds,
                    &preprocessor,
                    &Pca::fit(&x),
                )
            },
            metric: Metric::new(&preprocessor, &[1.0, 0.5, 0.5], Pca::fit(&x)),
            evaluation: Evaluation {
                folds: 2,
                candidates: vec![],
                chosen: 0,
                cv_calibrated: metrics.clone(),
                test_raw: metrics.clone(),
                test: metrics,
                auc_ci: (0.5, 1.0),
                roc: vec![(0.0, 0.0), (1.0, 1.0)],
                reliability_raw: vec![],
                reliability: vec![],
                subgroups: vec![],
            },
            training: TrainingInfo {
                n_train: 3,
                n_test: 2,
                train_class_counts: vec![2, 1],
                test_class_counts: vec![1, 1],
                test_source: "hand-made".into(),
                missing_counts: vec![0, 0, 1],
                data_sha256: "00".into(),
                seed: 7,
                trainer_version: "test".into(),
                censored: 0,
                base_rates: vec![2.0 / 3.0, 1.0 / 3.0],
                censoring: None,
            },
            examples: vec![],
            rules: RuleSet::default(),
            trial: None,
            published: None,
            local: Vec::new(),
            schema,
            preprocessor,
        }
    }

    #[test]
    fn a_base_rate_or_auc_interval_that_is_not_a_share_is_refused() {
        let mut b = sample_bundle();
        b.training.base_rates = vec![f64::NAN, 0.5];
        assert!(matches!(b.check(), Err(Error::InconsistentBundle(_))));
        let mut b = sample_bundle();
        b.training.base_rates = vec![1.0];
        assert!(b.check().is_err());
        let mut b = sample_bundle();
        b.evaluation.auc_ci = (0.8, 0.6);
        assert!(b.check().is_err());
        b.evaluation.auc_ci = (f64::NAN, 0.6);
        assert!(b.check().is_err());
        assert!(sample_bundle().check().is_ok());
    }

    #[test]
    fn round_trips_byte_for_byte() {
        let b = sample_bundle();
        let bytes = b.to_bytes().unwrap();
        let back = Bundle::from_bytes(&bytes).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.to_bytes().unwrap(), bytes);
        assert_eq!(&bytes[..4], b"BDSX");
        assert_eq!(payload_sha256(&bytes).unwrap().len(), 64);
    }

    #[test]
    fn every_damage_is_named() {
        let bytes = sample_bundle().to_bytes().unwrap();
        assert_eq!(Bundle::from_bytes(b""), Err(Error::NotABundle));
        assert_eq!(
            Bundle::from_bytes(b"<html>404</html>"),
            Err(Error::NotABundle)
        );
        assert!(matches!(
            Bundle::from_bytes(&bytes[..2]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            Bundle::from_bytes(&bytes[..20]),
            Err(Error::Truncated { .. })
        ));
        assert!(matches!(
            Bundle::from_bytes(&bytes[..bytes.len() - 1]),
            Err(Error::Truncated { .. })
        ));
        let mut v2 = bytes.clone();
        v2[4] = 99;
        assert_eq!(
            Bundle::from_bytes(&v2),
            Err(Error::UnsupportedVersion {
                found: 99,
                supported: FORMAT_VERSION
            })
        );
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert_eq!(Bundle::from_bytes(&flipped), Err(Error::HashMismatch));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(Bundle::from_bytes(&longer), Err(Error::Decode(_))));
    }

    #[test]
    fn a_correctly_hashed_but_inconsistent_payload_is_refused() {
        let mut b = sample_bundle();
        b.model = Model::Logistic {
            linear: Linear {
                weights: vec![vec![1.0]],
                intercepts: vec![0.0],
            },
            alpha: 0.0,
        };
        let bytes = b.to_bytes().unwrap();
        assert!(matches!(
            Bundle::from_bytes(&bytes),
            Err(Error::InconsistentBundle(_))
        ));
    }

    #[test]
    fn the_distance_checks_cases_must_be_increasing_cases_of_the_library() {
        for rows in [vec![0, 0], vec![1, 0], vec![0, 3], vec![u32::MAX]] {
            let mut b = sample_bundle();
            b.typicality.rows = rows.clone();
            let e = Bundle::decode(&with_header(&payload(&b))).unwrap_err();
            assert!(
                matches!(&e, Error::InconsistentBundle(m) if m.contains("distance check")),
                "{rows:?}: {e}"
            );
        }
        let mut b = sample_bundle();
        b.typicality.rows = vec![0, 2];
        let opened = Bundle::decode(&with_header(&payload(&b))).unwrap();
        assert_eq!(opened.typicality.y, vec![0, 1]);
        assert_eq!(opened.typicality.x.len(), 2 * opened.preprocessor.width());
    }

    /// A payload in a header with its correct length and SHA-256: what a hostile source that
    /// knows the format can serve (a signature would not change what is decoded).
    fn with_header(payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(payload));
        bytes.extend_from_slice(payload);
        bytes
    }

    fn payload(b: &Bundle) -> Vec<u8> {
        postcard::to_allocvec(b).unwrap()
    }

    /// The sample bundle with one derived value whose formula is `levels` nested negations
    /// of 1. The nested bytes are spliced into the payload by hand: a tree that deep could
    /// not even be built (or dropped) as a Rust value without overflowing the stack.
    fn deep_formula_payload(levels: usize) -> Vec<u8> {
        use crate::guidance::expr::Expr;
        use crate::guidance::rules::Derived;
        let marker = f64::from_bits(0x1234_5678_9abc_def0);
        let mut b = sample_bundle();
        b.rules.derived.push(Derived {
            id: "deep".into(),
            label: crate::contract::schema::Text {
                en: "Deep".into(),
                zh: "深".into(),
            },
            unit: String::new(),
            formula: "-(-(…))".into(),
            expr: Expr::Num(marker),
            operands: vec![],
        });
        let plain = payload(&b);
        assert!(Bundle::decode(&with_header(&plain)).is_ok());
        let mut at = [0u8; 9]; // variant 0 (Num), then the number
        at[1..].copy_from_slice(&marker.to_le_bytes());
        let pos = plain.windows(9).position(|w| w == at).unwrap();
        assert_eq!(plain.windows(9).filter(|w| *w == at).count(), 1);
        let mut nested = vec![2u8; levels - 1]; // variant 2 (Neg) per level
        nested.push(0);
        nested.extend_from_slice(&1.0f64.to_le_bytes());
        [&plain[..pos], &nested[..], &plain[pos + 9..]].concat()
    }

    /// The sample bundle with a k-NN model on its three cases that consults `k` neighbours.
    fn knn_payload(k: u32) -> Vec<u8> {
        let mut b = sample_bundle();
        b.model = Model::Knn(crate::model::fitted::Knn {
            k,
            width: 4,
            x: b.typicality.x.clone(),
            y: vec![0, 1, 1],
        });
        b.fold_models.clear();
        payload(&b)
    }

    /// The sample bundle with a forest whose tree is `tree` (on the sample's 4 inputs).
    fn forest_payload(tree: crate::model::fitted::Tree) -> Vec<u8> {
        let mut b = sample_bundle();
        b.model = Model::Forest {
            trees: vec![tree],
            max_depth: 6,
            flat: Default::default(),
        };
        b.fold_models.clear();
        payload(&b)
    }

    fn leaf_counts_payload(counts: Vec<u32>) -> Vec<u8> {
        let mut tree = crate::model::fitted::tests::small_tree();
        tree.nodes[2].counts = counts;
        forest_payload(tree)
    }

    /// The sample bundle with a published equation whose one transform reads input `column`.
    fn equation_payload(column: u32) -> Vec<u8> {
        use crate::model::equation::{Equation, Link, Stratum, Term, Transform};
        let mut b = sample_bundle();
        b.model = Model::Equation(Equation {
            citation: "hand-made".into(),
            link: Link::Logistic,
            transforms: vec![Transform {
                id: "glu".into(),
                inputs: vec![(column, 1.0)],
                at_most: None,
                at_least: None,
                log: false,
                centre: 0.0,
                scale: 1.0,
            }],
            strata: vec![Stratum {
                label: "all".into(),
                source: "hand-made".into(),
                when: vec![],
                intercept: 0.0,
                hazard: None,
                terms: vec![Term {
                    coef: 1.0,
                    of: vec![0],
                }],
            }],
            valid: vec![],
        });
        b.fold_models.clear();
        payload(&b)
    }

    /// Each hostile payload, a name for its fuzz seed, and what the refusal must say.
    fn hostile_payloads() -> Vec<(&'static str, Vec<u8>, &'static str)> {
        vec![
            (
                "hostile-equation-column",
                equation_payload(u32::MAX),
                "transform `glu` reads an input that does not exist",
            ),
            (
                "hostile-deep-expr",
                deep_formula_payload(100_000),
                "a formula is nested more than 64 levels deep; accepted: at most 64 levels",
            ),
            (
                "hostile-knn-k",
                knn_payload(u32::MAX),
                "k = 4294967295 neighbours among 3 stored training cases; accepted: 1 ≤ k ≤ 3",
            ),
            (
                "hostile-leaf-counts",
                leaf_counts_payload(vec![u32::MAX, u32::MAX]),
                "forest tree 0: the class counts of leaf 2 add up to 8589934590 training rows",
            ),
            (
                "hostile-deep-tree",
                forest_payload(crate::model::fitted::tests::chain_tree(1000)),
                "forest tree 0: it is more than 64 splits deep",
            ),
            (
                "hostile-shared-child",
                forest_payload({
                    let mut t = crate::model::fitted::tests::small_tree();
                    t.nodes[1].right = 2;
                    t
                }),
                "forest tree 0: node 2 is the child of two nodes",
            ),
        ]
    }

    #[test]
    fn hostile_but_correctly_hashed_payloads_are_refused_with_the_reason() {
        for (name, payload, want) in hostile_payloads() {
            let err = Bundle::from_bytes(&with_header(&payload)).unwrap_err();
            assert!(
                matches!(err, Error::Decode(_) | Error::InconsistentBundle(_)),
                "{name}: {err:?}"
            );
            assert!(err.to_string().contains(want), "{name}: {err}");
        }
    }

    #[test]
    fn the_same_shapes_just_inside_the_limits_load() {
        use crate::guidance::expr::MAX_DEPTH;
        use crate::model::fitted::MAX_TREE_DEPTH;
        let ok = |payload: Vec<u8>| Bundle::from_bytes(&with_header(&payload)).unwrap();
        let b = ok(deep_formula_payload(MAX_DEPTH));
        // 63 negations of 1.
        assert_eq!(b.rules.derived[0].expr.eval(&[]), Some(-1.0));
        ok(knn_payload(1));
        ok(knn_payload(3));
        ok(leaf_counts_payload(vec![u32::MAX - 1, 1]));
        ok(forest_payload(crate::model::fitted::tests::chain_tree(
            MAX_TREE_DEPTH,
        )));
        for (payload, want) in [
            (deep_formula_payload(MAX_DEPTH + 1), "nested more than 64"),
            (knn_payload(0), "accepted: 1 ≤ k ≤ 3"),
            (knn_payload(4), "k = 4 neighbours"),
            (
                forest_payload(crate::model::fitted::tests::chain_tree(MAX_TREE_DEPTH + 1)),
                "more than 64 splits deep",
            ),
        ] {
            let err = Bundle::from_bytes(&with_header(&payload)).unwrap_err();
            assert!(err.to_string().contains(want), "{err}");
        }
    }

    /// Seeds for the bundle fuzz target (`tests/fuzz/corpus/bundle/`): mode byte 0, then the
    /// payload (the target wraps it in a correct header), so they stay valid across a
    /// `FORMAT_VERSION` bump. Written only when `BEDSIDE_WRITE_FUZZ_SEEDS=1`; otherwise this
    /// only checks that every hostile payload is refused with its reason.
    #[test]
    fn hostile_fuzz_seeds_are_refused_and_written_on_request() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz/corpus/bundle");
        let write = std::env::var("BEDSIDE_WRITE_FUZZ_SEEDS").as_deref() == Ok("1");
        for (name, payload, want) in hostile_payloads() {
            let seed = [&[0u8][..], &payload].concat();
            let err = Bundle::from_bytes(&with_header(&seed[1..])).unwrap_err();
            assert!(err.to_string().contains(want), "{name}: {err}");
            assert!(
                seed.len() < 160_000,
                "{name}: within ./dev.sh fuzz's -max_len"
            );
            let path = format!("{dir}/{name}");
            if write {
                std::fs::write(&path, &seed).unwrap();
            }
        }
    }

    #[test]
    fn a_correctly_hashed_garbage_payload_is_a_decode_error() {
        let payload = [0xffu8; 16];
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&16u32.to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(payload));
        bytes.extend_from_slice(&payload);
        assert!(matches!(Bundle::from_bytes(&bytes), Err(Error::Decode(_))));
    }
}
