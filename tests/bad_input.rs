//! The bad-input catalogue, core and CLI: each case is an input a user, a file or a host page
//! could really give, with the exact message it must be refused with. A case that panics, is
//! accepted, or gives another message fails. (The JS API and UI cases are in
//! tests/e2e/bad_input.test.mjs; RELIABILITY.md lists them all.)
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::process::{Command, Stdio};

use bedside::bundle::signature::{Policy, Trust};
use bedside::clinical::assess;
use bedside::contract::dataset;
use bedside::interop::fhir;
use bedside::{Bundle, Schema};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(root().join(rel)).expect("bundles are built by ./dev.sh before the tests")
}

fn pima() -> Bundle {
    Bundle::from_bytes(&read("static/bundles/pima.bdsx")).unwrap()
}

const OK: &str = r#""npreg": 6, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50"#;

fn patient(extra: &str) -> String {
    format!("{{{OK}, {extra}}}")
}

fn err<T: std::fmt::Debug>(r: bedside::Result<T>) -> String {
    match r {
        Ok(v) => format!("ACCEPTED: {v:?}").chars().take(200).collect(),
        Err(e) => e.to_string(),
    }
}

#[test]
fn core_api_refuses_each_bad_input_with_its_exact_message() {
    let b = pima();
    let nested = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let wdbc = r#"{"mean radius": 14.1, "mean texture": 19.3}"#;
    let long = "x".repeat(20_000_000);
    let a = |p: &str| err(assess::assess_text(&b, p).map(|a| a.top));
    let cases: Vec<(&str, String, &str)> = vec![
        ("NaN as a string", a(&patient(r#""glu": "NaN""#)), "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"NaN\""),
        ("Infinity as a string", a(&patient(r#""glu": "Infinity""#)), "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"Infinity\""),
        ("a number too large for a double", a(&patient(r#""glu": 1e999"#)), "patient input is not a JSON object of field → value: number out of range at line 1 column 85"),
        ("a huge but finite number", a(&patient(r#""glu": 1e308"#)), "field `glu`: 1e308 mg/dL is outside the plausible range 20–600 mg/dL"),
        ("a negative age", a(r#"{"npreg": 6, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": -5}"#), "field `age`: -5 is outside the plausible range 21–110"),
        ("glucose in mmol/L where mg/dL is expected", a(&patient(r#""glu": 8.2"#)), "field `glu`: 8.2 mg/dL is outside the plausible range 20–600 mg/dL"),
        ("a unit in the value", a(&patient(r#""glu": "148 mg/dL""#)), "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"148 mg/dL\""),
        ("a number given as text", a(&patient(r#""glu": "148""#)), "field `glu`: expected a number, got the text \"148\""),
        ("a 20-million-character value", a(&patient(&format!(r#""glu": "{long}""#))), "field `glu`: expected a number in mg/dL between 20 and 600, got the text \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (20000000 characters)\""),
        ("a 20-million-character field name", a(&patient(&format!(r#""glu": 148, "{long}": 1"#))), "unknown field `xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (20000000 characters)`; accepted fields: npreg, glu, bp, skin, bmi, ped, age"),
        ("a 20-million-character string instead of the object", a(&format!(r#""{long}""#)), "patient input is not a JSON object of field → value: expected an object, got the text \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx… (20000000 characters)\""),
        ("a boolean for a number", a(&patient(r#""glu": true"#)), "field `glu`: expected a number in mg/dL between 20 and 600, got true"),
        ("a fraction for a count", a(r#"{"npreg": 2.5, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#), "field `npreg`: expected a whole number between 0 and 25, got 2.5"),
        ("an unknown field", a(&patient(r#""glu": 148, "insulin": 80"#)), "unknown field `insulin`; accepted fields: npreg, glu, bp, skin, bmi, ped, age"),
        ("a field in the wrong case", a(&patient(r#""GLU": 148"#)), "unknown field `GLU`; accepted fields: npreg, glu, bp, skin, bmi, ped, age"),
        ("a duplicate field", a(&patient(r#""glu": 148, "glu": 90"#)), "patient input is not a JSON object of field → value: field `glu` appears more than once at line 1 column 95"),
        ("a required field missing", a(&format!("{{{OK}}}")), "field `glu` is required (missing values are not allowed for it)"),
        ("an empty object", a("{}"), "field `npreg` is required (missing values are not allowed for it)"),
        ("an array", a("[1, 2, 3]"), "patient input is not a JSON object of field → value: invalid type: sequence, expected an object of field → value at line 1 column 0"),
        ("null", a("null"), "patient input is not a JSON object of field → value: invalid type: null, expected an object of field → value at line 1 column 4"),
        ("a string", a(r#""glu=148""#), "patient input is not a JSON object of field → value: expected an object, got the text \"glu=148\""),
        ("empty input", a(""), "patient input is not a JSON object of field → value: EOF while parsing a value at line 1 column 0"),
        ("deeply nested JSON", a(&format!("{{\"glu\": {nested}}}")), "patient input is not a JSON object of field → value: recursion limit exceeded at line 1 column 135"),
        ("truncated JSON", a(r#"{"glu": 148, "#), "patient input is not a JSON object of field → value: EOF while parsing a value at line 1 column 13"),
        ("the other data set's patient (wrong bundle for the data)", a(wdbc), "unknown field `mean radius`; accepted fields: npreg, glu, bp, skin, bmi, ped, age"),
        ("an empty bundle file", err(Bundle::from_bytes(b"")), "not a Bedside model bundle (the file does not start with the BDSX signature)"),
        ("an image instead of a bundle", err(Bundle::from_bytes(b"\x89PNG\r\n\x1a\n....")), "not a Bedside model bundle (the file does not start with the BDSX signature)"),
        ("a bundle cut inside its header", err(Bundle::from_bytes(&[&b"BDSX"[..], &bedside::bundle::FORMAT_VERSION.to_le_bytes()].concat())), "bundle is truncated: 6 bytes, expected 44"),
        ("an empty schema", err(Schema::from_toml("")), "schema: TOML parse error at line 1, column 1\n  |\n1 | \n  | ^\nmissing field `id`\n"),
        ("a schema that is not TOML", err(Schema::from_toml("{\"id\": 1}")), "schema: TOML parse error at line 1, column 1\n  |\n1 | {\"id\": 1}\n  | ^\ninvalid key-value pair, expected key\n"),
        ("an empty CSV", err(dataset::read_csv(&b.schema, "")), "data: the CSV is empty (no header, no rows)"),
        ("a CSV without the schema's columns", err(dataset::read_csv(&b.schema, "a,b\n1,2\n")), "data: column `npreg` is missing from the CSV header"),
        ("FHIR that is not JSON", err(fhir::import_text(&b.schema, "<Bundle/>", fhir::Date::from_unix_days(20000))), "FHIR: not JSON: expected value at line 1 column 1"),
        ("JSON that is not a FHIR resource", err(fhir::import_text(&b.schema, r#"{"resourceType": "Car"}"#, fhir::Date::from_unix_days(20000))), "FHIR: expected a FHIR Bundle, Patient or Observation, got a Car"),
        ("a trusted key that is not hex", err(Trust::parse_keys("not-a-key")), "signature: `not-a-key` is not an Ed25519 public key (64 hex digits)"),
        ("an unknown signature policy", err(Policy::parse("sometimes")), "signature: signature policy `sometimes` is not one of require, warn, off"),
    ];
    assert!(cases.len() >= 30);
    for (what, got, want) in &cases {
        assert_eq!(got, want, "{what}");
    }
}

/// Run the CLI with `args` (`@pima` is the shipped pima bundle, `@tmp/x` a file in a scratch
/// directory) and standard input; the exit code and standard error.
fn cli(args: &[&str], stdin: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("bedside-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if *a == "@pima" {
                root()
                    .join("static/bundles/pima.bdsx")
                    .display()
                    .to_string()
            } else if let Some(rest) = a.strip_prefix("@tmp/") {
                dir.join(rest).display().to_string()
            } else {
                a.to_string()
            }
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bedside"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "TMP");
    (
        out.status.code(),
        err.replace(&root().display().to_string(), "ROOT"),
    )
}

/// Write a scratch file for [`cli`].
fn scratch(name: &str, bytes: &[u8]) {
    let dir = std::env::temp_dir().join(format!("bedside-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn cli_refuses_each_bad_input_with_its_exact_message() {
    scratch("latin1.json", b"{\"glu\": 148, \"name\": \"Jos\xe9\"}");
    scratch("empty.json", b"");
    scratch("empty.csv", b"");
    scratch("latin1.csv", b"npreg,glu\n1,J\xe9\n");
    let mut huge = vec![b' '; 20 << 20];
    huge.extend_from_slice(b"[]");
    scratch("huge.json", &huge);
    scratch("not-a-bundle.bdsx", b"hello");
    scratch("existing.key", b"x");
    let _ = std::fs::remove_file(
        std::env::temp_dir().join(format!("bedside-bad-{}/k.key", std::process::id())),
    );
    let (code, _) = cli(&["keygen", "--out", "@tmp/k"], b"");
    assert_eq!(code, Some(0));
    let zero_key = "00".repeat(32);
    let long_value = format!(r#"{{"glu": "{}"}}"#, "血".repeat(20_000_000));
    let pima_schema = root().join("data/pima.schema.toml").display().to_string();
    let cases: Vec<(&str, Vec<&str>, &[u8], &str)> = vec![
        ("a bundle that does not exist (a 404 on disk)", vec!["assess", "--bundle", "/nonexistent/x.bdsx", "--patient", "-"], b"{}", "error: reading /nonexistent/x.bdsx: No such file or directory (os error 2)\n"),
        ("a file that is not a bundle", vec!["assess", "--bundle", "@tmp/not-a-bundle.bdsx", "--patient", "-"], b"{}", "error: TMP/not-a-bundle.bdsx: not a Bedside model bundle (the file does not start with the BDSX signature)\n"),
        ("a patient file that is not UTF-8", vec!["assess", "--bundle", "@pima", "--patient", "@tmp/latin1.json"], b"", "error: TMP/latin1.json is not UTF-8 text\n"),
        ("an empty patient file", vec!["assess", "--bundle", "@pima", "--patient", "@tmp/empty.json"], b"", "error: patient input is not a JSON object of field → value: EOF while parsing a value at line 1 column 0\n"),
        ("a 20 MB patient file", vec!["assess", "--bundle", "@pima", "--patient", "@tmp/huge.json"], b"", "error: patient input is not a JSON object of field → value: invalid type: sequence, expected an object of field → value at line 1 column 20971520\n"),
        ("a 20-million-character value on standard input", vec!["assess", "--bundle", "@pima", "--patient", "-"], long_value.as_bytes(), "error: field `glu`: expected a number in mg/dL between 20 and 600, got the text \"血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血血… (20000000 characters)\"\n"),
        ("NaN on standard input", vec!["assess", "--bundle", "@pima", "--patient", "-"], br#"{"glu": NaN}"#, "error: patient input is not a JSON object of field → value: expected value at line 1 column 9\n"),
        ("an empty training CSV", vec!["train", "--data", "@tmp/empty.csv", "--schema", &pima_schema, "--out", "@tmp/o.bdsx"], b"", "error: training pima: data: the CSV is empty (no header, no rows)\n"),
        ("a training CSV that is not UTF-8", vec!["train", "--data", "@tmp/latin1.csv", "--schema", &pima_schema, "--out", "@tmp/o.bdsx"], b"", "error: TMP/latin1.csv is not UTF-8 text\n"),
        ("a schema file that does not exist", vec!["train", "--data", "@tmp/empty.csv", "--schema", "/nonexistent.toml", "--out", "@tmp/o.bdsx"], b"", "error: reading /nonexistent.toml: No such file or directory (os error 2)\n"),
        ("FHIR that is not JSON", vec!["fhir-import", "--bundle", "@pima", "--fhir", "-"], b"<Bundle/>", "error: FHIR: not JSON: expected value at line 1 column 1\n"),
        ("a date that is not a date", vec!["fhir-import", "--bundle", "@pima", "--fhir", "-", "--today", "23/11/2026"], b"{}", "error: --today 23/11/2026: expected YYYY-MM-DD\n"),
        ("a trusted key that is not hex", vec!["verify", "--trusted", "xyz", "@pima"], b"", "error: --trusted xyz: signature: `xyz` is not an Ed25519 public key (64 hex digits)\n"),
        ("an unknown signature policy", vec!["verify", "--trusted", &zero_key, "--policy", "maybe", "@pima"], b"", "error: signature: signature policy `maybe` is not one of require, warn, off\n"),
        ("signing something that is not a bundle", vec!["sign", "--key", "@tmp/k.key", "@tmp/not-a-bundle.bdsx"], b"", "error: TMP/not-a-bundle.bdsx: not a Bedside model bundle (the file does not start with the BDSX signature)\n"),
        ("a key file that is not a key", vec!["sign", "--key", "@tmp/existing.key", "@pima"], b"", "error: TMP/existing.key: signature: the key file does not hold an Ed25519 secret key (64 hex digits)\n"),
        ("keygen over an existing key", vec!["keygen", "--out", "@tmp/existing"], b"", "error: TMP/existing.key exists; refusing to overwrite a signing key\n"),
        ("too many neighbours", vec!["similar", "--bundle", "@pima", "--patient", "-", "--k", "5000"], br#"{"npreg": 6, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#, "error: --k 5000: expected 1 to 100 neighbours\n"),
    ];
    for (what, args, stdin, want) in &cases {
        let (code, got) = cli(args, stdin);
        assert_eq!((code, got.as_str()), (Some(2), *want), "{what}");
    }
}
