//! Reading a CSV against a schema, with row-level errors. Platform-independent: the trainer
//! reads its data with it and the browser reads a user's case library with it.

use serde_json::Value as Json;

use crate::csv_text;
use crate::error::{Error, Result};
use crate::patient::{parse_value, PatientRecord};
use crate::schema::{Kind, Schema};

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
}

/// Cells that mean "missing" in the public data sets (R's `NA`, empty).
fn is_missing(cell: &str) -> bool {
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
    if text.trim().is_empty() {
        return Err(Error::Data("the CSV is empty (no header, no rows)".into()));
    }
    let mut records = csv_text::records(text)?.into_iter();
    let headers = records
        .next()
        .ok_or_else(|| Error::Data("the CSV is empty (no header, no rows)".into()))?;
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
    let target_idx = index_of(&schema.target.column)?;
    let arm_idx = match &schema.treatment {
        Some(t) => Some(index_of(&t.column)?),
        None => None,
    };

    let mut ds = Dataset {
        records: Vec::new(),
        labels: Vec::new(),
        json: Vec::new(),
        rows: Vec::new(),
        arms: Vec::new(),
    };
    let mut bad = Vec::new();
    for (i, row) in records.enumerate() {
        let row_no = i + 1;
        let read = read_row(schema, &headers, &feature_idx, target_idx, &row, row_no)
            .and_then(|r| Ok((r, read_arm(schema, arm_idx, &row, row_no)?)));
        match read {
            Ok(((record, label, json), arm)) => {
                ds.records.push(record);
                ds.labels.push(label);
                ds.json.push(json);
                ds.rows.push(row_no as u32);
                ds.arms.extend(arm);
            }
            Err(message) => bad.push(RowError {
                row: row_no as u32,
                message,
            }),
        }
    }
    Ok((ds, bad))
}

/// The arm of a trial row (`None` when the schema has no treatment).
fn read_arm(
    schema: &Schema,
    arm_idx: Option<usize>,
    row: &[String],
    row_no: usize,
) -> std::result::Result<Option<usize>, String> {
    let (Some(t), Some(c)) = (&schema.treatment, arm_idx) else {
        return Ok(None);
    };
    let code = row.get(c).map_or("", String::as_str);
    t.arms
        .iter()
        .position(|a| a.code == code)
        .map(Some)
        .ok_or_else(|| {
            format!(
                "row {row_no}, column `{}`: `{code}` is not one of the arms ({})",
                t.column,
                t.arms
                    .iter()
                    .map(|a| a.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

fn read_row(
    schema: &Schema,
    headers: &[String],
    feature_idx: &[usize],
    target_idx: usize,
    row: &[String],
    row_no: usize,
) -> std::result::Result<(PatientRecord, usize, Json), String> {
    if row.len() != headers.len() {
        return Err(format!(
            "row {row_no}: has {} cells, the header has {}",
            row.len(),
            headers.len()
        ));
    }
    let mut obj = serde_json::Map::new();
    for (feature, &c) in schema.features.iter().zip(feature_idx) {
        let cell = row.get(c).map_or("", String::as_str);
        let json = if is_missing(cell) {
            Json::Null
        } else {
            match &feature.kind {
                Kind::Numeric { .. } => cell
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Json::Number)
                    .ok_or_else(|| {
                        format!(
                            "row {row_no}, column `{}`: `{cell}` is not a number",
                            feature.column
                        )
                    })?,
                _ => Json::String(cell.to_string()),
            }
        };
        // Same checks as patient input, so training data obeys the schema it ships with.
        parse_value(feature, &json).map_err(|e| format!("row {row_no}: {e}"))?;
        obj.insert(feature.column.clone(), json);
    }
    let json = Json::Object(obj);
    let record =
        PatientRecord::from_json(schema, &json).map_err(|e| format!("row {row_no}: {e}"))?;
    let code = row.get(target_idx).map_or("", String::as_str);
    let label = schema
        .target
        .classes
        .iter()
        .position(|c| c.code == code)
        .ok_or_else(|| {
            format!(
                "row {row_no}, column `{}`: `{code}` is not one of the target classes ({})",
                schema.target.column,
                schema
                    .target
                    .classes
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    Ok((record, label, json))
}

impl Dataset {
    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        Dataset {
            records: idx.iter().map(|&i| self.records[i].clone()).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            json: idx.iter().map(|&i| self.json[i].clone()).collect(),
            rows: idx.iter().map(|&i| self.rows[i]).collect(),
            arms: if self.arms.is_empty() {
                Vec::new()
            } else {
                idx.iter().map(|&i| self.arms[i]).collect()
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
    use crate::schema::tests::SAMPLE;

    #[test]
    fn reads_rows_ignores_extra_columns_and_treats_na_as_missing() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let ds = read_csv(&s, "id,glu,smoker,sex,dx\n1,100,1,m,yes\n2,NA,0,,no\n").unwrap();
        assert_eq!(ds.labels, vec![1, 0]);
        assert_eq!(ds.records[1].values()[0], None);
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
}
