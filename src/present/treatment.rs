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
use crate::present::risk::{count_of_100, of_100};
use crate::present::ui::Msg;
use crate::present::wording::{arm_rate_text, case_evidence_text, censored_text};
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

/// An outcome label inside an English sentence: "Post-ERCP pancreatitis" reads
/// "post-ERCP pancreatitis"; an acronym at the start ("ERCP …") is left alone.
fn in_sentence(label: &str, lang: Lang) -> String {
    let mut chars = label.chars();
    match (lang, chars.next(), chars.next()) {
        (Lang::En, Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(label.chars().skip(1)).collect()
        }
        _ => label.to_string(),
    }
}

/// A percentage with one decimal ("9.3 %"; Chinese text without the space).
fn percent(p: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{:.1} %", p * 100.0),
        Lang::Zh => format!("{:.1}%", p * 100.0),
    }
}

/// Signed percentage points with a true minus sign ("−8.3", "+1.2").
fn points(x: f64) -> String {
    format!("{:+.1}", x * 100.0).replace('-', "−")
}

/// The per-arm risk as a natural frequency, on the same denominator as the control arm's:
/// "By the per-arm trial models, of 100 patients like this one about 9 would have post-ERCP
/// pancreatitis with Rectal indomethacin 100 mg and about 18 with Placebo." For the control
/// arm itself (`control` = `None`) only its own count.
pub fn arm_frequency_text(
    outcome: &str,
    arm: &str,
    risk: f64,
    control: Option<(&str, f64)>,
    lang: Lang,
) -> String {
    let n = count_of_100(risk, lang);
    let outcome = in_sentence(outcome, lang);
    match (lang, control) {
        (Lang::En, Some((c, cr))) => format!(
            "By the per-arm trial models, of 100 patients like this one {n} would have {outcome} with {arm} and {} with {c}.",
            count_of_100(cr, lang)
        ),
        (Lang::En, None) => format!(
            "By the per-arm trial model, of 100 patients like this one {n} would have {outcome} with {arm}."
        ),
        (Lang::Zh, Some((c, cr))) => format!(
            "按各组的试验模型估计，每 100 名与本患者相似的患者中，{arm}组{n}会发生“{outcome}”，{c}组{}。",
            count_of_100(cr, lang)
        ),
        (Lang::Zh, None) => format!(
            "按该组的试验模型估计，每 100 名与本患者相似的患者中，{arm}组{n}会发生“{outcome}”。"
        ),
    }
}

/// The comparison with control, absolute difference first (whole patients of the same 100),
/// then the relative risk: "About 8 fewer per 100 with Rectal indomethacin 100 mg than with
/// Placebo (absolute difference); relative risk 0.54."
pub fn arm_comparison_text(
    arm: &str,
    control: &str,
    risk: f64,
    control_risk: f64,
    lang: Lang,
) -> String {
    let d = risk - control_risk;
    // The difference of the two counts the reader has just seen ("about 9 … and about 18"
    // reads "about 9 fewer"), not a separately rounded difference.
    let n = of_100(risk).abs_diff(of_100(control_risk));
    let rr =
        (control_risk > 0.0 && risk.is_finite()).then(|| format!("{:.2}", risk / control_risk));
    let absolute = match (lang, n) {
        (Lang::En, 0) => format!(
            "About the same with {arm} as with {control}: the same count of 100 (absolute difference)"
        ),
        (Lang::En, n) => format!(
            "About {n} {} per 100 with {arm} than with {control} (absolute difference)",
            if d < 0.0 { "fewer" } else { "more" }
        ),
        (Lang::Zh, 0) => format!("{arm}组与{control}组大致相同：每 100 人中的人数相同（绝对差值）"),
        (Lang::Zh, n) => format!(
            "{arm}组比{control}组每 100 人约{} {n} 人（绝对差值）",
            if d < 0.0 { "少" } else { "多" }
        ),
    };
    match (lang, rr) {
        (Lang::En, Some(rr)) => format!("{absolute}; relative risk {rr}."),
        (Lang::En, None) => format!("{absolute}."),
        (Lang::Zh, Some(rr)) => format!("{absolute}；相对风险 {rr}。"),
        (Lang::Zh, None) => format!("{absolute}。"),
    }
}

/// The per-arm model's estimate with its bootstrap interval, said for what it is: how far the
/// estimate moves when the trial patients are resampled, not a confidence interval for this
/// patient's risk. `difference` (estimate, 2.5th, 97.5th percentile) for a non-control arm.
pub fn bootstrap_interval_text(
    value: f64,
    low: f64,
    high: f64,
    difference: Option<(f64, f64, f64)>,
    lang: Lang,
) -> String {
    let p = |x: f64| percent(x, lang);
    let mut out = match lang {
        Lang::En => format!(
            "Per-arm model estimate {}; percentile bootstrap interval {:.1}–{} (how far the model's estimate moves when the trial patients are resampled; not a confidence interval for this patient's own risk).",
            p(value),
            low * 100.0,
            p(high)
        ),
        Lang::Zh => format!(
            "该组模型的估计为 {}；百分位自助法区间 {:.1}–{}（对试验患者重抽样时模型估计的变动范围，并非该患者自身风险的置信区间）。",
            p(value),
            low * 100.0,
            p(high)
        ),
    };
    if let Some((d, dl, dh)) = difference {
        out.push_str(&match lang {
            Lang::En => format!(
                " Difference from control {} percentage points; bootstrap interval {} to {} (not a confidence interval for the true treatment effect).",
                points(d),
                points(dl),
                points(dh)
            ),
            Lang::Zh => format!(
                "与对照组的差值为 {} 个百分点；自助法区间 {} 至 {}（并非真实治疗效应的置信区间）。",
                points(d),
                points(dl),
                points(dh)
            ),
        });
    }
    out
}

/// How the per-arm models and their intervals were made, and what the intervals are not.
pub fn bootstrap_method_text(replicates: usize, alpha: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "One logistic model per arm (L2 penalty {alpha}, chosen by cross-validation). The intervals are percentile bootstrap intervals: each arm's trial patients were resampled with replacement {replicates} times, the model was refitted each time, and the 2.5th and 97.5th percentiles of its estimates are shown. They show how much the per-arm model's estimate moves when the trial patients are resampled (the model's sampling variability); they are not confidence intervals for this patient's own risk or for the true treatment effect."
        ),
        Lang::Zh => format!(
            "每个试验组各一个逻辑回归模型（L2 惩罚 {alpha}，经交叉验证选择）。区间为百分位自助法区间：将每组的试验患者有放回地重抽样 {replicates} 次，每次重新拟合模型，显示其估计值的第 2.5 和第 97.5 百分位数。区间反映的是对试验患者重抽样时该组模型估计值的变动幅度（模型的抽样变异），而不是该患者自身风险或真实治疗效应的置信区间。"
        ),
    }
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

/// One ranked option: name and badges; the modelled risk as a natural frequency beside the
/// control arm's on the same 100, the absolute difference before the relative risk, the
/// per-arm model's estimate with its bootstrap interval; the trial arm's observed rate beside
/// the model's mean, case evidence, and its rules.
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
    let arm = o.label.get(lang);
    // The control arm's risk for the same patient: the difference is arm minus control.
    let versus = o
        .risk
        .difference
        .map(|d| (control, r.value - d.value))
        .filter(|_| !o.control);
    para(
        &mut out,
        "risk",
        &arm_frequency_text(outcome, arm, r.value, versus, lang),
    );
    if let Some((c, cr)) = versus {
        para(
            &mut out,
            "difference",
            &arm_comparison_text(arm, c, r.value, cr, lang),
        );
    }
    para(
        &mut out,
        "interval muted",
        &bootstrap_interval_text(
            r.value,
            r.low,
            r.high,
            o.risk.difference.map(|d| (d.value, d.low, d.high)),
            lang,
        ),
    );
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

/// What the trial was, its caveats, and how the per-arm models and their bootstrap intervals
/// were made.
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
        &bootstrap_method_text(
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
    use crate::contract::schema::Schema;
    use crate::guidance::rules::{Met, Source};

    /// Text with the same words in both languages.
    fn both(en: &str, zh: &str) -> Text {
        Text {
            en: en.into(),
            zh: zh.into(),
        }
    }

    #[test]
    fn per_arm_risks_share_one_denominator_in_both_languages() {
        let en = arm_frequency_text(
            "Post-ERCP pancreatitis",
            "Rectal indomethacin 100 mg",
            0.093,
            Some(("Placebo", 0.176)),
            Lang::En,
        );
        assert_eq!(
            en,
            "By the per-arm trial models, of 100 patients like this one about 9 would have post-ERCP pancreatitis with Rectal indomethacin 100 mg and about 18 with Placebo."
        );
        let zh = arm_frequency_text(
            "ERCP 术后胰腺炎",
            "直肠吲哚美辛 100 毫克",
            0.093,
            Some(("安慰剂", 0.176)),
            Lang::Zh,
        );
        assert_eq!(
            zh,
            "按各组的试验模型估计，每 100 名与本患者相似的患者中，直肠吲哚美辛 100 毫克组约 9 人会发生“ERCP 术后胰腺炎”，安慰剂组约 18 人。"
        );
        // The control arm alone, and rounding that would hide a real risk is said in words.
        assert_eq!(
            arm_frequency_text("Recurrence within 5 years", "Observation", 0.572, None, Lang::En),
            "By the per-arm trial model, of 100 patients like this one about 57 would have recurrence within 5 years with Observation."
        );
        assert_eq!(
            arm_frequency_text("5 年内复发", "观察", 0.572, None, Lang::Zh),
            "按该组的试验模型估计，每 100 名与本患者相似的患者中，观察组约 57 人会发生“5 年内复发”。"
        );
        assert!(arm_frequency_text(
            "ERCP pancreatitis",
            "A",
            0.003,
            Some(("B", 0.996)),
            Lang::En
        )
        .contains("fewer than 1 would have ERCP pancreatitis with A and more than 99 with B"));
        assert!(
            arm_frequency_text("x", "A", 0.003, Some(("B", 0.996)), Lang::Zh)
                .contains("A组不到 1 人会发生“x”，B组超过 99 人")
        );
    }

    #[test]
    fn the_absolute_difference_comes_before_the_relative_risk() {
        let en = arm_comparison_text(
            "Rectal indomethacin 100 mg",
            "Placebo",
            0.093,
            0.176,
            Lang::En,
        );
        assert_eq!(
            en,
            "About 9 fewer per 100 with Rectal indomethacin 100 mg than with Placebo (absolute difference); relative risk 0.53."
        );
        let zh = arm_comparison_text("直肠吲哚美辛 100 毫克", "安慰剂", 0.093, 0.176, Lang::Zh);
        assert_eq!(
            zh,
            "直肠吲哚美辛 100 毫克组比安慰剂组每 100 人约少 9 人（绝对差值）；相对风险 0.53。"
        );
        assert_eq!(
            arm_comparison_text("Levamisole", "Observation", 0.60, 0.57, Lang::En),
            "About 3 more per 100 with Levamisole than with Observation (absolute difference); relative risk 1.05."
        );
        assert_eq!(
            arm_comparison_text("左旋咪唑", "观察", 0.60, 0.57, Lang::Zh),
            "左旋咪唑组比观察组每 100 人约多 3 人（绝对差值）；相对风险 1.05。"
        );
        assert_eq!(
            arm_comparison_text("A", "B", 0.101, 0.104, Lang::En),
            "About the same with A as with B: the same count of 100 (absolute difference); relative risk 0.97."
        );
        assert_eq!(
            arm_comparison_text("A", "B", 0.101, 0.104, Lang::Zh),
            "A组与B组大致相同：每 100 人中的人数相同（绝对差值）；相对风险 0.97。"
        );
        // No risk under control: no relative risk to state.
        assert_eq!(
            arm_comparison_text("A", "B", 0.02, 0.0, Lang::En),
            "About 2 more per 100 with A than with B (absolute difference)."
        );
        for lang in [Lang::En, Lang::Zh] {
            let t = arm_comparison_text("A", "B", 0.093, 0.176, lang);
            let (abs, rel) = match lang {
                Lang::En => ("absolute difference", "relative risk"),
                Lang::Zh => ("绝对差值", "相对风险"),
            };
            assert!(t.find(abs).unwrap() < t.find(rel).unwrap(), "{t}");
        }
    }

    #[test]
    fn bootstrap_intervals_are_not_called_confidence_intervals() {
        let en = bootstrap_interval_text(
            0.0931,
            0.052,
            0.14,
            Some((-0.083, -0.121, -0.032)),
            Lang::En,
        );
        assert_eq!(
            en,
            "Per-arm model estimate 9.3 %; percentile bootstrap interval 5.2–14.0 % (how far the model's estimate moves when the trial patients are resampled; not a confidence interval for this patient's own risk). Difference from control −8.3 percentage points; bootstrap interval −12.1 to −3.2 (not a confidence interval for the true treatment effect)."
        );
        let zh = bootstrap_interval_text(
            0.0931,
            0.052,
            0.14,
            Some((-0.083, -0.121, -0.032)),
            Lang::Zh,
        );
        assert_eq!(
            zh,
            "该组模型的估计为 9.3%；百分位自助法区间 5.2–14.0%（对试验患者重抽样时模型估计的变动范围，并非该患者自身风险的置信区间）。与对照组的差值为 −8.3 个百分点；自助法区间 −12.1 至 −3.2（并非真实治疗效应的置信区间）。"
        );
        assert!(!bootstrap_interval_text(0.17, 0.12, 0.23, None, Lang::En).contains("Difference"));
        let en = bootstrap_method_text(200, 1.0, Lang::En);
        assert!(en.contains("percentile bootstrap intervals"), "{en}");
        assert!(en.contains("resampled with replacement 200 times"), "{en}");
        assert!(en.contains("they are not confidence intervals for this patient's own risk or for the true treatment effect"), "{en}");
        let zh = bootstrap_method_text(200, 1.0, Lang::Zh);
        assert!(
            zh.contains("百分位自助法区间") && zh.contains("重抽样 200 次"),
            "{zh}"
        );
        assert!(
            zh.contains("而不是该患者自身风险或真实治疗效应的置信区间"),
            "{zh}"
        );
        // "95 % CI" wording is kept for what really is one: the observed arm rate (Wilson).
        for lang in [Lang::En, Lang::Zh] {
            for t in [
                bootstrap_method_text(200, 1.0, lang),
                bootstrap_interval_text(0.1, 0.05, 0.2, Some((-0.1, -0.2, 0.0)), lang),
            ] {
                assert!(!t.contains("95 % CI") && !t.contains("95% CI"), "{t}");
            }
        }
    }

    #[test]
    fn an_option_shows_frequencies_difference_and_interval_in_that_order() {
        use crate::clinical::treatment::evidence::ArmEvidence;
        use crate::guidance::trial::{ArmRisk, Estimate};
        let mut b = crate::bundle::tests::sample_bundle();
        // The sample bundle with the trial's two arms (placebo the control).
        b.schema.treatment = Schema::from_toml(&(crate::contract::schema::tests::head("t") + ARMS))
            .unwrap()
            .treatment;
        let est = |value, low, high| Estimate { value, low, high };
        let option =
            |code: &str, en: &str, zh: &str, r: Estimate, d: Option<Estimate>| TreatmentOption {
                code: code.into(),
                label: both(en, zh),
                control: d.is_none(),
                risk: ArmRisk {
                    code: code.into(),
                    risk: r,
                    difference: d,
                    events: 27,
                    n: 295,
                    observed: est(0.0915, 0.064, 0.13),
                },
                evidence: ArmEvidence {
                    code: code.into(),
                    cases: 20,
                    events: 2,
                },
                rules: vec![],
                contraindicated: false,
                warned: false,
            };
        let s = Suggestions {
            options: vec![
                option(
                    "1_indomethacin",
                    "Indomethacin",
                    "吲哚美辛",
                    est(0.093, 0.06, 0.13),
                    Some(est(-0.083, -0.12, -0.03)),
                ),
                option(
                    "0_placebo",
                    "Placebo",
                    "安慰剂",
                    est(0.176, 0.13, 0.22),
                    None,
                ),
            ],
            rules: vec![],
            evidence_cases: 40,
            outcome: Some(both("Post-ERCP pancreatitis", "ERCP 术后胰腺炎")),
        };
        let html = option_html(&b, &s, 0, &s.options[0], Lang::En);
        let at = |needle: &str| {
            html.find(needle)
                .unwrap_or_else(|| panic!("`{needle}` in {html}"))
        };
        let freq = at("of 100 patients like this one about 9 would have post-ERCP pancreatitis with Indomethacin and about 18 with Placebo.");
        let diff = at("About 9 fewer per 100 with Indomethacin than with Placebo (absolute difference); relative risk 0.53.");
        let interval = at("percentile bootstrap interval 6.0–13.0 %");
        assert!(freq < diff && diff < interval);
        assert!(!html.contains("95 % interval"));
        let control = option_html(&b, &s, 1, &s.options[1], Lang::En);
        assert!(control.contains("of 100 patients like this one about 18 would have post-ERCP pancreatitis with Placebo."), "{control}");
        assert!(!control.contains("class=\"difference\""));
        let zh = option_html(&b, &s, 0, &s.options[0], Lang::Zh);
        assert!(
            zh.contains("吲哚美辛组约 9 人会发生“ERCP 术后胰腺炎”，安慰剂组约 18 人。"),
            "{zh}"
        );
        assert!(
            zh.contains("吲哚美辛组比安慰剂组每 100 人约少 9 人（绝对差值）；相对风险 0.53。"),
            "{zh}"
        );
        assert!(zh.contains("百分位自助法区间 6.0–13.0%"), "{zh}");
    }

    /// A schema with a placebo-controlled trial, to borrow its treatment from.
    const ARMS: &str = r#"
[treatment]
column = "rx"
label = { en = "Rx", zh = "治疗" }
control = "0_placebo"
arms = [
  { code = "0_placebo", label = { en = "Placebo", zh = "安慰剂" } },
  { code = "1_indomethacin", label = { en = "Indomethacin", zh = "吲哚美辛" } },
]
trial = "test"
caveats = { en = "c", zh = "c" }
[[features]]
column = "glu"
label = { en = "Glucose", zh = "血糖" }
kind = "numeric"
unit = "mg/dL"
plausible = { min = 20, max = 600 }
"#;

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
