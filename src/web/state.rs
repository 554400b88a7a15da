//! App state and the actions that change it. The reducer only moves data; the decisions are
//! the core's (`form::evaluate`, `Bundle::from_bytes`).

use std::rc::Rc;

use serde::Deserialize;
use yew::Reducible;

use crate::bundle::Bundle;
use crate::error::Error;
use crate::form::{self, FormOutcome};
use crate::schema::{Lang, Text};

/// One entry of `static/bundles/index.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, PartialEq)]
pub struct Loaded {
    pub file: String,
    pub bundle: Bundle,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub lang: Lang,
    pub index: Load<Rc<Vec<IndexEntry>>>,
    /// The bundle file chosen (drives the fetch effect).
    pub selected: Option<String>,
    pub bundle: Option<Load<Rc<Loaded>>>,
    /// Raw text of each input, in schema order.
    pub inputs: Rc<Vec<String>>,
    pub outcome: Option<Rc<FormOutcome>>,
    /// Example to fill in once the bundle has loaded (from `?example=`).
    pub pending_example: Option<usize>,
}

impl State {
    pub fn new(lang: Lang, pending_example: Option<usize>, selected: Option<String>) -> State {
        State {
            lang,
            index: Load::Loading,
            bundle: selected.as_ref().map(|_| Load::Loading),
            selected,
            inputs: Rc::new(Vec::new()),
            outcome: None,
            pending_example,
        }
    }

    pub fn loaded(&self) -> Option<&Rc<Loaded>> {
        match &self.bundle {
            Some(Load::Ready(l)) => Some(l),
            _ => None,
        }
    }

    fn with_inputs(mut self, inputs: Vec<String>) -> State {
        self.outcome = self
            .loaded()
            .map(|l| Rc::new(form::evaluate(&l.bundle, &inputs)));
        self.inputs = Rc::new(inputs);
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
    Example(usize),
    Clear,
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
                        let example = s
                            .pending_example
                            .take()
                            .and_then(|k| loaded.bundle.examples.get(k).cloned());
                        s.bundle = Some(Load::Ready(loaded));
                        s = s.with_inputs(blank);
                        if let Some(ex) = example {
                            s = fill_example(s, &ex.patient_json);
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
            Action::Example(k) => {
                if let Some(ex) = s.loaded().and_then(|l| l.bundle.examples.get(k).cloned()) {
                    s = fill_example(s, &ex.patient_json);
                }
            }
            Action::Clear => {
                let n = s.loaded().map_or(0, |l| l.bundle.schema.features.len());
                s = s.with_inputs(vec![String::new(); n]);
            }
        }
        Rc::new(s)
    }
}

fn fill_example(s: State, patient_json: &str) -> State {
    let Some(loaded) = s.loaded().cloned() else {
        return s;
    };
    match serde_json::from_str::<serde_json::Value>(patient_json) {
        Ok(json) => s.with_inputs(form::from_json(&loaded.bundle.schema, &json)),
        Err(_) => s,
    }
}
