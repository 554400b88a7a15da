//! The treatment suggestions as HTML text, in either language: one treatment option with its
//! basis, one guideline rule with its citation, and the downloadable report.
//!
//! Why text rather than components: the same markup serves the panel (as static content around
//! the interactive controls) and the exported report, and building a string is a fraction of
//! the WASM that the equivalent virtual-DOM code costs. Everything from a bundle or the user is
//! escaped ([`esc`]), so a hostile bundle or reason cannot inject markup.

use std::fmt::Write;

use crate::bundle::Bundle;
use crate::clinical::assess::Assessment;
use crate::clinical::treatment::decision::{Decision, Verdict};
use crate::clinical::treatment::suggest::{Suggestions, TreatmentOption};
use crate::contract::schema::{Kind, Lang, Text};
use crate::guidance::rules::{Effect, RuleOutcome, Status};
use crate::present::ui::Msg;
use crate::present::wording::{
    arm_rate_text, bootstrap_text, case_evidence_text, censored_text, modelled_risk_text,
    risk_difference_text,
};
use crate::util::html::esc;

/// `<p class="{class}">{text}</p>`, escaped.
fn para(out: &mut String, class: &str, text: &str) {
    let _ = write!(out, "<p class=\"{class}\">{}</p>", esc(text));
}

/// The colon and full stop of `lang` (Chinese text uses full-width ones).
fn punctuation(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::En => (": ", "."),
        Lang::Zh => ("：", "。"),
    }
}

fn names(list: &[Text], lang: Lang) -> String {
    list.iter()
        .map(|t| t.get(lang))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One rule: recommendation, strength, citation, what fired it, contraindications.
pub fn rule_html(r: &RuleOutcome, lang: Lang) -> String {
    let status = match r.status {
        Status::Fired => "fired",
        Status::Suppressed => "suppressed",
        Status::Unchecked => "unchecked",
    };
    let mut out = format!(
        "<div class=\"rule {status}\" data-rule=\"{}\" data-status=\"{status}\">",
        esc(&r.id)
    );
    if r.status == Status::Suppressed {
        para(&mut out, "badge bad", Msg::Suppressed.text(lang));
    }
    para(&mut out, "recommend", r.recommend.get(lang));
    let (colon, stop) = punctuation(lang);
    let _ = write!(
        out,
        "<p class=\"cite\">{}{colon}{}{stop} <cite>{}{colon}{} ({}), {}</cite></p>",
        Msg::Strength.text(lang),
        esc(r.strength.get(lang)),
        Msg::Source.text(lang),
        esc(&r.source.guideline),
        r.source.year,
        esc(&r.source.section)
    );
    if !r.because.is_empty() {
        let fired: Vec<String> = r
            .because
            .iter()
            .map(|m| format!("{} = {} ({})", m.subject.get(lang), m.value, m.test))
            .collect();
        para(
            &mut out,
            "because",
            &format!(
                "{}{}{}",
                Msg::FiredBy.text(lang),
                punctuation(lang).0,
                fired.join("; ")
            ),
        );
    }
    if !r.missing.is_empty() {
        para(
            &mut out,
            "muted",
            &format!(
                "{} {}",
                Msg::CouldNotCheck.text(lang),
                names(&r.missing, lang)
            ),
        );
    }
    for c in &r.contraindications {
        let class = if c.effect == Effect::Suppress {
            "contra bad"
        } else {
            "contra warn"
        };
        let _ = write!(
            out,
            "<p class=\"{class}\">{} <cite>({})</cite></p>",
            esc(c.reason.get(lang)),
            esc(&c.source)
        );
    }
    if !r.unchecked_contraindications.is_empty() {
        para(
            &mut out,
            "unchecked",
            &format!(
                "{} {}",
                Msg::NotYetChecked.text(lang),
                names(&r.unchecked_contraindications, lang)
            ),
        );
    }
    out.push_str("</div>");
    out
}

/// One ranked option: name and badges, modelled risk with interval, difference to control,
/// the trial arm's observed rate beside the model's mean, case evidence, and its rules.
pub fn option_html(
    bundle: &Bundle,
    s: &Suggestions,
    rank: usize,
    o: &TreatmentOption,
    lang: Lang,
) -> String {
    let outcome = s.outcome.as_ref().map_or("", |t| t.get(lang));
    let control = bundle
        .schema
        .treatment
        .as_ref()
        .and_then(|t| t.arms.iter().find(|a| a.code == t.control))
        .map_or("", |a| a.label.get(lang));
    let mut out = format!("<h3>{}. {}", rank + 1, esc(o.label.get(lang)));
    let badge = |out: &mut String, class: &str, m: Msg| {
        let _ = write!(out, " <span class=\"{class}\">{}</span>", m.text(lang));
    };
    if o.control {
        badge(&mut out, "badge", Msg::ControlArm);
    }
    if o.contraindicated {
        badge(&mut out, "badge bad", Msg::Contraindicated);
    } else if o.warned {
        badge(&mut out, "badge warn", Msg::Caution);
    }
    out.push_str("</h3>");
    let r = &o.risk.risk;
    para(
        &mut out,
        "risk",
        &modelled_risk_text(outcome, r.value, r.low, r.high, lang),
    );
    if let Some(d) = o.risk.difference {
        para(
            &mut out,
            "difference",
            &risk_difference_text(control, d.value, d.low, d.high, lang),
        );
    }
    let model_mean = bundle
        .trial
        .as_ref()
        .and_then(|t| t.arms.iter().find(|a| a.code == o.code))
        .map_or(0.0, |a| a.cv_mean_predicted);
    let obs = &o.risk.observed;
    para(
        &mut out,
        "arm-rate",
        &arm_rate_text(o.risk.events, o.risk.n, obs.low, obs.high, model_mean, lang),
    );
    para(
        &mut out,
        "evidence",
        &case_evidence_text(
            s.evidence_cases,
            o.evidence.cases,
            o.evidence.events,
            outcome,
            lang,
        ),
    );
    for r in o.rules.iter().filter_map(|&i| s.rules.get(i)) {
        out.push_str(&rule_html(r, lang));
    }
    out
}

/// What the trial was and how the intervals were made.
pub fn about_trial_html(bundle: &Bundle, lang: Lang) -> String {
    let (Some(t), Some(tr)) = (&bundle.trial, &bundle.schema.treatment) else {
        return String::new();
    };
    let mut out = String::new();
    para(&mut out, "", &tr.trial);
    para(&mut out, "", tr.caveats.get(lang));
    if bundle.training.censored > 0 {
        para(&mut out, "", &censored_text(bundle.training.censored, lang));
    }
    para(
        &mut out,
        "muted",
        &bootstrap_text(
            t.arms.first().map_or(0, |a| a.bootstrap.len()),
            t.alpha,
            lang,
        ),
    );
    out
}

/// A decision in words.
pub fn decision_text(d: &Decision, lang: Lang) -> String {
    match d.verdict {
        Verdict::Agree => Msg::YouAgreed.text(lang).to_string(),
        Verdict::Override => format!("{} {}", Msg::YouOverrode.text(lang), d.reason),
    }
}

/// The patient for the report, as (label, value with unit) rows in the UI language: the form's
/// entries (blank ones left out; codes shown as their labels) and the answers to the rules'
/// questions (unanswered ones said so).
pub fn patient_rows(
    bundle: &Bundle,
    inputs: &[String],
    answers: &[Option<bool>],
    lang: Lang,
) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for (f, text) in bundle.schema.features.iter().zip(inputs) {
        let t = text.trim();
        if t.is_empty() {
            continue;
        }
        let shown = match &f.kind {
            Kind::Numeric { unit, .. } if unit.is_empty() => t.to_string(),
            Kind::Numeric { unit, .. } => format!("{t} {unit}"),
            Kind::Categorical { levels } => levels
                .iter()
                .find(|l| l.code == t)
                .map_or_else(|| t.to_string(), |l| l.label.get(lang).to_string()),
            Kind::Boolean { .. } => if t == "true" { Msg::Yes } else { Msg::No }
                .text(lang)
                .to_string(),
        };
        rows.push((f.label.get(lang).to_string(), shown));
    }
    for (q, a) in bundle.rules.inputs.iter().zip(answers) {
        let m = match a {
            Some(true) => Msg::Yes,
            Some(false) => Msg::No,
            None => Msg::NotAsked,
        };
        rows.push((q.label.get(lang).to_string(), m.text(lang).to_string()));
    }
    rows
}

/// The report as a self-contained HTML page (no scripts, no external resources): who the
/// patient is (`who`, the patient context's own words, so the report names the patient it was
/// made for), the patient as entered, the estimate, every option and rule with its basis, and
/// the decisions.
#[allow(clippy::too_many_arguments)]
pub fn report_html(
    bundle: &Bundle,
    sha256: &str,
    who: &str,
    patient: &[(String, String)],
    assessment: Option<&Assessment>,
    s: Option<&Suggestions>,
    decisions: &[Decision],
    lang: Lang,
) -> String {
    let title = bundle.schema.title.get(lang);
    let mut out = format!(
        "<!doctype html><html lang=\"{}\"><meta charset=\"utf-8\"><title>Bedside — {}</title>\
         <style>body{{font:14px/1.45 system-ui,sans-serif;max-width:48rem;margin:1rem auto}}\
         .bad{{color:#a00}}.muted{{color:#555}}td{{padding:0 .5rem}}</style><h1>Bedside — {}</h1>",
        if lang == Lang::Zh { "zh-CN" } else { "en" },
        esc(title),
        esc(title)
    );
    para(&mut out, "", Msg::Disclaimer.text(lang));
    let _ = write!(
        out,
        "<p class=\"muted\">{}: {} · SHA-256 {}</p><h2>{}</h2><p id=\"report-patient\">{}</p><table>",
        Msg::Model.text(lang),
        esc(&bundle.schema.id),
        esc(sha256),
        Msg::Patient.text(lang),
        esc(who)
    );
    for (k, v) in patient {
        let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(k), esc(v));
    }
    out.push_str("</table>");
    if let Some(a) = assessment {
        let _ = write!(
            out,
            "<h2>{} — {}</h2><ul>",
            Msg::Suggestion.text(lang),
            esc(bundle.schema.target.label.get(lang))
        );
        for c in &a.probabilities {
            let _ = write!(
                out,
                "<li>{}: {:.1} %</li>",
                esc(c.label.get(lang)),
                c.probability * 100.0
            );
        }
        out.push_str("</ul>");
    }
    if let Some(s) = s {
        let _ = write!(out, "<h2>{}</h2>", Msg::TreatmentHeading.text(lang));
        para(&mut out, "", Msg::TreatmentIntro.text(lang));
        let decided = |item: &str, out: &mut String| {
            if let Some(d) = decisions.iter().find(|d| d.item == item) {
                para(out, "decision", &decision_text(d, lang));
            }
        };
        for (rank, o) in s.options.iter().enumerate() {
            out.push_str(&option_html(bundle, s, rank, o, lang));
            decided(&o.code, &mut out);
        }
        for r in s.rules.iter().filter(|r| r.option.is_none()) {
            out.push_str(&rule_html(r, lang));
            decided(&r.id, &mut out);
        }
        out.push_str(&about_trial_html(bundle, lang));
    }
    out.push_str("</html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::rules::{Met, Source};

    #[test]
    fn bundle_and_user_text_is_escaped() {
        assert_eq!(
            esc(r#"<img src=x onerror="a">&'"#),
            "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;"
        );
        let t = |s: &str| Text {
            en: s.into(),
            zh: s.into(),
        };
        let r = RuleOutcome {
            id: "x\"><script>".into(),
            status: Status::Fired,
            option: None,
            recommend: t("<b>do</b>"),
            strength: t("strong"),
            source: Source {
                guideline: "G <i>".into(),
                year: 2020,
                section: "1".into(),
            },
            because: vec![Met {
                subject: t("glu"),
                test: "≥ 200 mg/dL".into(),
                value: "<212>".into(),
            }],
            missing: vec![],
            contraindications: vec![],
            unchecked_contraindications: vec![],
        };
        let html = rule_html(&r, Lang::En);
        assert!(!html.contains("<script>") && !html.contains("<b>") && !html.contains("<i>"));
        assert!(html.contains("&lt;b&gt;do&lt;/b&gt;") && html.contains("&lt;212&gt;"));
        assert!(html.contains("data-status=\"fired\""));
    }

    #[test]
    fn the_report_carries_patient_decisions_and_hash_escaped() {
        let b = crate::bundle::tests::sample_bundle();
        let t = |s: &str| Text {
            en: s.into(),
            zh: s.into(),
        };
        let rule = RuleOutcome {
            id: "r".into(),
            status: Status::Fired,
            option: None,
            recommend: t("do"),
            strength: t("strong"),
            source: Source {
                guideline: "G".into(),
                year: 2020,
                section: "1".into(),
            },
            because: vec![],
            missing: vec![],
            contraindications: vec![],
            unchecked_contraindications: vec![],
        };
        let s = Suggestions {
            options: vec![],
            rules: vec![rule],
            evidence_cases: 0,
            outcome: None,
        };
        let d = Decision::new("r", Verdict::Override, "declined <b>").unwrap();
        let rows = patient_rows(
            &b,
            &["100".into(), "true".into(), "f".into()],
            &[],
            Lang::En,
        );
        assert_eq!(
            rows,
            [
                ("Glucose".to_string(), "100 mg/dL".to_string()),
                ("Smoker".to_string(), "Yes".to_string()),
                ("Sex".to_string(), "Female".to_string()),
            ]
        );
        let html = report_html(
            &b,
            "abc123",
            "测试集示例病例，第 3",
            &rows,
            None,
            Some(&s),
            &[d],
            Lang::Zh,
        );
        assert!(html.starts_with("<!doctype html><html lang=\"zh-CN\">"));
        assert!(html.contains("SHA-256 abc123") && html.contains("<td>100 mg/dL</td>"));
        assert!(html.contains("<p id=\"report-patient\">测试集示例病例，第 3</p>"));
        assert!(
            html.contains("declined &lt;b&gt;"),
            "the decision is in the report, escaped"
        );
        assert!(!html.contains("<script") && !html.contains("<b>"));
    }
}
