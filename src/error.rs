//! The one error type of the library.
//!
//! Every variant names what went wrong in terms a clinician or an integrator can act on: the
//! field, the value that was given and what would have been accepted. The web layer turns these
//! into in-page messages (in either language); the CLI prints them. Nothing in the library
//! panics on input, files or the network: it returns one of these.

use thiserror::Error;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a schema file, a bundle and an assessment.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    // ---- patient input -------------------------------------------------------------------
    /// The patient record has a field the schema does not know.
    #[error("unknown field `{field}`; accepted fields: {accepted}")]
    UnknownField {
        /// The field as given.
        field: String,
        /// Comma-separated list of the schema's fields.
        accepted: String,
    },
    /// A value has the wrong JSON type for its feature.
    #[error("field `{field}`: {value} is not {expected}")]
    WrongType {
        /// The schema field.
        field: String,
        /// The value as given (JSON text).
        value: String,
        /// What is accepted, in words.
        expected: String,
    },
    /// A numeric value is outside the schema's plausible range.
    #[error("field `{field}`: {v}{u} is outside the plausible range {min}–{max}{u}", v = short(*.value), u = with_space(.unit))]
    OutOfRange {
        /// The schema field.
        field: String,
        /// The value as given.
        value: f64,
        /// Lower bound of the plausible range (inclusive).
        min: f64,
        /// Upper bound of the plausible range (inclusive).
        max: f64,
        /// The feature's unit ("" when unitless).
        unit: String,
    },
    /// A categorical value is not one of the schema's levels.
    #[error("field `{field}`: `{value}` is not one of {accepted}")]
    UnknownCategory {
        /// The schema field.
        field: String,
        /// The value as given.
        value: String,
        /// Comma-separated list of accepted codes.
        accepted: String,
    },
    /// A required value is missing (the schema does not allow imputing it).
    #[error("field `{field}` is required (missing values are not allowed for it)")]
    MissingValue {
        /// The schema field.
        field: String,
    },
    /// The patient input is not a JSON object, or not JSON at all.
    #[error("patient input is not a JSON object of field → value: {reason}")]
    BadPatient {
        /// What the parser said.
        reason: String,
    },

    // ---- bundles -------------------------------------------------------------------------
    /// The bytes do not start with the bundle magic.
    #[error("not a Bedside model bundle (the file does not start with the BDSX signature)")]
    NotABundle,
    /// The bundle was written by an incompatible format version.
    #[error(
        "bundle format version {found} is not supported; this build reads version {supported}"
    )]
    UnsupportedVersion {
        /// The version in the header.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The bundle is shorter than its header says.
    #[error("bundle is truncated: {got} bytes, expected {expected}")]
    Truncated {
        /// Bytes expected from the header.
        expected: usize,
        /// Bytes present.
        got: usize,
    },
    /// The payload does not match the SHA-256 in the header.
    #[error("bundle is corrupt: payload SHA-256 does not match its header")]
    HashMismatch,
    /// The payload could not be decoded.
    #[error("bundle payload cannot be decoded: {0}")]
    Decode(String),
    /// The signature block or a trusted key cannot be read, or the policy is unknown.
    #[error("signature: {0}")]
    Signature(String),
    /// The page requires a signature and the bundle has none.
    #[error("bundle is not signed, and only bundles signed by a trusted key are accepted (policy: require)")]
    Unsigned,
    /// The bundle is signed by a key the page does not trust (policy `require`).
    #[error("bundle is signed by key {0}…, which is not a trusted key (policy: require)")]
    UntrustedSigner(String),
    /// The signature by a trusted key does not verify: the file changed after it was signed.
    #[error("bundle signature by trusted key {0}… does not verify: the file was changed after it was signed")]
    BadSignature(String),
    /// The bundle is internally inconsistent (e.g. model width ≠ preprocessing width).
    #[error("bundle is inconsistent: {0}")]
    InconsistentBundle(String),

    // ---- schema & training -----------------------------------------------------------------
    /// The schema file is invalid.
    #[error("schema: {0}")]
    Schema(String),
    /// A FHIR input that cannot be read.
    #[error("FHIR: {0}")]
    Fhir(String),
    /// Training data does not fit the schema or cannot be used.
    #[error("data: {0}")]
    Data(String),
    /// A guideline rule file is invalid; the message names the rule and what is wrong.
    #[error("rules: {0}")]
    Rules(String),
    /// Model fitting failed.
    #[error("training failed: {0}")]
    Training(String),
}

/// A number as a person reads it: as given when it is of a clinical size, in exponent form when
/// it is huge or tiny (`1e308`, not 309 digits).
pub fn short(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-4..1e9).contains(&v.abs()) {
        // By hand: `{:e}` would add float exponent formatting to the app's WASM.
        let e = v.abs().log10().floor() as i32;
        let m = crate::schema::round_to(v / 10f64.powi(e), 3);
        format!("{m}e{e}")
    } else {
        v.to_string()
    }
}

/// `" unit"`, or nothing for unitless values.
fn with_space(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

impl Error {
    /// The schema field this error is about, when it is about one (lets a UI put the message
    /// next to the input that caused it).
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::UnknownField { field, .. }
            | Error::WrongType { field, .. }
            | Error::OutOfRange { field, .. }
            | Error::UnknownCategory { field, .. }
            | Error::MissingValue { field } => Some(field),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_message_names_field_value_and_range() {
        let e = Error::OutOfRange {
            field: "glu".into(),
            value: 900.0,
            min: 40.0,
            max: 400.0,
            unit: "mg/dL".into(),
        };
        assert_eq!(
            e.to_string(),
            "field `glu`: 900 mg/dL is outside the plausible range 40–400 mg/dL"
        );
        assert_eq!(e.field(), Some("glu"));
    }

    #[test]
    fn bundle_errors_have_no_field() {
        assert_eq!(Error::HashMismatch.field(), None);
    }
}
