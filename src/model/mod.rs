//! Preprocessing, the fitted models, calibration, metrics, exact explanations and how typical
//! a patient is of the training data.

pub mod calibrate;
pub mod equation;
pub mod explain;
pub mod fitted;
pub mod metrics;
pub mod neighbours;
pub mod preprocess;
pub mod typicality;
pub mod validation;
