//! Number formatting, rounding and the distance sum shared by every layer.

/// `v` rounded to `decimals` places (for converted values and ranges).
pub fn round_to(v: f64, decimals: i32) -> f64 {
    let m = 10f64.powi(decimals);
    (v * m).round() / m
}

/// Squared Euclidean distance from a stored case `row` to `x`, or `None` as soon as the running
/// sum exceeds `limit`. The terms are non-negative and summed in the same order either way, so
/// a sum that is returned is bit for bit the full sum, and a case that is cut off could not
/// have come within `limit`: nearest-neighbour scans (k-NN, the distance check) stop early on
/// far cases without changing their answer.
pub fn dist_sq_below(row: &[f32], x: &[f64], limit: f64) -> Option<f64> {
    let mut sum = 0.0f64;
    for (&a, &b) in row.iter().zip(x) {
        sum += (f64::from(a) - b).powi(2);
        if sum > limit {
            return None;
        }
    }
    Some(sum)
}
