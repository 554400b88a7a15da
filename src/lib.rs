//! Bedside: clinical decision support that runs entirely in the browser.
//!
//! The core is platform-independent and covered by plain `cargo test`: a
//! [`Schema`](contract::schema::Schema) says what the columns mean, [`model::preprocess`] turns
//! validated input into the model's numbers, a [`Bundle`](bundle::Bundle) carries schema,
//! preprocessing, model and metrics in one hashed file, and [`assess`](clinical::assess::assess)
//! is the one entry point every front end calls. Around it sit two thin shells, switched whole at
//! this module boundary: the native trainer, server and CLI (`train`, `serve`, `cli`) and the
//! Yew/WASM app (`web`, behind the `engine` and `ui` features, compiled on every target).
//!
//! # Layers
//!
//! Each folder of `src/` is a layer (`error.rs` and `serve.rs` are one-file layers). A module
//! imports only its own layer and the layers listed before it; layers on one line are siblings
//! and do not import each other. `tests/layers.rs` reads this list and checks every `crate::`
//! path against it, and that no two files import each other.
//!
//! ```text
//! util              languages, numbers, hex, HTML escaping, seeded rng, one sort, postcard reader
//! error             the one error type and Result
//! contract          schema, patient record, data sets and CSV text, grouping fields
//! model             preprocessing, fitted models, calibration, metrics, explanations, case distances
//! cases             case library, top-k kernel, case map
//! guidance          guideline rules and their compiler, formulas, per-arm trial models
//! bundle            file format, signature, Bundle
//! clinical          assess, probabilities, counterfactual, form, patient context, treatment options
//! validate          a site's own patients: scoring a CSV, local validation, recalibration
//! interop           FHIR R4 in and out
//! present           UI catalogue, clinical wording, model card, health check, reports, CDS cards
//! train, serve, web  shells: the trainer and the static server (native), the browser app and JS API
//! cli               the command line (native), over train and serve
//! ```
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

pub mod bundle;
pub mod cases;
pub mod clinical;
pub mod contract;
pub mod error;
pub mod guidance;
pub mod interop;
pub mod model;
pub mod present;
pub mod util;
pub mod validate;

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

pub use bundle::Bundle;
pub use clinical::assess::{assess, Assessment};
pub use contract::schema::Schema;
pub use error::{Error, Result};
