//! Data in and out of the EHR: FHIR R4 import and export.

pub mod fhir;
