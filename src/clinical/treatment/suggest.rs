//! The treatment panel's content for one patient: every option with its three kinds of basis
//! (rules, modelled risk, case evidence) and its contraindications, in a stated order.
//!
//! Ranking, in words shown to the user: options withheld by a contraindication go last; the
//! rest are ordered by the patient's modelled risk under each arm, lowest first. Without trial
//! models there are no arms to rank, and the panel lists the guideline rules that apply.

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::bundle::Bundle;
use crate::cases::{self, Options};
use crate::clinical::treatment::evidence::{self, ArmEvidence};
use crate::contract::patient::PatientRecord;
use crate::contract::schema::Text;
use crate::error::{Error, Result};
use crate::guidance::rules::{Effect, Facts, RuleOutcome, RuleSet, Status};
use crate::guidance::trial::ArmRisk;
use crate::util::sort::sort_indices;

/// Similar trial patients looked at for the case evidence.
pub const EVIDENCE_K: usize = 40;

/// One treatment option (a trial arm) and its basis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreatmentOption {
    /// Arm code.
    pub code: String,
    /// Arm name.
    pub label: Text,
    /// Whether it is the trial's control arm.
    pub control: bool,
    /// Modelled risk under this arm, with interval, difference to control and the arm's
    /// observed rate.
    pub risk: ArmRisk,
    /// Outcomes among the similar trial patients in this arm.
    pub evidence: ArmEvidence,
    /// Indices into [`Suggestions::rules`] of the rules that speak for this option.
    pub rules: Vec<usize>,
    /// Whether a contraindication withholds it.
    pub contraindicated: bool,
    /// Whether a contraindication warns about it.
    pub warned: bool,
}

/// Everything the treatment panel shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestions {
    /// Options in ranked order (empty without trial models).
    pub options: Vec<TreatmentOption>,
    /// Every rule that fired, was suppressed or could not be checked, in file order.
    pub rules: Vec<RuleOutcome>,
    /// Similar trial patients the evidence counts (at most [`EVIDENCE_K`]).
    pub evidence_cases: usize,
    /// What the modelled risk is the risk of.
    pub outcome: Option<Text>,
}

/// Split patient JSON into the model's fields and the answers to the rules' own questions
/// (`true`, `false` or `null`/absent for unanswered).
pub fn split_answers(rules: &RuleSet, patient: &Json) -> Result<(Json, Vec<Option<bool>>)> {
    let obj = patient.as_object().ok_or_else(|| Error::BadPatient {
        reason: "expected an object".into(),
    })?;
    let mut answers = vec![None; rules.inputs.len()];
    let mut rest = Map::new();
    for (k, v) in obj {
        match rules.inputs.iter().position(|i| &i.id == k) {
            Some(i) => {
                let a = match v {
                    Json::Bool(b) => Some(*b),
                    Json::Null => None,
                    other => {
                        return Err(Error::WrongType {
                            field: k.clone(),
                            value: other.to_string(),
                            expected: "true, false or null (not answered)".into(),
                        })
                    }
                };
                if let Some(slot) = answers.get_mut(i) {
                    *slot = a;
                }
            }
            None => {
                rest.insert(k.clone(), v.clone());
            }
        }
    }
    Ok((Json::Object(rest), answers))
}

/// Treatment suggestions for patient JSON text (the schema's fields plus the answers to the
/// rules' questions), validated like `assess`; duplicate keys are refused.
pub fn suggest_text(bundle: &Bundle, patient: &str) -> Result<Suggestions> {
    let json = crate::contract::patient::parse_object_text(patient)?;
    let (fields, answers) = split_answers(&bundle.rules, &json)?;
    let record = PatientRecord::from_json(&bundle.schema, &fields)?;
    let p = crate::clinical::predict::probabilities(bundle, &record);
    Ok(suggest(bundle, &record, &answers, &p))
}

/// Treatment suggestions for a validated patient, the answers to the rules' questions and the
/// calibrated class probabilities.
pub fn suggest(
    bundle: &Bundle,
    record: &PatientRecord,
    answers: &[Option<bool>],
    probabilities: &[f64],
) -> Suggestions {
    let schema = &bundle.schema;
    let rules = bundle.rules.evaluate(
        schema,
        Facts {
            values: record.values(),
            inputs: answers,
            probabilities,
        },
    );
    let (Some(trial), Some(t)) = (&bundle.trial, &schema.treatment) else {
        return Suggestions {
            options: Vec::new(),
            rules,
            evidence_cases: 0,
            outcome: None,
        };
    };
    let x = bundle.preprocessor.transform(record).x;
    let risks = trial.risks(&x);
    let similar = cases::search(
        &bundle.cases,
        &bundle.metric,
        schema.target.classes.len(),
        record,
        &Options {
            k: Some(EVIDENCE_K),
            ..Options::default()
        },
    );
    let codes: Vec<String> = t.arms.iter().map(|a| a.code.clone()).collect();
    let event = usize::from(trial.event_class);
    let evidence = evidence::per_arm(&bundle.cases, &similar, &codes, event);
    let mut options: Vec<TreatmentOption> = t
        .arms
        .iter()
        .zip(risks)
        .zip(evidence)
        .map(|((arm, risk), evidence)| {
            let mine: Vec<usize> = rules
                .iter()
                .enumerate()
                .filter(|(_, r)| r.option.as_deref() == Some(arm.code.as_str()))
                .map(|(i, _)| i)
                .collect();
            let has = |e: Effect| {
                mine.iter().filter_map(|&i| rules.get(i)).any(|r| {
                    r.status != Status::Unchecked
                        && r.contraindications.iter().any(|c| c.effect == e)
                })
            };
            TreatmentOption {
                code: arm.code.clone(),
                label: arm.label.clone(),
                control: arm.code == t.control,
                contraindicated: has(Effect::Suppress),
                warned: has(Effect::Warn),
                risk,
                evidence,
                rules: mine,
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..options.len()).collect();
    sort_indices(&mut order, &|a, b| {
        let key = |i: usize| {
            options.get(i).map_or((true, f64::INFINITY), |o| {
                (o.contraindicated, o.risk.risk.value)
            })
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1)).then(a.cmp(&b))
    });
    let mut slots: Vec<Option<TreatmentOption>> = options.drain(..).map(Some).collect();
    let options = order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect();
    Suggestions {
        options,
        rules,
        evidence_cases: similar.neighbours.len(),
        outcome: schema.target.classes.get(event).map(|c| c.label.clone()),
    }
}
