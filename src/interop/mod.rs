//! Data in and out of the EHR: FHIR R4 import and export, and the SMART launch's configuration.

pub mod fhir;
pub mod smart;
