//! FHIR R4 in and out.
//!
//! **In:** a Bundle (or a single Patient or Observation) becomes the form's texts. Each
//! feature's `fhir` source in the schema says where it comes from: LOINC codes of the same
//! measurement (an Observation's code or a component's, e.g. diastolic pressure inside a
//! blood-pressure panel) with their UCUM unit, the age from `Patient.birthDate`, or a code from
//! `Patient.gender`. The latest usable observation wins (latest by the instant its FHIR
//! `dateTime` denotes, not by its text), its unit is converted where the schema declares how,
//! and the value goes through the same validation as typed input. Everything that could not
//! be used is listed with the reason: no observation, a unit that cannot be converted, a value
//! the schema refuses, a bound rather than a measurement (`>600 mg/dL`), a code that only looks
//! like the measurement (a random glucose is not the 2-h OGTT value), or a code this model does
//! not use at all.
//!
//! The import trusts the input no further than it can check: one patient's record at a time
//! (a Bundle of two patients is refused whole), only Observations whose `subject` is that
//! patient, the age taken on the date of the observations (not on the day of the import, which
//! would pair an old blood pressure with today's age), and readings older than the model asks
//! for still used but flagged with their age.
//!
//! **Out:** an assessment as a FHIR RiskAssessment whose basis names the model bundle by its
//! SHA-256 and the observations that were used. Built as JSON here; the app offers it as a
//! download, the CLI prints it. Nothing is sent anywhere.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use crate::bundle::Bundle;
use crate::clinical::assess::Assessment;
use crate::clinical::context::{FromRecord, Record};
use crate::contract::patient::parse_value;
use crate::contract::schema::{Feature, FhirSource, Kind, Lang, Schema, Text};
use crate::error::{Error, Result};
use crate::guidance::rules::{RecordCodes, RecordResource, RuleSet};

const LOINC: &str = "http://loinc.org";

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31.
    pub day: u32,
}

impl Date {
    /// A full `YYYY-MM-DD` date, or the calendar date a FHIR `dateTime` was written on (its own
    /// time zone: `2010-03-01T23:30:00-05:00` is 2010-03-01, the day the record shows).
    /// `None` for partial dates (`1945`, `1945-12`), impossible dates (`2023-02-30`) and
    /// anything that is not a FHIR date or dateTime.
    pub fn parse(text: &str) -> Option<Date> {
        let stamp = parse_date_time(text)?;
        stamp.full.then_some(stamp.date)
    }

    /// Days from 1970-01-01 to this date (Howard Hinnant's days-from-civil; the inverse of
    /// [`Date::from_unix_days`]), so dates can be subtracted.
    pub fn unix_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub fn years_to(self, on: Date) -> i32 {
        let had_birthday = (on.month, on.day) >= (self.month, self.day);
        on.year - self.year - i32::from(!had_birthday)
    }
}

impl std::fmt::Display for Date {
    /// `YYYY-MM-DD`, as FHIR writes a date.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A point in time in UTC: what a FHIR `date`, `dateTime` or `instant` denotes. Readings are
/// ordered by it rather than by their text, which misorders time zones
/// (`2024-01-01T23:00:00-05:00` is later than `2024-01-02T01:00:00Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// Nanoseconds into that second (finer fractions are dropped).
    pub nanos: u32,
}

impl Instant {
    /// Read a FHIR R4 `date`, `dateTime` or `instant`: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or
    /// `YYYY-MM-DDThh:mm:ss[.f…](Z|±hh:mm)`. A partial date stands for the start of its
    /// period (`2019` → 2019-01-01T00:00:00Z) and a date without a time for the start of that
    /// day in UTC (FHIR gives a date no zone). A time must carry its zone, as FHIR requires
    /// ("if hours and minutes are specified, a time zone SHALL be populated"): without one the
    /// instant is unknown, so `None`, as for anything else that is not such a value.
    pub fn parse(text: &str) -> Option<Instant> {
        parse_date_time(text).map(|s| s.at)
    }
}

/// A parsed FHIR date or dateTime: the instant to order by, and the calendar date as written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stamp {
    /// The instant (UTC).
    at: Instant,
    /// The date in the value's own time zone, as the record shows it (the start of the period
    /// for a partial date): ages and how old a reading is are counted on it.
    date: Date,
    /// Whether the date was complete (`YYYY-MM-DD`).
    full: bool,
}

/// Exactly `len` ASCII digits of `text` from byte `from`, as a number.
fn digits(text: &str, from: usize, len: usize) -> Option<u32> {
    let part = text.get(from..from.checked_add(len)?)?;
    if part.len() == len && part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

/// Days in `month` of `year` (Gregorian leap years).
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// See [`Instant::parse`]; also keeps the written date and whether it was complete.
fn parse_date_time(text: &str) -> Option<Stamp> {
    // FHIR years run 0001–9999.
    let year = digits(text, 0, 4).filter(|&y| y > 0)?;
    let mut date = Date {
        year: i32::try_from(year).ok()?,
        month: 1,
        day: 1,
    };
    let mut at = 4;
    let mut full = false;
    if text.get(at..at + 1) == Some("-") {
        date.month = digits(text, at + 1, 2)?;
        at += 3;
        if text.get(at..at + 1) == Some("-") {
            date.day = digits(text, at + 1, 2)?;
            at += 3;
            full = true;
        }
    }
    if !(1..=12).contains(&date.month)
        || date.day < 1
        || date.day > days_in_month(date.year, date.month)
    {
        return None;
    }
    let midnight = date.unix_days() * 86_400;
    let rest = text.get(at..)?;
    if rest.is_empty() {
        let at = Instant {
            seconds: midnight,
            nanos: 0,
        };
        return Some(Stamp { at, date, full });
    }
    // A time only follows a full date.
    let time = rest.strip_prefix('T').filter(|_| full)?;
    let (h, m, s) = (
        digits(time, 0, 2)?,
        digits(time, 3, 2)?,
        digits(time, 6, 2)?,
    );
    // Second 60 is a leap second.
    if time.get(2..3) != Some(":") || time.get(5..6) != Some(":") || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut zone = time.get(8..)?;
    let mut nanos = 0;
    if let Some(fraction) = zone.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let mut scale = 100_000_000;
        for b in fraction.bytes().take(n.min(9)) {
            nanos += u32::from(b - b'0') * scale;
            scale /= 10;
        }
        zone = fraction.get(n..)?;
    }
    let offset = if zone == "Z" {
        0
    } else {
        let sign = match zone.get(..1)? {
            "+" => 1,
            "-" => -1,
            _ => return None,
        };
        let (oh, om) = (digits(zone, 1, 2)?, digits(zone, 4, 2)?);
        if zone.len() != 6 || zone.get(3..4) != Some(":") || om > 59 || oh * 60 + om > 14 * 60 {
            return None;
        }
        sign * i64::from(oh * 3600 + om * 60)
    };
    let at = Instant {
        seconds: midnight + i64::from(h * 3600 + m * 60 + s) - offset,
        nanos,
    };
    Some(Stamp { at, date, full })
}

/// How many days old an observation may be, when its feature's `max_age_days` does not say,
/// before the import flags it as old: a year, the usual interval between routine check-ups, so
/// a value from the last yearly visit passes and one from before it is flagged.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 365;

/// One value the import filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Used {
    /// The schema column.
    pub column: String,
    /// The value as the form gets it (schema units).
    pub value: String,
    /// Where it came from: resource, code, original value and unit, date.
    pub source: String,
    /// The resource it came from, `Observation/<id>` or `Patient/<id>` (`None` when that
    /// resource has no id): what the RiskAssessment cites, so a page can drop the citation
    /// when the clinician overwrites this field by hand.
    pub reference: Option<String>,
    /// The date the value holds for: an observation's date as written in its own time zone
    /// (the start of the period for a partial date); for an age, the date it is taken on.
    /// `None` for what has no date (gender) and for an undated observation.
    pub date: Option<Date>,
    /// Set when the observation is older than its feature allows: it is still used (an old
    /// value is the clinician's call to make), but shown with its age.
    pub stale: Option<Stale>,
}

/// An observation older than its feature allows ([`crate::contract::schema::FhirSource::max_age_days`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    /// Days from the observation's date to the day of the import.
    pub days: i64,
    /// The most the feature allows.
    pub max_days: u32,
}

/// Who the imported record is, from its Patient resource: for a banner, so the clinician can
/// see that the values are this patient's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientInfo {
    /// `Patient/<id>`, when the Patient has an id.
    pub reference: Option<String>,
    /// `Patient.id`.
    pub id: Option<String>,
    /// The name as one line: the `official` HumanName (else the first), its given names and
    /// family name, or its `text` when it has neither.
    pub name: Option<String>,
    /// `Patient.birthDate` as written (it may be partial: `1990`).
    pub birth_date: Option<String>,
}

/// Why something in the FHIR input (or a feature of the model) was not used.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// The model has no FHIR source for this feature: type it by hand.
    NoMapping,
    /// No usable observation (or patient data) for it in the input.
    NoData,
    /// A code that looks like the measurement but is not it (the schema's reason).
    NotSame(Text),
    /// A unit that cannot be converted to the feature's.
    Unit {
        /// The observation's unit.
        got: String,
        /// What the model needs.
        want: String,
    },
    /// The value was refused by validation (out of range…).
    Rejected(Error),
    /// `Patient.birthDate` is not a full date.
    PartialBirthDate(String),
    /// `Patient.gender` has no code in this feature.
    Gender(String),
    /// The patient's gender is not the training population's.
    Population {
        /// The patient's.
        got: String,
        /// The population's.
        want: String,
    },
    /// An observation whose code this model does not use.
    NotUsed,
    /// An observation with no numeric `valueQuantity`.
    NoValue,
    /// A yes/no asked of the record: no standing entry with its codes (nothing is assumed:
    /// the absence of an entry is not a "no"), or the latest coded answer means neither.
    NotRecorded,
    /// An observation about someone else: its `subject.reference` (here) is not this record's
    /// patient.
    OtherSubject(String),
    /// An observation with no `subject.reference` in an input that names its patient: whose it
    /// is cannot be verified.
    NoSubject,
    /// The latest reading has a `valueQuantity.comparator` (`<`, `<=`, `>=`, `>`, `ad`): the
    /// value is a bound, not a measurement (a glucose above the meter's range is reported as
    /// `>600 mg/dL`). Older readings are not used instead: the current value is unknown, and
    /// an old one would mislead.
    Bound {
        /// The comparator as reported.
        comparator: String,
        /// The bound.
        value: f64,
        /// Its unit as reported.
        unit: String,
    },
}

/// Something not used, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The feature's column, or the observation's code and name.
    pub what: String,
    /// Why.
    pub why: Why,
}

impl Skipped {
    /// Whether it is about the whole patient (shown as a warning, not in the list).
    pub fn is_warning(&self) -> bool {
        matches!(self.why, Why::Population { .. })
    }
}

/// The result of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// Form texts, schema order and units; blank where nothing was found.
    pub inputs: Vec<String>,
    /// What was filled in, from where.
    pub used: Vec<Used>,
    /// What was not, and why.
    pub skipped: Vec<Skipped>,
    /// Whose record it is, for the RiskAssessment: `Patient/<id>` of the input's Patient (when
    /// it has an id); with no Patient, the `subject.reference` its Observations name, as
    /// written.
    pub subject: Option<String>,
    /// `Observation/<id>` of every observation whose value was used, and `Condition/<id>` or
    /// `MedicationRequest/<id>` of every entry that answered a yes/no (the RiskAssessment's
    /// basis), once each, in schema order. Observations whose values were refused or not
    /// taken are not cited.
    pub basis: Vec<String>,
    /// Who the record is, from its Patient resource (`None` without one).
    pub patient: Option<PatientInfo>,
    /// Per question of the rules given to [`import_with_rules`], the record's "yes" (empty for
    /// [`import`]).
    pub answers: Vec<Option<RecordAnswer>>,
}

/// One numeric reading found in an observation (or one of its components).
struct Reading<'a> {
    code: &'a str,
    display: &'a str,
    value: Option<f64>,
    /// `valueQuantity.comparator`: the value is a bound, not a measurement.
    comparator: Option<&'a str>,
    unit: &'a str,
    /// When it was observed, as written (see [`observed_at`]), and parsed.
    when_text: &'a str,
    when: Option<Stamp>,
    /// `Observation.issued`, parsed.
    issued: Option<Instant>,
    /// Position in the input.
    order: usize,
    id: Option<&'a str>,
}

impl Reading<'_> {
    /// What "latest" means: the later observation time, a reading with no time it can be
    /// ordered by ranking below every dated one; on the same time, the later `issued` (a
    /// report made later, such as a correction); then the later position in the input. So
    /// the choice depends on the data alone, never on chance.
    fn recency(&self) -> (Option<Instant>, Option<Instant>, usize) {
        (self.when.map(|w| w.at), self.issued, self.order)
    }
}

/// When an observation was made, as written: `effectiveDateTime`, else the end of
/// `effectivePeriod` (else its start), else `effectiveInstant`, else `issued` (when it was
/// reported: the last resort). The first of these present is taken even if it does not parse:
/// falling through to a later field (a report date) would give a date that is not when it was
/// measured.
fn observed_at(obs: &Json) -> Option<&str> {
    str_at(obs, &["effectiveDateTime"])
        .or_else(|| str_at(obs, &["effectivePeriod", "end"]))
        .or_else(|| str_at(obs, &["effectivePeriod", "start"]))
        .or_else(|| str_at(obs, &["effectiveInstant"]))
        .or_else(|| str_at(obs, &["issued"]))
}

fn str_at<'a>(v: &'a Json, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// The LOINC codings of a CodeableConcept, with their display text.
fn loinc_codes(concept: &Json) -> Vec<(&str, &str)> {
    let text = concept.get("text").and_then(Json::as_str).unwrap_or("");
    concept
        .get("coding")
        .and_then(Json::as_array)
        .map(|codings| {
            codings
                .iter()
                .filter(|c| c.get("system").and_then(Json::as_str) == Some(LOINC))
                .filter_map(|c| {
                    let code = c.get("code")?.as_str()?;
                    Some((
                        code,
                        c.get("display").and_then(Json::as_str).unwrap_or(text),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an observation's result stands: not cancelled, entered in error or only
/// preliminary.
fn usable(obs: &Json) -> bool {
    matches!(
        obs.get("status").and_then(Json::as_str),
        Some("final" | "amended" | "corrected")
    )
}

/// Every LOINC-coded reading of the observations: the observation's own and its components'.
fn readings<'a>(observations: &[&'a Json]) -> Vec<Reading<'a>> {
    let mut out = Vec::new();
    for obs in observations {
        let when_text = observed_at(obs).unwrap_or("");
        let when = parse_date_time(when_text);
        let issued = str_at(obs, &["issued"]).and_then(Instant::parse);
        let id = obs.get("id").and_then(Json::as_str);
        let mut parts = vec![*obs];
        if let Some(components) = obs.get("component").and_then(Json::as_array) {
            parts.extend(components.iter());
        }
        for part in parts {
            let Some(concept) = part.get("code") else {
                continue;
            };
            let quantity = part.get("valueQuantity");
            let value = quantity.and_then(|q| q.get("value")).and_then(Json::as_f64);
            let comparator = quantity
                .and_then(|q| q.get("comparator"))
                .and_then(Json::as_str);
            let unit = quantity
                .and_then(|q| q.get("code").or_else(|| q.get("unit")))
                .and_then(Json::as_str)
                .unwrap_or("");
            for (code, display) in loinc_codes(concept) {
                out.push(Reading {
                    code,
                    display,
                    value,
                    comparator,
                    unit,
                    when_text,
                    when,
                    issued,
                    order: out.len(),
                    id,
                });
            }
        }
    }
    out
}

/// A reference without its version: `Patient/1/_history/2` → `Patient/1`.
fn without_history(reference: &str) -> &str {
    reference
        .rfind("/_history/")
        .and_then(|i| reference.get(..i))
        .unwrap_or(reference)
}

/// The id a reference names a Patient by: `Patient/<id>`, or an absolute URL ending in
/// `/Patient/<id>` (a `/_history/<version>` after it is ignored). `None` for anything else
/// (`urn:uuid:…`, which only a Bundle's `fullUrl` resolves, or another resource type).
fn patient_id(reference: &str) -> Option<&str> {
    let (head, id) = without_history(reference).rsplit_once('/')?;
    ((head == "Patient" || head.ends_with("/Patient")) && !id.is_empty()).then_some(id)
}

/// One patient's identity in the input: the Patient resource and its `fullUrl`.
#[derive(Clone, Copy)]
struct PatientEntry<'a> {
    resource: &'a Json,
    id: Option<&'a str>,
    full_url: Option<&'a str>,
}

impl PatientEntry<'_> {
    /// Whether `reference` points at this Patient: its `fullUrl`, or its id as `Patient/<id>`
    /// (relative or absolute; the id is `Patient.id`, or the one its `fullUrl` ends in).
    fn is(&self, reference: &str) -> bool {
        let r = without_history(reference);
        let id = self.id.or_else(|| self.full_url.and_then(patient_id));
        self.full_url.is_some_and(|u| without_history(u) == r)
            || id.is_some_and(|id| patient_id(r) == Some(id))
    }
}

/// How a subject reference is compared with another: `Patient/<id>` when it names a Patient by
/// id (so `Patient/1` and `https://x/fhir/Patient/1` are one subject), else as written.
fn subject_key(reference: &str) -> String {
    patient_id(reference).map_or_else(
        || without_history(reference).to_string(),
        |id| format!("Patient/{id}"),
    )
}

/// Whose record the input is. Only one patient's record is accepted at a time: a Bundle of
/// two Patients, or (with no Patient) Observations naming two subjects, would mix two people's
/// values in one form, so it is refused whole, naming what was found.
enum Whose<'a> {
    /// The input's Patient.
    Patient(PatientEntry<'a>),
    /// No Patient; the one subject the Observations name.
    Named(&'a str),
    /// Neither: nothing says whose it is.
    Unknown,
}

fn whose<'a>(entries: &[(Option<&'a str>, &'a Json)]) -> Result<Whose<'a>> {
    let is = |r: &Json, t: &str| r.get("resourceType").and_then(Json::as_str) == Some(t);
    let mut patients: Vec<(String, PatientEntry<'a>)> = Vec::new();
    for (n, (full_url, resource)) in entries.iter().enumerate() {
        if !is(resource, "Patient") {
            continue;
        }
        let id = resource.get("id").and_then(Json::as_str);
        let key = match (id, full_url) {
            (Some(id), _) => format!("Patient/{id}"),
            (None, Some(url)) => (*url).to_string(),
            (None, None) => format!("a Patient with neither id nor fullUrl (entry {})", n + 1),
        };
        if !patients.iter().any(|(k, _)| *k == key) {
            let entry = PatientEntry {
                resource,
                id,
                full_url: *full_url,
            };
            patients.push((key, entry));
        }
    }
    let list = |keys: Vec<&str>| keys.join(", ");
    match patients.as_slice() {
        [(_, one)] => return Ok(Whose::Patient(*one)),
        [] => {}
        many => {
            return Err(Error::Fhir(format!(
                "the input holds {} patients ({}); one patient's record is accepted at a time, \
                 so import each patient's Bundle on its own",
                many.len(),
                list(many.iter().map(|(k, _)| k.as_str()).collect())
            )))
        }
    }
    let mut subjects: Vec<(String, &'a str)> = Vec::new();
    for (_, resource) in entries {
        // Every resource that can fill the form names its patient: Observations, and the
        // Conditions, AllergyIntolerances and MedicationRequests a yes/no is answered from.
        let path: &[&str] = match resource.get("resourceType").and_then(Json::as_str) {
            Some("Observation" | "Condition" | "MedicationRequest") => &["subject", "reference"],
            Some("AllergyIntolerance") => &["patient", "reference"],
            _ => continue,
        };
        if let Some(r) = str_at(resource, path) {
            let key = subject_key(r);
            if !subjects.iter().any(|(k, _)| *k == key) {
                subjects.push((key, r));
            }
        }
    }
    match subjects.as_slice() {
        [] => Ok(Whose::Unknown),
        [(_, one)] => Ok(Whose::Named(one)),
        many => Err(Error::Fhir(format!(
            "the Observations and record entries name {} different subjects ({}) and there is no Patient to say \
             whose record this is; one patient's record is accepted at a time, so import each \
             patient's Observations on their own",
            many.len(),
            list(many.iter().map(|(_, r)| *r).collect())
        ))),
    }
}

impl Whose<'_> {
    /// Whether an observation is this record's: its `subject.reference` is the Patient (or
    /// the one subject named), or nothing names a subject at all.
    fn owns(&self, obs: &Json) -> std::result::Result<(), Why> {
        self.owns_at(obs, &["subject", "reference"])
    }

    /// [`Whose::owns`] for a resource that names its patient at `path`.
    fn owns_at(&self, obs: &Json, path: &[&str]) -> std::result::Result<(), Why> {
        let reference = str_at(obs, path);
        let ok = match (self, reference) {
            (Whose::Unknown, _) => true,
            (_, None) => return Err(Why::NoSubject),
            (Whose::Patient(p), Some(r)) => p.is(r),
            (Whose::Named(n), Some(r)) => subject_key(n) == subject_key(r),
        };
        match (ok, reference) {
            (false, Some(r)) => Err(Why::OtherSubject(r.to_string())),
            _ => Ok(()),
        }
    }
}

/// An observation's name for the list of what was not used: its first LOINC coding
/// ("Body mass index (39156-5)"), else its code's text, else its reference.
fn observation_name(obs: &Json) -> String {
    if let Some((code, display)) = obs
        .get("code")
        .map(loinc_codes)
        .and_then(|c| c.first().copied())
    {
        return format!("{display} ({code})");
    }
    str_at(obs, &["code", "text"])
        .map(str::to_string)
        .or_else(|| str_at(obs, &["id"]).map(|id| format!("Observation/{id}")))
        .unwrap_or_else(|| "Observation".to_string())
}

/// The Patient's display name: the `official` HumanName, else the first; its given names and
/// family name, or its `text` when it has neither.
fn display_name(patient: &Json) -> Option<String> {
    let names = patient.get("name")?.as_array()?;
    let name = names
        .iter()
        .find(|n| str_at(n, &["use"]) == Some("official"))
        .or_else(|| names.first())?;
    let given = name.get("given").and_then(Json::as_array);
    let parts: Vec<&str> = given
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .chain(str_at(name, &["family"]))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if parts.is_empty() {
        str_at(name, &["text"])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    } else {
        Some(parts.join(" "))
    }
}

/// What one feature came to.
enum Outcome {
    /// Filled in; `at` is the observation's time when it came from one.
    Used { used: Used, at: Option<Stamp> },
    /// Not filled in, and why.
    Skipped(Why),
    /// An age from the birth date: taken once the date of the observations used is known.
    Age,
}

/// The latest reading of `source`'s codes, as the feature takes it (unit converted, value
/// validated), or why it cannot be used. The latest is never passed over for an older one:
/// when it cannot be used, the current value is unknown.
fn observed(feature: &Feature, source: &FhirSource, readings: &[Reading], today: Date) -> Outcome {
    let latest = readings
        .iter()
        .filter(|r| source.loinc.iter().any(|c| c == r.code))
        .max_by_key(|r| r.recency());
    let Some(r) = latest else {
        return Outcome::Skipped(Why::NoData);
    };
    let Some(v) = r.value else {
        return Outcome::Skipped(Why::NoValue);
    };
    if let Some(comparator) = r.comparator {
        return Outcome::Skipped(Why::Bound {
            comparator: comparator.to_string(),
            value: v,
            unit: r.unit.to_string(),
        });
    }
    let want = source.ucum.as_deref().unwrap_or("");
    let second = match &feature.kind {
        Kind::Numeric {
            convert: Some(c), ..
        } if c.unit == r.unit => Some(c.factor),
        _ => None,
    };
    let value = if r.unit == want {
        v
    } else if let Some(factor) = second {
        v / factor
    } else {
        return Outcome::Skipped(Why::Unit {
            got: r.unit.into(),
            want: want.into(),
        });
    };
    if let Err(e) = parse_value(feature, &Json::from(value)) {
        return Outcome::Skipped(Why::Rejected(e));
    }
    let date = r.when.map(|w| w.date);
    let max_days = source.max_age_days.unwrap_or(DEFAULT_MAX_AGE_DAYS);
    let stale = date
        .map(|d| today.unix_days() - d.unix_days())
        .filter(|&days| days > i64::from(max_days))
        .map(|days| Stale { days, max_days });
    let written = match r.when_text {
        "" => String::new(),
        t => format!(", {}", t.get(..10).unwrap_or(t)),
    };
    Outcome::Used {
        used: Used {
            column: feature.column.clone(),
            value: value.to_string(),
            source: format!("{} ({}) {v} {}{written}", r.display, r.code, r.unit),
            reference: r.id.map(|id| format!("Observation/{id}")),
            date,
            stale,
        },
        at: r.when,
    }
}

/// A yes/no feature answered from the record: "yes" from the first standing entry coded as
/// `source.record` lists (a Condition, a MedicationRequest), else the latest coded Observation
/// (`source.coded`, smoking status) as yes or no. Nothing found, or an answer code in neither
/// list, leaves it to the clinician ([`Why::NotRecorded`]).
fn from_record(
    feature: &Feature,
    source: &FhirSource,
    entries: &[(Option<&str>, &Json)],
    whose: &Whose,
    observations: &[&Json],
    today: Date,
) -> Outcome {
    if !matches!(feature.kind, Kind::Boolean { .. }) {
        return Outcome::Skipped(Why::NoMapping);
    }
    // The form's words for a yes/no (as the gender mapping of a yes/no feature writes them).
    let (true_code, false_code) = ("true".to_string(), "false".to_string());
    for codes in &source.record {
        let kind = codes.resource;
        for (r, concept, code, display) in coded_entries(entries, codes) {
            if !stands(r, kind, codes.ever)
                || !in_effect(r)
                || whose.owns_at(r, patient_path(kind)).is_err()
            {
                continue;
            }
            return Outcome::Used {
                used: Used {
                    column: feature.column.clone(),
                    value: true_code,
                    source: entry_text(r, codes, concept, (code, display), false),
                    reference: str_at(r, &["id"]).map(|id| format!("{}/{id}", kind.name())),
                    date: None,
                    stale: None,
                },
                at: None,
            };
        }
    }
    let Some(c) = &source.coded else {
        return Outcome::Skipped(Why::NotRecorded);
    };
    // The latest Observation of the code, by the time it was made, then when it was issued,
    // then its place in the input (as for numbers).
    let latest = observations
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            o.get("code")
                .map(loinc_codes)
                .is_some_and(|codes| codes.iter().any(|(code, _)| *code == c.loinc))
        })
        .max_by_key(|(i, o)| {
            (
                observed_at(o).and_then(parse_date_time).map(|w| w.at),
                str_at(o, &["issued"]).and_then(Instant::parse),
                *i,
            )
        });
    let Some((_, obs)) = latest else {
        return Outcome::Skipped(Why::NotRecorded);
    };
    let answer = obs
        .get("valueCodeableConcept")
        .and_then(|v| v.get("coding"))
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|coding| str_at(coding, &["system"]) == Some(c.system.as_str()))
        .find_map(|coding| {
            let code = str_at(coding, &["code"])?;
            let display = str_at(coding, &["display"]).unwrap_or("");
            if c.yes.iter().any(|y| y == code) {
                Some((&true_code, code, display))
            } else if c.no.iter().any(|n| n == code) {
                Some((&false_code, code, display))
            } else {
                None
            }
        });
    let Some((value, code, display)) = answer else {
        return Outcome::Skipped(Why::NotRecorded);
    };
    let when = observed_at(obs).unwrap_or("");
    let name = obs
        .get("code")
        .map(loinc_codes)
        .and_then(|codes| codes.first().map(|(_, d)| *d))
        .unwrap_or("Observation");
    let stamp = parse_date_time(when);
    Outcome::Used {
        used: Used {
            column: feature.column.clone(),
            value: value.clone(),
            source: format!(
                "{name} ({}): {display} ({code}){}",
                c.loinc,
                if when.is_empty() {
                    String::new()
                } else {
                    format!(", {}", when.get(..10).unwrap_or(when))
                }
            ),
            reference: str_at(obs, &["id"]).map(|id| format!("Observation/{id}")),
            date: stamp.map(|w| w.date),
            stale: stamp
                .map(|w| today.unix_days() - w.date.unix_days())
                .zip(source.max_age_days)
                .filter(|&(days, max)| days > i64::from(max))
                .map(|(days, max_days)| Stale { days, max_days }),
        },
        at: stamp,
    }
}

/// Whether an entry records something in effect for this patient, beyond [`stands`]: a risk
/// input is filled only from a confirmed diagnosis and a prescription, not from a provisional
/// or differential diagnosis, a proposal or plan, or an order not to give the drug.
fn in_effect(resource: &Json) -> bool {
    let verification_ok = !matches!(
        status_code(resource, "verificationStatus"),
        Some("provisional" | "differential" | "unconfirmed")
    );
    let intent_ok = !matches!(
        str_at(resource, &["intent"]),
        Some("proposal" | "plan" | "option")
    );
    let performed = resource.get("doNotPerform").and_then(Json::as_bool) != Some(true);
    verification_ok && intent_ok && performed
}

/// The age from `Patient.birthDate` on `on` (see [`import`] for which day that is).
fn age(feature: &Feature, patient: Option<&PatientEntry>, on: Date, today: bool) -> Outcome {
    let Some(b) = patient.and_then(|p| str_at(p.resource, &["birthDate"])) else {
        return Outcome::Skipped(Why::NoData);
    };
    let Some(born) = Date::parse(b) else {
        return Outcome::Skipped(Why::PartialBirthDate(b.into()));
    };
    let years = f64::from(born.years_to(on));
    if let Err(e) = parse_value(feature, &Json::from(years)) {
        return Outcome::Skipped(Why::Rejected(e));
    }
    let when = if today { " (today)" } else { "" };
    Outcome::Used {
        used: Used {
            column: feature.column.clone(),
            value: years.to_string(),
            source: format!("Patient.birthDate {b}, age on {on}{when}"),
            reference: patient.and_then(|p| p.id).map(|id| format!("Patient/{id}")),
            date: Some(on),
            stale: None,
        },
        at: None,
    }
}

/// Map a FHIR R4 resource (Bundle, Patient or Observation, as JSON) onto `schema`'s features.
///
/// Refused whole (`Error::Fhir`) when it holds more than one patient's record. Observations
/// that are not the record's patient's are listed, not used. An age is taken on the date of the
/// most recent observation used (so it matches the values it is assessed with), and on `today`
/// only when none is used; `today` is also what a reading's age is counted to.
pub fn import(schema: &Schema, input: &Json, today: Date) -> Result<Imported> {
    import_with_rules(schema, &RuleSet::default(), input, today)
}

/// The resources of the input with their `fullUrl`s: a Bundle's entries, or the one resource.
fn entries(input: &Json) -> Result<Vec<(Option<&str>, &Json)>> {
    let kind = input.get("resourceType").and_then(Json::as_str);
    Ok(match kind {
        Some("Bundle") => input
            .get("entry")
            .and_then(Json::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| Some((str_at(e, &["fullUrl"]), e.get("resource")?)))
                    .collect()
            })
            .unwrap_or_default(),
        Some(
            "Patient" | "Observation" | "Condition" | "AllergyIntolerance" | "MedicationRequest",
        ) => vec![(None, input)],
        other => {
            return Err(Error::Fhir(format!(
                "expected a FHIR Bundle, Patient or Observation, got {}",
                other.map_or_else(
                    || "no resourceType".to_string(),
                    |k| format!("a {}", crate::error::excerpt(k, Lang::En))
                )
            )))
        }
    })
}

/// [`import`], and the rules' questions answered from the record where it can: a question whose
/// codes ([`crate::guidance::rules::RecordCodes`]) appear in one of this patient's Conditions,
/// AllergyIntolerances or MedicationRequests is answered "yes", citing it. Nothing found leaves
/// the question unanswered.
pub fn import_with_rules(
    schema: &Schema,
    rules: &RuleSet,
    input: &Json,
    today: Date,
) -> Result<Imported> {
    let entries = entries(input)?;
    let whose = whose(&entries)?;
    let patient = match &whose {
        Whose::Patient(p) => Some(*p),
        _ => None,
    };
    let mut out = Imported {
        inputs: vec![String::new(); schema.features.len()],
        used: Vec::new(),
        skipped: Vec::new(),
        subject: match &whose {
            Whose::Patient(p) => p.id.map(|id| format!("Patient/{id}")),
            Whose::Named(r) => Some((*r).to_string()),
            Whose::Unknown => None,
        },
        basis: Vec::new(),
        answers: Vec::new(),
        patient: patient.map(|p| PatientInfo {
            reference: p.id.map(|id| format!("Patient/{id}")),
            id: p.id.map(str::to_string),
            name: display_name(p.resource),
            birth_date: str_at(p.resource, &["birthDate"]).map(str::to_string),
        }),
    };
    let gender = patient.and_then(|p| str_at(p.resource, &["gender"]));
    if let (Some(want), Some(got)) = (schema.fhir.as_ref().and_then(|f| f.gender.as_ref()), gender)
    {
        if want != got {
            out.skipped.push(Skipped {
                what: "Patient.gender".into(),
                why: Why::Population {
                    got: got.into(),
                    want: want.clone(),
                },
            });
        }
    }
    // The record's own observations; the others are named once each with the reason.
    let mut observations: Vec<&Json> = Vec::new();
    for (_, r) in &entries {
        if r.get("resourceType").and_then(Json::as_str) != Some("Observation") || !usable(r) {
            continue;
        }
        match whose.owns(r) {
            Ok(()) => observations.push(r),
            Err(why) => {
                let s = Skipped {
                    what: observation_name(r),
                    why,
                };
                if !out.skipped.contains(&s) {
                    out.skipped.push(s);
                }
            }
        }
    }
    let readings = readings(&observations);

    let mut known_codes: Vec<&str> = Vec::new();
    let mut outcomes: Vec<(Vec<Skipped>, Outcome)> = Vec::with_capacity(schema.features.len());
    for feature in &schema.features {
        let Some(source) = &feature.fhir else {
            outcomes.push((Vec::new(), Outcome::Skipped(Why::NoMapping)));
            continue;
        };
        known_codes.extend(source.loinc.iter().map(String::as_str));
        known_codes.extend(source.not.iter().map(|n| n.loinc.as_str()));
        // Look-alike codes present in the input are named, so nobody wonders why they were
        // not taken.
        let lookalikes = source
            .not
            .iter()
            .filter_map(|not| {
                let r = readings.iter().find(|r| r.code == not.loinc)?;
                Some(Skipped {
                    what: format!("{} ({})", r.display, r.code),
                    why: Why::NotSame(not.why.clone()),
                })
            })
            .collect();
        let outcome = if source.birth_date {
            Outcome::Age
        } else if !source.gender.is_empty() {
            match gender {
                None => Outcome::Skipped(Why::NoData),
                Some(g) => match source.gender.iter().find(|(k, _)| k == g) {
                    Some((_, code)) => Outcome::Used {
                        used: Used {
                            column: feature.column.clone(),
                            value: code.clone(),
                            source: format!("Patient.gender {g}"),
                            reference: patient.and_then(|p| p.id).map(|id| format!("Patient/{id}")),
                            date: None,
                            stale: None,
                        },
                        at: None,
                    },
                    None => Outcome::Skipped(Why::Gender(g.into())),
                },
            }
        } else if !source.record.is_empty() || source.coded.is_some() {
            from_record(feature, source, &entries, &whose, &observations, today)
        } else {
            observed(feature, source, &readings, today)
        };
        outcomes.push((lookalikes, outcome));
    }
    // The age is the patient's on the day of the most recent observation used.
    let latest = outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            Outcome::Used { at: Some(at), .. } => Some(*at),
            _ => None,
        })
        .max_by_key(|s| s.at);
    let (on, on_today) = latest.map_or((today, true), |s| (s.date, false));
    for (i, (feature, (lookalikes, outcome))) in schema.features.iter().zip(outcomes).enumerate() {
        out.skipped.extend(lookalikes);
        let outcome = match outcome {
            Outcome::Age => age(feature, patient.as_ref(), on, on_today),
            other => other,
        };
        match outcome {
            Outcome::Used { used, .. } => {
                let cited = used.reference.as_ref();
                if let Some(r) = cited.filter(|r| {
                    ["Observation/", "Condition/", "MedicationRequest/"]
                        .iter()
                        .any(|t| r.starts_with(t))
                }) {
                    if !out.basis.contains(r) {
                        out.basis.push(r.clone());
                    }
                }
                if let Some(slot) = out.inputs.get_mut(i) {
                    slot.clone_from(&used.value);
                }
                out.used.push(used);
            }
            Outcome::Skipped(why) => out.skipped.push(Skipped {
                what: feature.column.clone(),
                why,
            }),
            Outcome::Age => {}
        }
    }
    // Every other coded observation in the input, once per code.
    let mut unused: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &readings {
        if !known_codes.contains(&r.code) {
            unused.entry(r.code).or_insert(r.display);
        }
    }
    out.skipped
        .extend(unused.into_iter().map(|(code, display)| Skipped {
            what: format!("{display} ({code})"),
            why: Why::NotUsed,
        }));
    out.answers = record_answers(rules, &entries, &whose, &mut out.skipped);
    Ok(out)
}

/// Panels that carry some of a schema's LOINC codes only as components: a blood pressure is
/// recorded as the panel 85354-9 (or the vital-signs panel 55284-4, or 35094-2) with systolic
/// 8480-6 and diastolic 8462-4 inside, and a server's `code` search matches `Observation.code`,
/// not its components, so a search for 8462-4 alone finds nothing.
pub const PANELS: &[(&str, &[&str])] = &[
    ("85354-9", &["8480-6", "8462-4"]),
    ("55284-4", &["8480-6", "8462-4"]),
    ("35094-2", &["8480-6", "8462-4"]),
];

/// What an EHR launch reads from the FHIR server for a bundle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Queries {
    /// Observation `code` search tokens (`http://loinc.org|<code>`): the schema's codes and the
    /// panels ([`PANELS`]) that carry one of them as a component.
    pub observation_codes: Vec<String>,
    /// The resource types the rules' questions can be answered from.
    pub resources: Vec<&'static str>,
}

/// The searches a launch needs for `schema` and `rules`. Look-alike codes (`not`) are asked
/// for too, so that the report can say why they were not used.
pub fn queries(schema: &Schema, rules: &RuleSet) -> Queries {
    let mut codes: Vec<&str> = Vec::new();
    for source in schema.features.iter().filter_map(|f| f.fhir.as_ref()) {
        for c in source
            .loinc
            .iter()
            .map(String::as_str)
            .chain(source.not.iter().map(|n| n.loinc.as_str()))
        {
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
    }
    for c in schema
        .features
        .iter()
        .filter_map(|f| f.fhir.as_ref()?.coded.as_ref())
    {
        if !codes.contains(&c.loinc.as_str()) {
            codes.push(&c.loinc);
        }
    }
    for (panel, parts) in PANELS {
        if parts.iter().any(|p| codes.contains(p)) && !codes.contains(panel) {
            codes.push(panel);
        }
    }
    let mut resources: Vec<&'static str> = Vec::new();
    let features = schema
        .features
        .iter()
        .filter_map(|f| f.fhir.as_ref())
        .flat_map(|f| &f.record);
    for r in rules.inputs.iter().flat_map(|i| &i.record).chain(features) {
        if !resources.contains(&r.resource.name()) {
            resources.push(r.resource.name());
        }
    }
    Queries {
        observation_codes: codes.iter().map(|c| format!("{LOINC}|{c}")).collect(),
        resources,
    }
}

/// An EHR launch's record for `schema` and `rules`: [`import_with_rules`], checked to be the
/// launched patient's ([`check_launched`]). A model that reads observations, when none was
/// usable, gets nothing filled in (an age alone is not this patient's case; the report still
/// lists what was found and why it was not used). A model whose inputs the record can only give
/// from the Patient, such as age and sex, is filled with those.
pub fn import_launched(
    schema: &Schema,
    rules: &RuleSet,
    input: &Json,
    today: Date,
    patient_id: &str,
) -> Result<Imported> {
    let mut imported = import_with_rules(schema, rules, input, today)?;
    check_launched(&imported, patient_id)?;
    let observed = imported.basis.iter().any(|r| r.starts_with("Observation/"));
    if !observed && !queries(schema, rules).observation_codes.is_empty() {
        imported.inputs.iter_mut().for_each(String::clear);
        imported.used.clear();
    }
    Ok(imported)
}

/// Check that an import is the record of the patient the EHR launched with (`Patient/<id>`
/// from the launch context): a server that answered about someone else, or a record with no
/// Patient, is refused whole.
pub fn check_launched(imported: &Imported, patient_id: &str) -> Result<()> {
    let want = format!("Patient/{patient_id}");
    match &imported.patient {
        Some(p) if p.reference.as_deref() == Some(want.as_str()) => Ok(()),
        Some(p) => Err(Error::Fhir(format!(
            "the record read is of {}, but the EHR opened Bedside for {want}; nothing was used",
            p.reference.as_deref().unwrap_or("a Patient without an id")
        ))),
        None => Err(Error::Fhir(format!(
            "the server returned no Patient resource for {want}; nothing was used"
        ))),
    }
}

/// A rules question answered "yes" from the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordAnswer {
    /// `Condition/<id>`, `AllergyIntolerance/<id>` or `MedicationRequest/<id>` (when it has an
    /// id).
    pub reference: Option<String>,
    /// The entry in words: its type, what it records, the code, its status and date.
    pub source: String,
}

/// Where a resource names its patient.
fn patient_path(kind: RecordResource) -> &'static [&'static str] {
    match kind {
        RecordResource::AllergyIntolerance => &["patient", "reference"],
        RecordResource::Condition | RecordResource::MedicationRequest => &["subject", "reference"],
    }
}

/// The first code of a CodeableConcept (with its system) that `codes` lists.
fn coded<'a>(concept: Option<&'a Json>, codes: &RecordCodes) -> Option<(&'a str, &'a str)> {
    concept?.get("coding")?.as_array()?.iter().find_map(|c| {
        let system = str_at(c, &["system"])?;
        let code = str_at(c, &["code"])?;
        codes
            .matches(system, code)
            .then(|| (code, str_at(c, &["display"]).unwrap_or("")))
    })
}

/// The first code of a status CodeableConcept (`clinicalStatus`, `verificationStatus`).
fn status_code<'a>(resource: &'a Json, field: &str) -> Option<&'a str> {
    resource
        .get(field)?
        .get("coding")?
        .as_array()?
        .iter()
        .find_map(|c| str_at(c, &["code"]))
}

/// Whether an entry stands as a "yes" for a question: not refuted or entered in error; for a
/// Condition or an AllergyIntolerance, active (or with no status recorded) unless the question
/// counts past ones too; for a MedicationRequest, active or on hold (or, counting past ones,
/// completed or stopped).
fn stands(resource: &Json, kind: RecordResource, ever: bool) -> bool {
    match kind {
        RecordResource::Condition | RecordResource::AllergyIntolerance => {
            if matches!(
                status_code(resource, "verificationStatus"),
                Some("refuted" | "entered-in-error")
            ) {
                return false;
            }
            ever || matches!(
                status_code(resource, "clinicalStatus"),
                None | Some("active" | "recurrence" | "relapse")
            )
        }
        RecordResource::MedicationRequest => match str_at(resource, &["status"]) {
            Some("active" | "on-hold") => true,
            Some("completed" | "stopped") => ever,
            _ => false,
        },
    }
}

/// The date an entry holds for, as written: recorded, onset or authored.
fn entry_date(resource: &Json) -> Option<&str> {
    str_at(resource, &["recordedDate"])
        .or_else(|| str_at(resource, &["onsetDateTime"]))
        .or_else(|| str_at(resource, &["authoredOn"]))
        .or_else(|| str_at(resource, &["onsetPeriod", "start"]))
}

/// The record entries of `codes`' resource type coded with one of its codes: each with its
/// concept and the matching code and display (shared by the rules' questions and the yes/no
/// features answered from the record).
fn coded_entries<'a>(
    entries: &'a [(Option<&'a str>, &'a Json)],
    codes: &'a RecordCodes,
) -> impl Iterator<Item = (&'a Json, Option<&'a Json>, &'a str, &'a str)> + 'a {
    let kind = codes.resource;
    entries.iter().filter_map(move |(_, r)| {
        if str_at(r, &["resourceType"]) != Some(kind.name()) {
            return None;
        }
        let concept = match kind {
            RecordResource::MedicationRequest => r.get("medicationCodeableConcept"),
            _ => r.get("code"),
        };
        let (code, display) = coded(concept, codes)?;
        Some((*r, concept, code, display))
    })
}

/// A record entry in words: its type, what it records, the code and system, its status, its
/// verification (when asked) and its date.
fn entry_text(
    r: &Json,
    codes: &RecordCodes,
    concept: Option<&Json>,
    (code, display): (&str, &str),
    verification: bool,
) -> String {
    let kind = codes.resource;
    let name = if display.is_empty() {
        str_at(concept.unwrap_or(&Json::Null), &["text"]).unwrap_or("")
    } else {
        display
    };
    let system = crate::guidance::rules::RECORD_SYSTEMS
        .iter()
        .find(|(uri, ..)| *uri == codes.system)
        .map_or(codes.system.as_str(), |(_, name, _)| *name);
    let status = match kind {
        RecordResource::MedicationRequest => str_at(r, &["status"]),
        _ => status_code(r, "clinicalStatus"),
    };
    let verified = verification
        .then(|| status_code(r, "verificationStatus"))
        .flatten();
    // The date as a date: the time of day adds nothing to "recorded on".
    let date = entry_date(r).map(|d| d.get(..10).unwrap_or(d));
    let mut text = format!("{}: {name} ({system} {code})", kind.name());
    for part in [status, verified, date].into_iter().flatten() {
        text.push_str(", ");
        text.push_str(part);
    }
    text
}

/// Per question of `rules`, the first entry of the record that answers it "yes". Entries about
/// another patient are not used (and are listed in `skipped`).
fn record_answers(
    rules: &RuleSet,
    entries: &[(Option<&str>, &Json)],
    whose: &Whose,
    skipped: &mut Vec<Skipped>,
) -> Vec<Option<RecordAnswer>> {
    let mut answers = vec![None; rules.inputs.len()];
    for (question, slot) in rules.inputs.iter().zip(answers.iter_mut()) {
        'codes: for codes in &question.record {
            let kind = codes.resource;
            for (r, concept, code, display) in coded_entries(entries, codes) {
                if !stands(r, kind, codes.ever) {
                    continue;
                }
                let reference = str_at(r, &["id"]).map(|id| format!("{}/{id}", kind.name()));
                if let Err(why) = whose.owns_at(r, patient_path(kind)) {
                    let s = Skipped {
                        what: reference.clone().unwrap_or_else(|| kind.name().to_string()),
                        why,
                    };
                    if !skipped.contains(&s) {
                        skipped.push(s);
                    }
                    continue;
                }
                let source = entry_text(r, codes, concept, (code, display), true);
                *slot = Some(RecordAnswer { reference, source });
                break 'codes;
            }
        }
    }
    answers
}

/// Parse FHIR JSON text and [`import`] it.
pub fn import_text(schema: &Schema, text: &str, today: Date) -> Result<Imported> {
    let json: Json =
        serde_json::from_str(text).map_err(|e| Error::Fhir(format!("not JSON: {e}")))?;
    import(schema, &json, today)
}

/// The assessment as a FHIR R4 RiskAssessment: one prediction per class with its calibrated
/// probability, the method in words, and as basis the model bundle (by SHA-256) and the
/// observations used. `subject` is `Patient/<id>` when the patient came from FHIR; otherwise
/// the subject is named only in words, since nothing identifies them. `when` is an ISO 8601
/// date-time.
pub fn risk_assessment(
    bundle: &Bundle,
    sha256: &str,
    assessment: &Assessment,
    subject: Option<&str>,
    observations: &[String],
    when: &str,
) -> Json {
    let schema = &bundle.schema;
    let subject = match subject {
        Some(reference) => json!({ "reference": reference }),
        None => json!({ "display": "Patient assessed in Bedside (not identified)" }),
    };
    let mut basis = vec![json!({
        "identifier": { "system": "urn:bedside:bundle-sha256", "value": sha256 },
        "display": format!("Bedside model bundle {} (SHA-256 {sha256})", schema.id),
    })];
    basis.extend(observations.iter().map(|r| json!({ "reference": r })));
    let focus = assessment.focus;
    let binary = schema.target.classes.len() == 2;
    let predictions: Vec<Json> = assessment
        .probabilities
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut p = json!({
                "outcome": { "text": c.label.get(Lang::En) },
                "probabilityDecimal": c.probability,
            });
            if i == focus {
                if let Some(o) = p.as_object_mut() {
                    let why = match (binary, assessment.discrimination.better_than_chance) {
                        (true, true) => "The outcome of interest under this model.",
                        (false, true) => "Most probable class under this model.",
                        (_, false) => "This model does not distinguish patients better than chance (held-out AUC interval includes 0.5); read the base rate, not a patient-specific risk.",
                    };
                    o.insert("rationale".into(), json!(why));
                }
            }
            p
        })
        .collect();
    json!({
        "resourceType": "RiskAssessment",
        "status": "final",
        "code": { "text": schema.target.label.get(Lang::En) },
        "subject": subject,
        "occurrenceDateTime": when,
        "method": { "text": match &bundle.model {
            crate::model::fitted::Model::Equation(e) => format!(
                "published equation (Bedside){}: {}; model bundle {}",
                if bundle.local.is_empty() { ", as its authors published it" } else { ", recalibrated to a site's own patients" },
                e.citation, schema.id
            ),
            _ => format!(
                "{} (Bedside, smartcore), calibrated; model bundle {}",
                assessment.model.name(), schema.id
            ),
        } },
        "basis": basis,
        "prediction": predictions,
        "note": [{ "text": "Decision support, not a diagnosis: a statistical estimate to be checked against clinical judgement." }],
    })
}

/// The page's patient-from-a-record, built from an import (here, so that the patient context
/// does not depend on FHIR).
impl FromRecord {
    /// A FHIR import as a patient from a record: its values, each value's resource, and who
    /// the record is (the Patient, or the subject its observations named).
    pub fn from_imported(
        schema: &crate::contract::schema::Schema,
        imported: &crate::interop::fhir::Imported,
        report: String,
    ) -> FromRecord {
        let mut references = vec![None; schema.features.len()];
        for u in &imported.used {
            if let Some(slot) = schema
                .features
                .iter()
                .position(|f| f.column == u.column)
                .and_then(|i| references.get_mut(i))
            {
                slot.clone_from(&u.reference);
            }
        }
        let person = imported.patient.as_ref();
        FromRecord {
            inputs: imported.inputs.clone(),
            references,
            record: Record {
                reference: person
                    .and_then(|p| p.reference.clone())
                    .or_else(|| imported.subject.clone()),
                name: person.and_then(|p| p.name.clone()),
                birth_date: person.and_then(|p| p.birth_date.clone()),
                ehr_banner: false,
            },
            report,
            answers: imported
                .answers
                .iter()
                .map(|a| {
                    a.as_ref().map(|a| crate::clinical::context::AnswerSource {
                        source: a.source.clone(),
                        reference: a.reference.clone(),
                    })
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::fhir_report::report_html;
    use crate::present::fhir_report::report_json;

    fn pima() -> Schema {
        crate::contract::schema::tests::shipped("pima")
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 22,
    };

    /// A PREVENT patient's record: labs and a blood-pressure panel as Observations, smoking
    /// status as a coded Observation, diabetes as a Condition, an antihypertensive as a
    /// MedicationRequest; no statin anywhere.
    fn prevent_record(smoking: &str) -> Json {
        let obs = |id: &str, code: &str, value: f64, unit: &str| {
            json!({ "resource": { "resourceType": "Observation", "id": id, "status": "final",
                "subject": { "reference": "Patient/p1" }, "effectiveDateTime": "2026-10-01",
                "code": { "coding": [{ "system": LOINC, "code": code, "display": id }] },
                "valueQuantity": { "value": value, "unit": unit, "code": unit } } })
        };
        json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1976-05-02" } },
            obs("tc", "2093-3", 5.172, "mmol/L"),
            obs("hdl", "2085-9", 45.0, "mg/dL"),
            obs("egfr", "98979-8", 90.0, "mL/min/{1.73_m2}"),
            { "resource": { "resourceType": "Observation", "id": "bp", "status": "final",
                "subject": { "reference": "Patient/p1" }, "effectiveDateTime": "2026-10-01",
                "code": { "coding": [{ "system": LOINC, "code": "85354-9" }] },
                "component": [
                    { "code": { "coding": [{ "system": LOINC, "code": "8480-6", "display": "Systolic" }] },
                      "valueQuantity": { "value": 160, "unit": "mm[Hg]", "code": "mm[Hg]" } },
                    { "code": { "coding": [{ "system": LOINC, "code": "8462-4" }] },
                      "valueQuantity": { "value": 95, "unit": "mm[Hg]", "code": "mm[Hg]" } } ] } },
            { "resource": { "resourceType": "Observation", "id": "smoke", "status": "final",
                "subject": { "reference": "Patient/p1" }, "effectiveDateTime": "2026-09-01",
                "code": { "coding": [{ "system": LOINC, "code": "72166-2", "display": "Tobacco smoking status" }] },
                "valueCodeableConcept": { "coding": [{ "system": "http://snomed.info/sct", "code": smoking, "display": "status" }] } } },
            { "resource": { "resourceType": "Condition", "id": "dm", "subject": { "reference": "Patient/p1" },
                "clinicalStatus": { "coding": [{ "code": "active" }] }, "recordedDate": "2019-03-02",
                "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes mellitus type 2" }] } } },
            { "resource": { "resourceType": "MedicationRequest", "id": "acei", "status": "active",
                "subject": { "reference": "Patient/p1" }, "authoredOn": "2025-01-10",
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "29046", "display": "lisinopril" }] } } },
            { "resource": { "resourceType": "MedicationRequest", "id": "old-statin", "status": "stopped",
                "subject": { "reference": "Patient/p1" },
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": "C10AA05" }] } } },
        ] })
    }

    #[test]
    fn a_published_equation_is_filled_from_observations_conditions_and_medications() {
        let schema = crate::contract::schema::tests::shipped("prevent");
        let q = queries(&schema, &RuleSet::default());
        assert!(q.observation_codes.iter().any(|c| c.ends_with("|72166-2")));
        assert_eq!(q.resources, vec!["MedicationRequest", "Condition"]);
        let imported = import(&schema, &prevent_record("266919005"), TODAY).unwrap();
        let got = |c: &str| {
            imported.inputs[schema.features.iter().position(|f| f.column == c).unwrap()].clone()
        };
        assert_eq!(got("age"), "50");
        assert_eq!(got("sex"), "female");
        assert!(
            (got("tc").parse::<f64>().unwrap() - 200.0).abs() < 1e-9,
            "mmol/L converted"
        );
        assert_eq!(got("hdl"), "45");
        assert_eq!(got("sbp"), "160");
        assert_eq!(got("egfr"), "90");
        assert_eq!(got("diabetes"), "true");
        assert_eq!(got("bp_treated"), "true");
        assert_eq!(got("smoker"), "false", "never smoked is a recorded no");
        // A stopped statin is not a statin now; and no entry is not a "no".
        assert_eq!(got("statin"), "");
        assert!(imported
            .skipped
            .iter()
            .any(|s| s.what == "statin" && s.why == Why::NotRecorded));
        let source = |c: &str| imported.used.iter().find(|u| u.column == c).unwrap();
        assert_eq!(
            source("diabetes").reference.as_deref(),
            Some("Condition/dm")
        );
        assert!(source("diabetes")
            .source
            .contains("Diabetes mellitus type 2 (SNOMED CT 44054006)"));
        assert_eq!(
            source("bp_treated").reference.as_deref(),
            Some("MedicationRequest/acei")
        );
        assert!(source("smoker")
            .source
            .contains("Tobacco smoking status (72166-2)"));
        for r in [
            "Condition/dm",
            "MedicationRequest/acei",
            "Observation/smoke",
            "Observation/bp",
        ] {
            assert!(
                imported.basis.iter().any(|b| b == r),
                "{r} in {:?}",
                imported.basis
            );
        }
        // A current smoker; an answer code that means neither leaves it to the clinician.
        let smoker = import(&schema, &prevent_record("449868002"), TODAY).unwrap();
        assert_eq!(smoker.inputs[7], "true");
        let unknown = import(&schema, &prevent_record("266927001"), TODAY).unwrap();
        assert_eq!(unknown.inputs[7], "");
    }

    #[test]
    fn dates_and_ages() {
        assert_eq!(
            Date::from_unix_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_unix_days(20_414),
            Date {
                year: 2025,
                month: 11,
                day: 22
            }
        );
        assert_eq!(
            Date::from_unix_days(-1),
            Date {
                year: 1969,
                month: 12,
                day: 31
            }
        );
        let born = Date::parse("1945-12-10").unwrap();
        assert_eq!(born.years_to(TODAY), 80);
        assert_eq!(
            born.years_to(Date {
                year: 2026,
                month: 12,
                day: 10
            }),
            81
        );
        assert_eq!(
            Date::parse("2010-03-01T06:22:41-05:00"),
            Some(Date {
                year: 2010,
                month: 3,
                day: 1
            })
        );
        assert_eq!(Date::parse("1945"), None);
        assert_eq!(Date::parse("1945-13-01"), None);
    }

    /// An observation of the patient `Patient/p1`.
    fn obs(id: &str, code: &str, value: f64, unit: &str, when: &str) -> Json {
        json!({ "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": LOINC, "code": code, "display": "d" }] },
            "subject": { "reference": "Patient/p1" },
            "effectiveDateTime": when,
            "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit } })
    }

    /// `resource` about `subject` instead.
    fn about(mut resource: Json, subject: &str) -> Json {
        resource["subject"] = json!({ "reference": subject });
        resource
    }

    fn bundle(resources: Vec<Json>) -> Json {
        json!({ "resourceType": "Bundle", "type": "collection",
            "entry": resources.into_iter().map(|r| json!({ "resource": r })).collect::<Vec<_>>() })
    }

    fn why<'a>(imported: &'a Imported, what: &str) -> Option<&'a Why> {
        imported
            .skipped
            .iter()
            .find(|s| s.what == what)
            .map(|s| &s.why)
    }

    #[test]
    fn the_latest_same_measurement_is_used_and_the_rest_is_explained() {
        let s = pima();
        let patient = json!({ "resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-06-01" });
        let bp_panel = json!({ "resourceType": "Observation", "id": "bp", "status": "final",
            "code": { "coding": [{ "system": LOINC, "code": "55284-4" }] }, "effectiveDateTime": "2024-01-02",
            "subject": { "reference": "Patient/p1" },
            "component": [
                { "code": { "coding": [{ "system": LOINC, "code": "8480-6" }] }, "valueQuantity": { "value": 128, "code": "mm[Hg]" } },
                { "code": { "coding": [{ "system": LOINC, "code": "8462-4" }] }, "valueQuantity": { "value": 84, "code": "mm[Hg]" } }
            ] });
        let input = bundle(vec![
            patient,
            obs("b-old", "39156-5", 31.0, "kg/m2", "2020-01-01"),
            obs("b-new", "39156-5", 27.5, "kg/m2", "2024-01-01"),
            bp_panel,
            obs("g", "2339-0", 150.0, "mg/dL", "2024-01-01"),
            obs("h", "8302-2", 170.0, "cm", "2024-01-01"),
            json!({ "resourceType": "Observation", "id": "x", "status": "entered-in-error",
                "code": { "coding": [{ "system": LOINC, "code": "39156-5" }] }, "effectiveDateTime": "2025-01-01",
                "valueQuantity": { "value": 60, "code": "kg/m2" } }),
        ]);
        let out = import(&s, &input, TODAY).unwrap();
        let value =
            |c: &str| out.inputs[s.features.iter().position(|f| f.column == c).unwrap()].clone();
        assert_eq!(
            value("bmi"),
            "27.5",
            "the latest final reading; the entered-in-error one is ignored"
        );
        assert_eq!(value("bp"), "84", "diastolic, from inside the panel");
        assert_eq!(
            value("age"),
            "43",
            "on 2024-01-02, the date of the latest observation used, not on TODAY (46)"
        );
        assert_eq!(value("glu"), "", "a random glucose is not the OGTT value");
        assert!(matches!(why(&out, "glu"), Some(Why::NoData)));
        assert!(matches!(why(&out, "d (2339-0)"), Some(Why::NotSame(_))));
        assert!(matches!(why(&out, "d (8302-2)"), Some(Why::NotUsed)));
        assert!(matches!(why(&out, "ped"), Some(Why::NoMapping)));
        assert_eq!(out.subject.as_deref(), Some("Patient/p1"));
        assert_eq!(
            out.basis,
            vec![
                "Observation/bp".to_string(),
                "Observation/b-new".to_string()
            ]
        );
        assert!(why(&out, "Patient.gender").is_none());
    }

    #[test]
    fn units_values_and_population_are_checked() {
        let s = pima();
        // A Patient without id, which its observations name by the Bundle's fullUrl.
        let input = json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "fullUrl": "urn:uuid:p1",
              "resource": { "resourceType": "Patient", "gender": "male", "birthDate": "1990" } },
            { "resource": about(obs("b", "39156-5", 250.0, "kg/m2", "2024-01-01"), "urn:uuid:p1") },
            { "resource": about(obs("d", "8462-4", 11.0, "kPa", "2024-01-01"), "urn:uuid:p1") },
        ] });
        let out = import(&s, &input, TODAY).unwrap();
        assert!(matches!(
            why(&out, "bmi"),
            Some(Why::Rejected(Error::OutOfRange { .. }))
        ));
        assert!(out.basis.is_empty(), "a refused value is not cited");
        assert!(
            matches!(why(&out, "bp"), Some(Why::Unit { got, want }) if got == "kPa" && want == "mm[Hg]")
        );
        assert!(matches!(why(&out, "age"), Some(Why::PartialBirthDate(b)) if b == "1990"));
        assert!(
            matches!(why(&out, "Patient.gender"), Some(Why::Population { got, want }) if got == "male" && want == "female")
        );
        assert!(out.inputs.iter().all(String::is_empty));
        assert!(out.subject.is_none());
    }

    #[test]
    fn not_fhir_is_a_clear_error() {
        let s = pima();
        for (text, msg) in [
            (
                "[1]",
                "expected a FHIR Bundle, Patient or Observation, got no resourceType",
            ),
            (
                r#"{"resourceType": "Claim"}"#,
                "expected a FHIR Bundle, Patient or Observation, got a Claim",
            ),
        ] {
            assert_eq!(
                import_text(&s, text, TODAY).unwrap_err().to_string(),
                format!("FHIR: {msg}")
            );
        }
        assert!(import_text(&s, "{", TODAY)
            .unwrap_err()
            .to_string()
            .starts_with("FHIR: not JSON"));
    }

    #[test]
    fn real_synthea_bundles_import_and_explain_what_they_lack() {
        let s = pima();
        let read = |name: &str| {
            let path = format!("{}/data/fhir/{name}", env!("CARGO_MANIFEST_DIR"));
            import_text(&s, &std::fs::read_to_string(path).unwrap(), TODAY).unwrap()
        };
        let columns = |out: &Imported| {
            out.used
                .iter()
                .map(|u| u.column.clone())
                .collect::<Vec<_>>()
        };
        // A man born in 1945: his blood pressure, BMI and age are used, and the import says
        // that the model was trained on women only.
        let man = read(MAN);
        assert_eq!(columns(&man), vec!["bp", "bmi", "age"]);
        assert!(matches!(
            why(&man, "Patient.gender"),
            Some(Why::Population { .. })
        ));
        assert!(matches!(
            why(&man, "Glucose (2339-0)"),
            Some(Why::NotSame(_))
        ));
        assert!(man.skipped.iter().any(|s| matches!(s.why, Why::NotUsed)));
        // Every observation in these files is the patient's own.
        assert!(!man
            .skipped
            .iter()
            .any(|s| matches!(s.why, Why::OtherSubject(_) | Why::NoSubject)));
        // A girl born in 2009: at 9, her age on her latest visit (2018-11-02), she is outside
        // the ages the model accepts, so her age is refused with the range, not silently used.
        let girl = read(GIRL);
        assert_eq!(columns(&girl), vec!["bp", "bmi"]);
        assert!(
            matches!(why(&girl, "age"), Some(Why::Rejected(Error::OutOfRange { value, .. })) if *value == 9.0)
        );
        assert!(why(&girl, "Patient.gender").is_none());
        let html = report_html(&s, &man, Lang::Zh);
        assert!(html.contains("<p class=\"warning\">患者记录的性别为 male"));
        assert!(html.contains("<li data-field=\"bmi\">体重指数"), "{html}");
        assert!(!html.contains("<script"));
    }

    // The real Synthea Bundles of data/fhir/ (see its README), modified where a test needs it.
    const MAN: &str = "fhiry_afhir_bundle.json";
    const GIRL: &str = "Johnnie679_Hermiston71_2cd30bd6-3a87-4191-af90-6daa70f58f55.json";
    /// How the man's and the girl's observations name them (their Patient entries' fullUrl).
    const MAN_REF: &str = "urn:uuid:5cbc121b-cd71-4428-b8b7-31e53eba8184";
    const GIRL_REF: &str = "urn:uuid:ea877536-55b1-4ec8-a12b-e95594214c01";
    const MAN_ID: &str = "5cbc121b-cd71-4428-b8b7-31e53eba8184";
    /// The man's latest BMI and blood-pressure panel, both of 2019-04-22T07:22:41-04:00.
    const MAN_BMI: &str = "d1e2535e-5c0e-4662-b100-4eafa0137bb8";
    const MAN_BP: &str = "206be29a-a9eb-4536-922c-1b9ee451009c";

    fn synthea(name: &str) -> Json {
        let path = format!("{}/data/fhir/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The resource with this id in a Bundle, to modify.
    fn resource<'a>(bundle: &'a mut Json, id: &str) -> &'a mut Json {
        bundle["entry"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .map(|e| &mut e["resource"])
            .find(|r| r["id"] == id)
            .unwrap()
    }

    /// The ids of a Bundle's observations of `code`, oldest first.
    fn observations_of(bundle: &Json, code: &str) -> Vec<String> {
        let mut found: Vec<(Instant, String)> = bundle["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["resource"])
            .filter(|r| {
                r["resourceType"] == "Observation" && r["code"]["coding"][0]["code"] == code
            })
            .map(|r| {
                let when = Instant::parse(r["effectiveDateTime"].as_str().unwrap()).unwrap();
                (when, r["id"].as_str().unwrap().to_string())
            })
            .collect();
        found.sort();
        found.into_iter().map(|(_, id)| id).collect()
    }

    fn used<'a>(out: &'a Imported, column: &str) -> Option<&'a Used> {
        out.used.iter().find(|u| u.column == column)
    }

    fn input<'a>(s: &Schema, out: &'a Imported, column: &str) -> &'a str {
        &out.inputs[s.feature_index(column).unwrap()]
    }

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn instants_are_compared_in_utc_not_as_text() {
        let at = |t: &str| Instant::parse(t).unwrap();
        // 23:00 in New York is 04:00 the next day in UTC, though its text sorts first.
        assert!(at("2024-01-01T23:00:00-05:00") > at("2024-01-02T01:00:00Z"));
        assert!("2024-01-01T23:00:00-05:00" < "2024-01-02T01:00:00Z");
        assert_eq!(at("2024-01-01T23:00:00-05:00"), at("2024-01-02T04:00:00Z"));
        assert_eq!(at("2024-01-01T23:00:00+14:00"), at("2024-01-01T09:00:00Z"));
        // A partial date is the start of its period; a date the start of its day in UTC.
        assert_eq!(at("2019"), at("2019-01-01T00:00:00Z"));
        assert_eq!(at("2019-04"), at("2019-04-01"));
        assert_eq!(
            at("2019-04-01"),
            Instant {
                seconds: date("2019-04-01").unix_days() * 86_400,
                nanos: 0
            }
        );
        assert_eq!(at("2019-04-22T07:22:41.399-04:00").nanos, 399_000_000);
        assert!(at("2019-04-22T07:22:41.4-04:00") > at("2019-04-22T07:22:41.399-04:00"));
        assert_eq!(
            at("2016-12-31T23:59:60Z"),
            at("2017-01-01T00:00:00Z"),
            "a leap second"
        );
        assert!(Instant::parse("2020-02-29").is_some(), "a leap day");
        for bad in [
            "",
            "0000",
            "2019-4-22",
            "2019-02-29",
            "2020-13-01",
            "2019-04-31",
            "2019-04T07:22:41Z",
            "2019-04-22T07:22:41",
            "2019-04-22T07:22Z",
            "2019-04-22T25:00:00Z",
            "2019-04-22T07:22:41+15:00",
            "2019-04-22T07:22:41.Z",
            "2019-04-22 07:22:41Z",
            "2019-04-22T07:22:41Zjunk",
            "２０１９-04-22",
        ] {
            assert_eq!(Instant::parse(bad), None, "{bad}");
        }
        // A dateTime's date is the one it was written on, in its own time zone.
        assert_eq!(
            Date::parse("2024-01-01T23:00:00-05:00"),
            Some(date("2024-01-01"))
        );
        for days in [-800_000, -1, 0, 17_643, 20_414, 2_932_896] {
            assert_eq!(Date::from_unix_days(days).unix_days(), days);
        }
    }

    #[test]
    fn a_bundle_of_two_patients_is_refused_naming_both() {
        let s = pima();
        let mut merged = synthea(MAN);
        let girl = synthea(GIRL);
        let entries = merged["entry"].as_array_mut().unwrap();
        entries.extend(girl["entry"].as_array().unwrap().iter().cloned());
        let Err(Error::Fhir(m)) = import(&s, &merged, TODAY) else {
            panic!("two patients' records were accepted as one")
        };
        for want in [
            "2 patients",
            &format!("Patient/{MAN_ID}"),
            "Patient/ea877536-55b1-4ec8-a12b-e95594214c01",
            "one patient's record is accepted at a time",
        ] {
            assert!(m.contains(want), "{m}");
        }
        // Without their Patients, the Observations still name two subjects.
        let entries = merged["entry"].as_array_mut().unwrap();
        entries.retain(|e| e["resource"]["resourceType"] != "Patient");
        let Err(Error::Fhir(m)) = import(&s, &merged, TODAY) else {
            panic!("observations of two subjects were accepted as one record")
        };
        for want in [
            "2 different subjects",
            MAN_REF,
            GIRL_REF,
            "one patient's record is accepted at a time",
        ] {
            assert!(m.contains(want), "{m}");
        }
        // One Patient listed twice is still one patient.
        let mut twice = synthea(MAN);
        let patient = resource(&mut twice, MAN_ID).clone();
        let entries = twice["entry"].as_array_mut().unwrap();
        entries.push(json!({ "fullUrl": MAN_REF, "resource": patient }));
        assert!(import(&s, &twice, TODAY).is_ok());
    }

    #[test]
    fn an_observation_about_another_patient_is_not_used() {
        let s = pima();
        let cited = format!("Observation/{MAN_BMI}");
        let mut man = synthea(MAN);
        resource(&mut man, MAN_BMI)["subject"]["reference"] = json!(GIRL_REF);
        let out = import(&s, &man, TODAY).unwrap();
        let bmi = used(&out, "bmi").unwrap();
        assert_ne!(
            bmi.reference.as_ref(),
            Some(&cited),
            "the girl's BMI is not his"
        );
        assert_eq!(
            bmi.date,
            Some(date("2018-04-16")),
            "his own latest BMI instead"
        );
        assert!(!out.basis.contains(&cited));
        let skipped = Skipped {
            what: "Body Mass Index (39156-5)".into(),
            why: Why::OtherSubject(GIRL_REF.into()),
        };
        assert!(out.skipped.contains(&skipped));
        assert!(crate::present::wording::skipped_text(&skipped, &s, Lang::En).contains(GIRL_REF));
        assert!(crate::present::wording::skipped_text(&skipped, &s, Lang::Zh).contains("另一对象"));
        // One that names no subject cannot be verified to be his, so it is not used either.
        let mut man = synthea(MAN);
        let bmi = resource(&mut man, MAN_BMI).as_object_mut().unwrap();
        bmi.remove("subject");
        let out = import(&s, &man, TODAY).unwrap();
        assert_eq!(used(&out, "bmi").unwrap().date, Some(date("2018-04-16")));
        assert!(!out.basis.contains(&cited));
        assert!(out
            .skipped
            .iter()
            .any(|k| k.what == "Body Mass Index (39156-5)" && k.why == Why::NoSubject));
    }

    #[test]
    fn the_patient_is_recognised_by_full_url_and_by_relative_or_absolute_reference() {
        let s = pima();
        let cited = Some(format!("Observation/{MAN_BMI}"));
        for reference in [
            MAN_REF.to_string(),
            format!("Patient/{MAN_ID}"),
            format!("https://fhir.example.org/r4/Patient/{MAN_ID}"),
            format!("Patient/{MAN_ID}/_history/3"),
        ] {
            let mut man = synthea(MAN);
            resource(&mut man, MAN_BMI)["subject"]["reference"] = json!(reference);
            let out = import(&s, &man, TODAY).unwrap();
            assert_eq!(used(&out, "bmi").unwrap().reference, cited, "{reference}");
        }
        for other in [
            "Patient/someone-else".to_string(),
            format!("Group/{MAN_ID}"),
            format!("https://fhir.example.org/r4/NotPatient/{MAN_ID}"),
            "#p1".to_string(),
        ] {
            let mut man = synthea(MAN);
            resource(&mut man, MAN_BMI)["subject"]["reference"] = json!(other);
            let out = import(&s, &man, TODAY).unwrap();
            assert_ne!(used(&out, "bmi").unwrap().reference, cited, "{other}");
            assert!(
                out.skipped
                    .iter()
                    .any(|k| k.why == Why::OtherSubject(other.clone())),
                "{other}"
            );
        }
    }

    #[test]
    fn a_lone_observation_names_its_subject() {
        let s = pima();
        let bmi = resource(&mut synthea(MAN), MAN_BMI).clone();
        let out = import(&s, &bmi, TODAY).unwrap();
        assert_eq!(out.subject.as_deref(), Some(MAN_REF));
        assert!(out.patient.is_none());
        assert_eq!(out.basis, vec![format!("Observation/{MAN_BMI}")]);
        assert!(matches!(why(&out, "age"), Some(Why::NoData)));
        assert!(report_json(&s, &out, Lang::En)["record"].is_null());
    }

    #[test]
    fn a_bound_is_not_a_measurement_and_no_older_reading_stands_in_for_it() {
        let s = pima();
        let mut man = synthea(MAN);
        resource(&mut man, MAN_BMI)["valueQuantity"]["comparator"] = json!(">");
        let out = import(&s, &man, TODAY).unwrap();
        assert_eq!(
            input(&s, &out, "bmi"),
            "",
            "neither the bound as if measured nor his BMI of 2018"
        );
        assert!(used(&out, "bmi").is_none());
        let bound = why(&out, "bmi").unwrap().clone();
        assert!(
            matches!(&bound, Why::Bound { comparator, value, unit } if comparator == ">" && *value == 27.831524855627176 && unit == "kg/m2")
        );
        for id in observations_of(&man, "39156-5") {
            assert!(!out.basis.contains(&format!("Observation/{id}")));
        }
        let skipped = Skipped {
            what: "bmi".into(),
            why: bound,
        };
        assert_eq!(
            crate::present::wording::skipped_text(&skipped, &s, Lang::En),
            "reported as > 27.831524855627176 kg/m2: a bound, not a measured value; the current \
             value is unknown, so older readings are not used either"
        );
        assert!(
            crate::present::wording::skipped_text(&skipped, &s, Lang::Zh)
                .starts_with("报告为 > 27.831524855627176 kg/m2：这是界限值，不是测量值")
        );
        assert!(report_html(&s, &out, Lang::En).contains("reported as &gt; 27.831524855627176"));
    }

    #[test]
    fn the_latest_reading_is_the_latest_instant_not_the_latest_text() {
        let s = pima();
        let bmis = observations_of(&synthea(MAN), "39156-5");
        let set = |man: &mut Json, id: &str, when: &str, value: f64| {
            let r = resource(man, id);
            r["effectiveDateTime"] = json!(when);
            r["valueQuantity"]["value"] = json!(value);
        };
        let bmi_of = |man: &Json| {
            let out = import(&s, man, TODAY).unwrap();
            let u = used(&out, "bmi").unwrap();
            (u.value.clone(), u.date)
        };
        let mut man = synthea(MAN);
        set(&mut man, &bmis[0], "2024-01-01T23:00:00-05:00", 29.5);
        set(&mut man, &bmis[1], "2024-01-02T01:00:00Z", 31.0);
        assert_eq!(
            bmi_of(&man),
            ("29.5".to_string(), Some(date("2024-01-01"))),
            "04:00 UTC is after 01:00 UTC; the date is the one the record shows"
        );
        // At the same instant, the later report wins.
        let mut tie = man.clone();
        set(&mut tie, &bmis[2], "2024-01-02T04:00:00Z", 30.5);
        resource(&mut tie, &bmis[2])["issued"] = json!("2024-01-03T09:00:00Z");
        assert_eq!(bmi_of(&tie).0, "30.5");
        // A time without its zone is no instant: that reading ranks below every dated one.
        let mut undated = synthea(MAN);
        set(&mut undated, &bmis[0], "2030-01-01T10:00:00", 40.0);
        assert_eq!(bmi_of(&undated).1, Some(date("2019-04-22")));
        // effectivePeriod's end, else `issued`, when there is no effectiveDateTime.
        let mut period = synthea(MAN);
        set(&mut period, &bmis[0], "", 33.0);
        let r = resource(&mut period, &bmis[0]).as_object_mut().unwrap();
        r.remove("effectiveDateTime");
        r.insert(
            "effectivePeriod".into(),
            json!({ "start": "2020-01-01T08:00:00Z", "end": "2020-01-01T09:00:00Z" }),
        );
        assert_eq!(
            bmi_of(&period),
            ("33".to_string(), Some(date("2020-01-01")))
        );
        let mut issued = synthea(MAN);
        set(&mut issued, &bmis[0], "", 34.0);
        let r = resource(&mut issued, &bmis[0]).as_object_mut().unwrap();
        r.remove("effectiveDateTime");
        r.insert("issued".into(), json!("2021-05-05T10:00:00Z"));
        assert_eq!(
            bmi_of(&issued),
            ("34".to_string(), Some(date("2021-05-05")))
        );
    }

    #[test]
    fn the_age_is_taken_on_the_date_of_the_latest_observation_used_not_today() {
        let s = pima();
        let out = import(&s, &synthea(MAN), TODAY).unwrap();
        let age = used(&out, "age").unwrap();
        assert_eq!(
            age.value, "73",
            "born 1945-12-10: 73 on 2019-04-22, 80 on TODAY"
        );
        assert_eq!(
            age.source,
            "Patient.birthDate 1945-12-10, age on 2019-04-22"
        );
        assert_eq!(age.date, Some(date("2019-04-22")));
        assert_eq!(age.reference, Some(format!("Patient/{MAN_ID}")));
        // A refused observation does not set the date: a BMI of 2023 out of range.
        let mut man = synthea(MAN);
        let r = resource(&mut man, MAN_BMI);
        r["effectiveDateTime"] = json!("2023-01-01T08:00:00Z");
        r["valueQuantity"]["value"] = json!(250);
        let out = import(&s, &man, TODAY).unwrap();
        assert_eq!(used(&out, "age").unwrap().value, "73");
        // With no observation used, the age is taken today, and says so.
        let mut man = synthea(MAN);
        let entries = man["entry"].as_array_mut().unwrap();
        entries.retain(|e| e["resource"]["resourceType"] != "Observation");
        let out = import(&s, &man, TODAY).unwrap();
        let age = used(&out, "age").unwrap();
        assert_eq!(age.value, "80");
        assert_eq!(
            age.source,
            "Patient.birthDate 1945-12-10, age on 2026-11-22 (today)"
        );
        assert_eq!(age.date, Some(TODAY));
    }

    #[test]
    fn old_readings_are_used_but_flagged_with_their_age_in_both_languages() {
        let s = pima();
        let man = synthea(MAN);
        let out = import(&s, &man, TODAY).unwrap();
        let days = TODAY.unix_days() - date("2019-04-22").unix_days();
        assert_eq!(days, 2771);
        let stale = |out: &Imported, c: &str| used(out, c).unwrap().stale;
        assert_eq!(
            stale(&out, "bp"),
            Some(Stale {
                days,
                max_days: 180
            }),
            "pima allows a blood pressure of up to 180 days"
        );
        assert_eq!(
            stale(&out, "bmi"),
            Some(Stale {
                days,
                max_days: 365
            })
        );
        assert_eq!(stale(&out, "age"), None, "an age is not a reading");
        assert_eq!(input(&s, &out, "bp"), "87.58584140488502", "still used");
        let json = report_json(&s, &out, Lang::En);
        let item = |c: &str| {
            json["used"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["field"] == c)
                .unwrap()
                .clone()
        };
        let bp = item("bp");
        assert_eq!(bp["stale_days"], 2771);
        assert_eq!(bp["max_age_days"], 180);
        assert_eq!(bp["date"], "2019-04-22");
        assert_eq!(bp["reference"], format!("Observation/{MAN_BP}"));
        let en = "old reading: measured 2\u{a0}771 days ago; this model asks for readings from \
                  the last 180 days";
        assert_eq!(bp["warning"], en);
        assert!(item("age")["stale_days"].is_null());
        assert!(item("age")["warning"].is_null());
        assert!(report_html(&s, &out, Lang::En)
            .contains(&format!("<strong class=\"stale\">{en}</strong>")));
        assert!(report_html(&s, &out, Lang::Zh)
            .contains("旧读数：测量于 2771 天前；本模型要求使用最近 180 天内的读数"));
        // Recent enough, nothing is flagged; between the two limits, only the blood pressure.
        let out = import(&s, &man, date("2019-06-01")).unwrap();
        assert!(out.used.iter().all(|u| u.stale.is_none()));
        let out = import(&s, &man, date("2019-12-01")).unwrap();
        assert_eq!(
            stale(&out, "bp"),
            Some(Stale {
                days: 223,
                max_days: 180
            })
        );
        assert_eq!(stale(&out, "bmi"), None);
    }

    #[test]
    fn an_out_of_range_observation_is_not_cited() {
        let s = pima();
        let mut man = synthea(MAN);
        resource(&mut man, MAN_BMI)["valueQuantity"]["value"] = json!(250.0);
        let out = import(&s, &man, TODAY).unwrap();
        assert!(matches!(
            why(&out, "bmi"),
            Some(Why::Rejected(Error::OutOfRange { .. }))
        ));
        assert!(used(&out, "bmi").is_none());
        assert_eq!(
            out.basis,
            vec![format!("Observation/{MAN_BP}")],
            "only the blood pressure was used"
        );
        assert_eq!(
            used(&out, "bp").unwrap().reference,
            Some(format!("Observation/{MAN_BP}"))
        );
    }

    #[test]
    fn the_record_says_who_the_patient_is() {
        let s = pima();
        let man = import(&s, &synthea(MAN), TODAY).unwrap();
        assert_eq!(
            man.patient,
            Some(PatientInfo {
                reference: Some(format!("Patient/{MAN_ID}")),
                id: Some(MAN_ID.into()),
                name: Some("Aaron697 Brekke496".into()),
                birth_date: Some("1945-12-10".into()),
            })
        );
        assert_eq!(
            report_json(&s, &man, Lang::En)["record"],
            json!({ "reference": format!("Patient/{MAN_ID}"), "id": MAN_ID,
                "name": "Aaron697 Brekke496", "birth_date": "1945-12-10" })
        );
        assert!(report_html(&s, &man, Lang::En).contains(&format!(
            "<p id=\"fhir-record\">Record: Aaron697 Brekke496, born 1945-12-10, Patient/{MAN_ID}</p>"
        )));
        assert!(report_html(&s, &man, Lang::Zh).contains(&format!(
            "<p id=\"fhir-record\">病历：Aaron697 Brekke496，出生日期 1945-12-10，Patient/{MAN_ID}</p>"
        )));
        let girl = import(&s, &synthea(GIRL), TODAY).unwrap().patient.unwrap();
        assert_eq!(girl.name.as_deref(), Some("Johnnie679 Hermiston71"));
        assert_eq!(girl.birth_date.as_deref(), Some("2009-03-20"));
        // The official name is preferred to the first; a name of text alone is shown as written.
        let name_of = |names: Json| {
            let mut man = synthea(MAN);
            resource(&mut man, MAN_ID)["name"] = names;
            import(&s, &man, TODAY).unwrap().patient.unwrap().name
        };
        assert_eq!(
            name_of(json!([{ "use": "usual", "given": ["Bob"] },
                { "use": "official", "family": "Brekke", "given": ["Aaron", "James"] }])),
            Some("Aaron James Brekke".into())
        );
        assert_eq!(
            name_of(json!([{ "text": "Mr Aaron Brekke" }])),
            Some("Mr Aaron Brekke".into())
        );
        assert_eq!(name_of(json!([])), None);
    }

    #[test]
    fn a_schema_limits_the_age_of_readings_only_for_observations_and_to_at_least_a_day() {
        let path = format!("{}/data/pima.schema.toml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let bp = pima().feature("bp").unwrap().fhir.clone().unwrap();
        assert_eq!(bp.max_age_days, Some(180));
        for (from, to, want) in [
            (
                "fhir = { birth_date = true }",
                "fhir = { birth_date = true, max_age_days = 30 }",
                "`max_age_days` applies only to observations",
            ),
            (
                "max_age_days = 180",
                "max_age_days = 0",
                "`max_age_days` must be at least 1",
            ),
        ] {
            assert!(text.contains(from));
            let e = Schema::from_toml(&text.replace(from, to)).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
    }

    /// indo_rct's schema and rule file, as shipped.
    fn indo() -> (Schema, RuleSet) {
        let schema = crate::contract::schema::tests::shipped("indo_rct");
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/indo_rct.rules.toml"
        ))
        .unwrap();
        let rules = RuleSet::from_toml(&text, &schema).unwrap();
        (schema, rules)
    }

    fn question(rules: &RuleSet, id: &str) -> usize {
        rules.inputs.iter().position(|q| q.id == id).unwrap()
    }

    #[test]
    fn the_record_answers_questions_it_holds_codes_for_and_leaves_the_rest_unasked() {
        let (schema, rules) = indo();
        let allergy = json!({
            "resourceType": "AllergyIntolerance", "id": "al1",
            "clinicalStatus": { "coding": [{ "code": "active" }] },
            "verificationStatus": { "coding": [{ "code": "confirmed" }] },
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "293586001", "display": "Allergy to aspirin" }] },
            "patient": { "reference": "Patient/p1" }, "recordedDate": "2024-03-01"
        });
        // A past peptic ulcer counts (ICD-10-CM, dotted code under K27*).
        let ulcer = json!({
            "resourceType": "Condition", "id": "c1",
            "clinicalStatus": { "coding": [{ "code": "resolved" }] },
            "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "K27.9", "display": "Peptic ulcer" }] },
            "subject": { "reference": "Patient/p1" }
        });
        // Heart failure counts only when active: a resolved one is not a "yes".
        let old_hf = json!({
            "resourceType": "Condition", "id": "c2",
            "clinicalStatus": { "coding": [{ "code": "resolved" }] },
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "84114007" }] },
            "subject": { "reference": "Patient/p1" }
        });
        // Refuted: never a "yes".
        let refuted = json!({
            "resourceType": "Condition", "id": "c3",
            "verificationStatus": { "coding": [{ "code": "refuted" }] },
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "709044004" }] },
            "subject": { "reference": "Patient/p1" }
        });
        // Someone else's cirrhosis: not used, and said so.
        let other = json!({
            "resourceType": "Condition", "id": "c4",
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "19943007" }] },
            "subject": { "reference": "Patient/p2" }
        });
        let input = bundle(vec![
            json!({ "resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01" }),
            allergy,
            ulcer,
            old_hf,
            refuted,
            other,
        ]);
        let out = import_with_rules(&schema, &rules, &input, TODAY).unwrap();
        assert_eq!(out.answers.len(), rules.inputs.len());
        let nsaid = out.answers[question(&rules, "nsaid_hypersensitivity")]
            .as_ref()
            .unwrap();
        assert_eq!(nsaid.reference.as_deref(), Some("AllergyIntolerance/al1"));
        assert!(
            nsaid
                .source
                .contains("Allergy to aspirin (SNOMED CT 293586001)"),
            "{}",
            nsaid.source
        );
        assert!(nsaid.source.contains("confirmed") && nsaid.source.contains("2024-03-01"));
        let ulcer = out.answers[question(&rules, "peptic_ulcer")]
            .as_ref()
            .unwrap();
        assert_eq!(ulcer.reference.as_deref(), Some("Condition/c1"));
        for id in [
            "heart_failure",
            "renal_impairment",
            "hepatic_impairment",
            "third_trimester",
        ] {
            assert!(
                out.answers[question(&rules, id)].is_none(),
                "{id}: not asked"
            );
        }
        assert!(out
            .skipped
            .iter()
            .any(|s| s.what == "Condition/c4" && s.why == Why::OtherSubject("Patient/p2".into())));
        // Without rules (the plain import) nothing is answered.
        assert!(import(&schema, &input, TODAY).unwrap().answers.is_empty());
    }

    #[test]
    fn a_launch_asks_for_the_panels_that_carry_a_code_and_checks_whose_record_came_back() {
        let q = queries(&pima(), &RuleSet::default());
        assert!(q
            .observation_codes
            .contains(&"http://loinc.org|8462-4".to_string()));
        assert!(q
            .observation_codes
            .contains(&"http://loinc.org|85354-9".to_string()));
        assert!(q.resources.is_empty());
        let (schema, rules) = indo();
        let q = queries(&schema, &rules);
        assert_eq!(q.resources, vec!["AllergyIntolerance", "Condition"]);
        let input = bundle(vec![json!({ "resourceType": "Patient", "id": "p1" })]);
        let out = import(&pima(), &input, TODAY).unwrap();
        assert!(check_launched(&out, "p1").is_ok());
        let e = check_launched(&out, "p9").unwrap_err().to_string();
        assert!(e.contains("Patient/p1") && e.contains("Patient/p9"), "{e}");
        let none = import(&pima(), &bundle(vec![]), TODAY).unwrap();
        assert!(check_launched(&none, "p1").is_err());
    }

    #[test]
    fn a_rule_file_names_known_code_systems_and_uses_stars_only_where_codes_nest() {
        let (schema, _) = indo();
        let base = r#"
[[inputs]]
id = "q"
label = { en = "Q?", zh = "问？" }
record = [{ resource = "Condition", system = "SYSTEM", codes = [CODES] }]
"#;
        for (system, codes, want) in [
            ("http://example.org/x", "\"1\"", "is not one of"),
            ("http://snomed.info/sct", "\"1234*\"", "not hierarchical"),
            ("http://snomed.info/sct", "", "at least one code"),
            ("http://snomed.info/sct", "\"a b\"", "is not a code"),
        ] {
            let text = base.replace("SYSTEM", system).replace("CODES", codes);
            let e = RuleSet::from_toml(&text, &schema).unwrap_err().to_string();
            assert!(e.contains(want), "{system} {codes}: {e}");
        }
        let ok = base
            .replace("SYSTEM", "http://hl7.org/fhir/sid/icd-10")
            .replace("CODES", "\"K25*\"");
        assert!(RuleSet::from_toml(&ok, &schema).is_ok());
    }
}
