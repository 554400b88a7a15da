//! Case evidence: among the trial patients most similar to this one, how many were in each arm
//! and how many of those had the outcome. It is what a clinician would ask a colleague ("what
//! happened to patients like this?"), shown with its counts so its thinness is visible.

use serde::Serialize;

use crate::cases::{CaseLibrary, Similar};

/// Outcome counts in one arm among the similar patients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArmEvidence {
    /// Arm code.
    pub code: String,
    /// Similar patients who were in this arm.
    pub cases: u32,
    /// Of whom had the outcome.
    pub events: u32,
}

/// Count the neighbours of `similar` per arm (`arm_codes` in schema order) and outcome
/// (`event_class`). Cases without a recorded arm are not counted.
pub fn per_arm(
    library: &CaseLibrary,
    similar: &Similar,
    arm_codes: &[String],
    event_class: usize,
) -> Vec<ArmEvidence> {
    let mut out: Vec<ArmEvidence> = arm_codes
        .iter()
        .map(|c| ArmEvidence {
            code: c.clone(),
            cases: 0,
            events: 0,
        })
        .collect();
    for n in &similar.neighbours {
        let Some(&arm) = library.arms.get(n.case) else {
            continue;
        };
        if let Some(e) = out.get_mut(usize::from(arm)) {
            e.cases += 1;
            e.events += u32::from(n.outcome == event_class);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Neighbour;

    #[test]
    fn counts_per_arm_and_outcome() {
        let lib = CaseLibrary {
            source: "t".into(),
            columns: vec![vec![0.0; 4]],
            outcome: vec![1, 0, 1, 0],
            rows: vec![1, 2, 3, 4],
            map: vec![],
            arms: vec![0, 0, 1, 1],
            held_out: vec![],
        };
        let nb = |case: usize, outcome: usize| Neighbour {
            case,
            row: case as u32 + 1,
            distance: 0.0,
            compared: 1,
            outcome,
            alike: vec![],
            differ: vec![],
        };
        let similar = Similar {
            neighbours: vec![nb(0, 1), nb(1, 0), nb(2, 1), nb(3, 0)],
            outcome_counts: vec![2, 2],
            eligible: 4,
            total: 4,
            weighted: false,
            compared_features: 1,
        };
        let e = per_arm(&lib, &similar, &["a".into(), "b".into()], 1);
        assert_eq!(
            e,
            vec![
                ArmEvidence {
                    code: "a".into(),
                    cases: 2,
                    events: 1
                },
                ArmEvidence {
                    code: "b".into(),
                    cases: 2,
                    events: 1
                },
            ]
        );
    }
}
