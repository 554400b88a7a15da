//! App state and the actions that change it. The reducer only moves data; the decisions are
//! the core's (`form::evaluate`, `Bundle::from_bytes`).

use std::rc::Rc;

use yew::Reducible;

use crate::bundle::Bundle;
use crate::cases::{CaseLibrary, Options};
use crate::context::{FromRecord, Origin, PatientContext};
use crate::error::Error;
use crate::form;
use crate::groups;
use crate::schema::{Lang, Text};
use crate::treatment::decision::Decision;

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
    pub provenance: crate::signature::Provenance,
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
pub fn same<T>(a: &Option<Rc<T>>, b: &Option<Rc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// Which view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Assess,
    Teach,
    /// The entered values against their normal ranges.
    Health,
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
            view: View::Assess,
            custom: None,
            library_error: None,
            search: Search::default(),
            patient: PatientContext::blank(0, None),
            import_error: None,
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
    LibraryLoaded(Result<CustomLibrary, String>),
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
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetLang(lang) => s.lang = lang,
            Action::IndexLoaded(Ok(entries)) => s.index = Load::Ready(Rc::new(entries)),
            Action::IndexLoaded(Err(e)) => s.index = Load::Failed(e),
            Action::SelectIfNone(_) if s.selected.is_some() => {}
            Action::Select(file) | Action::SelectIfNone(file) => {
                if s.selected.as_deref() != Some(file.as_str()) {
                    s.selected = Some(file);
                    s.bundle = Some(Load::Loading);
                    s.custom = None;
                    s.library_error = None;
                    s.search = Search::default();
                    s = s.blank();
                }
            }
            Action::BundleLoaded(file, result) => {
                if s.selected.as_deref() != Some(file.as_str()) {
                    return self; // a late answer for a bundle no longer selected
                }
                match result {
                    Ok(loaded) => {
                        let example = s
                            .pending_example
                            .take()
                            .and_then(|k| loaded.bundle.examples.get(k).cloned());
                        s.bundle = Some(Load::Ready(loaded));
                        s = s.blank();
                        if let Some(ex) = example {
                            s = s.given(Origin::Example { row: ex.row }, ex.inputs);
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
                    s = s.given(Origin::Example { row: ex.row }, ex.inputs);
                }
            }
            Action::SetView(v) => s.view = v,
            Action::SetSearch(search) => s.search = search,
            Action::LibraryLoaded(Ok(lib)) => {
                s.custom = Some(lib);
                s.library_error = None;
            }
            Action::LibraryLoaded(Err(e)) => s.library_error = Some(e),
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
