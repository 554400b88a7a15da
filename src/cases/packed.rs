//! A case library's columns as they travel in a bundle: one 8- or 16-bit code per value
//! instead of a 32-bit float, which is what lets a bundle of 50,000 training cases stay small
//! enough for a browser.
//!
//! A column is stored **exactly** whenever it can be: when every value is a decimal with at
//! most [`MAX_DECIMALS`] places on a grid of at most 65,535 steps (scores, counts, levels, and
//! measurements as laboratories report them), the codes are the grid positions and each value
//! reads back to the bit. Otherwise (continuous values with many digits over a wide range)
//! the column is **quantised**: 65,535 evenly spaced values between the column's exact
//! minimum and maximum, so a value moves by at most 1/131,068 of the column's range. The
//! trainer stores its library through [`as_stored`] before it measures anything on it, so
//! the similar-case search, the distance check and the case map are exact over what the
//! bundle holds.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most decimal places tried for an exact grid (f32 holds about seven significant digits).
pub const MAX_DECIMALS: i32 = 6;
/// The code of a missing value.
const MISSING: u16 = u16::MAX;
/// The largest code of a value.
const TOP: u16 = u16::MAX - 1;

/// One column on the wire.
#[derive(Serialize, Deserialize)]
enum Packed {
    /// Exact: value = `(base + code) / 10^decimals`, rounded to `f32` (the same bits as stored;
    /// a −0 reads back as 0).
    Grid {
        decimals: u8,
        base: i64,
        codes: Codes,
    },
    /// Quantised: value = `lo + (hi − lo) × code / 65,534`, `lo` and `hi` exactly; rounded to
    /// a whole number when every value of the column was one (counts over a range wider than
    /// 65,535, such as platelets per µL, stay whole numbers an `integer` feature accepts).
    Range {
        lo: f32,
        hi: f32,
        whole: bool,
        codes: Codes,
    },
}

/// Codes as bytes: one per value when every code (and the missing mark, 255) fits in a byte,
/// else two, little-endian. Bytes, not a list of integers: postcard writes integers as
/// variable-length numbers, which gzip compresses worse.
#[derive(Serialize, Deserialize)]
enum Codes {
    Narrow(Vec<u8>),
    Wide(Vec<u8>),
}

impl Codes {
    fn of(codes: &[u16]) -> Codes {
        let narrow = codes.iter().all(|&c| c == MISSING || c < 255);
        if narrow {
            Codes::Narrow(
                codes
                    .iter()
                    .map(|&c| if c == MISSING { 255 } else { c as u8 })
                    .collect(),
            )
        } else {
            Codes::Wide(codes.iter().flat_map(|c| c.to_le_bytes()).collect())
        }
    }

    fn codes(&self) -> Vec<u16> {
        match self {
            Codes::Narrow(b) => b
                .iter()
                .map(|&c| if c == 255 { MISSING } else { u16::from(c) })
                .collect(),
            Codes::Wide(b) => b
                .chunks_exact(2)
                .map(|p| match p {
                    [lo, hi] => u16::from_le_bytes([*lo, *hi]),
                    _ => MISSING,
                })
                .collect(),
        }
    }
}

fn pow10(decimals: i32) -> f64 {
    10f64.powi(decimals)
}

/// The exact grid of a column's present values, if one fits: (decimals, base, codes).
fn grid(column: &[f32]) -> Option<(u8, i64, Vec<u16>)> {
    'decimals: for d in 0..=MAX_DECIMALS {
        let p = pow10(d);
        let mut steps = Vec::with_capacity(column.len());
        for &v in column {
            if v.is_nan() {
                steps.push(None);
                continue;
            }
            let k = (f64::from(v) * p).round();
            if k.is_nan() || k.abs() >= 9.0e15 || ((k / p) as f32).to_bits() != v.to_bits() {
                continue 'decimals;
            }
            steps.push(Some(k as i64));
        }
        let present = steps.iter().flatten();
        let (Some(&lo), Some(&hi)) = (present.clone().min(), present.max()) else {
            return Some((0, 0, vec![MISSING; column.len()]));
        };
        if hi - lo > i64::from(TOP) {
            continue;
        }
        let codes = steps
            .iter()
            .map(|s| s.map_or(MISSING, |k| (k - lo) as u16))
            .collect();
        return Some((d as u8, lo, codes));
    }
    None
}

fn pack(column: &[f32]) -> Packed {
    if let Some((decimals, base, codes)) = grid(column) {
        return Packed::Grid {
            decimals,
            base,
            codes: Codes::of(&codes),
        };
    }
    let (lo, hi) = column
        .iter()
        .filter(|v| !v.is_nan())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let span = f64::from(hi) - f64::from(lo);
    let codes: Vec<u16> = column
        .iter()
        .map(|&v| {
            if v.is_nan() {
                MISSING
            } else if span > 0.0 {
                ((f64::from(v) - f64::from(lo)) / span * f64::from(TOP))
                    .round()
                    .clamp(0.0, f64::from(TOP)) as u16
            } else {
                0
            }
        })
        .collect();
    let whole = column.iter().all(|v| v.is_nan() || v.fract() == 0.0);
    Packed::Range {
        lo,
        hi,
        whole,
        codes: Codes::of(&codes),
    }
}

fn unpack(packed: &Packed) -> Vec<f32> {
    match packed {
        Packed::Grid {
            decimals,
            base,
            codes,
        } => {
            let p = pow10(i32::from(*decimals));
            codes
                .codes()
                .iter()
                .map(|&c| {
                    if c == MISSING {
                        f32::NAN
                    } else {
                        ((base.saturating_add(i64::from(c))) as f64 / p) as f32
                    }
                })
                .collect()
        }
        Packed::Range {
            lo,
            hi,
            whole,
            codes,
        } => {
            let (lo64, span) = (f64::from(*lo), f64::from(*hi) - f64::from(*lo));
            codes
                .codes()
                .iter()
                .map(|&c| match c {
                    MISSING => f32::NAN,
                    TOP => *hi,
                    c => {
                        let v = lo64 + span * f64::from(c) / f64::from(TOP);
                        (if *whole { v.round() } else { v }) as f32
                    }
                })
                .collect()
        }
    }
}

/// A column as a bundle will hold it: itself when it is stored exactly, else its quantised
/// values. Idempotent: what it returns is stored as it is.
pub fn as_stored(column: &[f32]) -> Vec<f32> {
    unpack(&pack(column))
}

/// Whether a column is stored exactly (its values read back to the bit).
pub fn is_exact(column: &[f32]) -> bool {
    grid(column).is_some()
}

/// `serde(with)` for [`super::CaseLibrary::columns`].
pub fn serialize<S: Serializer>(columns: &[Vec<f32>], s: S) -> Result<S::Ok, S::Error> {
    let packed: Vec<Packed> = columns.iter().map(|c| pack(c)).collect();
    packed.serialize(s)
}

/// `serde(with)` for [`super::CaseLibrary::columns`].
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f32>>, D::Error> {
    let packed = Vec::<Packed>::deserialize(d)?;
    Ok(packed.iter().map(unpack).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn decimals_scores_and_levels_are_stored_exactly() {
        for column in [
            vec![14.127f32, 20.57, f32::NAN, 6.981, 28.11],
            vec![1.0, 10.0, 3.0, f32::NAN],
            vec![0.0, 1.0, 2.0],
            vec![0.05263, 0.1, 0.2],
            vec![-3.5, 120.25, 0.0],
            vec![f32::NAN, f32::NAN],
        ] {
            assert!(is_exact(&column), "{column:?}");
            assert_eq!(bits(&as_stored(&column)), bits(&column));
            assert!(matches!(pack(&column), Packed::Grid { .. }));
        }
        // Levels and scores need one byte per value.
        assert!(matches!(
            pack(&[1.0, 10.0, 3.0]),
            Packed::Grid {
                codes: Codes::Narrow(_),
                ..
            }
        ));
    }

    #[test]
    fn continuous_values_are_quantised_within_their_exact_range() {
        let column: Vec<f32> = (0..5000)
            .map(|i| (i as f32 * 0.618_034).sin() * 1234.567 + 0.000_123 * i as f32)
            .collect();
        assert!(!is_exact(&column));
        let stored = as_stored(&column);
        let (lo, hi) = column
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |a, &v| {
                (a.0.min(v), a.1.max(v))
            });
        let span = f64::from(hi) - f64::from(lo);
        for (a, b) in column.iter().zip(&stored) {
            assert!((f64::from(*a) - f64::from(*b)).abs() <= span / 131_068.0 + 1e-4);
        }
        assert_eq!(stored.iter().copied().fold(f32::INFINITY, f32::min), lo);
        assert_eq!(stored.iter().copied().fold(f32::NEG_INFINITY, f32::max), hi);
        // Stored values are stored as they are.
        assert_eq!(bits(&as_stored(&stored)), bits(&stored));
    }

    #[test]
    fn whole_numbers_over_a_wide_range_stay_whole() {
        // Platelets per µL: whole numbers over more than 65,535 steps.
        let column: Vec<f32> = (0..3000)
            .map(|i| (150_000 + (i * 7_919) % 300_001) as f32)
            .chain([f32::NAN])
            .collect();
        assert!(!is_exact(&column));
        let stored = as_stored(&column);
        assert!(stored.iter().all(|v| v.is_nan() || v.fract() == 0.0));
        for (a, b) in column.iter().zip(&stored).filter(|(a, _)| !a.is_nan()) {
            assert!((a - b).abs() <= 300_001.0 / 131_068.0 + 0.5, "{a} → {b}");
        }
        assert_eq!(bits(&as_stored(&stored)), bits(&stored));
    }

    proptest! {
        #[test]
        fn storing_is_idempotent_and_keeps_gaps(
            column in prop::collection::vec(prop::option::of(-1.0e6f32..1.0e6), 0..200)
        ) {
            let column: Vec<f32> = column.into_iter().map(|v| v.unwrap_or(f32::NAN)).collect();
            let once = as_stored(&column);
            prop_assert_eq!(once.len(), column.len());
            for (a, b) in column.iter().zip(&once) {
                prop_assert_eq!(a.is_nan(), b.is_nan());
            }
            prop_assert_eq!(bits(&as_stored(&once)), bits(&once));
        }
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, Decode, Reader};
    impl Decode for Codes {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Codes::Narrow(decode(r)),
                1 => Codes::Wide(decode(r)),
                _ => r.bad_variant(Codes::Narrow(Vec::new())),
            }
        }
    }
    impl Decode for Packed {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Packed::Grid {
                    decimals: decode(r),
                    base: decode(r),
                    codes: decode(r),
                },
                1 => Packed::Range {
                    lo: decode(r),
                    hi: decode(r),
                    whole: decode(r),
                    codes: decode(r),
                },
                _ => r.bad_variant(Packed::Grid {
                    decimals: 0,
                    base: 0,
                    codes: Codes::Narrow(Vec::new()),
                }),
            }
        }
    }
    /// The case library's columns as [`serialize`] writes them, unpacked.
    pub fn decode_columns(r: &mut Reader<'_>) -> Vec<Vec<f32>> {
        let packed: Vec<Packed> = decode(r);
        packed.iter().map(unpack).collect()
    }
}
pub use wire_impls::decode_columns;
