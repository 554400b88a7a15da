//! The Assess view: the form, the estimate and its basis, FHIR in and out, treatment options,
//! similar cases, the case-library choice and the model card, all for the patient on screen.

use std::rc::Rc;

use yew::prelude::*;

use super::basis::Basis;
use super::fhir_panel::FhirPanel;
use super::model_card::ModelCard;
use super::patient_form::PatientForm;
use super::results::Results;
use super::similar_cases::SimilarCases;
use super::state::{Loaded, Search, State};
use super::treatment_panel::TreatmentPanel;
use crate::cases::CaseLibrary;
use crate::clinical::context::PatientContext;
use crate::util::lang::Lang;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub loaded: Rc<Loaded>,
    pub patient: PatientContext,
    pub si: bool,
    /// The case library in use (the bundle's, or one the user loaded).
    pub library: Rc<CaseLibrary>,
    pub search: Search,
    /// Why the last FHIR import could not be used.
    pub import_error: Option<Rc<String>>,
    /// Opened from an EHR: the record's panel shows the import report, not the FHIR panel.
    #[prop_or_default]
    pub launched: bool,
    /// The case-library chooser (shared with the Teach view).
    pub loader: Html,
    pub lang: Lang,
    pub dispatch: UseReducerDispatcher<State>,
    pub on_input: Callback<(usize, String)>,
    pub on_example: Callback<usize>,
    pub on_clear: Callback<()>,
    pub on_search: Callback<Search>,
}

#[function_component]
pub fn AssessView(props: &Props) -> Html {
    let (p, loaded, lang) = (&props.patient, &props.loaded, props.lang);
    let outcome = p.outcome.clone();
    let record = outcome.as_ref().and_then(|o| o.record.clone()).map(Rc::new);
    let probabilities = outcome
        .as_ref()
        .and_then(|o| o.assessment.as_ref())
        .map(|a| {
            Rc::new(
                a.probabilities
                    .iter()
                    .map(|c| c.probability)
                    .collect::<Vec<_>>(),
            )
        });
    html! {
        <div class="panels">
            <PatientForm loaded={loaded.clone()} inputs={p.inputs.clone()} outcome={p.outcome.clone()} si={props.si}
                {lang} on_input={props.on_input.clone()} on_example={props.on_example.clone()} on_clear={props.on_clear.clone()} />
            <div class="side">
                <Results loaded={loaded.clone()} outcome={p.outcome.clone()} {lang} />
                <Basis loaded={loaded.clone()} {lang} />
            </div>
            <FhirPanel key={loaded.file.clone()} loaded={loaded.clone()} patient={p.clone()} error={props.import_error.clone()}
                report={!props.launched} {lang} dispatch={props.dispatch.clone()} />
            if !loaded.bundle.rules.is_empty() || loaded.bundle.trial.is_some() {
                <TreatmentPanel loaded={loaded.clone()} patient={p.clone()} {lang} dispatch={props.dispatch.clone()} />
            }
            // A published equation carries no patients: no similar cases unless a library is
            // loaded.
            if let Some(record) = record.filter(|_| !props.library.is_empty()) {
                <SimilarCases loaded={loaded.clone()} library={props.library.clone()} {record} {probabilities}
                    search={props.search.clone()} on_search={props.on_search.clone()} {lang} id="assess" />
            }
            // A published equation has no case library to replace.
            if loaded.bundle.published.is_none() {
                { props.loader.clone() }
            }
            <ModelCard loaded={loaded.clone()} {lang} />
        </div>
    }
}
