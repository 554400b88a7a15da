//! The one error type of the library. (The postcard reader in `util::wire` keeps its own small
//! one below this layer; the bundle maps it to [`Error::Decode`].)
//!
//! Every variant names what went wrong in terms a clinician or an integrator can act on: the
//! field, the value that was given and what would have been accepted. The web layer turns these
//! into in-page messages (in either language); the CLI prints them. Nothing in the library
//! panics on input, files or the network: it returns one of these. A given value is quoted as
//! an [`excerpt`] (its first 40 characters and its length), never whole.

use std::borrow::Cow;

use thiserror::Error;

use crate::util::lang::Lang;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong between a schema file, a bundle and an assessment.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Error {
    // ---- patient input -------------------------------------------------------------------
    /// The patient record has a field the schema does not know.
    #[error("unknown field `{}`; accepted fields: {accepted}", excerpt(.field, Lang::En))]
    UnknownField {
        /// The field as given, whole: messages quote at most [`excerpt`] of it.
        field: String,
        /// Comma-separated list of the schema's fields.
        accepted: String,
    },
    /// A value has the wrong JSON type for its feature: says what is accepted and what was
    /// given (`expected a whole number between 1 and 10, got the text "ten"`).
    #[error("field `{field}`: expected {expected}, got {}", given(.value, Lang::En))]
    WrongType {
        /// The schema field.
        field: String,
        /// The value as given (JSON text), whole: messages quote at most [`excerpt`] of it.
        value: String,
        /// What is accepted, in words.
        expected: String,
    },
    /// A number was given as text (`"10"` where `10` is meant). The JSON and JS API take
    /// numbers as numbers only, so that a value is never reinterpreted on the way in.
    #[error("field `{field}`: expected a number, got the text \"{}\"", excerpt(.value, Lang::En))]
    NumberAsText {
        /// The schema field.
        field: String,
        /// The text as given, whole: messages quote at most [`excerpt`] of it.
        value: String,
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
    #[error("field `{field}`: `{}` is not one of {accepted}", excerpt(.value, Lang::En))]
    UnknownCategory {
        /// The schema field.
        field: String,
        /// The value as given, whole: messages quote at most [`excerpt`] of it.
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
        /// What the parser said; any input it quotes is already cut to an [`excerpt`].
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
    /// The deployer's launch configuration (`static/smart.json`) is invalid.
    #[error("launch configuration: {0}")]
    Config(String),
    /// Training data does not fit the schema or cannot be used.
    #[error("data: {0}")]
    Data(String),
    /// Local validation could not be computed (and nothing was): says what is missing.
    #[error("local validation: {0}")]
    Validation(String),
    /// A guideline rule file is invalid; the message names the rule and what is wrong.
    #[error("rules: {0}")]
    Rules(String),
    /// A published-equation file is invalid or does not fit its schema; the message names the
    /// equation, term or input and what is accepted.
    #[error("equation: {0}")]
    Equation(String),
    /// `bedside init` cannot draft a schema from a CSV as it is: the message names the column
    /// (or the flag) and what would be accepted, or which flag settles each reading.
    #[error("init: {0}")]
    Draft(String),
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
        let m = crate::util::num::round_to(v / 10f64.powi(e), 3);
        format!("{m}e{e}")
    } else {
        v.to_string()
    }
}

/// How many characters of a value given by a user (or a file, or a host page) a message quotes.
pub const EXCERPT_CHARS: usize = 40;

/// A given value as a message quotes it: whole when it has at most [`EXCERPT_CHARS`]
/// characters, else that many (cut on a character boundary) followed by how long it was:
/// `aaaa… (20000000 characters)`. A 20 MB value must not become a 20 MB message (a terminal
/// full of it, or a page with it in its DOM).
///
/// Structured errors keep the value whole and quote it through this when they are worded
/// (`Display`, [`crate::present::wording::error_text`]), because only then is the reader's language known;
/// messages that are free text from the start (`Data`, `Fhir`, a parser's reason) call it with
/// [`Lang::En`] where they are built.
pub fn excerpt(text: &str, lang: Lang) -> Cow<'_, str> {
    let Some((cut, _)) = text.char_indices().nth(EXCERPT_CHARS) else {
        return Cow::Borrowed(text);
    };
    let Some((head, rest)) = text.split_at_checked(cut) else {
        return Cow::Borrowed(text);
    };
    let n = EXCERPT_CHARS + rest.chars().count();
    Cow::Owned(match lang {
        Lang::En => format!("{head}… ({n} characters)"),
        Lang::Zh => format!("{head}…（共 {n} 个字符）"),
    })
}

/// What a [`Error::WrongType`] was given, in words, from its JSON text: `the text "ten"`,
/// `true`, `a list`, `2.5` (text quoted as an [`excerpt`]).
pub fn given(json: &str, lang: Lang) -> String {
    let text = json
        .strip_prefix('"')
        .map(|t| t.strip_suffix('"').unwrap_or(t));
    match (text, json.as_bytes().first(), lang) {
        (Some(t), _, Lang::En) => format!("the text \"{}\"", excerpt(t, lang)),
        (Some(t), _, Lang::Zh) => format!("文本“{}”", excerpt(t, lang)),
        (None, Some(b'['), Lang::En) => "a list".into(),
        (None, Some(b'['), Lang::Zh) => "列表".into(),
        (None, Some(b'{'), Lang::En) => "an object".into(),
        (None, Some(b'{'), Lang::Zh) => "对象".into(),
        (None, _, Lang::Zh) if json == "true" || json == "false" => format!("布尔值 {json}"),
        (None, Some(b'-' | b'0'..=b'9'), Lang::Zh) => format!("数字 {}", excerpt(json, lang)),
        (None, _, _) => excerpt(json, lang).into_owned(),
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
            | Error::NumberAsText { field, .. }
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
    fn a_value_of_at_most_40_characters_is_quoted_whole() {
        let forty = "x".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(&forty, Lang::En), forty);
        assert_eq!(excerpt("", Lang::Zh), "");
    }

    #[test]
    fn a_longer_value_is_cut_to_40_characters_and_says_how_long_it_was() {
        let v = "x".repeat(20_000_000);
        let head = "x".repeat(40);
        assert_eq!(
            excerpt(&v, Lang::En),
            format!("{head}… (20000000 characters)")
        );
        assert_eq!(
            excerpt(&v, Lang::Zh),
            format!("{head}…（共 20000000 个字符）")
        );
        assert_eq!(
            excerpt(&"x".repeat(41), Lang::En),
            format!("{head}… (41 characters)")
        );
    }

    #[test]
    fn a_multi_byte_value_is_cut_on_a_character_boundary() {
        // 3-byte and 4-byte characters: a byte cut at 40 would fall inside one.
        let v = format!("{}{}", "血糖".repeat(30), "🩸".repeat(10));
        assert_eq!(
            excerpt(&v, Lang::En),
            format!("{}… (70 characters)", "血糖".repeat(20))
        );
        let v = format!("a{}", "🩸".repeat(50));
        assert_eq!(
            excerpt(&v, Lang::Zh),
            format!("a{}…（共 51 个字符）", "🩸".repeat(39))
        );
    }

    #[test]
    fn a_wrong_type_names_what_it_was_given() {
        assert_eq!(given(r#""ten""#, Lang::En), r#"the text "ten""#);
        assert_eq!(given(r#""ten""#, Lang::Zh), "文本“ten”");
        assert_eq!(given("true", Lang::En), "true");
        assert_eq!(given("false", Lang::Zh), "布尔值 false");
        assert_eq!(given("[1,2]", Lang::En), "a list");
        assert_eq!(given("{}", Lang::Zh), "对象");
        assert_eq!(given("-2.5", Lang::Zh), "数字 -2.5");
        let long = format!("\"{}\"", "y".repeat(100));
        assert_eq!(
            given(&long, Lang::En),
            format!("the text \"{}… (100 characters)\"", "y".repeat(40))
        );
    }

    #[test]
    fn a_20_million_character_value_gives_a_message_under_200_bytes() {
        let e = Error::WrongType {
            field: "glu".into(),
            value: format!("\"{}\"", "x".repeat(20_000_000)),
            expected: "a number in mg/dL between 20 and 600".into(),
        };
        let m = e.to_string();
        assert!(m.len() < 200, "{m}");
        assert!(
            m.starts_with(
                "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"xxxx"
            ),
            "{m}"
        );
        let e = Error::NumberAsText {
            field: "glu".into(),
            value: "1".repeat(20_000_000),
        };
        assert!(e.to_string().len() < 200);
        let e = Error::UnknownCategory {
            field: "sex".into(),
            value: "q".repeat(20_000_000),
            accepted: "f, m".into(),
        };
        assert!(e.to_string().len() < 200);
    }

    #[test]
    fn bundle_errors_have_no_field() {
        assert_eq!(Error::HashMismatch.field(), None);
    }
}
