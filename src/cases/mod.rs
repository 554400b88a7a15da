//! Similar-case search over a library of past cases: the training cases shipped in the bundle,
//! or a library a user loads from a CSV in the browser (it never leaves the page).
//!
//! Cases are stored column by column as `f32` in the schema's own units (levels and yes/no as
//! small whole numbers, `NaN` for missing), so one query streams each column once and the
//! browser can show every case's real values. Distances are Gower-style (see [`kernel`]),
//! optionally weighted by each feature's relevance to the model (its mean absolute exact
//! contribution over the training cases). Filters (grouping fields such as age band or sex,
//! and the recorded outcome) apply before ranking, so "the 10 most similar women over 50" are
//! ten women over 50.

// Columnar case stores and metrics are indexed by feature and case positions bounded by
// their own lengths; `is_consistent` checked those against the schema at load. Covers the
// distance kernel and the PCA projection.
#![allow(clippy::indexing_slicing)]

pub mod kernel;
pub mod packed;
pub mod pca;

use serde::{Deserialize, Serialize};

use crate::contract::dataset::{self, Dataset, RowError};
use crate::contract::groups::Member;
use crate::contract::patient::{PatientRecord, Value};
use crate::contract::schema::{Kind, Schema};
use crate::error::{Error, Result};
use crate::model::preprocess::{Preprocessor, Step};
use crate::util::rng::Rng;
pub use pca::Pca;

/// How distances are measured; fitted by the trainer, shared by every library used with the
/// bundle (a loaded library is measured with the training data's ranges and weights).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Per schema feature: `1 / (training range)` for numeric features, `0` for categorical
    /// and yes/no ones.
    pub scale: Vec<f32>,
    /// Per schema feature: mean absolute exact contribution to the model's output over the
    /// training cases, scaled to average 1.
    pub relevance: Vec<f32>,
    /// The case map's projection.
    pub pca: Pca,
}

impl Metric {
    /// Ranges from the fitted preprocessing; relevance as given (normalised here).
    pub fn new(preprocessor: &Preprocessor, relevance: &[f64], pca: Pca) -> Metric {
        let scale = preprocessor
            .steps()
            .iter()
            .map(|s| match s {
                Step::Standardize { observed, .. } if observed.1 > observed.0 => {
                    (1.0 / (observed.1 - observed.0)) as f32
                }
                Step::Standardize { .. } => 1.0,
                _ => 0.0,
            })
            .collect();
        let mean = relevance.iter().sum::<f64>() / relevance.len().max(1) as f64;
        let relevance = relevance
            .iter()
            .map(|&r| if mean > 0.0 { (r / mean) as f32 } else { 1.0 })
            .collect();
        Metric {
            scale,
            relevance,
            pca,
        }
    }
}

/// A library of past cases.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseLibrary {
    /// Where the cases come from, in words.
    pub source: String,
    /// Per schema feature, one value per case (see the module docs for the encoding). In a
    /// bundle, 8 or 16 bits per value ([`packed`]): exact where the column's decimals allow,
    /// else quantised within its exact range.
    #[serde(with = "packed")]
    pub columns: Vec<Vec<f32>>,
    /// Recorded outcome (target class index) per case.
    pub outcome: Vec<u16>,
    /// Row number in the source CSV (1-based, header excluded) per case.
    pub rows: Vec<u32>,
    /// Position on the case map per case (empty for synthetic benchmark libraries). Not
    /// stored in a bundle: it is the stored cases' projection, computed again when the bundle
    /// is opened ([`crate::bundle::Bundle::derive_from_cases`]).
    #[serde(skip)]
    pub map: Vec<[f32; 2]>,
    /// Treatment arm per case (index into the schema's arms); empty unless the cases come
    /// from a randomized trial.
    pub arms: Vec<u16>,
    /// Per case, the calibrated class probabilities (schema order) from a model that did not
    /// see that case: for a training case the chosen candidate's out-of-fold prediction, for a
    /// test case the final model's. The teaching quiz shows these, because the final model's
    /// probability for a case it was fitted on is optimistic (it has, in part, memorised the
    /// answer). Empty for a library loaded from a user's CSV: the model never saw those cases,
    /// so its own prediction is already honest.
    pub held_out: Vec<Vec<f32>>,
}

/// Equal when bit for bit equal (a missing value, `NaN`, equals itself here: two libraries
/// with the same gaps are the same library).
impl PartialEq for CaseLibrary {
    fn eq(&self, other: &Self) -> bool {
        let bits = |l: &CaseLibrary| -> Vec<u32> {
            l.columns
                .iter()
                .flatten()
                .chain(l.map.iter().flatten())
                .chain(l.held_out.iter().flatten())
                .map(|v| v.to_bits())
                .collect()
        };
        let widths = |l: &CaseLibrary| -> Vec<usize> { l.held_out.iter().map(Vec::len).collect() };
        self.source == other.source
            && self.outcome == other.outcome
            && self.arms == other.arms
            && self.rows == other.rows
            && self.columns.len() == other.columns.len()
            && self.map.len() == other.map.len()
            && widths(self) == widths(other)
            && bits(self) == bits(other)
    }
}

/// Equality by bits is reflexive (NaN equals NaN), so it is a full equivalence; being `Eq` also
/// lets `Rc<CaseLibrary>` compare by pointer first, which Yew does on every re-render.
impl Eq for CaseLibrary {}

/// What a case table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Row in the source.
    Row,
    /// A schema feature (index).
    Feature(usize),
    /// The recorded outcome.
    Outcome,
}

/// Encode one validated value for storage.
pub fn stored(v: Option<Value>) -> f32 {
    match v {
        Some(Value::Number(x)) => x as f32,
        Some(Value::Level(i)) => i as f32,
        Some(Value::Bool(b)) => f32::from(u8::from(b)),
        None => f32::NAN,
    }
}

impl CaseLibrary {
    /// From validated rows and outcomes; map positions from the preprocessed inputs. No
    /// held-out probabilities (the trainer adds them for the cases it fitted on).
    pub fn from_dataset(
        source: String,
        ds: &Dataset,
        preprocessor: &Preprocessor,
        pca: &Pca,
    ) -> CaseLibrary {
        let width = ds.records.first().map_or(0, |r| r.values().len());
        let columns = (0..width)
            .map(|j| {
                ds.records
                    .iter()
                    .map(|r| stored(r.values().get(j).copied().flatten()))
                    .collect()
            })
            .collect();
        CaseLibrary {
            source,
            columns,
            outcome: ds.labels.iter().map(|&c| c as u16).collect(),
            rows: ds.rows.clone(),
            map: ds
                .records
                .iter()
                .map(|r| pca.project(&preprocessor.transform(r).x))
                .collect(),
            arms: ds.arms.iter().map(|&a| a as u16).collect(),
            held_out: Vec::new(),
        }
    }

    /// Read a library from CSV text against the bundle's schema. Good rows are kept; every bad
    /// row is listed with its reason. A header without the schema's columns, or a file with
    /// no good row at all, is an error.
    pub fn from_csv(
        schema: &Schema,
        preprocessor: &Preprocessor,
        pca: &Pca,
        name: &str,
        text: &str,
    ) -> Result<(CaseLibrary, Vec<RowError>)> {
        let (ds, bad) = dataset::read_rows(schema, text).map_err(|e| match e {
            Error::Data(m) => Error::Data(format!("{name}: {m}")),
            other => other,
        })?;
        if ds.records.is_empty() {
            let first = bad
                .first()
                .map_or_else(|| "it has no data rows".to_string(), |e| e.message.clone());
            return Err(Error::Data(format!(
                "{name}: no row could be used as a case ({first})"
            )));
        }
        let source = format!("{name} ({} cases)", ds.records.len());
        Ok((
            CaseLibrary::from_dataset(source, &ds, preprocessor, pca),
            bad,
        ))
    }

    /// Number of cases.
    pub fn len(&self) -> usize {
        self.outcome.len()
    }

    /// Every column as a bundle stores it ([`packed::as_stored`]): the trainer calls this
    /// before anything is measured on the library, so what it measures is what ships.
    pub fn as_stored(&mut self) {
        for c in &mut self.columns {
            *c = packed::as_stored(c);
        }
    }

    /// The features whose stored values are quantised rather than exact (schema indices).
    pub fn quantised_features(&self) -> Vec<usize> {
        (0..self.columns.len())
            .filter(|&j| !packed::is_exact(&self.columns[j]))
            .collect()
    }

    /// Case `i` as a patient record: each number as the shortest decimal of its stored value
    /// (a stored 30.1 is 30.1), each level and yes/no as stored. The values were validated
    /// when the case was read, and storing keeps them inside their column's range.
    pub fn record(&self, schema: &Schema, i: usize) -> PatientRecord {
        let values = schema
            .features
            .iter()
            .enumerate()
            .map(|(j, f)| {
                let v = self.value(i, j);
                if v.is_nan() {
                    return None;
                }
                Some(match f.kind {
                    Kind::Numeric { .. } => Value::Number(widen(v)),
                    Kind::Categorical { .. } => Value::Level(v as usize),
                    Kind::Boolean { .. } => Value::Bool(v != 0.0),
                })
            })
            .collect();
        PatientRecord::from_stored(values)
    }

    /// Whether there are no cases.
    pub fn is_empty(&self) -> bool {
        self.outcome.is_empty()
    }

    /// Whether the stored shapes agree with a schema of `features` features.
    pub fn is_consistent(&self, features: usize) -> bool {
        let n = self.len();
        self.columns.len() == features
            && self.columns.iter().all(|c| c.len() == n)
            && self.rows.len() == n
            && (self.map.is_empty() || self.map.len() == n)
            && (self.arms.is_empty() || self.arms.len() == n)
            && (self.held_out.is_empty() || self.held_out.len() == n)
    }

    /// Stored value of feature `j` of case `i` (`NaN` when missing or out of bounds).
    pub fn value(&self, i: usize, j: usize) -> f32 {
        self.columns
            .get(j)
            .and_then(|c| c.get(i))
            .copied()
            .unwrap_or(f32::NAN)
    }

    /// Case `i`'s stored values, one per feature (`NaN` where missing): a query in stored form.
    pub fn stored_case(&self, i: usize) -> Vec<f32> {
        (0..self.columns.len()).map(|j| self.value(i, j)).collect()
    }

    /// The library as dense row-major vectors for general-purpose vector indexes (the
    /// benchmark's comparison with `voy-search` and `hnswlib-wasm`, which take complete
    /// Euclidean vectors): each numeric value times the metric's `1 / range`, so a unit step
    /// means the same as in the Gower distance; a missing value becomes its column's mean.
    /// Categorical and yes/no features (scale 0) come out as 0: such indexes would need a
    /// one-hot encoding, which the benchmark's all-numeric library does not.
    pub fn dense_scaled(&self, metric: &Metric) -> Vec<f32> {
        let d = self.columns.len();
        if d == 0 {
            return Vec::new(); // `chunks_exact_mut(0)` would panic
        }
        let mut out = vec![0.0; self.len() * d];
        for (j, column) in self.columns.iter().enumerate() {
            let scale = metric.scale.get(j).copied().unwrap_or(0.0);
            let (sum, count) = column
                .iter()
                .filter(|v| !v.is_nan())
                .fold((0.0f64, 0usize), |(s, c), &v| (s + f64::from(v), c + 1));
            let mean = if count > 0 {
                (sum / count as f64) as f32
            } else {
                0.0
            };
            for (row, &v) in out.chunks_exact_mut(d).zip(column) {
                if let Some(slot) = row.get_mut(j) {
                    *slot = if v.is_nan() { mean } else { v } * scale;
                }
            }
        }
        out
    }

    /// The cases with recorded outcome `outcome` (all when `None`), sorted by `key`; missing
    /// values come last whichever the direction, ties keep library order.
    pub fn ordered(&self, key: SortKey, ascending: bool, outcome: Option<usize>) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len())
            .filter(|&i| {
                outcome.is_none_or(|c| self.outcome.get(i).map(|&o| o as usize) == Some(c))
            })
            .collect();
        let value = |i: usize| -> f32 {
            match key {
                SortKey::Row => self.rows.get(i).map_or(f32::NAN, |&r| r as f32),
                SortKey::Feature(j) => self.value(i, j),
                SortKey::Outcome => self.outcome.get(i).map_or(f32::NAN, |&o| f32::from(o)),
            }
        };
        crate::util::sort::sort_indices(&mut order, &|a, b| {
            let (x, y) = (value(a), value(b));
            match (x.is_nan(), y.is_nan()) {
                (true, true) => a.cmp(&b),
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ if ascending => x.total_cmp(&y).then(a.cmp(&b)),
                _ => y.total_cmp(&x).then(a.cmp(&b)),
            }
        });
        order
    }

    /// Case `i` as JSON (field → value in the schema's codes), e.g. to fill in the form.
    pub fn case_json(&self, schema: &Schema, i: usize) -> serde_json::Value {
        let mut obj = serde_json::Map::new();
        for (j, f) in schema.features.iter().enumerate() {
            obj.insert(f.column.clone(), display_json(f, self.value(i, j)));
        }
        serde_json::Value::Object(obj)
    }

    /// A synthetic library of `n` cases drawn from this one's distribution, for benchmarks:
    /// each is a real case (drawn with replacement) with every numeric value moved by up to
    /// ±5 % of its range, kept inside the observed range; missing values stay missing.
    pub fn synthetic(&self, metric: &Metric, n: usize, seed: u64) -> CaseLibrary {
        let mut rng = Rng::new(seed);
        let len = self.len().max(1);
        let ranges: Vec<(f32, f32)> = self
            .columns
            .iter()
            .map(|c| {
                c.iter()
                    .filter(|v| !v.is_nan())
                    .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                        (lo.min(v), hi.max(v))
                    })
            })
            .collect();
        let mut columns = vec![Vec::with_capacity(n); self.columns.len()];
        let mut outcome = Vec::with_capacity(n);
        for _ in 0..n {
            let src = rng.below(len);
            for (j, col) in columns.iter_mut().enumerate() {
                let v = self.value(src, j);
                let scale = metric.scale.get(j).copied().unwrap_or(0.0);
                let v = if scale > 0.0 && !v.is_nan() {
                    let jitter = (rng.unit_f32() * 2.0 - 1.0) * 0.05 / scale;
                    let (lo, hi) = ranges.get(j).copied().unwrap_or((v, v));
                    (v + jitter).clamp(lo, hi)
                } else {
                    v
                };
                col.push(v);
            }
            outcome.push(self.outcome.get(src).copied().unwrap_or(0));
        }
        CaseLibrary {
            source: format!("synthetic ({n} cases drawn from {})", self.source),
            columns,
            outcome,
            rows: (1..=n as u32).collect(),
            map: Vec::new(),
            arms: Vec::new(),
            held_out: Vec::new(),
        }
    }
}

/// An `f32` as the `f64` of its shortest decimal, so a stored 30.1 reads back as 30.1 rather
/// than 30.100000381.
pub fn widen(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

/// A stored value as JSON in the schema's codes (`null` when missing).
pub fn display_json(f: &crate::contract::schema::Feature, v: f32) -> serde_json::Value {
    use serde_json::Value as Json;
    if v.is_nan() {
        return Json::Null;
    }
    match &f.kind {
        Kind::Numeric { .. } => {
            serde_json::Number::from_f64(widen(v)).map_or(Json::Null, Json::Number)
        }
        Kind::Categorical { levels } => levels
            .get(v as usize)
            .map_or(Json::Null, |l| Json::String(l.code.clone())),
        Kind::Boolean {
            false_code,
            true_code,
        } => Json::String(if v != 0.0 { true_code } else { false_code }.clone()),
    }
}

/// What to search for.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Options {
    /// How many neighbours (default 10, at most 100).
    pub k: Option<usize>,
    /// Weight features by their relevance to the model.
    pub weighted: bool,
    /// Keep only cases in these groups: `(feature index, group)`; all must hold.
    pub groups: Vec<(usize, Member)>,
    /// Keep only cases with this recorded outcome.
    pub outcome: Option<usize>,
    /// Leave this case out (e.g. the quiz case itself).
    pub exclude: Option<usize>,
}

/// A feature in which a neighbour differs from the patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// Schema feature index.
    pub feature: usize,
    /// Its share of the distance before weighting, in `[0, 1]`.
    pub term: f64,
    /// The neighbour's value minus the patient's, for numeric features.
    pub delta: Option<f64>,
}

/// One similar case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    /// Index in the library.
    pub case: usize,
    /// Row in the library's source.
    pub row: u32,
    /// Gower distance in `[0, 1]` (0 = identical in every compared feature).
    pub distance: f64,
    /// Features compared (both values present).
    pub compared: usize,
    /// Recorded outcome (class index).
    pub outcome: usize,
    /// Features with the same or nearly the same value (term ≤ 0.05), most relevant first.
    pub alike: Vec<usize>,
    /// The features that differ most (at most three, term > 0.05), largest first.
    pub differ: Vec<Difference>,
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Similar {
    /// Nearest first.
    pub neighbours: Vec<Neighbour>,
    /// Neighbours per outcome class.
    pub outcome_counts: Vec<u32>,
    /// Cases that passed the filters.
    pub eligible: usize,
    /// Cases in the library.
    pub total: usize,
    /// Whether relevance weights were used.
    pub weighted: bool,
    /// Features of the patient that could be compared (the others were missing).
    pub compared_features: usize,
}

/// Largest `k` served.
pub const MAX_K: usize = 100;
/// A term at or below this counts as "alike".
const ALIKE: f64 = 0.05;

/// The `k` cases of `library` nearest to `patient`.
pub fn search(
    library: &CaseLibrary,
    metric: &Metric,
    n_classes: usize,
    patient: &PatientRecord,
    options: &Options,
) -> Similar {
    let q: Vec<f32> = patient.values().iter().map(|&v| stored(v)).collect();
    search_stored(library, metric, n_classes, &q, options)
}

/// As [`search`], for a query already in stored form (`NaN` = missing).
pub fn search_stored(
    library: &CaseLibrary,
    metric: &Metric,
    n_classes: usize,
    q: &[f32],
    options: &Options,
) -> Similar {
    let k = options.k.unwrap_or(10).clamp(1, MAX_K);
    let weight = |j: usize| {
        if options.weighted {
            metric.relevance.get(j).copied().unwrap_or(1.0)
        } else {
            1.0
        }
    };
    let terms: Vec<kernel::Term> = library
        .columns
        .iter()
        .enumerate()
        .filter_map(|(j, column)| {
            let qv = *q.get(j)?;
            (!qv.is_nan() && weight(j) > 0.0).then(|| kernel::Term {
                column,
                q: qv,
                scale: metric.scale.get(j).copied().unwrap_or(0.0),
                weight: weight(j),
            })
        })
        .collect();
    let accept = |i: usize| {
        options.exclude != Some(i)
            && options
                .outcome
                .is_none_or(|c| library.outcome.get(i).map(|&o| o as usize) == Some(c))
            && options
                .groups
                .iter()
                .all(|&(j, m)| m.contains_stored(library.value(i, j)))
    };
    let n = library.len();
    let eligible = if options.groups.is_empty() && options.outcome.is_none() {
        n - usize::from(options.exclude.is_some_and(|e| e < n))
    } else {
        (0..n).filter(|&i| accept(i)).count()
    };
    let found = kernel::top_k(n, &terms, k, accept);
    let mut outcome_counts = vec![0u32; n_classes];
    let neighbours = found
        .into_iter()
        .map(|(d, i)| {
            let i = i as usize;
            let outcome = library.outcome.get(i).map_or(0, |&o| o as usize);
            if let Some(c) = outcome_counts.get_mut(outcome) {
                *c += 1;
            }
            explain_neighbour(library, metric, q, i, f64::from(d), outcome, &weight)
        })
        .collect();
    Similar {
        neighbours,
        outcome_counts,
        eligible,
        total: n,
        weighted: options.weighted,
        compared_features: terms.len(),
    }
}

fn explain_neighbour(
    library: &CaseLibrary,
    metric: &Metric,
    q: &[f32],
    i: usize,
    distance: f64,
    outcome: usize,
    weight: &dyn Fn(usize) -> f32,
) -> Neighbour {
    let mut terms: Vec<(usize, f64, Option<f64>)> = Vec::new();
    for (j, &qv) in q.iter().enumerate() {
        let x = library.value(i, j);
        if qv.is_nan() || x.is_nan() || weight(j) <= 0.0 {
            continue;
        }
        let scale = f64::from(metric.scale.get(j).copied().unwrap_or(0.0));
        let (term, delta) = if scale > 0.0 {
            let delta = widen(x) - widen(qv);
            ((delta.abs() * scale).min(1.0), Some(delta))
        } else {
            (if x == qv { 0.0 } else { 1.0 }, None)
        };
        terms.push((j, term, delta));
    }
    let compared = terms.len();
    let rel = |j: usize| metric.relevance.get(j).copied().unwrap_or(0.0);
    let mut alike: Vec<usize> = terms.iter().filter(|t| t.1 <= ALIKE).map(|t| t.0).collect();
    crate::util::sort::sort_indices(&mut alike, &|a, b| {
        rel(b).total_cmp(&rel(a)).then(a.cmp(&b))
    });
    // Positions in `terms` of the differing features, largest weighted term first.
    let mut order: Vec<usize> = (0..terms.len()).filter(|&t| terms[t].1 > ALIKE).collect();
    let weighted = |t: usize| terms[t].1 * f64::from(weight(terms[t].0));
    crate::util::sort::sort_indices(&mut order, &|a, b| {
        weighted(b).total_cmp(&weighted(a)).then(a.cmp(&b))
    });
    let differ: Vec<Difference> = order
        .into_iter()
        .take(3)
        .map(|t| {
            let (feature, term, delta) = terms[t];
            Difference {
                feature,
                term,
                delta,
            }
        })
        .collect();
    Neighbour {
        case: i,
        row: library.rows.get(i).copied().unwrap_or(0),
        distance,
        compared,
        outcome,
        alike,
        differ,
    }
}

#[cfg(test)]
mod tests;

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::decode_struct;
    decode_struct!(CaseLibrary { source, columns = packed::decode_columns, outcome, rows, map = crate::util::wire::skip, arms, held_out });
    decode_struct!(Metric {
        scale,
        relevance,
        pca
    });
}
