//! The words of the data team's Validate view (www/validate.html), in English and 简体中文.
//! A catalogue of its own, beside [`crate::present::ui::Msg`]: only the `validate` build uses
//! it, so the clinician's page does not carry its strings.

use crate::util::lang::Lang;

/// A message of the Validate view.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vmsg {
    ValidateHeading,
    ValidateIntro,
    ValidatePopulation,
    ValidateColumns,
    ValidateOutcome,
    ValidateDerived,
    CodedAs,
    EventCode,
    ValidateFile,
    ValidateChecking,
    Patients,
    Events,
    NonEvents,
    AucCi,
    CalIntercept,
    CalSlope,
    CalMeaning,
    CalNotFitted,
    MeanPredicted,
    ObservedRate,
    FewEventsNote,
    ValidateRefused,
    ValidateCensored,
    RocHere,
    ThesePatients,
    Development,
    CalibrationHere,
    FittedLine,
    DecisionCurve,
    Threshold,
    NetBenefit,
    TreatAll,
    TreatNone,
    AboveBoth,
    NetBenefitReading,
    Subgroups,
    Group,
    DriftHeading,
    Feature,
    Here,
    Training,
    StdDiff,
    OutsideRange,
    DriftFlag,
    DriftNote,
    /// No development data to compare with (a published equation).
    NoDrift,
    /// The legend of a published equation's C statistics beside the local ROC.
    Published,
    Recalibrate,
    RecalibrateNote,
    RecalibrateButton,
    AfterRecalibration,
    AfterOptimistic,
    DownloadRecalibrated,
    DownloadFailed,
}

impl Vmsg {
    /// Every message, for completeness tests.
    pub const ALL: &'static [Vmsg] = &[
        Vmsg::ValidateHeading,
        Vmsg::ValidateIntro,
        Vmsg::ValidatePopulation,
        Vmsg::ValidateColumns,
        Vmsg::ValidateOutcome,
        Vmsg::ValidateDerived,
        Vmsg::CodedAs,
        Vmsg::EventCode,
        Vmsg::ValidateFile,
        Vmsg::ValidateChecking,
        Vmsg::Patients,
        Vmsg::Events,
        Vmsg::NonEvents,
        Vmsg::AucCi,
        Vmsg::CalIntercept,
        Vmsg::CalSlope,
        Vmsg::CalMeaning,
        Vmsg::CalNotFitted,
        Vmsg::MeanPredicted,
        Vmsg::ObservedRate,
        Vmsg::FewEventsNote,
        Vmsg::ValidateRefused,
        Vmsg::ValidateCensored,
        Vmsg::RocHere,
        Vmsg::ThesePatients,
        Vmsg::Development,
        Vmsg::CalibrationHere,
        Vmsg::FittedLine,
        Vmsg::DecisionCurve,
        Vmsg::Threshold,
        Vmsg::NetBenefit,
        Vmsg::TreatAll,
        Vmsg::TreatNone,
        Vmsg::AboveBoth,
        Vmsg::NetBenefitReading,
        Vmsg::Subgroups,
        Vmsg::Group,
        Vmsg::DriftHeading,
        Vmsg::Feature,
        Vmsg::Here,
        Vmsg::Training,
        Vmsg::StdDiff,
        Vmsg::OutsideRange,
        Vmsg::DriftFlag,
        Vmsg::DriftNote,
        Vmsg::NoDrift,
        Vmsg::Published,
        Vmsg::Recalibrate,
        Vmsg::RecalibrateNote,
        Vmsg::RecalibrateButton,
        Vmsg::AfterRecalibration,
        Vmsg::AfterOptimistic,
        Vmsg::DownloadRecalibrated,
        Vmsg::DownloadFailed,
    ];

    /// (English, 简体中文).
    pub(crate) fn pair(self) -> (&'static str, &'static str) {
        match self {
            Vmsg::ValidateHeading => ("Validate this model on your own patients", "用本院患者验证此模型"),
            Vmsg::ValidateIntro => ("For a data team: check how this model does on your own patients with recorded outcomes. The file is read in this page and never uploaded; nothing is stored.", "供数据团队使用：用本院已有记录结局的患者检验此模型的表现。文件只在本页面中读取，不会上传，也不会保存。"),
            Vmsg::ValidatePopulation => ("The figures describe the model on a population of patients; they are not a diagnosis for any one patient.", "这些数值描述模型在一组患者中的表现，不是对任何单个患者的诊断。"),
            Vmsg::ValidateColumns => ("The CSV needs the columns", "CSV 需包含以下列"),
            Vmsg::ValidateOutcome => ("and the recorded outcome in column", "以及记录结局的列"),
            Vmsg::ValidateDerived => ("and the follow-up time and status in columns", "以及随访时间和状态列"),
            Vmsg::CodedAs => ("coded as", "编码为"),
            Vmsg::EventCode => ("event", "事件"),
            Vmsg::ValidateFile => ("Patients with recorded outcomes (CSV)", "已有记录结局的患者（CSV）"),
            Vmsg::ValidateChecking => ("Reading and checking", "正在读取并检验"),
            Vmsg::Patients => ("Patients", "患者数"),
            Vmsg::Events => ("Events", "事件"),
            Vmsg::NonEvents => ("non-events", "非事件"),
            Vmsg::AucCi => ("AUC (95 % CI)", "AUC（95% 置信区间）"),
            Vmsg::CalIntercept => ("Calibration intercept", "校准截距"),
            Vmsg::CalSlope => ("Calibration slope", "校准斜率"),
            Vmsg::CalMeaning => ("Ideal: intercept 0, slope 1. A slope below 1 means the predictions are too extreme here, above 1 too modest. Whether risks are too high or too low on average: the mean predicted risk against the observed rate.", "理想值：截距 0、斜率 1。斜率小于 1 表示预测在此过于极端，大于 1 表示过于保守。风险总体上偏高还是偏低：比较平均预测风险与实际发生率。"),
            Vmsg::CalNotFitted => ("The calibration line cannot be fitted: the predictions separate the outcomes perfectly here.", "无法拟合校准线：预测在此把结局完全分开。"),
            Vmsg::MeanPredicted => ("Mean predicted risk", "平均预测风险"),
            Vmsg::ObservedRate => ("Observed rate", "实际发生率"),
            Vmsg::FewEventsNote => ("With fewer than about 100 of either, these figures are unreliable: their intervals are wide.", "任一少于约 100 例时，这些数值不可靠：区间很宽。"),
            Vmsg::ValidateRefused => ("rows could not be used and were left out; the other rows are used:", "行无法使用，已排除；其余行照常使用："),
            Vmsg::ValidateCensored => ("rows were censored before the horizon (outcome unknown) and are not in the figures, so the observed event rate leans high; such data cannot be recalibrated here.", "行在时间节点前删失（结局未知），未计入这些数值，因此实际事件率偏高；此类数据无法在此重新校准。"),
            Vmsg::RocHere => ("ROC curve", "ROC 曲线"),
            Vmsg::ThesePatients => ("these patients", "本院患者"),
            Vmsg::Development => ("development test set", "开发时的测试集"),
            Vmsg::CalibrationHere => ("Calibration here", "本院校准"),
            Vmsg::FittedLine => ("fitted line", "拟合校准线"),
            Vmsg::DecisionCurve => ("Decision curve", "决策曲线"),
            Vmsg::Threshold => ("Threshold", "阈值"),
            Vmsg::NetBenefit => ("Net benefit", "净获益"),
            Vmsg::TreatAll => ("treat all", "全部治疗"),
            Vmsg::TreatNone => ("treat none", "全不治疗"),
            Vmsg::AboveBoth => ("Above both", "高于两者"),
            Vmsg::NetBenefitReading => ("Where the model's net benefit is above both treat all and treat none (0), acting on it at that threshold does more good than harm.", "在模型净获益同时高于“全部治疗”和“全不治疗”（0）的阈值处，依据模型行动利大于弊。"),
            Vmsg::Subgroups => ("Subgroups", "亚组"),
            Vmsg::Group => ("Group", "组别"),
            Vmsg::DriftHeading => ("How these patients differ from the training data", "本院患者与训练数据的差异"),
            Vmsg::Feature => ("Feature", "特征"),
            Vmsg::Here => ("Here", "本院"),
            Vmsg::Training => ("Training", "训练数据"),
            Vmsg::StdDiff => ("Std. difference", "标准化差"),
            Vmsg::OutsideRange => ("Outside training range", "超出训练范围"),
            Vmsg::DriftFlag => ("differs", "有差异"),
            Vmsg::NoDrift => ("Nothing to compare with: the model carries no development data (a published equation).", "无可比较的数据：本模型不含开发数据（已发表的方程）。"),
            Vmsg::Published => ("published", "已发表"),
            Vmsg::DriftNote => ("Standardised difference: here minus training, in standard deviations; 0.1 or more (flagged ⚑) is a meaningful difference. Outside the training range, the model has never seen a patient.", "标准化差：本院减训练数据，以标准差计；≥ 0.1（标记 ⚑）即为实质差异。超出训练范围处，模型从未见过这样的患者。"),
            Vmsg::Recalibrate => ("Recalibrate", "重新校准"),
            Vmsg::RecalibrateNote => ("Updates the model's probabilities to these patients by the intercept and slope found here (a multiclass model: by a temperature), keeping its ranking of patients. The new model file is unsigned: sign it with `bedside sign` before clinicians use it.", "按此处得到的截距和斜率（多分类模型：按温度参数）更新模型概率，保留其对患者的排序。新的模型文件未签名：临床使用前请用 `bedside sign` 签名。"),
            Vmsg::RecalibrateButton => ("Recalibrate to these patients", "按这些患者重新校准"),
            Vmsg::AfterRecalibration => ("After recalibration", "重新校准后"),
            Vmsg::AfterOptimistic => ("Fitted on these same patients, so these figures are optimistic by construction; check on new patients.", "在同一批患者上拟合，因此这些数值必然偏乐观；请在新患者上复核。"),
            Vmsg::DownloadRecalibrated => ("Download the recalibrated model", "下载重新校准后的模型"),
            Vmsg::DownloadFailed => ("The file could not be made", "无法生成文件"),
        }
    }

    /// The string in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let (en, zh) = self.pair();
        match lang {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_in_both_languages_and_translated() {
        for m in Vmsg::ALL {
            let (en, zh) = m.pair();
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{m:?}");
            assert_ne!(en, zh, "{m:?} is not translated");
        }
    }
}
