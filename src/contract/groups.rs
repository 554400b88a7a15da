//! Grouping fields (age bands, sex, …) named by the schema's `[[subgroups]]`: the model card
//! reports metrics per group, and similar-case search and the case browser filter by them.

use serde::{Deserialize, Serialize};

use crate::contract::patient::Value;
use crate::contract::schema::{Kind, Schema, Text};

/// Membership of one group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Member {
    /// Numeric value in `[lo, hi)`.
    Band(f64, f64),
    /// Categorical level.
    Level(usize),
    /// Boolean value.
    Bool(bool),
}

impl Member {
    /// Whether a validated value belongs to the group (a missing value belongs to none).
    pub fn contains(self, v: Option<Value>) -> bool {
        match (self, v) {
            (Member::Band(lo, hi), Some(Value::Number(x))) => x >= lo && x < hi,
            (Member::Level(i), Some(Value::Level(j))) => i == j,
            (Member::Bool(b), Some(Value::Bool(c))) => b == c,
            _ => false,
        }
    }

    /// The same for a value as stored in a case library (`NaN` = missing, levels and
    /// booleans as small whole numbers).
    pub fn contains_stored(self, v: f32) -> bool {
        if v.is_nan() {
            return false;
        }
        let v = f64::from(v);
        match self {
            Member::Band(lo, hi) => v >= lo && v < hi,
            Member::Level(i) => v == i as f64,
            Member::Bool(b) => (v != 0.0) == b,
        }
    }
}

/// One group of a grouping field.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// E.g. "Age 30–<40 years".
    pub label: Text,
    /// Who belongs.
    pub member: Member,
}

/// A schema feature that groups cases.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Index of the feature in the schema.
    pub feature: usize,
    /// The feature's label.
    pub label: Text,
    /// Its groups, in order.
    pub groups: Vec<Group>,
}

/// The grouping fields of `schema`, with their groups spelled out in both languages.
pub fn fields(schema: &Schema) -> Vec<Field> {
    let mut out = Vec::new();
    for g in &schema.subgroups {
        let Some((j, f)) = schema
            .features
            .iter()
            .enumerate()
            .find(|(_, f)| f.column == g.column)
        else {
            continue;
        };
        let both = |en: String, zh: String| Text { en, zh };
        let groups: Vec<Group> = match &f.kind {
            Kind::Numeric { unit, .. } => {
                let unit = if unit.is_empty() {
                    String::new()
                } else {
                    format!(" {unit}")
                };
                g.cuts
                    .windows(2)
                    .filter_map(|w| Some((*w.first()?, *w.get(1)?)))
                    .chain(g.cuts.last().map(|&l| (l, f64::INFINITY)))
                    .map(|(lo, hi)| {
                        let range = if hi.is_finite() {
                            format!("{lo}–<{hi}")
                        } else {
                            format!("≥ {lo}")
                        };
                        Group {
                            label: both(
                                format!("{} {range}{unit}", f.label.en),
                                format!("{} {range}{unit}", f.label.zh),
                            ),
                            member: Member::Band(lo, hi),
                        }
                    })
                    .collect()
            }
            Kind::Categorical { levels } => levels
                .iter()
                .enumerate()
                .map(|(i, l)| Group {
                    label: both(
                        format!("{}: {}", f.label.en, l.label.en),
                        format!("{}：{}", f.label.zh, l.label.zh),
                    ),
                    member: Member::Level(i),
                })
                .collect(),
            Kind::Boolean { .. } => [(true, "yes", "是"), (false, "no", "否")]
                .into_iter()
                .map(|(b, en, zh)| Group {
                    label: both(
                        format!("{}: {en}", f.label.en),
                        format!("{}：{zh}", f.label.zh),
                    ),
                    member: Member::Bool(b),
                })
                .collect(),
        };
        out.push(Field {
            feature: j,
            label: f.label.clone(),
            groups,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_and_validated_membership_agree() {
        let band = Member::Band(30.0, 40.0);
        assert!(band.contains(Some(Value::Number(30.0))));
        assert!(!band.contains(Some(Value::Number(40.0))));
        assert!(band.contains_stored(35.0));
        assert!(!band.contains_stored(f32::NAN));
        assert!(!band.contains(None));
        assert!(Member::Level(2).contains_stored(2.0));
        assert!(!Member::Level(2).contains_stored(1.0));
        assert!(Member::Bool(true).contains_stored(1.0));
        assert!(Member::Bool(false).contains_stored(0.0));
    }
}
