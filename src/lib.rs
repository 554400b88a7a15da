//! Bedside: clinical decision support that runs entirely in the browser.
//!
//! The core is platform-independent and covered by plain `cargo test`:
//! a [`schema::Schema`] says what the columns mean, [`preprocess`] turns validated input into the
//! model's numbers, a [`bundle::Bundle`] carries schema, preprocessing, model and metrics in one
//! hashed file, and [`assess::assess`] is the one entry point every front end calls.
//! Around it sit two thin shells, switched whole at this module boundary: the native trainer and
//! CLI (`train`, `cli`, `serve`; not built for wasm32) and the Yew/WASM app (`web`, behind the
//! `engine` and `ui` features, compiled on every target so native tests cover its state).
#![deny(missing_docs)]
// A panic in WASM kills the page: library code returns `Error` instead. Indexing is denied too;
// the few modules that index by construction (numeric kernels over shapes that
// `Bundle::check` has verified) allow it at their top and say why. Tests may unwrap.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod assess;
pub mod bundle;
pub mod calibrate;
pub mod card;
pub mod cases;
pub mod cds;
pub mod context;
pub mod counterfactual;
pub mod csv_text;
pub mod dataset;
pub mod error;
pub mod explain;
pub mod fhir;
pub mod form;
pub mod groups;
pub mod health;
pub mod i18n;
pub mod library;
pub mod metrics;
pub mod model;
pub mod patient;
pub mod preprocess;
pub mod rng;
pub mod schema;
pub mod signature;
pub mod sort;
pub mod treatment;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod serve;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;

/// The browser shell, built on every target (so native `cargo check`, clippy and `cargo test`
/// cover it; its JS calls only run in a browser), and only with the `engine` or `ui` feature.
#[cfg(feature = "engine")]
pub mod web;

pub use assess::{assess, Assessment};
pub use bundle::Bundle;
pub use error::{Error, Result};
pub use schema::Schema;
