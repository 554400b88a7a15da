//! What a data set's columns mean: the contract between a CSV, the trainer, the form and
//! `assess`.
//!
//! A schema is written by a person (`data/*.schema.toml`), checked once by
//! [`Schema::from_toml`], and then travels inside every bundle, so the browser builds its form
//! and validates input from exactly the schema the model was trained with.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The UI languages live in `util` (the error type words its messages in them); every
/// schema [`Text`] has one string per [`Lang`].
pub use crate::util::lang::Lang;
use crate::util::num::round_to;

/// A label in both languages the product ships (English and Simplified Chinese).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text {
    /// English.
    pub en: String,
    /// 简体中文.
    pub zh: String,
}

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}

/// A numeric interval; either end may be missing (unbounded), and each bound may be
/// inclusive (≥, ≤) or exclusive (>, <). Normal ranges need both kinds because guidelines state
/// them both ways ("< 140 mg/dL", "18.5–24.9"); plausible and training ranges are closed.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// Lower bound, if any.
    #[serde(default)]
    pub min: Option<f64>,
    /// Upper bound, if any.
    #[serde(default)]
    pub max: Option<f64>,
    /// Whether `min` itself lies outside (> rather than ≥). Defaults to inclusive, so closed
    /// ranges are written and read as before.
    #[serde(default)]
    pub min_open: bool,
    /// Whether `max` itself lies outside (< rather than ≤).
    #[serde(default)]
    pub max_open: bool,
}

impl Interval {
    /// The closed interval `min`–`max` (plausible and training ranges).
    pub fn closed(min: f64, max: f64) -> Interval {
        Interval {
            min: Some(min),
            max: Some(max),
            ..Interval::default()
        }
    }

    /// Whether `v` is under the lower bound, or on it when that bound is exclusive.
    pub fn is_below(&self, v: f64) -> bool {
        self.min
            .is_some_and(|lo| if self.min_open { v <= lo } else { v < lo })
    }

    /// Whether `v` is over the upper bound, or on it when that bound is exclusive.
    pub fn is_above(&self, v: f64) -> bool {
        self.max
            .is_some_and(|hi| if self.max_open { v >= hi } else { v > hi })
    }

    /// Whether `v` lies inside the interval (never for NaN against a bound).
    pub fn contains(&self, v: f64) -> bool {
        self.min
            .is_none_or(|lo| if self.min_open { v > lo } else { v >= lo })
            && self
                .max
                .is_none_or(|hi| if self.max_open { v < hi } else { v <= hi })
    }
}

/// A closed plausible range: values outside are rejected, not flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plausible {
    /// Smallest plausible value.
    pub min: f64,
    /// Largest plausible value.
    pub max: f64,
}

/// A normal (reference) range with the source it is taken from, each bound written as the
/// source states it: `min`/`max` for "≥"/"≤", `above`/`below` for ">"/"<" (the words the rules
/// files use for strict tests). Writing "< 140 mg/dL" as `max = 139` would call 139.5 abnormal,
/// so the exclusive bound is kept as such. [`Schema::validate`] accepts at most one lower bound
/// (`min` or `above`) and one upper bound (`max` or `below`), the lower below the upper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// Lower bound of normal, inclusive (≥), if any.
    #[serde(default)]
    pub min: Option<f64>,
    /// Upper bound of normal, inclusive (≤), if any.
    #[serde(default)]
    pub max: Option<f64>,
    /// Lower bound of normal, exclusive (>), if any.
    #[serde(default)]
    pub above: Option<f64>,
    /// Upper bound of normal, exclusive (<), if any.
    #[serde(default)]
    pub below: Option<f64>,
    /// Where the range comes from (guideline, year).
    pub source: String,
}

impl Reference {
    /// The range as an [`Interval`], bound kinds kept. Validation allows one bound per side;
    /// should both be present, the inclusive one is used.
    pub fn interval(&self) -> Interval {
        Interval {
            min: self.min.or(self.above),
            max: self.max.or(self.below),
            min_open: self.min.is_none() && self.above.is_some(),
            max_open: self.max.is_none() && self.below.is_some(),
        }
    }

    /// A range a reader can take one way only: one bound per side, at least one bound, each
    /// within the plausible range, the lower below the upper (an empty normal range would
    /// call every value abnormal). The messages say which keys are accepted.
    fn check(&self, column: &str, plausible: &Plausible) -> Result<()> {
        let bad = |why: String| Err(Error::Schema(format!("feature `{column}`: {why}")));
        if let (Some(min), Some(above)) = (self.min, self.above) {
            return bad(format!(
                "the reference range gives two lower bounds, `min = {min}` and `above = {above}`; give one: `min` (≥, inclusive) or `above` (>, exclusive)"
            ));
        }
        if let (Some(max), Some(below)) = (self.max, self.below) {
            return bad(format!(
                "the reference range gives two upper bounds, `max = {max}` and `below = {below}`; give one: `max` (≤, inclusive) or `below` (<, exclusive)"
            ));
        }
        let range = self.interval();
        let (lower, upper) = (range.min, range.max);
        if lower.is_none() && upper.is_none() {
            return bad(
                "the reference range needs a bound: `min` (≥), `above` (>), `max` (≤) or `below` (<)"
                    .into(),
            );
        }
        for v in [lower, upper].into_iter().flatten() {
            if !(v >= plausible.min && v <= plausible.max) {
                return bad(format!(
                    "reference range bound {v} must lie within the plausible range {}–{}",
                    plausible.min, plausible.max
                ));
            }
        }
        if let (Some(lo), Some(hi)) = (lower, upper) {
            if lo >= hi {
                return bad(format!(
                    "the reference range's lower bound {lo} must be below its upper bound {hi}"
                ));
            }
        }
        Ok(())
    }
}

/// One level of a categorical feature or target: the code as it appears in the data, and the
/// words shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// The code in the CSV and in patient JSON.
    pub code: String,
    /// What the user sees.
    pub label: Text,
}

/// What kind of value a feature holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Kind {
    /// A number with a unit and a plausible range.
    Numeric {
        /// Unit as written (UCUM where one exists); empty for scores and counts.
        unit: String,
        /// Values outside are rejected with this range in the message.
        plausible: Plausible,
        /// Normal range, where a cited one exists.
        reference: Option<Reference>,
        /// Input granularity for the form (e.g. 1 for counts, 0.1 for BMI).
        step: Option<f64>,
        /// Whether only whole numbers are accepted (counts, scores).
        integer: bool,
        /// A second unit this value may be written in (e.g. glucose in mmol/L), where the
        /// schema declares the conversion.
        convert: Option<Convert>,
    },
    /// One of a fixed set of codes; one-hot encoded for the model.
    Categorical {
        /// The accepted codes.
        levels: Vec<Level>,
    },
    /// Yes/no; encoded 0/1.
    Boolean {
        /// The code for "no" in the CSV.
        false_code: String,
        /// The code for "yes" in the CSV.
        true_code: String,
    },
}

/// A second unit for a numeric feature: `value in unit = value in the feature's unit × factor`
/// (glucose: mg/dL → mmol/L is × 0.0555). Declared per feature because conversions are
/// analyte-specific.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Convert {
    /// The other unit.
    pub unit: String,
    /// Multiply a value in the feature's unit by this to get it in `unit`.
    pub factor: f64,
}

/// The randomized comparison a trial data set supports: which column holds the arm, which arm
/// is the control, and what to say about the trial beside every modelled risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treatment {
    /// Column in the CSV holding the arm.
    pub column: String,
    /// What the arms are (e.g. "Prophylaxis").
    pub label: Text,
    /// The arms, in display order; codes as in the CSV.
    pub arms: Vec<Level>,
    /// The control arm's code (risk differences are against it).
    pub control: String,
    /// The trial, as cited (authors, journal, year).
    pub trial: String,
    /// Plain-language caveats: era, population, what randomization does and does not support.
    pub caveats: Text,
    /// Bootstrap replicates per arm for the uncertainty intervals.
    #[serde(default = "default_bootstrap")]
    pub bootstrap: u32,
}

fn default_bootstrap() -> u32 {
    200
}

impl Treatment {
    /// Index of the control arm in `arms`.
    pub fn control_index(&self) -> usize {
        self.arms
            .iter()
            .position(|a| a.code == self.control)
            .unwrap_or(0)
    }
}

/// What to do when a value is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// Missing is an error.
    #[default]
    Reject,
    /// Fill in from the training data (median / most frequent) and say so.
    Impute,
}

/// One input column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// Column name in the CSV and key in patient JSON.
    pub column: String,
    /// Shown to the user.
    pub label: Text,
    /// Kind, unit, ranges.
    pub kind: Kind,
    /// Missing-value policy.
    pub missing: Missing,
    /// Cells of this column that mean "missing" in a CSV besides blank, `NA` and `NaN` (which
    /// always do): the `?` of the UCI files, a site's `-9`. Kept per column, because a token
    /// that means "not recorded" in one column may be a real answer in another (`-` for a
    /// negative dipstick). CSV reading only; patient JSON says missing with `null`.
    pub missing_codes: Vec<String>,
    /// The level code a blank cell of this column stands for, when a blank is an answer rather
    /// than a gap (a `coma` column left blank for "no coma"). Categorical features only, and
    /// one of their levels; without it a blank cell is missing. CSV reading only.
    pub blank: Option<String>,
    /// Whether a clinician could change it (weight, blood pressure, glucose), so that "what
    /// would change this" may suggest it. Age, history and genetics are not.
    pub modifiable: bool,
    /// Whether changing it is a recognised way to change the outcome (blood pressure,
    /// cholesterol, smoking), so that "what would change this" may present it as a target.
    /// Anything else the model reacts to is only a measure of the model's sensitivity: a
    /// lower 2-h glucose would change a diabetes model's answer, not the diagnosis.
    pub treatment_target: bool,
    /// Where a FHIR R4 import finds it (see [`crate::interop::fhir`]); `None`: typed by hand.
    pub fhir: Option<FhirSource>,
}

/// Where a FHIR R4 import finds a feature. Only the same measurement is mapped: a code that
/// looks alike but is not (a random glucose for a 2-h OGTT value) is listed in `not`, with
/// the reason the import shows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirSource {
    /// LOINC codes of the same measurement, as `Observation.code` or a component's code.
    #[serde(default)]
    pub loinc: Vec<String>,
    /// The UCUM code of the feature's unit (`valueQuantity.code`), e.g. `mm[Hg]`, `kg/m2`.
    #[serde(default)]
    pub ucum: Option<String>,
    /// Age in whole years from `Patient.birthDate`, taken on the date of the most recent
    /// observation the import uses (so it matches the other values), or on the day of the
    /// import when none is used.
    #[serde(default)]
    pub birth_date: bool,
    /// `Patient.gender` → this feature's code: `gender = { female = "0", male = "1" }` in the
    /// schema file. Pairs rather than a map here: the app decodes every bundle, and a map's
    /// decoder would cost its download about 1 KB for two entries.
    #[serde(default)]
    pub gender: Vec<(String, String)>,
    /// Codes that are not this measurement although they may look like it.
    #[serde(default)]
    pub not: Vec<NotSame>,
    /// How many days old an observation may be before the import flags it (it is still used:
    /// an old value is the clinician's call, but they must see that it is old). Only for
    /// `loinc` sources; when absent, [`crate::interop::fhir::DEFAULT_MAX_AGE_DAYS`] (a year). Set it
    /// tighter for values that change quickly, such as blood pressure.
    #[serde(default)]
    pub max_age_days: Option<u32>,
    /// For a yes/no feature: codes whose standing entry in the record (an active Condition, an
    /// active MedicationRequest) answers it "yes", cited as the source. Nothing found leaves it
    /// for the clinician: the absence of an entry is not a "no".
    #[serde(default)]
    pub record: Vec<crate::contract::codes::RecordCodes>,
    /// For a yes/no feature recorded as a coded Observation (smoking status, LOINC 72166-2): the
    /// answer codes that mean "yes" and those that mean "no".
    #[serde(default)]
    pub coded: Option<CodedAnswer>,
}

/// A yes/no read from the latest Observation of one LOINC code whose value is a code
/// (`valueCodeableConcept`): smoking status 72166-2 with SNOMED CT "current every day smoker"
/// (yes) or "never smoker" (no). A code in neither list leaves the answer to the clinician.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodedAnswer {
    /// The Observation's LOINC code.
    pub loinc: String,
    /// The answers' code system (URI).
    pub system: String,
    /// Codes that mean "yes".
    pub yes: Vec<String>,
    /// Codes that mean "no".
    pub no: Vec<String>,
}

/// A LOINC code that is not the feature's measurement, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotSame {
    /// The LOINC code.
    pub loinc: String,
    /// Why it is not used, in both languages.
    pub why: Text,
}

/// What a FHIR import checks about the whole patient.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FhirPopulation {
    /// The only `Patient.gender` the training population had (pima: `female`); an imported
    /// patient of another is flagged.
    #[serde(default)]
    pub gender: Option<String>,
}

impl Feature {
    /// This feature as the form shows it in its second unit (e.g. glucose in mmol/L), where the
    /// schema declares one: unit, plausible and normal ranges converted (to 4 decimals, so a
    /// converted value converts back to the same 2-decimal value). `None` without a
    /// conversion.
    pub fn in_second_unit(&self) -> Option<Feature> {
        let Kind::Numeric {
            plausible,
            reference,
            convert: Some(c),
            ..
        } = &self.kind
        else {
            return None;
        };
        let to = |v: f64| round_to(v * c.factor, 4);
        Some(Feature {
            kind: Kind::Numeric {
                unit: c.unit.clone(),
                plausible: Plausible {
                    min: to(plausible.min),
                    max: to(plausible.max),
                },
                // Each bound keeps its kind: "< 140 mg/dL" stays strict in mmol/L.
                reference: reference.as_ref().map(|r| Reference {
                    min: r.min.map(to),
                    max: r.max.map(to),
                    above: r.above.map(to),
                    below: r.below.map(to),
                    source: r.source.clone(),
                }),
                step: None,
                integer: false,
                convert: None,
            },
            ..self.clone()
        })
    }

    /// The unit, or "" for non-numeric and unitless features.
    pub fn unit(&self) -> &str {
        match &self.kind {
            Kind::Numeric { unit, .. } => unit,
            _ => "",
        }
    }
}

/// The column to predict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Column name in the CSV.
    pub column: String,
    /// What the prediction is about.
    pub label: Text,
    /// The classes, in the order probabilities are reported.
    pub classes: Vec<Level>,
    /// The class that counts as "positive" for precision, recall and AUC.
    pub positive: String,
    /// For time-to-event data: the target is derived ("event by the horizon") instead of read
    /// from `column`, which then only names it.
    #[serde(default)]
    pub derive: Option<EventBy>,
    /// Whether the estimate is about a condition present now or an outcome to come; decides
    /// how "what would change this" is worded.
    #[serde(default)]
    pub purpose: Purpose,
    /// A held-out AUC below which the estimate is presented as not telling patients apart
    /// (in addition to the rule that applies to every model: the AUC's 95 % interval
    /// includes 0.5). Between 0.5 and 1.
    #[serde(default)]
    pub min_auc: Option<f64>,
}

/// What a model estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Whether a condition is present now (a diagnosis): the inputs are findings, and a
    /// different finding changes the model's answer, not the patient's condition.
    #[default]
    Diagnostic,
    /// The risk of an outcome to come (a prognosis): some inputs may be treatment targets.
    Prognostic,
}

/// A binary target "the event happened by `horizon`" from a time and a status column. Rows
/// followed up for less than the horizon without the event have no answer: they carry no
/// label, but their follow-up enters through inverse-probability-of-censoring weights (the
/// trainer's calibration, base rate and per-arm models), since dropping them would overstate
/// the risk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBy {
    /// Column with the follow-up time.
    pub time: String,
    /// Column with the status at that time.
    pub status: String,
    /// The status code that means the event happened.
    pub event: String,
    /// The horizon, in the time column's unit.
    pub horizon: f64,
}

/// Keep only the rows where `column` equals `equals` (e.g. one record type of a long table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowFilter {
    /// The column.
    pub column: String,
    /// The value kept.
    pub equals: String,
}

/// Where the data comes from; shown with every suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Data set name as published.
    pub dataset: String,
    /// Who collected it and how it reached us.
    pub source: String,
    /// Licence or terms.
    pub license: String,
    /// Who the patients were.
    pub population: Text,
    /// Primary references.
    #[serde(default)]
    pub citations: Vec<String>,
}

/// How the held-out test set is formed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    /// A separate test file, relative to the schema file (e.g. the authors' own split).
    #[serde(default)]
    pub test_data: Option<String>,
    /// Otherwise, the stratified fraction held out.
    #[serde(default = "default_test_fraction")]
    pub test_fraction: f64,
    /// Seed for the split and anything else random in training.
    #[serde(default)]
    pub seed: u64,
}

fn default_test_fraction() -> f64 {
    0.25
}

impl Default for Split {
    fn default() -> Self {
        Split {
            test_data: None,
            test_fraction: default_test_fraction(),
            seed: 0,
        }
    }
}

/// A grouping field for subgroup metrics in the model card (e.g. age bands, sex).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subgroup {
    /// The feature column.
    pub column: String,
    /// Numeric features: band boundaries (a band is `[cut_i, cut_{i+1})`). Categorical and
    /// boolean features: leave empty, each level is a group.
    #[serde(default)]
    pub cuts: Vec<f64>,
}

/// A validated schema. Build one with [`Schema::from_toml`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// Short identifier (file stem of the bundle).
    pub id: String,
    /// What this model is for.
    pub title: Text,
    /// Where the data comes from.
    pub provenance: Provenance,
    /// Test split.
    #[serde(default)]
    pub split: Split,
    /// The column to predict.
    pub target: Target,
    /// Input columns, in form order.
    pub features: Vec<Feature>,
    /// Grouping fields for subgroup metrics.
    pub subgroups: Vec<Subgroup>,
    /// For randomized-trial data: the arms whose outcome risk is modelled per arm.
    pub treatment: Option<Treatment>,
    /// Which rows of the CSV are cases (all when absent).
    pub rows: Option<RowFilter>,
    /// What a FHIR import checks about the whole patient.
    pub fhir: Option<FhirPopulation>,
}

impl Schema {
    /// Parse and check a schema file.
    pub fn from_toml(text: &str) -> Result<Schema> {
        let raw: file::RawSchema =
            toml::from_str(text).map_err(|e| Error::Schema(e.to_string()))?;
        let schema = raw.into_schema()?;
        schema.validate()?;
        Ok(schema)
    }

    /// Check everything a TOML parser cannot: unique columns, sane ranges, real classes.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Schema(msg));
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return bad(format!(
                "id `{}` must be non-empty ASCII letters, digits, `_` or `-`",
                self.id
            ));
        }
        if self.features.is_empty() {
            return bad("at least one feature is required".into());
        }
        let mut seen: Vec<&str> = vec![self.target.column.as_str()];
        for f in &self.features {
            if seen.contains(&f.column.as_str()) {
                return bad(format!("column `{}` is listed twice", f.column));
            }
            seen.push(&f.column);
            check_csv_codes(f)?;
            match &f.kind {
                Kind::Numeric {
                    plausible,
                    reference,
                    step,
                    convert,
                    ..
                } => {
                    if !(plausible.min.is_finite()
                        && plausible.max.is_finite()
                        && plausible.min < plausible.max)
                    {
                        return bad(format!(
                            "feature `{}`: plausible range {}–{} must be finite with min < max",
                            f.column, plausible.min, plausible.max
                        ));
                    }
                    if let Some(r) = reference {
                        r.check(&f.column, plausible)?;
                    }
                    if step.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
                        return bad(format!("feature `{}`: step must be positive", f.column));
                    }
                    if let Some(c) = convert {
                        if c.unit.is_empty() || !(c.factor.is_finite() && c.factor > 0.0) {
                            return bad(format!(
                                "feature `{}`: a conversion needs a unit and a positive factor",
                                f.column
                            ));
                        }
                    }
                }
                Kind::Categorical { levels } => {
                    if levels.len() < 2 {
                        return bad(format!(
                            "feature `{}`: a categorical feature needs at least two levels",
                            f.column
                        ));
                    }
                    if has_duplicate_codes(levels) {
                        return bad(format!(
                            "feature `{}`: level codes must be unique",
                            f.column
                        ));
                    }
                }
                Kind::Boolean {
                    false_code,
                    true_code,
                } => {
                    if false_code == true_code {
                        return bad(format!(
                            "feature `{}`: true and false codes must differ",
                            f.column
                        ));
                    }
                }
            }
        }
        let t = &self.target;
        if t.classes.len() < 2 {
            return bad(format!("target `{}` needs at least two classes", t.column));
        }
        if has_duplicate_codes(&t.classes) {
            return bad(format!("target `{}`: class codes must be unique", t.column));
        }
        if !t.classes.iter().any(|c| c.code == t.positive) {
            return bad(format!(
                "target `{}`: positive class `{}` is not one of its classes",
                t.column, t.positive
            ));
        }
        if t.min_auc.is_some_and(|a| !(a > 0.5 && a < 1.0)) {
            return bad(format!(
                "target `{}`: min_auc must lie between 0.5 and 1 (an AUC of 0.5 is chance)",
                t.column
            ));
        }
        for g in &self.subgroups {
            let Some(f) = self.feature(&g.column) else {
                return bad(format!("subgroup column `{}` is not a feature", g.column));
            };
            let numeric = matches!(f.kind, Kind::Numeric { .. });
            if numeric
                && (g.cuts.is_empty()
                    || g.cuts
                        .iter()
                        .zip(g.cuts.iter().skip(1))
                        .any(|(a, b)| a >= b))
            {
                return bad(format!(
                    "subgroup `{}`: a numeric grouping needs increasing `cuts`",
                    g.column
                ));
            }
            if !numeric && !g.cuts.is_empty() {
                return bad(format!(
                    "subgroup `{}`: `cuts` apply only to numeric features",
                    g.column
                ));
            }
        }
        if let Some(d) = &self.target.derive {
            if self.target.classes.len() != 2 || !(d.horizon.is_finite() && d.horizon > 0.0) {
                return bad(format!(
                    "target `{}`: a derived event target needs two classes and a positive horizon",
                    self.target.column
                ));
            }
            let features = seen.get(1..).unwrap_or_default();
            if features.contains(&d.time.as_str()) || features.contains(&d.status.as_str()) {
                return bad(format!(
                    "target `{}`: its time and status columns cannot be features",
                    self.target.column
                ));
            }
        }
        if let Some(t) = &self.treatment {
            if seen.contains(&t.column.as_str()) {
                return bad(format!(
                    "treatment column `{}` cannot also be a feature or the target",
                    t.column
                ));
            }
            if t.arms.len() < 2 || has_duplicate_codes(&t.arms) {
                return bad(format!(
                    "treatment `{}` needs at least two arms with unique codes",
                    t.column
                ));
            }
            if !t.arms.iter().any(|a| a.code == t.control) {
                return bad(format!(
                    "treatment `{}`: control arm `{}` is not one of its arms",
                    t.column, t.control
                ));
            }
            if !(20..=2000).contains(&t.bootstrap) {
                return bad(format!(
                    "treatment `{}`: bootstrap {} must be between 20 and 2000",
                    t.column, t.bootstrap
                ));
            }
        }
        if !(self.split.test_fraction > 0.0 && self.split.test_fraction < 1.0) {
            return bad(format!(
                "split: test_fraction {} must lie strictly between 0 and 1",
                self.split.test_fraction
            ));
        }
        Ok(())
    }

    /// The feature with this column name.
    pub fn feature(&self, column: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.column == column)
    }

    /// Comma-separated list of feature columns (for error messages).
    pub fn columns_list(&self) -> String {
        self.features
            .iter()
            .map(|f| f.column.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Index of the numeric feature `column`, if there is one.
    pub fn feature_index(&self, column: &str) -> Option<usize> {
        self.features.iter().position(|f| f.column == column)
    }

    /// Index of the positive class in `target.classes`.
    pub fn positive_index(&self) -> usize {
        self.target
            .classes
            .iter()
            .position(|c| c.code == self.target.positive)
            .unwrap_or(0)
    }
}

/// The schema file's own shape: flat, forgiving defaults, strict about unknown keys. Converted
/// into [`Schema`] (whose enums are plain so the compact bundle codec can carry them).
mod file {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct RawSchema {
        id: String,
        title: Text,
        provenance: Provenance,
        #[serde(default)]
        split: Split,
        target: Target,
        features: Vec<RawFeature>,
        #[serde(default)]
        subgroups: Vec<Subgroup>,
        #[serde(default)]
        treatment: Option<Treatment>,
        #[serde(default)]
        rows: Option<RowFilter>,
        #[serde(default)]
        fhir: Option<FhirPopulation>,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawFeature {
        column: String,
        label: Text,
        kind: String,
        #[serde(default)]
        missing: Missing,
        #[serde(default)]
        missing_codes: Vec<String>,
        #[serde(default)]
        blank: Option<String>,
        #[serde(default)]
        modifiable: bool,
        #[serde(default)]
        treatment_target: bool,
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        plausible: Option<Plausible>,
        #[serde(default)]
        reference: Option<Reference>,
        #[serde(default)]
        step: Option<f64>,
        #[serde(default)]
        integer: Option<bool>,
        #[serde(default)]
        convert: Option<Convert>,
        #[serde(default)]
        levels: Option<Vec<Level>>,
        #[serde(default)]
        false_code: Option<String>,
        #[serde(default)]
        true_code: Option<String>,
        #[serde(default)]
        fhir: Option<RawFhir>,
    }

    /// [`FhirSource`] as written in a schema file (`gender` as a table).
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawFhir {
        #[serde(default)]
        loinc: Vec<String>,
        #[serde(default)]
        ucum: Option<String>,
        #[serde(default)]
        birth_date: bool,
        #[serde(default)]
        gender: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        not: Vec<NotSame>,
        #[serde(default)]
        max_age_days: Option<u32>,
        #[serde(default)]
        record: Vec<crate::contract::codes::RecordCodes>,
        #[serde(default)]
        coded: Option<CodedAnswer>,
    }

    impl From<RawFhir> for FhirSource {
        fn from(r: RawFhir) -> FhirSource {
            FhirSource {
                loinc: r.loinc,
                ucum: r.ucum,
                birth_date: r.birth_date,
                gender: r.gender.into_iter().collect(),
                not: r.not,
                max_age_days: r.max_age_days,
                record: r.record,
                coded: r.coded,
            }
        }
    }

    impl RawSchema {
        pub(super) fn into_schema(self) -> Result<Schema> {
            let features = self
                .features
                .into_iter()
                .map(RawFeature::into_feature)
                .collect::<Result<_>>()?;
            Ok(Schema {
                id: self.id,
                title: self.title,
                provenance: self.provenance,
                split: self.split,
                target: self.target,
                features,
                subgroups: self.subgroups,
                treatment: self.treatment,
                rows: self.rows,
                fhir: self.fhir,
            })
        }
    }

    impl RawFeature {
        fn into_feature(self) -> Result<Feature> {
            let col = &self.column;
            let unexpected = |key: &str, kind: &str| {
                Err(Error::Schema(format!(
                    "feature `{col}`: `{key}` does not apply to a {kind} feature"
                )))
            };
            let kind = match self.kind.as_str() {
                "numeric" => {
                    if self.levels.is_some() {
                        return unexpected("levels", "numeric");
                    }
                    if self.false_code.is_some() || self.true_code.is_some() {
                        return unexpected("true_code/false_code", "numeric");
                    }
                    let plausible = self.plausible.ok_or_else(|| {
                        Error::Schema(format!(
                            "feature `{col}`: a numeric feature needs `plausible = {{ min, max }}`"
                        ))
                    })?;
                    Kind::Numeric {
                        unit: self.unit.unwrap_or_default(),
                        plausible,
                        reference: self.reference,
                        step: self.step,
                        integer: self.integer.unwrap_or(false),
                        convert: self.convert,
                    }
                }
                "categorical" | "boolean" => {
                    for (key, present) in [
                        ("unit", self.unit.is_some()),
                        ("plausible", self.plausible.is_some()),
                        ("reference", self.reference.is_some()),
                        ("step", self.step.is_some()),
                        ("integer", self.integer.is_some()),
                        ("convert", self.convert.is_some()),
                    ] {
                        if present {
                            return unexpected(key, &self.kind);
                        }
                    }
                    if self.kind == "categorical" {
                        let levels = self.levels.ok_or_else(|| {
                            Error::Schema(format!(
                                "feature `{col}`: a categorical feature needs `levels`"
                            ))
                        })?;
                        Kind::Categorical { levels }
                    } else {
                        if self.levels.is_some() {
                            return unexpected("levels", "boolean");
                        }
                        Kind::Boolean {
                            false_code: self.false_code.unwrap_or_else(|| "0".into()),
                            true_code: self.true_code.unwrap_or_else(|| "1".into()),
                        }
                    }
                }
                other => {
                    return Err(Error::Schema(format!(
                    "feature `{col}`: kind `{other}` is not one of numeric, categorical, boolean"
                )))
                }
            };
            let fhir = self.fhir.map(FhirSource::from);
            if let Some(fhir) = &fhir {
                check_fhir(col, &kind, fhir)?;
            }
            Ok(Feature {
                column: self.column,
                label: self.label,
                kind,
                missing: self.missing,
                missing_codes: self.missing_codes,
                blank: self.blank,
                // A treatment target is modifiable by definition.
                modifiable: self.modifiable || self.treatment_target,
                treatment_target: self.treatment_target,
                fhir,
            })
        }
    }
}

/// A feature's FHIR source must fit its kind: LOINC codes with their UCUM unit on numeric
/// features, a birth date only for a numeric age, gender codes that the feature accepts.
fn check_fhir(col: &str, kind: &Kind, fhir: &FhirSource) -> Result<()> {
    let bad = |why: &str| Err(Error::Schema(format!("feature `{col}`: fhir: {why}")));
    let numeric = matches!(kind, Kind::Numeric { .. });
    if !fhir.loinc.is_empty() && (!numeric || fhir.ucum.is_none()) {
        return bad("`loinc` codes need a numeric feature and its `ucum` unit");
    }
    if fhir.birth_date && !numeric {
        return bad("`birth_date` gives an age, which must be numeric");
    }
    for (_, code) in &fhir.gender {
        let known = match kind {
            Kind::Categorical { levels } => levels.iter().any(|l| &l.code == code),
            Kind::Boolean { .. } => code == "true" || code == "false",
            Kind::Numeric { .. } => false,
        };
        if !known {
            return bad(&format!(
                "`gender` maps to `{code}`, which this feature does not accept"
            ));
        }
    }
    if fhir.not.iter().any(|n| fhir.loinc.contains(&n.loinc)) {
        return bad("a code is both mapped and listed under `not`");
    }
    let boolean = matches!(kind, Kind::Boolean { .. });
    if (!fhir.record.is_empty() || fhir.coded.is_some()) && !boolean {
        return bad("`record` and `coded` answer a yes/no feature; this one is not yes/no");
    }
    for r in &fhir.record {
        r.check(col)
            .map_err(|m| Error::Schema(format!("feature `{col}`: fhir: {m}")))?;
    }
    if let Some(c) = &fhir.coded {
        if c.loinc.trim().is_empty() || c.yes.is_empty() || c.no.is_empty() {
            return bad("`coded` needs a LOINC code and at least one `yes` and one `no` code");
        }
        if c.yes.iter().any(|y| c.no.contains(y)) {
            return bad("`coded`: a code is listed both as yes and as no");
        }
    }
    // An age limit only means something for an observation: the age and the gender come from
    // the Patient, which has no date of measurement.
    match fhir.max_age_days {
        Some(_) if fhir.loinc.is_empty() && fhir.coded.is_none() => {
            return bad("`max_age_days` applies only to observations (`loinc` codes)")
        }
        Some(0) => return bad("`max_age_days` must be at least 1 (day)"),
        _ => {}
    }
    Ok(())
}

/// A feature's CSV-only codes must read one way: a missing code that is also one of its
/// answers would make that answer unreadable, and a blank can only stand for a level the
/// feature has.
fn check_csv_codes(f: &Feature) -> Result<()> {
    let bad = |why: String| Err(Error::Schema(format!("feature `{}`: {why}", f.column)));
    let answers: Vec<&str> = match &f.kind {
        Kind::Categorical { levels } => levels.iter().map(|l| l.code.as_str()).collect(),
        Kind::Boolean {
            false_code,
            true_code,
        } => vec![false_code, true_code],
        Kind::Numeric { .. } => Vec::new(),
    };
    for code in &f.missing_codes {
        if code.trim().is_empty() || code.trim() != code {
            return bad(format!(
                "missing code `{code}` must be text without spaces around it (cells are trimmed, and a blank cell is missing anyway)"
            ));
        }
        if answers.contains(&code.as_str()) {
            return bad(format!(
                "`{code}` is both in `missing_codes` and one of its codes ({}); a cell can mean only one of them",
                answers.join(", ")
            ));
        }
    }
    match (&f.blank, &f.kind) {
        (None, _) => Ok(()),
        (Some(code), Kind::Categorical { levels }) if levels.iter().any(|l| &l.code == code) => {
            Ok(())
        }
        (Some(code), Kind::Categorical { levels }) => bad(format!(
            "`blank = \"{code}\"` must be one of its levels ({})",
            codes(levels)
        )),
        (Some(_), _) => bad(
            "`blank` applies only to a categorical feature (a blank cell then stands for one of its levels)"
                .into(),
        ),
    }
}

/// The codes of `levels`, comma-separated (what error messages list as accepted).
pub fn codes(levels: &[Level]) -> String {
    levels
        .iter()
        .map(|l| l.code.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn has_duplicate_codes(levels: &[Level]) -> bool {
    levels
        .iter()
        .enumerate()
        .any(|(i, l)| levels.iter().take(i).any(|m| m.code == l.code))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A shipped schema, `data/<id>.schema.toml`.
    pub(crate) fn shipped(id: &str) -> Schema {
        let path = format!("{}/data/{id}.schema.toml", env!("CARGO_MANIFEST_DIR"));
        Schema::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// What every synthetic test schema starts with: its id, provenance and a binary `dx`
    /// target (no / yes); the test adds its features (and any treatment).
    pub(crate) fn head(id: &str) -> String {
        format!(
            r#"id = "{id}"
title = {{ en = "{id}", zh = "{id}" }}
[provenance]
dataset = "synthetic"
source = "unit tests"
license = "CC0"
population = {{ en = "none", zh = "无" }}
[target]
column = "dx"
label = {{ en = "Diagnosis", zh = "诊断" }}
positive = "yes"
classes = [
  {{ code = "no", label = {{ en = "No", zh = "否" }} }},
  {{ code = "yes", label = {{ en = "Yes", zh = "是" }} }},
]
"#
        )
    }

    /// A small schema exercising every kind, shared by the library's unit tests.
    pub(crate) const SAMPLE: &str = r#"
id = "sample"
title = { en = "Sample", zh = "示例" }

[provenance]
dataset = "synthetic"
source = "unit tests"
license = "CC0"
population = { en = "none", zh = "无" }

[target]
column = "dx"
label = { en = "Diagnosis", zh = "诊断" }
positive = "yes"
classes = [
  { code = "no", label = { en = "No", zh = "否" } },
  { code = "yes", label = { en = "Yes", zh = "是" } },
]

[[features]]
column = "glu"
label = { en = "Glucose", zh = "血糖" }
kind = "numeric"
unit = "mg/dL"
plausible = { min = 20, max = 600 }
reference = { max = 139, source = "ADA 2024" }
missing = "impute"
modifiable = true

[[features]]
column = "smoker"
label = { en = "Smoker", zh = "吸烟" }
kind = "boolean"

[[features]]
column = "sex"
label = { en = "Sex", zh = "性别" }
kind = "categorical"
levels = [
  { code = "f", label = { en = "Female", zh = "女" } },
  { code = "m", label = { en = "Male", zh = "男" } },
]
missing = "impute"

[[subgroups]]
column = "sex"

[[subgroups]]
column = "glu"
cuts = [20, 140, 200]
"#;

    #[test]
    fn parses_every_kind() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        assert_eq!(s.features.len(), 3);
        assert!(matches!(s.features[0].kind, Kind::Numeric { .. }));
        assert!(matches!(s.features[1].kind, Kind::Boolean { .. }));
        assert_eq!(s.features[1].missing, Missing::Reject);
        assert_eq!(s.positive_index(), 1);
        assert_eq!(s.features[0].unit(), "mg/dL");
    }

    #[test]
    fn rejects_duplicate_columns() {
        let text = SAMPLE.replace("column = \"smoker\"", "column = \"glu\"");
        let err = Schema::from_toml(&text).unwrap_err();
        assert_eq!(err, Error::Schema("column `glu` is listed twice".into()));
    }

    #[test]
    fn rejects_inverted_range() {
        let text = SAMPLE.replace("min = 20, max = 600", "min = 600, max = 20");
        assert!(Schema::from_toml(&text)
            .unwrap_err()
            .to_string()
            .contains("min < max"));
    }

    #[test]
    fn rejects_reference_outside_plausible() {
        let text = SAMPLE.replace("max = 139,", "max = 900,");
        assert!(Schema::from_toml(&text)
            .unwrap_err()
            .to_string()
            .contains("reference range"));
        let text = SAMPLE.replace("max = 139,", "below = 900,");
        let err = Schema::from_toml(&text).unwrap_err().to_string();
        assert!(
            err.contains("bound 900 must lie within the plausible range 20–600"),
            "{err}"
        );
    }

    /// The reference line of [`SAMPLE`] with other bounds.
    fn sample_with_reference(bounds: &str) -> Result<Schema> {
        Schema::from_toml(&SAMPLE.replace("max = 139,", &format!("{bounds},")))
    }

    #[test]
    fn a_reference_range_takes_each_bound_inclusive_or_exclusive_as_written() {
        let interval = |bounds: &str| {
            let s = sample_with_reference(bounds).unwrap();
            let Kind::Numeric {
                reference: Some(r), ..
            } = &s.features[0].kind
            else {
                panic!("glu has a reference range")
            };
            r.interval()
        };
        let below = interval("below = 140");
        assert_eq!((below.max, below.max_open), (Some(140.0), true));
        assert!(below.contains(139.5) && !below.contains(140.0));
        let half_open = interval("min = 70, below = 140");
        assert_eq!(
            half_open,
            Interval {
                max_open: true,
                ..Interval::closed(70.0, 140.0)
            }
        );
        assert!(half_open.contains(70.0) && half_open.contains(139.95));
        assert!(!half_open.contains(140.0) && !half_open.contains(69.9));
        let above = interval("above = 30, max = 40");
        assert!(!above.contains(30.0) && above.contains(30.5) && above.contains(40.0));
    }

    #[test]
    fn a_reference_range_with_two_bounds_on_one_side_is_refused_saying_what_is_accepted() {
        let err = sample_with_reference("min = 70, above = 60")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "schema: feature `glu`: the reference range gives two lower bounds, `min = 70` and \
             `above = 60`; give one: `min` (≥, inclusive) or `above` (>, exclusive)"
        );
        let err = sample_with_reference("max = 139, below = 140")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("two upper bounds")
                && err.contains("`max` (≤, inclusive) or `below` (<, exclusive)"),
            "{err}"
        );
    }

    #[test]
    fn a_reference_range_that_is_empty_or_unbounded_is_refused() {
        for bounds in [
            "min = 25, below = 25",
            "above = 30, max = 20",
            "min = 80, max = 80",
        ] {
            let err = sample_with_reference(bounds).unwrap_err().to_string();
            assert!(
                err.contains("lower bound") && err.contains("must be below its upper bound"),
                "{bounds}: {err}"
            );
        }
        let err = Schema::from_toml(&SAMPLE.replace("max = 139, ", ""))
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a bound: `min` (≥), `above` (>), `max` (≤) or `below` (<)"));
    }

    #[test]
    fn the_second_unit_keeps_each_bound_kind() {
        // pima: glucose normal < 140 mg/dL; × 0.0555 is < 7.77 mmol/L (the ADA's "< 7.8"
        // rounded further), still strict.
        let pima = shipped("pima");
        let glu = pima
            .feature("glu")
            .and_then(Feature::in_second_unit)
            .unwrap();
        let Kind::Numeric {
            reference: Some(r), ..
        } = &glu.kind
        else {
            panic!("glucose has a normal range")
        };
        assert_eq!(
            (r.min, r.max, r.above, r.below),
            (None, None, None, Some(7.77))
        );
        assert!(r.interval().is_above(7.77) && !r.interval().is_above(7.7699));
    }

    #[test]
    fn rejects_unknown_positive_class_and_unknown_keys() {
        let text = SAMPLE.replace("positive = \"yes\"", "positive = \"maybe\"");
        assert!(Schema::from_toml(&text)
            .unwrap_err()
            .to_string()
            .contains("maybe"));
        let text = SAMPLE.replace("modifiable = true", "colour = 1");
        assert!(matches!(Schema::from_toml(&text), Err(Error::Schema(_))));
    }

    #[test]
    fn subgroups_are_checked() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        assert_eq!(s.subgroups.len(), 2);
        assert!(s.features[0].modifiable && !s.features[1].modifiable);
        let text = SAMPLE.replace("cuts = [20, 140, 200]", "cuts = [200, 140]");
        assert!(Schema::from_toml(&text)
            .unwrap_err()
            .to_string()
            .contains("increasing"));
        let text = SAMPLE.replace(
            "column = \"sex\"\n\n[[subgroups]]",
            "column = \"bmi\"\n\n[[subgroups]]",
        );
        assert!(Schema::from_toml(&text)
            .unwrap_err()
            .to_string()
            .contains("`bmi` is not a feature"));
    }

    #[test]
    fn rejects_keys_that_do_not_fit_the_kind() {
        let text = SAMPLE.replace("kind = \"boolean\"", "kind = \"boolean\"\nunit = \"kg\"");
        let err = Schema::from_toml(&text).unwrap_err().to_string();
        assert!(
            err.contains("`unit` does not apply to a boolean feature"),
            "{err}"
        );
        let text = SAMPLE.replace("kind = \"boolean\"", "kind = \"ordinal\"");
        assert!(Schema::from_toml(&text)
            .unwrap_err()
            .to_string()
            .contains("kind `ordinal`"));
    }

    #[test]
    fn interval_bounds_are_inclusive_unless_marked_open_and_optional() {
        let i = Interval {
            max: Some(139.0),
            ..Interval::default()
        };
        assert!(i.contains(139.0));
        assert!(!i.contains(139.5) && i.is_above(139.5));
        assert!(i.contains(-1e9) && !i.is_below(-1e9));
        let open = Interval {
            min_open: true,
            max_open: true,
            ..Interval::closed(1.0, 2.0)
        };
        assert!(!open.contains(1.0) && open.is_below(1.0));
        assert!(!open.contains(2.0) && open.is_above(2.0));
        assert!(open.contains(1.5));
        assert!(!open.contains(f64::NAN) && !open.is_below(f64::NAN) && !open.is_above(f64::NAN));
    }

    #[test]
    fn missing_codes_and_a_blank_level_are_read_from_the_file_and_checked() {
        let s = Schema::from_toml(&SAMPLE.replace(
            "{ code = \"m\", label = { en = \"Male\", zh = \"男\" } },\n]",
            "{ code = \"m\", label = { en = \"Male\", zh = \"男\" } },\n]\nblank = \"f\"\nmissing_codes = [\"?\", \"-9\"]",
        ))
        .unwrap();
        let sex = s.feature("sex").unwrap();
        assert_eq!(sex.blank.as_deref(), Some("f"));
        assert_eq!(sex.missing_codes, vec!["?", "-9"]);
        // Both default to nothing.
        let glu = s.feature("glu").unwrap();
        assert!(glu.missing_codes.is_empty() && glu.blank.is_none());

        let err = |from: &str, to: &str| {
            let text = SAMPLE.replace(from, to);
            assert_ne!(text, SAMPLE, "{from}");
            Schema::from_toml(&text).unwrap_err().to_string()
        };
        let e = err(
            "missing = \"impute\"\n\n[[subgroups]]",
            "blank = \"x\"\n\n[[subgroups]]",
        );
        assert_eq!(
            e,
            "schema: feature `sex`: `blank = \"x\"` must be one of its levels (f, m)"
        );
        let e = err("kind = \"boolean\"", "kind = \"boolean\"\nblank = \"0\"");
        assert!(
            e.contains("feature `smoker`: `blank` applies only to a categorical feature"),
            "{e}"
        );
        let e = err(
            "kind = \"boolean\"",
            "kind = \"boolean\"\nmissing_codes = [\"1\"]",
        );
        assert!(
            e.contains(
                "feature `smoker`: `1` is both in `missing_codes` and one of its codes (0, 1)"
            ),
            "{e}"
        );
        let e = err(
            "missing = \"impute\"\n\n[[subgroups]]",
            "missing_codes = [\"m\"]\n\n[[subgroups]]",
        );
        assert!(e.contains("`m` is both in `missing_codes`"), "{e}");
        let e = err("modifiable = true", "missing_codes = [\" ? \"]");
        assert!(
            e.contains("feature `glu`: missing code ` ? ` must be text without spaces"),
            "{e}"
        );
    }

    #[test]
    fn closed_intervals_read_from_json_without_the_open_flags() {
        let i: Interval = serde_json::from_str(r#"{"min": 100, "max": 180}"#).unwrap();
        assert_eq!(i, Interval::closed(100.0, 180.0));
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, decode_unit_enum, Decode, Reader};
    decode_struct!(Text { en, zh });
    decode_struct!(Schema {
        id,
        title,
        provenance,
        split,
        target,
        features,
        subgroups,
        treatment,
        rows,
        fhir
    });
    decode_struct!(Provenance {
        dataset,
        source,
        license,
        population,
        citations
    });
    decode_struct!(Split {
        test_data,
        test_fraction,
        seed
    });
    decode_struct!(Target {
        column,
        label,
        classes,
        positive,
        derive,
        purpose,
        min_auc
    });
    decode_struct!(EventBy {
        time,
        status,
        event,
        horizon
    });
    decode_unit_enum!(Purpose {
        Diagnostic,
        Prognostic
    });
    decode_unit_enum!(Missing { Reject, Impute });
    decode_struct!(Feature {
        column,
        label,
        kind,
        missing,
        missing_codes,
        blank,
        modifiable,
        treatment_target,
        fhir
    });
    decode_struct!(Plausible { min, max });
    decode_struct!(Reference {
        min,
        max,
        above,
        below,
        source
    });
    decode_struct!(Convert { unit, factor });
    decode_struct!(Level { code, label });
    decode_struct!(FhirSource {
        loinc,
        ucum,
        birth_date,
        gender,
        not,
        max_age_days,
        record,
        coded
    });
    decode_struct!(NotSame { loinc, why });
    decode_struct!(CodedAnswer {
        loinc,
        system,
        yes,
        no
    });
    decode_struct!(FhirPopulation { gender });
    decode_struct!(Subgroup { column, cuts });
    decode_struct!(Treatment {
        column,
        label,
        arms,
        control,
        trial,
        caveats,
        bootstrap
    });
    decode_struct!(RowFilter { column, equals });
    impl Decode for Kind {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Kind::Numeric {
                    unit: decode(r),
                    plausible: decode(r),
                    reference: decode(r),
                    step: decode(r),
                    integer: decode(r),
                    convert: decode(r),
                },
                1 => Kind::Categorical { levels: decode(r) },
                2 => Kind::Boolean {
                    false_code: decode(r),
                    true_code: decode(r),
                },
                _ => r.bad_variant(Kind::Categorical { levels: Vec::new() }),
            }
        }
    }
}
