//! What people read, in English and 简体中文: the UI catalogue, clinical wording, the model
//! card, the health check, treatment and FHIR reports, CDS Hooks cards.

pub mod cds;
pub mod fhir_report;
pub mod health;
pub mod model_card;
pub mod risk;
pub mod treatment;
pub mod ui;
pub mod validate_text;
pub mod validation_report;
pub mod wording;
