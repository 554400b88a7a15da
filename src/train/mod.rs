//! [native only] CSV + schema → fitted preprocessing + smartcore model + metrics → bundle.
//!
//! The test set is either the schema's own test file (e.g. the data authors' split) or a seeded
//! stratified hold-out; preprocessing is fitted on the training rows only, so the reported
//! metrics are honest estimates on unseen cases.

pub mod data;
pub mod split;

use sha2::{Digest, Sha256};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;
use smartcore::linear::logistic_regression::{LogisticRegression, LogisticRegressionParameters};

use crate::bundle::{hex, Bundle, Example, TrainingInfo};
use crate::error::{Error, Result};
use crate::metrics::{evaluate, Metrics};
use crate::model::{Linear, Model};
use crate::preprocess::Preprocessor;
use crate::schema::Schema;
use data::Dataset;

/// Everything `bedside train` needs, already read from disk.
#[derive(Debug, Clone)]
pub struct TrainInput<'a> {
    /// The schema.
    pub schema: &'a Schema,
    /// Training CSV text.
    pub data: &'a str,
    /// Separate test CSV text and its name, if the split uses one.
    pub test: Option<(&'a str, &'a str)>,
    /// L2 regularisation strength for logistic regression (smartcore's `alpha`).
    pub alpha: f64,
}

/// The stages of training, reported to a progress display.
pub const STAGES: &[&str] = &[
    "reading data",
    "splitting",
    "fitting preprocessing",
    "fitting logistic regression",
    "evaluating on held-out data",
    "writing bundle",
];

/// What training produced.
#[derive(Debug, Clone)]
pub struct Trained {
    /// The bundle.
    pub bundle: Bundle,
    /// Its bytes, ready to write.
    pub bytes: Vec<u8>,
}

/// Train and package. `progress` is called with the index into [`STAGES`] as each begins.
pub fn train(input: &TrainInput, progress: &mut dyn FnMut(usize)) -> Result<Trained> {
    let schema = input.schema;
    let n_classes = schema.target.classes.len();
    progress(0);
    let all = data::read_csv(schema, input.data)?;

    progress(1);
    let (train, test, test_source) = match input.test {
        Some((text, name)) => {
            let test =
                data::read_csv(schema, text).map_err(|e| Error::Data(format!("{name}: {e}")))?;
            (all, test, format!("separate test file {name}"))
        }
        None => {
            let f = schema.split.test_fraction;
            let (tr, te) = split::stratified(&all.labels, n_classes, f, schema.split.seed);
            let source = format!(
                "stratified random hold-out of {:.0}% (seed {})",
                f * 100.0,
                schema.split.seed
            );
            (all.subset(&tr), all.subset(&te), source)
        }
    };
    let train_counts = train.class_counts(n_classes);
    if let Some(c) = train_counts.iter().position(|&n| n == 0) {
        return Err(Error::Data(format!(
            "class `{}` has no training cases",
            schema.target.classes[c].code
        )));
    }

    progress(2);
    let preprocessor = Preprocessor::fit(schema, &train.records)?;

    progress(3);
    let x_train: Vec<Vec<f64>> = train
        .records
        .iter()
        .map(|r| preprocessor.transform(r).x)
        .collect();
    let linear = fit_logistic(&x_train, &train.labels, input.alpha)?;
    let model = Model::Logistic {
        linear,
        alpha: input.alpha,
    };

    progress(4);
    let metrics = test_metrics(
        &model,
        &preprocessor,
        &test,
        n_classes,
        schema.positive_index(),
    );

    progress(5);
    let bundle = Bundle {
        schema: schema.clone(),
        preprocessor,
        model,
        metrics,
        training: TrainingInfo {
            n_train: train.records.len() as u32,
            n_test: test.records.len() as u32,
            train_class_counts: train_counts,
            test_class_counts: test.class_counts(n_classes),
            test_source,
            data_sha256: hex(&Sha256::digest(input.data.as_bytes())),
            seed: schema.split.seed,
            trainer_version: env!("CARGO_PKG_VERSION").to_string(),
        },
        examples: examples(&test, n_classes),
    };
    bundle.check()?;
    let bytes = bundle.to_bytes()?;
    Ok(Trained { bundle, bytes })
}

/// Fit smartcore's logistic regression on class indices `0..k` and lift out its parameters.
pub fn fit_logistic(x: &[Vec<f64>], y: &[usize], alpha: f64) -> Result<Linear> {
    let width = x.first().map_or(0, Vec::len);
    let xm = DenseMatrix::from_2d_vec(&x.to_vec()).map_err(|e| Error::Training(e.to_string()))?;
    let yv: Vec<i32> = y.iter().map(|&c| c as i32).collect();
    let params = LogisticRegressionParameters::default().with_alpha(alpha);
    let fitted =
        LogisticRegression::fit(&xm, &yv, params).map_err(|e| Error::Training(e.to_string()))?;
    let coef = fitted.coefficients();
    let icpt = fitted.intercept();
    let rows = coef.shape().0;
    let weights = (0..rows)
        .map(|r| (0..width).map(|c| *coef.get((r, c))).collect())
        .collect();
    let intercepts = (0..rows).map(|r| *icpt.get((r, 0))).collect();
    Ok(Linear {
        weights,
        intercepts,
    })
}

/// Metrics of `model` on a labelled set.
pub fn test_metrics(
    model: &Model,
    pre: &Preprocessor,
    test: &Dataset,
    n_classes: usize,
    positive: usize,
) -> Metrics {
    let proba: Vec<Vec<f64>> = test
        .records
        .iter()
        .map(|r| model.predict_proba(&pre.transform(r).x))
        .collect();
    evaluate(&test.labels, &proba, n_classes, positive)
}

/// The first two test cases of each class: real cases to try the model on.
fn examples(test: &Dataset, n_classes: usize) -> Vec<Example> {
    let mut out = Vec::new();
    for class in 0..n_classes {
        for i in test
            .labels
            .iter()
            .enumerate()
            .filter(|(_, &l)| l == class)
            .map(|(i, _)| i)
            .take(2)
        {
            out.push(Example {
                row: test.rows[i],
                patient_json: test.json[i].to_string(),
                truth: class as u32,
            });
        }
    }
    out.sort_by_key(|e| e.row);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::tests::SAMPLE;

    fn synthetic_csv(n: usize) -> String {
        let mut rng = split::Rng::new(3);
        let mut s = String::from("glu,smoker,sex,dx\n");
        for _ in 0..n {
            let glu = 60 + rng.below(200);
            let smoker = rng.below(2);
            let sex = if rng.below(2) == 0 { "f" } else { "m" };
            let noisy = glu as i64 + rng.below(60) as i64 - 30;
            let dx = if noisy > 150 { "yes" } else { "no" };
            s.push_str(&format!("{glu},{smoker},{sex},{dx}\n"));
        }
        s
    }

    #[test]
    fn trains_a_useful_deterministic_model_matching_smartcore() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let csv = synthetic_csv(300);
        let input = TrainInput {
            schema: &schema,
            data: &csv,
            test: None,
            alpha: 1.0,
        };
        let mut stages = Vec::new();
        let a = train(&input, &mut |s| stages.push(s)).unwrap();
        assert_eq!(stages, (0..STAGES.len()).collect::<Vec<_>>());
        let b = train(&input, &mut |_| {}).unwrap();
        assert_eq!(
            a.bytes, b.bytes,
            "same data and seed must give the same bytes"
        );
        assert!(a.bundle.metrics.auc > 0.9, "auc {}", a.bundle.metrics.auc);
        assert_eq!(a.bundle.training.n_train + a.bundle.training.n_test, 300);
        assert!(!a.bundle.examples.is_empty());
    }

    #[test]
    fn lifted_parameters_predict_what_smartcore_predicts() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let ds = data::read_csv(&schema, &synthetic_csv(200)).unwrap();
        let pre = Preprocessor::fit(&schema, &ds.records).unwrap();
        let x: Vec<Vec<f64>> = ds.records.iter().map(|r| pre.transform(r).x).collect();
        let linear = fit_logistic(&x, &ds.labels, 0.5).unwrap();
        let yv: Vec<i32> = ds.labels.iter().map(|&c| c as i32).collect();
        let xm = DenseMatrix::from_2d_vec(&x).unwrap();
        let sc = LogisticRegression::fit(
            &xm,
            &yv,
            LogisticRegressionParameters::default().with_alpha(0.5),
        )
        .unwrap();
        let sc_pred = sc.predict(&xm).unwrap();
        let model = Model::Logistic { linear, alpha: 0.5 };
        for (row, expected) in x.iter().zip(sc_pred) {
            let p = model.predict_proba(row);
            assert_eq!(crate::metrics::argmax(&p) as i32, expected);
        }
    }

    #[test]
    fn a_class_missing_from_training_is_an_error() {
        let schema = Schema::from_toml(SAMPLE).unwrap();
        let csv = "glu,smoker,sex,dx\n100,1,m,no\n120,0,f,no\n";
        let input = TrainInput {
            schema: &schema,
            data: csv,
            test: Some((csv, "same.csv")),
            alpha: 1.0,
        };
        let e = train(&input, &mut |_| {}).unwrap_err();
        assert_eq!(e.to_string(), "data: class `yes` has no training cases");
    }
}
