//! The health-management view: each value the clinician has entered, against the schema's
//! cited normal range, with the abnormal ones marked by a symbol and in words (never by colour
//! alone).
//!
//! Only entered values are judged. An imputed value is the training data's, not the patient's,
//! so it is listed as not entered; a measurement without a cited normal range says so rather
//! than borrowing one. Rendered as escaped HTML text in the core, like the treatment panel, so
//! the view is covered by `cargo test` and costs the app no virtual-DOM code.

use std::borrow::Cow;
use std::fmt::Write;

use crate::clinical::assess::{side_of, Side};
use crate::contract::patient::{parse_value, Value};
use crate::contract::schema::{Feature, Interval, Kind, Lang, Schema};
use crate::present::ui::Msg;
use crate::present::wording::{error_text, range_text};
use crate::util::html::esc;

/// Where one entered value stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Blank in the form.
    NotEntered,
    /// Not accepted (not a number, outside the plausible range…): the message, in words.
    Invalid(String),
    /// Inside the cited normal range.
    Normal,
    /// Below it.
    Low,
    /// Above it.
    High,
    /// Entered and valid, but the schema cites no normal range for it.
    NoRange,
}

impl Status {
    /// A stable name for the DOM and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Status::NotEntered => "not-entered",
            Status::Invalid(_) => "invalid",
            Status::Normal => "normal",
            Status::Low => "low",
            Status::High => "high",
            Status::NoRange => "no-range",
        }
    }

    /// Whether the value is outside its normal range.
    pub fn abnormal(&self) -> bool {
        matches!(self, Status::Low | Status::High)
    }
}

/// One measurement of the view.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    /// The schema feature (numeric), in the unit shown.
    pub feature: Cow<'a, Feature>,
    /// The entered value, when valid.
    pub value: Option<f64>,
    /// Where it stands.
    pub status: Status,
}

/// Every numeric feature of `schema` against its normal range, from the form's texts in the
/// schema's units (schema order); shown in the second unit where `second` and the schema
/// declares one. Each bound is inclusive or exclusive as the schema's source states it ("< 140
/// mg/dL": 139.5 is normal, 140 is above), judged by [`side_of`] as the flags in the
/// assessment are.
pub fn rows<'a>(schema: &'a Schema, inputs: &[String], lang: Lang, second: bool) -> Vec<Row<'a>> {
    let texts = if second {
        crate::clinical::form::switch_units(schema, inputs, true)
    } else {
        inputs.to_vec()
    };
    // The texts as the form passes them on: blank is absent, a non-number stays text.
    let typed = crate::clinical::form::to_json(schema, &texts);
    schema
        .features
        .iter()
        .filter_map(|feature| {
            let raw = typed.get(&feature.column);
            let feature = crate::clinical::form::shown(feature, second);
            let Kind::Numeric { reference, .. } = &feature.kind else {
                return None;
            };
            let reference = reference.clone();
            let Some(raw) = raw else {
                return Some(Row {
                    feature,
                    value: None,
                    status: Status::NotEntered,
                });
            };
            let (value, status) = match parse_value(&feature, raw) {
                Err(e) => (None, Status::Invalid(error_text(&e, Some(schema), lang))),
                Ok(Some(Value::Number(v))) => {
                    let status = match reference.map(|r| side_of(&r.interval(), v)) {
                        None => Status::NoRange,
                        Some(Some(Side::Low)) => Status::Low,
                        Some(Some(Side::High)) => Status::High,
                        Some(None) => Status::Normal,
                    };
                    (Some(v), status)
                }
                Ok(_) => (None, Status::NotEntered),
            };
            Some(Row {
                feature,
                value,
                status,
            })
        })
        .collect()
}

/// A small scale: the plausible range as the track, the normal range shaded, a mark at the
/// value. Decorative beside the words, so hidden from screen readers. An exclusive bound is
/// shaded to the same point as an inclusive one (the excluded point has no width); which side
/// a value on the bound falls is said in words and by ▲/▼.
fn gauge(plausible: (f64, f64), normal: Option<&Interval>, value: f64) -> String {
    let (lo, hi) = plausible;
    let span = (hi - lo).max(f64::EPSILON);
    let x = |v: f64| ((v - lo) / span).clamp(0.0, 1.0) * 120.0;
    let mut svg = String::from(
        "<svg class=\"gauge\" viewBox=\"0 0 120 14\" width=\"120\" height=\"14\" aria-hidden=\"true\" focusable=\"false\">\
         <rect class=\"track\" x=\"0\" y=\"5\" width=\"120\" height=\"4\" rx=\"2\"/>",
    );
    if let Some(n) = normal {
        let a = x(n.min.unwrap_or(lo));
        let b = x(n.max.unwrap_or(hi));
        let _ = write!(
            svg,
            "<rect class=\"normal\" x=\"{a:.1}\" y=\"3\" width=\"{:.1}\" height=\"8\" rx=\"2\"/>",
            (b - a).max(1.0)
        );
    }
    let _ = write!(
        svg,
        "<rect class=\"mark\" x=\"{:.1}\" y=\"0\" width=\"3\" height=\"14\"/></svg>",
        (x(value) - 1.5).clamp(0.0, 117.0)
    );
    svg
}

/// For a published risk equation, the patient's risk at the top of the view, beside the same
/// person with optimal risk factors (the health-management reading of the values below it);
/// empty for other bundles. `risk` is `(patient, comparison)`; `None` until the form is
/// complete.
pub fn risk_html(bundle: &crate::bundle::Bundle, risk: Option<(f64, f64)>, lang: Lang) -> String {
    use crate::present::risk::per_100;
    let Some(p) = &bundle.published else {
        return String::new();
    };
    let title = bundle.schema.title.get(lang);
    let body = match (risk, lang) {
        (None, Lang::En) => "Enter every value on the Assess tab to see the risk here.".to_string(),
        (None, Lang::Zh) => "在“评估”页填写全部数值后，此处显示风险。".to_string(),
        (Some((r, c)), Lang::En) => format!(
            "<strong id=\"health-risk-value\" data-probability=\"{r}\">{} ({:.1} %)</strong>. For comparison, {}: {}.",
            esc(&per_100(r, lang)),
            r * 100.0,
            esc(p.card.optimal.get(lang)),
            esc(&per_100(c, lang))
        ),
        (Some((r, c)), Lang::Zh) => format!(
            "<strong id=\"health-risk-value\" data-probability=\"{r}\">{}（{:.1} %）</strong>。作为对比，{}：{}。",
            esc(&per_100(r, lang)),
            r * 100.0,
            esc(p.card.optimal.get(lang)),
            esc(&per_100(c, lang))
        ),
    };
    let note = match lang {
        Lang::En => "From a published equation; decision support, not a diagnosis. The values below are read against their normal ranges.",
        Lang::Zh => "来自已发表的方程；仅供决策支持，不构成诊断。下方各数值与其正常范围对照。",
    };
    format!(
        "<section class=\"card health-risk\" id=\"health-risk\" aria-labelledby=\"health-risk-h\"><h2 id=\"health-risk-h\">{}</h2><p>{body}</p><p class=\"muted small\">{}</p></section>",
        esc(title),
        esc(note)
    )
}

/// The view as escaped HTML (inputs in the schema's units; see [`rows`]).
pub fn html(schema: &Schema, inputs: &[String], lang: Lang, second: bool) -> String {
    let rows = rows(schema, inputs, lang, second);
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"card health\" id=\"health\" aria-labelledby=\"health-h\"><h2 id=\"health-h\">{}</h2><p class=\"muted\">{}</p>",
        esc(Msg::HealthHeading.text(lang)),
        esc(Msg::HealthIntro.text(lang))
    );
    let entered = rows.iter().filter(|r| r.value.is_some()).count();
    let abnormal = rows.iter().filter(|r| r.status.abnormal()).count();
    let summary = match lang {
        Lang::En => format!(
            "{abnormal} of {entered} entered value{} outside the normal range.",
            if entered == 1 { " is" } else { "s are" }
        ),
        Lang::Zh => format!("已填写的 {entered} 项中，{abnormal} 项超出正常范围。"),
    };
    let _ = write!(
        out,
        "<p class=\"health-summary\" id=\"health-summary\" data-abnormal=\"{abnormal}\" data-entered=\"{entered}\">{}</p>",
        esc(&summary)
    );
    let _ = write!(
        out,
        "<table class=\"health-table\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\"><span class=\"sr-only\">{}</span></th></tr></thead><tbody>",
        esc(Msg::HealthMeasure.text(lang)),
        esc(Msg::HealthValue.text(lang)),
        esc(Msg::HealthNormal.text(lang)),
        esc(Msg::HealthStatus.text(lang)),
        esc(Msg::HealthScale.text(lang)),
    );
    for row in &rows {
        let Kind::Numeric {
            unit,
            plausible,
            reference,
            ..
        } = &row.feature.kind
        else {
            continue;
        };
        let value = row.value.map_or_else(
            || "—".to_string(),
            |v| {
                if unit.is_empty() {
                    v.to_string()
                } else {
                    format!("{v} {unit}")
                }
            },
        );
        let normal = reference.as_ref().map_or_else(
            || {
                format!(
                    "<span class=\"muted\">{}</span>",
                    esc(Msg::HealthNoRange.text(lang))
                )
            },
            |r| {
                format!(
                    "{}<br><span class=\"source\">{}</span>",
                    esc(&range_text(&r.interval(), unit, lang)),
                    esc(&r.source)
                )
            },
        );
        let status = match &row.status {
            Status::NotEntered => esc(Msg::HealthNotEntered.text(lang)),
            Status::Invalid(message) => esc(message),
            Status::Normal => format!("✓ {}", esc(Msg::HealthInRange.text(lang))),
            Status::Low => format!("▼ {}", esc(Msg::BelowNormal.text(lang))),
            Status::High => format!("▲ {}", esc(Msg::AboveNormal.text(lang))),
            Status::NoRange => esc(Msg::HealthUnjudged.text(lang)),
        };
        let scale = match row.value {
            Some(v) if matches!(row.status, Status::Normal | Status::Low | Status::High) => gauge(
                (plausible.min, plausible.max),
                reference.as_ref().map(|r| r.interval()).as_ref(),
                v,
            ),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr data-field=\"{}\" data-status=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td><span class=\"status {}\">{}</span></td><td>{}</td></tr>",
            esc(&row.feature.column),
            row.status.code(),
            esc(row.feature.label.get(lang)),
            esc(&value),
            normal,
            row.status.code(),
            status,
            scale
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pima() -> Schema {
        crate::contract::schema::tests::shipped("pima")
    }

    /// Form texts for pima, by column.
    fn inputs(schema: &Schema, values: &[(&str, &str)]) -> Vec<String> {
        schema
            .features
            .iter()
            .map(|f| {
                values
                    .iter()
                    .find(|(c, _)| *c == f.column)
                    .map_or(String::new(), |(_, v)| v.to_string())
            })
            .collect()
    }

    fn status_of(rows: &[Row], column: &str) -> Status {
        rows.iter()
            .find(|r| r.feature.column == column)
            .unwrap()
            .status
            .clone()
    }

    #[test]
    fn values_are_judged_against_each_bound_as_the_source_states_it() {
        let s = pima();
        // glu: normal < 140 (ADA); bp: < 80 (ACC/AHA); bmi: ≥ 18.5 and < 25 (WHO 18.5–24.9);
        // npreg has no cited range.
        let judged = |values: &[(&str, &str)]| rows(&s, &inputs(&s, values), Lang::En, false);
        let on_the_normal_side = judged(&[
            ("glu", "139.5"),
            ("bp", "79.5"),
            ("bmi", "24.95"),
            ("npreg", "3"),
        ]);
        assert_eq!(status_of(&on_the_normal_side, "glu"), Status::Normal);
        assert_eq!(status_of(&on_the_normal_side, "bp"), Status::Normal);
        assert_eq!(status_of(&on_the_normal_side, "bmi"), Status::Normal);
        assert_eq!(status_of(&on_the_normal_side, "npreg"), Status::NoRange);
        assert_eq!(status_of(&on_the_normal_side, "age"), Status::NotEntered);
        // An exclusive bound is itself outside.
        let on_the_bound = judged(&[("glu", "140"), ("bp", "80"), ("bmi", "25")]);
        assert_eq!(status_of(&on_the_bound, "glu"), Status::High);
        assert_eq!(status_of(&on_the_bound, "bp"), Status::High);
        assert_eq!(status_of(&on_the_bound, "bmi"), Status::High);
        // An inclusive bound is itself inside.
        assert_eq!(
            status_of(&judged(&[("bmi", "18.5")]), "bmi"),
            Status::Normal
        );
        assert_eq!(status_of(&judged(&[("bmi", "18.4")]), "bmi"), Status::Low);
    }

    #[test]
    fn the_normal_column_states_each_bound_as_the_source_does_in_both_languages() {
        let s = pima();
        let form = inputs(&s, &[("glu", "120"), ("bp", "70"), ("bmi", "22")]);
        let en = html(&s, &form, Lang::En, false);
        assert!(en.contains("&lt; 140 mg/dL<br>"), "{en}");
        assert!(en.contains("&lt; 80 mmHg<br>"), "{en}");
        assert!(en.contains("≥ 18.5 and &lt; 25 kg/m²<br>"), "{en}");
        let zh = html(&s, &form, Lang::Zh, false);
        assert!(zh.contains("≥ 18.5 且 &lt; 25 kg/m²<br>"), "{zh}");
        assert!(zh.contains("&lt; 140 mg/dL<br>"), "{zh}");
    }

    #[test]
    fn in_si_units_the_strict_glucose_bound_stays_strict() {
        // < 140 mg/dL × 0.0555 is < 7.77 mmol/L: 7.77 is on the excluded bound, 7.76 under it.
        let s = pima();
        let si = |mg_dl: &str| rows(&s, &inputs(&s, &[("glu", mg_dl)]), Lang::En, true);
        // The form keeps values in mg/dL; 140 mg/dL shows as 7.77 mmol/L.
        let on_bound = si("140");
        let glu = on_bound.iter().find(|r| r.feature.column == "glu").unwrap();
        assert_eq!((glu.value, &glu.status), (Some(7.77), &Status::High));
        assert_eq!(
            status_of(&si("139.82"), "glu"),
            Status::Normal,
            "7.76 mmol/L"
        );
    }

    #[test]
    fn invalid_values_say_why_and_are_not_judged() {
        let s = pima();
        let rows = rows(
            &s,
            &inputs(&s, &[("glu", "948"), ("bp", "abc")]),
            Lang::En,
            false,
        );
        let Status::Invalid(m) = status_of(&rows, "glu") else {
            panic!()
        };
        assert!(
            m.contains("outside the plausible range 20–600 mg/dL"),
            "{m}"
        );
        assert!(matches!(status_of(&rows, "bp"), Status::Invalid(_)));
        assert!(
            rows.iter().all(|r| r.feature.column != "type"),
            "only measurements"
        );
    }

    #[test]
    fn the_view_marks_abnormal_values_in_words_in_both_languages() {
        let s = pima();
        let form = inputs(&s, &[("glu", "150"), ("bp", "70"), ("bmi", "<b>")]);
        let en = html(&s, &form, Lang::En, false);
        assert!(en.contains("data-field=\"glu\" data-status=\"high\""));
        assert!(en.contains("▲ above the normal range"));
        assert!(en.contains("data-field=\"bp\" data-status=\"normal\""));
        assert!(en.contains("1 of 2 entered values are outside the normal range."));
        assert!(
            en.contains("ADA Standards of Care"),
            "the range's source is shown"
        );
        assert!(!en.contains("<b>"), "typed text is escaped");
        let zh = html(&s, &form, Lang::Zh, false);
        assert!(zh.contains("▲ 高于正常范围"));
        assert!(zh.contains("已填写的 2 项中，1 项超出正常范围。"));
        assert!(zh.contains("口服 75 克葡萄糖后 2 小时血浆葡萄糖"));
        // In SI units: 150 mg/dL is 8.325 mmol/L, above < 7.77 (140 mg/dL × 0.0555, the
        // schema's factor; the ADA's own "< 7.8" is that rounded), still a strict bound.
        let si = html(&s, &form, Lang::En, true);
        assert!(si.contains("8.325 mmol/L"), "{si}");
        assert!(si.contains("&lt; 7.77 mmol/L"), "{si}");
        assert!(si.contains("data-field=\"glu\" data-status=\"high\""));
    }
}
