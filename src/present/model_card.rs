//! The model card: what a clinician or a reviewer needs to judge a bundle, organised by the
//! sections of Mitchell et al. (2019), "Model Cards for Model Reporting", and covering the
//! TRIPOD+AI (2024) reporting items that apply to a shipped prediction model (data source,
//! participants, outcome, predictors, sample size, missing data, model selection, performance
//! with discrimination and calibration, intended use, limitations).
//!
//! The same sections feed `bedside inspect` (Markdown) and the app (rendered with the ROC and
//! calibration curves), so the two never disagree.

use crate::bundle::Bundle;
use crate::contract::schema::{Kind, Lang, Missing};
use crate::model::calibrate::Calibration;
use crate::model::metrics::Metrics;

/// One titled section of label → text items.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Section title.
    pub title: String,
    /// (label, text) pairs.
    pub items: Vec<(String, String)>,
}

fn tr(lang: Lang, en: &str, zh: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Zh => zh.to_string(),
    }
}

fn family_name(bundle: &Bundle, lang: Lang) -> &'static str {
    let f = bundle.model.family();
    match lang {
        Lang::En => f.name(),
        Lang::Zh => f.name_zh(),
    }
}

/// Why the chosen model was chosen, in words.
pub fn why_chosen(bundle: &Bundle, lang: Lang) -> String {
    let card = &bundle.evaluation;
    let Some(c) = card.candidates.get(card.chosen as usize) else {
        return String::new();
    };
    let eligible = card.candidates.iter().filter(|c| c.eligible).count();
    match lang {
        Lang::En => format!(
            "Lowest mean log-loss ({:.4}) among {eligible} eligible candidates in {}-fold stratified cross-validation on the training data (cross-validated AUC {:.3}). Candidates without an exact explanation at this number of features are not eligible.",
            c.cv.log_loss, card.folds, c.cv.auc
        ),
        Lang::Zh => format!(
            "在训练数据上的 {} 折分层交叉验证中，于 {eligible} 个合格候选模型里平均对数损失最低（{:.4}；交叉验证 AUC {:.3}）。在当前特征数量下无法给出精确解释的候选模型不参与选择。",
            card.folds, c.cv.log_loss, c.cv.auc
        ),
    }
}

fn calibration_text(bundle: &Bundle, lang: Lang) -> String {
    let c = &bundle.evaluation;
    let how = match bundle.calibration {
        Calibration::None => tr(lang, "none", "无"),
        Calibration::Platt { a, b } => match lang {
            Lang::En => format!("Platt scaling on the model's log-odds (a = {a:.3}, b = {b:.3}), fitted on out-of-fold predictions"),
            Lang::Zh => format!("对模型对数几率做 Platt 缩放（a = {a:.3}，b = {b:.3}），在交叉验证的折外预测上拟合"),
        },
        Calibration::Temperature { t } => match lang {
            Lang::En => format!("temperature scaling (T = {t:.3}), fitted on out-of-fold predictions"),
            Lang::Zh => format!("温度缩放（T = {t:.3}），在交叉验证的折外预测上拟合"),
        },
    };
    match lang {
        Lang::En => format!(
            "{how}. Test set: Brier {:.4} → {:.4}, ECE {:.4} → {:.4} (before → after).",
            c.test_raw.brier, c.test.brier, c.test_raw.ece, c.test.ece
        ),
        Lang::Zh => format!(
            "{how}。测试集：Brier {:.4} → {:.4}，ECE {:.4} → {:.4}（校准前 → 校准后）。",
            c.test_raw.brier, c.test.brier, c.test_raw.ece, c.test.ece
        ),
    }
}

/// The training population's base rate of the outcome of interest, and for a time-to-event
/// target how censoring before the horizon was handled.
fn base_rate_item(bundle: &Bundle, lang: Lang) -> String {
    let s = &bundle.schema;
    let positive = s.positive_index();
    let label = s
        .target
        .classes
        .get(positive)
        .map_or("", |c| c.label.get(lang));
    let rate = bundle
        .training
        .base_rates
        .get(positive)
        .copied()
        .unwrap_or(f64::NAN);
    let base = format!("{label}: {:.1} %", rate * 100.0);
    match (&bundle.training.censoring, lang) {
        (None, _) => base,
        (Some(c), Lang::En) => format!(
            "{base} (Kaplan–Meier). {} training patients were censored before the horizon without the event; instead of being dropped, they are accounted for by inverse-probability-of-censoring weights (the Kaplan–Meier estimate of follow-up), which the calibration, this base rate and the per-arm trial models use. Among the patients with a known status the event rate is {:.1} % (dropping the censored would overstate the risk); the mean predicted risk over all training patients, censored ones included, is {:.1} %. The test-set metrics count only patients with a known status, among whom events are over-represented, so calibration measures there may look worse than they are.",
            c.censored, c.complete_case_rate * 100.0, c.mean_predicted * 100.0
        ),
        (Some(c), Lang::Zh) => format!(
            "{base}（Kaplan–Meier）。{} 名训练患者在时间窗结束前删失且未发生事件；他们未被剔除，而是通过逆概率删失加权（随访时间的 Kaplan–Meier 估计）计入，校准、该基础率和各组试验模型均采用此加权。在结局已知的患者中事件率为 {:.1} %（剔除删失患者会高估风险）；包括删失患者在内，全部训练患者的平均预测风险为 {:.1} %。测试集指标只计入结局已知的患者，其中事件比例偏高，因此那里的校准指标可能显得比实际更差。",
            c.censored, c.complete_case_rate * 100.0, c.mean_predicted * 100.0
        ),
    }
}

/// The card of a published equation: the paper's cohorts and figures, the equations with the
/// tables they come from, each input's valid range; no held-out figures of ours (there are
/// none).
fn published_sections(
    bundle: &Bundle,
    p: &crate::bundle::Published,
    sha256: &str,
    lang: Lang,
) -> Vec<Section> {
    let s = &bundle.schema;
    let c = &p.card;
    let (equations, citation, link, ranges) = match &bundle.model {
        crate::model::fitted::Model::Equation(e) => (
            e.strata
                .iter()
                .map(|st| format!("{} ({})", st.label, st.source))
                .collect::<Vec<_>>()
                .join("; "),
            e.citation.clone(),
            match (e.link, lang) {
                (crate::model::equation::Link::Logistic, Lang::En) => {
                    "risk = exp(x) / (1 + exp(x)) of the linear predictor x".to_string()
                }
                (crate::model::equation::Link::Logistic, Lang::Zh) => {
                    "风险 = exp(x) / (1 + exp(x))，x 为线性预测值".to_string()
                }
                (crate::model::equation::Link::Hazard { horizon_years }, Lang::En) => format!(
                    "proportional hazards: risk = 1 − S₀({horizon_years})^exp(x − mean), with each equation's baseline survival S₀ and mean"
                ),
                (crate::model::equation::Link::Hazard { horizon_years }, Lang::Zh) => format!(
                    "比例风险：风险 = 1 − S₀({horizon_years})^exp(x − 均值)，各方程有其基线生存率 S₀ 与均值"
                ),
            },
            e.valid
                .iter()
                .map(|v| {
                    let f = s.features.get(v.feature as usize);
                    let unit = match f.map(|f| &f.kind) {
                        Some(Kind::Numeric { unit, .. }) => unit.as_str(),
                        _ => "",
                    };
                    let what = tr(lang, "refused outside", "超出即拒收");
                    format!(
                        "{} {}–{} {unit} ({what}; {})",
                        f.map_or("", |f| f.label.get(lang)),
                        v.min,
                        v.max,
                        v.source
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => Default::default(),
    };
    let mut out = vec![
        Section {
            title: tr(lang, "Model details", "模型详情"),
            items: vec![
                (tr(lang, "Model", "模型"), tr(lang,
                    "A published equation: the authors' coefficients, fitted on their cohorts. Nothing was trained here, and Bedside has no held-out figures of its own for it.",
                    "已发表的方程：作者在其队列中拟合的系数。本工具未做任何训练，也没有自己的留出验证指标。")),
                (tr(lang, "Source", "出处"), citation),
                (tr(lang, "Equations", "方程"), equations),
                (tr(lang, "Risk", "风险计算"), link),
                (tr(lang, "Valid ranges", "有效范围"), ranges),
                (tr(lang, "Published discrimination", "已发表的区分能力"), c.discrimination.get(lang).to_string()),
                (tr(lang, "Published calibration", "已发表的校准"), c.calibration.get(lang).to_string()),
                (tr(lang, "Built by", "构建工具"), format!("bedside {}; equation file SHA-256 {}", bundle.training.trainer_version, p.equation_sha256)),
                (tr(lang, "Bundle SHA-256", "模型包 SHA-256"), sha256.to_string()),
            ],
        },
        Section {
            title: tr(lang, "Intended use", "预期用途"),
            items: vec![
                (tr(lang, "For", "适用于"), c.intended.get(lang).to_string()),
                (tr(lang, "Not covered", "不涵盖"), c.not_covered.get(lang).to_string()),
                (tr(lang, "Not for", "不适用于"), tr(lang,
                    "Patients' self-use; time-critical or emergency decisions; replacing a clinician's judgement.",
                    "患者自行使用；时间紧迫或急诊决策；替代临床医生的判断。")),
                (tr(lang, "Predicts", "预测目标"), s.target.label.get(lang).to_string()),
                (tr(lang, "Beside every estimate", "每个估计旁的对照"), c.optimal.get(lang).to_string()),
            ],
        },
        Section {
            title: tr(lang, "Data", "数据"),
            items: vec![
                (tr(lang, "Derivation cohorts", "推导队列"), c.derivation.get(lang).to_string()),
                (tr(lang, "Population", "人群"), s.provenance.population.get(lang).to_string()),
                (tr(lang, "Licence", "许可"), s.provenance.license.clone()),
                (tr(lang, "Missing data", "缺失数据"), tr(lang, "No missing values are accepted: every input of the equation is required.", "不接受缺失值：方程的每个输入都必填。")),
                (tr(lang, "References", "参考文献"), s.provenance.citations.join(" · ")),
            ],
        },
        Section {
            title: tr(lang, "Caveats and limitations", "注意事项与局限"),
            items: vec![
                (tr(lang, "Explanations", "解释"), tr(lang,
                    "Each input's contribution to the linear predictor is exact, against a stated reference patient in the same equation (sex and race choose the equation; they are not effects within it); an interaction term is shared between its inputs by its exact Shapley split. They describe the equation, not the biology.",
                    "各输入对线性预测值的贡献是精确的，以同一方程中的参照患者为基准（性别和种族用于选择方程，不作为方程内的效应）；交互项按精确的 Shapley 分配在其输入之间分摊。它们描述的是方程，而非生物学机制。")),
                (tr(lang, "Uncertainty", "不确定性"), tr(lang,
                    "The paper's coefficients carry their own uncertainty, which the equation does not report per patient; no band is shown.",
                    "论文系数本身存在不确定性，方程未按患者给出；因此不显示区间。")),
            ],
        },
    ];
    if !bundle.local.is_empty() {
        out.insert(1, local_section(bundle, lang));
    }
    out
}

/// The card's sections in `lang`.
pub fn sections(bundle: &Bundle, sha256: &str, lang: Lang) -> Vec<Section> {
    if let Some(p) = &bundle.published {
        return published_sections(bundle, p, sha256, lang);
    }
    let s = &bundle.schema;
    let t = &bundle.training;
    let classes = |counts: &[u32]| {
        s.target
            .classes
            .iter()
            .zip(counts)
            .map(|(c, n)| format!("{} {n}", c.label.get(lang)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let imputed: Vec<&str> = s
        .features
        .iter()
        .filter(|f| f.missing == Missing::Impute)
        .map(|f| f.label.get(lang))
        .collect();
    let predictors = s
        .features
        .iter()
        .map(|f| match &f.kind {
            Kind::Numeric { unit, .. } if !unit.is_empty() => {
                format!("{} ({unit})", f.label.get(lang))
            }
            _ => f.label.get(lang).to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = vec![
        Section {
            title: tr(lang, "Model details", "模型详情"),
            items: vec![
                (tr(lang, "Model", "模型"), format!("{} ({})", family_name(bundle, lang), bundle.evaluation.candidates.get(bundle.evaluation.chosen as usize).map_or("", |c| c.params.as_str()))),
                (tr(lang, "Why this model", "选择理由"), why_chosen(bundle, lang)),
                (tr(lang, "Discrimination", "区分能力"), crate::present::risk::discrimination_text(&crate::clinical::assess::Discrimination::of(bundle), lang)),
                (tr(lang, "Calibration", "校准"), calibration_text(bundle, lang)),
                (tr(lang, "Trained by", "训练工具"), format!("bedside {} (smartcore), seed {}", t.trainer_version, t.seed)),
                (tr(lang, "Bundle SHA-256", "模型包 SHA-256"), sha256.to_string()),
            ],
        },
        Section {
            title: tr(lang, "Intended use", "预期用途"),
            items: vec![
                (tr(lang, "For", "适用于"), tr(lang,
                    "Clinicians, as decision support: an estimate to weigh with the history, the examination and other tests.",
                    "临床医生的决策支持：需结合病史、体格检查和其他检查综合考虑的估计。")),
                (tr(lang, "Not for", "不适用于"), tr(lang,
                    "Patients' self-use; time-critical or emergency decisions; replacing a diagnostic test or a clinician's judgement; populations unlike the one below.",
                    "患者自行使用；时间紧迫或急诊决策；替代诊断性检查或临床医生的判断；与下述人群不同的人群。")),
                (tr(lang, "Predicts", "预测目标"), format!("{} ({})", s.target.label.get(lang), s.target.classes.iter().map(|c| c.label.get(lang)).collect::<Vec<_>>().join(" / "))),
            ],
        },
        Section {
            title: tr(lang, "Data", "数据"),
            items: vec![
                (tr(lang, "Source", "来源"), format!("{}. {}", s.provenance.dataset, s.provenance.source)),
                (tr(lang, "Participants", "研究对象"), s.provenance.population.get(lang).to_string()),
                (tr(lang, "Licence", "许可"), s.provenance.license.clone()),
                (tr(lang, "Predictors", "预测变量"), predictors),
                (tr(lang, "Training data", "训练数据"), format!("n = {} ({}); SHA-256 {}", t.n_train, classes(&t.train_class_counts), t.data_sha256)),
                (tr(lang, "Test data", "测试数据"), format!("n = {} ({}); {}", t.n_test, classes(&t.test_class_counts), t.test_source)),
                (tr(lang, "Base rate", "基础率"), base_rate_item(bundle, lang)),
                (tr(lang, "Missing data", "缺失数据"), if imputed.is_empty() {
                    tr(lang, "No missing values are accepted.", "不接受缺失值。")
                } else {
                    match lang {
                        Lang::En => format!("May be left blank and are then imputed (training median or most frequent value), and the app says so: {}.", imputed.join(", ")),
                        Lang::Zh => format!("以下字段可留空，留空时用训练数据的中位数或最常见值填补，应用会明确提示：{}。", imputed.join("、")),
                    }
                }),
                (tr(lang, "Missing in training data", "训练数据中的缺失值"), {
                    let parts: Vec<String> = s.features.iter().zip(&t.missing_counts).filter(|(_, &n)| n > 0).map(|(f, n)| format!("{} {n}", f.label.get(lang))).collect();
                    if parts.is_empty() {
                        tr(lang, "none", "无")
                    } else {
                        match lang {
                            Lang::En => format!("{} of {} training rows; imputed with the training median (numbers) or most frequent value before fitting.", parts.join(", "), t.n_train),
                            Lang::Zh => format!("{}（共 {} 条训练记录）；拟合前用训练数据的中位数（数值）或最常见值填补。", parts.join("，"), t.n_train),
                        }
                    }
                }),
                (tr(lang, "References", "参考文献"), s.provenance.citations.join(" · ")),
            ],
        },
        Section {
            title: tr(lang, "Caveats and limitations", "注意事项与局限"),
            items: vec![
                (tr(lang, "Population", "人群"), tr(lang,
                    "Performance was measured only on patients like those in the data above; it may be worse elsewhere (other ethnicities, ages, care settings, eras).",
                    "性能仅在与上述数据相似的患者中评估；在其他人群（不同族裔、年龄、医疗环境、年代）中可能更差。")),
                (tr(lang, "Estimates", "估计"), tr(lang,
                    "Probabilities are calibrated on cross-validation predictions and checked on held-out cases, but small test sets leave real uncertainty; the band shows how much the estimate moves when a fifth of the training data is left out.",
                    "概率在交叉验证预测上校准并在留出病例上检验，但测试集较小，仍存在实际不确定性；区间显示去掉五分之一训练数据时估计的变动幅度。")),
                (tr(lang, "Trial arms", "试验分组"), if crate::present::risk::pools_arms(s) {
                    crate::present::risk::pooled_text(s, lang)
                } else {
                    tr(lang, "Not trial data, or the treatment is one of the model's inputs.", "非试验数据，或治疗本身是模型的输入之一。")
                }),
                (tr(lang, "Explanations", "解释"), tr(lang,
                    "Contributions are exact for this model, but describe the model, not the biology: they are associations in the training data, not causes.",
                    "各特征贡献对本模型是精确的，但描述的是模型而非生物学机制：它们是训练数据中的关联，而非因果。")),
                (tr(lang, "Unusual patients", "非典型患者"), tr(lang,
                    "Values outside the training data, or patients far from every training case, are flagged; treat their estimates with extra caution.",
                    "超出训练数据范围的数值，或与所有训练病例差距很大的患者，会被标出；请格外谨慎对待其估计。")),
            ],
        },
    ];
    if !bundle.local.is_empty() {
        out.insert(1, local_section(bundle, lang));
    }
    out
}

/// The validations on sites' own patients a bundle carries, beside the development figures
/// above them (which describe the development data, before any recalibration).
fn local_section(bundle: &Bundle, lang: Lang) -> Section {
    use crate::bundle::{LocalMetrics, Recalibration};
    let figures = |m: &LocalMetrics| {
        let cal = if m.slope.is_finite() {
            format!("{:.2} / {:.2}", m.intercept, m.slope)
        } else {
            "–".to_string()
        };
        match lang {
            Lang::En => format!(
                "AUC {:.3} (95 % CI {:.3}–{:.3}), calibration intercept / slope {cal}, Brier {:.4}, mean predicted {:.1} %",
                m.auc, m.auc_ci.0, m.auc_ci.1, m.brier, m.mean_predicted * 100.0
            ),
            Lang::Zh => format!(
                "AUC {:.3}（95% CI {:.3}–{:.3}），校准截距 / 斜率 {cal}，Brier {:.4}，平均预测 {:.1}%",
                m.auc, m.auc_ci.0, m.auc_ci.1, m.brier, m.mean_predicted * 100.0
            ),
        }
    };
    let mut items = vec![(
        tr(lang, "What this is", "说明"),
        tr(
            lang,
            "The model was checked on a site's own patients and its probabilities recalibrated to them (for a two-class model the ranking of patients is unchanged). The development figures on this card are from before; each recalibration below was applied on top of the ones before it.",
            "本模型已在某机构自己的患者中检验，并按其结果重新校准概率（二分类模型对患者的排序不变）。本卡片上的开发期指标为重新校准之前；下列各次重新校准依次叠加应用。",
        ),
    )];
    if bundle.trial.is_some() {
        items.push((
            tr(lang, "Trial arms", "试验分组"),
            tr(
                lang,
                "The per-arm treatment models were not recalibrated: the treatment options' risks are the development models'.",
                "各治疗组模型未重新校准：治疗选项中的风险仍来自开发期模型。",
            ),
        ));
    }
    for v in &bundle.local {
        let rate = f64::from(v.events) / f64::from(v.n.max(1)) * 100.0;
        let update = match v.recalibration {
            Recalibration::Logistic { intercept, slope } => match lang {
                Lang::En => format!("log-odds × {slope:.3} + {intercept:.3}"),
                Lang::Zh => format!("对数几率 × {slope:.3} + {intercept:.3}"),
            },
            Recalibration::Temperature { t } => match lang {
                Lang::En => format!("temperature {t:.3}"),
                Lang::Zh => format!("温度 {t:.3}"),
            },
        };
        let signed = if v.signed_by.is_empty() {
            tr(lang, "not signed when made", "生成时未签名")
        } else {
            match lang {
                Lang::En => format!(
                    "signed by key {}…",
                    v.signed_by.get(..16).unwrap_or(&v.signed_by)
                ),
                Lang::Zh => format!(
                    "由密钥 {}… 签名",
                    v.signed_by.get(..16).unwrap_or(&v.signed_by)
                ),
            }
        };
        let period = if v.period.is_empty() {
            String::new()
        } else {
            format!(", {}", v.period)
        };
        let text = match lang {
            Lang::En => format!(
                "n = {} ({} events, {rate:.1} %{period}; {} rows refused, {} censored); data SHA-256 {}. Before: {}. After recalibration ({update}), on the same patients: {}. {signed}.",
                v.n, v.events, v.refused, v.censored, v.data_sha256, figures(&v.before), figures(&v.after)
            ),
            Lang::Zh => format!(
                "n = {}（事件 {} 例，{rate:.1}%{period}；拒收 {} 行，删失 {} 例）；数据 SHA-256 {}。重新校准前：{}。重新校准（{update}）后，同一批患者：{}。{signed}。",
                v.n, v.events, v.refused, v.censored, v.data_sha256, figures(&v.before), figures(&v.after)
            ),
        };
        items.push((format!("{} · {}", v.site, v.date), text));
    }
    Section {
        title: tr(lang, "Local validation", "本地验证"),
        items,
    }
}

fn metric_row(name: &str, m: &Metrics) -> String {
    format!(
        "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.4} | {:.4} | {:.4} |\n",
        m.n, m.accuracy, m.precision, m.recall, m.f1, m.auc, m.brier, m.ece, m.log_loss
    )
}

/// The candidate comparison printed by `bedside train`.
pub fn comparison_table(bundle: &Bundle) -> String {
    let card = &bundle.evaluation;
    let mut out = format!(
        "{}: {}-fold stratified cross-validation on {} training cases\n\n",
        bundle.schema.id, card.folds, bundle.training.n_train
    );
    out.push_str(&format!(
        "  {:<22} {:<42} {:>9} {:>7} {:>7}\n",
        "model", "parameters", "log-loss", "AUC", "Brier"
    ));
    for (i, c) in card.candidates.iter().enumerate() {
        let mark = if i == card.chosen as usize {
            "*"
        } else if c.eligible {
            " "
        } else {
            "-"
        };
        out.push_str(&format!(
            "{mark} {:<22} {:<42} {:>9.4} {:>7.3} {:>7.4}\n",
            c.family.name(),
            c.params,
            c.cv.log_loss,
            c.cv.auc,
            c.cv.brier
        ));
    }
    out.push_str(
        "  (* chosen: lowest log-loss; - not eligible: no exact explanation at this width)\n\n",
    );
    let (r, t) = (&card.test_raw, &card.test);
    out.push_str(&format!(
        "test ({}, n={}): accuracy {:.3}, precision {:.3}, recall {:.3}, F1 {:.3}, AUC {:.3} (95 % CI {:.3}–{:.3})\n",
        bundle.training.test_source, t.n, t.accuracy, t.precision, t.recall, t.f1, t.auc,
        card.auc_ci.0, card.auc_ci.1
    ));
    out.push_str(&format!(
        "calibration on test: Brier {:.4} -> {:.4}, ECE {:.4} -> {:.4}\n",
        r.brier, t.brier, r.ece, t.ece
    ));
    out
}

/// The whole card as Markdown (`bedside inspect`).
pub fn markdown(bundle: &Bundle, sha256: &str, lang: Lang) -> String {
    let mut out = format!(
        "# {} — {}\n\n",
        tr(lang, "Model card", "模型卡"),
        bundle.schema.title.get(lang)
    );
    out.push_str(&format!(
        "_{}_\n\n",
        tr(
            lang,
            "Decision support, not a diagnosis.",
            "仅供决策支持，不构成诊断。"
        )
    ));
    for s in sections(bundle, sha256, lang) {
        out.push_str(&format!("## {}\n\n", s.title));
        for (k, v) in s.items {
            out.push_str(&format!("- **{k}**: {v}\n"));
        }
        out.push('\n');
    }
    if bundle.published.is_some() {
        return out;
    }
    let c = &bundle.evaluation;
    out.push_str(&format!("## {}\n\n", tr(lang, "Metrics", "指标")));
    let positive = bundle
        .schema
        .target
        .classes
        .get(bundle.schema.positive_index())
        .map_or("", |c| c.label.get(lang));
    out.push_str(&format!(
        "{}: {positive}\n\n",
        tr(lang, "Positive class", "阳性类别")
    ));
    out.push_str("| | n | accuracy | precision | recall | F1 | AUC | Brier | ECE | log-loss |\n|---|---|---|---|---|---|---|---|---|---|\n");
    if let Some(ch) = c.candidates.get(c.chosen as usize) {
        out.push_str(&metric_row(
            &tr(
                lang,
                "cross-validation (uncalibrated)",
                "交叉验证（未校准）",
            ),
            &ch.cv,
        ));
    }
    out.push_str(&metric_row(
        &tr(
            lang,
            "cross-validation (calibrated, in-sample calibration)",
            "交叉验证（已校准，样本内校准）",
        ),
        &c.cv_calibrated,
    ));
    out.push_str(&metric_row(
        &tr(lang, "test (uncalibrated)", "测试集（未校准）"),
        &c.test_raw,
    ));
    out.push_str(&metric_row(
        &tr(lang, "test (calibrated)", "测试集（已校准）"),
        &c.test,
    ));
    for g in &c.subgroups {
        out.push_str(&metric_row(
            &format!("{} — {}", tr(lang, "test", "测试集"), g.label.get(lang)),
            &g.metrics,
        ));
    }
    out.push_str(&format!(
        "\n## {}\n\n```\n{}```\n",
        tr(lang, "Model selection", "模型选择"),
        comparison_table(bundle)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::sample_bundle;

    #[test]
    fn card_has_every_section_in_both_languages() {
        let b = sample_bundle();
        for lang in [Lang::En, Lang::Zh] {
            let secs = sections(&b, "abc", lang);
            assert_eq!(secs.len(), 4);
            assert!(secs
                .iter()
                .all(|s| !s.title.is_empty() && s.items.iter().all(|(k, _)| !k.is_empty())));
            let md = markdown(&b, "abc", lang);
            assert!(md.contains("| n |"));
        }
        let md = markdown(&b, "abc", Lang::En);
        for needle in [
            "Intended use",
            "Not for",
            "Patients' self-use",
            "time-critical",
            "Caveats and limitations",
            "Brier",
            "ECE",
        ] {
            assert!(md.contains(needle), "{needle}");
        }
    }
}
