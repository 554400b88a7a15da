//! Published risk equations as a model family: the coefficients *are* the fitted model,
//! estimated offline by the equation's authors on their cohorts.
//!
//! An equation file (`data/<id>.equation.toml`) sits beside the schema and states, with the
//! table each number comes from:
//!
//! * **transforms** of the inputs: a weighted sum of schema features (a unit conversion is a
//!   weight, taken from the schema's declared conversion so the two cannot disagree), clamped
//!   from above or below (the pieces of a linear spline), optionally logged, then centred and
//!   scaled;
//! * **equations** (strata), each chosen by categorical or yes/no inputs (sex, race) and each a
//!   linear predictor `intercept + Σ coef · Π transforms`: products of two or three transforms
//!   are the published interaction terms;
//! * the **link**: logistic, `σ(lp)` (PREVENT), or proportional hazards at a stated horizon,
//!   `1 − S₀^exp(lp − mean)` (the Pooled Cohort Equations);
//! * each input's **valid range** from the paper, and whether a value outside it is refused
//!   (the schema's plausible range is then the valid range) or flagged.
//!
//! [`Equation::from_toml`] checks the file against the schema (every input known, every unit
//! one the schema converts to, every range given, logs only of positive values) and resolves
//! names to the preprocessed input columns, so the bundle carries plain numbers and the
//! browser a few loops of arithmetic.
//!
//! The explanation is exact: the linear predictor is a sum of terms, so the Shapley values of
//! the game "patient's inputs against the reference patient's" split term by term. A main
//! effect belongs to its one input; an interaction term is shared among its inputs by its own
//! exact Shapley split (every coalition of the term's inputs, at most [`MAX_TERM_INPUTS`]).
//! The contributions add up to `lp(patient) − lp(reference)` exactly (to rounding), with the
//! reference evaluated in the patient's own stratum: sex and race choose the equation, they are
//! not effects within it.

// Columns, transforms and strata are indexed by numbers `Equation::check` verified against the
// input width when the bundle was loaded.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use crate::contract::schema::{Kind, Schema, Text};
use crate::error::{Error, Result};
use crate::model::preprocess::Preprocessor;

/// Most distinct inputs one term may involve: its exact Shapley split enumerates 2^n
/// coalitions, and no published equation multiplies more than three.
pub const MAX_TERM_INPUTS: usize = 4;

/// Most transforms, strata and terms a bundle may carry (a bound on a hostile file's cost).
const MAX_PARTS: usize = 256;

/// How the linear predictor becomes a risk.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Link {
    /// `σ(lp)`.
    Logistic,
    /// `1 − S₀^exp(lp − mean)`, with each stratum's baseline survival and mean at the horizon.
    Hazard {
        /// Years at which `S₀` is stated.
        horizon_years: f64,
    },
}

/// One input transform, on the preprocessed columns (raw values in the schema's unit: the
/// preprocessor of an equation bundle neither centres nor scales).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    /// Name in the equation file (shown in the model card).
    pub id: String,
    /// `(column, weight)`: the transform starts from `Σ weight · x[column]`.
    pub inputs: Vec<(u32, f64)>,
    /// `min(v, at_most)` (the lower piece of a spline).
    pub at_most: Option<f64>,
    /// `max(v, at_least)` (the upper piece of a spline).
    pub at_least: Option<f64>,
    /// Natural logarithm after clamping.
    pub log: bool,
    /// Subtracted after the logarithm.
    pub centre: f64,
    /// Divided by last (non-zero; negative reverses the direction, as PREVENT's eGFR).
    pub scale: f64,
}

impl Transform {
    /// The transform's value for input `x`.
    pub fn value(&self, x: &[f64]) -> f64 {
        let mut v: f64 = self
            .inputs
            .iter()
            .map(|&(c, w)| w * x.get(c as usize).copied().unwrap_or(f64::NAN))
            .sum();
        if let Some(hi) = self.at_most {
            v = v.min(hi);
        }
        if let Some(lo) = self.at_least {
            v = v.max(lo);
        }
        if self.log {
            v = v.ln();
        }
        (v - self.centre) / self.scale
    }
}

/// One term of the linear predictor: `coef · Π transforms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// The published coefficient.
    pub coef: f64,
    /// Transform indices multiplied together (one: a main effect; more: an interaction).
    pub of: Vec<u32>,
}

/// One published equation, chosen by its conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stratum {
    /// In words, as the paper names it ("Women", "African American men").
    pub label: String,
    /// Where its coefficients are printed (table and column).
    pub source: String,
    /// All groups must hold; a group holds when any `(column, value)` in it matches.
    pub when: Vec<Vec<(u32, f64)>>,
    /// The constant.
    pub intercept: f64,
    /// Proportional hazards: baseline survival at the horizon and the mean linear predictor.
    pub hazard: Option<(f64, f64)>,
    /// The terms.
    pub terms: Vec<Term>,
}

impl Stratum {
    fn matches(&self, x: &[f64]) -> bool {
        self.when.iter().all(|any| {
            any.iter()
                .any(|&(c, v)| x.get(c as usize).is_some_and(|&xv| xv == v))
        })
    }
}

/// An input's valid range as the paper states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Valid {
    /// Schema feature index.
    pub feature: u32,
    /// Smallest valid value (schema unit).
    pub min: f64,
    /// Largest valid value (a value outside the range is refused: the schema's plausible range
    /// lies within it).
    pub max: f64,
    /// The paper's words or where the range is stated.
    pub source: String,
}

/// A published equation resolved against its schema and preprocessed columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Equation {
    /// The citation of the paper and the table.
    pub citation: String,
    /// Logistic or proportional hazards.
    pub link: Link,
    /// Shared transforms.
    pub transforms: Vec<Transform>,
    /// The equations, first match wins.
    pub strata: Vec<Stratum>,
    /// Each input's valid range.
    pub valid: Vec<Valid>,
}

/// The linear predictor of one patient, with the equation used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    /// Index of the stratum used.
    pub stratum: usize,
    /// `intercept + Σ terms`.
    pub lp: f64,
}

impl Equation {
    /// The stratum whose conditions `x` meets.
    pub fn stratum(&self, x: &[f64]) -> Option<usize> {
        self.strata.iter().position(|s| s.matches(x))
    }

    fn term(&self, t: &Term, x: &[f64]) -> f64 {
        t.of.iter()
            .fold(t.coef, |acc, &i| acc * self.transforms[i as usize].value(x))
    }

    /// The linear predictor; `None` when no equation covers the patient.
    pub fn linear(&self, x: &[f64]) -> Option<Linear> {
        let stratum = self.stratum(x)?;
        let s = &self.strata[stratum];
        let lp = s.intercept + s.terms.iter().map(|t| self.term(t, x)).sum::<f64>();
        Some(Linear { stratum, lp })
    }

    /// The risk for a linear predictor in `stratum`.
    pub fn risk(&self, stratum: usize, lp: f64) -> f64 {
        match (self.link, self.strata.get(stratum).and_then(|s| s.hazard)) {
            (Link::Hazard { .. }, Some((s0, mean))) => 1.0 - s0.powf((lp - mean).exp()),
            _ => 1.0 / (1.0 + (-lp).exp()),
        }
    }

    /// `[1 − risk, risk]`; NaN for a patient no equation covers (none: every combination of
    /// the choosing inputs is covered, checked when the file is read and when a bundle loads).
    pub fn predict_proba(&self, x: &[f64]) -> Vec<f64> {
        match self.linear(x) {
            Some(l) => {
                let p = self.risk(l.stratum, l.lp);
                vec![1.0 - p, p]
            }
            None => vec![f64::NAN, f64::NAN],
        }
    }

    /// The columns term `t` reads, each once, in first-use order.
    fn players(&self, t: &Term) -> Vec<usize> {
        let mut cols: Vec<usize> = Vec::new();
        for &i in &t.of {
            for &(c, _) in &self.transforms[i as usize].inputs {
                if !cols.contains(&(c as usize)) {
                    cols.push(c as usize);
                }
            }
        }
        cols
    }

    /// Exact Shapley contributions per input column to `lp(x) − lp(reference)`, the reference
    /// taken in `x`'s stratum (its other columns from `reference`). `None` when no equation
    /// covers `x`. Returns the per-column contributions and `lp(reference)`.
    pub fn shapley(&self, x: &[f64], reference: &[f64]) -> Option<(Vec<f64>, Linear)> {
        let stratum = self.stratum(x)?;
        let s = &self.strata[stratum];
        // Every column a term reads must be in both inputs (a caller with shorter slices than
        // the checked width gets no explanation rather than a panic).
        let width = x.len().min(reference.len());
        if s.terms
            .iter()
            .flat_map(|t| self.players(t))
            .any(|c| c >= width)
        {
            return None;
        }
        let mut phi = vec![0.0; x.len()];
        let mut lp_ref = s.intercept;
        let mut z = reference.to_vec();
        for t in &s.terms {
            let players = self.players(t);
            let n = players.len();
            // z = reference with the coalition's columns from x.
            let value = |mask: usize, z: &mut Vec<f64>| {
                for (k, &c) in players.iter().enumerate() {
                    z[c] = if mask & (1 << k) != 0 {
                        x[c]
                    } else {
                        reference[c]
                    };
                }
                self.term(t, z)
            };
            let values: Vec<f64> = (0..1usize << n).map(|m| value(m, &mut z)).collect();
            lp_ref += values[0];
            // Shapley weight |S|!(n−|S|−1)!/n! for a coalition of size |S| without player k.
            let fact = |k: usize| (1..=k).product::<usize>() as f64;
            for (k, &c) in players.iter().enumerate() {
                let mut sum = 0.0;
                for mask in 0..1usize << n {
                    if mask & (1 << k) != 0 {
                        continue;
                    }
                    let size = mask.count_ones() as usize;
                    let w = fact(size) * fact(n - size - 1) / fact(n);
                    sum += w * (values[mask | (1 << k)] - values[mask]);
                }
                phi[c] += sum;
            }
            // Restore the columns this term touched.
            for &c in &players {
                z[c] = reference[c];
            }
        }
        Some((
            phi,
            Linear {
                stratum,
                lp: lp_ref,
            },
        ))
    }

    /// Check every index and number against `width` inputs, so inference never reads out of
    /// bounds on a hand-made or damaged bundle. Returns what is wrong, in words.
    pub fn check(&self, width: usize) -> std::result::Result<(), String> {
        let finite = |v: f64| v.is_finite();
        if self.strata.is_empty() {
            return Err("it has no equations; accepted: at least one".into());
        }
        if self.transforms.len() > MAX_PARTS || self.strata.len() > MAX_PARTS {
            return Err(format!("more than {MAX_PARTS} transforms or equations"));
        }
        if let Link::Hazard { horizon_years } = self.link {
            if !(horizon_years.is_finite() && horizon_years > 0.0) {
                return Err("the horizon is not a positive number of years".into());
            }
        }
        for t in &self.transforms {
            if t.inputs.is_empty()
                || t.inputs
                    .iter()
                    .any(|&(c, w)| c as usize >= width || !finite(w))
                || !finite(t.centre)
                || !finite(t.scale)
                || t.scale == 0.0
                || t.at_most.is_some_and(|v| !finite(v))
                || t.at_least.is_some_and(|v| !finite(v))
            {
                return Err(format!(
                    "transform `{}` reads an input that does not exist or has a number that is \
                     not finite (or a scale of 0)",
                    t.id
                ));
            }
        }
        for s in &self.strata {
            if s.terms.len() > MAX_PARTS
                || !finite(s.intercept)
                || s.when
                    .iter()
                    .flatten()
                    .any(|&(c, v)| c as usize >= width || !finite(v))
            {
                return Err(format!(
                    "equation `{}` has more than {MAX_PARTS} terms, an intercept that is not \
                     finite or a condition on an input that does not exist",
                    s.label
                ));
            }
            match (self.link, s.hazard) {
                (Link::Hazard { .. }, Some((s0, mean))) if s0 > 0.0 && s0 < 1.0 && finite(mean) => {
                }
                (Link::Logistic, None) => {}
                _ => {
                    return Err(format!(
                        "equation `{}`: a proportional-hazards link needs a baseline survival \
                         between 0 and 1 and a finite mean, and a logistic one neither",
                        s.label
                    ))
                }
            }
            for t in &s.terms {
                if t.of.is_empty()
                    || !finite(t.coef)
                    || t.of.iter().any(|&i| i as usize >= self.transforms.len())
                {
                    return Err(format!(
                        "equation `{}` has a term without transforms, with a coefficient that \
                         is not finite, or naming a transform that does not exist",
                        s.label
                    ));
                }
                if self.players(t).len() > MAX_TERM_INPUTS {
                    return Err(format!(
                        "equation `{}` has a term of more than {MAX_TERM_INPUTS} inputs",
                        s.label
                    ));
                }
            }
        }
        Ok(())
    }
}

// ---- the equation file ------------------------------------------------------------------------

/// `[[inputs]]`: one input's valid range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    feature: String,
    valid: RawRange,
    /// `refuse` or `flag`.
    outside: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    min: f64,
    max: f64,
}

/// One summand of a transform: a feature, in a unit, times a weight.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPart {
    feature: String,
    /// The unit the equation wants it in; the schema's unit or its declared second unit.
    #[serde(default)]
    unit: Option<String>,
    #[serde(default = "one")]
    times: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransform {
    id: String,
    of: Vec<RawPart>,
    #[serde(default)]
    at_most: Option<f64>,
    #[serde(default)]
    at_least: Option<f64>,
    #[serde(default)]
    log: bool,
    #[serde(default)]
    centre: f64,
    #[serde(default = "one")]
    scale: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    coef: f64,
    of: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEquation {
    label: String,
    source: String,
    /// Feature → the codes (levels, or a yes/no code) this equation is for.
    #[serde(default)]
    when: std::collections::BTreeMap<String, Vec<String>>,
    intercept: f64,
    #[serde(default)]
    baseline_survival: Option<f64>,
    #[serde(default)]
    mean: Option<f64>,
    terms: Vec<RawTerm>,
}

/// What the paper reports about the equation, for the model card: shown in place of held-out
/// figures of our own, of which there are none (nothing was fitted here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// The derivation cohorts: who, where, when, how many events.
    pub derivation: Text,
    /// The published discrimination, with where it was measured.
    pub discrimination: Text,
    /// The published calibration, and where it has been found off.
    pub calibration: Text,
    /// Who the equation is for (population, ages).
    pub intended: Text,
    /// What it does not cover.
    pub not_covered: Text,
    /// The lowest and highest C statistic the paper reports for the equations shipped (the
    /// estimate's verdict reads these instead of a held-out AUC).
    pub c_statistic: (f64, f64),
    /// The comparison patient beside every estimate, in words ("same age and sex with
    /// optimal risk factors: …").
    pub optimal: Text,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExample {
    label: String,
    values: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    /// The schema's id.
    id: String,
    citation: String,
    /// `logistic` or `hazard`.
    link: String,
    #[serde(default)]
    horizon_years: Option<f64>,
    inputs: Vec<RawInput>,
    /// The explanation's reference patient, in the schema's units.
    reference: std::collections::BTreeMap<String, f64>,
    /// The comparison patient with optimal risk factors, in the schema's units (the patient's
    /// own age, sex and race are kept).
    optimal: std::collections::BTreeMap<String, f64>,
    card: Card,
    /// The paper's worked examples, offered in the form: a name and the inputs.
    #[serde(default)]
    examples: Vec<RawExample>,
    transforms: Vec<RawTransform>,
    equations: Vec<RawEquation>,
}

/// An equation file read against its schema: the resolved equation and the reference patient
/// (raw values in schema order; 0 for the inputs that only choose the equation).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The equation on the preprocessed columns.
    pub equation: Equation,
    /// The explanation's reference patient per schema feature.
    pub reference: Vec<f64>,
    /// The optimal-risk-factor patient per schema feature; `None` where the patient's own
    /// value is kept (age, and the inputs that choose the equation).
    pub optimal: Vec<Option<f64>>,
    /// What the paper reports.
    pub card: Card,
    /// The paper's worked examples: a name and the patient as JSON (checked by the builder).
    pub examples: Vec<(String, serde_json::Value)>,
}

impl Equation {
    /// Read an equation file and check it against `schema` and the identity preprocessing
    /// `pre` of an equation bundle (whose columns the equation is resolved to).
    pub fn from_toml(text: &str, schema: &Schema, pre: &Preprocessor) -> Result<Parsed> {
        let columns = pre.first_columns();
        let raw: RawFile = toml::from_str(text).map_err(|e| Error::Equation(e.to_string()))?;
        let err = |m: String| Err(Error::Equation(m));
        if raw.id != schema.id {
            return err(format!(
                "the file is for `{}` but the schema is `{}`; accepted: the same id",
                raw.id, schema.id
            ));
        }
        let feature = |name: &str| -> Result<usize> {
            schema
                .features
                .iter()
                .position(|f| f.column == name)
                .ok_or_else(|| {
                    Error::Equation(format!(
                        "`{name}` is not an input of schema `{}`; accepted: {}",
                        schema.id,
                        schema
                            .features
                            .iter()
                            .map(|f| f.column.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        };
        let column = |j: usize| columns.get(j).copied().unwrap_or(usize::MAX) as u32;
        let link = match (raw.link.as_str(), raw.horizon_years) {
            ("logistic", _) => Link::Logistic,
            ("hazard", Some(h)) if h.is_finite() && h > 0.0 => Link::Hazard { horizon_years: h },
            ("hazard", _) => {
                return err(
                    "a proportional-hazards link needs `horizon_years`, a positive number".into(),
                )
            }
            (other, _) => {
                return err(format!(
                    "link `{other}` is not known; accepted: logistic, hazard"
                ))
            }
        };

        // Valid ranges: every numeric input an equation reads must have one.
        let mut valid = Vec::new();
        for i in &raw.inputs {
            let j = feature(&i.feature)?;
            // Flagging a value outside the paper's range (and computing on) is not supported:
            // every shipped equation's authors refuse such values, and a logarithm or a spline
            // outside its range is an extrapolation nobody validated.
            match i.outside.as_str() {
                "refuse" => {}
                o => {
                    return err(format!(
                        "input `{}`: outside = \"{o}\" is not supported; accepted: refuse \
                         (the schema's plausible range is then the valid range)",
                        i.feature
                    ))
                }
            }
            if !(i.valid.min.is_finite() && i.valid.max.is_finite() && i.valid.min < i.valid.max) {
                return err(format!(
                    "input `{}`: the valid range is not min < max",
                    i.feature
                ));
            }
            if let Some(f) = schema.features.get(j) {
                if let Kind::Numeric { plausible, .. } = &f.kind {
                    if plausible.min < i.valid.min || plausible.max > i.valid.max {
                        return err(format!(
                            "input `{}`: values outside {}–{} are to be refused, but the schema \
                             accepts {}–{}; accepted: a plausible range within the valid range",
                            i.feature, i.valid.min, i.valid.max, plausible.min, plausible.max
                        ));
                    }
                } else {
                    return err(format!(
                        "input `{}` is not numeric; only numeric inputs have valid ranges",
                        i.feature
                    ));
                }
            }
            valid.push(Valid {
                feature: j as u32,
                min: i.valid.min,
                max: i.valid.max,
                source: i.source.clone(),
            });
        }

        let mut transforms = Vec::new();
        for t in &raw.transforms {
            let bad = |m: String| Error::Equation(format!("transform `{}`: {m}", t.id));
            if transforms.iter().any(|x: &Transform| x.id == t.id) {
                return Err(bad("its id is used twice".into()));
            }
            if t.of.is_empty() {
                return Err(bad("it reads no input".into()));
            }
            let mut inputs = Vec::new();
            for p in &t.of {
                let j = feature(&p.feature)?;
                let f = &schema.features[j];
                let factor = match &f.kind {
                    Kind::Numeric { unit, convert, .. } => match &p.unit {
                        None => 1.0,
                        Some(u) if u == unit => 1.0,
                        Some(u) => match convert {
                            Some(c) if &c.unit == u => c.factor,
                            _ => {
                                return Err(bad(format!(
                                    "`{}` is in {unit}{}, not convertible to {u}",
                                    p.feature,
                                    convert
                                        .as_ref()
                                        .map(|c| format!(" (or {})", c.unit))
                                        .unwrap_or_default()
                                )))
                            }
                        },
                    },
                    Kind::Boolean { .. } if p.unit.is_none() => 1.0,
                    _ => {
                        return Err(bad(format!(
                            "`{}` is categorical (or a yes/no with a unit); a transform reads \
                             numbers and yes/no inputs, and categories choose the equation \
                             (`when`)",
                            p.feature
                        )))
                    }
                };
                if matches!(f.kind, Kind::Numeric { .. })
                    && !valid.iter().any(|v| v.feature as usize == j)
                {
                    return Err(bad(format!(
                        "`{}` has no valid range; accepted: an [[inputs]] entry for it",
                        p.feature
                    )));
                }
                inputs.push((column(j), p.times * factor));
            }
            if t.log {
                // A log of a single input with a positive weight over a positive valid range.
                let positive = match (t.of.as_slice(), inputs.as_slice()) {
                    ([p], [(_, w)]) if *w > 0.0 => feature(&p.feature).is_ok_and(|j| {
                        valid
                            .iter()
                            .any(|v| v.feature as usize == j && v.min * w > 0.0)
                            && t.at_least.is_none_or(|lo| lo > 0.0)
                    }),
                    _ => false,
                };
                if !positive {
                    return Err(bad(
                        "a logarithm needs one input with a positive weight and a valid range \
                         above 0"
                            .into(),
                    ));
                }
            }
            if !(t.scale.is_finite() && t.scale != 0.0 && t.centre.is_finite()) {
                return Err(bad("scale must be a non-zero number".into()));
            }
            transforms.push(Transform {
                id: t.id.clone(),
                inputs,
                at_most: t.at_most,
                at_least: t.at_least,
                log: t.log,
                centre: t.centre,
                scale: t.scale,
            });
        }

        let mut strata = Vec::new();
        for e in &raw.equations {
            let bad = |m: String| Error::Equation(format!("equation `{}`: {m}", e.label));
            let mut when = Vec::new();
            for (name, codes) in &e.when {
                let j = feature(name)?;
                let f = &schema.features[j];
                let mut any = Vec::new();
                for code in codes {
                    let pair = match &f.kind {
                        Kind::Categorical { levels } => levels
                            .iter()
                            .position(|l| &l.code == code)
                            .map(|k| (column(j) + k as u32, 1.0)),
                        Kind::Boolean {
                            false_code,
                            true_code,
                        } => (code == true_code)
                            .then_some((column(j), 1.0))
                            .or((code == false_code).then_some((column(j), 0.0))),
                        Kind::Numeric { .. } => None,
                    };
                    any.push(pair.ok_or_else(|| {
                        bad(format!(
                            "`{name}` = \"{code}\" is not one of its codes (or `{name}` is \
                             numeric); accepted: the schema's codes"
                        ))
                    })?);
                }
                if any.is_empty() {
                    return Err(bad(format!("`{name}` lists no codes")));
                }
                when.push(any);
            }
            let hazard = match (link, e.baseline_survival, e.mean) {
                (Link::Hazard { .. }, Some(s0), Some(mean))
                    if s0 > 0.0 && s0 < 1.0 && mean.is_finite() =>
                {
                    Some((s0, mean))
                }
                (Link::Hazard { .. }, _, _) => {
                    return Err(bad(
                        "a proportional-hazards equation needs `baseline_survival` (between 0 \
                         and 1) and `mean`"
                            .into(),
                    ))
                }
                (Link::Logistic, None, None) => None,
                (Link::Logistic, _, _) => {
                    return Err(bad(
                        "a logistic equation has no baseline survival or mean".into()
                    ))
                }
            };
            let mut terms = Vec::new();
            for t in &e.terms {
                let mut of = Vec::new();
                for name in &t.of {
                    let i = transforms
                        .iter()
                        .position(|x| &x.id == name)
                        .ok_or_else(|| {
                            bad(format!(
                                "term names transform `{name}`, which is not defined"
                            ))
                        })?;
                    of.push(i as u32);
                }
                if of.is_empty() || !t.coef.is_finite() {
                    return Err(bad(
                        "a term needs a finite coefficient and a transform".into()
                    ));
                }
                terms.push(Term { coef: t.coef, of });
            }
            strata.push(Stratum {
                label: e.label.clone(),
                source: e.source.clone(),
                when,
                intercept: e.intercept,
                hazard,
                terms,
            });
        }
        // Every combination of the choosing inputs must be covered by some equation.
        let equation = Equation {
            citation: raw.citation.clone(),
            link,
            transforms,
            strata,
            valid,
        };
        equation
            .check(pre.width())
            .map_err(|m| Error::Equation(m.to_string()))?;
        equation.check_coverage(schema, pre)?;
        let mut reference = vec![0.0; schema.features.len()];
        for (name, &v) in &raw.reference {
            let j = feature(name)?;
            if !v.is_finite() {
                return err(format!("reference `{name}` is not a number"));
            }
            reference[j] = v;
        }
        for t in &raw.transforms {
            for p in &t.of {
                if !raw.reference.contains_key(&p.feature) {
                    return err(format!(
                        "the reference patient has no `{}`; accepted: a value for every input a \
                         transform reads",
                        p.feature
                    ));
                }
            }
        }
        let mut optimal = vec![None; schema.features.len()];
        for (name, &v) in &raw.optimal {
            let j = feature(name)?;
            if !v.is_finite() {
                return err(format!("optimal `{name}` is not a number"));
            }
            optimal[j] = Some(v);
        }
        let (lo, hi) = raw.card.c_statistic;
        if !(0.5..=1.0).contains(&lo) || !(lo..=1.0).contains(&hi) {
            return err(format!(
                "card: c_statistic ({lo}, {hi}) is not a range within 0.5–1; accepted: the \
                 lowest and highest published C statistic"
            ));
        }
        Ok(Parsed {
            equation,
            reference,
            optimal,
            card: raw.card,
            examples: raw
                .examples
                .into_iter()
                .map(|e| (e.label, serde_json::Value::Object(e.values)))
                .collect(),
        })
    }
}

impl Equation {
    /// Every combination of the inputs that choose the equation (sex, race) must have one:
    /// a patient the paper has no equation for is refused when the file is read, not when the
    /// patient arrives.
    pub fn check_coverage(&self, schema: &Schema, pre: &Preprocessor) -> Result<()> {
        let (columns, width) = (pre.first_columns(), pre.width());
        let mut choosing: Vec<usize> = Vec::new();
        for s in &self.strata {
            for any in &s.when {
                for &(c, _) in any {
                    if let Some(j) = columns.iter().rposition(|&first| first <= c as usize) {
                        if !choosing.contains(&j) {
                            choosing.push(j);
                        }
                    }
                }
            }
        }
        // The one index sort (page size), not a `sort_unstable` of its own.
        crate::util::sort::sort_indices(&mut choosing, &|a, b| a.cmp(&b));
        // Each choosing feature's settings: (column, value) pairs to write.
        let settings = |j: usize| -> Vec<Vec<(usize, f64, String)>> {
            let (c, f) = (columns[j], &schema.features[j]);
            match &f.kind {
                Kind::Categorical { levels } => (0..levels.len())
                    .map(|k| vec![(c + k, 1.0, levels[k].code.clone())])
                    .collect(),
                Kind::Boolean {
                    false_code,
                    true_code,
                } => vec![
                    vec![(c, 0.0, false_code.clone())],
                    vec![(c, 1.0, true_code.clone())],
                ],
                Kind::Numeric { .. } => vec![vec![]],
            }
        };
        let options: Vec<Vec<Vec<(usize, f64, String)>>> =
            choosing.iter().map(|&j| settings(j)).collect();
        let total: usize = options.iter().map(Vec::len).product();
        if total > 4096 {
            return Err(Error::Equation(
                "the inputs that choose the equation have more than 4096 combinations".into(),
            ));
        }
        for n in 0..total {
            let mut x = vec![0.0; width];
            let mut named = Vec::new();
            let mut rest = n;
            for (o, &j) in options.iter().zip(&choosing) {
                let pick = &o[rest % o.len()];
                rest /= o.len();
                for (c, v, code) in pick {
                    if let Some(slot) = x.get_mut(*c) {
                        *slot = *v;
                    }
                    named.push(format!("{} = {code}", schema.features[j].column));
                }
            }
            if self.stratum(&x).is_none() {
                return Err(Error::Equation(format!(
                    "no equation covers {}; accepted: a `when` that includes every code",
                    named.join(", ")
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, Decode, Reader};
    decode_struct!(Equation {
        citation,
        link,
        transforms,
        strata,
        valid
    });
    decode_struct!(Transform {
        id,
        inputs,
        at_most,
        at_least,
        log,
        centre,
        scale
    });
    decode_struct!(Stratum {
        label,
        source,
        when,
        intercept,
        hazard,
        terms
    });
    decode_struct!(Term { coef, of });
    decode_struct!(Valid {
        feature,
        min,
        max,
        source
    });
    decode_struct!(Card {
        derivation,
        discrimination,
        calibration,
        intended,
        not_covered,
        c_statistic,
        optimal
    });
    impl Decode for Link {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Link::Logistic,
                1 => Link::Hazard {
                    horizon_years: decode(r),
                },
                _ => r.bad_variant(Link::Logistic),
            }
        }
    }
}
