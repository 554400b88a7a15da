//! Reading a CSV against a schema, with row-level errors. Platform-independent: the trainer
//! reads its data with it and the browser reads a user's case library with it.

// `subset` takes row indices drawn by the split from 0..rows of this same dataset.
#![allow(clippy::indexing_slicing)]

use serde_json::Value as Json;

use crate::contract::csv_text;
use crate::contract::patient::{parse_value, PatientRecord};
use crate::contract::schema::{Kind, Schema};
use crate::error::{Error, Result};

/// A labelled training or test set.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Validated feature values.
    pub records: Vec<PatientRecord>,
    /// Target class index per record (schema order).
    pub labels: Vec<usize>,
    /// The same rows as JSON objects, kept for examples.
    pub json: Vec<Json>,
    /// 1-based data row numbers (header excluded), parallel to `records`.
    pub rows: Vec<u32>,
    /// Treatment arm per record (index into the schema's arms); empty when the schema has no
    /// treatment.
    pub arms: Vec<usize>,
    /// Follow-up time per record for a derived event target (the time column; parallel to
    /// `records`), empty otherwise. The trainer needs it to weight each row by the inverse
    /// probability of still being followed at that time (see `train::censoring`).
    pub times: Vec<f64>,
    /// Rows censored before a derived target's horizon: they have no label, so they are kept
    /// out of `records`, but they are kept here because the censoring they record is what the
    /// trainer's Kaplan–Meier weights are estimated from, and their patients belong to the
    /// population whose mean risk the model should reproduce.
    pub censored: Censored,
}

/// The rows of a derived event target whose follow-up ended before the horizon without the
/// event (all three fields parallel).
#[derive(Debug, Clone, Default)]
pub struct Censored {
    /// Validated feature values.
    pub records: Vec<PatientRecord>,
    /// 1-based data row numbers (header excluded).
    pub rows: Vec<u32>,
    /// Follow-up time (when the patient was last seen without the event).
    pub times: Vec<f64>,
}

impl Censored {
    /// Number of censored rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Censored {
        Censored {
            records: idx.iter().map(|&i| self.records[i].clone()).collect(),
            rows: idx.iter().map(|&i| self.rows[i]).collect(),
            times: idx.iter().map(|&i| self.times[i]).collect(),
        }
    }

    fn append(&mut self, other: &Censored) {
        self.records.extend(other.records.iter().cloned());
        self.rows.extend(&other.rows);
        self.times.extend(&other.times);
    }
}

/// What a row whose outcome cell is empty is refused with (a row to leave out, where an
/// outcome that is not one of the classes means the file is coded otherwise).
pub const MISSING_OUTCOME: &str = "the outcome is missing";

/// Cells that mean "missing" in every column (R's `NA`, pandas' `NaN`, empty); a feature adds
/// its own with `missing_codes`. Public so that `bedside init` drafts with the same rule.
pub fn is_missing(cell: &str) -> bool {
    matches!(cell.trim(), "" | "NA" | "NaN" | "na" | "nan")
}

/// Parse CSV text, stopping at the first bad row. Columns not in the schema (e.g. an ID) are
/// ignored; every schema column must be present. Errors name the row and column.
pub fn read_csv(schema: &Schema, text: &str) -> Result<Dataset> {
    let (ds, mut bad) = read_rows(schema, text)?;
    if !bad.is_empty() {
        return Err(Error::Data(bad.swap_remove(0).to_string()));
    }
    if ds.records.is_empty() {
        return Err(Error::Data("the CSV has no data rows".into()));
    }
    Ok(ds)
}

/// One row that did not pass the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    /// 1-based data row (header excluded).
    pub row: u32,
    /// The column at fault, when one is (not for a row with the wrong number of cells).
    pub column: Option<String>,
    /// What is wrong, naming the column and what is accepted.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parse CSV text, keeping every good row and listing every bad one (a case library loaded in
/// the browser shows them all, rather than only the first). A bad header is still an error.
pub fn read_rows(schema: &Schema, text: &str) -> Result<(Dataset, Vec<RowError>)> {
    read(schema, text, true, true)
}

/// As [`read_rows`], without keeping each row's JSON (`json` is empty): what scoring and
/// validating a large file need, at a fraction of the memory.
pub fn read_labelled(schema: &Schema, text: &str) -> Result<(Dataset, Vec<RowError>)> {
    read(schema, text, true, false)
}

/// Parse CSV text for scoring: the schema's feature columns only (an outcome column, if any,
/// is neither needed nor read). Every good row is kept (`labels` are placeholders, `censored`
/// and `json` empty) and every bad one listed.
pub fn read_unlabelled(schema: &Schema, text: &str) -> Result<(Dataset, Vec<RowError>)> {
    read(schema, text, false, false)
}

/// `labelled`: read the outcome. `training`: keep each row's JSON and read the treatment arm
/// (the trainer's needs), and hold every row to the schema's `[rows]` filter silently; scoring
/// and validation read neither the arm nor the JSON, apply the filter only when the file has
/// its column, and list the rows it leaves out (so every data row is accounted for).
fn read(
    schema: &Schema,
    text: &str,
    labelled: bool,
    training: bool,
) -> Result<(Dataset, Vec<RowError>)> {
    let keep_json = training;
    if text.trim().is_empty() {
        return Err(Error::Data("the CSV is empty (no header, no rows)".into()));
    }
    // Row by row: only the parsed values are kept, never the whole table as strings.
    let mut records = csv_text::rows(text);
    let headers = records
        .next()
        .ok_or_else(|| Error::Data("the CSV is empty (no header, no rows)".into()))??;
    let index_of = |col: &str| {
        headers
            .iter()
            .position(|h| h == col)
            .ok_or_else(|| Error::Data(format!("column `{col}` is missing from the CSV header")))
    };
    let feature_idx: Vec<usize> = schema
        .features
        .iter()
        .map(|f| index_of(&f.column))
        .collect::<Result<_>>()?;
    // Where the outcome comes from: a column, or a time and a status column.
    let target_idx = match (&schema.target.derive, labelled) {
        (_, false) => None,
        (None, true) => Some((index_of(&schema.target.column)?, 0)),
        (Some(d), true) => Some((index_of(&d.time)?, index_of(&d.status)?)),
    };
    let keep = match &schema.rows {
        Some(f) if training => Some((index_of(&f.column)?, f)),
        Some(f) => headers.iter().position(|h| *h == f.column).map(|c| (c, f)),
        None => None,
    };
    let arm_idx = match &schema.treatment {
        Some(t) if labelled && training => Some(index_of(&t.column)?),
        _ => None,
    };

    let mut ds = Dataset {
        records: Vec::new(),
        labels: Vec::new(),
        json: Vec::new(),
        rows: Vec::new(),
        arms: Vec::new(),
        times: Vec::new(),
        censored: Censored::default(),
    };
    let mut bad = Vec::new();
    for (i, row) in records.enumerate() {
        let row = row?;
        let row_no = i + 1;
        if let Some((c, f)) = keep {
            let cell = row.get(c).map_or("", String::as_str);
            if cell != f.equals {
                if !training {
                    bad.push(RowError {
                        row: row_no as u32,
                        column: Some(f.column.clone()),
                        message: format!(
                            "row {row_no}, column `{}`: `{}` is not `{}`, the rows the model is for: left out",
                            f.column,
                            crate::error::excerpt(cell, crate::util::lang::Lang::En),
                            f.equals
                        ),
                    });
                }
                continue;
            }
        }
        let coded = match target_idx {
            Some(idx) => target_code(schema, idx, &row, row_no),
            None => Ok((Some(schema.target.positive.clone()), None)),
        };
        let (code, time) = match coded {
            Ok(known) => known,
            Err((column, message)) => {
                bad.push(RowError {
                    row: row_no as u32,
                    column: Some(column),
                    message,
                });
                continue;
            }
        };
        // A censored row has no class, but its features are read and checked like any other
        // row's (a placeholder class code, never stored).
        let placeholder = schema.target.positive.as_str();
        let read = read_row(
            schema,
            &headers,
            &feature_idx,
            code.as_deref().unwrap_or(placeholder),
            &row,
            row_no,
        )
        .and_then(|r| Ok((r, read_arm(schema, arm_idx, &row, row_no)?)));
        match (read, code) {
            (Ok(((record, _, _), _)), None) => {
                ds.censored.records.push(record);
                ds.censored.rows.push(row_no as u32);
                ds.censored.times.extend(time);
            }
            (Ok(((record, label, json), arm)), Some(_)) => {
                ds.records.push(record);
                ds.labels.push(label);
                if keep_json {
                    ds.json.push(json);
                }
                ds.rows.push(row_no as u32);
                ds.arms.extend(arm);
                ds.times.extend(time);
            }
            (Err((column, message)), _) => bad.push(RowError {
                row: row_no as u32,
                column,
                message,
            }),
        }
    }
    Ok((ds, bad))
}

/// The target class code of a row and, for a derived event target, its follow-up time: the
/// target column's cell, or for a derived event target the positive class if the event
/// happened by the horizon, the other class if follow-up went past it, and `None` (censored
/// before the horizon: no class) if follow-up ended earlier without the event. Follow-up that
/// ends exactly at the horizon without the event counts as censored: the horizon day itself
/// was not seen through.
type Coded = (Option<String>, Option<f64>);

fn target_code(
    schema: &Schema,
    (a, b): (usize, usize),
    row: &[String],
    row_no: usize,
) -> std::result::Result<Coded, (String, String)> {
    let cell = |i: usize| row.get(i).map_or("", String::as_str);
    let Some(d) = &schema.target.derive else {
        return Ok((Some(cell(a).to_string()), None));
    };
    let time: f64 = cell(a)
        .trim()
        .parse()
        .ok()
        .filter(|t: &f64| t.is_finite())
        .ok_or_else(|| {
            (
                d.time.clone(),
                format!(
                    "row {row_no}, column `{}`: `{}` is not a number",
                    d.time,
                    crate::error::excerpt(cell(a), crate::util::lang::Lang::En)
                ),
            )
        })?;
    let t = &schema.target;
    let other = t.classes.iter().find(|c| c.code != t.positive);
    let code = if cell(b) == d.event && time <= d.horizon {
        Some(t.positive.clone())
    } else if time > d.horizon {
        other.map(|c| c.code.clone())
    } else {
        None
    };
    Ok((code, Some(time)))
}

/// The arm of a trial row (`None` when the schema has no treatment).
fn read_arm(
    schema: &Schema,
    arm_idx: Option<usize>,
    row: &[String],
    row_no: usize,
) -> std::result::Result<Option<usize>, Bad> {
    let (Some(t), Some(c)) = (&schema.treatment, arm_idx) else {
        return Ok(None);
    };
    let code = row.get(c).map_or("", String::as_str);
    t.arms
        .iter()
        .position(|a| a.code == code)
        .map(Some)
        .ok_or_else(|| {
            bad(
                &t.column,
                format!(
                    "row {row_no}, column `{}`: `{code}` is not one of the arms ({})",
                    t.column,
                    crate::contract::schema::codes(&t.arms)
                ),
            )
        })
}

/// A refused row's column (when one is at fault) and message.
type Bad = (Option<String>, String);

fn bad(column: &str, message: String) -> Bad {
    (Some(column.to_string()), message)
}

fn read_row(
    schema: &Schema,
    headers: &[String],
    feature_idx: &[usize],
    code: &str,
    row: &[String],
    row_no: usize,
) -> std::result::Result<(PatientRecord, usize, Json), Bad> {
    if row.len() != headers.len() {
        return Err((
            None,
            format!(
                "row {row_no}: has {} cells, the header has {}",
                row.len(),
                headers.len()
            ),
        ));
    }
    let mut obj = serde_json::Map::new();
    for (feature, &c) in schema.features.iter().zip(feature_idx) {
        let cell = row.get(c).map_or("", String::as_str);
        let json = if let (Some(code), true) = (&feature.blank, cell.trim().is_empty()) {
            // A blank that is an answer (the schema's `blank` level), not a gap.
            Json::String(code.clone())
        } else if is_missing(cell) || feature.missing_codes.iter().any(|m| m == cell.trim()) {
            Json::Null
        } else {
            match &feature.kind {
                Kind::Numeric { .. } => cell
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
                    .ok_or_else(|| {
                        bad(
                            &feature.column,
                            format!(
                                "row {row_no}, column `{}`: `{}` is not a number",
                                feature.column,
                                crate::error::excerpt(cell, crate::util::lang::Lang::En)
                            ),
                        )
                    })?,
                _ => Json::String(cell.to_string()),
            }
        };
        // Same checks as patient input, so training data obeys the schema it ships with.
        parse_value(feature, &json)
            .map_err(|e| bad(&feature.column, format!("row {row_no}: {e}")))?;
        obj.insert(feature.column.clone(), json);
    }
    let json = Json::Object(obj);
    let record = PatientRecord::from_json(schema, &json)
        .map_err(|e| (None, format!("row {row_no}: {e}")))?;
    if is_missing(code) {
        return Err(bad(
            &schema.target.column,
            format!(
                "row {row_no}, column `{}`: {MISSING_OUTCOME} (accepted: {})",
                schema.target.column,
                crate::contract::schema::codes(&schema.target.classes)
            ),
        ));
    }
    let label = schema
        .target
        .classes
        .iter()
        .position(|c| c.code == code)
        .ok_or_else(|| {
            bad(
                &schema.target.column,
                format!(
                    "row {row_no}, column `{}`: `{code}` is not one of the target classes ({})",
                    schema.target.column,
                    crate::contract::schema::codes(&schema.target.classes)
                ),
            )
        })?;
    Ok((record, label, json))
}

impl Dataset {
    /// The rows at `idx`, in that order. Censored rows have no class to stratify on and are
    /// not addressed by `idx`, so the subset has none: a caller that splits rows splits
    /// `censored` itself ([`Censored::subset`]).
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        Dataset {
            records: idx.iter().map(|&i| self.records[i].clone()).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            json: idx
                .iter()
                .filter_map(|&i| self.json.get(i).cloned())
                .collect(),
            rows: idx.iter().map(|&i| self.rows[i]).collect(),
            censored: Censored::default(),
            arms: if self.arms.is_empty() {
                Vec::new()
            } else {
                idx.iter().map(|&i| self.arms[i]).collect()
            },
            times: if self.times.is_empty() {
                Vec::new()
            } else {
                idx.iter().map(|&i| self.times[i]).collect()
            },
        }
    }

    /// Append `other`'s rows (e.g. a separate test file) after these.
    pub fn append(&mut self, other: &Dataset) {
        self.records.extend(other.records.iter().cloned());
        self.labels.extend(&other.labels);
        self.json.extend(other.json.iter().cloned());
        self.rows.extend(&other.rows);
        self.arms.extend(&other.arms);
        self.times.extend(&other.times);
        self.censored.append(&other.censored);
    }

    /// Cases per class.
    pub fn class_counts(&self, n_classes: usize) -> Vec<u32> {
        let mut counts = vec![0u32; n_classes];
        for &l in &self.labels {
            if let Some(c) = counts.get_mut(l) {
                *c += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::schema::tests::SAMPLE;

    #[test]
    fn reads_rows_ignores_extra_columns_and_treats_na_as_missing() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let ds = read_csv(&s, "id,glu,smoker,sex,dx\n1,100,1,m,yes\n2,NA,0,,no\n").unwrap();
        assert_eq!(ds.labels, vec![1, 0]);
        assert_eq!(ds.records[1].values()[0], None);
    }

    #[test]
    fn a_features_missing_codes_are_missing_and_only_in_that_column() {
        let text = SAMPLE.replace(
            "modifiable = true",
            "modifiable = true\nmissing_codes = [\"?\", \"-9\"]",
        );
        let s = Schema::from_toml(&text).unwrap();
        let ds = read_csv(&s, "glu,smoker,sex,dx\n?,1,m,yes\n-9,0,f,no\n100,0,f,no\n").unwrap();
        assert_eq!(ds.records[0].values()[0], None);
        assert_eq!(ds.records[1].values()[0], None);
        assert!(ds.records[2].values()[0].is_some());
        assert_eq!(ds.json[0]["glu"], Json::Null);
        // `?` means missing in `glu` only: in `sex` it is still an unknown code.
        let e = read_csv(&s, "glu,smoker,sex,dx\n100,1,?,yes\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("field `sex`: `?` is not one of f, m"),
            "{e}"
        );
        // A missing code in a column that may not be missing is refused like a blank.
        let text = text.replace(
            "kind = \"boolean\"",
            "kind = \"boolean\"\nmissing_codes = [\"unknown\"]",
        );
        let s = Schema::from_toml(&text).unwrap();
        let e = read_csv(&s, "glu,smoker,sex,dx\n100,unknown,m,yes\n").unwrap_err();
        assert!(
            e.to_string().contains("row 1: field `smoker` is required"),
            "{e}"
        );
    }

    #[test]
    fn a_blank_cell_of_a_column_with_a_blank_level_is_that_level() {
        let text = SAMPLE.replace(
            "{ code = \"m\", label = { en = \"Male\", zh = \"男\" } },\n]",
            "{ code = \"m\", label = { en = \"Male\", zh = \"男\" } },\n  { code = \"blank\", label = { en = \"(blank in the data)\", zh = \"（数据中为空白）\" } },\n]\nblank = \"blank\"",
        );
        let s = Schema::from_toml(&text).unwrap();
        let ds = read_csv(
            &s,
            "glu,smoker,sex,dx\n100,1,,yes\n100,0,NA,no\n100,0,f,no\n",
        )
        .unwrap();
        use crate::contract::patient::Value;
        assert_eq!(ds.records[0].values()[2], Some(Value::Level(2)));
        assert_eq!(ds.json[0]["sex"], Json::String("blank".into()));
        // `NA` is still missing (imputed), and other columns' blanks are still gaps.
        assert_eq!(ds.records[1].values()[2], None);
        assert_eq!(ds.records[2].values()[2], Some(Value::Level(0)));
        let e = read_csv(&s, "glu,smoker,sex,dx\n100,,,yes\n").unwrap_err();
        assert!(e.to_string().contains("field `smoker` is required"), "{e}");
    }

    #[test]
    fn errors_name_row_and_column() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let e = read_csv(&s, "glu,smoker,sex,dx\n100,1,m,yes\nabc,1,m,no\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "data: row 2, column `glu`: `abc` is not a number"
        );
        let e = read_csv(&s, "glu,smoker,sex,dx\n100,1,m,maybe\n").unwrap_err();
        assert!(e
            .to_string()
            .contains("`maybe` is not one of the target classes"));
        let e = read_csv(&s, "glu,sex,dx\n100,m,yes\n").unwrap_err();
        assert!(e.to_string().contains("column `smoker` is missing"));
        let e = read_csv(&s, "glu,smoker,sex,dx\n900,1,m,yes\n").unwrap_err();
        assert!(e
            .to_string()
            .contains("row 1: field `glu`: 900 mg/dL is outside"));
        let e = read_csv(&s, "glu,smoker,sex,dx\n100,,m,yes\n").unwrap_err();
        assert!(e.to_string().contains("row 1: field `smoker` is required"));
    }

    #[test]
    fn a_derived_event_target_uses_the_horizon_and_leaves_out_early_censoring() {
        let text = SAMPLE
            .replace(
                "column = \"dx\"\nlabel",
                "column = \"dx\"\nderive = { time = \"t\", status = \"s\", event = \"1\", horizon = 100 }\nlabel",
            )
            .replacen(
                "[[subgroups]]",
                "[rows]\ncolumn = \"kind\"\nequals = \"r\"\n\n[[subgroups]]",
                1,
            );
        let s = Schema::from_toml(&text).unwrap();
        let csv = "glu,smoker,sex,t,s,kind\n\
                   100,1,m,100,1,r\n\
                   100,1,m,101,1,r\n\
                   100,1,m,99,0,r\n\
                   100,1,m,500,0,r\n\
                   100,1,m,5,1,d\n";
        let ds = read_csv(&s, csv).unwrap();
        // Event at the horizon counts; after it, or followed past it, is "no"; censored at 99
        // is left out; the `d` row is not a case at all.
        assert_eq!(ds.labels, vec![1, 0, 0]);
        assert_eq!(ds.rows, vec![1, 2, 4]);
        assert_eq!(ds.times, vec![100.0, 101.0, 500.0]);
        assert_eq!(ds.censored.len(), 1);
        assert_eq!((ds.censored.rows[0], ds.censored.times[0]), (3, 99.0));
        assert_eq!(ds.censored.records[0].values(), ds.records[0].values());
        // A censored row's features are still checked.
        let e = read_csv(
            &s,
            "glu,smoker,sex,t,s,kind\n100,1,m,500,0,r\n900,1,m,5,0,r\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("row 2: field `glu`"), "{e}");
        let e = read_csv(&s, "glu,smoker,sex,t,s,kind\n100,1,m,soon,1,r\n").unwrap_err();
        assert!(
            e.to_string().contains("column `t`: `soon` is not a number"),
            "{e}"
        );
    }
}
