//! What a data set means: the schema, a patient record checked against it, data sets and
//! CSV text read against it, grouping fields.

pub mod codes;
pub mod csv_text;
pub mod dataset;
pub mod groups;
pub mod patient;
pub mod schema;
