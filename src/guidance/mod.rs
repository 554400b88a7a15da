//! What a bundle carries besides the model: guideline rules (and their compiler), formulas
//! for derived values, per-arm trial models.

pub mod compile;
pub mod expr;
pub mod rules;
pub mod trial;
