//! Preprocessing, the fitted models, calibration, metrics, exact explanations and the
//! training-case library.

pub mod calibrate;
pub mod explain;
pub mod fitted;
pub mod library;
pub mod metrics;
pub mod preprocess;
