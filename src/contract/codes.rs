//! Codes that answer a yes/no from a patient's record: a Condition, an AllergyIntolerance or a
//! MedicationRequest coded with one of them stands as "yes". Used by the rules' questions
//! (`crate::guidance::rules`) and by the schema's yes/no features (diabetes, a statin), so an EHR
//! launch can fill them from the record with the entry shown as the source.

use serde::{Deserialize, Serialize};

/// The FHIR resources a question can be answered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordResource {
    /// A problem or diagnosis (`Condition.code`).
    Condition,
    /// An allergy or intolerance (`AllergyIntolerance.code`).
    AllergyIntolerance,
    /// A prescription (`MedicationRequest.medicationCodeableConcept`).
    MedicationRequest,
}

impl RecordResource {
    /// The FHIR resource type.
    pub fn name(self) -> &'static str {
        match self {
            RecordResource::Condition => "Condition",
            RecordResource::AllergyIntolerance => "AllergyIntolerance",
            RecordResource::MedicationRequest => "MedicationRequest",
        }
    }
}

/// Code systems a rule file may name, with whether a code may end in `*` (a category and all
/// its subcodes: hierarchical codes such as ICD-10 `K25*` or ATC `M01A*`). SNOMED CT and RxNorm
/// codes are not hierarchical in their text, so each code is listed.
pub const RECORD_SYSTEMS: &[(&str, &str, bool)] = &[
    ("http://snomed.info/sct", "SNOMED CT", false),
    ("http://hl7.org/fhir/sid/icd-10", "ICD-10", true),
    ("http://hl7.org/fhir/sid/icd-10-cm", "ICD-10-CM", true),
    (
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "RxNorm",
        false,
    ),
    ("http://www.whocc.no/atc", "ATC", true),
];

/// Codes of one system in one kind of resource that answer a question "yes".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordCodes {
    /// Where to look.
    pub resource: RecordResource,
    /// The code system's URI (one of [`RECORD_SYSTEMS`]).
    pub system: String,
    /// The codes; a trailing `*` matches a category and its subcodes where the system allows.
    pub codes: Vec<String>,
    /// Whether a resolved or inactive entry counts too (a peptic ulcer *in the past* is a
    /// contraindication); by default only active ones do.
    #[serde(default)]
    pub ever: bool,
}

impl RecordCodes {
    /// Whether `code` of `system` is one of these. ICD-10 codes compare without their dot
    /// (`K25.9` = `K259`) and in capitals.
    pub fn matches(&self, system: &str, code: &str) -> bool {
        if system != self.system {
            return false;
        }
        let norm = |c: &str| -> String {
            c.trim()
                .chars()
                .filter(|&ch| ch != '.')
                .flat_map(char::to_uppercase)
                .collect()
        };
        let code = norm(code);
        self.codes.iter().any(|want| match want.strip_suffix('*') {
            Some(prefix) => code.starts_with(&norm(prefix)),
            None => code == norm(want),
        })
    }

    /// Check a rule file's codes: a known system, at least one code, `*` only where the
    /// system is hierarchical. The error says what is accepted.
    pub fn check(&self, question: &str) -> std::result::Result<(), String> {
        let Some((_, name, prefix_ok)) =
            RECORD_SYSTEMS.iter().find(|(uri, ..)| *uri == self.system)
        else {
            let known: Vec<String> = RECORD_SYSTEMS
                .iter()
                .map(|(uri, name, _)| format!("{uri} ({name})"))
                .collect();
            return Err(format!(
                "input `{question}`: code system `{}` is not one of {}",
                self.system,
                known.join(", ")
            ));
        };
        if self.codes.is_empty() {
            return Err(format!(
                "input `{question}`: a `record` entry needs at least one code"
            ));
        }
        for c in &self.codes {
            let body = c.strip_suffix('*').unwrap_or(c);
            if body.trim().is_empty() || body.contains('*') || body.chars().any(char::is_whitespace)
            {
                return Err(format!("input `{question}`: `{c}` is not a code"));
            }
            if c.ends_with('*') && !prefix_ok {
                return Err(format!(
                    "input `{question}`: `{c}` ends in `*`, but {name} codes are not \
                     hierarchical in their text; list each code"
                ));
            }
        }
        Ok(())
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode_struct, decode_unit_enum};
    decode_unit_enum!(RecordResource {
        Condition,
        AllergyIntolerance,
        MedicationRequest
    });
    decode_struct!(RecordCodes {
        resource,
        system,
        codes,
        ever
    });
}
