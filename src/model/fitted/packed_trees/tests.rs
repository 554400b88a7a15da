use super::*;
use proptest::prelude::*;

/// A tree in the trainer's shape: node `i`'s children are the next two unused indices, covers
/// add up from the leaves' counts.
fn trainer_tree(splits: &[bool], classes: usize, salt: u32) -> Tree {
    // Grow breadth-first: each node in creation order is split when its mark says so and
    // there are marks left for two children.
    let mut is_split = Vec::new();
    let mut made = 1usize;
    let mut i = 0usize;
    while i < made {
        let s = splits.get(i).copied().unwrap_or(false) && made + 2 <= splits.len() + 1;
        is_split.push(s);
        if s {
            made += 2;
        }
        i += 1;
    }
    let mut next = 1u32;
    let mut nodes: Vec<Node> = is_split
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            let i = i as u32;
            if s {
                let n = Node {
                    feature: (i * 7 + salt) % 31,
                    threshold: (f64::from(i) * 0.37 + f64::from(salt)).sin() * 2.5,
                    left: next,
                    right: next + 1,
                    cover: 0,
                    counts: vec![],
                };
                next += 2;
                n
            } else {
                Node {
                    // Leaves at the depth limit keep the input their last search picked.
                    feature: if i % 3 == 0 { (i + salt) % 5 } else { 0 },
                    threshold: 0.0,
                    left: 0,
                    right: 0,
                    cover: 0,
                    counts: (0..classes as u32)
                        .map(|c| (i * 13 + c * 5 + salt) % 9)
                        .collect(),
                }
            }
        })
        .collect();
    for i in (0..nodes.len()).rev() {
        nodes[i].cover = if nodes[i].is_leaf() {
            nodes[i].counts.iter().sum()
        } else {
            nodes[nodes[i].left as usize].cover + nodes[nodes[i].right as usize].cover
        };
    }
    Tree { nodes }
}

fn round_trip(trees: &[Tree]) -> Vec<Tree> {
    #[derive(Serialize, Deserialize)]
    struct W(#[serde(with = "super")] Vec<Tree>);
    let bytes = postcard::to_allocvec(&W(trees.to_vec())).unwrap();
    postcard::from_bytes::<W>(&bytes).unwrap().0
}

fn bits(trees: &[Tree]) -> Vec<(u32, u64, u32, u32, u32, Vec<u32>)> {
    trees
        .iter()
        .flat_map(|t| &t.nodes)
        .map(Node::bits)
        .collect()
}

#[test]
fn the_trainers_trees_are_packed_and_come_back_bit_for_bit() {
    let trees: Vec<Tree> = (0..40)
        .map(|t| {
            let marks: Vec<bool> = (0..63).map(|i| (i * 5 + t) % 7 != 0).collect();
            trainer_tree(&marks, 2, t as u32)
        })
        .collect();
    assert!(pack(&trees).is_some(), "the trainer's shape packs");
    assert_eq!(bits(&round_trip(&trees)), bits(&trees));
    // And it is what makes forests smaller.
    let whole = postcard::to_allocvec(&trees).unwrap().len();
    let packed = postcard::to_allocvec(&pack(&trees).unwrap()).unwrap().len();
    assert!(packed * 10 < whole * 8, "{packed} vs {whole}");
}

#[test]
fn other_shapes_are_stored_whole() {
    let mut trees = vec![trainer_tree(&[true, true, false, true], 3, 1)];
    // Children not where the trainer puts them.
    let mut odd = trees[0].clone();
    odd.nodes.swap(1, 2);
    odd.nodes[0].left = 2;
    odd.nodes[0].right = 1;
    // A leaf threshold that is not zero, a cover that does not add up.
    let mut thr = trees[0].clone();
    let leaf = thr.nodes.iter().position(Node::is_leaf).unwrap();
    thr.nodes[leaf].threshold = -0.0;
    let mut cover = trees[0].clone();
    cover.nodes[0].cover += 1;
    for bad in [odd, thr, cover] {
        trees.push(bad.clone());
        assert!(pack(std::slice::from_ref(&bad)).is_none());
        assert_eq!(bits(&round_trip(std::slice::from_ref(&bad))), bits(&[bad]));
    }
    assert_eq!(bits(&round_trip(&trees)), bits(&trees));
}

#[test]
fn an_inconsistent_packed_forest_is_refused_not_a_panic() {
    let good = pack(&[trainer_tree(&[true, true, true, false, false, true], 2, 4)]).unwrap();
    let variants: Vec<fn(&mut Packed)> = vec![
        |p| p.sizes[0] += 1,
        |p| p.sizes[0] = u32::MAX,
        |p| p.sizes.push(5),
        |p| {
            p.split.pop();
        },
        |p| p.split[0] = 7,
        |p| *p.split.last_mut().unwrap() = 1,
        |p| {
            p.thresholds.pop();
        },
        |p| p.thresholds.extend([0; 8]),
        |p| {
            p.features.pop();
        },
        |p| p.counts.push(1),
        |p| p.counts[0] = u32::MAX,
        |p| p.classes = 7,
        // No class counts, yet counts stored.
        |p| {
            p.classes = 0;
            p.counts = vec![3];
        },
    ];
    for (i, spoil) in variants.iter().enumerate() {
        let mut p = clone(&good);
        spoil(&mut p);
        assert!(unpack(&p).is_none(), "variant {i} accepted");
        let bytes = postcard::to_allocvec(&Stored::Packed(p)).unwrap();
        #[derive(Deserialize)]
        struct W(
            #[serde(with = "super")]
            #[allow(dead_code)]
            Vec<Tree>,
        );
        take_refusal();
        assert!(
            postcard::from_bytes::<W>(&bytes).is_err(),
            "variant {i} decoded"
        );
        // The reference decoder names the refusal from this mark (postcard drops the message).
        assert!(take_refusal(), "variant {i}: no refusal mark");
        // The app's decoder carries the refusal in its own words.
        let mut r = crate::util::wire::Reader::new(&bytes);
        decode_trees(&mut r);
        assert_eq!(
            r.finish(()),
            Err(crate::util::wire::WireError::Refused(refusal())),
            "variant {i}"
        );
    }
}

fn clone(p: &Packed) -> Packed {
    Packed {
        sizes: p.sizes.clone(),
        split: p.split.clone(),
        features: p.features.clone(),
        thresholds: p.thresholds.clone(),
        classes: p.classes,
        counts: p.counts.clone(),
    }
}

proptest! {
    #[test]
    fn any_trainer_shape_round_trips(
        shapes in prop::collection::vec(prop::collection::vec(any::<bool>(), 0..40), 0..6),
        classes in 1usize..4,
    ) {
        let trees: Vec<Tree> = shapes.iter().enumerate().map(|(i, m)| trainer_tree(m, classes, i as u32)).collect();
        prop_assert!(pack(&trees).is_some());
        prop_assert_eq!(bits(&round_trip(&trees)), bits(&trees));
    }
}

#[test]
fn a_packed_forest_beyond_the_node_cap_is_refused() {
    // One-leaf trees: two bytes each on the wire.
    let leaves = |n: usize| Packed {
        sizes: vec![1; n],
        split: vec![0; n],
        features: vec![0; n],
        thresholds: vec![],
        classes: 1,
        counts: vec![1; n],
    };
    assert_eq!(unpack(&leaves(1000)).map(|t| t.len()), Some(1000));
    assert!(unpack(&leaves(MAX_NODES + 1)).is_none());
    // The trainer never packs what it could not read back: such a forest is stored whole.
    assert!(pack(&vec![trainer_tree(&[false], 1, 0); MAX_NODES + 1]).is_none());
}
