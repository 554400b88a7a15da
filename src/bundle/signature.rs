//! Who vouches for a model bundle: an Ed25519 signature, checked against the keys a deployment
//! trusts before the bundle is used.
//!
//! The payload SHA-256 in the bundle header catches damage, not tampering: whoever changes the
//! payload can recompute the hash. A signature from a key the page trusts closes that gap.
//!
//! A signed bundle is the unsigned bundle followed by one block:
//!
//! | bytes | content |
//! |---|---|
//! | 0..4 | magic `BSIG` |
//! | 4..36 | the signer's Ed25519 public key |
//! | 36..100 | Ed25519 signature over [`message`] of the unsigned bundle |
//!
//! The block sits after the payload, so the header and payload hash are unchanged, and a reader
//! from before signatures refuses a signed file ("unexpected bytes") instead of misreading it.
//!
//! This module holds the format and the policy, not the arithmetic: the native CLI verifies with
//! `ed25519-dalek`, the browser with its own Web Crypto Ed25519 (no crypto code shipped in the
//! WASM). Both verify the same bytes from [`message`], and the decision is [`decide`] for both.

use crate::bundle::format::read_header;
use crate::bundle::format::HEADER_LEN;
use crate::error::{Error, Result};
use crate::util::hex::hex;

/// First four bytes of the signature block.
pub const SIG_MAGIC: [u8; 4] = *b"BSIG";
/// Length of the signature block.
pub const BLOCK_LEN: usize = 100;
/// Prefix of every signed message, so a Bedside signature can never be replayed as a signature
/// over something else made with the same key.
pub const DOMAIN: &[u8] = b"bedside-bundle-signature-v1\0";

/// What the page does with signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Only bundles signed by a trusted key are used.
    Require,
    /// Unsigned bundles and unknown signers are used with a visible warning; a signature that
    /// does not verify is still refused (it means the file was changed).
    Warn,
    /// Signatures are not checked.
    Off,
}

impl Policy {
    /// The policy's name as [`Policy::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Policy::Require => "require",
            Policy::Warn => "warn",
            Policy::Off => "off",
        }
    }

    /// `require`, `warn` or `off`.
    pub fn parse(text: &str) -> Result<Policy> {
        match text.trim() {
            "require" => Ok(Policy::Require),
            "warn" => Ok(Policy::Warn),
            "off" => Ok(Policy::Off),
            other => Err(Error::Signature(format!(
                "signature policy `{}` is not one of require, warn, off",
                crate::error::excerpt(other, crate::util::lang::Lang::En)
            ))),
        }
    }
}

/// The keys a page trusts and what it does with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// Ed25519 public keys.
    pub keys: Vec<[u8; 32]>,
    /// What to do with unsigned bundles and unknown signers.
    pub policy: Policy,
}

impl Trust {
    /// Keys from text: hex public keys separated by commas or white space, as in a host
    /// page's attribute or a build setting (a key file's `#` comment lines are for the CLI to
    /// drop: [`strip_comments`]).
    pub fn parse_keys(text: &str) -> Result<Vec<[u8; 32]>> {
        text.split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|k| !k.is_empty())
            .map(public_key)
            .collect()
    }
}

/// A key file without its `#` comment lines.
pub fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One Ed25519 public key from 64 hex digits.
pub fn public_key(text: &str) -> Result<[u8; 32]> {
    let mut key = [0u8; 32];
    from_hex(text.trim(), &mut key).ok_or_else(|| {
        Error::Signature(format!(
            "`{}` is not an Ed25519 public key (64 hex digits)",
            clip(text.trim())
        ))
    })?;
    Ok(key)
}

/// Short, readable form of a key: its first 16 hex digits (what messages and the basis show).
pub fn key_id(key: &[u8; 32]) -> String {
    hex(key.get(..8).unwrap_or_default())
}

/// A signature block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The signer's public key.
    pub key: [u8; 32],
    /// The signature.
    pub signature: [u8; 64],
}

/// A bundle file split into the unsigned bundle and its signature block, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The bundle as it was before signing (header and payload).
    pub bundle: &'a [u8],
    /// The signature block, when the file has one.
    pub block: Option<Block>,
}

/// Split a bundle file. The header is read first, so a file that is not a bundle, has the wrong
/// format version or is cut short says so; what follows the payload must be nothing or exactly
/// one signature block.
pub fn split(bytes: &[u8]) -> Result<Envelope<'_>> {
    let header = read_header(bytes)?;
    let end = HEADER_LEN.saturating_add(header.payload_len);
    let (bundle, rest) = match (bytes.get(..end), bytes.get(end..)) {
        (Some(b), Some(r)) => (b, r),
        _ => {
            return Err(Error::Truncated {
                expected: end,
                got: bytes.len(),
            })
        }
    };
    if rest.is_empty() {
        return Ok(Envelope {
            bundle,
            block: None,
        });
    }
    if !rest.starts_with(&SIG_MAGIC) && !SIG_MAGIC.starts_with(rest) {
        return Err(Error::Decode(format!(
            "{} unexpected bytes after the payload",
            rest.len()
        )));
    }
    if rest.len() != BLOCK_LEN {
        return Err(Error::Signature(format!(
            "the signature block is {} bytes, expected {BLOCK_LEN}: the file was cut short or \
             extended after signing",
            rest.len()
        )));
    }
    let (Some(Ok(key)), Some(Ok(signature))) = (
        rest.get(4..36).map(<[u8; 32]>::try_from),
        rest.get(36..BLOCK_LEN).map(<[u8; 64]>::try_from),
    ) else {
        return Err(Error::Signature(
            "the signature block cannot be read".into(),
        ));
    };
    Ok(Envelope {
        bundle,
        block: Some(Block { key, signature }),
    })
}

/// The bytes a signature covers: [`DOMAIN`] then the unsigned bundle.
pub fn message(unsigned: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(DOMAIN.len() + unsigned.len());
    m.extend_from_slice(DOMAIN);
    m.extend_from_slice(unsigned);
    m
}

/// The signed file: the unsigned bundle and a block with `key` and `signature`.
pub fn attach(unsigned: &[u8], key: &[u8; 32], signature: &[u8; 64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(unsigned.len() + BLOCK_LEN);
    out.extend_from_slice(unsigned);
    out.extend_from_slice(&SIG_MAGIC);
    out.extend_from_slice(key);
    out.extend_from_slice(signature);
    out
}

/// Where a loaded bundle's trust comes from: shown with its basis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// Signed by this trusted key, and the signature verifies.
    Verified(String),
    /// Loaded under `warn` without a signature.
    Unsigned,
    /// Loaded under `warn`, signed by a key this page does not trust.
    UnknownSigner(String),
    /// Signatures are not checked here (policy `off`).
    NotChecked,
}

impl Provenance {
    /// Whether the user should be warned about this bundle.
    pub fn is_warning(&self) -> bool {
        matches!(self, Provenance::Unsigned | Provenance::UnknownSigner(_))
    }
}

/// The block whose signature must be verified before [`decide`], if any: only a signature by
/// a trusted key means something, and `off` checks nothing.
pub fn to_verify<'a>(trust: &Trust, envelope: &'a Envelope<'_>) -> Option<&'a Block> {
    envelope
        .block
        .as_ref()
        .filter(|b| trust.policy != Policy::Off && trust.keys.contains(&b.key))
}

/// The decision, given whether the signature returned by [`to_verify`] verified (`valid` is
/// ignored when there was nothing to verify).
pub fn decide(trust: &Trust, envelope: &Envelope<'_>, valid: bool) -> Result<Provenance> {
    if trust.policy == Policy::Off {
        return Ok(Provenance::NotChecked);
    }
    let require = trust.policy == Policy::Require;
    match &envelope.block {
        None if require => Err(Error::Unsigned),
        None => Ok(Provenance::Unsigned),
        Some(b) if !trust.keys.contains(&b.key) => {
            if require {
                Err(Error::UntrustedSigner(key_id(&b.key)))
            } else {
                Ok(Provenance::UnknownSigner(key_id(&b.key)))
            }
        }
        Some(b) if valid => Ok(Provenance::Verified(key_id(&b.key))),
        Some(b) => Err(Error::BadSignature(key_id(&b.key))),
    }
}

/// Decode hex into `out`, which it must fill exactly.
fn from_hex(text: &str, out: &mut [u8]) -> Option<()> {
    let digits = text.as_bytes();
    if digits.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let s = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(s, 16).ok()?;
    }
    Some(())
}

/// A rejected key as given when it is short, else only its length: a pasted secret or a
/// whole file is not echoed.
fn clip(text: &str) -> String {
    if text.len() <= 70 {
        text.to_string()
    } else {
        format!("a value of {} bytes", text.len())
    }
}

/// [native only] Ed25519 with `ed25519-dalek`: key generation, signing and verifying for the CLI
/// and the tests.
#[cfg(not(target_arch = "wasm32"))]
pub mod native {
    use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

    use super::{attach, from_hex, message, split};
    use crate::error::{Error, Result};
    use crate::util::hex::hex;

    /// A new key pair from the operating system's randomness: (secret seed, public key).
    pub fn keygen() -> Result<([u8; 32], [u8; 32])> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| Error::Signature(format!("no randomness for a new key: {e}")))?;
        let key = SigningKey::from_bytes(&seed);
        Ok((seed, key.verifying_key().to_bytes()))
    }

    /// The secret key file's text: 64 hex digits and a warning comment.
    pub fn secret_file(seed: &[u8; 32]) -> String {
        format!(
            "# Bedside bundle signing key (Ed25519 secret). Keep it offline; never commit it.\n{}\n",
            hex(seed)
        )
    }

    /// Read a secret key file.
    pub fn read_secret(text: &str) -> Result<SigningKey> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or_default();
        let mut seed = [0u8; 32];
        from_hex(line, &mut seed).ok_or_else(|| {
            Error::Signature(
                "the key file does not hold an Ed25519 secret key (64 hex digits)".into(),
            )
        })?;
        Ok(SigningKey::from_bytes(&seed))
    }

    /// Sign a bundle file (signed or not): the result carries exactly one signature, this one.
    pub fn sign(bytes: &[u8], key: &SigningKey) -> Result<Vec<u8>> {
        let unsigned = split(bytes)?.bundle;
        let signature = key.sign(&message(unsigned)).to_bytes();
        Ok(attach(
            unsigned,
            &key.verifying_key().to_bytes(),
            &signature,
        ))
    }

    /// Whether `signature` by `key` verifies over `message` (strict: no malleable signatures,
    /// no weak keys).
    pub fn verify(key: &[u8; 32], signature: &[u8; 64], message: &[u8]) -> bool {
        VerifyingKey::from_bytes(key).is_ok_and(|k| {
            k.verify_strict(message, &Signature::from_bytes(signature))
                .is_ok()
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::bundle::signature::{decide, to_verify, Policy, Provenance, Trust};

        #[test]
        fn sign_then_verify_and_every_tamper_fails() {
            let (seed, public) = keygen().unwrap();
            let key = read_secret(&secret_file(&seed)).unwrap();
            let unsigned = crate::bundle::signature::tests::unsigned();
            let signed = sign(&unsigned, &key).unwrap();
            // Signing again replaces the signature instead of stacking a second one.
            assert_eq!(sign(&signed, &key).unwrap(), signed);
            let trust = Trust {
                keys: vec![public],
                policy: Policy::Require,
            };
            let check = |bytes: &[u8]| {
                let env = split(bytes)?;
                let valid = to_verify(&trust, &env)
                    .is_some_and(|b| verify(&b.key, &b.signature, &message(env.bundle)));
                decide(&trust, &env, valid)
            };
            assert!(matches!(check(&signed), Ok(Provenance::Verified(_))));
            for i in [0, 5, 20, unsigned.len() + 10, signed.len() - 1] {
                let mut t = signed.clone();
                t[i] ^= 1;
                assert!(check(&t).is_err(), "byte {i} flipped and still accepted");
            }
            assert!(read_secret("nothing").is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn unsigned() -> Vec<u8> {
        // A header for an empty payload: magic, version, reserved, length 0, SHA-256("").
        let mut b = Vec::new();
        b.extend_from_slice(&crate::bundle::format::MAGIC);
        b.extend_from_slice(&crate::bundle::format::FORMAT_VERSION.to_le_bytes());
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&[0u8; 32]);
        b
    }

    fn trust(policy: Policy) -> Trust {
        Trust {
            keys: vec![[7; 32]],
            policy,
        }
    }

    #[test]
    fn split_finds_the_block_and_the_unsigned_bytes() {
        let u = unsigned();
        let signed = attach(&u, &[7; 32], &[9; 64]);
        let env = split(&signed).unwrap();
        assert_eq!(env.bundle, &u[..]);
        assert_eq!(
            env.block,
            Some(Block {
                key: [7; 32],
                signature: [9; 64]
            })
        );
        assert_eq!(split(&u).unwrap().block, None);
    }

    #[test]
    fn a_cut_or_extended_block_is_named() {
        let signed = attach(&unsigned(), &[7; 32], &[9; 64]);
        for len in [signed.len() - 1, signed.len() - 60, HEADER_LEN + 2] {
            let e = split(&signed[..len]).unwrap_err();
            assert!(e.to_string().contains("signature block is"), "{len}: {e}");
        }
        let mut longer = signed.clone();
        longer.push(0);
        assert!(split(&longer)
            .unwrap_err()
            .to_string()
            .contains("101 bytes, expected 100"));
        let mut junk = unsigned();
        junk.extend_from_slice(b"hello");
        assert_eq!(
            split(&junk),
            Err(Error::Decode("5 unexpected bytes after the payload".into()))
        );
    }

    #[test]
    fn policy_decides() {
        let u = unsigned();
        let signed = attach(&u, &[7; 32], &[9; 64]);
        let stranger = attach(&u, &[8; 32], &[9; 64]);
        let (s, x, n) = (
            split(&signed).unwrap(),
            split(&stranger).unwrap(),
            split(&u).unwrap(),
        );
        let id = key_id(&[7; 32]);
        assert_eq!(id, "0707070707070707");
        let req = trust(Policy::Require);
        assert!(to_verify(&req, &s).is_some());
        assert!(to_verify(&req, &x).is_none());
        assert_eq!(decide(&req, &s, true), Ok(Provenance::Verified(id.clone())));
        assert_eq!(
            decide(&req, &s, false),
            Err(Error::BadSignature(id.clone()))
        );
        assert_eq!(decide(&req, &n, true), Err(Error::Unsigned));
        assert_eq!(
            decide(&req, &x, true),
            Err(Error::UntrustedSigner("0808080808080808".into()))
        );
        let warn = trust(Policy::Warn);
        assert_eq!(decide(&warn, &n, false), Ok(Provenance::Unsigned));
        assert!(decide(&warn, &x, false).unwrap().is_warning());
        assert_eq!(decide(&warn, &s, false), Err(Error::BadSignature(id)));
        let off = trust(Policy::Off);
        assert!(to_verify(&off, &s).is_none());
        assert_eq!(decide(&off, &s, false), Ok(Provenance::NotChecked));
    }

    #[test]
    fn keys_parse_from_lists_and_files() {
        let a = "07".repeat(32);
        let b = "AB".repeat(32);
        let keys = Trust::parse_keys(&strip_comments(&format!("# ours\n{a}\n{b}, {a}"))).unwrap();
        assert_eq!(keys, vec![[7; 32], [0xab; 32], [7; 32]]);
        assert_eq!(Trust::parse_keys("").unwrap(), Vec::<[u8; 32]>::new());
        assert_eq!(
            Trust::parse_keys("zz").unwrap_err().to_string(),
            "signature: `zz` is not an Ed25519 public key (64 hex digits)"
        );
        let long = "ä".repeat(64);
        assert!(public_key(&long)
            .unwrap_err()
            .to_string()
            .contains("a value of 128 bytes"));
        assert_eq!(Policy::parse(" warn "), Ok(Policy::Warn));
        assert_eq!(
            Policy::parse("maybe").unwrap_err().to_string(),
            "signature: signature policy `maybe` is not one of require, warn, off"
        );
    }
}
