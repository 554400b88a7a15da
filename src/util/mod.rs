//! Layer 0, no domain knowledge: languages, numbers, hex, HTML escaping, the seeded
//! generator, one sort. Imports nothing from the crate.

pub mod hex;
pub mod html;
pub mod lang;
pub mod num;
pub mod rng;
pub mod sort;
pub mod wire;
