//! A forest's trees as they travel in a bundle: each kind of number in its own run, and
//! nothing stored that the rest determines.
//!
//! Why: a forest was a third of a forest bundle's compressed bytes, most of it node records in
//! which an eight-byte threshold sat between small integers, so gzip found few repeats. Here
//! the thresholds are one run, the input indices another, the leaves' class counts a third.
//! Two things are not stored at all, because the trainer's trees determine them exactly:
//! - **Child indices.** The trainer numbers nodes as it creates them, two children at a time,
//!   splitting nodes in the order they were created; so the k-th split node's children are
//!   nodes 2k + 1 and 2k + 2, and one "is split" mark per node says it all.
//! - **Covers.** A leaf's cover is the number of training rows that reach it, which is the sum
//!   of its class counts; a split node's is the sum of its children's.
//!
//! Trees that do not have that shape (none the trainer makes) are stored whole, node by node,
//! so any tree survives a round trip bit for bit (`tests::round_trip_is_exact`).

use std::cell::Cell;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::tree::{Node, Tree};

/// Most nodes a packed forest may unpack to. A packed node is two bytes on the wire but some
/// forty in memory, so the count is capped before a crafted file can exhaust the page's
/// memory; the trainer's forests (100 trees of depth 6) have at most 12,700.
pub const MAX_NODES: usize = 1_000_000;

thread_local! {
    /// Set when serde's decoding refused a packed forest. postcard replaces every custom
    /// decode error by one message-less "Serde Deserialization Error", so the reference
    /// decoder (`bundle::read_payload_with_serde`) reads this to say what was actually wrong
    /// ([`take_refusal`]); the app's own decoder carries the message itself.
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Whether decoding on this thread refused a packed forest since the last call; clears the
/// mark.
pub fn take_refusal() -> bool {
    REFUSED.with(|r| r.replace(false))
}

/// Why a packed forest was refused, in words (what the bundle decoder reports).
pub fn refusal() -> String {
    format!(
        "a random forest whose stored nodes do not fit together (split marks, inputs, \
         thresholds and leaf counts of different lengths, a child beyond its tree, or more \
         than {MAX_NODES} nodes); accepted: the trees as the trainer writes them"
    )
}

/// The trees on the wire.
#[derive(Serialize, Deserialize)]
enum Stored {
    /// The trainer's shape, packed.
    Packed(Packed),
    /// Any other shape, node by node.
    Whole(Vec<Tree>),
}

#[derive(Serialize, Deserialize)]
struct Packed {
    /// Nodes per tree.
    sizes: Vec<u32>,
    /// Per node: 1 when it is split, 0 for a leaf.
    split: Vec<u8>,
    /// Per node: the input it tests (a leaf keeps the one its trainer recorded).
    features: Vec<u32>,
    /// Per split node: its threshold, as little-endian bytes.
    thresholds: Vec<u8>,
    /// Class counts per leaf.
    classes: u32,
    /// Per leaf: its `classes` counts.
    counts: Vec<u32>,
}

/// Pack `trees` when they all have the trainer's shape.
fn pack(trees: &[Tree]) -> Option<Packed> {
    let classes = trees
        .iter()
        .flat_map(|t| &t.nodes)
        .find(|n| n.is_leaf())
        .map_or(0, |n| n.counts.len());
    let mut p = Packed {
        sizes: Vec::with_capacity(trees.len()),
        split: Vec::new(),
        features: Vec::new(),
        thresholds: Vec::new(),
        classes: u32::try_from(classes).ok()?,
        counts: Vec::new(),
    };
    for tree in trees {
        p.sizes.push(u32::try_from(tree.nodes.len()).ok()?);
        for node in &tree.nodes {
            p.features.push(node.feature);
            if node.is_leaf() {
                if node.counts.len() != classes || node.threshold.to_bits() != 0 {
                    return None;
                }
                p.split.push(0);
                p.counts.extend_from_slice(&node.counts);
            } else {
                if !node.counts.is_empty() {
                    return None;
                }
                p.split.push(1);
                p.thresholds
                    .extend_from_slice(&node.threshold.to_le_bytes());
            }
        }
    }
    // Only what unpacks to the very same trees is packed.
    (unpack(&p).as_deref() == Some(trees)).then_some(p)
}

/// The trees a [`Packed`] describes, or `None` when it is inconsistent (a child beyond its
/// tree, runs of the wrong length, a cover that overflows).
fn unpack(p: &Packed) -> Option<Vec<Tree>> {
    let classes = p.classes as usize;
    let mut split = p.split.iter();
    let mut features = p.features.iter();
    let mut thresholds = p.thresholds.chunks_exact(8);
    let mut counts = p.counts.chunks_exact(classes.max(1));
    if p.split.len() > MAX_NODES {
        return None;
    }
    let mut trees = Vec::with_capacity(p.sizes.len().min(p.split.len()));
    for &size in &p.sizes {
        let size = size as usize;
        // Each node takes one mark; a size beyond what is left is refused before allocating.
        if size > split.len() {
            return None;
        }
        let mut nodes: Vec<Node> = Vec::with_capacity(size);
        let mut next = 1u32;
        for _ in 0..size {
            let feature = *features.next()?;
            let node = match split.next()? {
                0 => Node {
                    feature,
                    threshold: 0.0,
                    left: 0,
                    right: 0,
                    cover: 0,
                    counts: if classes == 0 {
                        Vec::new()
                    } else {
                        counts.next()?.to_vec()
                    },
                },
                1 => {
                    let bytes: [u8; 8] = thresholds.next()?.try_into().ok()?;
                    let (left, right) = (next, next.checked_add(1)?);
                    if right as usize >= size {
                        return None;
                    }
                    next = right.checked_add(1)?;
                    Node {
                        feature,
                        threshold: f64::from_le_bytes(bytes),
                        left,
                        right,
                        cover: 0,
                        counts: Vec::new(),
                    }
                }
                _ => return None,
            };
            nodes.push(node);
        }
        // Covers from the leaves up: children always come after their parent.
        for i in (0..nodes.len()).rev() {
            let node = nodes.get(i)?;
            let cover = if node.is_leaf() {
                node.counts
                    .iter()
                    .try_fold(0u32, |a, &c| a.checked_add(c))?
            } else {
                let (l, r) = (node.left as usize, node.right as usize);
                nodes.get(l)?.cover.checked_add(nodes.get(r)?.cover)?
            };
            nodes.get_mut(i)?.cover = cover;
        }
        trees.push(Tree { nodes });
    }
    let used_up = split.next().is_none()
        && features.next().is_none()
        && thresholds.next().is_none()
        && thresholds.remainder().is_empty()
        && if classes == 0 {
            p.counts.is_empty()
        } else {
            counts.next().is_none() && counts.remainder().is_empty()
        };
    used_up.then_some(trees)
}

/// `serde(with)` for a forest's trees.
pub fn serialize<S: Serializer>(trees: &[Tree], s: S) -> Result<S::Ok, S::Error> {
    match pack(trees) {
        Some(p) => Stored::Packed(p),
        None => Stored::Whole(trees.to_vec()),
    }
    .serialize(s)
}

/// `serde(with)` for a forest's trees.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tree>, D::Error> {
    match Stored::deserialize(d)? {
        Stored::Whole(trees) => Ok(trees),
        Stored::Packed(p) => unpack(&p).ok_or_else(|| {
            REFUSED.with(|r| r.set(true));
            serde::de::Error::custom(refusal())
        }),
    }
}

#[cfg(test)]
mod tests;

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, Reader, WireError};
    decode_struct!(Packed {
        sizes,
        split,
        features,
        thresholds,
        classes,
        counts
    });
    /// A forest's trees as [`serialize`] writes them: packed, or whole.
    pub fn decode_trees(r: &mut Reader<'_>) -> Vec<Tree> {
        match r.variant() {
            0 => {
                let p: Packed = decode(r);
                if r.failed() {
                    return Vec::new();
                }
                match unpack(&p) {
                    Some(t) => t,
                    None => {
                        r.fail(WireError::Refused(refusal()));
                        Vec::new()
                    }
                }
            }
            1 => decode(r),
            _ => r.bad_variant(Vec::new()),
        }
    }
}
pub use wire_impls::decode_trees;
