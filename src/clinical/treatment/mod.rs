//! Treatment suggestions, each with its basis, never a bare "do this": guideline rules with
//! their citations ([`crate::guidance::rules`]), the patient's modelled risk under each arm of a
//! randomized trial ([`crate::guidance::trial`]), and what happened to the most similar trial
//! patients in each arm ([`evidence`]). [`mod@suggest`] puts the three side by side as a ranked
//! list of options; the clinician's agree / override decisions ([`decision`]) go into the report
//! ([`crate::present::treatment`]).

pub mod decision;
pub mod evidence;
pub mod suggest;

pub use suggest::{suggest, Suggestions};
