//! WASM tests, run in headless Chromium by `wasm-pack test --headless --chrome`: the core and
//! the JS API behave in the browser exactly as natively, and bad input never panics there.
#![cfg(target_arch = "wasm32")]

use bedside::bundle::Bundle;
use bedside::web::Engine;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The shipped pima bundle (built by `./dev.sh` before the tests run).
const PIMA: &[u8] = include_bytes!("../static/bundles/pima.bdsx");
const PATIENT: &str =
    r#"{"npreg": 6, "glu": 148, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#;

#[wasm_bindgen_test]
fn bundle_decodes_and_round_trips_in_the_browser() {
    let b = Bundle::from_bytes(PIMA).unwrap();
    // The shipped bundle is signed: re-encoding gives back the bundle as it was signed.
    let envelope = bedside::bundle::signature::split(PIMA).unwrap();
    assert!(envelope.block.is_some());
    assert_eq!(b.to_bytes().unwrap(), envelope.bundle);
    assert_eq!(b.schema.id, "pima");
}

#[wasm_bindgen_test]
fn assess_in_wasm_gives_probabilities_summing_to_one() {
    let b = Bundle::from_bytes(PIMA).unwrap();
    let a = bedside::clinical::assess::assess_text(&b, PATIENT).unwrap();
    let sum: f64 = a.probabilities.iter().map(|c| c.probability).sum();
    assert!((sum - 1.0).abs() < 1e-12);
}

#[wasm_bindgen_test]
fn js_api_assesses_plain_objects_and_throws_clear_errors() {
    let engine = Engine::new(PIMA).unwrap();
    assert_eq!(engine.id(), "pima");
    assert_eq!(engine.sha256().len(), 64);
    let patient = js_sys::JSON::parse(PATIENT).unwrap();
    let result = engine.assess(patient).unwrap();
    let probs = js_sys::Reflect::get(&result, &JsValue::from_str("probabilities")).unwrap();
    assert_eq!(js_sys::Array::from(&probs).length(), 2);

    let bad = js_sys::JSON::parse(
        r#"{"npreg": 6, "glu": 948, "bp": 72, "skin": 35, "bmi": 33.6, "ped": 0.627, "age": 50}"#,
    )
    .unwrap();
    let err = JsValue::from(engine.assess(bad).unwrap_err());
    let msg = js_sys::Reflect::get(&err, &JsValue::from_str("message"))
        .unwrap()
        .as_string()
        .unwrap();
    assert_eq!(
        msg,
        "field `glu`: 948 mg/dL is outside the plausible range 20–600 mg/dL"
    );

    let json = engine.assess_json(PATIENT).unwrap();
    assert!(json.contains("\"probabilities\""));

    // The lean entry point gives the same calibrated probabilities as the full assessment.
    let full = bedside::clinical::assess::assess_text(&Bundle::from_bytes(PIMA).unwrap(), PATIENT)
        .unwrap();
    let lean = engine
        .probabilities(js_sys::JSON::parse(PATIENT).unwrap())
        .unwrap();
    let shown: Vec<f64> = full.probabilities.iter().map(|c| c.probability).collect();
    assert_eq!(lean, shown);
}

/// The message a JS API call throws for `patient` (a JS expression).
fn api_error(engine: &Engine, patient: JsValue) -> String {
    let err = JsValue::from(engine.probabilities(patient).unwrap_err());
    js_sys::Reflect::get(&err, &JsValue::from_str("message"))
        .unwrap()
        .as_string()
        .unwrap()
}

#[wasm_bindgen_test]
fn js_api_refuses_non_finite_numbers_and_non_objects_by_name() {
    let engine = Engine::new(PIMA).unwrap();
    let with = |field: &str, value: f64| {
        let p = js_sys::JSON::parse(PATIENT).unwrap();
        js_sys::Reflect::set(&p, &JsValue::from_str(field), &JsValue::from_f64(value)).unwrap();
        p
    };
    // NaN must not pass as "missing" (glu may be missing in pima, so that would be accepted).
    for (value, text) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ] {
        let msg = api_error(&engine, with("glu", value));
        assert!(msg.contains("field `glu`") && msg.contains(text), "{msg}");
    }
    let not_object = "patient input is not a JSON object of field → value: expected an object, got";
    assert_eq!(
        api_error(&engine, JsValue::UNDEFINED),
        format!("{not_object} undefined")
    );
    assert_eq!(
        api_error(&engine, JsValue::from_f64(5.0)),
        format!("{not_object} a number")
    );
    assert_eq!(
        api_error(&engine, js_sys::Array::new().into()),
        format!("{not_object} an array")
    );
    // Objects the field-by-field reader hands to the JSON path still get the exact message.
    let unknown = js_sys::JSON::parse(PATIENT).unwrap();
    js_sys::Reflect::set(
        &unknown,
        &JsValue::from_str("glucose"),
        &JsValue::from_f64(5.0),
    )
    .unwrap();
    assert!(api_error(&engine, unknown).starts_with("unknown field `glucose`"));
    let nested = js_sys::JSON::parse(PATIENT).unwrap();
    js_sys::Reflect::set(
        &nested,
        &JsValue::from_str("glu"),
        &js_sys::JSON::parse("[148]").unwrap(),
    )
    .unwrap();
    assert!(api_error(&engine, nested).contains("field `glu`"));
    // An undefined member is an absent one; `ped` may not be missing.
    let undefined = js_sys::JSON::parse(PATIENT).unwrap();
    js_sys::Reflect::set(&undefined, &JsValue::from_str("ped"), &JsValue::UNDEFINED).unwrap();
    assert_eq!(
        api_error(&engine, undefined),
        "field `ped` is required (missing values are not allowed for it)"
    );
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &JsValue::from_str("self"), &cyclic).unwrap();
    assert!(api_error(&engine, cyclic.into()).starts_with(
        "patient input is not a JSON object of field → value: it could not be written as JSON ("
    ));
    let big = js_sys::JSON::parse(PATIENT).unwrap();
    js_sys::Reflect::set(
        &big,
        &JsValue::from_str("glu"),
        &js_sys::BigInt::from(148u32).into(),
    )
    .unwrap();
    assert!(api_error(&engine, big).starts_with(
        "patient input is not a JSON object of field → value: it could not be written as JSON ("
    ));
}

#[wasm_bindgen_test]
fn damaged_bundles_throw_instead_of_panicking() {
    for bytes in [
        &PIMA[..10],
        &PIMA[..PIMA.len() - 1],
        b"<html>".as_slice(),
        b"".as_slice(),
    ] {
        assert!(Engine::new(bytes).is_err());
    }
    let mut corrupt = PIMA.to_vec();
    let mid = corrupt.len() / 2;
    corrupt[mid] ^= 1;
    let err = JsValue::from(Engine::new(&corrupt).err().unwrap());
    let msg = js_sys::Reflect::get(&err, &JsValue::from_str("message"))
        .unwrap()
        .as_string()
        .unwrap();
    assert!(msg.contains("SHA-256"), "{msg}");
}
