//! The clinical core: `assess` (the one entry point), probabilities, the counterfactual
//! search, which missing input is most worth measuring, the form, the patient context and
//! treatment suggestions.

pub mod assess;
pub mod context;
pub mod counterfactual;
pub mod form;
pub mod predict;
pub mod targets;
pub mod treatment;
pub mod voi;
