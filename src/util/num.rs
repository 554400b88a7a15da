//! Number formatting and rounding shared by every layer.

/// `v` rounded to `decimals` places (for converted values and ranges).
pub fn round_to(v: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (v * m).round() / m
}
