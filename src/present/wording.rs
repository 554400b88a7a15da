//! Every string the UI shows, in English and 简体中文, and the wording of errors and flags for
//! clinicians (with the schema's labels rather than column names).
//!
//! UI strings are an enum with one `match`, so a missing translation does not compile; a test
//! also checks that none is empty or left in the other language.

use crate::clinical::assess::{Flag, Side};
use crate::clinical::context::{FieldSource, Origin, PatientContext};
use crate::contract::schema::{Interval, Lang, Schema};
use crate::error::Error;
use crate::model::explain::Scale;
use crate::present::ui::Msg;

/// A range as its source states it: `min–max unit` when both ends are inclusive ("18.5–24.9",
/// the usual way to write a closed range); a single bound as `≤ 139`, `< 140`, `≥ 18.5` or
/// `> 0`; and both bounds spelt out and joined ("≥ 18.5 and < 25", "≥ 18.5 且 < 25") when
/// either end is exclusive, because "18.5–25" would read as including 25.
pub fn range_text(r: &Interval, unit: &str, lang: Lang) -> String {
    let unit = with_space(unit);
    let lower = |lo: f64| {
        if r.min_open {
            format!("> {lo}")
        } else {
            format!("≥ {lo}")
        }
    };
    let upper = |hi: f64| {
        if r.max_open {
            format!("< {hi}")
        } else {
            format!("≤ {hi}")
        }
    };
    match (r.min, r.max) {
        (Some(lo), Some(hi)) if !r.min_open && !r.max_open => format!("{lo}–{hi}{unit}"),
        (Some(lo), Some(hi)) => {
            let and = match lang {
                Lang::En => "and",
                Lang::Zh => "且",
            };
            format!("{} {and} {}{unit}", lower(lo), upper(hi))
        }
        (None, Some(hi)) => format!("{}{unit}", upper(hi)),
        (Some(lo), None) => format!("{}{unit}", lower(lo)),
        (None, None) => String::new(),
    }
}

fn with_space(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

fn label<'a>(schema: Option<&'a Schema>, column: &'a str, lang: Lang) -> &'a str {
    schema
        .and_then(|s| s.feature(column))
        .map_or(column, |f| f.label.get(lang))
}

/// An error as a clinician should read it, with the field's label and what is accepted.
pub fn error_text(e: &Error, schema: Option<&Schema>, lang: Lang) -> String {
    use crate::error::{excerpt, given};
    use Lang::{En, Zh};
    match (e, lang) {
        (
            Error::OutOfRange {
                field,
                value,
                min,
                max,
                unit,
            },
            En,
        ) => format!(
            "{}: {}{u} is outside the plausible range {min}–{max}{u}",
            label(schema, field, En),
            crate::error::short(*value),
            u = with_space(unit)
        ),
        (
            Error::OutOfRange {
                field,
                value,
                min,
                max,
                unit,
            },
            Zh,
        ) => format!(
            "{}：{}{u} 超出可接受范围 {min}–{max}{u}",
            label(schema, field, Zh),
            crate::error::short(*value),
            u = with_space(unit)
        ),
        (
            Error::WrongType {
                field,
                value,
                expected,
            },
            En,
        ) => format!(
            "{}: expected {expected}, got {}",
            label(schema, field, En),
            given(value, En)
        ),
        (Error::WrongType { field, value, .. }, Zh) => {
            use crate::contract::schema::Kind;
            let hint = match schema.and_then(|s| s.feature(field)).map(|f| &f.kind) {
                Some(Kind::Numeric {
                    plausible,
                    unit,
                    integer,
                    ..
                }) => format!(
                    "应为 {}–{}{} 之间的{}",
                    plausible.min,
                    plausible.max,
                    with_space(unit),
                    if *integer { "整数" } else { "数值" }
                ),
                Some(Kind::Boolean {
                    false_code,
                    true_code,
                }) => format!("应为 true 或 false（或文本“{true_code}”或“{false_code}”）"),
                Some(Kind::Categorical { levels }) => {
                    format!("应为代码 {} 之一", crate::contract::schema::codes(levels))
                }
                None => "类型不正确".to_string(),
            };
            format!(
                "{}：{hint}，收到的是{}",
                label(schema, field, Zh),
                given(value, Zh)
            )
        }
        (Error::NumberAsText { field, value }, En) => format!(
            "{}: expected a number, got the text \"{}\"",
            label(schema, field, En),
            excerpt(value, En)
        ),
        (Error::NumberAsText { field, value }, Zh) => format!(
            "{}：应为数字，收到的是文本“{}”",
            label(schema, field, Zh),
            excerpt(value, Zh)
        ),
        (
            Error::UnknownCategory {
                field,
                value,
                accepted,
            },
            En,
        ) => {
            format!(
                "{}: “{}” is not one of {accepted}",
                label(schema, field, En),
                excerpt(value, En)
            )
        }
        (
            Error::UnknownCategory {
                field,
                value,
                accepted,
            },
            Zh,
        ) => {
            format!(
                "{}：“{}”不是可选值之一（{accepted}）",
                label(schema, field, Zh),
                excerpt(value, Zh)
            )
        }
        (Error::MissingValue { field }, En) => format!("{} is required", label(schema, field, En)),
        (Error::MissingValue { field }, Zh) => format!("{}为必填项", label(schema, field, Zh)),
        (Error::UnknownField { field, accepted }, En) => {
            format!(
                "unknown field “{}”; this model accepts: {accepted}",
                excerpt(field, En)
            )
        }
        (Error::UnknownField { field, accepted }, Zh) => {
            format!("未知字段“{}”；本模型接受：{accepted}", excerpt(field, Zh))
        }
        (Error::NotABundle, Zh) => "该文件不是 Bedside 模型包（缺少 BDSX 标识）".into(),
        (Error::UnsupportedVersion { found, supported }, Zh) => {
            format!("模型包格式版本 {found} 不受支持；本程序读取版本 {supported}")
        }
        (Error::Truncated { expected, got }, Zh) => {
            format!("模型包不完整：只有 {got} 字节，应为 {expected} 字节")
        }
        (Error::HashMismatch, Zh) => "模型包已损坏：内容的 SHA-256 与文件头不符".into(),
        (Error::Decode(m), Zh) => format!("无法解码模型包内容：{m}"),
        (Error::InconsistentBundle(m), Zh) => format!("模型包内部不一致：{m}"),
        (Error::Unsigned, Zh) => {
            "模型包没有签名，而本页只使用由受信任密钥签名的模型包（策略：require）".into()
        }
        (Error::UntrustedSigner(k), Zh) => {
            format!("模型包由密钥 {k}… 签名，但该密钥不在受信任列表中（策略：require）")
        }
        (Error::BadSignature(k), Zh) => {
            format!("受信任密钥 {k}… 的签名验证失败：文件在签名后被改动过")
        }
        (Error::BadPatient { reason }, Zh) => {
            format!("患者数据不是“字段 → 数值”的 JSON 对象：{reason}")
        }
        // The core's reasons for data and validation are English free text: named in Chinese
        // first, the reason kept as it is.
        (Error::Data(m), Zh) => format!("数据无法使用：{m}"),
        (Error::Validation(m), Zh) => format!("无法进行本地验证：{m}"),
        (Error::Draft(m), Zh) => format!("无法起草数据说明（schema）：{m}"),
        (other, _) => other.to_string(),
    }
}

/// What a FHIR import did not use: the feature's label, or the observation as named.
pub fn skipped_label<'a>(
    s: &'a crate::interop::fhir::Skipped,
    schema: &'a Schema,
    lang: Lang,
) -> &'a str {
    label(Some(schema), &s.what, lang)
}

/// Why a FHIR input (or a feature) was not used, in words: "its unit kPa cannot be converted
/// to mm[Hg]".
pub fn skipped_text(s: &crate::interop::fhir::Skipped, schema: &Schema, lang: Lang) -> String {
    use crate::interop::fhir::Why;
    match (&s.why, lang) {
        (Why::NoMapping, Lang::En) => {
            "this model has no FHIR source for it; enter it by hand".to_string()
        }
        (Why::NoMapping, Lang::Zh) => "本模型没有它的 FHIR 来源；请手动填写".to_string(),
        (Why::NoData, Lang::En) => "not in the FHIR data".to_string(),
        (Why::NoData, Lang::Zh) => "FHIR 数据中没有".to_string(),
        (Why::NotSame(t), _) => t.get(lang).to_string(),
        (Why::Unit { got, want }, Lang::En) => {
            format!("its unit {got} cannot be converted to {want}")
        }
        (Why::Unit { got, want }, Lang::Zh) => format!("单位 {got} 无法换算为 {want}"),
        (Why::Rejected(e), _) => error_text(e, Some(schema), lang),
        (Why::PartialBirthDate(b), Lang::En) => {
            format!("the birth date {b} is not a full date, so the age is not known")
        }
        (Why::PartialBirthDate(b), Lang::Zh) => format!("出生日期 {b} 不完整，无法确定年龄"),
        (Why::Gender(g), Lang::En) => format!("gender “{g}” has no code in this model"),
        (Why::Gender(g), Lang::Zh) => format!("性别“{g}”在本模型中没有对应代码"),
        (Why::Population { got, want }, Lang::En) => {
            format!(
                "the patient is recorded as {got}; this model was trained on {want} patients only"
            )
        }
        (Why::Population { got, want }, Lang::Zh) => {
            format!("患者记录的性别为 {got}；本模型仅用 {want} 患者训练")
        }
        (Why::NotUsed, Lang::En) => "not used by this model".to_string(),
        (Why::NotUsed, Lang::Zh) => "本模型不使用".to_string(),
        (Why::NoValue, Lang::En) => "the observation has no numeric value".to_string(),
        (Why::NoValue, Lang::Zh) => "该观察没有数值".to_string(),
        (Why::NotRecorded, Lang::En) => {
            "not found in the record (nothing is assumed from its absence): answer by hand"
                .to_string()
        }
        (Why::NotRecorded, Lang::Zh) => {
            "记录中未找到（不因缺少记录而推定为“否”）：请手动填写".to_string()
        }
        (Why::OtherSubject(r), Lang::En) => {
            format!("it is about another subject ({r}), not this record's patient")
        }
        (Why::OtherSubject(r), Lang::Zh) => format!("它属于另一对象（{r}），不是本记录的患者"),
        (Why::NoSubject, Lang::En) => {
            "it names no patient (no subject), so it cannot be verified to be this patient's"
                .to_string()
        }
        (Why::NoSubject, Lang::Zh) => {
            "它未指明患者（没有 subject），无法确认属于本患者".to_string()
        }
        (
            Why::Bound {
                comparator,
                value,
                unit,
            },
            Lang::En,
        ) => format!(
            "reported as {comparator} {value}{}: a bound, not a measured value; the current \
             value is unknown, so older readings are not used either",
            with_space(unit)
        ),
        (
            Why::Bound {
                comparator,
                value,
                unit,
            },
            Lang::Zh,
        ) => format!(
            "报告为 {comparator} {value}{}：这是界限值，不是测量值；\
             当前数值未知，因此也不使用更早的读数",
            with_space(unit)
        ),
    }
}

/// An old reading in words: "old reading: measured 2 412 days ago; this model asks for
/// readings from the last 365 days". In English the days are grouped by thousands with a
/// no-break space, so a large number reads at a glance and never wraps mid-number; Chinese
/// writes it plain.
pub fn stale_text(stale: &crate::interop::fhir::Stale, lang: Lang) -> String {
    let max = stale.max_days;
    match lang {
        Lang::En => {
            // A stale reading is always in the past (more days than the limit, at least 1).
            let digits = stale.days.unsigned_abs().to_string();
            let mut days = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    days.push('\u{a0}');
                }
                days.push(c);
            }
            format!(
                "old reading: measured {days} days ago; this model asks for readings from the \
                 last {max} days"
            )
        }
        Lang::Zh => format!(
            "旧读数：测量于 {} 天前；本模型要求使用最近 {max} 天内的读数",
            stale.days
        ),
    }
}

/// Whose record a FHIR import is, for its banner: "Record: Aaron697 Brekke496, born
/// 1945-12-10, Patient/5cbc…".
pub fn record_text(p: &crate::interop::fhir::PatientInfo, lang: Lang) -> String {
    let (title, unnamed, born, sep) = match lang {
        Lang::En => ("Record: ", "no name recorded", "born ", ", "),
        Lang::Zh => ("病历：", "未记录姓名", "出生日期 ", "，"),
    };
    let mut parts = vec![p.name.clone().unwrap_or_else(|| unnamed.to_string())];
    parts.extend(p.birth_date.as_ref().map(|b| format!("{born}{b}")));
    parts.extend(p.reference.clone());
    format!("{title}{}", parts.join(sep))
}

/// A flag in words: "Plasma glucose …: 148 mg/dL — above the normal range (normal: < 140 mg/dL;
/// source)", each bound as the source states it.
pub fn flag_text(flag: &Flag, schema: &Schema, lang: Lang) -> String {
    let unit = |field: &str| schema.feature(field).map_or("", |f| f.unit());
    match flag {
        Flag::OutsideReference {
            field,
            value,
            side,
            range,
            source,
        } => {
            let where_ = match side {
                Side::High => Msg::AboveNormal,
                Side::Low => Msg::BelowNormal,
            };
            format!(
                "{}: {value}{} — {} ({}: {}; {source})",
                label(Some(schema), field, lang),
                with_space(unit(field)),
                where_.text(lang),
                Msg::NormalRange.text(lang),
                range_text(range, unit(field), lang)
            )
        }
        Flag::OutsideTraining {
            field,
            value,
            range,
            ..
        } => format!(
            "{}: {value}{} — {} ({}: {})",
            label(Some(schema), field, lang),
            with_space(unit(field)),
            Msg::OutsideTraining.text(lang),
            Msg::TrainingRange.text(lang),
            range_text(range, unit(field), lang)
        ),
    }
}

/// "Contributions to the log-odds of “Diabetes”" and its siblings.
pub fn scale_text(scale: Scale, class: &str, lang: Lang) -> String {
    match (scale, lang) {
        (Scale::LogOdds, Lang::En) => format!("Contributions to the log-odds of “{class}”"),
        (Scale::LogOdds, Lang::Zh) => format!("对“{class}”对数几率的贡献"),
        (Scale::CenteredLogRatio, Lang::En) => {
            format!("Contributions to the centred log-ratio of “{class}”")
        }
        (Scale::CenteredLogRatio, Lang::Zh) => format!("对“{class}”中心化对数比的贡献"),
        (Scale::Probability, Lang::En) => format!("Contributions to the probability of “{class}”"),
        (Scale::Probability, Lang::Zh) => format!("对“{class}”概率的贡献"),
        (Scale::LogHazard, Lang::En) => {
            format!("Contributions to the log relative hazard of “{class}”")
        }
        (Scale::LogHazard, Lang::Zh) => format!("对“{class}”对数相对风险（危险比）的贡献"),
    }
}

/// For a published equation: "reference patient 60.70 → this patient 61.95".
pub fn reference_text(baseline: f64, output: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("reference patient {baseline:.3} → this patient {output:.3}"),
        Lang::Zh => format!("参照患者 {baseline:.3} → 本患者 {output:.3}"),
    }
}

/// "average training patient 0.12 → this patient 1.63".
pub fn baseline_text(baseline: f64, output: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("average training patient {baseline:.3} → this patient {output:.3}"),
        Lang::Zh => format!("训练数据平均患者 {baseline:.3} → 本患者 {output:.3}"),
    }
}

/// The warning for a patient far from every training case.
pub fn unusual_text(nearest: f64, p99: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "This patient is unlike every case the model was trained on: the nearest training case is {nearest:.2} standard units away, farther than 99% of training cases are from their nearest neighbour ({p99:.2}). Treat the estimate with extra caution."
        ),
        Lang::Zh => format!(
            "该患者与模型训练过的所有病例都不相似：最近的训练病例距离为 {nearest:.2} 个标准单位，超过 99% 的训练病例与其最近邻的距离（{p99:.2}）。请格外谨慎对待该估计。"
        ),
    }
}

/// "7 of the 10 most similar cases had diabetes (70 %); the model estimates 64 %."
pub fn outcome_mix_text(
    count: u32,
    shown: usize,
    class: &str,
    model_probability: Option<f64>,
    lang: Lang,
) -> String {
    let pct = if shown > 0 {
        f64::from(count) * 100.0 / shown as f64
    } else {
        0.0
    };
    let model = model_probability.map(|p| p * 100.0);
    match (lang, model) {
        (Lang::En, Some(m)) => format!(
            "{count} of the {shown} most similar cases: {class} ({pct:.0} %); the model estimates {m:.1} %."
        ),
        (Lang::En, None) => format!("{count} of the {shown} most similar cases: {class} ({pct:.0} %)."),
        (Lang::Zh, Some(m)) => format!(
            "最相似的 {shown} 个病例中有 {count} 个为{class}（{pct:.0} %）；模型估计为 {m:.1} %。"
        ),
        (Lang::Zh, None) => format!("最相似的 {shown} 个病例中有 {count} 个为{class}（{pct:.0} %）。"),
    }
}

/// "300 cases, 120 after filters; 7 of 7 features compared."
pub fn library_scope_text(
    total: usize,
    eligible: usize,
    compared: usize,
    features: usize,
    lang: Lang,
) -> String {
    match lang {
        Lang::En => format!(
            "{total} cases in the library, {eligible} after filters; {compared} of {features} features compared."
        ),
        Lang::Zh => format!(
            "病例库共 {total} 个病例，筛选后 {eligible} 个；比较了 {features} 个特征中的 {compared} 个。"
        ),
    }
}

/// A value as stored in a case library, for display: number with unit, level label, yes/no,
/// or "missing".
pub fn stored_value_text(feature: &crate::contract::schema::Feature, v: f32, lang: Lang) -> String {
    use crate::contract::schema::Kind;
    if v.is_nan() {
        return Msg::Missing.text(lang).to_string();
    }
    match &feature.kind {
        Kind::Numeric { unit, .. } => format!("{}{}", crate::cases::widen(v), with_space(unit)),
        Kind::Categorical { levels } => levels
            .get(v as usize)
            .map_or_else(String::new, |l| l.label.get(lang).to_string()),
        Kind::Boolean { .. } => if v != 0.0 { Msg::Yes } else { Msg::No }
            .text(lang)
            .to_string(),
    }
}

/// How a neighbour differs in one feature: "Age +8 years", "Sex: Male".
pub fn difference_text(
    feature: &crate::contract::schema::Feature,
    delta: Option<f64>,
    theirs: f32,
    lang: Lang,
) -> String {
    let name = feature.label.get(lang);
    match delta {
        Some(d) => {
            let sign = if d > 0.0 { "+" } else { "−" };
            let mag = (d.abs() * 1000.0).round() / 1000.0;
            format!("{name} {sign}{mag}{}", with_space(feature.unit()))
        }
        None => format!("{name}: {}", stored_value_text(feature, theirs, lang)),
    }
}

/// "9.1 %" from a probability.
fn pct(p: f64) -> String {
    format!("{:.1} %", p * 100.0)
}

/// "Observed in this trial arm: 27/295 = 9.2 % (95 % CI 6.4–13.0 %); the model's
/// cross-validated mean over the arm: 9.1 %" (a calibration check the reader can see).
pub fn arm_rate_text(
    events: u32,
    n: u32,
    low: f64,
    high: f64,
    model_mean: f64,
    lang: Lang,
) -> String {
    let rate = if n == 0 {
        0.0
    } else {
        f64::from(events) / f64::from(n)
    };
    match lang {
        Lang::En => format!(
            "Observed in this trial arm: {events}/{n} = {} (95 % CI {:.1}–{}); the model's cross-validated mean over the arm: {}",
            pct(rate),
            low * 100.0,
            pct(high),
            pct(model_mean)
        ),
        Lang::Zh => format!(
            "该试验组的实际发生率：{events}/{n} = {}（95% CI {:.1}–{}）；模型在该组的交叉验证平均估计：{}",
            pct(rate),
            low * 100.0,
            pct(high),
            pct(model_mean)
        ),
    }
}

/// "Among the 40 most similar trial patients, 19 had this option; 3 of them had pancreatitis."
pub fn case_evidence_text(k: usize, cases: u32, events: u32, outcome: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "Among the {k} most similar trial patients, {cases} had this option; {events} of them had {outcome}."
        ),
        Lang::Zh => format!(
            "在 {k} 名最相似的试验患者中，{cases} 名接受了该选项，其中 {events} 名发生{outcome}。"
        ),
    }
}

/// The patients of a trial bundle censored before a derived time-to-event outcome's horizon,
/// and what was done about them: since the trainer weights them in (inverse probability of
/// censoring, `train::censoring`) rather than dropping them, the modelled risks are no longer
/// overstated, but the observed arm rates shown beside them still count only the patients with
/// a known status, and a reader comparing the two needs to know why they differ.
pub fn censored_text(n: u32, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{n} patients' follow-up ended before the outcome's horizon without the event, so their outcome is unknown. They are not dropped: inverse-probability-of-censoring weights (from the Kaplan–Meier estimate of follow-up) account for them in the model's calibration, the base rate and the per-arm models (the calibration and the base rate use those among the model's training patients, the per-arm models all of them), so these average to the Kaplan–Meier risk (each arm's model to its own arm's) instead of the higher rate among the patients followed to the horizon. The observed arm rates shown beside the modelled risks count only the patients with a known status, so they can be higher."
        ),
        Lang::Zh => format!(
            "{n} 名患者的随访在结局时间窗结束前终止且未发生事件，其结局未知。他们没有被排除：逆概率删失加权（依据随访的 Kaplan–Meier 估计）在模型校准、基础率和各组模型中计入了他们（校准和基础率使用其中属于模型训练集的患者，各组模型使用全部患者），使这些估计的平均值与 Kaplan–Meier 风险相符（各组模型与本组的相符），而不是随访满时间窗的患者中较高的发生率。模型风险旁显示的各组实际发生率只统计结局已知的患者，因此可能更高。"
        ),
    }
}

/// Who vouches for a bundle, in words: "signed by key 0123…", "not signed", …
pub fn signature_text(provenance: &crate::bundle::signature::Provenance, lang: Lang) -> String {
    use crate::bundle::signature::Provenance;
    match provenance {
        Provenance::Verified(k) => format!("{} {k}…", Msg::SignedBy.text(lang)),
        Provenance::Unsigned => Msg::NotSigned.text(lang).to_string(),
        Provenance::UnknownSigner(k) => format!("{} {k}…", Msg::UnknownSigner.text(lang)),
        Provenance::NotChecked => Msg::NotChecked.text(lang).to_string(),
    }
}

/// The model bundle an output rests on, in one sentence: id, full SHA-256 and signature.
pub fn bundle_basis_text(
    id: &str,
    sha256: &str,
    provenance: &crate::bundle::signature::Provenance,
    lang: Lang,
) -> String {
    let signature = signature_text(provenance, lang);
    match lang {
        Lang::En => format!("Model bundle {id}, SHA-256 {sha256}; signature: {signature}."),
        Lang::Zh => format!("模型包 {id}，SHA-256 {sha256}；签名：{signature}。"),
    }
}

/// Who is on screen, in words (the banner, every report and every card): here rather than in
/// the patient context, which holds no wording.
impl PatientContext {
    /// Who is on screen, in words, for the banner and every report: the record's name, birth
    /// date and id; the example row or case; "from the host page"; "entered by hand".
    pub fn who(&self, lang: Lang) -> String {
        let edited = self
            .sources
            .iter()
            .filter(|s| **s == FieldSource::Typed)
            .count();
        let base = match &self.origin {
            Origin::Blank => return Msg::PatientNone.text(lang).to_string(),
            Origin::Typed => return Msg::PatientTyped.text(lang).to_string(),
            Origin::Example { row } => format!("{} {row}", Msg::PatientExample.text(lang)),
            Origin::Worked(label) => match lang {
                Lang::En => format!("Worked example of the paper: {label}"),
                Lang::Zh => format!("论文的计算示例：{label}"),
            },
            Origin::Case { index } => format!("{} {}", Msg::PatientCase.text(lang), index + 1),
            Origin::Host => Msg::PatientHost.text(lang).to_string(),
            Origin::Record(r) => {
                let mut parts = vec![Msg::PatientRecord.text(lang).to_string()];
                if let Some(n) = &r.name {
                    parts.push(n.clone());
                }
                if let Some(b) = &r.birth_date {
                    parts.push(format!("{} {b}", Msg::Born.text(lang)));
                }
                match &r.reference {
                    Some(id) if self.subject().is_some() => parts.push(id.clone()),
                    _ => {}
                }
                parts.join(" · ")
            }
        };
        if edited > 0 {
            format!("{base} ({} {edited})", Msg::EditedByHand.text(lang))
        } else {
            base
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::schema::tests::SAMPLE;

    #[test]
    fn every_message_exists_in_both_languages_and_is_translated() {
        for &m in Msg::ALL {
            let (en, zh) = m.pair();
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{m:?}");
            if !matches!(m, Msg::AppTitle | Msg::F1 | Msg::Brier | Msg::Ece) {
                assert_ne!(en, zh, "{m:?} is not translated");
            }
        }
    }

    #[test]
    fn schema_labels_exist_in_both_languages() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        for f in &s.features {
            assert!(!f.label.en.is_empty() && !f.label.zh.is_empty());
        }
    }

    /// Every text of every shipped schema (titles, labels, levels, arms, caveats, FHIR
    /// reasons…) is there in both languages: found generically, as every `{en, zh}` pair.
    #[test]
    fn every_shipped_schema_text_is_in_both_languages() {
        fn walk(v: &serde_json::Value, path: &str, found: &mut usize) {
            match v {
                serde_json::Value::Object(o) => {
                    if let (Some(en), Some(zh)) = (o.get("en"), o.get("zh")) {
                        *found += 1;
                        let (en, zh) = (en.as_str().unwrap_or(""), zh.as_str().unwrap_or(""));
                        assert!(
                            !en.trim().is_empty() && !zh.trim().is_empty(),
                            "{path}: a text is missing"
                        );
                        assert!(
                            !zh.is_ascii() || en == zh,
                            "{path}: {zh:?} is not translated"
                        );
                    }
                    for (k, v) in o {
                        walk(v, &format!("{path}.{k}"), found);
                    }
                }
                serde_json::Value::Array(a) => {
                    for (i, v) in a.iter().enumerate() {
                        walk(v, &format!("{path}[{i}]"), found);
                    }
                }
                _ => {}
            }
        }
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
        let mut schemas = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".schema.toml") {
                let s = Schema::from_toml(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let mut found = 0;
                walk(&serde_json::to_value(&s).unwrap(), &s.id, &mut found);
                assert!(found > 10, "{}: only {found} texts", s.id);
                schemas += 1;
            }
        }
        assert_eq!(schemas, 8);
    }

    #[test]
    fn errors_use_labels_and_keep_the_range() {
        let s = Schema::from_toml(SAMPLE).unwrap();
        let e = Error::OutOfRange {
            field: "glu".into(),
            value: 900.0,
            min: 20.0,
            max: 600.0,
            unit: "mg/dL".into(),
        };
        assert_eq!(
            error_text(&e, Some(&s), Lang::En),
            "Glucose: 900 mg/dL is outside the plausible range 20–600 mg/dL"
        );
        assert_eq!(
            error_text(&e, Some(&s), Lang::Zh),
            "血糖：900 mg/dL 超出可接受范围 20–600 mg/dL"
        );
        let w = Error::WrongType {
            field: "glu".into(),
            value: "\"x\"".into(),
            expected: "a number".into(),
        };
        assert!(error_text(&w, Some(&s), Lang::Zh).contains("20–600"));
        assert!(error_text(&Error::HashMismatch, None, Lang::Zh).contains("SHA-256"));
    }

    #[test]
    fn ranges_read_naturally() {
        let r = Interval {
            max: Some(139.0),
            ..Interval::default()
        };
        assert_eq!(range_text(&r, "mg/dL", Lang::En), "≤ 139 mg/dL");
        assert_eq!(
            range_text(&Interval::closed(18.5, 24.9), "", Lang::Zh),
            "18.5–24.9"
        );
        let lower = Interval {
            min: Some(0.0),
            min_open: true,
            ..Interval::default()
        };
        assert_eq!(range_text(&lower, "mm", Lang::En), "> 0 mm");
    }

    #[test]
    fn ranges_show_each_bound_as_the_source_states_it_in_both_languages() {
        let below = Interval {
            max: Some(140.0),
            max_open: true,
            ..Interval::default()
        };
        assert_eq!(range_text(&below, "mg/dL", Lang::En), "< 140 mg/dL");
        assert_eq!(range_text(&below, "mg/dL", Lang::Zh), "< 140 mg/dL");
        // "18.5–25" would read as including 25, so a half-open range spells out both bounds.
        let who = Interval {
            max_open: true,
            ..Interval::closed(18.5, 25.0)
        };
        assert_eq!(range_text(&who, "kg/m²", Lang::En), "≥ 18.5 and < 25 kg/m²");
        assert_eq!(range_text(&who, "kg/m²", Lang::Zh), "≥ 18.5 且 < 25 kg/m²");
        let open = Interval {
            min_open: true,
            max_open: true,
            ..Interval::closed(1.0, 2.0)
        };
        assert_eq!(range_text(&open, "", Lang::En), "> 1 and < 2");
    }

    #[test]
    fn a_flag_states_the_normal_range_with_its_bound_kind_in_both_languages() {
        let s = Schema::from_toml(&SAMPLE.replace("max = 139,", "below = 140,")).unwrap();
        let flag = Flag::OutsideReference {
            field: "glu".into(),
            value: 140.0,
            side: Side::High,
            range: Interval {
                max: Some(140.0),
                max_open: true,
                ..Interval::default()
            },
            source: "ADA 2024".into(),
        };
        assert_eq!(
            flag_text(&flag, &s, Lang::En),
            "Glucose: 140 mg/dL — above the normal range (normal: < 140 mg/dL; ADA 2024)"
        );
        assert_eq!(
            flag_text(&flag, &s, Lang::Zh),
            "血糖: 140 mg/dL — 高于正常范围 (正常范围: < 140 mg/dL; ADA 2024)"
        );
    }
}
