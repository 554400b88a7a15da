//! App state and the actions that change it. The reducer only moves data; the decisions are
//! the core's (`form::evaluate`, `Bundle::from_bytes`).

use std::rc::Rc;

use yew::Reducible;

use crate::bundle::Bundle;
use crate::cases::{CaseLibrary, Options};
use crate::error::Error;
use crate::form::{self, FormOutcome};
use crate::groups;
use crate::schema::{Lang, Text};
use crate::treatment::decision::{self, Decision};
use crate::treatment::{suggest, Suggestions};

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
    /// Raw text of each input, in schema order, in the units shown.
    pub inputs: Rc<Vec<String>>,
    /// The same in the schema's units (what the model, rules and report use).
    pub canonical: Rc<Vec<String>>,
    /// Whether features with a second unit (glucose in mmol/L) are shown in it.
    pub si: bool,
    pub outcome: Option<Rc<FormOutcome>>,
    /// Example to fill in once the bundle has loaded (from `?example=`).
    pub pending_example: Option<usize>,
    pub view: View,
    /// A library loaded from CSV, replacing the bundle's training cases.
    pub custom: Option<CustomLibrary>,
    /// Why the last CSV could not be used.
    pub library_error: Option<String>,
    pub search: Search,
    /// Answers to the rules' own questions (contraindications), in the rule file's order.
    pub answers: Rc<Vec<Option<bool>>>,
    /// The treatment panel's content for the current patient and answers.
    pub treatment: Option<Rc<Suggestions>>,
    /// The clinician's agree / override decisions (kept in memory, exported with the report).
    pub decisions: Rc<Vec<Decision>>,
    /// The last FHIR import's report (escaped HTML: what was used, what was not), or why it
    /// failed.
    pub fhir: Option<Rc<String>>,
}

impl State {
    pub fn new(lang: Lang, pending_example: Option<usize>, selected: Option<String>) -> State {
        State {
            lang,
            index: Load::Loading,
            bundle: selected.as_ref().map(|_| Load::Loading),
            selected,
            inputs: Rc::new(Vec::new()),
            canonical: Rc::new(Vec::new()),
            si: false,
            outcome: None,
            pending_example,
            view: View::Assess,
            custom: None,
            library_error: None,
            search: Search::default(),
            answers: Rc::new(Vec::new()),
            treatment: None,
            decisions: Rc::new(Vec::new()),
            fhir: None,
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

    fn with_inputs(mut self, inputs: Vec<String>) -> State {
        let si = self.si;
        self.outcome = self
            .loaded()
            .map(|l| Rc::new(form::evaluate_in(&l.bundle, &inputs, si)));
        self.canonical = Rc::new(match self.loaded() {
            Some(l) => form::canonical(&l.bundle.schema, &inputs, si),
            None => inputs.clone(),
        });
        self.inputs = Rc::new(inputs);
        self.with_treatment()
    }

    /// Form texts given in the schema's units (examples, library cases), in the units shown.
    fn with_schema_inputs(self, inputs: Vec<String>) -> State {
        let inputs = match self.loaded() {
            Some(l) if self.si => form::switch_units(&l.bundle.schema, &inputs, true),
            _ => inputs,
        };
        self.with_inputs(inputs)
    }

    /// Recompute the treatment panel from the current outcome and answers.
    fn with_treatment(mut self) -> State {
        self.treatment = match (self.loaded(), self.outcome.as_deref()) {
            (Some(l), Some(o)) if !l.bundle.rules.is_empty() || l.bundle.trial.is_some() => {
                match (&o.record, &o.assessment) {
                    (Some(r), Some(a)) => {
                        let p: Vec<f64> = a.probabilities.iter().map(|c| c.probability).collect();
                        Some(Rc::new(suggest(&l.bundle, r, &self.answers, &p)))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        self
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
    /// A FHIR import: its values (schema units; `None` when it failed) replace the fields it
    /// found, the rest stay as typed; and its report.
    FhirImported(Option<Vec<String>>, String),
    /// A new patient from the embedding host: every field (schema units) replaced.
    #[cfg(feature = "widget")]
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
                    s.fhir = None;
                    s.search = Search::default();
                    s = s.with_inputs(Vec::new());
                    s.outcome = None;
                }
            }
            Action::BundleLoaded(file, result) => {
                if s.selected.as_deref() != Some(file.as_str()) {
                    return self; // a late answer for a bundle no longer selected
                }
                match result {
                    Ok(loaded) => {
                        let blank = vec![String::new(); loaded.bundle.schema.features.len()];
                        s.answers = Rc::new(vec![None; loaded.bundle.rules.inputs.len()]);
                        s.decisions = Rc::new(Vec::new());
                        let example = s
                            .pending_example
                            .take()
                            .and_then(|k| loaded.bundle.examples.get(k).cloned());
                        s.bundle = Some(Load::Ready(loaded));
                        s = s.with_inputs(blank);
                        if let Some(ex) = example {
                            s = fill_example(s, &ex.inputs);
                        }
                    }
                    Err(e) => s.bundle = Some(Load::Failed(e)),
                }
            }
            Action::Input(i, text) => {
                let mut inputs = (*s.inputs).clone();
                if let Some(slot) = inputs.get_mut(i) {
                    *slot = text;
                }
                s = s.with_inputs(inputs);
            }
            Action::SetUnits(si) => {
                if si != s.si {
                    let inputs = match s.loaded() {
                        Some(l) => form::switch_units(&l.bundle.schema, &s.inputs, si),
                        None => (*s.inputs).clone(),
                    };
                    s.si = si;
                    s = s.with_inputs(inputs);
                }
            }
            Action::Example(k) => {
                if let Some(ex) = s.loaded().and_then(|l| l.bundle.examples.get(k).cloned()) {
                    s = fill_example(s, &ex.inputs);
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
                    s = s.with_schema_inputs(form::from_json(&loaded.bundle.schema, &json));
                    s.view = View::Assess;
                }
            }
            Action::Clear => {
                let n = s.loaded().map_or(0, |l| l.bundle.schema.features.len());
                s.answers = Rc::new(vec![None; s.answers.len()]);
                s.decisions = Rc::new(Vec::new());
                s = s.with_inputs(vec![String::new(); n]);
            }
            Action::Answer(i, a) => {
                let mut answers = (*s.answers).clone();
                if let Some(slot) = answers.get_mut(i) {
                    *slot = a;
                }
                s.answers = Rc::new(answers);
                s = s.with_treatment();
            }
            Action::Decide(d) => s.decisions = Rc::new(decision::record(&s.decisions, d)),
            #[cfg(feature = "widget")]
            Action::Fill(inputs) => {
                if s.loaded()
                    .is_some_and(|l| l.bundle.schema.features.len() == inputs.len())
                {
                    s = s.with_schema_inputs(inputs);
                }
            }
            Action::FhirImported(inputs, report) => {
                if let Some(imported) = inputs {
                    let mut merged = (*s.canonical).clone();
                    if imported.len() == merged.len() {
                        for (slot, value) in merged.iter_mut().zip(imported) {
                            if !value.is_empty() {
                                *slot = value;
                            }
                        }
                        s = s.with_schema_inputs(merged);
                    }
                }
                s.fhir = Some(Rc::new(report));
            }
        }
        Rc::new(s)
    }
}

fn fill_example(s: State, inputs: &[String]) -> State {
    let n = s.loaded().map_or(0, |l| l.bundle.schema.features.len());
    if inputs.len() != n {
        return s; // a damaged example: leave the form as it is
    }
    s.with_schema_inputs(inputs.to_vec())
}
