//! The bundle file's frame: magic, format version, payload length and payload SHA-256
//! (layout in the [`crate::bundle`] docs), checked before anything is decoded.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::util::hex::hex;

/// First four bytes of every bundle.
pub const MAGIC: [u8; 4] = *b"BDSX";
/// The payload format this build writes and reads. Bump on any change to the payload types.
pub const FORMAT_VERSION: u16 = 12;
/// Header length in bytes.
pub const HEADER_LEN: usize = 44;

/// Check an unsigned bundle's length and payload hash; returns the payload. Checked before a
/// signature, so that a damaged file is called damaged ("corrupt") and only an intact file
/// whose signature fails is called changed.
pub fn check_hash(bytes: &[u8]) -> Result<&[u8]> {
    let header = read_header(bytes)?;
    let payload = bytes.get(HEADER_LEN..).unwrap_or_default();
    if payload.len() != header.payload_len {
        return Err(Error::Truncated {
            expected: HEADER_LEN.saturating_add(header.payload_len),
            got: bytes.len(),
        });
    }
    if Sha256::digest(payload).as_slice() != header.sha256 {
        return Err(Error::HashMismatch);
    }
    Ok(payload)
}

/// Hex SHA-256 of the payload of a bundle file (its identity, shown as the model's basis).
pub fn payload_sha256(bytes: &[u8]) -> Result<String> {
    Ok(hex(&read_header(bytes)?.sha256))
}

pub(crate) struct Header {
    pub(crate) payload_len: usize,
    pub(crate) sha256: [u8; 32],
}

pub(crate) fn read_header(bytes: &[u8]) -> Result<Header> {
    let truncated = || Error::Truncated {
        expected: HEADER_LEN,
        got: bytes.len(),
    };
    match bytes.get(..4) {
        Some(m) if m == MAGIC => {}
        Some(_) => return Err(Error::NotABundle),
        None if MAGIC.starts_with(bytes) && !bytes.is_empty() => return Err(truncated()),
        None => return Err(Error::NotABundle),
    }
    let version = match bytes.get(4..6) {
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => return Err(truncated()),
    };
    if version != FORMAT_VERSION {
        return Err(Error::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let len: [u8; 4] = bytes
        .get(8..12)
        .and_then(|l| l.try_into().ok())
        .ok_or_else(truncated)?;
    let sha256: [u8; 32] = bytes
        .get(12..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(truncated)?;
    let len = u32::from_le_bytes(len);
    Ok(Header {
        payload_len: len as usize,
        sha256,
    })
}
