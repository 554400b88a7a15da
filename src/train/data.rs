//! Reading a CSV against a schema, with row-level errors.

use serde_json::Value as Json;

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
}

/// Cells that mean "missing" in the public data sets (R's `NA`, empty).
fn is_missing(cell: &str) -> bool {
    matches!(cell.trim(), "" | "NA" | "NaN" | "na" | "nan")
}

/// Parse CSV text. Columns not in the schema (e.g. an ID) are ignored; every schema column
/// must be present. Errors name the row and column.
pub fn read_csv(schema: &Schema, text: &str) -> Result<Dataset> {
    if text.trim().is_empty() {
        return Err(Error::Data("the CSV is empty (no header, no rows)".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Error::Data(format!("header: {e}")))?
        .clone();
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

    let mut ds = Dataset {
        records: Vec::new(),
        labels: Vec::new(),
        json: Vec::new(),
        rows: Vec::new(),
    };
    for (i, row) in reader.records().enumerate() {
        let row_no = i + 1;
        let row = row.map_err(|e| Error::Data(format!("row {row_no}: {e}")))?;
        let mut obj = serde_json::Map::new();
        for (feature, &c) in schema.features.iter().zip(&feature_idx) {
            let cell = row.get(c).unwrap_or("");
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
                            Error::Data(format!(
                                "row {row_no}, column `{}`: `{cell}` is not a number",
                                feature.column
                            ))
                        })?,
                    _ => Json::String(cell.to_string()),
                }
            };
            // Same checks as patient input, so training data obeys the schema it ships with.
            parse_value(feature, &json).map_err(|e| Error::Data(format!("row {row_no}: {e}")))?;
            obj.insert(feature.column.clone(), json);
        }
        let record = PatientRecord::from_json(schema, &Json::Object(obj.clone()))
            .map_err(|e| Error::Data(format!("row {row_no}: {e}")))?;
        let code = row.get(target_idx).unwrap_or("");
        let label = schema
            .target
            .classes
            .iter()
            .position(|c| c.code == code)
            .ok_or_else(|| {
                Error::Data(format!(
                    "row {row_no}, column `{}`: `{code}` is not one of the target classes",
                    schema.target.column
                ))
            })?;
        ds.records.push(record);
        ds.labels.push(label);
        ds.json.push(Json::Object(obj));
        ds.rows.push(row_no as u32);
    }
    if ds.records.is_empty() {
        return Err(Error::Data("the CSV has no data rows".into()));
    }
    Ok(ds)
}

impl Dataset {
    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        Dataset {
            records: idx.iter().map(|&i| self.records[i].clone()).collect(),
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            json: idx.iter().map(|&i| self.json[i].clone()).collect(),
            rows: idx.iter().map(|&i| self.rows[i]).collect(),
        }
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
