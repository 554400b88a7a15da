//! Risk as clinicians are taught to read it (the IPDAS guidance for patient decision aids,
//! Trevena et al. 2013; Gigerenzer's natural frequencies): the outcome of interest first, as
//! "about 17 of 100 patients like this one", beside the base rate on the same denominator, the
//! uncertainty in words, and a plain statement when the model cannot tell patients apart.
//!
//! Every sentence here exists in English and 简体中文; the app, the CLI and the reports all
//! word an estimate through these functions, so they never disagree.

use crate::bundle::Bundle;
use crate::clinical::assess::{Assessment, Band, Discrimination};
use crate::clinical::counterfactual::Change;
use crate::clinical::voi::Measurement;
use crate::contract::schema::{Feature, Kind, Purpose, Schema};
use crate::present::ui::Msg;
use crate::util::lang::Lang;

/// A probability as a whole number of 100 patients (0–100).
pub fn of_100(p: f64) -> u32 {
    if p.is_finite() {
        (p.clamp(0.0, 1.0) * 100.0).round() as u32
    } else {
        0
    }
}

/// The count of 100 for a probability, said plainly where rounding would hide a real
/// difference: "about 9" / "fewer than 1" / "more than 99" (约 9 人 / 不到 1 人 / 超过 99 人).
pub fn count_of_100(p: f64, lang: Lang) -> String {
    match (lang, of_100(p)) {
        (Lang::En, 0) if p > 0.0 => "fewer than 1".into(),
        (Lang::En, 100) if p < 1.0 => "more than 99".into(),
        (Lang::En, n) => format!("about {n}"),
        (Lang::Zh, 0) if p > 0.0 => "不到 1 人".into(),
        (Lang::Zh, 100) if p < 1.0 => "超过 99 人".into(),
        (Lang::Zh, n) => format!("约 {n} 人"),
    }
}

/// "about 17 of 100" (每 100 人中约 17 人).
pub fn per_100(p: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{} of 100", count_of_100(p, lang)),
        Lang::Zh => format!("每 100 人中{}", count_of_100(p, lang)),
    }
}

/// The label of the class `i` in `lang` ("" when out of range).
fn class_label(schema: &Schema, i: usize, lang: Lang) -> &str {
    schema
        .target
        .classes
        .get(i)
        .map_or("", |c| c.label.get(lang))
}

/// What the headline number is: a risk (an outcome to come) or a probability (a condition
/// present now).
pub fn estimate_kind(schema: &Schema, lang: Lang) -> &'static str {
    match (schema.target.purpose, lang) {
        (Purpose::Prognostic, Lang::En) => "Estimated risk",
        (Purpose::Prognostic, Lang::Zh) => "估计风险",
        (Purpose::Diagnostic, Lang::En) => "Estimated probability",
        (Purpose::Diagnostic, Lang::Zh) => "估计概率",
    }
}

/// A probability as a percentage with one decimal, never rounded to a certainty it is not
/// ("> 99.9 %" rather than "100.0 %").
pub fn percent(p: f64) -> String {
    if p > 0.999 && p < 1.0 {
        "> 99.9 %".into()
    } else if p > 0.0 && p < 0.001 {
        "< 0.1 %".into()
    } else {
        format!("{:.1} %", p * 100.0)
    }
}

/// The natural-frequency sentence for a binary estimate: both classes out of the same 100.
/// `population`: the figure is the base rate, about the training population rather than
/// patients like this one.
pub fn frequency_text(
    schema: &Schema,
    focus: usize,
    p: f64,
    population: bool,
    lang: Lang,
) -> String {
    let other = schema
        .target
        .classes
        .iter()
        .enumerate()
        .find(|(i, _)| *i != focus)
        .map_or("", |(_, c)| c.label.get(lang));
    let label = class_label(schema, focus, lang);
    // The two counts add up to 100; the ends say what the rounding hides ("more than 99 …
    // the other fewer than 1").
    let n = of_100(p);
    let rest = match (lang, n) {
        (Lang::En, 100) if p < 1.0 => "fewer than 1".to_string(),
        (Lang::En, 0) if p > 0.0 => "more than 99".to_string(),
        (Lang::Zh, 100) if p < 1.0 => "不到 1 人".to_string(),
        (Lang::Zh, 0) if p > 0.0 => "超过 99 人".to_string(),
        (Lang::En, n) => (100 - n).to_string(),
        (Lang::Zh, n) => format!(" {} 人", 100 - n),
    };
    match (lang, population) {
        (Lang::En, false) => format!(
            "Of 100 patients like this one, {}: {label}; the other {rest}: {other}.",
            count_of_100(p, lang)
        ),
        (Lang::En, true) => format!(
            "Of 100 patients in the population the model was trained on, {}: {label}; the other {rest}: {other}.",
            count_of_100(p, lang)
        ),
        (Lang::Zh, false) => format!(
            "与该患者相似的每 100 人中，{}：{label}；其余{rest}：{other}。",
            count_of_100(p, lang)
        ),
        (Lang::Zh, true) => format!(
            "模型训练人群的每 100 人中，{}：{label}；其余{rest}：{other}。",
            count_of_100(p, lang)
        ),
    }
}

/// The screen-reader announcement of a new estimate: one short sentence, saying what the
/// screen shows (the base rate, for a model that has not been shown to tell patients apart).
pub fn announce_text(a: &Assessment, schema: &Schema, lang: Lang) -> String {
    let p = a.probabilities.get(a.focus).map_or(0.0, |c| c.probability);
    let what = format!(
        "{} — {}",
        estimate_kind(schema, lang),
        class_label(schema, a.focus, lang)
    );
    if a.discrimination.better_than_chance {
        format!("{what}: {} ({})", percent(p), per_100(p, lang))
    } else {
        format!("{what}: {}", base_rate_headline(a.base_rate, lang))
    }
}

/// How the base rate was measured: a plain share, or for a time-to-event target the
/// Kaplan–Meier risk with censoring accounted for.
pub fn base_rate_text(bundle: &Bundle, rate: f64, lang: Lang) -> String {
    if let Some(p) = &bundle.published {
        return match lang {
            Lang::En => format!(
                "For comparison, {}: {}.",
                p.card.optimal.get(lang),
                per_100(rate, lang)
            ),
            Lang::Zh => format!(
                "作为对比，{}：{}。",
                p.card.optimal.get(lang),
                per_100(rate, lang)
            ),
        };
    }
    let censored = bundle.training.censoring.is_some();
    match (lang, censored) {
        (Lang::En, false) => format!(
            "For comparison, in the population the model was trained on: {} (the base rate).",
            per_100(rate, lang)
        ),
        (Lang::En, true) => format!(
            "For comparison, in the population the model was trained on: {} (the base rate, a Kaplan–Meier estimate that counts the patients whose follow-up ended early).",
            per_100(rate, lang)
        ),
        (Lang::Zh, false) => format!(
            "作为对比，模型训练人群中：{}（基础率）。",
            per_100(rate, lang)
        ),
        (Lang::Zh, true) => format!(
            "作为对比，模型训练人群中：{}（基础率，为计入提前结束随访患者的 Kaplan–Meier 估计）。",
            per_100(rate, lang)
        ),
    }
}

/// The headline of a model that cannot tell patients apart: the base rate, named as such.
pub fn base_rate_headline(rate: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{} (base rate)", per_100(rate, lang)),
        Lang::Zh => format!("{}（基础率）", per_100(rate, lang)),
    }
}

/// The spread across the fold models, in words and on the same denominator.
pub fn band_words(band: &Band, folds: u32, lang: Lang) -> String {
    let (lo, hi) = (of_100(band.low), of_100(band.high));
    let models = band.models;
    match (lang, lo == hi) {
        (Lang::En, true) => format!(
            "How sure: the {models} models fitted with one of {folds} parts of the training data left out each give this patient {}. The estimate is uncertain by at least that much; small data sets leave more.",
            per_100(band.low, lang)
        ),
        (Lang::En, false) => format!(
            "How sure: the {models} models fitted with one of {folds} parts of the training data left out each give this patient between about {lo} and {hi} of 100. The estimate is uncertain by at least that much; small data sets leave more."
        ),
        (Lang::Zh, true) => format!(
            "把握程度：每次留出 {folds} 份训练数据中的一份所拟合的 {models} 个模型，对该患者均给出{}。估计的不确定性至少有这么大；数据越少，不确定性越大。",
            per_100(band.low, lang)
        ),
        (Lang::Zh, false) => format!(
            "把握程度：每次留出 {folds} 份训练数据中的一份所拟合的 {models} 个模型，对该患者给出每 100 人中约 {lo} 至 {hi} 人。估计的不确定性至少有这么大；数据越少，不确定性越大。"
        ),
    }
}

/// The plain statement for a model that has not been shown to tell patients apart: its AUC
/// interval includes chance, or its AUC is below the floor the schema sets.
pub fn chance_text(d: &Discrimination, base_rate: f64, lang: Lang) -> String {
    let why = match (lang, d.below_floor) {
        (Lang::En, None) => format!(
            "This model has not been shown to tell patients apart better than chance: on patients it was not trained on, its AUC is {:.2} (95 % interval {:.2}–{:.2}), and 0.5 is what a coin toss achieves.",
            d.auc, d.low, d.high
        ),
        (Lang::En, Some(floor)) => format!(
            "This model does not tell patients apart well enough to give a personal estimate: on patients it was not trained on, its AUC is {:.2} (95 % interval {:.2}–{:.2}), below the {floor:.2} this model's schema requires.",
            d.auc, d.low, d.high
        ),
        (Lang::Zh, None) => format!(
            "尚未证明该模型区分患者的能力优于随机：在未参与训练的患者中，其 AUC 为 {:.2}（95 % 区间 {:.2}–{:.2}），而抛硬币即可达到 0.5。",
            d.auc, d.low, d.high
        ),
        (Lang::Zh, Some(floor)) => format!(
            "该模型区分患者的能力不足以给出个体估计：在未参与训练的患者中，其 AUC 为 {:.2}（95 % 区间 {:.2}–{:.2}），低于该模型定义要求的 {floor:.2}。",
            d.auc, d.low, d.high
        ),
    };
    match lang {
        Lang::En => format!(
            "{why} Read the base rate, {}, not a risk particular to this patient; the contributions below are not reliable either.",
            per_100(base_rate, lang)
        ),
        Lang::Zh => format!(
            "{why}请参考基础率（{}），而不是针对该患者的风险；下面的各项贡献同样不可靠。",
            per_100(base_rate, lang)
        ),
    }
}

/// The model's own output when it is not shown as the patient's risk.
pub fn demoted_text(p: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "The model's output for this patient, {:.1} %, is not reliably different from the base rate.",
            p * 100.0
        ),
        Lang::Zh => format!(
            "模型对该患者的输出为 {:.1} %，与基础率的差别并不可靠。",
            p * 100.0
        ),
    }
}

/// The caption over a binary model's raw output for both classes.
pub fn output_caption(better_than_chance: bool, lang: Lang) -> &'static str {
    match (better_than_chance, lang) {
        (true, Lang::En) => "The model's output for both classes:",
        (true, Lang::Zh) => "模型对两个类别的输出：",
        (false, Lang::En) => {
            "The model's output for both classes (not reliably different from the base rate):"
        }
        (false, Lang::Zh) => "模型对两个类别的输出（与基础率的差别并不可靠）：",
    }
}

/// The AUC with its interval and what it means, for the model card.
pub fn discrimination_text(d: &Discrimination, lang: Lang) -> String {
    if d.published {
        return match lang {
            Lang::En => format!(
                "Published C statistic {:.3}–{:.3} (the authors' validation; a published equation has no held-out test set of Bedside's own).",
                d.low, d.high
            ),
            Lang::Zh => format!(
                "已发表的 C 统计量 {:.3}–{:.3}（作者的验证；已发表的方程没有本工具自己的留出测试集）。",
                d.low, d.high
            ),
        };
    }
    match (lang, d.better_than_chance) {
        (Lang::En, true) => format!(
            "AUC {:.3} on the held-out test set (95 % interval {:.3}–{:.3}).",
            d.auc, d.low, d.high
        ),
        (Lang::En, false) => format!(
            "AUC {:.3} on the held-out test set (95 % interval {:.3}–{:.3}): the model has not been shown to tell patients apart (the interval includes chance, 0.5, or the AUC is below the schema's minimum), and the app shows the base rate instead of a personal estimate.",
            d.auc, d.low, d.high
        ),
        (Lang::Zh, true) => format!(
            "留出测试集 AUC {:.3}（95 % 区间 {:.3}–{:.3}）。",
            d.auc, d.low, d.high
        ),
        (Lang::Zh, false) => format!(
            "留出测试集 AUC {:.3}（95 % 区间 {:.3}–{:.3}）：尚未证明模型能够区分患者（区间包含随机水平 0.5，或 AUC 低于模型定义的最低要求），应用因此显示基础率而非个体估计。",
            d.auc, d.low, d.high
        ),
    }
}

/// Whether the model's estimate averages over the arms of a trial (the treatment is not one
/// of its inputs).
pub fn pools_arms(schema: &Schema) -> bool {
    schema
        .treatment
        .as_ref()
        .is_some_and(|t| schema.feature(&t.column).is_none())
}

/// Why the pooled estimate and the per-arm risks differ: by design, not by contradiction.
pub fn pooled_text(schema: &Schema, lang: Lang) -> String {
    let arms: Vec<&str> = schema
        .treatment
        .as_ref()
        .map(|t| t.arms.iter().map(|a| a.label.get(lang)).collect())
        .unwrap_or_default();
    let n = arms.len();
    match lang {
        Lang::En => {
            let which = if n == 2 { "both arms".to_string() } else { format!("all {n} arms") };
            format!(
                "This estimate pools {which} of the trial ({}): it is the risk of trial patients like this one whichever arm they were in. The risk with each option, on the same scale of 100, is under Treatment options; it differs from this pooled figure by design.",
                arms.join("; ")
            )
        }
        Lang::Zh => format!(
            "该估计合并了试验的{}（{}）：它是与该患者相似的试验患者不论分在哪一组的风险。每种方案下的风险（同样以每 100 人计）见“治疗方案”，与此合并数值不同是设计使然。",
            if n == 2 { "两组".to_string() } else { format!("全部 {n} 组") },
            arms.join("；")
        ),
    }
}

/// A value the model used, as the clinician reads it: a level's label instead of its data
/// code, yes/no instead of true/false, a number with its unit.
pub fn value_text(feature: &Feature, used: &str, lang: Lang) -> String {
    match &feature.kind {
        Kind::Categorical { levels } => levels
            .iter()
            .find(|l| l.code == used)
            .map_or_else(|| used.to_string(), |l| l.label.get(lang).to_string()),
        Kind::Boolean { .. } => match used {
            "true" => Msg::Yes.text(lang).to_string(),
            "false" => Msg::No.text(lang).to_string(),
            other => other.to_string(),
        },
        Kind::Numeric { unit, .. } if !unit.is_empty() && !used.is_empty() => {
            format!("{used} {unit}")
        }
        Kind::Numeric { .. } => used.to_string(),
    }
}

/// A published equation's what-ifs on its treatment targets, one line each, then all together:
/// "Systolic blood pressure 150 mmHg → 110 mmHg: 9 of 100 (now 14 of 100)".
pub fn target_lines(
    t: &crate::clinical::targets::Targets,
    schema: &Schema,
    lang: Lang,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = t
        .changes
        .iter()
        .filter_map(|c| {
            let f = schema.feature(&c.field)?;
            let line = match lang {
                Lang::En => format!(
                    "{} {} → {}: {} (now {})",
                    f.label.get(lang),
                    value_text(f, &c.from, lang),
                    value_text(f, &c.to, lang),
                    per_100(c.risk, lang),
                    per_100(t.now, lang)
                ),
                Lang::Zh => format!(
                    "{} {} → {}：{}（目前{}）",
                    f.label.get(lang),
                    value_text(f, &c.from, lang),
                    value_text(f, &c.to, lang),
                    per_100(c.risk, lang),
                    per_100(t.now, lang)
                ),
            };
            Some((c.field.clone(), line))
        })
        .collect();
    if let Some(all) = t.together {
        out.push((
            "together".into(),
            match lang {
                Lang::En => format!("All of these together: {}", per_100(all, lang)),
                Lang::Zh => format!("以上全部同时改变：{}", per_100(all, lang)),
            },
        ));
    }
    out
}

/// What the what-ifs of a published equation are, and are not.
pub fn targets_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "What the equation computes with each treatment target moved to its optimal value, one at a time (shown only where that lowers the risk). Options to discuss, not directives: an equation describes its cohorts, not the effect of a treatment in a trial, and treatment status (blood-pressure treatment, a statin) is not changed here for that reason.",
        Lang::Zh => "方程在逐项将各治疗目标调至理想值后计算的结果（仅显示能降低风险者）。供讨论的选项，而非指令：方程描述的是其队列，而非试验中治疗的效果；因此这里不改变治疗状态（降压治疗、他汀）。",
    }
}

/// The heading over "what would change this": on a diagnostic model, or where no input is a
/// treatment target, it is the model's sensitivity, not a plan.
pub fn change_heading(schema: &Schema, lang: Lang) -> &'static str {
    let targets = schema.target.purpose == Purpose::Prognostic
        && schema.features.iter().any(|f| f.treatment_target);
    match (targets, lang) {
        (true, Lang::En) => "What would change this",
        (true, Lang::Zh) => "怎样会改变结果",
        (false, Lang::En) => "How sensitive the model is",
        (false, Lang::Zh) => "模型对输入的敏感程度",
    }
}

/// "What would change this", worded for what it is: on a diagnostic model, or through inputs
/// that are not treatment targets, the model's sensitivity ("the model's answer would differ
/// if …; this is not a treatment target"); through treatment targets on a prognostic model,
/// an association the training data show, not a promise.
pub fn change_words(change: &Change, schema: &Schema, focus: usize, lang: Lang) -> String {
    let label = |c: &str| {
        schema
            .feature(c)
            .map_or(c, |f| f.label.get(lang))
            .to_string()
    };
    match change {
        Change::NothingModifiable => Msg::NothingModifiable.text(lang).to_string(),
        Change::Targets => targets_note(lang).to_string(),
        Change::NoneWithinRange { searched } => {
            let names = searched.iter().map(|c| label(c)).collect::<Vec<_>>();
            match lang {
                Lang::En => format!(
                    "No change to {} within their plausible ranges would change the model's answer.",
                    names.join(", ")
                ),
                Lang::Zh => format!("在可接受范围内调整{}都不会改变模型的结果。", names.join("、")),
            }
        }
        Change::Found {
            changes,
            new_top,
            probability,
            ..
        } => {
            let parts: Vec<String> = changes
                .iter()
                .map(|c| match schema.feature(&c.field) {
                    Some(f) => format!(
                        "{} {} → {}",
                        f.label.get(lang),
                        value_text(f, &c.from, lang),
                        value_text(f, &c.to, lang)
                    ),
                    None => format!("{} {} → {}", c.field, c.from, c.to),
                })
                .collect();
            // For a binary target the sentence is about the class in focus, whichever class the
            // change makes most probable.
            let binary = schema.target.classes.len() == 2;
            let (class, p) = if binary && *new_top != focus {
                (focus, 1.0 - probability)
            } else {
                (*new_top, *probability)
            };
            let class = class_label(schema, class, lang);
            let targets = schema.target.purpose == Purpose::Prognostic
                && changes
                    .iter()
                    .all(|c| schema.feature(&c.field).is_some_and(|f| f.treatment_target));
            match (lang, targets) {
                (Lang::En, false) => format!(
                    "The model's answer would differ if {}: “{class}” {:.1} %, all other inputs unchanged. This shows how sensitive the model is to these values; it is not a treatment target{}.",
                    parts.join(" and "),
                    p * 100.0,
                    if schema.target.purpose == Purpose::Diagnostic {
                        ", and changing a finding does not change the condition"
                    } else {
                        ""
                    }
                ),
                (Lang::En, true) => format!(
                    "With {}, the model's estimate for “{class}” would be {:.1} %, all other inputs unchanged. This is the association in the training data; whether treating it changes this patient's risk rests on trial evidence, not on this model.",
                    parts.join(" and "),
                    p * 100.0
                ),
                (Lang::Zh, false) => format!(
                    "若{}，模型的结果会不同：“{class}”{:.1} %（其他输入不变）。这反映模型对这些数值的敏感程度，并非治疗目标{}。",
                    parts.join("，并且"),
                    p * 100.0,
                    if schema.target.purpose == Purpose::Diagnostic {
                        "；改变一项检查结果并不会改变病情"
                    } else {
                        ""
                    }
                ),
                (Lang::Zh, true) => format!(
                    "若{}，模型对“{class}”的估计将为 {:.1} %（其他输入不变）。这是训练数据中的关联；治疗该因素能否降低该患者的风险取决于试验证据，而非本模型。",
                    parts.join("，并且"),
                    p * 100.0
                ),
            }
        }
    }
}

/// "Measuring blood pressure could change this estimate by up to 8 points (12–28 %)."
pub fn measurement_text(m: &Measurement, schema: &Schema, lang: Lang) -> String {
    let label = schema
        .feature(&m.field)
        .map_or(m.field.as_str(), |f| f.label.get(lang));
    let up = ((m.high - m.current).max(m.current - m.low) * 100.0).round();
    let avg = m.expected_change * 100.0;
    match lang {
        Lang::En => format!(
            "Measuring {label} could change this estimate by up to {up:.0} points ({:.0}–{:.0} % across the values patients in the training data had; {avg:.1} points on average).",
            m.low * 100.0,
            m.high * 100.0
        ),
        Lang::Zh => format!(
            "测量{label}可能使该估计最多变动 {up:.0} 个百分点（在训练数据患者的取值范围内为 {:.0}–{:.0} %；平均 {avg:.1} 个百分点）。",
            m.low * 100.0,
            m.high * 100.0
        ),
    }
}

/// The heading over the ranked missing inputs.
pub fn measurements_heading(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The most useful next measurement",
        Lang::Zh => "最值得补充的检查",
    }
}

/// Where the quiz's model probability comes from.
pub fn quiz_basis_text(held_out: bool, lang: Lang) -> &'static str {
    match (held_out, lang) {
        (true, Lang::En) => "(from a cross-validation model that did not see this case: what the model does on new patients)",
        (true, Lang::Zh) => "（来自未见过该病例的交叉验证模型：即模型对新患者的表现）",
        (false, Lang::En) => "(this case is not one the model was trained on)",
        (false, Lang::Zh) => "（该病例不在模型的训练数据中）",
    }
}

/// Why the quiz's explanation may not match the probability above it.
pub fn quiz_explanation_note(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "The explanation below is of the final model, which was trained on this case; its output can differ from the held-out probability above.",
        Lang::Zh => "下面的解释来自最终模型，该模型的训练数据包含此病例；其输出可能与上方的留出概率不同。",
    }
}

/// The label of the class chooser of a differential's explanation.
pub fn explain_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Explain",
        Lang::Zh => "解释",
    }
}

/// What the explanation explains, for a binary risk model ("what drives the risk of …").
pub fn explains_text(schema: &Schema, class: usize, lang: Lang) -> String {
    let label = class_label(schema, class, lang);
    match lang {
        Lang::En => format!("What moves the estimate for “{label}” (bars to the right raise it, to the left lower it)"),
        Lang::Zh => format!("影响“{label}”估计的因素（向右的条形使其升高，向左的使其降低）"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_frequencies_round_to_whole_patients_and_say_when_rounding_hides_one() {
        assert_eq!(per_100(0.167, Lang::En), "about 17 of 100");
        assert_eq!(per_100(0.004, Lang::En), "fewer than 1 of 100");
        assert_eq!(per_100(0.0, Lang::En), "about 0 of 100");
        assert_eq!(per_100(0.996, Lang::En), "more than 99 of 100");
        assert_eq!(per_100(0.167, Lang::Zh), "每 100 人中约 17 人");
        assert_eq!(of_100(f64::NAN), 0);
    }

    #[test]
    fn the_frequency_sentence_names_both_classes_out_of_the_same_100() {
        let s = crate::contract::schema::tests::shipped("indo_rct");
        let en = frequency_text(&s, 1, 0.167, false, Lang::En);
        assert_eq!(
            en,
            "Of 100 patients like this one, about 17: Post-ERCP pancreatitis; the other 83: No pancreatitis."
        );
        let zh = frequency_text(&s, 1, 0.167, false, Lang::Zh);
        assert!(zh.contains("约 17 人") && zh.contains("其余 83 人"), "{zh}");
        // At the ends the two counts stay consistent with each other.
        assert_eq!(
            frequency_text(&s, 1, 0.9996, false, Lang::En),
            "Of 100 patients like this one, more than 99: Post-ERCP pancreatitis; the other fewer than 1: No pancreatitis."
        );
        assert_eq!(percent(0.9996), "> 99.9 %");
        // The two counts always add up to 100, also where each would round up on its own.
        for k in 0..=1000 {
            let p = f64::from(k) / 1000.0;
            let en = frequency_text(&s, 1, p, false, Lang::En);
            let n = of_100(p);
            if (1..100).contains(&n) {
                assert!(
                    en.contains(&format!("about {n}: "))
                        && en.contains(&format!("the other {}: ", 100 - n)),
                    "{en}"
                );
            }
        }
        assert!(frequency_text(&s, 1, 0.13, true, Lang::En)
            .starts_with("Of 100 patients in the population the model was trained on"));
        assert_eq!(percent(0.167), "16.7 %");
    }

    #[test]
    fn labels_replace_codes() {
        let s = crate::contract::schema::tests::shipped("indo_rct");
        let sex = s.feature("gender").or_else(|| s.feature("sex"));
        if let Some(f) = sex {
            let code = match &f.kind {
                Kind::Categorical { levels } => levels[0].code.clone(),
                _ => "true".into(),
            };
            let text = value_text(f, &code, Lang::En);
            assert_ne!(text, code, "a code shown as a value");
        }
        let pima = crate::contract::schema::tests::shipped("pima");
        let glu = pima.feature("glu").unwrap();
        assert_eq!(value_text(glu, "120", Lang::En), "120 mg/dL");
    }

    #[test]
    fn diagnostic_sensitivity_is_not_worded_as_a_treatment_target() {
        let pima = crate::contract::schema::tests::shipped("pima");
        let change = Change::Found {
            changes: vec![crate::clinical::counterfactual::FeatureChange {
                field: "glu".into(),
                from: "160".into(),
                to: "120".into(),
            }],
            new_top: 0,
            probability: 0.7,
            distance: 1.0,
        };
        let en = change_words(&change, &pima, 1, Lang::En);
        assert!(en.contains("not a treatment target"), "{en}");
        assert!(en.contains("“Diabetes” 30.0 %"), "{en}");
        assert_eq!(
            change_heading(&pima, Lang::En),
            "How sensitive the model is"
        );
        let zh = change_words(&change, &pima, 1, Lang::Zh);
        assert!(zh.contains("并非治疗目标"), "{zh}");
    }
}
