//! [native only] `bedside init`: a first schema drafted from a CSV, for a person to finish.
//!
//! A schema is the contract between a data set and everything downstream, and it is written
//! by hand; but a hand starting from a blank file on a 40-column CSV makes the mistakes a
//! program would not (a `?` read as a level, an ID kept as a predictor, a range narrower than
//! the data). So [`draft`] reads the CSV once and writes a schema that `bedside train` accepts
//! as it is, with every decision said, one line per column, with its reason:
//!
//! * **kind**: numbers (whole numbers are `integer`), a recognised yes/no pair, or categories
//!   (text; two numbers that are not 0/1, such as sex coded 1/2; any `--categorical` column);
//! * **missing values**: blank, `NA`, `NaN` always; `?`, `N/A`, `NULL`, `#N/A` and any `--na`
//!   code in every column; `.` and `-` only among numbers (in text, `-` may be a negative
//!   dipstick). Tokens the reader does not already know go to the feature's `missing_codes`;
//! * **a blank that is an answer**: in a column read as categories (text, or two codes such as
//!   1/2) a blank cell is its own level when it is the most frequent value or at least 25 % of
//!   rows (a `coma` column left blank for "no coma"); in a column of measurements it is missing;
//! * **left out**, each said in the file: IDs, constant columns, free text, and columns the
//!   seeded training split would see as constant (`bedside train` refuses those);
//! * **plausible ranges** widened from the data (half the span on each side, not below 0 for
//!   data that are all ≥ 0, two significant digits of the widened span, rounded outward).
//!
//! What the data cannot tell (labels and their 中文 translations, units, reference ranges,
//! provenance) is left as a TODO that still passes validation. A column that reads two ways (a
//! mostly-numeric column with a few `<5` or `trace`) is an error that names both readings and
//! the flag that picks each: guessing would silently drop values or invent categories.

// The parent module allows indexing for its matrices; everything here reads a user's file.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use std::collections::BTreeMap;
use std::fmt;

use crate::contract::csv_text;
use crate::contract::dataset::is_missing;
use crate::error::{excerpt, Error, Result};
use crate::util::lang::Lang;
use crate::util::num::round_to;

/// Tokens that mean "not recorded" in any column, compared case-insensitively: the UCI files'
/// `?`, `N/A`, SQL's `NULL`, Excel's `#N/A`.
const MISSING_TOKENS: &[&str] = &["?", "n/a", "null", "#n/a"];
/// Tokens that mean "not recorded" only in a column whose other values are all numbers: in a
/// text column `-` may be a negative result and `.` a level.
const NUMERIC_MISSING_TOKENS: &[&str] = &[".", "-"];
/// The yes/no pairs read as a boolean, (no, yes), compared case-insensitively and also as coded
/// labels (`0_no`/`1_yes`, see [`label_word`]); the codes are written as the data spell them.
const YES_NO: &[(&str, &str)] = &[
    ("0", "1"),
    ("no", "yes"),
    ("n", "y"),
    ("false", "true"),
    ("f", "t"),
    ("negative", "positive"),
    ("absent", "present"),
];
/// Target classes taken as the positive one without `--positive`, in this order of preference
/// (case-insensitive; `1` also as `1.0`).
const POSITIVE_WORDS: &[&str] = &["1", "yes", "true", "positive", "present"];
/// More distinct outcomes than this and the target is not a set of classes (Bedside predicts
/// classes, not a measurement).
const MAX_CLASSES: usize = 10;
/// More levels than this and a text column is free text, left out.
const MAX_LEVELS: usize = 30;
/// A blank is its own level in a text column when it is at least this share of the rows (or
/// the most frequent value).
const BLANK_LEVEL_SHARE: f64 = 0.25;
/// Below this many rows, "every value distinct" is no sign of an identifier: five patients'
/// ages are often all different.
const MIN_ROWS_FOR_DISTINCT_ID: usize = 20;
/// The draft's split, written into `[split]`, and simulated here so that no column the
/// trainer would call constant in its training rows is kept.
const TEST_FRACTION: f64 = 0.25;
/// The draft's seed (any fixed number: it makes the split, and so the bundle, reproducible).
const SEED: u64 = 20_260_101;
/// `bedside train`'s default `--folds`: each class needs this many training rows.
const FOLDS: usize = 5;

/// What `bedside init` was asked, besides the CSV text.
#[derive(Debug, Clone, Default)]
pub struct DraftOptions {
    /// The schema id (see [`schema_id`]).
    pub id: String,
    /// The CSV's file name, quoted in the provenance placeholder and the header comment.
    pub data_name: String,
    /// The outcome column.
    pub target: String,
    /// The positive class; otherwise a recognised "yes" class, else the least frequent.
    pub positive: Option<String>,
    /// Extra codes that mean "missing" in every column (`--na`).
    pub na: Vec<String>,
    /// Columns read as categories whatever their values look like (`--categorical`).
    pub categorical: Vec<String>,
    /// Columns left out (`--drop`).
    pub drop: Vec<String>,
}

/// A drafted schema and what was decided for each column.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// The schema file's text (TOML), ready to write.
    pub toml: String,
    /// One per CSV column, in header order (the target among them).
    pub decisions: Vec<Decision>,
}

/// What was decided for one column, and why (one line when displayed).
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The column as named in the header.
    pub column: String,
    /// What it became.
    pub verdict: Verdict,
    /// Why, in words: the evidence from the data (or the flag).
    pub why: String,
}

/// What a column became in the draft.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The outcome, with its classes (schema order) and the positive one.
    Target {
        /// Class codes as in the data.
        classes: Vec<String>,
        /// The positive class.
        positive: String,
    },
    /// A number.
    Numeric {
        /// Whole numbers only.
        integer: bool,
        /// The drafted plausible range.
        plausible: (f64, f64),
    },
    /// Yes/no, with its codes as in the data.
    Boolean {
        /// The "no" code.
        false_code: String,
        /// The "yes" code.
        true_code: String,
    },
    /// Categories.
    Categorical {
        /// Level codes (schema order).
        levels: Vec<String>,
        /// The level a blank cell stands for, when a blank is an answer.
        blank: Option<String>,
    },
    /// Not a feature of the draft.
    LeftOut(LeftOut),
}

/// Why a column was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// The header cell is empty (often a row index written by pandas or R).
    Unnamed,
    /// `--drop`.
    Dropped,
    /// An identifier, by its name or because every value is distinct.
    Id,
    /// One value (or none) in every row.
    Constant,
    /// Text with too many different values to be categories.
    FreeText,
    /// Constant (or empty) in the rows the seeded split keeps for training.
    ConstantInTraining,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.verdict {
            Verdict::Target { classes, positive } => format!(
                "target, classes {}; positive `{positive}`",
                list(classes.iter().map(String::as_str), 10)
            ),
            Verdict::Numeric {
                integer,
                plausible: (lo, hi),
            } => format!(
                "numeric{}, plausible {}–{}",
                if *integer { " (whole numbers)" } else { "" },
                num(*lo),
                num(*hi)
            ),
            Verdict::Boolean {
                false_code,
                true_code,
            } => format!("yes/no (`{true_code}` yes, `{false_code}` no)"),
            Verdict::Categorical { levels, .. } => format!(
                "categorical, {} levels: {}",
                levels.len(),
                list(levels.iter().map(String::as_str), 8)
            ),
            Verdict::LeftOut(_) => "left out".into(),
        };
        write!(
            f,
            "`{}`: {what} — {}",
            one_line(&self.column),
            one_line(&self.why)
        )
    }
}

/// The schema id for an output file name: its stem without `.toml` and `.schema`, each
/// character other than ASCII letters, digits, `_` and `-` replaced by `_` (what
/// [`crate::contract::schema::Schema::validate`] accepts); `draft` when nothing is left.
pub fn schema_id(file_name: &str) -> String {
    let stem = file_name.strip_suffix(".toml").unwrap_or(file_name);
    let stem = stem.strip_suffix(".schema").unwrap_or(stem);
    let id: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if id.chars().all(|c| c == '_') {
        "draft".into()
    } else {
        id
    }
}

/// Draft a schema for `csv` (see the module docs for every rule). Errors name the column or
/// flag at fault and what would be accepted.
pub fn draft(csv: &str, opts: &DraftOptions) -> Result<Draft> {
    let table = Table::read(csv)?;
    table.check_flags(opts)?;
    let target = Target::read(&table, opts)?;
    // The rows `bedside train` will fit on (same split, same seed, same labels).
    let (train_rows, _) =
        crate::train::split::stratified(&target.labels, target.classes.len(), TEST_FRACTION, SEED);
    target.check_class_sizes(&train_rows)?;

    let mut decisions = Vec::new();
    let mut features = Vec::new();
    let mut ambiguous = Vec::new();
    for (index, name) in table.header.iter().enumerate() {
        if index == target.index {
            decisions.push(target.decision());
            continue;
        }
        let left_out = |why: LeftOut, text: String| Decision {
            column: name.clone(),
            verdict: Verdict::LeftOut(why),
            why: text,
        };
        if name.is_empty() {
            decisions.push(left_out(
                LeftOut::Unnamed,
                format!(
                    "column {} has no name in the header (often a row number)",
                    index + 1
                ),
            ));
            continue;
        }
        if opts.drop.contains(name) {
            decisions.push(left_out(LeftOut::Dropped, "--drop".into()));
            continue;
        }
        let forced = opts.categorical.contains(name);
        if !forced && id_like_name(name) {
            decisions.push(left_out(
                LeftOut::Id,
                "an identifier, by its name (pass --categorical to keep it)".into(),
            ));
            continue;
        }
        let cells: Vec<&str> = table.column(index).collect();
        let profile = Profile::of(&cells, &opts.na);
        match decide(name, &profile, forced) {
            Ok(Decided::Keep(spec)) => match spec.constant_in(&cells, &train_rows) {
                Some(why) => decisions.push(left_out(LeftOut::ConstantInTraining, why)),
                None => {
                    decisions.push(spec.decision());
                    features.push(spec);
                }
            },
            Ok(Decided::Out(why, text)) => decisions.push(left_out(why, text)),
            Err(message) => ambiguous.push(message),
        }
    }
    if !ambiguous.is_empty() {
        return Err(Error::Draft(ambiguous.join("\n")));
    }
    if features.is_empty() {
        return Err(Error::Draft(format!(
            "no column is left to learn from: {}",
            decisions
                .iter()
                .filter(|d| matches!(d.verdict, Verdict::LeftOut(_)))
                .map(|d| format!("`{}` ({})", one_line(&d.column), one_line(&d.why)))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let toml = write_toml(opts, &table, &target, &features, &decisions);
    Ok(Draft { toml, decisions })
}

// ---- the CSV --------------------------------------------------------------------------------

/// The CSV as read: a header with unique names and rows of its width.
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(csv: &str) -> Result<Table> {
        // A CSV the reader cannot parse is refused with its own message (the line at fault).
        let mut records = csv_text::records(csv)?.into_iter();
        let header = records.next().ok_or_else(|| {
            Error::Draft(
                "the CSV is empty; init needs a header row naming the columns, then one row per patient"
                    .into(),
            )
        })?;
        let rows: Vec<Vec<String>> = records.collect();
        if rows.is_empty() {
            return Err(Error::Draft(
                "the CSV has a header but no data rows; init needs one row per patient".into(),
            ));
        }
        for (i, name) in header.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            if let Some(j) = header.iter().skip(i + 1).position(|h| h == name) {
                return Err(Error::Draft(format!(
                    "column `{}` appears twice in the header (columns {} and {}); each column needs its own name",
                    excerpt(name, Lang::En),
                    i + 1,
                    i + j + 2
                )));
            }
        }
        if let Some((i, row)) = rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != header.len())
        {
            return Err(Error::Draft(format!(
                "row {}: has {} cells, the header has {}; every row needs one cell per column",
                i + 1,
                row.len(),
                header.len()
            )));
        }
        Ok(Table { header, rows })
    }

    /// The cells of column `index`, one per row.
    fn column(&self, index: usize) -> impl Iterator<Item = &str> + '_ {
        self.rows
            .iter()
            .map(move |r| r.get(index).map_or("", String::as_str))
    }

    /// Every column a flag names must be in the header (a typo must not pass silently).
    fn check_flags(&self, opts: &DraftOptions) -> Result<()> {
        let columns = || {
            self.header
                .iter()
                .map(|h| excerpt(h, Lang::En).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.header.contains(&opts.target) {
            return Err(Error::Draft(format!(
                "the target column `{}` is not in the CSV header; the columns are: {}",
                excerpt(&opts.target, Lang::En),
                columns()
            )));
        }
        for (flag, names) in [("--categorical", &opts.categorical), ("--drop", &opts.drop)] {
            for name in names {
                if !self.header.contains(name) {
                    return Err(Error::Draft(format!(
                        "{flag} `{}` is not a column of the CSV; the columns are: {}",
                        excerpt(name, Lang::En),
                        columns()
                    )));
                }
                if *name == opts.target {
                    return Err(Error::Draft(format!(
                        "{flag} `{}`: that is the target column, which is always read as classes and cannot be left out",
                        excerpt(name, Lang::En)
                    )));
                }
            }
        }
        Ok(())
    }
}

// ---- the target -----------------------------------------------------------------------------

/// The outcome column: its classes (schema order), their counts, the positive one and why,
/// and each row's class index (what the trainer's split is drawn from).
struct Target {
    index: usize,
    column: String,
    classes: Vec<String>,
    counts: Vec<usize>,
    positive: String,
    why_positive: String,
    labels: Vec<usize>,
}

impl Target {
    fn read(table: &Table, opts: &DraftOptions) -> Result<Target> {
        let name = &opts.target;
        let index =
            table.header.iter().position(|h| h == name).ok_or_else(|| {
                Error::Draft(format!("the target column `{name}` is not in the CSV"))
            })?;
        let cells: Vec<&str> = table.column(index).collect();
        // `bedside train` refuses a row without an outcome: say so now, with the rows.
        let gaps: Vec<(usize, &str)> = cells
            .iter()
            .enumerate()
            .filter(|(_, c)| is_missing(c) || is_missing_token(c, &opts.na))
            .map(|(i, c)| (i + 1, *c))
            .collect();
        if !gaps.is_empty() {
            let shown: Vec<String> = gaps
                .iter()
                .take(5)
                .map(|(row, c)| format!("row {row} `{}`", excerpt(c, Lang::En)))
                .collect();
            return Err(Error::Draft(format!(
                "target column `{}`: {} of {} rows have no outcome ({}{}); every row needs one: remove those rows, or pick another --target",
                excerpt(name, Lang::En),
                gaps.len(),
                cells.len(),
                shown.join(", "),
                if gaps.len() > shown.len() { ", …" } else { "" }
            )));
        }
        let mut counted: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &cells {
            *counted.entry(c).or_default() += 1;
        }
        let classes: Vec<String> = ordered(counted.keys().copied())
            .into_iter()
            .map(str::to_string)
            .collect();
        if classes.len() < 2 {
            return Err(Error::Draft(format!(
                "target column `{}` has one class (`{}`) in all {} rows; a model needs at least two classes to tell apart",
                excerpt(name, Lang::En),
                excerpt(classes.first().map_or("", String::as_str), Lang::En),
                cells.len()
            )));
        }
        if classes.len() > MAX_CLASSES {
            let numeric = classes.iter().all(|c| number(c).is_some());
            return Err(Error::Draft(format!(
                "target column `{}` has {} different {}; Bedside predicts one of a few classes (at most {MAX_CLASSES}), not a measurement: pick a column of classes, or code the outcome as classes first",
                excerpt(name, Lang::En),
                classes.len(),
                if numeric { "numbers" } else { "values" }
            )));
        }
        let counts: Vec<usize> = classes
            .iter()
            .map(|c| counted.get(c.as_str()).copied().unwrap_or(0))
            .collect();
        let (positive, why_positive) = match &opts.positive {
            Some(p) if classes.contains(p) => (p.clone(), "--positive".to_string()),
            Some(p) => {
                return Err(Error::Draft(format!(
                    "--positive `{}` is not one of the classes of `{}`: {}",
                    excerpt(p, Lang::En),
                    excerpt(name, Lang::En),
                    list(classes.iter().map(String::as_str), MAX_CLASSES)
                )))
            }
            None => choose_positive(&classes, &counts),
        };
        let labels = cells
            .iter()
            .map(|c| classes.iter().position(|k| k == c).unwrap_or(0))
            .collect();
        Ok(Target {
            index,
            column: name.clone(),
            classes,
            counts,
            positive,
            why_positive,
            labels,
        })
    }

    /// Each class needs a training row per cross-validation fold, or `bedside train` refuses.
    fn check_class_sizes(&self, train_rows: &[usize]) -> Result<()> {
        for (k, class) in self.classes.iter().enumerate() {
            let in_training = train_rows
                .iter()
                .filter(|&&i| self.labels.get(i) == Some(&k))
                .count();
            if in_training < FOLDS {
                return Err(Error::Draft(format!(
                    "target column `{}`: class `{}` has {} rows, {in_training} of them for training; `bedside train` needs at least {FOLDS} training rows of each class (about 7 rows in all, as a quarter is held out for testing): collect more, or merge it with another class",
                    excerpt(&self.column, Lang::En),
                    excerpt(class, Lang::En),
                    self.counts.get(k).copied().unwrap_or(0)
                )));
            }
        }
        Ok(())
    }

    fn decision(&self) -> Decision {
        Decision {
            column: self.column.clone(),
            verdict: Verdict::Target {
                classes: self.classes.clone(),
                positive: self.positive.clone(),
            },
            why: format!(
                "{}; positive: {}",
                self.classes
                    .iter()
                    .zip(&self.counts)
                    .map(|(c, n)| format!("`{}` {n}", one_line(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.why_positive
            ),
        }
    }
}

/// The positive class without `--positive`: a recognised "yes", else the least frequent class
/// (the one a clinician is usually asking about), ties to the first.
fn choose_positive(classes: &[String], counts: &[usize]) -> (String, String) {
    for word in POSITIVE_WORDS {
        if let Some(c) = classes
            .iter()
            .find(|c| c.eq_ignore_ascii_case(word) || (*word == "1" && number(c) == Some(1.0)))
        {
            return (
                c.clone(),
                format!(
                    "`{}` reads as \"yes\" (pass --positive to pick another)",
                    one_line(c)
                ),
            );
        }
    }
    // The first of the least frequent (`min_by_key` keeps the first of equals).
    let Some((c, n)) = classes.iter().zip(counts).min_by_key(|(_, n)| **n) else {
        return (String::new(), String::new());
    };
    let total: usize = counts.iter().sum();
    (
        c.clone(),
        format!(
            "`{}`, the least frequent class ({n} of {total} rows; pass --positive to pick another)",
            one_line(c)
        ),
    )
}

// ---- one column -----------------------------------------------------------------------------

/// What a column's cells are, before deciding its kind.
struct Profile<'a> {
    rows: usize,
    /// Empty cells.
    blanks: usize,
    /// `NA`, `NaN` and the like: missing to the reader already.
    na: usize,
    /// Missing tokens the reader does not know (they go to `missing_codes`), with counts.
    tokens: BTreeMap<&'a str, usize>,
    /// Every other cell, with counts.
    values: BTreeMap<&'a str, usize>,
}

impl<'a> Profile<'a> {
    fn of(cells: &[&'a str], na: &[String]) -> Profile<'a> {
        let mut p = Profile {
            rows: cells.len(),
            blanks: 0,
            na: 0,
            tokens: BTreeMap::new(),
            values: BTreeMap::new(),
        };
        for &c in cells {
            if c.trim().is_empty() {
                p.blanks += 1;
            } else if is_missing(c) {
                p.na += 1;
            } else if is_missing_token(c, na) {
                *p.tokens.entry(c).or_default() += 1;
            } else {
                *p.values.entry(c).or_default() += 1;
            }
        }
        // `.` and `-` are gaps among numbers only; among text they may be answers.
        let all_numbers = p
            .values
            .keys()
            .all(|v| number(v).is_some() || NUMERIC_MISSING_TOKENS.contains(v));
        if all_numbers {
            let (values, tokens) = (&mut p.values, &mut p.tokens);
            values.retain(|v, n| {
                let gap = NUMERIC_MISSING_TOKENS.contains(v);
                if gap {
                    tokens.insert(v, *n);
                }
                !gap
            });
        }
        p
    }

    /// Cells with a value.
    fn n_values(&self) -> usize {
        self.values.values().sum()
    }

    /// Cells without one (blank included).
    fn n_missing(&self) -> usize {
        self.blanks + self.na + self.tokens.values().sum::<usize>()
    }

    /// The values that are not numbers.
    fn text(&self) -> impl Iterator<Item = (&'a str, usize)> + '_ {
        self.values
            .iter()
            .filter(|(v, _)| number(v).is_none())
            .map(|(v, n)| (*v, *n))
    }

    /// How the missing cells were written, for the decision line: "16 blank, `?` ×3"
    /// (`blanks`: whether blank cells are among them, i.e. not a level).
    fn missing_words(&self, blanks: bool) -> String {
        let mut parts = Vec::new();
        if blanks && self.blanks > 0 {
            parts.push(format!("{} blank", self.blanks));
        }
        if self.na > 0 {
            parts.push(format!("{} NA", self.na));
        }
        for (t, n) in &self.tokens {
            parts.push(format!("`{}` ×{n}", one_line(t)));
        }
        parts.join(", ")
    }
}

/// A kept column, as the schema will say it.
struct Spec {
    column: String,
    kind: SpecKind,
    /// Missing cells (not counting blanks that are a level).
    missing: usize,
    missing_codes: Vec<String>,
    /// TOML comments above the feature.
    notes: Vec<String>,
    why: String,
}

enum SpecKind {
    Numeric {
        integer: bool,
        data: (f64, f64),
        plausible: (f64, f64),
    },
    Boolean {
        false_code: String,
        true_code: String,
    },
    Categorical {
        levels: Vec<String>,
        blank: Option<String>,
    },
}

enum Decided {
    Keep(Spec),
    Out(LeftOut, String),
}

/// Decide one (non-target) column's kind from its profile; `Err` is the message of a column
/// that reads two ways.
fn decide(name: &str, p: &Profile, forced: bool) -> std::result::Result<Decided, String> {
    let n_values = p.n_values();
    let distinct = p.values.len();
    let n_text: usize = p.text().map(|(_, n)| n).sum();
    let numbers: Vec<f64> = p
        .values
        .iter()
        .filter_map(|(v, n)| number(v).map(|x| (x, *n)))
        .flat_map(|(x, n)| std::iter::repeat_n(x, n))
        .collect();
    let missing_note = || {
        if p.n_missing() > 0 {
            format!(
                "; {} of {} missing ({}), imputed",
                p.n_missing(),
                p.rows,
                p.missing_words(true)
            )
        } else {
            String::new()
        }
    };
    let spec = |kind: SpecKind, why: String, blank_is_level: bool| {
        let missing = p
            .n_missing()
            .saturating_sub(if blank_is_level { p.blanks } else { 0 });
        let mut notes = Vec::new();
        if !p.tokens.is_empty() {
            notes.push(format!(
                "{} mean{} missing here (missing_codes)",
                list(p.tokens.keys().copied(), 10),
                if p.tokens.len() == 1 { "s" } else { "" }
            ));
        }
        Decided::Keep(Spec {
            column: name.to_string(),
            kind,
            missing,
            missing_codes: p.tokens.keys().map(|t| t.to_string()).collect(),
            notes,
            why,
        })
    };

    if n_values == 0 {
        return Ok(Decided::Out(
            LeftOut::Constant,
            format!(
                "no values: all {} cells are missing ({})",
                p.rows,
                p.missing_words(true)
            ),
        ));
    }
    let numeric = n_text == 0;
    if !forced && n_text > 0 && numbers.len() * 2 >= n_values {
        let tokens: Vec<&str> = p.text().map(|(v, _)| v).collect();
        let shown: Vec<&str> = tokens.iter().copied().take(5).collect();
        let more = if tokens.len() > shown.len() {
            ", …"
        } else {
            ""
        };
        return Err(format!(
            "column `{}`: {n_text} of {n_values} values are not numbers ({}{more}); read it as numeric with those as missing (`{}{more}`) or as categorical (`--categorical {}`)",
            excerpt(name, Lang::En),
            shown
                .iter()
                .map(|t| format!("`{}`", excerpt(t, Lang::En)))
                .collect::<Vec<_>>()
                .join(", "),
            shown
                .iter()
                .map(|t| format!("--na {}", shell_word(t)))
                .collect::<Vec<_>>()
                .join(" "),
            shell_word(name)
        ));
    }
    let all_distinct = distinct == p.rows && p.rows >= MIN_ROWS_FOR_DISTINCT_ID;

    if numeric && !forced {
        let (lo, hi) = numbers
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let whole = numbers.iter().all(|x| x.fract() == 0.0);
        let mut distinct_numbers = numbers.clone();
        distinct_numbers.sort_by(f64::total_cmp);
        distinct_numbers.dedup();
        if distinct_numbers.len() == 1 {
            return Ok(Decided::Out(
                LeftOut::Constant,
                format!("the same value ({}) in every row that has one", num(lo)),
            ));
        }
        if all_distinct && whole {
            return Ok(Decided::Out(
                LeftOut::Id,
                format!(
                    "an identifier: all {} values are different whole numbers (pass --categorical to keep it)",
                    p.rows
                ),
            ));
        }
        if distinct_numbers.len() == 2 && distinct == 2 {
            let codes: Vec<&str> = ordered(p.values.keys().copied());
            if let [a, b] = codes.as_slice() {
                if distinct_numbers == [0.0, 1.0] {
                    return Ok(spec(
                        SpecKind::Boolean {
                            false_code: a.to_string(),
                            true_code: b.to_string(),
                        },
                        format!("two values, {a} and {b}{}", missing_note()),
                        false,
                    ));
                }
            }
        }
        // Two numbers that are not 0/1 (sex coded 1/2) are categories, read below like any
        // other, so that a blank that is an answer becomes a level here too.
        let two_numbers = distinct_numbers.len() == 2 && distinct == 2;
        if !two_numbers {
            let plausible = widen(lo, hi, whole);
            return Ok(spec(
                SpecKind::Numeric {
                    integer: whole,
                    data: (lo, hi),
                    plausible,
                },
                format!(
                    "{} {}numbers from {} to {}; plausible range widened to {}–{}{}",
                    distinct_numbers.len(),
                    if whole { "whole " } else { "" },
                    num(lo),
                    num(hi),
                    num(plausible.0),
                    num(plausible.1),
                    missing_note()
                ),
                false,
            ));
        }
    }

    // Text (or --categorical): levels, a blank that may be one, free text, IDs, yes/no.
    let most = p.values.values().copied().max().unwrap_or(0);
    let blank_is_level =
        p.blanks > 0 && (p.blanks >= most || p.blanks as f64 >= BLANK_LEVEL_SHARE * p.rows as f64);
    let n_levels = distinct + usize::from(blank_is_level);
    let n_present = n_values + if blank_is_level { p.blanks } else { 0 };
    if n_levels < 2 {
        return Ok(Decided::Out(
            LeftOut::Constant,
            format!(
                "the same value (`{}`) in every row that has one",
                one_line(p.values.keys().next().copied().unwrap_or(""))
            ),
        ));
    }
    if !forced && all_distinct {
        return Ok(Decided::Out(
            LeftOut::Id,
            format!(
                "an identifier: all {} values are different (pass --categorical to keep it)",
                p.rows
            ),
        ));
    }
    if !forced && (n_levels > MAX_LEVELS || (n_levels >= 3 && n_levels * 2 > n_present)) {
        return Ok(Decided::Out(
            LeftOut::FreeText,
            format!(
                "free text: {n_levels} different values in {n_present} rows (categories need at most {MAX_LEVELS}, and no more than half the rows; pass --categorical to keep it)"
            ),
        ));
    }
    let codes = ordered(p.values.keys().copied());
    // Under --categorical the flag wins: a yes/no pair stays two levels.
    if !blank_is_level && !forced {
        if let [a, b] = codes.as_slice() {
            if let Some((no, yes)) = yes_no(a, b) {
                return Ok(spec(
                    SpecKind::Boolean {
                        false_code: no.to_string(),
                        true_code: yes.to_string(),
                    },
                    format!(
                        "two values read as no/yes: `{}`, `{}`{}",
                        one_line(no),
                        one_line(yes),
                        missing_note()
                    ),
                    false,
                ));
            }
        }
    }
    let mut levels: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
    let blank = blank_is_level.then(|| {
        let mut code = "blank".to_string();
        while levels.contains(&code) || p.tokens.contains_key(code.as_str()) {
            code.push('_');
        }
        code
    });
    let mut blank_words = String::new();
    if let Some(code) = &blank {
        levels.push(code.clone());
        blank_words = format!(
            "; a blank ({} of {} rows{}) is read as its own level `{code}`, not as missing",
            p.blanks,
            p.rows,
            if p.blanks >= most {
                ", the most frequent value"
            } else {
                ""
            }
        );
    }
    // Blanks that are a level are not missing.
    let rest = p
        .n_missing()
        .saturating_sub(if blank_is_level { p.blanks } else { 0 });
    let why = format!(
        "{}{distinct} different values{}{blank_words}{}",
        if forced { "--categorical: " } else { "text, " },
        if codes.iter().all(|c| number(c).is_some()) {
            " (numbers read as categories)"
        } else {
            ""
        },
        if rest > 0 {
            format!(
                "; {rest} of {} missing ({}), imputed",
                p.rows,
                p.missing_words(!blank_is_level)
            )
        } else {
            String::new()
        }
    );
    let mut decided = spec(
        SpecKind::Categorical {
            levels,
            blank: blank.clone(),
        },
        why,
        blank_is_level,
    );
    if let (Decided::Keep(s), Some(code)) = (&mut decided, &blank) {
        s.notes.push(format!(
            "a blank cell ({} of {} rows) is read as the level `{code}`, not as missing",
            p.blanks, p.rows
        ));
    }
    Ok(decided)
}

impl Spec {
    /// The reading of one cell as `bedside train` will read it (`None`: missing), as a key
    /// that is equal for equal values ("1" and "1.0" in a numeric column).
    fn read(&self, cell: &str) -> Option<String> {
        if let SpecKind::Categorical {
            blank: Some(code), ..
        } = &self.kind
        {
            if cell.trim().is_empty() {
                return Some(code.clone());
            }
        }
        if is_missing(cell) || self.missing_codes.iter().any(|m| m == cell.trim()) {
            return None;
        }
        match &self.kind {
            SpecKind::Numeric { .. } => number(cell).map(num),
            _ => Some(cell.to_string()),
        }
    }

    /// Why the trainer would refuse this column in the seeded training rows (no value, or one
    /// value in all of them), if it would.
    fn constant_in(&self, cells: &[&str], train_rows: &[usize]) -> Option<String> {
        let mut seen = train_rows
            .iter()
            .filter_map(|&i| cells.get(i))
            .filter_map(|c| self.read(c));
        let Some(first) = seen.next() else {
            return Some(format!(
                "no row of the seeded training split ({} of {} rows) has a value: the trainer would have nothing to learn from it",
                train_rows.len(),
                cells.len()
            ));
        };
        if seen.all(|v| v == first) {
            Some(format!(
                "every row of the seeded training split ({} of {} rows) has `{}` or nothing: the trainer would find no information in it",
                train_rows.len(),
                cells.len(),
                one_line(&first)
            ))
        } else {
            None
        }
    }

    fn decision(&self) -> Decision {
        let verdict = match &self.kind {
            SpecKind::Numeric {
                integer, plausible, ..
            } => Verdict::Numeric {
                integer: *integer,
                plausible: *plausible,
            },
            SpecKind::Boolean {
                false_code,
                true_code,
            } => Verdict::Boolean {
                false_code: false_code.clone(),
                true_code: true_code.clone(),
            },
            SpecKind::Categorical { levels, blank } => Verdict::Categorical {
                levels: levels.clone(),
                blank: blank.clone(),
            },
        };
        Decision {
            column: self.column.clone(),
            verdict,
            why: self.why.clone(),
        }
    }
}

// ---- small rules ----------------------------------------------------------------------------

/// A cell the reader takes as a finite number (as `dataset::read_csv` does).
fn number(cell: &str) -> Option<f64> {
    cell.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A token that means "not recorded" in any column (see [`MISSING_TOKENS`]), or an `--na` code.
fn is_missing_token(cell: &str, na: &[String]) -> bool {
    let cell = cell.trim();
    MISSING_TOKENS.iter().any(|t| cell.eq_ignore_ascii_case(t)) || na.iter().any(|n| n == cell)
}

/// Whether `a` and `b` are a recognised no/yes pair; `(no, yes)` as the data spell them.
fn yes_no<'a>(a: &'a str, b: &'a str) -> Option<(&'a str, &'a str)> {
    let (wa, wb) = (label_word(a), label_word(b));
    YES_NO.iter().find_map(|(no, yes)| {
        if wa.eq_ignore_ascii_case(no) && wb.eq_ignore_ascii_case(yes) {
            Some((a, b))
        } else if wb.eq_ignore_ascii_case(no) && wa.eq_ignore_ascii_case(yes) {
            Some((b, a))
        } else {
            None
        }
    })
}

/// The word of a coded label: `0_no` → `no`, `1 = Yes` → `Yes`, `2: no` → `no` (statistics
/// packages export factors as code and label). Anything else is itself.
fn label_word(code: &str) -> &str {
    let digits = code.len() - code.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return code;
    }
    let rest = code.get(digits..).unwrap_or("");
    let word = rest.trim_start_matches(['_', '-', '.', ':', '=', ' ']);
    if word.len() < rest.len() && !word.is_empty() {
        word
    } else {
        code
    }
}

/// A name that says "identifier": `id`, `*_id`, `id_*`, `mrn`, `patient number`, `case no`,
/// pandas' `Unnamed: 0`, R's `rownames`. Compared lower-case, punctuation and spaces as `_`.
fn id_like_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let joined = words.concat();
    const WHOLE: &[&str] = &[
        "id",
        "mrn",
        "pid",
        "uuid",
        "guid",
        "rownames",
        "patientid",
        "recordid",
        "caseid",
        "subjectid",
        "encounterid",
        "visitid",
        "studyid",
    ];
    const WHO: &[&str] = &[
        "patient", "record", "case", "subject", "hospital", "medical",
    ];
    const NUMBER: &[&str] = &["number", "no", "nr", "num"];
    WHOLE.contains(&joined.as_str())
        || words.last() == Some(&"id")
        || (words.len() > 1 && words.first() == Some(&"id"))
        || words.first() == Some(&"unnamed")
        || (words.len() > 1
            && words.iter().any(|w| WHO.contains(w))
            && words.last().is_some_and(|w| NUMBER.contains(w)))
}

/// Codes in a stable order a reader expects: numerically when all are numbers, else as text.
fn ordered<'a>(codes: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut codes: Vec<&str> = codes.collect();
    if codes.iter().all(|c| number(c).is_some()) {
        codes.sort_by(|a, b| {
            number(a)
                .unwrap_or(0.0)
                .total_cmp(&number(b).unwrap_or(0.0))
                .then(a.cmp(b))
        });
    } else {
        codes.sort_unstable();
    }
    codes
}

/// The plausible range drafted from data `min`–`max`: half the span added on each side (not
/// below 0 when the data are all ≥ 0: a count or a concentration cannot be negative), rounded
/// outward to two significant digits of the widened span (12–87 → 0–130; 0.078–2.42 →
/// 0–3.6), whole numbers for integer columns. Wide on purpose: it only catches typing errors
/// until a person sets clinical limits.
fn widen(min: f64, max: f64, integer: bool) -> (f64, f64) {
    let span = if max > min {
        max - min
    } else {
        min.abs().max(1.0)
    };
    let mut lo = min - span / 2.0;
    let mut hi = max + span / 2.0;
    if min >= 0.0 {
        lo = lo.max(0.0);
    }
    let e = (hi - lo).log10().floor() as i32 - 1;
    let step = 10f64.powi(e);
    let decimals = (-e).max(0);
    lo = round_to((lo / step).floor() * step, decimals);
    hi = round_to((hi / step).ceil() * step, decimals);
    if integer {
        lo = lo.floor();
        hi = hi.ceil();
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return (min, max);
    }
    // Whatever the rounding did, the data lie inside.
    (lo.min(min), hi.max(max))
}

/// A number as the schema file writes it: no exponent, no `-0`, `.0` on integers too large
/// for a TOML integer.
fn num(v: f64) -> String {
    let v = if v == 0.0 { 0.0 } else { v };
    let s = v.to_string();
    if v.abs() >= 1e15 && !s.contains('.') {
        format!("{s}.0")
    } else {
        s
    }
}

/// A TOML basic string: quotes, backslashes and control characters escaped, everything else
/// (spaces, punctuation, 中文) as it is.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text for a one-line message or a TOML comment: control characters (a line break in a
/// quoted header cell) shown escaped, so a comment never ends early.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A word as a POSIX shell reads it: bare when it is safe, else single-quoted.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.,/:+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `` `a`, `b`, `c` `` (at most `max`, then "… N in all").
fn list<'a>(items: impl Iterator<Item = &'a str>, max: usize) -> String {
    let items: Vec<&str> = items.collect();
    let mut out: Vec<String> = items
        .iter()
        .take(max)
        .map(|s| format!("`{}`", one_line(s)))
        .collect();
    if items.len() > max {
        out.push(format!("… {} in all", items.len()));
    }
    out.join(", ")
}

// ---- the file -------------------------------------------------------------------------------

/// `{ en = "x", zh = "x" }`: a label in both languages, the same text until translated.
fn both(text: &str) -> String {
    format!("{{ en = {0}, zh = {0} }}", quote(text))
}

fn write_toml(
    opts: &DraftOptions,
    table: &Table,
    target: &Target,
    features: &[Spec],
    decisions: &[Decision],
) -> String {
    let mut t = String::new();
    let mut line = |s: &str| {
        t.push_str(s);
        t.push('\n');
    };
    line(&format!(
        "# Drafted by `bedside init` from {} ({} rows, {} columns). Every decision is explained",
        one_line(&opts.data_name),
        table.rows.len(),
        table.header.len()
    ));
    line("# in a comment; check each before anyone relies on a model trained from this file:");
    line("# labels and their 中文 translations, units, plausible ranges (widened from the data,");
    line("# not clinical limits), the positive class, provenance.");
    line("# No reference (normal) ranges: add `reference = { min, max, source }` where a cited");
    line("# source gives one; init cannot know them.");
    let left_out: Vec<&Decision> = decisions
        .iter()
        .filter(|d| matches!(d.verdict, Verdict::LeftOut(_)))
        .collect();
    if !left_out.is_empty() {
        line("#");
        line("# Left out (add a [[features]] entry to use one):");
        for d in left_out {
            let name = if d.column.is_empty() {
                "(no name)".to_string()
            } else {
                format!("`{}`", one_line(&d.column))
            };
            line(&format!("#   {name}: {}", one_line(&d.why)));
        }
    }
    line("");
    line(&format!("id = {}", quote(&opts.id)));
    line("# TODO: title and 中文 translation");
    line(&format!(
        "title = {{ en = {}, zh = {} }}",
        quote(&format!("TODO: what this model is for ({})", opts.id)),
        quote(&format!("TODO: 模型用途（{}）", opts.id))
    ));
    line("");
    line("[provenance]");
    line("# TODO: every field of the provenance is shown beside each suggestion");
    line(&format!(
        "dataset = {}",
        quote(&format!(
            "TODO: data set name (drafted from {})",
            opts.data_name
        ))
    ));
    line("source = \"TODO: who collected the data, and how it reached you\"");
    line("license = \"TODO: licence or terms of use\"");
    line("population = { en = \"TODO: who the patients were\", zh = \"TODO: 患者人群\" }");
    line("");
    line("[split]");
    line("# A seeded, stratified hold-out (any fixed seed: it makes the bundle reproducible).");
    line(&format!("test_fraction = {}", num(TEST_FRACTION)));
    line(&format!("seed = {SEED}"));
    line("");
    line("[target]");
    line(&format!("column = {}", quote(&target.column)));
    line("# TODO: label and 中文 translation");
    line(&format!("label = {}", both(&target.column)));
    line("# diagnostic: a condition present now; prognostic: an outcome to come");
    line("purpose = \"diagnostic\"");
    line(&format!("# positive: {}", one_line(&target.why_positive)));
    line(&format!("positive = {}", quote(&target.positive)));
    line("# TODO: class labels and 中文 translations");
    line("classes = [");
    for c in &target.classes {
        line(&format!(
            "  {{ code = {}, label = {} }},",
            quote(c),
            both(c)
        ));
    }
    line("]");
    for f in features {
        line("");
        if let SpecKind::Numeric { data, .. } = &f.kind {
            line(&format!(
                "# plausible range widened from the data's {}–{}; check it against clinical limits",
                num(data.0),
                num(data.1)
            ));
        }
        for note in &f.notes {
            line(&format!("# {}", one_line(note)));
        }
        line("[[features]]");
        line(&format!("column = {}", quote(&f.column)));
        line("# TODO: label and 中文 translation");
        line(&format!("label = {}", both(&f.column)));
        match &f.kind {
            SpecKind::Numeric {
                integer, plausible, ..
            } => {
                line("kind = \"numeric\"");
                line("unit = \"\" # TODO: unit (UCUM, e.g. mg/dL); empty for scores and counts");
                line(&format!(
                    "plausible = {{ min = {}, max = {} }}",
                    num(plausible.0),
                    num(plausible.1)
                ));
                if *integer {
                    line("integer = true");
                    line("step = 1");
                }
            }
            SpecKind::Boolean {
                false_code,
                true_code,
            } => {
                line("kind = \"boolean\"");
                line(&format!("false_code = {}", quote(false_code)));
                line(&format!("true_code = {}", quote(true_code)));
            }
            SpecKind::Categorical { levels, blank } => {
                line("kind = \"categorical\"");
                line("# TODO: level labels and 中文 translations");
                line("levels = [");
                for l in levels {
                    let label = if Some(l) == blank.as_ref() {
                        "{ en = \"(blank in the data)\", zh = \"（数据中为空白）\" }".to_string()
                    } else {
                        both(l)
                    };
                    line(&format!("  {{ code = {}, label = {label} }},", quote(l)));
                }
                line("]");
                if let Some(code) = blank {
                    line(&format!("blank = {}", quote(code)));
                }
            }
        }
        if !f.missing_codes.is_empty() {
            line(&format!(
                "missing_codes = [{}]",
                f.missing_codes
                    .iter()
                    .map(|c| quote(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if f.missing > 0 {
            line(&format!(
                "# {} of {} rows have no value: filled in from the training rows, and the app says so",
                f.missing,
                table.rows.len()
            ));
            line("missing = \"impute\"");
        }
    }
    t
}

#[cfg(test)]
mod tests;
