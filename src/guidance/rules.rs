//! Guideline rules as data: a condition over the patient's values, derived values and the
//! diagnosis probabilities; a recommendation in English and 简体中文 with its strength and its
//! source; contraindications that suppress it or warn.
//!
//! A rule file (`data/<id>.rules.toml`) is written by a person and checked against the schema
//! when the bundle is built ([`RuleSet::from_toml`]): an unknown field, a unit the feature cannot
//! be converted to, a threshold outside the plausible range or two rules of one group that a
//! patient could meet at once is a build error naming the rule. What ships is the checked form,
//! with thresholds already in the feature's own unit, so the browser only compares numbers.
//!
//! Rules look only at values the user entered: a rule never fires on an imputed value. When a
//! value it needs is missing, the rule is reported as "could not be checked", with the fields.

// Feature, input and derived-value indices in compiled rules were resolved against the
// schema, and `RuleSet::check` re-verified them for a decoded bundle.
#![allow(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use crate::contract::patient::Value;
use crate::contract::schema::{Kind, Schema, Text};
use crate::error::{Error, Result};
use crate::guidance::expr::Expr;

/// Where a rule comes from, as a clinician would look it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The guideline (issuing body, title, journal reference).
    pub guideline: String,
    /// Publication year.
    pub year: u16,
    /// Section, table or recommendation number.
    pub section: String,
}

/// A yes/no question the rules need but the model does not (e.g. a contraindication).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Key in patient input.
    pub id: String,
    /// The question as shown.
    pub label: Text,
    /// Codes that answer it "yes" when the patient's record holds them (an EHR launch reads the
    /// record): an NSAID allergy in AllergyIntolerance, a peptic ulcer in Condition. Nothing
    /// found leaves the question unanswered: the absence of a record is not a "no".
    #[serde(default)]
    pub record: Vec<RecordCodes>,
}

/// Where record codes are looked for, and how they match: shared with the schema, whose yes/no
/// features can be answered from the record too.
pub use crate::contract::codes::{RecordCodes, RecordResource, RECORD_SYSTEMS};

/// A value computed from features (e.g. BMI from weight and height).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Derived {
    /// Name used in rule conditions.
    pub id: String,
    /// Shown to the user.
    pub label: Text,
    /// Unit of the result.
    pub unit: String,
    /// The formula as written.
    pub formula: String,
    /// The parsed formula.
    pub expr: Expr,
    /// Per operand slot: the feature index and the factor that brings its value into the unit
    /// the formula expects.
    pub operands: Vec<(u16, f64)>,
}

/// What a clause looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Subject {
    /// A schema feature (by index).
    Feature(u16),
    /// A derived value (by index).
    Derived(u16),
    /// A rule input (by index).
    Input(u16),
    /// The calibrated probability of a target class (by index).
    Probability(u16),
}

/// One end of a numeric range: the value and whether it is included.
pub type Bound = Option<(f64, bool)>;

/// The test a clause applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Test {
    /// Inside a range; thresholds in the subject's own unit.
    Range(Bound, Bound),
    /// A categorical level (by index).
    Level(u16),
    /// A yes/no answer.
    Flag(bool),
}

/// One condition; a rule's conditions must all hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clause {
    /// What is tested.
    pub subject: Subject,
    /// How.
    pub test: Test,
    /// The test as the rule's author wrote it, for display (e.g. "≥ 11.1 mmol/L").
    pub text: String,
}

/// What a contraindication does to its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// The recommendation is withheld (shown as suppressed, with the reason).
    Suppress,
    /// The recommendation stands, with a warning.
    Warn,
}

/// A contraindication of a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contraindication {
    /// When it applies (all must hold).
    pub when: Vec<Clause>,
    /// Suppress or warn.
    pub effect: Effect,
    /// Why, in words.
    pub reason: Text,
    /// Where the contraindication is stated.
    pub source: String,
}

/// One guideline rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Stable identifier (used in errors, exports and overrides).
    pub id: String,
    /// Rules of one group are mutually exclusive categories (checked at build time).
    pub group: Option<String>,
    /// The treatment arm this rule speaks for, if any.
    pub option: Option<String>,
    /// When it fires (all must hold; empty = everyone this bundle is for).
    pub when: Vec<Clause>,
    /// The recommendation.
    pub recommend: Text,
    /// Strength / grade as the guideline states it.
    pub strength: Text,
    /// Citation.
    pub source: Source,
    /// What suppresses it or warns.
    pub contraindications: Vec<Contraindication>,
}

/// A bundle's rules with the inputs and derived values they use.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RuleSet {
    /// Extra yes/no questions.
    pub inputs: Vec<Input>,
    /// Derived values.
    pub derived: Vec<Derived>,
    /// The rules, in file order.
    pub rules: Vec<Rule>,
}

/// What the rules look at for one patient: entered values only (no imputation).
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Per schema feature, the value as entered (`None` when missing).
    pub values: &'a [Option<Value>],
    /// Per rule input, the answer (`None` when not answered).
    pub inputs: &'a [Option<bool>],
    /// Calibrated class probabilities, in schema order.
    pub probabilities: &'a [f64],
}

/// How a rule came out for a patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Its conditions hold and nothing suppresses it.
    Fired,
    /// Its conditions hold but a contraindication withholds it.
    Suppressed,
    /// A value it needs is missing.
    Unchecked,
}

/// A condition that held, with the value that met it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Met {
    /// What was tested.
    pub subject: Text,
    /// The test as written (e.g. "≥ 200 mg/dL").
    pub test: String,
    /// The patient's value, with its unit.
    pub value: String,
}

/// A contraindication that applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContraindicationHit {
    /// Suppress or warn.
    pub effect: Effect,
    /// Why.
    pub reason: Text,
    /// Where it is stated.
    pub source: String,
    /// What met it.
    pub because: Vec<Met>,
}

/// One rule's result for one patient.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleOutcome {
    /// Rule id.
    pub id: String,
    /// Fired, suppressed or unchecked.
    pub status: Status,
    /// The arm it speaks for, if any.
    pub option: Option<String>,
    /// The recommendation.
    pub recommend: Text,
    /// Its strength.
    pub strength: Text,
    /// Its citation.
    pub source: Source,
    /// The inputs that fired it.
    pub because: Vec<Met>,
    /// Values it needs that are missing (status `unchecked`).
    pub missing: Vec<Text>,
    /// Contraindications that applied.
    pub contraindications: Vec<ContraindicationHit>,
    /// Questions a contraindication needs that are unanswered (so it could not be checked).
    pub unchecked_contraindications: Vec<Text>,
}

impl RuleSet {
    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Check that a decoded rule set fits the schema (indices in range), so a damaged bundle
    /// cannot make evaluation look past the end of a list.
    pub fn check(&self, schema: &Schema) -> Result<()> {
        let bad = |m: String| Err(Error::InconsistentBundle(format!("rules: {m}")));
        let n = |s: Subject| match s {
            Subject::Feature(i) => (usize::from(i), schema.features.len()),
            Subject::Derived(i) => (usize::from(i), self.derived.len()),
            Subject::Input(i) => (usize::from(i), self.inputs.len()),
            Subject::Probability(i) => (usize::from(i), schema.target.classes.len()),
        };
        for d in &self.derived {
            if d.operands
                .iter()
                .any(|&(f, _)| usize::from(f) >= schema.features.len())
            {
                return bad(format!("derived `{}` refers past the features", d.id));
            }
        }
        for r in &self.rules {
            let clauses = r
                .when
                .iter()
                .chain(r.contraindications.iter().flat_map(|c| &c.when));
            for c in clauses {
                let (i, len) = n(c.subject);
                if i >= len {
                    return bad(format!("rule `{}` refers past its subjects", r.id));
                }
            }
        }
        Ok(())
    }

    /// Evaluate every rule for one patient. Rules whose conditions do not hold are left out.
    pub fn evaluate(&self, schema: &Schema, facts: Facts) -> Vec<RuleOutcome> {
        let mut out = Vec::new();
        for r in &self.rules {
            let (holds, because, missing) = self.check_all(schema, &r.when, facts);
            if holds == Some(false) {
                continue;
            }
            let mut hits = Vec::new();
            let mut unchecked = Vec::new();
            for c in &r.contraindications {
                let (h, because, missing) = self.check_all(schema, &c.when, facts);
                match h {
                    Some(true) => hits.push(ContraindicationHit {
                        effect: c.effect,
                        reason: c.reason.clone(),
                        source: c.source.clone(),
                        because,
                    }),
                    None => {
                        for m in missing {
                            if !unchecked.contains(&m) {
                                unchecked.push(m);
                            }
                        }
                    }
                    _ => {}
                }
            }
            let status = if holds.is_none() {
                Status::Unchecked
            } else if hits.iter().any(|h| h.effect == Effect::Suppress) {
                Status::Suppressed
            } else {
                Status::Fired
            };
            out.push(RuleOutcome {
                id: r.id.clone(),
                status,
                option: r.option.clone(),
                recommend: r.recommend.clone(),
                strength: r.strength.clone(),
                source: r.source.clone(),
                because,
                missing,
                contraindications: hits,
                unchecked_contraindications: unchecked,
            });
        }
        out
    }

    /// All clauses: `Some(false)` if one fails, `None` if none fails but one cannot be checked,
    /// else `Some(true)`; with what met them and what was missing.
    fn check_all(
        &self,
        schema: &Schema,
        clauses: &[Clause],
        facts: Facts,
    ) -> (Option<bool>, Vec<Met>, Vec<Text>) {
        let mut met = Vec::new();
        let mut missing = Vec::new();
        for c in clauses {
            let label = self.subject_label(schema, c.subject);
            match self.value(c.subject, facts) {
                None => missing.push(label),
                Some(v) => {
                    if !c.test.holds(v) {
                        return (Some(false), met, missing);
                    }
                    met.push(Met {
                        subject: label,
                        test: c.text.clone(),
                        value: self.show(schema, c.subject, v),
                    });
                }
            }
        }
        let holds = if missing.is_empty() { Some(true) } else { None };
        (holds, met, missing)
    }

    fn value(&self, s: Subject, facts: Facts) -> Option<Value> {
        match s {
            Subject::Feature(i) => *facts.values.get(usize::from(i))?,
            Subject::Input(i) => facts.inputs.get(usize::from(i)).copied()?.map(Value::Bool),
            Subject::Probability(i) => facts
                .probabilities
                .get(usize::from(i))
                .map(|&p| Value::Number(p)),
            Subject::Derived(i) => {
                let d = self.derived.get(usize::from(i))?;
                let vars = d
                    .operands
                    .iter()
                    .map(|&(f, factor)| match facts.values.get(usize::from(f)) {
                        Some(Some(Value::Number(x))) => Some(x * factor),
                        _ => None,
                    })
                    .collect::<Option<Vec<f64>>>()?;
                d.expr.eval(&vars).map(Value::Number)
            }
        }
    }

    fn subject_label(&self, schema: &Schema, s: Subject) -> Text {
        let none = || Text {
            en: String::new(),
            zh: String::new(),
        };
        match s {
            Subject::Feature(i) => schema
                .features
                .get(usize::from(i))
                .map_or_else(none, |f| f.label.clone()),
            Subject::Derived(i) => self
                .derived
                .get(usize::from(i))
                .map_or_else(none, |d| d.label.clone()),
            Subject::Input(i) => self
                .inputs
                .get(usize::from(i))
                .map_or_else(none, |d| d.label.clone()),
            Subject::Probability(i) => {
                schema
                    .target
                    .classes
                    .get(usize::from(i))
                    .map_or_else(none, |c| Text {
                        en: format!("Probability of {}", c.label.en),
                        zh: format!("{}的概率", c.label.zh),
                    })
            }
        }
    }

    fn show(&self, schema: &Schema, s: Subject, v: Value) -> String {
        let with_unit = |x: f64, unit: &str| {
            let x = (x * 100.0).round() / 100.0;
            if unit.is_empty() {
                format!("{x}")
            } else {
                format!("{x} {unit}")
            }
        };
        match (s, v) {
            (Subject::Feature(i), Value::Number(x)) => with_unit(
                x,
                schema.features.get(usize::from(i)).map_or("", |f| f.unit()),
            ),
            (Subject::Derived(i), Value::Number(x)) => with_unit(
                x,
                self.derived
                    .get(usize::from(i))
                    .map_or("", |d| d.unit.as_str()),
            ),
            (Subject::Probability(_), Value::Number(x)) => format!("{:.0}%", x * 100.0),
            (Subject::Feature(i), Value::Level(l)) => schema
                .features
                .get(usize::from(i))
                .and_then(|f| match &f.kind {
                    Kind::Categorical { levels } => levels.get(l).map(|l| l.code.clone()),
                    _ => None,
                })
                .unwrap_or_default(),
            (_, Value::Bool(b)) => if b { "yes" } else { "no" }.into(),
            (_, Value::Number(x)) => with_unit(x, ""),
            (_, Value::Level(l)) => l.to_string(),
        }
    }
}

impl Test {
    fn holds(&self, v: Value) -> bool {
        match (self, v) {
            (Test::Range(lo, hi), Value::Number(x)) => {
                lo.is_none_or(|(b, inc)| if inc { x >= b } else { x > b })
                    && hi.is_none_or(|(b, inc)| if inc { x <= b } else { x < b })
            }
            (Test::Level(l), Value::Level(m)) => usize::from(*l) == m,
            (Test::Flag(f), Value::Bool(b)) => *f == b,
            _ => false,
        }
    }

    /// Whether no value can pass both tests.
    pub(crate) fn disjoint(&self, other: &Test) -> bool {
        match (self, other) {
            (Test::Range(alo, ahi), Test::Range(blo, bhi)) => {
                // The intersection's lower end is the larger lower bound, its upper end the
                // smaller upper bound; it is empty when they cross, or meet with one excluded.
                let lo = tighter(*alo, *blo, true);
                let hi = tighter(*ahi, *bhi, false);
                match (lo, hi) {
                    (Some((l, li)), Some((h, hi))) => l > h || (l == h && !(li && hi)),
                    _ => false,
                }
            }
            (Test::Level(a), Test::Level(b)) => a != b,
            (Test::Flag(a), Test::Flag(b)) => a != b,
            _ => false,
        }
    }
}

/// The tighter of two bounds (the larger lower bound, or the smaller upper bound); at a tie
/// the exclusive one.
fn tighter(a: Bound, b: Bound, lower: bool) -> Bound {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some((x, xi)), Some((y, yi))) => {
            if x == y {
                Some((x, xi && yi))
            } else if (x > y) == lower {
                Some((x, xi))
            } else {
                Some((y, yi))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::patient::PatientRecord;

    /// A schema with a convertible glucose, weight and height (for BMI), a yes/no and a
    /// categorical feature, and a treatment.
    const SCHEMA: &str = r#"
id = "t"
title = { en = "T", zh = "T" }
[provenance]
dataset = "synthetic"
source = "unit tests"
license = "CC0"
population = { en = "none", zh = "无" }
[target]
column = "dx"
label = { en = "Dx", zh = "诊断" }
positive = "yes"
classes = [
  { code = "no", label = { en = "No", zh = "否" } },
  { code = "yes", label = { en = "Yes", zh = "是" } },
]
[treatment]
column = "rx"
label = { en = "Rx", zh = "治疗" }
control = "none"
arms = [
  { code = "none", label = { en = "None", zh = "无" } },
  { code = "drug", label = { en = "Drug", zh = "药" } },
]
trial = "test"
caveats = { en = "c", zh = "c" }
[[features]]
column = "glu"
label = { en = "Glucose", zh = "血糖" }
kind = "numeric"
unit = "mg/dL"
convert = { unit = "mmol/L", factor = 0.0555 }
plausible = { min = 20, max = 600 }
missing = "impute"
[[features]]
column = "weight"
label = { en = "Weight", zh = "体重" }
kind = "numeric"
unit = "kg"
plausible = { min = 2, max = 300 }
missing = "impute"
[[features]]
column = "height"
label = { en = "Height", zh = "身高" }
kind = "numeric"
unit = "cm"
plausible = { min = 40, max = 250 }
missing = "impute"
[[features]]
column = "smoker"
label = { en = "Smoker", zh = "吸烟" }
kind = "boolean"
[[features]]
column = "sex"
label = { en = "Sex", zh = "性别" }
kind = "categorical"
levels = [
  { code = "f", label = { en = "Female", zh = "女" } },
  { code = "m", label = { en = "Male", zh = "男" } },
]
missing = "impute"
"#;

    const RULES: &str = r#"
[[inputs]]
id = "allergy"
label = { en = "Allergy to the drug", zh = "药物过敏" }

[[inputs]]
id = "kidney"
label = { en = "Kidney disease", zh = "肾病" }

[[derived]]
id = "bmi"
label = { en = "Body mass index", zh = "体重指数" }
unit = "kg/m²"
formula = "weight / (height / 100) ^ 2"
units = { weight = "kg", height = "cm" }

[[rules]]
id = "diabetes"
group = "ogtt"
when = [{ field = "glu", at_least = 200, unit = "mg/dL" }]
recommend = { en = "Diabetes", zh = "糖尿病" }
strength = { en = "Criterion", zh = "标准" }
source = { guideline = "ADA", year = 2024, section = "2" }

[[rules]]
id = "igt"
group = "ogtt"
when = [{ field = "glu", at_least = 7.8, below = 11.1, unit = "mmol/L" }]
recommend = { en = "IGT", zh = "糖耐量受损" }
strength = { en = "Criterion", zh = "标准" }
source = { guideline = "ADA", year = 2024, section = "2" }

[[rules]]
id = "obese"
when = [{ derived = "bmi", at_least = 30, unit = "kg/m²" }]
recommend = { en = "Obesity", zh = "肥胖" }
strength = { en = "Classification", zh = "分类" }
source = { guideline = "WHO TRS 894", year = 2000, section = "BMI" }

[[rules]]
id = "drug"
option = "drug"
when = [{ field = "sex", is = "m" }, { field = "smoker", is = false }, { probability = "yes", at_least = 0.2 }]
recommend = { en = "Give the drug", zh = "给药" }
strength = { en = "Strong", zh = "强" }
source = { guideline = "G", year = 2020, section = "1" }

[[rules.contraindications]]
when = [{ input = "allergy", is = true }]
effect = "suppress"
reason = { en = "Allergy", zh = "过敏" }
source = "Label 4.3"

[[rules.contraindications]]
when = [{ input = "kidney", is = true }]
effect = "warn"
reason = { en = "Kidney", zh = "肾" }
source = "Label 4.4"
"#;

    fn schema() -> Schema {
        Schema::from_toml(SCHEMA).unwrap()
    }

    fn fired(
        set: &RuleSet,
        patient: &str,
        answers: &[Option<bool>],
        p: f64,
    ) -> Vec<(String, Status)> {
        let s = schema();
        let r = PatientRecord::from_json_text(&s, patient).unwrap();
        set.evaluate(
            &s,
            Facts {
                values: r.values(),
                inputs: answers,
                probabilities: &[1.0 - p, p],
            },
        )
        .into_iter()
        .map(|o| (o.id, o.status))
        .collect()
    }

    fn err(rules: &str) -> String {
        RuleSet::from_toml(rules, &schema())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn thresholds_at_the_boundary() {
        let set = RuleSet::from_toml(RULES, &schema()).unwrap();
        let at = |glu: f64| {
            fired(
                &set,
                &format!(r#"{{"glu": {glu}, "smoker": true}}"#),
                &[],
                0.0,
            )
            .into_iter()
            .filter(|(_, s)| *s == Status::Fired)
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
        };
        // ≥ 200 mg/dL is diabetes; 7.8–11.1 mmol/L (half-open) is IGT, converted to mg/dL.
        assert_eq!(at(200.0), ["diabetes"]);
        assert_eq!(at(199.99), ["igt"]);
        assert!(at(11.1 / 0.0555 - 1e-9).contains(&"igt".to_string()));
        assert_eq!(at(7.8 / 0.0555), ["igt"]);
        assert!(at(7.8 / 0.0555 - 0.01).is_empty());
        assert!(at(100.0).is_empty());
    }

    #[test]
    fn derived_values_and_missing_inputs() {
        let set = RuleSet::from_toml(RULES, &schema()).unwrap();
        // 30.0 kg/m² exactly: 97.2 kg at 180 cm.
        let r = fired(
            &set,
            r#"{"glu": 90, "weight": 97.2, "height": 180, "smoker": true}"#,
            &[],
            0.0,
        );
        assert_eq!(r, [("obese".to_string(), Status::Fired)]);
        let r = fired(
            &set,
            r#"{"glu": 90, "weight": 97.1, "height": 180, "smoker": true}"#,
            &[],
            0.0,
        );
        assert!(r.is_empty());
        // Height missing: BMI cannot be computed, so the rule is reported as unchecked, and the
        // glucose rules too (no glucose entered): never fired on an imputed value.
        let r = fired(&set, r#"{"weight": 120, "smoker": true}"#, &[], 0.0);
        assert_eq!(
            r,
            [
                ("diabetes".to_string(), Status::Unchecked),
                ("igt".to_string(), Status::Unchecked),
                ("obese".to_string(), Status::Unchecked)
            ]
        );
    }

    #[test]
    fn contraindications_suppress_or_warn_and_unanswered_ones_are_named() {
        let set = RuleSet::from_toml(RULES, &schema()).unwrap();
        let p = r#"{"glu": 100, "weight": 60, "height": 170, "sex": "m", "smoker": false}"#;
        let s = schema();
        let rec = PatientRecord::from_json_text(&s, p).unwrap();
        let eval = |answers: &[Option<bool>], prob: f64| {
            set.evaluate(
                &s,
                Facts {
                    values: rec.values(),
                    inputs: answers,
                    probabilities: &[1.0 - prob, prob],
                },
            )
        };
        let out = eval(&[None, None], 0.5);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, Status::Fired);
        assert_eq!(out[0].because.len(), 3);
        assert_eq!(out[0].because[2].value, "50%");
        assert_eq!(out[0].unchecked_contraindications.len(), 2);
        let out = eval(&[Some(true), Some(false)], 0.5);
        assert_eq!(out[0].status, Status::Suppressed);
        assert_eq!(out[0].contraindications[0].reason.en, "Allergy");
        let out = eval(&[Some(false), Some(true)], 0.5);
        assert_eq!(out[0].status, Status::Fired);
        assert_eq!(out[0].contraindications[0].effect, Effect::Warn);
        // The probability condition: below 0.2 the rule does not fire.
        assert!(eval(&[Some(false), Some(false)], 0.19).is_empty());
    }

    #[test]
    fn build_errors_name_the_rule() {
        let cases = [
            (RULES.replace(r#"field = "glu", at_least = 200"#, r#"field = "gluc", at_least = 200"#), "rule `diabetes`: unknown feature `gluc`"),
            (RULES.replace(r#"at_least = 200, unit = "mg/dL""#, r#"at_least = 200, unit = "g/L""#), "rule `diabetes`: `glu` is in mg/dL or mmol/L; g/L is not a unit it can be converted from"),
            (RULES.replace(r#"at_least = 200, unit = "mg/dL""#, "at_least = 200"), "rule `diabetes`: the threshold on `glu` needs its unit"),
            (RULES.replace("below = 11.1", "below = 11.2"), "rule `igt`: overlaps rule `diabetes` in group `ogtt`"),
            (RULES.replace("at_least = 200,", "at_least = 2000,"), "outside its plausible range 20–600 mg/dL"),
            (RULES.replace(r#"is = "m""#, r#"is = "x""#), "rule `drug`: `x` is not a level of `sex` (f, m)"),
            (RULES.replace(r#"option = "drug""#, r#"option = "surgery""#), "rule `drug`: option `surgery` is not a treatment arm of this schema (none, drug)"),
            (RULES.replace(r#"input = "allergy""#, r#"input = "allergies""#), "rule `drug`: unknown input `allergies`"),
            (RULES.replace(r#"units = { weight = "kg", height = "cm" }"#, r#"units = { weight = "lb", height = "cm" }"#), "derived `bmi`: the formula expects `weight` in lb, but the feature is in kg"),
            (RULES.replace("weight / (height", "mass / (height"), "derived `bmi`: unknown feature `mass` in the formula"),
            (RULES.replace(r#"{ probability = "yes", at_least = 0.2 }"#, r#"{ probability = "yes", at_least = 20 }"#), "probability thresholds lie between 0 and 1"),
            (RULES.replace(r#"zh = "糖耐量受损""#, r#"zh = """#), "rule `igt`: `recommend` and `strength` need English and Chinese text"),
            (RULES.replace(r#"id = "igt""#, r#"id = "diabetes""#), "rule id `diabetes` is empty or used twice"),
            (RULES.replace(r#"{ field = "smoker", is = false }"#, r#"{ field = "smoker", at_least = 1 }"#), "`smoker` is yes/no"),
        ];
        for (text, want) in cases {
            let e = err(&text);
            assert!(e.contains(want), "want `{want}` in `{e}`");
        }
    }

    #[test]
    fn a_decoded_rule_set_pointing_past_the_schema_is_refused() {
        let s = schema();
        let mut set = RuleSet::from_toml(RULES, &s).unwrap();
        set.check(&s).unwrap();
        set.rules[0].when[0].subject = Subject::Feature(99);
        assert!(matches!(set.check(&s), Err(Error::InconsistentBundle(_))));
    }

    #[test]
    fn shipped_rule_files_compile_against_their_schemas() {
        for id in ["pima", "indo_rct", "colon"] {
            let root = env!("CARGO_MANIFEST_DIR");
            let schema = std::fs::read_to_string(format!("{root}/data/{id}.schema.toml")).unwrap();
            let rules = std::fs::read_to_string(format!("{root}/data/{id}.rules.toml")).unwrap();
            let s = Schema::from_toml(&schema).unwrap();
            let set = RuleSet::from_toml(&rules, &s).unwrap();
            assert!(!set.rules.is_empty(), "{id}");
        }
    }
}

// The bundle payload's decoders (util::wire): fields in declaration order.

mod wire_impls {
    use super::*;
    use crate::util::wire::{decode, decode_struct, decode_unit_enum, Decode, Reader};
    decode_struct!(RuleSet {
        inputs,
        derived,
        rules
    });
    decode_struct!(Input { id, label, record });
    decode_struct!(Derived {
        id,
        label,
        unit,
        formula,
        expr,
        operands
    });
    decode_struct!(Rule {
        id,
        group,
        option,
        when,
        recommend,
        strength,
        source,
        contraindications
    });
    decode_struct!(Clause {
        subject,
        test,
        text
    });
    decode_struct!(Contraindication {
        when,
        effect,
        reason,
        source
    });
    decode_struct!(Source {
        guideline,
        year,
        section
    });
    decode_unit_enum!(Effect { Suppress, Warn });
    impl Decode for Subject {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => Subject::Feature(decode(r)),
                1 => Subject::Derived(decode(r)),
                2 => Subject::Input(decode(r)),
                3 => Subject::Probability(decode(r)),
                _ => r.bad_variant(Subject::Feature(0)),
            }
        }
    }
    impl Decode for Test {
        fn decode(r: &mut Reader<'_>) -> Self {
            match r.variant() {
                0 => {
                    let a = decode(r);
                    Test::Range(a, decode(r))
                }
                1 => Test::Level(decode(r)),
                2 => Test::Flag(decode(r)),
                _ => r.bad_variant(Test::Flag(false)),
            }
        }
    }
}
