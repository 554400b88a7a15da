use super::*;
use crate::contract::dataset::read_csv;
use crate::contract::schema::{Kind, Missing, Schema};
use crate::util::rng::Rng;

fn opts(target: &str) -> DraftOptions {
    DraftOptions {
        id: "t".into(),
        data_name: "t.csv".into(),
        target: target.into(),
        ..DraftOptions::default()
    }
}

/// Draft `csv`, and check what every draft must pass: it parses as a schema, and that schema
/// reads the very CSV it was drafted from.
fn drafted(csv: &str, o: &DraftOptions) -> (Draft, Schema) {
    let d = draft(csv, o).unwrap_or_else(|e| panic!("{e}"));
    let s = Schema::from_toml(&d.toml).unwrap_or_else(|e| panic!("{e}\n{}", d.toml));
    read_csv(&s, csv).unwrap_or_else(|e| panic!("{e}\n{}", d.toml));
    (d, s)
}

fn verdict<'a>(d: &'a Draft, column: &str) -> &'a Verdict {
    &d.decisions
        .iter()
        .find(|x| x.column == column)
        .unwrap_or_else(|| panic!("no decision for `{column}`"))
        .verdict
}

fn error(csv: &str, o: &DraftOptions) -> String {
    draft(csv, o).unwrap_err().to_string()
}

fn shipped_csv(name: &str) -> String {
    std::fs::read_to_string(format!("{}/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// 120 patients in a file with every awkwardness at once: an ID, a constant column, column
/// names with spaces, punctuation and a quote, `?` / `N/A` / `.` codes, a blank that is a level
/// (`coma`), a yes/no column spelled `Yes`/`No`, sex coded 1/2, free text, a dipstick whose
/// `-` is an answer.
fn awkward_csv(n: usize) -> String {
    let mut rng = Rng::new(7);
    let mut s = String::from(
        "Patient ID,Blood pressure (mm Hg),\"say \"\"hi\"\"\",site,coma,smoker,sex,notes,grade,dipstick,lab,outcome\n",
    );
    for i in 0..n {
        let bp = 90 + rng.below(80);
        let bp_cell = if i % 15 == 3 {
            "?".to_string()
        } else {
            bp.to_string()
        };
        let hi = format!("{}.{}", rng.below(10), rng.below(10));
        let coma = ["deep", "light", "", "", ""][rng.below(5)];
        let smoker = rng.below(3) == 0;
        let sex = 1 + rng.below(2);
        let notes = format!("seen by dr {}", rng.below(60));
        let grade = if i % 20 == 7 {
            "N/A".to_string()
        } else {
            (1 + rng.below(3)).to_string()
        };
        let dip = ["-", "+", "++"][rng.below(3)];
        let lab = if i % 25 == 0 {
            ".".to_string()
        } else {
            format!("{}.{}", 3 + rng.below(5), rng.below(10))
        };
        let noisy = bp as i64 + if smoker { 25 } else { 0 } + rng.below(40) as i64 - 20;
        let outcome = if noisy > 140 { "yes" } else { "no" };
        s.push_str(&format!(
            "P{i:03},{bp_cell},{hi},A,{coma},{},{sex},{notes},{grade},{dip},{lab},{outcome}\n",
            if smoker { "Yes" } else { "No" }
        ));
    }
    s
}

#[test]
fn every_shipped_csv_drafts_a_schema_that_reads_it() {
    for (file, target) in [
        ("biopsy.csv", "class"),
        ("wdbc.csv", "diagnosis"),
        ("pima_tr2.csv", "type"),
        ("indo_rct.csv", "outcome"),
        ("colon.csv", "status"),
        ("gbsg.csv", "status"),
    ] {
        let (d, s) = drafted(&shipped_csv(file), &opts(target));
        let header = shipped_csv(file).lines().next().unwrap().split(',').count();
        assert_eq!(d.decisions.len(), header, "{file}: one decision per column");
        assert!(!s.features.is_empty(), "{file}");
    }
}

#[test]
fn biopsy_drafts_like_its_hand_written_schema() {
    let (d, s) = drafted(&shipped_csv("biopsy.csv"), &opts("class"));
    assert_eq!(verdict(&d, "ID"), &Verdict::LeftOut(LeftOut::Id));
    assert_eq!(s.target.positive, "malignant");
    assert_eq!(s.features.len(), 9);
    let v6 = s.feature("V6").unwrap();
    assert_eq!(v6.missing, Missing::Impute);
    assert!(v6.missing_codes.is_empty(), "blank is missing already");
    let Kind::Numeric {
        plausible,
        integer,
        step,
        reference,
        ..
    } = &v6.kind
    else {
        panic!("V6 is numeric")
    };
    assert!(*integer && *step == Some(1.0) && reference.is_none());
    assert_eq!((plausible.min, plausible.max), (0.0, 15.0));
    assert!(d
        .toml
        .contains("# plausible range widened from the data's 1–10; check it against clinical limits\n[[features]]\ncolumn = \"V6\""));
    assert_eq!(s.feature("V1").unwrap().missing, Missing::Reject);
    let why = d.decisions.iter().find(|x| x.column == "class").unwrap();
    assert!(
        why.why
            .contains("`malignant`, the least frequent class (241 of 699 rows"),
        "{}",
        why.why
    );
}

#[test]
fn the_other_shipped_files_are_read_as_their_authors_coded_them() {
    let (d, s) = drafted(&shipped_csv("pima_tr2.csv"), &opts("type"));
    assert_eq!(s.target.positive, "Yes");
    assert!(d
        .decisions
        .iter()
        .all(|x| !matches!(x.verdict, Verdict::LeftOut(_))));

    let (d, s) = drafted(&shipped_csv("colon.csv"), &opts("status"));
    assert_eq!(s.target.positive, "1");
    assert_eq!(verdict(&d, "id"), &Verdict::LeftOut(LeftOut::Id));
    assert_eq!(verdict(&d, "study"), &Verdict::LeftOut(LeftOut::Constant));
    assert_eq!(
        verdict(&d, "etype"),
        &Verdict::Categorical {
            levels: vec!["1".into(), "2".into()],
            blank: None
        }
    );
    assert_eq!(
        verdict(&d, "obstruct"),
        &Verdict::Boolean {
            false_code: "0".into(),
            true_code: "1".into()
        }
    );
    // `differ` (1.0/2.0/3.0) is a number with 46 blanks: numeric, imputed, never a blank level.
    assert!(matches!(
        verdict(&d, "differ"),
        Verdict::Numeric { integer: true, .. }
    ));
    assert_eq!(s.feature("differ").unwrap().missing, Missing::Impute);

    let (d, _) = drafted(&shipped_csv("gbsg.csv"), &opts("status"));
    assert_eq!(verdict(&d, "pid"), &Verdict::LeftOut(LeftOut::Id));

    let (d, s) = drafted(&shipped_csv("indo_rct.csv"), &opts("outcome"));
    assert_eq!(s.target.positive, "1_yes");
    assert!(d
        .decisions
        .iter()
        .any(|x| x.column == "id" && x.verdict == Verdict::LeftOut(LeftOut::Id)));
    // Two codes read as categories (1.0/2.0), blank in 575 of 602 rows: the blank is the
    // answer most patients have, a level of its own, not a value to impute.
    assert_eq!(
        verdict(&d, "bleed"),
        &Verdict::Categorical {
            levels: vec!["1.0".into(), "2.0".into(), "blank".into()],
            blank: Some("blank".into())
        }
    );
    assert_eq!(s.feature("bleed").unwrap().missing, Missing::Reject);
    // R's coded labels `0_no`/`1_yes` are a yes/no pair, written as the data spell them.
    assert_eq!(
        verdict(&d, "sod"),
        &Verdict::Boolean {
            false_code: "0_no".into(),
            true_code: "1_yes".into()
        }
    );
}

#[test]
fn coded_labels_are_read_by_their_word() {
    for (code, word) in [
        ("0_no", "no"),
        ("1 = Yes", "Yes"),
        ("2: no", "no"),
        ("1.yes", "yes"),
        ("yes", "yes"),
        ("12", "12"),
        ("1_", "1_"),
        ("3rd", "3rd"),
    ] {
        assert_eq!(super::label_word(code), word, "{code}");
    }
    assert_eq!(super::yes_no("1_yes", "0_no"), Some(("0_no", "1_yes")));
    assert_eq!(super::yes_no("1_female", "2_male"), None);
}

#[test]
fn an_awkward_file_is_drafted_column_by_column_and_read_back() {
    let csv = awkward_csv(120);
    let (d, s) = drafted(&csv, &opts("outcome"));
    assert_eq!(verdict(&d, "Patient ID"), &Verdict::LeftOut(LeftOut::Id));
    assert_eq!(verdict(&d, "site"), &Verdict::LeftOut(LeftOut::Constant));
    assert_eq!(verdict(&d, "notes"), &Verdict::LeftOut(LeftOut::FreeText));
    // Names with spaces, punctuation and a quote are kept exactly.
    let bp = s.feature("Blood pressure (mm Hg)").unwrap();
    assert_eq!(bp.missing_codes, vec!["?"]);
    assert_eq!(bp.missing, Missing::Impute);
    assert!(s.feature("say \"hi\"").is_some(), "{}", d.toml);
    assert!(d.toml.contains("column = \"say \\\"hi\\\"\""));
    // A blank that is most of the column is a level of its own.
    let coma = s.feature("coma").unwrap();
    assert_eq!(coma.blank.as_deref(), Some("blank"));
    assert_eq!(coma.missing, Missing::Reject);
    let Kind::Categorical { levels } = &coma.kind else {
        panic!("coma is categorical")
    };
    let codes: Vec<&str> = levels.iter().map(|l| l.code.as_str()).collect();
    assert_eq!(codes, ["deep", "light", "blank"]);
    assert_eq!(levels[2].label.en, "(blank in the data)");
    assert!(d
        .toml
        .contains("is read as the level `blank`, not as missing"));
    assert_eq!(
        verdict(&d, "smoker"),
        &Verdict::Boolean {
            false_code: "No".into(),
            true_code: "Yes".into()
        }
    );
    assert_eq!(
        verdict(&d, "sex"),
        &Verdict::Categorical {
            levels: vec!["1".into(), "2".into()],
            blank: None
        }
    );
    let grade = s.feature("grade").unwrap();
    assert_eq!(grade.missing_codes, vec!["N/A"]);
    assert!(matches!(grade.kind, Kind::Numeric { integer: true, .. }));
    // `-` is an answer on a dipstick (text), a gap among numbers.
    assert_eq!(
        verdict(&d, "dipstick"),
        &Verdict::Categorical {
            levels: vec!["+".into(), "++".into(), "-".into()],
            blank: None
        }
    );
    assert_eq!(s.feature("lab").unwrap().missing_codes, vec!["."]);
    assert_eq!(s.target.positive, "yes");
    // Labels default to the column name in both languages, marked TODO.
    let f = s.feature("Blood pressure (mm Hg)").unwrap();
    assert_eq!(
        (f.label.en.as_str(), f.label.zh.as_str()),
        ("Blood pressure (mm Hg)", "Blood pressure (mm Hg)")
    );
    assert!(d.toml.contains("# TODO: label and 中文 translation"));
    assert_eq!((s.split.test_fraction, s.split.seed), (0.25, SEED));
    assert!(s.subgroups.is_empty() && s.treatment.is_none());
    // The left-out columns are listed, each with its reason.
    assert!(
        d.toml
            .contains("#   `Patient ID`: an identifier, by its name"),
        "{}",
        d.toml
    );
    assert!(d
        .toml
        .contains("#   `site`: the same value (`A`) in every row"));
    assert!(d.toml.contains("#   `notes`: free text"));
}

#[test]
fn an_awkward_draft_trains_as_it_is() {
    let csv = awkward_csv(120);
    let (_, s) = drafted(&csv, &opts("outcome"));
    let mut input = crate::train::TrainInput::new(&s, &csv, None);
    input
        .candidates
        .retain(|c| c.family() == crate::model::fitted::Family::Logistic);
    let trained = crate::train::train(&input, &|_, _, _| {}).unwrap();
    assert_eq!(trained.bundle.schema, s);
}

#[test]
fn every_decision_is_one_line_naming_its_column() {
    let (d, _) = drafted(&awkward_csv(60), &opts("outcome"));
    assert_eq!(d.decisions.len(), 12);
    for x in &d.decisions {
        let line = x.to_string();
        assert!(
            !line.contains('\n') && line.starts_with(&format!("`{}`: ", x.column)),
            "{line}"
        );
    }
    let bp = d
        .decisions
        .iter()
        .find(|x| x.column.starts_with("Blood"))
        .unwrap()
        .to_string();
    assert!(bp.contains("numeric (whole numbers), plausible"), "{bp}");
    assert!(bp.contains("`?` ×"), "{bp}");
}

/// `n` rows of `x,crp,dx` with `crp` a number except in the rows of `tokens`.
fn crp_csv(n: usize, tokens: &[(usize, &str)]) -> String {
    let mut s = String::from("x,crp,dx\n");
    for i in 0..n {
        let crp = tokens
            .iter()
            .find(|(r, _)| *r == i)
            .map_or_else(|| format!("{}", 3 + i % 40), |(_, t)| t.to_string());
        s.push_str(&format!(
            "{},{crp},{}\n",
            i % 7,
            if i % 3 == 0 { "1" } else { "0" }
        ));
    }
    s
}

#[test]
fn a_mostly_numeric_column_with_a_few_words_is_an_error_naming_both_readings() {
    let csv = crp_csv(400, &[(10, "<5"), (20, "trace"), (30, "<5")]);
    assert_eq!(
        error(&csv, &opts("dx")),
        "init: column `crp`: 3 of 400 values are not numbers (`<5`, `trace`); read it as \
         numeric with those as missing (`--na '<5' --na trace`) or as categorical \
         (`--categorical crp`)"
    );
    // Either flag settles it.
    let mut o = opts("dx");
    o.na = vec!["<5".into(), "trace".into()];
    let (d, s) = drafted(&csv, &o);
    assert!(matches!(verdict(&d, "crp"), Verdict::Numeric { .. }));
    assert_eq!(s.feature("crp").unwrap().missing_codes, vec!["<5", "trace"]);
    let mut o = opts("dx");
    o.categorical = vec!["crp".into()];
    let (d, _) = drafted(&csv, &o);
    let Verdict::Categorical { levels, .. } = verdict(&d, "crp") else {
        panic!("crp is categorical")
    };
    assert_eq!(levels.len(), 42);
    assert_eq!(levels.last().map(String::as_str), Some("trace"));
}

#[test]
fn several_ambiguous_columns_are_all_named_and_a_column_with_a_space_is_quoted() {
    let csv = "a b,c,dx\n".to_string()
        + &(0..40)
            .map(|i| {
                let ab = if i == 3 {
                    "high".to_string()
                } else {
                    i.to_string()
                };
                let c = if i == 5 {
                    "n.d.".to_string()
                } else {
                    (i % 9).to_string()
                };
                format!("{ab},{c},{}\n", i % 2)
            })
            .collect::<String>();
    let e = error(&csv, &opts("dx"));
    assert!(
        e.contains("column `a b`: 1 of 40 values are not numbers (`high`)"),
        "{e}"
    );
    assert!(e.contains("(`--categorical 'a b'`)"), "{e}");
    assert!(e.contains("\ncolumn `c`: 1 of 40 values are not numbers (`n.d.`); read it as numeric with those as missing (`--na n.d.`)"), "{e}");
}

#[test]
fn a_mostly_text_column_with_some_numbers_is_categorical() {
    let csv = "stage,dx\n".to_string()
        + &(0..40)
            .map(|i| format!("{},{}\n", ["1", "2a", "2b", "3a", "3b"][i % 5], i % 2))
            .collect::<String>();
    let (d, _) = drafted(&csv, &opts("dx"));
    assert_eq!(
        verdict(&d, "stage"),
        &Verdict::Categorical {
            levels: vec![
                "1".into(),
                "2a".into(),
                "2b".into(),
                "3a".into(),
                "3b".into()
            ],
            blank: None
        }
    );
}

#[test]
fn a_blank_is_a_level_at_a_quarter_of_the_rows_or_when_most_frequent_and_never_among_numbers() {
    // 40 rows: `a` 20, `b` 10, blank 10 (25 %): a level.
    let csv = |blanks: usize, a: usize| {
        let mut s = String::from("v,n,dx\n");
        for i in 0..40 {
            let v = if i < blanks {
                ""
            } else if i < blanks + a {
                "a"
            } else {
                "b"
            };
            let n = if i < blanks {
                String::new()
            } else {
                (i % 5).to_string()
            };
            s.push_str(&format!("{v},{n},{}\n", i % 2));
        }
        s
    };
    let (d, s) = drafted(&csv(10, 20), &opts("dx"));
    assert_eq!(s.feature("v").unwrap().blank.as_deref(), Some("blank"));
    // …but never in a column of numbers: blank there is missing.
    assert_eq!(s.feature("n").unwrap().blank, None);
    assert_eq!(s.feature("n").unwrap().missing, Missing::Impute);
    assert!(matches!(verdict(&d, "n"), Verdict::Numeric { .. }));
    // 9 of 40 (22.5 %) and not the most frequent: missing.
    let (_, s) = drafted(&csv(9, 20), &opts("dx"));
    let v = s.feature("v").unwrap();
    assert_eq!((v.blank.as_ref(), v.missing), (None, Missing::Impute));
    // 9 blanks, 8 `a`, 23 `b`: fewer blanks than `b`, so still missing.
    let (_, s) = drafted(&csv(9, 8), &opts("dx"));
    assert_eq!(s.feature("v").unwrap().blank, None);
}

#[test]
fn a_blank_level_takes_a_code_no_level_has() {
    let mut s = String::from("v,dx\n");
    for i in 0..40 {
        let v = ["", "", "blank", "other"][i % 4];
        s.push_str(&format!("{v},{}\n", i % 2));
    }
    let (d, schema) = drafted(&s, &opts("dx"));
    assert_eq!(
        verdict(&d, "v"),
        &Verdict::Categorical {
            levels: vec!["blank".into(), "other".into(), "blank_".into()],
            blank: Some("blank_".into())
        }
    );
    assert_eq!(
        schema.feature("v").unwrap().blank.as_deref(),
        Some("blank_")
    );
}

#[test]
fn yes_no_pairs_are_recognised_in_any_case_and_keep_their_spelling() {
    let pairs = [
        ("0", "1"),
        ("0.0", "1.0"),
        ("No", "Yes"),
        ("n", "Y"),
        ("FALSE", "TRUE"),
        ("f", "t"),
        ("Negative", "Positive"),
        ("absent", "present"),
    ];
    let header: Vec<String> = (0..pairs.len()).map(|j| format!("b{j}")).collect();
    let mut s = format!("{},dx\n", header.join(","));
    for i in 0..40 {
        let row: Vec<&str> = pairs
            .iter()
            .map(|(no, yes)| if (i * 7 + i / 3) % 3 == 0 { *yes } else { *no })
            .collect();
        s.push_str(&format!("{},{}\n", row.join(","), i % 2));
    }
    let (d, _) = drafted(&s, &opts("dx"));
    for (j, (no, yes)) in pairs.iter().enumerate() {
        assert_eq!(
            verdict(&d, &format!("b{j}")),
            &Verdict::Boolean {
                false_code: no.to_string(),
                true_code: yes.to_string()
            }
        );
    }
    // Other pairs of words are categories; --categorical keeps even a yes/no pair as levels.
    let mut s = String::from("arm,flag,dx\n");
    for i in 0..40 {
        s.push_str(&format!(
            "{},{},{}\n",
            ["A", "B"][i % 2],
            ["no", "yes"][i % 3 % 2],
            i % 2
        ));
    }
    let mut o = opts("dx");
    o.categorical = vec!["flag".into()];
    let (d, _) = drafted(&s, &o);
    assert!(matches!(verdict(&d, "arm"), Verdict::Categorical { .. }));
    assert!(matches!(verdict(&d, "flag"), Verdict::Categorical { .. }));
}

#[test]
fn the_positive_class_is_the_flag_a_yes_word_or_the_least_frequent() {
    let csv = |classes: [&str; 2]| {
        let mut s = String::from("x,y\n");
        for i in 0..40 {
            s.push_str(&format!("{},{}\n", i % 9, classes[usize::from(i % 4 == 0)]));
        }
        s
    };
    let positive = |c: [&str; 2], flag: Option<&str>| {
        let mut o = opts("y");
        o.positive = flag.map(str::to_string);
        let d = draft(&csv(c), &o).unwrap();
        Schema::from_toml(&d.toml).unwrap().target.positive
    };
    assert_eq!(positive(["1", "0"], None), "1");
    assert_eq!(positive(["1.0", "0.0"], None), "1.0");
    assert_eq!(positive(["Absent", "Present"], None), "Present");
    assert_eq!(positive(["alive", "dead"], None), "dead");
    assert_eq!(positive(["dead", "alive"], None), "alive");
    assert_eq!(positive(["alive", "dead"], Some("alive")), "alive");
    let mut o = opts("y");
    o.positive = Some("maybe".into());
    assert_eq!(
        error(&csv(["a", "b"]), &o),
        "init: --positive `maybe` is not one of the classes of `y`: `a`, `b`"
    );
    let d = draft(&csv(["alive", "dead"]), &opts("y")).unwrap();
    assert!(d.toml.contains("# positive: `dead`, the least frequent class (10 of 40 rows; pass --positive to pick another)\npositive = \"dead\""), "{}", d.toml);
}

#[test]
fn a_target_that_is_not_a_few_classes_is_refused_saying_what_is_accepted() {
    let rows = |f: &dyn Fn(usize) -> String| {
        "x,y\n".to_string()
            + &(0..40)
                .map(|i| format!("{},{}\n", i % 5, f(i)))
                .collect::<String>()
    };
    let e = error(&rows(&|i| (i % 12).to_string()), &opts("y"));
    assert_eq!(e, "init: target column `y` has 12 different numbers; Bedside predicts one of a few classes (at most 10), not a measurement: pick a column of classes, or code the outcome as classes first");
    let e = error(&rows(&|_| "yes".into()), &opts("y"));
    assert_eq!(e, "init: target column `y` has one class (`yes`) in all 40 rows; a model needs at least two classes to tell apart");
    let e = error(
        &rows(&|i| {
            if i == 4 {
                "?".into()
            } else if i == 9 {
                String::new()
            } else {
                (i % 2).to_string()
            }
        }),
        &opts("y"),
    );
    assert!(e.starts_with("init: target column `y`: 2 of 40 rows have no outcome (row 5 `?`, row 10 ``); every row needs one"), "{e}");
    let e = error(
        &rows(&|i| {
            if i < 4 {
                "rare".into()
            } else {
                "common".into()
            }
        }),
        &opts("y"),
    );
    assert!(e.contains("class `rare` has 4 rows, 3 of them for training; `bedside train` needs at least 5 training rows of each class"), "{e}");
}

#[test]
fn a_file_init_cannot_read_is_refused_saying_what_is_accepted() {
    let o = opts("dx");
    assert_eq!(error("", &o), "init: the CSV is empty; init needs a header row naming the columns, then one row per patient");
    assert_eq!(
        error("a,dx\n", &o),
        "init: the CSV has a header but no data rows; init needs one row per patient"
    );
    assert_eq!(
        error("a,b,a,dx\n1,2,3,0\n", &o),
        "init: column `a` appears twice in the header (columns 1 and 3); each column needs its own name"
    );
    assert_eq!(
        error("a,b\n1,2\n", &o),
        "init: the target column `dx` is not in the CSV header; the columns are: a, b"
    );
    assert_eq!(
        error("a,dx\n1,0\n2\n", &o),
        "init: row 2: has 1 cells, the header has 2; every row needs one cell per column"
    );
    let mut bad = opts("dx");
    bad.drop = vec!["nope".into()];
    assert!(error("a,dx\n1,0\n", &bad)
        .contains("--drop `nope` is not a column of the CSV; the columns are: a, dx"));
    bad.drop = vec!["dx".into()];
    assert!(error("a,dx\n1,0\n", &bad).contains("--drop `dx`: that is the target column"));
    let mut bad = opts("dx");
    bad.categorical = vec!["b".into()];
    assert!(error("a,dx\n1,0\n", &bad).contains("--categorical `b` is not a column"));
}

#[test]
fn nothing_left_to_learn_from_is_an_error_listing_why() {
    let csv = "id,k,dx\n".to_string()
        + &(0..40)
            .map(|i| format!("{i},same,{}\n", i % 2))
            .collect::<String>();
    let e = error(&csv, &opts("dx"));
    assert!(
        e.starts_with("init: no column is left to learn from: `id` (an identifier"),
        "{e}"
    );
    assert!(e.contains("`k` (the same value (`same`)"), "{e}");
}

#[test]
fn ids_are_recognised_by_name_or_by_distinct_values_and_dropped_columns_are_left_out() {
    for name in [
        "id",
        "ID",
        "patient_id",
        "Patient ID",
        "PatientID",
        "mrn",
        "case number",
        "record no",
        "Unnamed: 0",
        "rownames",
        "id_number",
    ] {
        assert!(id_like_name(name), "{name}");
    }
    for name in [
        "acid",
        "lipid",
        "fluid",
        "idx_score",
        "body mass index",
        "age",
        "paid",
    ] {
        assert!(!id_like_name(name), "{name}");
    }
    // 40 distinct whole numbers: an ID; 12 rows of distinct ages are not.
    let csv = |n: usize| {
        "num,age,dx\n".to_string()
            + &(0..n)
                .map(|i| {
                    format!(
                        "{},{},{}\n",
                        1000 + i * 7,
                        20 + i % 15 * 3,
                        ["a", "b"][i % 2]
                    )
                })
                .collect::<String>()
    };
    let (d, _) = drafted(&csv(40), &opts("dx"));
    assert_eq!(verdict(&d, "num"), &Verdict::LeftOut(LeftOut::Id));
    let (d, _) = drafted(&csv(14), &opts("dx"));
    assert!(matches!(verdict(&d, "num"), Verdict::Numeric { .. }));
    // --categorical keeps an ID-named column; --drop leaves out anything.
    let csv = "id,x,y,dx\n".to_string()
        + &(0..40)
            .map(|i| format!("{},{},{},{}\n", i % 4, i % 5, i % 6, i % 2))
            .collect::<String>();
    let mut o = opts("dx");
    o.categorical = vec!["id".into()];
    o.drop = vec!["y".into()];
    let (d, s) = drafted(&csv, &o);
    assert!(matches!(verdict(&d, "id"), Verdict::Categorical { .. }));
    assert_eq!(verdict(&d, "y"), &Verdict::LeftOut(LeftOut::Dropped));
    assert!(s.feature("y").is_none());
    assert!(d.toml.contains("#   `y`: --drop"));
}

#[test]
fn an_unnamed_column_is_left_out() {
    let csv = ",x,dx\n".to_string()
        + &(0..40)
            .map(|i| format!("{i},{},{}\n", i % 5, i % 2))
            .collect::<String>();
    let (d, _) = drafted(&csv, &opts("dx"));
    assert_eq!(d.decisions[0].verdict, Verdict::LeftOut(LeftOut::Unnamed));
    assert!(d
        .toml
        .contains("#   (no name): column 1 has no name in the header"));
}

#[test]
fn a_column_constant_in_the_seeded_training_rows_is_left_out() {
    // Where does the trainer's split put each row? The same call the draft makes.
    let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
    let (_, test) = crate::train::split::stratified(&labels, 2, TEST_FRACTION, SEED);
    let odd = test[0];
    let csv = "x,rare,dx\n".to_string()
        + &(0..40)
            .map(|i| {
                format!(
                    "{},{},{}\n",
                    i % 5,
                    if i == odd { "yes" } else { "no" },
                    i % 2
                )
            })
            .collect::<String>();
    let (d, s) = drafted(&csv, &opts("dx"));
    assert_eq!(
        verdict(&d, "rare"),
        &Verdict::LeftOut(LeftOut::ConstantInTraining)
    );
    assert!(s.feature("rare").is_none());
    // In a training row instead, it stays.
    let (train, _) = crate::train::split::stratified(&labels, 2, TEST_FRACTION, SEED);
    let csv = csv.replace(",yes,", ",no,");
    let csv: String = csv
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == train[0] + 1 {
                l.replace(",no,", ",yes,")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let (d, _) = drafted(&csv, &opts("dx"));
    assert!(matches!(verdict(&d, "rare"), Verdict::Boolean { .. }));
}

#[test]
fn plausible_ranges_are_widened_by_half_the_span_and_rounded_outward() {
    assert_eq!(widen(12.0, 87.0, true), (0.0, 130.0));
    assert_eq!(widen(1.0, 10.0, true), (0.0, 15.0));
    assert_eq!(widen(0.078, 2.42, false), (0.0, 3.6));
    assert_eq!(widen(-5.0, 5.0, false), (-10.0, 10.0));
    assert_eq!(widen(100.0, 110.0, false), (95.0, 115.0));
    assert_eq!(widen(0.05263, 0.1634, false), (0.0, 0.22));
    assert_eq!(widen(1000.0, 1002.0, true), (999.0, 1003.0));
    for (lo, hi) in [(0.001, 0.002), (3.7, 3.9), (-80.0, -20.0), (1e9, 3e9)] {
        let (a, b) = widen(lo, hi, false);
        assert!(a <= lo && b >= hi && a < b, "{lo}–{hi}: {a}–{b}");
    }
}

#[test]
fn toml_strings_round_trip_whatever_the_column_is_called() {
    #[derive(serde::Deserialize)]
    struct One {
        s: String,
    }
    for s in [
        "Blood pressure (mm Hg)",
        "say \"hi\"",
        "a\\b",
        "line\nbreak\ttab",
        "血糖 (mg/dL)",
        "\u{7}bell",
        "'single'",
    ] {
        let back: One = toml::from_str(&format!("s = {}", quote(s))).unwrap();
        assert_eq!(back.s, s);
    }
    assert_eq!(num(-0.0), "0");
    assert_eq!(num(3.6), "3.6");
    assert_eq!(num(1e20), "100000000000000000000.0");
    assert_eq!(one_line("a\nb"), "a\\nb");
}

#[test]
fn a_column_name_with_a_line_break_stays_inside_its_comment() {
    let csv = "\"two\nlines\",k,dx\n".to_string()
        + &(0..40)
            .map(|i| format!("{},same,{}\n", i % 5, i % 2))
            .collect::<String>();
    let (d, s) = drafted(&csv, &opts("dx"));
    assert!(s.feature("two\nlines").is_some());
    assert!(d.decisions.iter().all(|x| !x.to_string().contains('\n')));
}

#[test]
fn the_schema_id_comes_from_the_output_file_name() {
    assert_eq!(schema_id("biopsy.schema.toml"), "biopsy");
    assert_eq!(schema_id("my data.toml"), "my_data");
    assert_eq!(schema_id("血糖.schema.toml"), "draft");
    assert_eq!(schema_id("a-b_c"), "a-b_c");
}

#[test]
fn a_column_with_values_only_in_the_test_rows_is_left_out() {
    // 40 rows, outcome alternating; `lab` has a value only in three rows of the held-out quarter.
    let labels: Vec<usize> = (0..40).map(|i| i % 2).collect();
    let (_, test) = crate::train::split::stratified(&labels, 2, TEST_FRACTION, SEED);
    let mut csv = String::from("age,lab,outcome\n");
    for (i, &l) in labels.iter().enumerate() {
        let lab = match test.iter().position(|&t| t == i) {
            Some(k) if k < 3 => format!("{}.5", k + 1),
            _ => String::new(),
        };
        csv.push_str(&format!("{},{lab},{}\n", 20 + i % 25, ["no", "yes"][l]));
    }
    let (d, s) = drafted(&csv, &opts("outcome"));
    assert!(s.feature("lab").is_none(), "{}", d.toml);
    let lab = d.decisions.iter().find(|x| x.column == "lab").unwrap();
    assert!(
        lab.why.contains("no row of the seeded training split"),
        "{}",
        lab.why
    );
}
