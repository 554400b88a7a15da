//! App state and the actions that change it. The reducer only moves data; the decisions are
//! the core's (`form::evaluate`, `Bundle::from_bytes`).

use std::rc::Rc;

use crate::bundle::Bundle;
use crate::cases::{CaseLibrary, Options};
use crate::clinical::context::{FromRecord, Origin, PatientContext};
use crate::clinical::form;
use crate::clinical::treatment::decision::Decision;
use crate::contract::groups;
use crate::contract::schema::{Lang, Text};
use crate::error::Error;
use crate::validate::{Evaluated, Recalibrated};

/// One entry of `static/bundles/index.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub file: String,
    pub id: String,
    pub title: Text,
}

/// Why something could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// The server answered with this HTTP status.
    Http(u16),
    /// The request failed before an answer (offline, refused, CSP).
    Network(String),
    /// The bytes arrived but are not a usable bundle.
    Bundle(Error),
    /// index.json is not what it should be.
    Index(String),
}

/// A load failure in words.
pub fn load_error_text(what: crate::present::ui::Msg, e: &LoadError, lang: Lang) -> String {
    use crate::present::ui::Msg;
    let detail = match e {
        LoadError::Http(status) => format!("{} {status}", Msg::HttpStatus.text(lang)),
        LoadError::Network(m) => format!("{}: {m}", Msg::Network.text(lang)),
        LoadError::Bundle(err) => crate::present::wording::error_text(err, None, lang),
        LoadError::Index(m) => m.clone(),
    };
    format!("{}: {detail}", what.text(lang))
}

/// Something loaded over the network.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(LoadError),
}

/// A bundle ready to use.
#[derive(Debug)]
pub struct Loaded {
    pub file: String,
    pub bundle: Bundle,
    pub sha256: String,
    /// Who vouches for it (its signature, as the page's policy judged it).
    pub provenance: crate::bundle::signature::Provenance,
    /// The bundle's own training cases, shared with the views.
    pub cases: Rc<CaseLibrary>,
}

/// Two loaded bundles are the same when their file, payload hash and case store are: the hash
/// covers every byte of the model, so there is no need to compare the decoded bundles field by
/// field (which every re-render of every view would otherwise do, and which costs WASM size).
impl PartialEq for Loaded {
    fn eq(&self, other: &Loaded) -> bool {
        self.file == other.file
            && self.sha256 == other.sha256
            && Rc::ptr_eq(&self.cases, &other.cases)
    }
}

impl Eq for Loaded {}

/// Whether two optional shared values are the same allocation (or both absent).
pub use crate::clinical::context::same;

/// Which view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Assess,
    Teach,
    /// The entered values against their normal ranges.
    Health,
    /// The model checked on a site's own labelled patients (a CSV read in the page).
    Validate,
}

/// Why a validation file gave no figures.
/// (Constructed by the Validate view, in the `validate` build only.)
#[cfg_attr(not(feature = "validate"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq)]
pub enum Unusable {
    /// The file is not UTF-8 text.
    NotText,
    /// The core refused it (no outcome column, another coding, too few patients …).
    Refused(Error),
}

/// A site's labelled CSV checked against the bundle on screen (the Validate view). It lives in
/// memory only, belongs to one bundle, and is dropped whenever the bundle changes.
#[derive(Debug, Clone)]
pub struct Validation {
    /// Payload hash of the bundle it was checked against.
    pub sha256: String,
    /// The file's name, as the user's system gave it.
    pub name: String,
    /// `None` while the file is being read and checked.
    pub result: Option<Result<Rc<Evaluated>, Unusable>>,
    /// The bundle recalibrated to these patients, or why not (once asked for).
    pub recalibrated: Option<Result<Rc<Recalibrated>, Error>>,
}

/// The results compare by allocation: a new check or recalibration is a new `Rc`.
impl PartialEq for Validation {
    fn eq(&self, o: &Validation) -> bool {
        let result = match (&self.result, &o.result) {
            (None, None) => true,
            (Some(Ok(a)), Some(Ok(b))) => Rc::ptr_eq(a, b),
            (Some(Err(a)), Some(Err(b))) => a == b,
            _ => false,
        };
        let recalibrated = match (&self.recalibrated, &o.recalibrated) {
            (None, None) => true,
            (Some(Ok(a)), Some(Ok(b))) => Rc::ptr_eq(a, b),
            (Some(Err(a)), Some(Err(b))) => a == b,
            _ => false,
        };
        self.sha256 == o.sha256 && self.name == o.name && result && recalibrated
    }
}

impl Validation {
    /// The figures, once checked.
    pub fn evaluated(&self) -> Option<&Rc<Evaluated>> {
        match &self.result {
            Some(Ok(e)) => Some(e),
            _ => None,
        }
    }
}

/// A case library the user loaded from a CSV (it never leaves the page).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomLibrary {
    pub library: Rc<CaseLibrary>,
    /// Rows that did not pass the schema, with the reason (as shown).
    pub skipped: Vec<String>,
}

/// Similar-case search settings as the user chose them.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub k: usize,
    pub weighted: bool,
    /// Per grouping field (in `groups::fields` order), the chosen group.
    pub groups: Vec<Option<usize>>,
    pub outcome: Option<usize>,
}

impl Default for Search {
    fn default() -> Search {
        Search {
            k: 10,
            weighted: false,
            groups: Vec::new(),
            outcome: None,
        }
    }
}

impl Search {
    /// The core's search options.
    pub fn options(&self, fields: &[groups::Field], exclude: Option<usize>) -> Options {
        Options {
            k: Some(self.k),
            weighted: self.weighted,
            groups: fields
                .iter()
                .zip(&self.groups)
                .filter_map(|(f, g)| Some((f.feature, f.groups.get((*g)?)?.member)))
                .collect(),
            outcome: self.outcome,
            exclude,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub lang: Lang,
    pub index: Load<Rc<Vec<IndexEntry>>>,
    /// The bundle file chosen (drives the fetch effect).
    pub selected: Option<String>,
    pub bundle: Option<Load<Rc<Loaded>>>,
    /// Whether features with a second unit (glucose in mmol/L) are shown in it.
    pub si: bool,
    /// Example to fill in once the bundle has loaded (from `?example=`).
    pub pending_example: Option<usize>,
    pub view: View,
    /// A library loaded from CSV, replacing the bundle's training cases.
    pub custom: Option<CustomLibrary>,
    /// Why the last CSV could not be used.
    pub library_error: Option<String>,
    pub search: Search,
    /// Everything about the patient on screen: replaced whole when the patient changes.
    pub patient: PatientContext,
    /// Why the last FHIR import could not be used (the patient on screen is unchanged).
    pub import_error: Option<Rc<String>>,
    /// Opened from an EHR (SMART launch): how reading the record for the bundle on screen went.
    pub record: Option<RecordRead>,
    /// The Validate view's file and figures, for the bundle on screen.
    pub validation: Option<Validation>,
}

/// An EHR launch's reading of the patient's record for the bundle on screen.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordRead {
    /// Asked for; the form stays empty until the whole record has come and passed the import,
    /// so a half-read record is never shown as the patient.
    Reading,
    /// Read and imported into the patient on screen.
    Read,
    /// Could not be read or used, and why; the form is empty.
    Failed(Rc<String>),
}

impl State {
    pub fn new(lang: Lang, pending_example: Option<usize>, selected: Option<String>) -> State {
        State {
            lang,
            index: Load::Loading,
            bundle: selected.as_ref().map(|_| Load::Loading),
            selected,
            si: false,
            pending_example,
            // The data team's page (the `validate` build) opens on its view.
            view: if cfg!(feature = "validate") {
                View::Validate
            } else {
                View::Assess
            },
            custom: None,
            library_error: None,
            search: Search::default(),
            patient: PatientContext::blank(0, None),
            import_error: None,
            record: None,
            validation: None,
        }
    }

    /// The case library in use: the user's, else the bundle's training cases.
    pub fn library(&self) -> Option<Rc<CaseLibrary>> {
        match &self.custom {
            Some(c) => Some(c.library.clone()),
            None => self.loaded().map(|l| l.cases.clone()),
        }
    }

    pub fn loaded(&self) -> Option<&Rc<Loaded>> {
        match &self.bundle {
            Some(Load::Ready(l)) => Some(l),
            _ => None,
        }
    }

    fn model(&self) -> Option<&Bundle> {
        self.loaded().map(|l| &l.bundle)
    }

    /// The serial number for the next patient.
    fn next_serial(&self) -> u64 {
        self.patient.serial.wrapping_add(1)
    }

    /// Replace the patient on screen (and what belongs to the last one: an import error).
    fn new_patient(mut self, patient: PatientContext) -> State {
        self.patient = patient;
        self.import_error = None;
        self
    }

    /// A new, empty patient.
    fn blank(self) -> State {
        let p = PatientContext::blank(self.next_serial(), self.model());
        self.new_patient(p)
    }

    /// A new patient from values in the schema's units (examples, library cases, a host's).
    fn given(self, origin: Origin, canonical: Vec<String>) -> State {
        let Some(l) = self.loaded().cloned() else {
            return self;
        };
        if canonical.len() != l.bundle.schema.features.len() {
            return self; // damaged input: the patient on screen stays as it is
        }
        let p = PatientContext::given(self.next_serial(), &l.bundle, origin, canonical, self.si);
        self.new_patient(p)
    }
}

pub enum Action {
    SetLang(Lang),
    IndexLoaded(Result<Vec<IndexEntry>, LoadError>),
    Select(String),
    /// Select this bundle unless one is already selected (the index's default).
    SelectIfNone(String),
    BundleLoaded(String, Result<Rc<Loaded>, LoadError>),
    Input(usize, String),
    /// Show features with a second unit in it (`true`) or in the schema's unit.
    SetUnits(bool),
    Example(usize),
    Clear,
    SetView(View),
    SetSearch(Search),
    /// A case-library CSV read against the bundle with this hash: the library, or why not.
    LibraryLoaded(String, Result<CustomLibrary, String>),
    UseShippedLibrary,
    /// Fill the form with a case of the library and show the assessment.
    AssessCase(usize),
    /// Answer rule question `i` (`None`: not asked).
    Answer(usize, Option<bool>),
    /// Record a decision on a suggestion.
    Decide(Decision),
    /// A FHIR import for bundle `sha256`: a new patient from the record, or why it could not be
    /// used (then the patient on screen stays).
    FhirImported(String, Result<FromRecord, String>),
    /// A new patient from the embedding host: every field (schema units) replaced.
    Fill(Vec<String>),
    /// An EHR launch started reading the record for bundle `sha256`: an empty form meanwhile.
    RecordReading(String),
    /// The record read for bundle `sha256`: a new patient from it, or why not (an empty form).
    RecordRead(String, Result<FromRecord, String>),
    /// A validation file chosen for bundle `sha`: being read and checked.
    #[cfg_attr(not(feature = "validate"), allow(dead_code))]
    Validating {
        sha: String,
        name: String,
    },
    /// A validation file checked against bundle `sha`: the figures, or why there are none.
    #[cfg_attr(not(feature = "validate"), allow(dead_code))]
    Validated {
        sha: String,
        name: String,
        result: Result<Rc<Evaluated>, Unusable>,
    },
    /// `of` (the figures on screen for bundle `sha`) recalibrated: the new bundle, or why not.
    #[cfg_attr(not(feature = "validate"), allow(dead_code))]
    Recalibrated {
        sha: String,
        of: Rc<Evaluated>,
        result: Result<Rc<Recalibrated>, Error>,
    },
    /// Forget the validation file and its figures.
    #[cfg_attr(not(feature = "validate"), allow(dead_code))]
    ClearValidation,
}

/// The yew adaptor: the reducer itself is plain Rust ([`State::apply`]), tested natively.
impl yew::Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        State::apply(self, action)
    }
}

impl State {
    /// The reducer: the next state, or `self` itself (the same `Rc`, so nothing re-renders)
    /// when the action is stale — an answer for a bundle no longer awaited, an import or a CSV
    /// read against a bundle no longer loaded.
    pub fn apply(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        let user_choice = matches!(action, Action::Select(_));
        match action {
            Action::SetLang(lang) => s.lang = lang,
            Action::IndexLoaded(Ok(entries)) => s.index = Load::Ready(Rc::new(entries)),
            Action::IndexLoaded(Err(e)) => s.index = Load::Failed(e),
            Action::SelectIfNone(_) if s.selected.is_some() => return self,
            Action::Select(file) | Action::SelectIfNone(file) => {
                if s.selected.as_deref() == Some(file.as_str()) {
                    return self;
                }
                // A user's choice drops an example the URL asked for, which belonged to the
                // bundle first meant (the index's default, `SelectIfNone`, keeps it: it is how a
                // URL without `bundle=` reaches its example).
                if user_choice {
                    s.pending_example = None;
                }
                s.selected = Some(file);
                s.bundle = Some(Load::Loading);
                s.custom = None;
                s.library_error = None;
                s.search = Search::default();
                s.record = None;
                s.validation = None;
                s = s.blank();
            }
            Action::BundleLoaded(file, result) => {
                // Only the answer awaited: not one for a bundle no longer selected, nor a second
                // answer for one already loaded (A → B → A), which would wipe the patient.
                if s.selected.as_deref() != Some(file.as_str())
                    || !matches!(s.bundle, Some(Load::Loading))
                {
                    return self;
                }
                match result {
                    Ok(loaded) => {
                        let example = s
                            .pending_example
                            .take()
                            .and_then(|k| loaded.bundle.examples.get(k).cloned());
                        s.bundle = Some(Load::Ready(loaded));
                        s.validation = None;
                        s = s.blank();
                        if let Some(ex) = example {
                            s = s.given(example_origin(&ex), ex.inputs);
                        }
                    }
                    Err(e) => s.bundle = Some(Load::Failed(e)),
                }
            }
            Action::Input(i, text) => {
                let l = s.loaded().cloned();
                let bundle = l.as_ref().map(|l| &l.bundle);
                s.patient = s.patient.with_input(bundle, i, text, s.si);
            }
            Action::SetUnits(si) => {
                let l = s.loaded().cloned();
                let bundle = l.as_ref().map(|l| &l.bundle);
                s.patient = s.patient.with_units(bundle, s.si, si);
                s.si = si;
            }
            Action::Example(k) => {
                if let Some(ex) = s.loaded().and_then(|l| l.bundle.examples.get(k).cloned()) {
                    s = s.given(example_origin(&ex), ex.inputs);
                }
            }
            Action::SetView(v) => s.view = v,
            Action::SetSearch(search) => s.search = search,
            Action::LibraryLoaded(sha, result) => {
                if s.loaded().map(|l| l.sha256.as_str()) != Some(sha.as_str()) {
                    return self; // read against a bundle no longer loaded
                }
                match result {
                    Ok(lib) => {
                        s.custom = Some(lib);
                        s.library_error = None;
                    }
                    Err(e) => s.library_error = Some(e),
                }
            }
            Action::UseShippedLibrary => {
                s.custom = None;
                s.library_error = None;
            }
            Action::AssessCase(i) => {
                if let (Some(loaded), Some(lib)) = (s.loaded().cloned(), s.library()) {
                    let json = lib.case_json(&loaded.bundle.schema, i);
                    let canonical = form::from_json(&loaded.bundle.schema, &json);
                    s = s.given(Origin::Case { index: i }, canonical);
                    s.view = View::Assess;
                }
            }
            Action::Clear => s = s.blank(),
            Action::Answer(i, a) => {
                let l = s.loaded().cloned();
                let bundle = l.as_ref().map(|l| &l.bundle);
                s.patient = s.patient.with_answer(bundle, i, a);
            }
            Action::Decide(d) => s.patient = s.patient.with_decision(d),
            Action::Fill(inputs) => s = s.given(Origin::Host, inputs),
            Action::RecordReading(sha256) => {
                if s.loaded().map(|l| l.sha256.as_str()) != Some(sha256.as_str()) {
                    return self;
                }
                s = s.blank();
                s.record = Some(RecordRead::Reading);
            }
            Action::RecordRead(sha256, result) => {
                let Some(l) = s.loaded().cloned() else {
                    return self;
                };
                if l.sha256 != sha256 || s.record != Some(RecordRead::Reading) {
                    return self; // read for a bundle no longer loaded, or not awaited
                }
                s = s.blank();
                match result {
                    Ok(r) if r.inputs.len() == l.bundle.schema.features.len() => {
                        let p = PatientContext::from_record(s.next_serial(), &l.bundle, r, s.si);
                        s = s.new_patient(p);
                        s.record = Some(RecordRead::Read);
                    }
                    Ok(_) => {
                        s.record = Some(RecordRead::Failed(Rc::new(
                            "the record's import does not match this model's fields".into(),
                        )))
                    }
                    Err(e) => s.record = Some(RecordRead::Failed(Rc::new(e))),
                }
            }
            Action::Validating { sha, name } => {
                if s.loaded().map(|l| l.sha256.as_str()) != Some(sha.as_str()) {
                    return self;
                }
                s.validation = Some(Validation {
                    sha256: sha,
                    name,
                    result: None,
                    recalibrated: None,
                });
            }
            Action::Validated { sha, name, result } => {
                if s.loaded().map(|l| l.sha256.as_str()) != Some(sha.as_str()) {
                    return self; // checked against a bundle no longer loaded
                }
                // Only the file being read now: a file chosen earlier and read more slowly
                // must not replace the figures of the one chosen after it.
                let awaited = s
                    .validation
                    .as_ref()
                    .is_some_and(|v| v.sha256 == sha && v.name == name && v.result.is_none());
                if !awaited {
                    return self;
                }
                s.validation = Some(Validation {
                    sha256: sha,
                    name,
                    result: Some(result),
                    recalibrated: None,
                });
            }
            Action::Recalibrated { sha, of, result } => {
                let current = s.validation.as_mut().filter(|v| {
                    v.sha256 == sha && v.evaluated().is_some_and(|e| Rc::ptr_eq(e, &of))
                });
                let Some(v) = current else {
                    return self; // for figures no longer on screen
                };
                v.recalibrated = Some(result);
            }
            Action::ClearValidation => {
                if s.validation.is_none() {
                    return self;
                }
                s.validation = None;
            }
            Action::FhirImported(sha256, result) => {
                let Some(l) = s.loaded().cloned() else {
                    return self;
                };
                if l.sha256 != sha256 {
                    return self; // an import read against a bundle no longer loaded
                }
                match result {
                    Ok(r) if r.inputs.len() == l.bundle.schema.features.len() => {
                        let p = PatientContext::from_record(s.next_serial(), &l.bundle, r, s.si);
                        s = s.new_patient(p);
                    }
                    Ok(_) => {
                        s.import_error = Some(Rc::new(
                            "<p class=\"error\" role=\"alert\" id=\"fhir-error\">the import does not match this model's fields</p>".into(),
                        ))
                    }
                    Err(e) => s.import_error = Some(Rc::new(e)),
                }
            }
        }
        Rc::new(s)
    }
}

// Native tests of the reducer (the web code compiles on every target; only its JS calls need a
// browser, and the reducer makes none). A cheap bundle: the hand-made sample, given a second
// unit, a rule question and two examples.
/// Where an example patient came from: a test-set row, or a published equation's worked
/// example by its name.
fn example_origin(ex: &crate::bundle::Example) -> Origin {
    if ex.label.is_empty() {
        Origin::Example { row: ex.row }
    } else {
        Origin::Worked(ex.label.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::signature::Provenance;
    use crate::bundle::tests::sample_bundle;
    use crate::bundle::Example;
    use crate::clinical::context::{AnswerSource, FieldSource, Record};
    use crate::clinical::treatment::decision::Verdict;
    use crate::contract::schema::{Convert, Kind};
    use crate::guidance::rules::Input;

    /// The sample bundle with glucose in a second unit, one rule question and two examples;
    /// `seed` makes its hash (its identity) differ.
    fn bundle(seed: u64) -> Bundle {
        let mut b = sample_bundle();
        if let Some(Kind::Numeric { convert, .. }) =
            b.schema.features.get_mut(0).map(|f| &mut f.kind)
        {
            *convert = Some(Convert {
                unit: "mmol/L".into(),
                factor: 0.0555,
            });
        }
        b.rules.inputs.push(Input {
            id: "q".into(),
            label: Text {
                en: "Q?".into(),
                zh: "问？".into(),
            },
            record: Vec::new(),
        });
        b.examples = vec![
            Example {
                row: 12,
                inputs: vec!["150".into(), "true".into(), "f".into()],
                truth: 1,
                label: String::new(),
            },
            Example {
                row: 30,
                inputs: vec!["90".into(), "false".into(), "m".into()],
                truth: 0,
                label: String::new(),
            },
        ];
        b.training.seed = seed;
        b
    }

    fn loaded(file: &str, seed: u64) -> Rc<Loaded> {
        let b = bundle(seed);
        let bytes = b.to_bytes().unwrap();
        Rc::new(Loaded {
            file: file.into(),
            cases: Rc::new(b.cases.clone()),
            sha256: crate::bundle::format::payload_sha256(&bytes).unwrap(),
            bundle: b,
            provenance: Provenance::NotChecked,
        })
    }

    fn run(s: Rc<State>, actions: Vec<Action>) -> Rc<State> {
        actions.into_iter().fold(s, State::apply)
    }

    fn start(example: Option<usize>, file: Option<&str>) -> Rc<State> {
        Rc::new(State::new(Lang::En, example, file.map(String::from)))
    }

    /// Bundle a loaded, with a typed value, an answer and a decision.
    fn busy() -> Rc<State> {
        run(
            start(None, Some("a.bdsx")),
            vec![
                Action::BundleLoaded("a.bdsx".into(), Ok(loaded("a.bdsx", 1))),
                Action::Input(2, "m".into()),
                Action::Answer(0, Some(true)),
                Action::Decide(Decision::new("x", Verdict::Agree, "").unwrap()),
            ],
        )
    }

    fn record(inputs: &[&str]) -> FromRecord {
        FromRecord {
            inputs: inputs.iter().map(|v| v.to_string()).collect(),
            references: vec![Some("Observation/g1".into()), None, None],
            record: Record {
                reference: Some("Patient/a".into()),
                name: Some("Ann".into()),
                birth_date: Some("1970-01-02".into()),
                ehr_banner: false,
            },
            report: "<p>r</p>".into(),
            answers: Vec::new(),
        }
    }

    #[test]
    fn a_bundle_answer_for_a_file_no_longer_selected_is_ignored() {
        let s = run(
            start(None, Some("a.bdsx")),
            vec![Action::Select("b.bdsx".into())],
        );
        for result in [Ok(loaded("a.bdsx", 1)), Err(LoadError::Http(500))] {
            let after = s
                .clone()
                .apply(Action::BundleLoaded("a.bdsx".into(), result));
            assert!(Rc::ptr_eq(&s, &after));
            assert_eq!(after.selected.as_deref(), Some("b.bdsx"));
            assert!(matches!(after.bundle, Some(Load::Loading)));
        }
    }

    #[test]
    fn a_second_answer_for_the_loaded_file_does_not_replace_the_patient_in_progress() {
        let s = run(
            start(None, Some("a.bdsx")),
            vec![
                Action::Select("b.bdsx".into()),
                Action::Select("a.bdsx".into()),
                Action::BundleLoaded("a.bdsx".into(), Ok(loaded("a.bdsx", 1))),
                Action::Input(0, "120".into()),
            ],
        );
        let again = s.clone().apply(Action::BundleLoaded(
            "a.bdsx".into(),
            Ok(loaded("a.bdsx", 1)),
        ));
        assert!(Rc::ptr_eq(&s, &again));
        let failed = s.clone().apply(Action::BundleLoaded(
            "a.bdsx".into(),
            Err(LoadError::Http(500)),
        ));
        assert!(Rc::ptr_eq(&s, &failed));
        assert_eq!(s.patient.inputs.first().map(String::as_str), Some("120"));
    }

    #[test]
    fn every_new_patient_has_a_new_serial_and_no_answers_or_decisions() {
        let sha = busy().loaded().unwrap().sha256.clone();
        let paths: Vec<(&str, Vec<Action>)> = vec![
            ("example", vec![Action::Example(1)]),
            ("clear", vec![Action::Clear]),
            ("library case", vec![Action::AssessCase(0)]),
            (
                "fhir import",
                vec![Action::FhirImported(
                    sha.clone(),
                    Ok(record(&["150", "", ""])),
                )],
            ),
            (
                "host",
                vec![Action::Fill(vec!["100".into(), "false".into(), "f".into()])],
            ),
            (
                "another bundle",
                vec![
                    Action::Select("b.bdsx".into()),
                    Action::BundleLoaded("b.bdsx".into(), Ok(loaded("b.bdsx", 2))),
                ],
            ),
        ];
        for (path, actions) in paths {
            let before = busy();
            assert_eq!(before.patient.answers.first(), Some(&Some(true)));
            let after = run(before.clone(), actions);
            let p = &after.patient;
            assert_ne!(p.serial, before.patient.serial, "{path}: a new serial");
            assert!(p.answers.iter().all(Option::is_none), "{path}: answers");
            assert_eq!(p.answers.len(), 1, "{path}");
            assert!(p.decisions.is_empty(), "{path}: decisions");
            assert!(after.import_error.is_none(), "{path}");
            assert_eq!(p.import_report.is_some(), path == "fhir import", "{path}");
        }
    }

    #[test]
    fn typing_answering_deciding_units_and_language_keep_the_patient() {
        let s = busy();
        let after = run(
            s.clone(),
            vec![
                Action::Input(0, "140".into()),
                Action::Answer(0, Some(false)),
                Action::SetUnits(true),
                Action::SetLang(Lang::Zh),
            ],
        );
        assert_eq!(after.patient.serial, s.patient.serial);
        assert_eq!(after.patient.decisions, s.patient.decisions);
        assert_eq!(after.patient.answers.first(), Some(&Some(false)));
    }

    #[test]
    fn a_fhir_import_replaces_the_patient_whole_and_a_failed_one_keeps_it() {
        let s = busy();
        let sha = s.loaded().unwrap().sha256.clone();
        let imported = s.clone().apply(Action::FhirImported(
            sha.clone(),
            Ok(record(&["150", "", ""])),
        ));
        let p = &imported.patient;
        assert_eq!(
            *p.inputs,
            vec!["150", "", ""],
            "the typed sex is gone: no merge"
        );
        assert_eq!(
            *p.sources,
            vec![
                FieldSource::Resource("Observation/g1".into()),
                FieldSource::Blank,
                FieldSource::Blank
            ]
        );
        assert_eq!(p.subject(), Some("Patient/a"));
        let failed = s
            .clone()
            .apply(Action::FhirImported(sha.clone(), Err("<p>bad</p>".into())));
        assert_eq!(failed.patient, s.patient, "the patient on screen stays");
        assert_eq!(
            failed.import_error.as_deref().map(String::as_str),
            Some("<p>bad</p>")
        );
        let next = failed.apply(Action::Example(0));
        assert!(next.import_error.is_none());
        let short = s
            .clone()
            .apply(Action::FhirImported(sha, Ok(record(&["150"]))));
        assert_eq!(short.patient, s.patient);
        assert!(short.import_error.is_some());
        // Read against another bundle: ignored.
        let stale = s.clone().apply(Action::FhirImported(
            "0".repeat(64),
            Ok(record(&["1", "", ""])),
        ));
        assert!(Rc::ptr_eq(&s, &stale));
    }

    #[test]
    fn a_launch_shows_an_empty_form_while_reading_and_after_a_failure_never_a_partial_one() {
        let s = busy();
        let sha = s.loaded().unwrap().sha256.clone();
        let reading = s.clone().apply(Action::RecordReading(sha.clone()));
        assert_eq!(reading.record, Some(RecordRead::Reading));
        assert!(reading.patient.is_blank());
        assert_ne!(reading.patient.serial, s.patient.serial);
        assert!(reading.patient.answers.iter().all(Option::is_none));
        let mut r = record(&["150", "", ""]);
        r.answers = vec![Some(AnswerSource {
            source: "AllergyIntolerance: x".into(),
            reference: Some("AllergyIntolerance/1".into()),
        })];
        let read = reading
            .clone()
            .apply(Action::RecordRead(sha.clone(), Ok(r)));
        assert_eq!(read.record, Some(RecordRead::Read));
        assert_eq!(read.patient.subject(), Some("Patient/a"));
        assert_eq!(*read.patient.answers, vec![Some(true)]);
        assert!(read.patient.answer_sources[0].is_some());
        // The clinician's own answer drops the record's citation.
        let changed = read.clone().apply(Action::Answer(0, Some(false)));
        assert_eq!(*changed.patient.answers, vec![Some(false)]);
        assert!(changed.patient.answer_sources[0].is_none());
        // A second answer, not awaited, changes nothing.
        let again = read
            .clone()
            .apply(Action::RecordRead(sha.clone(), Ok(record(&["99", "", ""]))));
        assert!(Rc::ptr_eq(&read, &again));
        let failed = reading.apply(Action::RecordRead(sha, Err("401".into())));
        assert!(matches!(failed.record, Some(RecordRead::Failed(_))));
        assert!(failed.patient.is_blank());
        assert!(failed.patient.subject().is_none());
        // Another bundle forgets how the last reading went (its own reading starts anew).
        let other = failed.apply(Action::Select("b.bdsx".into()));
        assert!(other.record.is_none());
    }

    #[test]
    fn units_there_and_back_restore_the_values() {
        let s = busy().apply(Action::Example(0));
        let si = s.clone().apply(Action::SetUnits(true));
        let shown: f64 = si.patient.inputs.first().unwrap().parse().unwrap();
        assert!((shown - 150.0 * 0.0555).abs() < 0.01, "{shown}");
        // The model gets the value in its own unit (to the last bits of a double).
        let canonical: f64 = si.patient.canonical.first().unwrap().parse().unwrap();
        assert!((canonical - 150.0).abs() < 1e-9, "{canonical}");
        let back = si.apply(Action::SetUnits(false));
        assert_eq!(back.patient.inputs, s.patient.inputs);
        assert_eq!(back.patient.serial, s.patient.serial);
    }

    #[test]
    fn select_resets_library_and_search_and_a_stale_csv_is_ignored() {
        let s = busy();
        let sha = s.loaded().unwrap().sha256.clone();
        let lib = CustomLibrary {
            library: s.loaded().unwrap().cases.clone(),
            skipped: vec![],
        };
        let with = run(
            s,
            vec![
                Action::LibraryLoaded(sha.clone(), Ok(lib.clone())),
                Action::SetSearch(Search {
                    k: 20,
                    ..Search::default()
                }),
            ],
        );
        assert!(with.custom.is_some());
        let b = run(
            with,
            vec![
                Action::Select("b.bdsx".into()),
                Action::BundleLoaded("b.bdsx".into(), Ok(loaded("b.bdsx", 2))),
            ],
        );
        assert!(b.custom.is_none() && b.library_error.is_none());
        assert_eq!(b.search, Search::default());
        let stale = b.clone().apply(Action::LibraryLoaded(sha, Ok(lib)));
        assert!(
            Rc::ptr_eq(&b, &stale),
            "a CSV read against bundle a is not b's library"
        );
    }

    /// Labelled patients for the sample bundle (both outcomes, not separated by glucose).
    const LABELLED: &str = "glu,smoker,sex,dx\n100,1,m,no\n180,0,f,yes\n140,0,f,yes\n\
                            90,1,f,no\n160,0,m,no\n120,1,m,yes\n";

    fn checked(s: &State) -> Rc<Evaluated> {
        Rc::new(crate::validate::evaluate(&s.loaded().unwrap().bundle, LABELLED).unwrap())
    }

    #[test]
    fn a_validation_belongs_to_its_bundle_a_stale_one_is_ignored_and_a_new_bundle_clears_it() {
        let s = busy();
        let sha = s.loaded().unwrap().sha256.clone();
        let ev = checked(&s);
        let other = "0".repeat(64);
        // Checked against another bundle: ignored, whichever way it went.
        for action in [
            Action::Validating {
                sha: other.clone(),
                name: "site.csv".into(),
            },
            Action::Validated {
                sha: other.clone(),
                name: "site.csv".into(),
                result: Ok(ev.clone()),
            },
            Action::Validated {
                sha: other.clone(),
                name: "site.csv".into(),
                result: Err(Unusable::NotText),
            },
        ] {
            assert!(Rc::ptr_eq(&s, &s.clone().apply(action)));
        }
        let reading = s.clone().apply(Action::Validating {
            sha: sha.clone(),
            name: "site.csv".into(),
        });
        assert!(reading.validation.as_ref().unwrap().result.is_none());
        let done = reading.apply(Action::Validated {
            sha: sha.clone(),
            name: "site.csv".into(),
            result: Ok(ev.clone()),
        });
        let v = done.validation.as_ref().unwrap();
        assert!(Rc::ptr_eq(v.evaluated().unwrap(), &ev));
        assert_eq!(v.name, "site.csv");
        // A file chosen before another, read after it: ignored; the later file's figures count.
        let (a, b) = ("big.csv".to_string(), "small.csv".to_string());
        let both = s
            .clone()
            .apply(Action::Validating {
                sha: sha.clone(),
                name: a.clone(),
            })
            .apply(Action::Validating {
                sha: sha.clone(),
                name: b.clone(),
            });
        let late = both.clone().apply(Action::Validated {
            sha: sha.clone(),
            name: a,
            result: Ok(ev.clone()),
        });
        assert!(Rc::ptr_eq(&both, &late));
        let current = both.apply(Action::Validated {
            sha: sha.clone(),
            name: b,
            result: Ok(ev.clone()),
        });
        assert!(current.validation.as_ref().unwrap().evaluated().is_some());
        // Once shown, a second answer for the same file is not taken either.
        assert!(Rc::ptr_eq(
            &current,
            &current.clone().apply(Action::Validated {
                sha: sha.clone(),
                name: "small.csv".into(),
                result: Err(Unusable::NotText),
            })
        ));
        // A recalibration of other figures, or for another bundle, is ignored.
        let about = crate::validate::About::default();
        let re =
            crate::validate::recalibrate(&s.loaded().unwrap().bundle, &ev, &about).map(Rc::new);
        for (sha, of) in [(other.clone(), ev.clone()), (sha.clone(), checked(&s))] {
            let stale = done.clone().apply(Action::Recalibrated {
                sha,
                of,
                result: re.clone(),
            });
            assert!(Rc::ptr_eq(&done, &stale));
        }
        let recalibrated = done.clone().apply(Action::Recalibrated {
            sha: sha.clone(),
            of: ev.clone(),
            result: re.clone(),
        });
        assert!(recalibrated
            .validation
            .as_ref()
            .unwrap()
            .recalibrated
            .is_some());
        // Typing, the language, the units and the view keep it.
        let kept = run(
            recalibrated.clone(),
            vec![
                Action::Input(0, "140".into()),
                Action::SetLang(Lang::Zh),
                Action::SetUnits(true),
                Action::SetView(View::Assess),
                Action::Example(0),
            ],
        );
        assert_eq!(kept.validation, recalibrated.validation);
        // A new file replaces the figures and drops the recalibration.
        let again = recalibrated
            .clone()
            .apply(Action::Validating {
                sha: sha.clone(),
                name: "other.csv".into(),
            })
            .apply(Action::Validated {
                sha: sha.clone(),
                name: "other.csv".into(),
                result: Err(Unusable::Refused(Error::Validation("no".into()))),
            });
        let v = again.validation.as_ref().unwrap();
        assert!(v.evaluated().is_none() && v.recalibrated.is_none());
        // Another bundle (chosen, then loaded) forgets it; a late answer for the old one is
        // ignored.
        let b = run(
            recalibrated.clone(),
            vec![
                Action::Select("b.bdsx".into()),
                Action::BundleLoaded("b.bdsx".into(), Ok(loaded("b.bdsx", 2))),
            ],
        );
        assert!(b.validation.is_none());
        let late = b.clone().apply(Action::Validated {
            sha: sha.clone(),
            name: "site.csv".into(),
            result: Ok(ev.clone()),
        });
        assert!(Rc::ptr_eq(&b, &late));
        let late = b.clone().apply(Action::Recalibrated {
            sha,
            of: ev,
            result: re,
        });
        assert!(Rc::ptr_eq(&b, &late));
        // Cleared by hand; clearing nothing changes nothing.
        let cleared = recalibrated.apply(Action::ClearValidation);
        assert!(cleared.validation.is_none());
        assert!(Rc::ptr_eq(
            &cleared,
            &cleared.clone().apply(Action::ClearValidation)
        ));
    }

    #[test]
    fn the_pending_example_is_applied_once_and_a_users_choice_drops_it() {
        let s = run(
            start(Some(1), Some("a.bdsx")),
            vec![Action::BundleLoaded(
                "a.bdsx".into(),
                Ok(loaded("a.bdsx", 1)),
            )],
        );
        assert_eq!(s.patient.origin, Origin::Example { row: 30 });
        assert!(s.pending_example.is_none());
        let chose = run(
            start(Some(0), Some("a.bdsx")),
            vec![
                Action::BundleLoaded("a.bdsx".into(), Err(LoadError::Http(404))),
                Action::Select("b.bdsx".into()),
                Action::BundleLoaded("b.bdsx".into(), Ok(loaded("b.bdsx", 2))),
            ],
        );
        assert_eq!(
            chose.patient.origin,
            Origin::Blank,
            "not b's example, unasked"
        );
        // Without `bundle=` in the URL, the index's default still gets the example.
        let default = run(
            start(Some(0), None),
            vec![
                Action::SelectIfNone("a.bdsx".into()),
                Action::BundleLoaded("a.bdsx".into(), Ok(loaded("a.bdsx", 1))),
            ],
        );
        assert_eq!(default.patient.origin, Origin::Example { row: 12 });
    }
}
