//! The bundle's postcard payload, read by hand.
//!
//! Why not serde: the engine the page loads decodes exactly one postcard type, the bundle.
//! Going through serde's `Deserialize` instantiates a visitor, a `SeqAccess` and an
//! `EnumAccess` per type and per field kind; in the browser's WASM that was about 15 KB gzip
//! of the engine, a twelfth of what a clinician's page loads for a model. Here every type's
//! decoder is straight-line code over one [`Reader`] with a *sticky* error: every read returns
//! a value (zero or empty once something failed) and the reader keeps the first error, so a
//! struct's decoder has no early exits to instantiate. [`decode_struct!`] writes the decoder of
//! a struct beside its definition, field by field; a field missing from the list is a compile
//! error, and a field out of order is caught by `tests/bundle_wire.rs`, whose bundles carry
//! every type and every variant (some set by hand where no trainer output has them).
//!
//! What stays serde: writing (the trainer and the Validate page serialise with postcard as
//! before), and serde's decoder itself, which is the reference the tests and the `bundle_wire`
//! fuzz target compare this one with, bundle for bundle and error for error.
//!
//! The wire format is postcard 1's: unsigned integers as LEB128 varints (a `u8` as one raw
//! byte), signed ones zigzagged, floats as little-endian bytes, `bool` and `Option` as a 0/1
//! byte, sequences and strings with a varint length of the platform's `usize`, enum variants
//! as a varint `u32` index, struct fields in order without names.

use thiserror::Error;

/// Why a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// Not postcard of the expected shape: postcard's own error, so the message is the one
    /// serde's decoder gives for the same bytes.
    #[error("{0}")]
    Format(postcard::Error),
    /// Well-formed bytes that a type refuses, with the type's own words (for example a formula
    /// nested too deep, or a packed forest whose parts do not fit together).
    #[error("{0}")]
    Refused(String),
}

/// A cursor over a payload that remembers its first error.
pub struct Reader<'a> {
    bytes: &'a [u8],
    error: Option<WireError>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, error: None }
    }

    /// Record `error` unless an earlier one is kept, and stop reading: every later read
    /// fails at once and returns zero or empty.
    #[inline(never)]
    pub fn fail(&mut self, error: WireError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
        self.bytes = &[];
    }

    /// [`Reader::fail`] with a postcard format error.
    fn fail_format(&mut self, error: postcard::Error) {
        self.fail(WireError::Format(error));
    }

    /// The bytes not yet read.
    fn remaining(&self) -> usize {
        self.bytes.len()
    }

    /// Whether a read has failed.
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// The first error, or `value` when every read succeeded.
    pub fn finish<T>(self, value: T) -> Result<T, WireError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }

    /// One raw byte.
    fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&x, rest)) => {
                self.bytes = rest;
                x
            }
            None => {
                self.fail_format(postcard::Error::DeserializeUnexpectedEnd);
                0
            }
        }
    }

    /// The next `n` bytes (empty, and failed, when fewer remain).
    #[inline(never)]
    fn take(&mut self, n: usize) -> &'a [u8] {
        match self.bytes.split_at_checked(n) {
            Some((head, tail)) => {
                self.bytes = tail;
                head
            }
            None => {
                self.fail_format(postcard::Error::DeserializeUnexpectedEnd);
                &[]
            }
        }
    }

    /// A LEB128 varint of an unsigned integer `bits` wide (16, 32 or 64; private, so no other
    /// width reaches it). As in postcard, a
    /// varint longer than the type needs, or whose last byte overflows it, is refused.
    #[inline(never)]
    fn varint(&mut self, bits: u32) -> u64 {
        let max_bytes = bits.div_ceil(7);
        // The bits the last byte may carry: 64 % 7 = 1, 32 % 7 = 4, 16 % 7 = 2 (never 0 here).
        let last_max = (1u8 << (bits % 7)).wrapping_sub(1);
        let mut out = 0u64;
        for i in 0..max_bytes {
            let b = self.byte();
            if self.failed() {
                return 0;
            }
            out |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                if i + 1 == max_bytes && b > last_max {
                    break;
                }
                return out;
            }
        }
        self.fail_format(postcard::Error::DeserializeBadVarint);
        0
    }

    /// A sequence's or a string's length: a varint of the platform's `usize`.
    pub fn length(&mut self) -> usize {
        // `usize::BITS` wide, so the value fits.
        usize::try_from(self.varint(usize::BITS)).unwrap_or(0)
    }

    /// An enum's variant index.
    pub fn variant(&mut self) -> u32 {
        u32::try_from(self.varint(32)).unwrap_or(u32::MAX)
    }

    /// An unknown variant index: fail as serde's decoder does (a custom error, which postcard
    /// words as `SerdeDeCustom`), and return `placeholder`, which the failed decode discards.
    pub fn bad_variant<T>(&mut self, placeholder: T) -> T {
        self.fail_format(postcard::Error::SerdeDeCustom);
        placeholder
    }
}

/// A type read from the wire: its fields in declaration order, as serde's derive writes them.
pub trait Decode: Sized {
    /// Read one value. On failure, return any value (zero or empty) after failing `r`.
    fn decode(r: &mut Reader<'_>) -> Self;
}

/// Read a `T` (the short form the macros use).
pub fn decode<T: Decode>(r: &mut Reader<'_>) -> T {
    T::decode(r)
}

/// A whole payload as `T`. As with `postcard::from_bytes`, bytes after the value are ignored.
pub fn from_bytes<T: Decode>(bytes: &[u8]) -> Result<T, WireError> {
    let mut r = Reader::new(bytes);
    let value = T::decode(&mut r);
    r.finish(value)
}

/// A field the wire does not carry (`#[serde(skip)]`): its default, derived after decoding.
pub fn skip<T: Default>(_: &mut Reader<'_>) -> T {
    T::default()
}

impl Decode for u8 {
    fn decode(r: &mut Reader<'_>) -> Self {
        r.byte()
    }
}

impl Decode for u16 {
    fn decode(r: &mut Reader<'_>) -> Self {
        u16::try_from(r.varint(16)).unwrap_or(0)
    }
}

impl Decode for u32 {
    fn decode(r: &mut Reader<'_>) -> Self {
        u32::try_from(r.varint(32)).unwrap_or(0)
    }
}

impl Decode for u64 {
    fn decode(r: &mut Reader<'_>) -> Self {
        r.varint(64)
    }
}

impl Decode for usize {
    /// serde writes a `usize` field as a `u64`; one too large for this platform is refused
    /// as serde's decoder refuses it (a custom error).
    fn decode(r: &mut Reader<'_>) -> Self {
        let v = r.varint(64);
        usize::try_from(v).unwrap_or_else(|_| {
            r.fail_format(postcard::Error::SerdeDeCustom);
            0
        })
    }
}

impl Decode for i64 {
    fn decode(r: &mut Reader<'_>) -> Self {
        let v = r.varint(64);
        // Zigzag: 0, -1, 1, -2, … as 0, 1, 2, 3, …
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }
}

impl Decode for f32 {
    fn decode(r: &mut Reader<'_>) -> Self {
        f32::from_le_bytes(r.take(4).try_into().unwrap_or_default())
    }
}

impl Decode for f64 {
    fn decode(r: &mut Reader<'_>) -> Self {
        f64::from_le_bytes(r.take(8).try_into().unwrap_or_default())
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader<'_>) -> Self {
        match r.byte() {
            0 => false,
            1 => true,
            _ => {
                r.fail_format(postcard::Error::DeserializeBadBool);
                false
            }
        }
    }
}

impl Decode for String {
    fn decode(r: &mut Reader<'_>) -> Self {
        let n = r.length();
        let bytes = r.take(n);
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => {
                r.fail_format(postcard::Error::DeserializeBadUtf8);
                String::new()
            }
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    /// Reserves ahead as serde does over postcard: nothing when fewer bytes remain than the
    /// length claims (every element takes at least one byte, so such a length cannot be
    /// backed), else at most 1 MiB. A crafted length therefore reserves nothing beyond that
    /// before its elements are actually read.
    fn decode(r: &mut Reader<'_>) -> Self {
        let n = r.length();
        let cap = if r.remaining() < n {
            0
        } else {
            n.min((1 << 20) / std::mem::size_of::<T>().max(1))
        };
        let mut v = Vec::with_capacity(cap);
        for _ in 0..n {
            if r.failed() {
                break;
            }
            v.push(T::decode(r));
        }
        v
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader<'_>) -> Self {
        match r.byte() {
            0 => None,
            1 => Some(T::decode(r)),
            _ => {
                r.fail_format(postcard::Error::DeserializeBadOption);
                None
            }
        }
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(r: &mut Reader<'_>) -> Self {
        let a = A::decode(r);
        (a, B::decode(r))
    }
}

/// `decode_struct!(Type { a, b, c = function })`: the decoder of a struct with named fields,
/// each read in the order listed (which must be the declaration order). `field = f` reads the
/// field with `f(reader)` instead: a `serde(with)` codec's decoder, or [`skip`].
macro_rules! decode_struct {
    ($t:ty { $($f:ident $(= $e:expr)?),* $(,)? }) => {
        impl $crate::util::wire::Decode for $t {
            fn decode(r: &mut $crate::util::wire::Reader<'_>) -> Self {
                Self { $($f: $crate::util::wire::decode_struct!(@field r $($e)?)),* }
            }
        }
    };
    (@field $r:ident) => { $crate::util::wire::decode($r) };
    (@field $r:ident $e:expr) => { $e($r) };
}

/// `decode_unit_enum!(Type { A, B, C })`: the decoder of an enum whose variants carry nothing,
/// listed in declaration order.
macro_rules! decode_unit_enum {
    ($t:ident { $first:ident $(, $v:ident)* $(,)? }) => {
        impl $crate::util::wire::Decode for $t {
            fn decode(r: &mut $crate::util::wire::Reader<'_>) -> Self {
                let i = r.variant();
                match [$t::$first $(, $t::$v)*].into_iter().nth(i as usize) {
                    Some(v) => v,
                    None => r.bad_variant($t::$first),
                }
            }
        }
    };
}

pub(crate) use decode_struct;
pub(crate) use decode_unit_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    /// Every primitive, against serde's decoder, on values and on their spoiled bytes.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct All {
        a: u8,
        b: u16,
        c: u32,
        d: u64,
        e: usize,
        f: i64,
        g: f32,
        h: f64,
        i: bool,
        j: String,
        k: Vec<u16>,
        l: Option<(u32, String)>,
        m: Option<f64>,
    }
    decode_struct!(All {
        a,
        b,
        c,
        d,
        e,
        f,
        g,
        h,
        i,
        j,
        k,
        l,
        m
    });

    fn cases() -> Vec<All> {
        let one = All {
            a: 7,
            b: 300,
            c: 70_000,
            d: u64::MAX,
            e: usize::MAX,
            f: -5,
            g: 1.5,
            h: -2.25e-300,
            i: true,
            j: "café 中文".into(),
            k: vec![0, 127, 128, 16_383, 16_384, u16::MAX],
            l: Some((u32::MAX, String::new())),
            m: None,
        };
        let two = All {
            a: 0,
            b: 0,
            c: 0,
            d: 0,
            e: 0,
            f: i64::MIN,
            g: f32::NAN,
            h: f64::INFINITY,
            i: false,
            j: String::new(),
            k: Vec::new(),
            l: None,
            m: Some(0.0),
        };
        vec![one, two]
    }

    fn same(bytes: &[u8]) {
        let reference = postcard::from_bytes::<All>(bytes).map_err(WireError::Format);
        let ours = from_bytes::<All>(bytes);
        // Compare through the bytes, so a NaN equals itself.
        let again = |r: &Result<All, WireError>| {
            r.as_ref()
                .map(|v| postcard::to_allocvec(v).ok())
                .map_err(Clone::clone)
        };
        assert_eq!(again(&ours), again(&reference), "{bytes:?}");
    }

    #[test]
    fn reads_what_serde_writes_and_refuses_what_serde_refuses() {
        for v in cases() {
            let bytes = postcard::to_allocvec(&v).unwrap();
            let back = from_bytes::<All>(&bytes).unwrap();
            assert_eq!(postcard::to_allocvec(&back).unwrap(), bytes);
            same(&bytes);
            for cut in 0..bytes.len() {
                same(&bytes[..cut]);
            }
            for i in 0..bytes.len() {
                for x in [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff] {
                    let mut spoiled = bytes.clone();
                    spoiled[i] = x;
                    same(&spoiled);
                }
            }
        }
    }

    #[test]
    fn overlong_and_overflowing_varints_are_refused() {
        let bad = WireError::Format(postcard::Error::DeserializeBadVarint);
        // A u16 in three bytes whose last carries more than two bits.
        assert_eq!(from_bytes::<u16>(&[0xff, 0xff, 0x04]), Err(bad.clone()));
        assert_eq!(from_bytes::<u16>(&[0xff, 0xff, 0x03]), Ok(u16::MAX));
        // A u32 that never ends within five bytes.
        assert_eq!(from_bytes::<u32>(&[0x80; 6]), Err(bad));
        assert_eq!(
            from_bytes::<u32>(&[0x80]),
            Err(WireError::Format(postcard::Error::DeserializeUnexpectedEnd))
        );
    }

    #[test]
    fn a_huge_length_reserves_little_and_fails_at_the_end() {
        // Claims u32::MAX elements, holds none.
        let r = from_bytes::<Vec<f64>>(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(
            r,
            Err(WireError::Format(postcard::Error::DeserializeUnexpectedEnd))
        );
    }
}
