use proptest::prelude::*;

use super::*;
use crate::contract::schema::Schema;
use crate::model::preprocess::Preprocessor;

const PCE_SCHEMA: &str = include_str!("../../../data/pce.schema.toml");
const PCE: &str = include_str!("../../../data/pce.equation.toml");
const PREVENT_SCHEMA: &str = include_str!("../../../data/prevent.schema.toml");
const PREVENT: &str = include_str!("../../../data/prevent.equation.toml");

/// First preprocessed column of each feature (one per level for a categorical), as an
/// equation bundle's identity preprocessing lays them out.
fn columns(schema: &Schema) -> Vec<usize> {
    Preprocessor::identity(schema, &[]).first_columns()
}

/// A patient as the equation's columns: numbers as given, yes/no 0/1, a category one-hot.
fn x_of(schema: &Schema, values: &[(&str, &str)]) -> Vec<f64> {
    let cols = columns(schema);
    let mut x = vec![0.0; Preprocessor::identity(schema, &[]).width()];
    for (name, v) in values {
        let j = schema
            .features
            .iter()
            .position(|f| f.column == *name)
            .unwrap();
        match &schema.features[j].kind {
            Kind::Categorical { levels } => {
                let k = levels.iter().position(|l| l.code == *v).unwrap();
                x[cols[j] + k] = 1.0;
            }
            _ => x[cols[j]] = v.parse().unwrap(),
        }
    }
    x
}

fn load(schema: &str, equation: &str) -> (Schema, Parsed) {
    let schema = Schema::from_toml(schema).unwrap();
    let parsed =
        Equation::from_toml(equation, &schema, &Preprocessor::identity(&schema, &[])).unwrap();
    (schema, parsed)
}

/// The guideline's Table A worked example: 55 years, total cholesterol 213 mg/dL, HDL 50,
/// untreated systolic 120, non-smoker, no diabetes (Goff et al. 2014, Table A, last rows).
fn table_a(sex: &str, race: &str) -> f64 {
    let (schema, p) = load(PCE_SCHEMA, PCE);
    let x = x_of(
        &schema,
        &[
            ("age", "55"),
            ("sex", sex),
            ("race", race),
            ("tc", "213"),
            ("hdl", "50"),
            ("sbp", "120"),
            ("bp_treated", "0"),
            ("smoker", "0"),
            ("diabetes", "0"),
        ],
    );
    p.equation.predict_proba(&x)[1]
}

/// Table A prints each risk to 0.1 % from the individual sum printed to two decimals; the
/// issue (and the table) ask for agreement to 0.1 percentage point. The white man's sum is
/// 60.6995, printed 60.69: from the printed sum the risk is 5.33 %, from the exact one 5.38 %,
/// so this checks within 0.1 point rather than equality of the rounded figure.
fn within_a_tenth(p: f64, published_percent: f64) {
    assert!(
        (p * 100.0 - published_percent).abs() <= 0.1,
        "{:.4} % against the published {published_percent} %",
        p * 100.0
    );
}

#[test]
fn pce_table_a_white_woman_is_2_1_percent() {
    within_a_tenth(table_a("female", "white"), 2.1);
}

#[test]
fn pce_table_a_african_american_woman_is_3_0_percent() {
    within_a_tenth(table_a("female", "african_american"), 3.0);
}

#[test]
fn pce_table_a_white_man_is_5_3_percent() {
    within_a_tenth(table_a("male", "white"), 5.3);
}

#[test]
fn pce_table_a_african_american_man_is_6_1_percent() {
    within_a_tenth(table_a("male", "african_american"), 6.1);
}

#[test]
fn pce_other_race_uses_the_white_equations() {
    assert_eq!(table_a("male", "other"), table_a("male", "white"));
    assert_eq!(table_a("female", "other"), table_a("female", "white"));
}

/// The published example of the preventr package's README (Mayer M, preventr, CRAN; the
/// R implementation of Khan et al. 2024): a 50-year-old woman, systolic 160 on treatment,
/// total cholesterol 200, HDL 45 mg/dL, no statin, diabetes, non-smoker, eGFR 90, BMI 35:
/// 10-year total CVD 0.147.
#[test]
fn prevent_reproduces_the_preventr_readme_example() {
    let (schema, p) = load(PREVENT_SCHEMA, PREVENT);
    let x = x_of(
        &schema,
        &[
            ("age", "50"),
            ("sex", "female"),
            ("tc", "200"),
            ("hdl", "45"),
            ("sbp", "160"),
            ("bp_treated", "1"),
            ("diabetes", "1"),
            ("smoker", "0"),
            ("egfr", "90"),
            ("statin", "0"),
        ],
    );
    let risk = p.equation.predict_proba(&x)[1];
    assert_eq!((risk * 1000.0).round() / 1000.0, 0.147, "{risk}");
}

/// At the paper's centring values every term but the intercept is 0: the risk is σ(constant).
#[test]
fn prevent_at_its_centre_is_the_logistic_of_the_constant() {
    let (schema, p) = load(PREVENT_SCHEMA, PREVENT);
    for (sex, constant) in [("female", -3.307728f64), ("male", -3.031168)] {
        let x = x_of(
            &schema,
            &[
                ("age", "55"),
                ("sex", sex),
                ("tc", "185.614849187935"),
                ("hdl", "50.27068832173241"),
                ("sbp", "130"),
                ("egfr", "90"),
            ],
        );
        let l = p.equation.linear(&x).unwrap();
        assert!((l.lp - constant).abs() < 1e-9, "{sex}: {}", l.lp);
    }
}

fn reference_x(schema: &Schema, p: &Parsed, patient: &[f64]) -> Vec<f64> {
    // The reference's numbers, the patient's categories (they only choose the equation).
    let cols = columns(schema);
    let mut r = patient.to_vec();
    for (j, f) in schema.features.iter().enumerate() {
        if !matches!(f.kind, Kind::Categorical { .. }) {
            r[cols[j]] = p.reference[j];
        }
    }
    r
}

fn pce_patient() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        40.0..=79.0f64,
        prop::bool::ANY,
        0usize..3,
        130.0..=320.0f64,
        20.0..=100.0f64,
        90.0..=200.0f64,
        prop::array::uniform3(prop::bool::ANY),
    )
        .prop_map(|(age, female, race, tc, hdl, sbp, yn)| {
            let b = |v: bool| if v { "1" } else { "0" }.to_string();
            vec![
                ("age".into(), age.to_string()),
                ("sex".into(), if female { "female" } else { "male" }.into()),
                (
                    "race".into(),
                    ["white", "african_american", "other"][race].into(),
                ),
                ("tc".into(), tc.to_string()),
                ("hdl".into(), hdl.to_string()),
                ("sbp".into(), sbp.to_string()),
                ("bp_treated".into(), b(yn[0])),
                ("smoker".into(), b(yn[1])),
                ("diabetes".into(), b(yn[2])),
            ]
        })
}

fn prevent_patient() -> impl Strategy<Value = Vec<(String, String)>> {
    (
        (
            30.0..=79.0f64,
            prop::bool::ANY,
            130.0..=320.0f64,
            20.0..=100.0f64,
        ),
        (90.0..=200.0f64, 15.0..=140.0f64),
        prop::array::uniform4(prop::bool::ANY),
    )
        .prop_map(|((age, female, tc, hdl), (sbp, egfr), yn)| {
            let b = |v: bool| if v { "1" } else { "0" }.to_string();
            vec![
                ("age".into(), age.to_string()),
                ("sex".into(), if female { "female" } else { "male" }.into()),
                ("tc".into(), tc.to_string()),
                ("hdl".into(), hdl.to_string()),
                ("sbp".into(), sbp.to_string()),
                ("egfr".into(), egfr.to_string()),
                ("bp_treated".into(), b(yn[0])),
                ("diabetes".into(), b(yn[1])),
                ("smoker".into(), b(yn[2])),
                ("statin".into(), b(yn[3])),
            ]
        })
}

fn additivity(schema_text: &str, equation: &str, patient: &[(String, String)]) {
    let (schema, p) = load(schema_text, equation);
    let pairs: Vec<(&str, &str)> = patient
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let x = x_of(&schema, &pairs);
    let r = reference_x(&schema, &p, &x);
    let (phi, at_ref) = p.equation.shapley(&x, &r).unwrap();
    let lp = p.equation.linear(&x).unwrap();
    let lp_ref = p.equation.linear(&r).unwrap();
    assert_eq!(at_ref.stratum, lp.stratum);
    assert!((at_ref.lp - lp_ref.lp).abs() < 1e-9);
    let sum: f64 = phi.iter().sum();
    assert!(
        (lp_ref.lp + sum - lp.lp).abs() < 1e-9,
        "{} + {sum} != {}",
        lp_ref.lp,
        lp.lp
    );
    // Categories choose the equation: they get no share.
    let cols = columns(&schema);
    for (j, f) in schema.features.iter().enumerate() {
        if let Kind::Categorical { levels } = &f.kind {
            for k in 0..levels.len() {
                assert_eq!(phi[cols[j] + k], 0.0);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn pce_contributions_add_up_to_the_linear_predictor(p in pce_patient()) {
        additivity(PCE_SCHEMA, PCE, &p);
    }

    #[test]
    fn prevent_contributions_add_up_to_the_linear_predictor(p in prevent_patient()) {
        additivity(PREVENT_SCHEMA, PREVENT, &p);
    }
}

/// A product of two inputs, each centred at the reference, is split half and half (Shapley
/// of `a·b` with `a₀ = b₀ = 0`); with one at its reference, the other takes all of it.
#[test]
fn an_interaction_is_shared_by_its_exact_shapley_split() {
    let (schema, p) = load(PREVENT_SCHEMA, PREVENT);
    // Age 65 (+1 decade), statin 0, non-HDL at reference, diabetes: the age × diabetes term
    // −0.27057 · 1 · 1 is shared equally; diabetes' own 0.8667604 is its alone.
    let x = x_of(
        &schema,
        &[
            ("age", "65"),
            ("sex", "female"),
            ("tc", "185.614849187935"),
            ("hdl", "50.27068832173241"),
            ("sbp", "130"),
            ("egfr", "90"),
            ("diabetes", "1"),
        ],
    );
    let r = reference_x(&schema, &p, &x);
    let (phi, _) = p.equation.shapley(&x, &r).unwrap();
    let cols = columns(&schema);
    let at = |name: &str| {
        cols[schema
            .features
            .iter()
            .position(|f| f.column == name)
            .unwrap()]
    };
    let half = -0.27057 / 2.0;
    assert!((phi[at("diabetes")] - (0.8667604 + half)).abs() < 1e-12);
    // Age: its main effect, half the diabetes interaction; the other age interactions are 0
    // at the reference values.
    assert!(
        (phi[at("age")] - (0.7939329 + half)).abs() < 1e-9,
        "{}",
        phi[at("age")]
    );
}

fn with(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

fn refusal(equation: &str) -> String {
    let schema = Schema::from_toml(PCE_SCHEMA).unwrap();
    Equation::from_toml(equation, &schema, &Preprocessor::identity(&schema, &[]))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_file_that_does_not_fit_its_schema_is_refused_with_the_reason() {
    for (from, to, want) in [
        (
            r#"of = [{ feature = "age" }]"#,
            r#"of = [{ feature = "agee" }]"#,
            "`agee` is not an input of schema `pce`; accepted: age, sex, race",
        ),
        (
            r#"{ feature = "tc", unit = "mg/dL" }"#,
            r#"{ feature = "tc", unit = "g/L" }"#,
            "`tc` is in mg/dL (or mmol/L), not convertible to g/L",
        ),
        (
            "valid = { min = 40, max = 79 }",
            "valid = { min = 45, max = 79 }",
            "values outside 45–79 are to be refused, but the schema accepts 40–79",
        ),
        (
            r#"when = { sex = ["male"], race = ["african_american"] }"#,
            r#"when = { sex = ["male"], race = ["african_american", "martian"] }"#,
            "`race` = \"martian\" is not one of its codes",
        ),
        (
            r#"when = { sex = ["female"], race = ["white", "other"] }"#,
            r#"when = { sex = ["female"], race = ["white"] }"#,
            "no equation covers sex = female, race = other",
        ),
        (
            r#"{ coef = 0.645, of = ["diabetes"] }"#,
            r#"{ coef = 0.645, of = ["diabetic"] }"#,
            "term names transform `diabetic`, which is not defined",
        ),
        (
            "link = \"hazard\"",
            "link = \"probit\"",
            "link `probit` is not known",
        ),
        (
            "baseline_survival = 0.8954",
            "baseline_survival = 1.2",
            "needs `baseline_survival`",
        ),
        (
            "id = \"pce\"",
            "id = \"prevent\"",
            "the file is for `prevent`",
        ),
    ] {
        let err = refusal(&with(PCE, from, to));
        assert!(err.contains(want), "{from} → {to}: {err}");
    }
    // An input read without a valid range.
    let no_range = with(
        PCE,
        "[[inputs]]\nfeature = \"sbp\"\nvalid = { min = 90, max = 200 }\noutside = \"refuse\"\nsource = \"ACC/AHA ASCVD risk calculator: systolic blood pressure 90–200 mmHg\"\n",
        "",
    );
    assert!(refusal(&no_range).contains("`sbp` has no valid range"));
    // A logarithm of something that can be 0 or negative.
    let bad_log = with(
        PCE,
        "id = \"ln_sbp\"\nof = [{ feature = \"sbp\" }]",
        "id = \"ln_sbp\"\nof = [{ feature = \"sbp\", times = -1 }]",
    );
    assert!(refusal(&bad_log).contains("a logarithm needs one input with a positive weight"));
}

#[test]
fn a_damaged_equation_is_refused_by_check() {
    let (_, p) = load(PCE_SCHEMA, PCE);
    let width = 12;
    assert!(p.equation.check(width).is_ok());
    let mut e = p.equation.clone();
    e.transforms[0].inputs[0].0 = 99;
    assert!(e.check(width).unwrap_err().contains("does not exist"));
    let mut e = p.equation.clone();
    e.strata[0].terms[0].of = vec![77];
    assert!(e.check(width).is_err());
    let mut e = p.equation.clone();
    e.strata[0].hazard = None;
    assert!(e.check(width).unwrap_err().contains("baseline survival"));
    let mut e = p.equation.clone();
    e.transforms[0].scale = 0.0;
    assert!(e.check(width).is_err());
    let mut e = p.equation.clone();
    e.strata.clear();
    assert!(e.check(width).is_err());
}
