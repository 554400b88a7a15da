//! The rule-file compiler: `data/<id>.rules.toml` checked against the schema and turned into
//! the [`RuleSet`] a bundle carries (thresholds in the feature's own unit).

// Feature and derived-value indices here were resolved against the schema and the rule set a
// few lines before they are used (the compiler's own lookups).
#![allow(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use crate::contract::schema::{Kind, Schema, Text};
use crate::error::{Error, Result};
use crate::guidance::expr::Expr;
use crate::guidance::rules::*;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRules {
    #[serde(default)]
    inputs: Vec<Input>,
    #[serde(default)]
    derived: Vec<RawDerived>,
    #[serde(default)]
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDerived {
    id: String,
    label: Text,
    unit: String,
    formula: String,
    /// The unit the formula expects for each feature it names.
    units: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    option: Option<String>,
    #[serde(default)]
    when: Vec<RawClause>,
    recommend: Text,
    strength: Text,
    source: Source,
    #[serde(default)]
    contraindications: Vec<RawContra>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContra {
    when: Vec<RawClause>,
    effect: Effect,
    reason: Text,
    source: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IsValue {
    Flag(bool),
    Code(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClause {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    derived: Option<String>,
    #[serde(default)]
    input: Option<String>,
    #[serde(default)]
    probability: Option<String>,
    #[serde(default)]
    at_least: Option<f64>,
    #[serde(default)]
    above: Option<f64>,
    #[serde(default)]
    at_most: Option<f64>,
    #[serde(default)]
    below: Option<f64>,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    is: Option<IsValue>,
}

fn text_ok(t: &Text) -> bool {
    !t.en.trim().is_empty() && !t.zh.trim().is_empty()
}

impl RawRules {
    pub(crate) fn compile(self, schema: &Schema) -> Result<RuleSet> {
        let mut set = RuleSet {
            inputs: Vec::new(),
            derived: Vec::new(),
            rules: Vec::new(),
        };
        let taken = |set: &RuleSet, id: &str| {
            schema.feature(id).is_some()
                || set.inputs.iter().any(|i| i.id == id)
                || set.derived.iter().any(|d| d.id == id)
        };
        for i in self.inputs {
            if i.id.is_empty() || taken(&set, &i.id) {
                return Err(Error::Rules(format!(
                    "input `{}` is empty or clashes with a feature, input or derived value",
                    i.id
                )));
            }
            if !text_ok(&i.label) {
                return Err(Error::Rules(format!(
                    "input `{}` needs a label in English and Chinese",
                    i.id
                )));
            }
            for codes in &i.record {
                codes.check(&i.id).map_err(Error::Rules)?;
            }
            set.inputs.push(i);
        }
        for d in self.derived {
            if taken(&set, &d.id) {
                return Err(Error::Rules(format!(
                    "derived `{}` clashes with a feature, input or derived value",
                    d.id
                )));
            }
            let d = d.compile(schema)?;
            set.derived.push(d);
        }
        for r in self.rules {
            if set.rules.iter().any(|q| q.id == r.id) || r.id.is_empty() {
                return Err(Error::Rules(format!(
                    "rule id `{}` is empty or used twice",
                    r.id
                )));
            }
            let rule = r.compile(schema, &set)?;
            set.rules.push(rule);
        }
        check_groups(&set.rules)?;
        Ok(set)
    }
}

impl RawDerived {
    fn compile(self, schema: &Schema) -> Result<Derived> {
        let err = |m: String| Error::Rules(format!("derived `{}`: {m}", self.id));
        let (expr, names) = Expr::parse(&self.formula).map_err(err)?;
        let mut operands = Vec::new();
        for name in &names {
            let j = schema
                .feature_index(name)
                .ok_or_else(|| err(format!("unknown feature `{name}` in the formula")))?;
            let f = &schema.features[j];
            let want = self.units.get(name).ok_or_else(|| {
                err(format!(
                    "`units` must say which unit the formula expects for `{name}`"
                ))
            })?;
            let factor = unit_factor(f, want).ok_or_else(|| {
                err(format!(
                    "the formula expects `{name}` in {want}, but the feature is in {}{}",
                    f.unit(),
                    alt_unit(f)
                ))
            })?;
            let j = u16::try_from(j).map_err(|_| err("too many features".into()))?;
            operands.push((j, factor));
        }
        if let Some(extra) = self.units.keys().find(|k| !names.contains(k)) {
            return Err(err(format!(
                "`units` names `{extra}`, which the formula does not use"
            )));
        }
        if !text_ok(&self.label) {
            return Err(err("needs a label in English and Chinese".into()));
        }
        Ok(Derived {
            id: self.id,
            label: self.label,
            unit: self.unit,
            formula: self.formula,
            expr,
            operands,
        })
    }
}

impl RawRule {
    fn compile(self, schema: &Schema, set: &RuleSet) -> Result<Rule> {
        let id = self.id;
        let err = |m: String| Error::Rules(format!("rule `{id}`: {m}"));
        if !text_ok(&self.recommend) || !text_ok(&self.strength) {
            return Err(err(
                "`recommend` and `strength` need English and Chinese text".into(),
            ));
        }
        if self.source.guideline.trim().is_empty() || self.source.section.trim().is_empty() {
            return Err(err("`source` needs the guideline and the section".into()));
        }
        if let Some(opt) = &self.option {
            let arms = schema.treatment.as_ref().map(|t| &t.arms);
            if !arms.is_some_and(|a| a.iter().any(|l| &l.code == opt)) {
                return Err(err(format!(
                    "option `{opt}` is not a treatment arm of this schema ({})",
                    arms.map_or("it has none".into(), |a| crate::contract::schema::codes(a))
                )));
            }
        }
        let when = self
            .when
            .into_iter()
            .map(|c| c.compile(schema, set))
            .collect::<std::result::Result<Vec<_>, String>>()
            .map_err(err)?;
        let mut contraindications = Vec::new();
        for c in self.contraindications {
            if c.when.is_empty() {
                return Err(err("a contraindication needs a condition".into()));
            }
            if !text_ok(&c.reason) || c.source.trim().is_empty() {
                return Err(err(
                    "a contraindication needs a reason in both languages and a source".into(),
                ));
            }
            let when = c
                .when
                .into_iter()
                .map(|c| c.compile(schema, set))
                .collect::<std::result::Result<Vec<_>, String>>()
                .map_err(err)?;
            contraindications.push(Contraindication {
                when,
                effect: c.effect,
                reason: c.reason,
                source: c.source,
            });
        }
        Ok(Rule {
            id: id.clone(),
            group: self.group,
            option: self.option,
            when,
            recommend: self.recommend,
            strength: self.strength,
            source: self.source,
            contraindications,
        })
    }
}

impl RawClause {
    fn compile(self, schema: &Schema, set: &RuleSet) -> std::result::Result<Clause, String> {
        let named = [
            self.field.is_some(),
            self.derived.is_some(),
            self.input.is_some(),
            self.probability.is_some(),
        ];
        if named.iter().filter(|&&b| b).count() != 1 {
            return Err(
                "each condition names exactly one of `field`, `derived`, `input`, `probability`"
                    .into(),
            );
        }
        let bounds = [self.at_least, self.above, self.at_most, self.below];
        let has_bounds = bounds.iter().any(Option::is_some);
        if bounds.iter().flatten().any(|b| !b.is_finite()) {
            return Err("thresholds must be finite numbers".into());
        }
        if self.at_least.is_some() && self.above.is_some()
            || self.at_most.is_some() && self.below.is_some()
        {
            return Err("use one lower bound (`at_least` or `above`) and one upper bound (`at_most` or `below`)".into());
        }
        if has_bounds == self.is.is_some() {
            return Err("a condition has either thresholds or `is`, not both or neither".into());
        }
        let lo = self
            .at_least
            .map(|b| (b, true))
            .or(self.above.map(|b| (b, false)));
        let hi = self
            .at_most
            .map(|b| (b, true))
            .or(self.below.map(|b| (b, false)));
        let shown = describe(lo, hi, self.unit.as_deref());

        if let Some(name) = &self.field {
            let j = schema.feature_index(name).ok_or_else(|| {
                format!(
                    "unknown feature `{name}` (features: {})",
                    schema.columns_list()
                )
            })?;
            let f = &schema.features[j];
            let subject = Subject::Feature(u16::try_from(j).map_err(|e| e.to_string())?);
            let test = match (&f.kind, &self.is) {
                (Kind::Numeric { plausible, .. }, None) => {
                    let unit = self.unit.as_deref().unwrap_or("");
                    let factor = unit_factor(f, unit).ok_or_else(|| {
                        if unit.is_empty() {
                            format!("the threshold on `{name}` needs its unit ({}{})", f.unit(), alt_unit(f))
                        } else {
                            format!("`{name}` is in {}{}; {unit} is not a unit it can be converted from", f.unit(), alt_unit(f))
                        }
                    })?;
                    let to_feature = |b: Bound| b.map(|(x, inc)| (x / factor, inc));
                    let (lo, hi) = (to_feature(lo), to_feature(hi));
                    for (x, _) in lo.iter().chain(hi.iter()) {
                        if *x < plausible.min || *x > plausible.max {
                            return Err(format!(
                                "threshold {} on `{name}` is outside its plausible range {}–{} {}",
                                x * factor,
                                plausible.min * factor,
                                plausible.max * factor,
                                if unit.is_empty() { f.unit() } else { unit }
                            ));
                        }
                    }
                    Test::Range(lo, hi)
                }
                (Kind::Categorical { levels }, Some(IsValue::Code(code)))
                    if self.unit.is_none() =>
                {
                    let l = levels.iter().position(|l| &l.code == code).ok_or_else(|| {
                        format!(
                            "`{code}` is not a level of `{name}` ({})",
                            crate::contract::schema::codes(levels)
                        )
                    })?;
                    Test::Level(u16::try_from(l).map_err(|e| e.to_string())?)
                }
                (Kind::Boolean { .. }, Some(IsValue::Flag(b))) if self.unit.is_none() => {
                    Test::Flag(*b)
                }
                _ => {
                    return Err(format!(
                        "`{name}` is {}: {}",
                        kind_name(&f.kind),
                        match f.kind {
                            Kind::Numeric { .. } => "compare it with thresholds, not `is`",
                            Kind::Categorical { .. } =>
                                "test it with `is = \"<level code>\"` and no unit",
                            Kind::Boolean { .. } =>
                                "test it with `is = true` or `is = false` and no unit",
                        }
                    ))
                }
            };
            let text = match &test {
                Test::Range(..) => shown,
                _ => format!("= {}", is_text(&self.is)),
            };
            return Ok(Clause {
                subject,
                test,
                text,
            });
        }
        if let Some(name) = &self.input {
            let i = set
                .inputs
                .iter()
                .position(|i| &i.id == name)
                .ok_or_else(|| format!("unknown input `{name}` (declare it under [[inputs]])"))?;
            let Some(IsValue::Flag(b)) = self.is else {
                return Err(format!(
                    "input `{name}` is yes/no: test it with `is = true` or `is = false`"
                ));
            };
            if self.unit.is_some() {
                return Err(format!("input `{name}` has no unit"));
            }
            return Ok(Clause {
                subject: Subject::Input(u16::try_from(i).map_err(|e| e.to_string())?),
                test: Test::Flag(b),
                text: format!("= {}", if b { "yes" } else { "no" }),
            });
        }
        if let Some(name) = &self.derived {
            let i = set
                .derived
                .iter()
                .position(|d| &d.id == name)
                .ok_or_else(|| {
                    format!("unknown derived value `{name}` (declare it under [[derived]])")
                })?;
            let d = &set.derived[i];
            if self.is.is_some() {
                return Err(format!(
                    "derived `{name}` is a number: compare it with thresholds"
                ));
            }
            if self.unit.as_deref().unwrap_or("") != d.unit {
                return Err(format!(
                    "derived `{name}` is in {}; the condition says {}",
                    d.unit,
                    self.unit.as_deref().unwrap_or("no unit")
                ));
            }
            return Ok(Clause {
                subject: Subject::Derived(u16::try_from(i).map_err(|e| e.to_string())?),
                test: Test::Range(lo, hi),
                text: shown,
            });
        }
        let code = self.probability.unwrap_or_default();
        let c = schema
            .target
            .classes
            .iter()
            .position(|c| c.code == code)
            .ok_or_else(|| {
                format!(
                    "`{code}` is not a class of the target `{}`",
                    schema.target.column
                )
            })?;
        if self.is.is_some() || self.unit.is_some() {
            return Err(
                "a probability is compared with thresholds between 0 and 1, without a unit".into(),
            );
        }
        if bounds.iter().flatten().any(|b| !(0.0..=1.0).contains(b)) {
            return Err("probability thresholds lie between 0 and 1".into());
        }
        Ok(Clause {
            subject: Subject::Probability(u16::try_from(c).map_err(|e| e.to_string())?),
            test: Test::Range(lo, hi),
            text: shown,
        })
    }
}

fn is_text(v: &Option<IsValue>) -> String {
    match v {
        Some(IsValue::Flag(b)) => if *b { "yes" } else { "no" }.into(),
        Some(IsValue::Code(c)) => c.clone(),
        None => String::new(),
    }
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Numeric { .. } => "numeric",
        Kind::Categorical { .. } => "categorical",
        Kind::Boolean { .. } => "yes/no",
    }
}

/// The factor from the feature's unit to `unit`, if the schema allows that unit.
fn unit_factor(f: &crate::contract::schema::Feature, unit: &str) -> Option<f64> {
    match &f.kind {
        Kind::Numeric {
            unit: own, convert, ..
        } => {
            if own == unit {
                Some(1.0)
            } else {
                convert
                    .as_ref()
                    .filter(|c| c.unit == unit)
                    .map(|c| c.factor)
            }
        }
        _ => None,
    }
}

fn alt_unit(f: &crate::contract::schema::Feature) -> String {
    match &f.kind {
        Kind::Numeric {
            convert: Some(c), ..
        } => format!(" or {}", c.unit),
        _ => String::new(),
    }
}

/// "≥ 140, < 200 mg/dL".
fn describe(lo: Bound, hi: Bound, unit: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some((x, inc)) = lo {
        parts.push(format!("{} {x}", if inc { "≥" } else { ">" }));
    }
    if let Some((x, inc)) = hi {
        parts.push(format!("{} {x}", if inc { "≤" } else { "<" }));
    }
    // Language-neutral (the text is shown in both UI languages).
    let mut s = parts.join(", ");
    if let Some(u) = unit.filter(|u| !u.is_empty()) {
        s.push(' ');
        s.push_str(u);
    }
    s
}

/// Rules of one group must be mutually exclusive: for every pair, some subject must be
/// tested by both with tests no value can pass together.
fn check_groups(rules: &[Rule]) -> Result<()> {
    for (i, a) in rules.iter().enumerate() {
        let Some(g) = &a.group else { continue };
        for b in rules.iter().take(i) {
            if b.group.as_ref() != Some(g) {
                continue;
            }
            let exclusive = a.when.iter().any(|ca| {
                b.when
                    .iter()
                    .any(|cb| ca.subject == cb.subject && ca.test.disjoint(&cb.test))
            });
            if !exclusive {
                return Err(Error::Rules(format!(
                    "rule `{}`: overlaps rule `{}` in group `{g}` (one patient could meet both; make the thresholds disjoint)",
                    a.id, b.id
                )));
            }
        }
    }
    Ok(())
}

impl RuleSet {
    /// Parse and check a rule file against the schema it will ship with.
    pub fn from_toml(text: &str, schema: &Schema) -> Result<RuleSet> {
        let raw: RawRules = toml::from_str(text).map_err(|e| Error::Rules(e.to_string()))?;
        raw.compile(schema)
    }
}
