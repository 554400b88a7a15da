//! The patient in front of the clinician, as one value.
//!
//! Wrong-patient errors are the classic failure of clinical software: an answer, a decision or
//! a record reference of one patient shown or exported with another. So everything that
//! belongs to the patient on screen — the entered values and where each came from, who the
//! patient is, the answers to the rules' questions, the clinician's decisions, the FHIR import
//! report, and what is derived from them (assessment, treatment suggestions) — lives in one
//! [`PatientContext`]. A new patient, by any path (an example, a library or quiz case, a host's
//! `setPatient`, a FHIR import, Clear, another bundle), is a *new* context built by
//! [`PatientContext::new`]: nothing is carried over because nothing is copied. Only typing
//! into a field, switching units or answering and deciding change the context in place
//! (same patient).
//!
//! Every output that leaves the page asks the context who the patient is
//! ([`PatientContext::subject`], [`PatientContext::basis`], [`PatientContext::who`]), so it
//! names the right patient or none.

use std::rc::Rc;

use crate::bundle::Bundle;
use crate::clinical::form::{self, FormOutcome};
use crate::clinical::treatment::decision::{self, Decision};
use crate::clinical::treatment::{suggest, Suggestions};

/// Who a patient from a record is, as the record says (for the banner and the export).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// `Patient/<id>` (or the subject the observations named), when known.
    pub reference: Option<String>,
    /// The name as the record gives it.
    pub name: Option<String>,
    /// `YYYY-MM-DD` (or as partial as the record has it).
    pub birth_date: Option<String>,
    /// The EHR shows its own patient banner around the app (SMART `need_patient_banner`
    /// false), so the app's would repeat it.
    pub ehr_banner: bool,
}

/// A rules question answered from the record: the entry that answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerSource {
    /// The entry in words (type, what, code, status, date).
    pub source: String,
    /// `Condition/<id>` and the like, when the entry has an id.
    pub reference: Option<String>,
}

/// How the patient on screen came to be there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// Nothing entered yet.
    #[default]
    Blank,
    /// Typed into the form.
    Typed,
    /// One of the bundle's example cases (row of the test set, 1-based).
    Example {
        /// Row in the test data.
        row: u32,
    },
    /// A published equation's worked example, by its name ("Table A, white woman").
    Worked(String),
    /// A case of the case library (browse or quiz), by its index.
    Case {
        /// Index in the library.
        index: usize,
    },
    /// Given by the embedding host page (`setPatient` with field values, or postMessage).
    Host,
    /// Read from a FHIR record (file, paste, or a host's FHIR resource).
    Record(Record),
}

/// Where one field's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldSource {
    /// Empty.
    Blank,
    /// Typed (or changed) by hand.
    Typed,
    /// From the patient's origin (example, case, host).
    Given,
    /// From this FHIR resource (`Observation/<id>`, `Patient/<id>`).
    Resource(String),
}

/// A patient read from a FHIR record, as the page receives it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FromRecord {
    /// Form texts in the schema's units and order; blank where the record had nothing usable.
    pub inputs: Vec<String>,
    /// Per field, the resource its value came from.
    pub references: Vec<Option<String>>,
    /// Who the record is.
    pub record: Record,
    /// The import's report (escaped HTML, as shown).
    pub report: String,
    /// Per rules question, the record's "yes" and where it came from (`None`: nothing found;
    /// the question stays unanswered).
    pub answers: Vec<Option<AnswerSource>>,
}

/// Everything about the patient in front of the clinician. Cloning is cheap (shared parts are
/// `Rc`); a new patient is a new value.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientContext {
    /// A number that changes with every new patient (shown in the DOM as `data-patient`,
    /// so a test or a host can tell two patients apart even when their values agree).
    pub serial: u64,
    /// Who the patient is.
    pub origin: Origin,
    /// Each input's text, in schema order, in the units shown.
    pub inputs: Rc<Vec<String>>,
    /// The same in the schema's units (what the model, rules and exports use).
    pub canonical: Rc<Vec<String>>,
    /// Where each value came from.
    pub sources: Rc<Vec<FieldSource>>,
    /// Answers to the rules' own questions (contraindications), in the rule file's order.
    pub answers: Rc<Vec<Option<bool>>>,
    /// Per question, the record entry its answer came from (until the clinician changes it).
    pub answer_sources: Rc<Vec<Option<AnswerSource>>>,
    /// The clinician's agree / override decisions.
    pub decisions: Rc<Vec<Decision>>,
    /// The FHIR import report (escaped HTML) when this patient came from a record.
    pub import_report: Option<Rc<String>>,
    /// The form's validation and assessment.
    pub outcome: Option<Rc<FormOutcome>>,
    /// The treatment panel's content for these values and answers.
    pub treatment: Option<Rc<Suggestions>>,
}

impl PatientContext {
    /// A new patient: `inputs` in the units shown (`si`), with their `sources`. Answers start
    /// unanswered and there are no decisions.
    pub fn new(
        serial: u64,
        bundle: Option<&Bundle>,
        origin: Origin,
        inputs: Vec<String>,
        sources: Vec<FieldSource>,
        si: bool,
    ) -> PatientContext {
        let n = bundle.map_or(0, |b| b.schema.features.len());
        let inputs = if bundle.is_some() {
            fit(inputs, n, String::new())
        } else {
            Vec::new()
        };
        let sources = fit(sources, inputs.len(), FieldSource::Blank)
            .into_iter()
            .zip(&inputs)
            .map(|(s, v)| {
                if v.trim().is_empty() {
                    FieldSource::Blank
                } else {
                    s
                }
            })
            .collect();
        let questions = bundle.map_or(0, |b| b.rules.inputs.len());
        PatientContext {
            serial,
            origin,
            inputs: Rc::new(Vec::new()),
            canonical: Rc::new(Vec::new()),
            sources: Rc::new(sources),
            answers: Rc::new(vec![None; questions]),
            answer_sources: Rc::new(vec![None; questions]),
            decisions: Rc::new(Vec::new()),
            import_report: None,
            outcome: None,
            treatment: None,
        }
        .evaluated(bundle, inputs, si)
    }

    /// An empty form for `bundle`.
    pub fn blank(serial: u64, bundle: Option<&Bundle>) -> PatientContext {
        PatientContext::new(serial, bundle, Origin::Blank, Vec::new(), Vec::new(), false)
    }

    /// A new patient from values in the schema's units (examples, library cases, a host's
    /// patient), shown in the units chosen.
    pub fn given(
        serial: u64,
        bundle: &Bundle,
        origin: Origin,
        canonical: Vec<String>,
        si: bool,
    ) -> PatientContext {
        let shown = if si {
            form::switch_units(&bundle.schema, &canonical, true)
        } else {
            canonical
        };
        let sources = vec![FieldSource::Given; shown.len()];
        PatientContext::new(serial, Some(bundle), origin, shown, sources, si)
    }

    /// A new patient read from a FHIR record.
    pub fn from_record(serial: u64, bundle: &Bundle, r: FromRecord, si: bool) -> PatientContext {
        let shown = if si {
            form::switch_units(&bundle.schema, &r.inputs, true)
        } else {
            r.inputs
        };
        let sources = r
            .references
            .into_iter()
            .map(|reference| reference.map_or(FieldSource::Given, FieldSource::Resource))
            .collect();
        let mut c = PatientContext::new(
            serial,
            Some(bundle),
            Origin::Record(r.record),
            shown,
            sources,
            si,
        );
        c.import_report = Some(Rc::new(r.report));
        let questions = c.answers.len();
        let sources = fit(r.answers, questions, None);
        c.answers = Rc::new(sources.iter().map(|s| s.as_ref().map(|_| true)).collect());
        c.answer_sources = Rc::new(sources);
        c.with_treatment(Some(bundle))
    }

    /// The same patient with field `i` typed by hand (its source becomes [`FieldSource::Typed`],
    /// so a record's citation for that field is dropped).
    pub fn with_input(self, bundle: Option<&Bundle>, i: usize, text: String, si: bool) -> Self {
        let mut inputs = (*self.inputs).clone();
        let mut sources = (*self.sources).clone();
        if let (Some(slot), Some(source)) = (inputs.get_mut(i), sources.get_mut(i)) {
            *source = if text.trim().is_empty() {
                FieldSource::Blank
            } else {
                FieldSource::Typed
            };
            *slot = text;
        }
        let mut c = self;
        if c.origin == Origin::Blank {
            c.origin = Origin::Typed;
        }
        c.sources = Rc::new(sources);
        c.evaluated(bundle, inputs, si)
    }

    /// The same patient shown in the other units (values converted exactly; nothing else
    /// changes).
    pub fn with_units(self, bundle: Option<&Bundle>, from_si: bool, si: bool) -> Self {
        if from_si == si {
            return self;
        }
        let inputs = match bundle {
            Some(b) => form::switch_units(&b.schema, &self.inputs, si),
            None => (*self.inputs).clone(),
        };
        self.evaluated(bundle, inputs, si)
    }

    /// The same patient with rule question `i` answered (`None`: not asked).
    pub fn with_answer(mut self, bundle: Option<&Bundle>, i: usize, answer: Option<bool>) -> Self {
        let mut answers = (*self.answers).clone();
        if let Some(slot) = answers.get_mut(i) {
            *slot = answer;
        }
        self.answers = Rc::new(answers);
        // The clinician's answer now, not the record's.
        if self.answer_sources.get(i).is_some_and(Option::is_some) {
            let mut sources = (*self.answer_sources).clone();
            if let Some(slot) = sources.get_mut(i) {
                *slot = None;
            }
            self.answer_sources = Rc::new(sources);
        }
        self.with_treatment(bundle)
    }

    /// The same patient with a decision recorded (replacing an earlier one on the same item).
    pub fn with_decision(mut self, d: Decision) -> Self {
        self.decisions = Rc::new(decision::record(&self.decisions, d));
        self
    }

    /// The FHIR subject this patient's values came from: the record's `Patient/<id>` while at
    /// least one value still comes from that record. Once every value from the record has been
    /// overwritten by hand, the form no longer holds the record's data and nothing names it.
    pub fn subject(&self) -> Option<&str> {
        let Origin::Record(r) = &self.origin else {
            return None;
        };
        let from_record = self
            .sources
            .iter()
            .any(|s| matches!(s, FieldSource::Resource(_)));
        if from_record {
            r.reference.as_deref()
        } else {
            None
        }
    }

    /// The observations whose values are in the form now (a RiskAssessment's basis): each
    /// once, in field order; none that was overwritten by hand.
    pub fn basis(&self) -> Vec<String> {
        if self.subject().is_none() {
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for s in self.sources.iter() {
            if let FieldSource::Resource(r) = s {
                if r.starts_with("Observation/") && !out.contains(r) {
                    out.push(r.clone());
                }
            }
        }
        out
    }

    /// Whether `other` is this very state of this patient: the same serial and the same shared
    /// parts by identity (every change hands out a new `Rc`). A cheap comparison for views,
    /// which would otherwise compare assessments field by field on every render.
    pub fn is_same(&self, other: &PatientContext) -> bool {
        self.serial == other.serial
            && self.origin == other.origin
            && Rc::ptr_eq(&self.inputs, &other.inputs)
            && Rc::ptr_eq(&self.canonical, &other.canonical)
            && Rc::ptr_eq(&self.sources, &other.sources)
            && Rc::ptr_eq(&self.answers, &other.answers)
            && Rc::ptr_eq(&self.answer_sources, &other.answer_sources)
            && Rc::ptr_eq(&self.decisions, &other.decisions)
            && same(&self.import_report, &other.import_report)
            && same(&self.outcome, &other.outcome)
            && same(&self.treatment, &other.treatment)
    }

    /// Whether nothing has been entered.
    pub fn is_blank(&self) -> bool {
        self.inputs.iter().all(|v| v.trim().is_empty())
    }

    /// Recompute what is derived from the values (assessment, suggestions).
    fn evaluated(mut self, bundle: Option<&Bundle>, inputs: Vec<String>, si: bool) -> Self {
        self.outcome = bundle.map(|b| Rc::new(form::evaluate_in(b, &inputs, si)));
        self.canonical = Rc::new(match bundle {
            Some(b) => form::canonical(&b.schema, &inputs, si),
            None => inputs.clone(),
        });
        self.inputs = Rc::new(inputs);
        self.with_treatment(bundle)
    }

    /// Recompute the treatment panel from the current outcome and answers.
    fn with_treatment(mut self, bundle: Option<&Bundle>) -> Self {
        self.treatment = match (bundle, self.outcome.as_deref()) {
            (Some(b), Some(o)) if !b.rules.is_empty() || b.trial.is_some() => {
                match (&o.record, &o.assessment) {
                    (Some(r), Some(a)) => {
                        let p: Vec<f64> = a.probabilities.iter().map(|c| c.probability).collect();
                        Some(Rc::new(suggest(b, r, &self.answers, &p)))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        self
    }
}

/// Whether two optional shared values are the same allocation (or both absent).
pub fn same<T>(a: &Option<Rc<T>>, b: &Option<Rc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// `v` cut or padded to `n` items.
fn fit<T: Clone>(mut v: Vec<T>, n: usize, pad: T) -> Vec<T> {
    v.resize(n, pad);
    v
}

// Native only: the tests train bundles on the real data (the trainer is not built for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::clinical::treatment::decision::Verdict;
    use crate::present::ui::Msg;
    use crate::util::lang::Lang;

    /// A bundle trained on the real data, as `./dev.sh build` trains it (once per test run).
    fn trained(id: &str, csv: &str) -> Bundle {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        static CACHE: OnceLock<Mutex<HashMap<String, Vec<u8>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let mut cache = cache.lock().unwrap();
        let bytes = cache.entry(id.to_string()).or_insert_with(|| {
            let read = |p: &str| {
                std::fs::read_to_string(format!("{}/{p}", env!("CARGO_MANIFEST_DIR"))).ok()
            };
            let schema =
                crate::Schema::from_toml(&read(&format!("data/{id}.schema.toml")).unwrap())
                    .unwrap();
            let data = read(csv).unwrap();
            let rules = read(&format!("data/{id}.rules.toml"));
            let mut input = crate::train::TrainInput::new(&schema, &data, None);
            input.rules = rules.as_deref();
            crate::train::train(&input, &|_, _, _| {}).unwrap().bytes
        });
        Bundle::from_bytes(bytes).unwrap()
    }

    fn indo() -> Bundle {
        trained("indo_rct", "data/indo_rct.csv")
    }

    fn pima() -> Bundle {
        trained("pima", "data/pima_tr2.csv")
    }

    fn example(b: &Bundle, k: usize) -> PatientContext {
        let ex = b.examples.get(k).unwrap();
        PatientContext::given(
            k as u64 + 1,
            b,
            Origin::Example { row: ex.row },
            ex.inputs.clone(),
            false,
        )
    }

    #[test]
    fn a_new_patient_carries_no_answer_decision_or_report_of_the_last() {
        let b = indo();
        let a = example(&b, 0)
            .with_answer(Some(&b), 0, Some(false))
            .with_decision(Decision::new("indomethacin", Verdict::Agree, "").unwrap());
        assert_eq!(a.answers.first(), Some(&Some(false)));
        assert_eq!(a.decisions.len(), 1);
        let next = example(&b, 1);
        assert!(next.answers.iter().all(Option::is_none));
        assert!(next.decisions.is_empty());
        assert!(next.import_report.is_none());
        assert_ne!(next.serial, a.serial);
        assert_ne!(next.inputs, a.inputs);
    }

    #[test]
    fn a_record_names_its_subject_only_while_its_values_are_in_the_form() {
        let b = pima();
        let n = b.schema.features.len();
        let glu = b
            .schema
            .features
            .iter()
            .position(|f| f.column == "glu")
            .unwrap();
        let bmi = b
            .schema
            .features
            .iter()
            .position(|f| f.column == "bmi")
            .unwrap();
        let mut inputs = vec![String::new(); n];
        let mut refs = vec![None; n];
        inputs[glu] = "150".into();
        refs[glu] = Some("Observation/g1".to_string());
        inputs[bmi] = "31".into();
        refs[bmi] = Some("Observation/b1".to_string());
        let r = FromRecord {
            inputs,
            references: refs,
            record: Record {
                reference: Some("Patient/a".into()),
                name: Some("Ann Example".into()),
                birth_date: Some("1970-01-02".into()),
                ehr_banner: false,
            },
            report: "<p>report</p>".into(),
            answers: Vec::new(),
        };
        let c = PatientContext::from_record(7, &b, r, false);
        assert_eq!(c.subject(), Some("Patient/a"));
        assert_eq!(c.basis(), vec!["Observation/g1", "Observation/b1"]);
        assert!(c.who(Lang::En).contains("Ann Example"));
        // Overwriting glucose by hand drops its observation from the basis.
        let c = c.with_input(Some(&b), glu, "120".into(), false);
        assert_eq!(c.basis(), vec!["Observation/b1"]);
        assert!(
            c.who(Lang::En).contains("edited by hand: 1"),
            "{}",
            c.who(Lang::En)
        );
        // Once nothing from the record is left, the record is named nowhere.
        let c = c.with_input(Some(&b), bmi, "25".into(), false);
        assert_eq!(c.subject(), None);
        assert!(c.basis().is_empty());
        assert!(!c.who(Lang::En).contains("Patient/a"));
    }

    #[test]
    fn typing_keeps_the_patient_and_clear_is_a_new_one() {
        let b = indo();
        let a = example(&b, 0).with_answer(Some(&b), 0, Some(true));
        let typed = a.clone().with_input(Some(&b), 0, "70".into(), false);
        assert_eq!(typed.serial, a.serial);
        assert_eq!(typed.answers, a.answers, "same patient, same answers");
        let cleared = PatientContext::blank(a.serial + 1, Some(&b));
        assert!(cleared.is_blank());
        assert!(cleared.answers.iter().all(Option::is_none));
        assert_eq!(cleared.answers.len(), b.rules.inputs.len());
        assert_eq!(cleared.who(Lang::En), Msg::PatientNone.text(Lang::En));
    }

    #[test]
    fn unit_switching_keeps_values_sources_and_answers() {
        let b = pima();
        let a = example(&b, 0);
        let si = a.clone().with_units(Some(&b), false, true);
        assert_eq!(si.canonical, a.canonical);
        assert_eq!(si.sources, a.sources);
        let back = si.with_units(Some(&b), true, false);
        assert_eq!(back.inputs, a.inputs);
    }
}
