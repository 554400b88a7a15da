//! Suggestions as CDS Hooks cards (`{"cards": [...]}`), so a portal that already shows CDS
//! Hooks responses can show Bedside's natively: one card for the estimate, one per guideline
//! rule that fired or was withheld, and one for the treatment options of a randomized trial.
//!
//! Every card keeps its basis: the source names the model bundle or the guideline with its
//! year and section, the detail says it is decision support, and no card is "critical" (a
//! statistical estimate never is). Summaries are cut to the 140 characters the specification
//! allows. See <https://cds-hooks.hl7.org/> (card attributes).
//!
//! Cards reflect the clinician's side too ([`Clinician`]): an option withheld by a
//! contraindication the clinician confirmed is not offered to the host as a suggestion, a
//! contraindication question left unanswered makes its card a `warning` that names it, and a
//! recorded agree / override is stated on the card it is about. Each card carries, in a
//! namespaced `extension` (the specification's way to add properties), the bundle's SHA-256,
//! its signature status and the FHIR subject the values came from (or none), so a host can
//! check which model and which patient a card is about.

use serde_json::{json, Value as Json};

use crate::bundle::signature::Provenance;
use crate::bundle::Bundle;
use crate::clinical::assess::{Assessment, Flag};
use crate::clinical::treatment::decision::{Decision, Verdict};
use crate::clinical::treatment::Suggestions;
use crate::guidance::rules::Status;
use crate::util::lang::Lang;

/// The name of the cards' extension property (reverse-domain, as the specification asks).
pub const EXTENSION: &str = "org.bedside.basis";

/// What the cards must know besides the model: which bundle (hash and who signed it), which
/// patient (the FHIR subject, if the values came from a record), and the clinician's answers
/// to the rules' questions and decisions on the suggestions.
#[derive(Debug, Clone, Copy)]
pub struct Clinician<'a> {
    /// SHA-256 (hex) of the bundle payload.
    pub sha256: &'a str,
    /// Who vouches for the bundle.
    pub provenance: &'a Provenance,
    /// `Patient/<id>` when the values came from that record; `None` otherwise.
    pub subject: Option<&'a str>,
    /// Answers to the rules' questions, in the rule file's order (`None`: not asked).
    pub answers: &'a [Option<bool>],
    /// Agree / override decisions.
    pub decisions: &'a [Decision],
}

/// The signature status as a short code: `verified`, `unsigned`, `unknown-signer`,
/// `not-checked`, and the signer's key id where there is one.
pub fn signature_status(p: &Provenance) -> (&'static str, Option<&str>) {
    match p {
        Provenance::Verified(k) => ("verified", Some(k.as_str())),
        Provenance::Unsigned => ("unsigned", None),
        Provenance::UnknownSigner(k) => ("unknown-signer", Some(k.as_str())),
        Provenance::NotChecked => ("not-checked", None),
    }
}

/// A decision in words, for a card's detail.
fn decision_words(d: &Decision, lang: Lang) -> String {
    match (d.verdict, lang) {
        (Verdict::Agree, Lang::En) => "The clinician agreed.".into(),
        (Verdict::Agree, Lang::Zh) => "临床医生已同意。".into(),
        (Verdict::Override, Lang::En) => format!("The clinician overrode it: {}", d.reason),
        (Verdict::Override, Lang::Zh) => format!("临床医生已否决：{}", d.reason),
    }
}

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
    who: &Clinician<'_>,
    assessment: &Assessment,
    suggestions: Option<&Suggestions>,
    app_url: Option<&str>,
    lang: Lang,
) -> Json {
    let schema = &bundle.schema;
    let sha256 = who.sha256;
    let mut out = Vec::new();
    let model_source = json!({
        "label": format!("Bedside — {} ({}, bundle {})", schema.title.get(lang), assessment.model.name(), sha256.get(..12).unwrap_or(sha256)),
        "topic": { "display": schema.target.label.get(lang) },
    });
    if let Some(focus) = assessment.probabilities.get(assessment.focus) {
        // The outcome of interest (a binary model's positive class), as a natural frequency
        // beside the base rate; a model that cannot tell patients apart gives the base rate.
        let chance = !assessment.discrimination.better_than_chance;
        let per_100 = |p: f64| crate::present::risk::per_100(p, lang);
        let published = bundle.published.is_some();
        let summary = match (lang, chance) {
            // A published equation's comparison is the same person with optimal risk factors.
            (Lang::En, false) if published => format!(
                "{}: {:.0} % ({}; with optimal risk factors {}) — published equation, decision support",
                focus.label.get(lang),
                focus.probability * 100.0,
                per_100(focus.probability),
                per_100(assessment.base_rate)
            ),
            (Lang::Zh, false) if published => format!(
                "{}：{:.0} %（{}；危险因素理想时{}）— 已发表的方程，仅供决策参考",
                focus.label.get(lang),
                focus.probability * 100.0,
                per_100(focus.probability),
                per_100(assessment.base_rate)
            ),
            (Lang::En, false) => format!(
                "{}: {:.0} % ({}; base rate {}) — model estimate, decision support",
                focus.label.get(lang),
                focus.probability * 100.0,
                per_100(focus.probability),
                per_100(assessment.base_rate)
            ),
            (Lang::En, true) => format!(
                "{}: base rate {} — model not shown to tell patients apart",
                focus.label.get(lang),
                per_100(assessment.base_rate)
            ),
            (Lang::Zh, false) => format!(
                "{}：{:.0} %（{}；基础率{}）— 模型估计，仅供决策参考",
                focus.label.get(lang),
                focus.probability * 100.0,
                per_100(focus.probability),
                per_100(assessment.base_rate)
            ),
            (Lang::Zh, true) => format!(
                "{}：基础率{} — 尚未证明该模型能区分患者",
                focus.label.get(lang),
                per_100(assessment.base_rate)
            ),
        };
        // Outside the training data or unlike every training case: say so with a warning.
        let caution = chance
            || assessment.distance.unusual
            || assessment
                .flags
                .iter()
                .any(|f| matches!(f, Flag::OutsideTraining { .. }));
        let citation = match &bundle.model {
            crate::model::fitted::Model::Equation(e) => Some(e.citation.as_str()),
            _ => None,
        };
        let mut detail = match (lang, citation) {
            (Lang::En, Some(c)) if bundle.local.is_empty() => format!(
                "The published equation, computed as its authors published it: {c}. Decision support, not a diagnosis."
            ),
            (Lang::Zh, Some(c)) if bundle.local.is_empty() => format!(
                "按作者发表的形式计算的已发表方程：{c}。仅供决策参考，不构成诊断。"
            ),
            (Lang::En, Some(c)) => format!(
                "The published equation ({c}), recalibrated to a site's own patients (see the model card's local validation). Decision support, not a diagnosis."
            ),
            (Lang::Zh, Some(c)) => format!(
                "已发表的方程（{c}），已按某机构自己的患者重新校准（见模型卡的本地验证）。仅供决策参考，不构成诊断。"
            ),
            (Lang::En, None) => format!(
                "Calibrated probabilities from a {} trained on {}. Decision support, not a diagnosis.",
                assessment.model.name(),
                schema.provenance.dataset
            ),
            (Lang::Zh, None) => format!(
                "由基于 {} 训练的{}给出的校准概率。仅供决策参考，不构成诊断。",
                schema.provenance.dataset,
                assessment.model.name_zh()
            ),
        };
        if chance {
            detail.push_str("\n\n");
            detail.push_str(&crate::present::risk::chance_text(
                &assessment.discrimination,
                assessment.base_rate,
                lang,
            ));
        }
        if crate::present::risk::pools_arms(schema) {
            detail.push_str("\n\n");
            detail.push_str(&crate::present::risk::pooled_text(schema, lang));
        }
        for f in &assessment.flags {
            detail.push_str("\n\n- ");
            detail.push_str(&crate::present::wording::flag_text(f, schema, lang));
        }
        detail.push_str("\n\n");
        detail.push_str(&crate::present::wording::bundle_basis_text(
            schema.id.as_str(),
            sha256,
            who.provenance,
            lang,
        ));
        // A signature the policy only warned about is a reason for caution in itself.
        let caution = caution || who.provenance.is_warning();
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
            let unchecked: Vec<&str> = rule
                .unchecked_contraindications
                .iter()
                .map(|q| q.get(lang))
                .collect();
            let summary = if withheld {
                match lang {
                    Lang::En => {
                        format!("Withheld (contraindication): {}", rule.recommend.get(lang))
                    }
                    Lang::Zh => format!("因禁忌证暂不采用：{}", rule.recommend.get(lang)),
                }
            } else if !unchecked.is_empty() {
                match lang {
                    Lang::En => format!(
                        "Check contraindications first: {}",
                        rule.recommend.get(lang)
                    ),
                    Lang::Zh => format!("请先核对禁忌证：{}", rule.recommend.get(lang)),
                }
            } else {
                rule.recommend.get(lang).to_string()
            };
            let mut detail = format!("{} ({})", rule.recommend.get(lang), rule.strength.get(lang));
            for hit in &rule.contraindications {
                detail.push_str("\n\n- ");
                detail.push_str(hit.reason.get(lang));
            }
            if !unchecked.is_empty() {
                detail.push_str(match lang {
                    Lang::En => "\n\nContraindications not yet checked (unanswered):",
                    Lang::Zh => "\n\n尚未核对的禁忌证（未回答）：",
                });
                for q in &unchecked {
                    detail.push_str("\n- ");
                    detail.push_str(q);
                }
            }
            let decided = rule
                .option
                .as_deref()
                .and_then(|o| who.decisions.iter().find(|d| d.item == o))
                .or_else(|| who.decisions.iter().find(|d| d.item == rule.id));
            if let Some(d) = decided {
                detail.push_str("\n\n");
                detail.push_str(&decision_words(d, lang));
            }
            let src = &rule.source;
            out.push(card(
                &summary,
                if withheld || !rule.contraindications.is_empty() || !unchecked.is_empty() {
                    "warning"
                } else {
                    "info"
                },
                &detail,
                json!({ "label": format!("{}, {}, {}", src.guideline, src.year, src.section) }),
            ));
        }
        if let (Some(outcome), Some(best)) = (&s.outcome, s.options.first()) {
            // CDS Hooks keeps a summary under 140 characters: the best option's natural
            // frequency; the comparison and the intervals follow in the detail.
            let summary = crate::present::treatment::arm_frequency_text(
                outcome.get(lang),
                best.label.get(lang),
                best.risk.risk.value,
                None,
                lang,
            );
            let mut detail = match lang {
                Lang::En => "Options ranked by modelled risk from a randomized trial; options to weigh, not a directive.",
                Lang::Zh => "按随机试验模型估计的风险排序；供权衡的选项，而非指令。",
            }
            .to_string();
            // What the clinician has said about each option, and which could not be checked.
            let mut unchecked = false;
            for o in &s.options {
                let label = o.label.get(lang);
                if o.contraindicated {
                    detail.push_str(&match lang {
                        Lang::En => format!("\n\n- {label}: withheld by a contraindication."),
                        Lang::Zh => format!("\n\n- {label}：因禁忌证不予考虑。"),
                    });
                }
                let open: Vec<&str> = s
                    .rules
                    .iter()
                    .filter(|r| r.option.as_deref() == Some(o.code.as_str()))
                    .flat_map(|r| r.unchecked_contraindications.iter().map(|q| q.get(lang)))
                    .collect();
                if !open.is_empty() {
                    unchecked = true;
                    detail.push_str(&match lang {
                        Lang::En => format!(
                            "\n\n- {label}: contraindications not yet checked: {}.",
                            open.join("; ")
                        ),
                        Lang::Zh => {
                            format!("\n\n- {label}：尚未核对的禁忌证：{}。", open.join("；"))
                        }
                    });
                }
                if let Some(d) = who.decisions.iter().find(|d| d.item == o.code) {
                    detail.push_str(&format!("\n\n- {label}: {}", decision_words(d, lang)));
                }
            }
            let overridden = |code: &str| {
                who.decisions
                    .iter()
                    .any(|d| d.item == code && d.verdict == Verdict::Override)
            };
            let mut c = card(
                &summary,
                if unchecked { "warning" } else { "info" },
                &detail,
                model_source.clone(),
            );
            // Only options the clinician may still choose: not withheld, not overridden.
            set(
                &mut c,
                "suggestions",
                Json::Array(
                    s.options
                        .iter()
                        .filter(|o| !o.contraindicated && !overridden(&o.code))
                        .map(|o| json!({ "label": o.label.get(lang), "isRecommended": false }))
                        .collect(),
                ),
            );
            out.push(c);
        }
    }
    let (status, signer) = signature_status(who.provenance);
    let extension = json!({ EXTENSION: {
        "bundleSha256": sha256,
        "signature": status,
        "signer": signer,
        "subject": who.subject,
    } });
    for c in &mut out {
        set(c, "extension", extension.clone());
    }
    json!({ "cards": out })
}

/// [`cards`] for a validated patient: the treatment suggestions are worked out here, with the
/// clinician's answers, for bundles that have rules or trial models.
pub fn cards_for(
    bundle: &Bundle,
    who: &Clinician<'_>,
    record: &crate::contract::patient::PatientRecord,
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
        let mut answers = who.answers.to_vec();
        answers.resize(bundle.rules.inputs.len(), None);
        crate::clinical::treatment::suggest::suggest(bundle, record, &answers, &p)
    });
    cards(bundle, who, assessment, suggestions.as_ref(), app_url, lang)
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
