//! Suggestions as CDS Hooks cards (`{"cards": [...]}`), so a portal that already shows CDS
//! Hooks responses can show Bedside's natively: one card for the estimate, one per guideline
//! rule that fired or was withheld, and one for the treatment options of a randomized trial.
//!
//! Every card keeps its basis: the source names the model bundle or the guideline with its
//! year and section, the detail says it is decision support, and no card is "critical" (a
//! statistical estimate never is). Summaries are cut to the 140 characters the specification
//! allows. See <https://cds-hooks.hl7.org/> (card attributes).

use serde_json::{json, Value as Json};

use crate::assess::{Assessment, Flag};
use crate::bundle::Bundle;
use crate::i18n::modelled_risk_text;
use crate::schema::Lang;
use crate::treatment::rules::Status;
use crate::treatment::Suggestions;

/// The specification's limit on `summary`.
pub const SUMMARY_MAX: usize = 140;

/// `text` cut to at most `max` characters, ending in "…" when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

fn card(summary: &str, indicator: &str, detail: &str, source: Json) -> Json {
    json!({
        "summary": clip(summary, SUMMARY_MAX),
        "indicator": indicator,
        "detail": detail,
        "source": source,
        "suggestions": [],
        "links": [],
    })
}

/// The cards for an assessment (and, for bundles with rules or trial models, the treatment
/// suggestions). `app_url`, when given, becomes a link to the model card in the app.
pub fn cards(
    bundle: &Bundle,
    sha256: &str,
    assessment: &Assessment,
    suggestions: Option<&Suggestions>,
    app_url: Option<&str>,
    lang: Lang,
) -> Json {
    let schema = &bundle.schema;
    let mut out = Vec::new();
    let model_source = json!({
        "label": format!("Bedside — {} ({}, bundle {})", schema.title.get(lang), assessment.model.name(), sha256.get(..12).unwrap_or(sha256)),
        "topic": { "display": schema.target.label.get(lang) },
    });
    if let Some(top) = assessment.probabilities.get(assessment.top) {
        let summary = match lang {
            Lang::En => format!(
                "{}: {:.0} % — model estimate, decision support",
                top.label.get(lang),
                top.probability * 100.0
            ),
            Lang::Zh => format!(
                "{}：{:.0} % — 模型估计，仅供决策参考",
                top.label.get(lang),
                top.probability * 100.0
            ),
        };
        // Outside the training data or unlike every training case: say so with a warning.
        let caution = assessment.distance.unusual
            || assessment
                .flags
                .iter()
                .any(|f| matches!(f, Flag::OutsideTraining { .. }));
        let mut detail = match lang {
            Lang::En => format!(
                "Calibrated probabilities from a {} trained on {}. Decision support, not a diagnosis.",
                assessment.model.name(),
                schema.provenance.dataset
            ),
            Lang::Zh => format!(
                "由基于 {} 训练的{}给出的校准概率。仅供决策参考，不构成诊断。",
                schema.provenance.dataset,
                assessment.model.name_zh()
            ),
        };
        for f in &assessment.flags {
            detail.push_str("\n\n- ");
            detail.push_str(&crate::i18n::flag_text(f, schema, lang));
        }
        let mut c = card(
            &summary,
            if caution { "warning" } else { "info" },
            &detail,
            model_source.clone(),
        );
        if let Some(url) = app_url {
            set(
                &mut c,
                "links",
                json!([{ "label": match lang { Lang::En => "Model card and basis", Lang::Zh => "模型说明与依据" }, "url": url, "type": "absolute" }]),
            );
        }
        out.push(c);
    }
    if let Some(s) = suggestions {
        for rule in s.rules.iter().filter(|r| r.status != Status::Unchecked) {
            let withheld = rule.status == Status::Suppressed;
            let summary = if withheld {
                match lang {
                    Lang::En => {
                        format!("Withheld (contraindication): {}", rule.recommend.get(lang))
                    }
                    Lang::Zh => format!("因禁忌证暂不采用：{}", rule.recommend.get(lang)),
                }
            } else {
                rule.recommend.get(lang).to_string()
            };
            let src = &rule.source;
            out.push(card(
                &summary,
                if withheld || !rule.contraindications.is_empty() {
                    "warning"
                } else {
                    "info"
                },
                &format!("{} ({})", rule.recommend.get(lang), rule.strength.get(lang)),
                json!({ "label": format!("{}, {}, {}", src.guideline, src.year, src.section) }),
            ));
        }
        if let (Some(outcome), Some(best)) = (&s.outcome, s.options.first()) {
            let summary = format!(
                "{}: {}",
                best.label.get(lang),
                modelled_risk_text(
                    outcome.get(lang),
                    best.risk.risk.value,
                    best.risk.risk.low,
                    best.risk.risk.high,
                    lang
                )
            );
            let mut c = card(
                &summary,
                "info",
                match lang {
                    Lang::En => "Options ranked by modelled risk from a randomized trial; options to weigh, not a directive.",
                    Lang::Zh => "按随机试验模型估计的风险排序；供权衡的选项，而非指令。",
                },
                model_source.clone(),
            );
            set(
                &mut c,
                "suggestions",
                Json::Array(
                    s.options
                        .iter()
                        .filter(|o| !o.contraindicated)
                        .map(|o| json!({ "label": o.label.get(lang), "isRecommended": false }))
                        .collect(),
                ),
            );
            out.push(c);
        }
    }
    json!({ "cards": out })
}

/// [`cards`] for a validated patient: the treatment suggestions (rules unanswered) are worked
/// out here for bundles that have rules or trial models.
pub fn cards_for(
    bundle: &Bundle,
    sha256: &str,
    record: &crate::patient::PatientRecord,
    assessment: &Assessment,
    app_url: Option<&str>,
    lang: Lang,
) -> Json {
    let suggestions = (!bundle.rules.is_empty() || bundle.trial.is_some()).then(|| {
        let p: Vec<f64> = assessment
            .probabilities
            .iter()
            .map(|c| c.probability)
            .collect();
        let answers = vec![None; bundle.rules.inputs.len()];
        crate::treatment::suggest::suggest(bundle, record, &answers, &p)
    });
    cards(
        bundle,
        sha256,
        assessment,
        suggestions.as_ref(),
        app_url,
        lang,
    )
}

/// Set a field of a card built by [`card`] (always a JSON object).
fn set(card: &mut Json, key: &str, value: Json) {
    if let Some(o) = card.as_object_mut() {
        o.insert(key.to_string(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_cut_to_140_characters() {
        let long = "x".repeat(300);
        assert_eq!(clip(&long, SUMMARY_MAX).chars().count(), 140);
        assert!(clip(&long, SUMMARY_MAX).ends_with('…'));
        assert_eq!(clip("短文本", SUMMARY_MAX), "短文本");
    }
}
