//! CDS Hooks cards from real bundles: every card has the attributes the specification requires
//! (summary ≤ 140 characters, an indicator, a source with a label), the estimate card names the
//! model bundle, rules keep their citation, and the trial options become suggestions.
#![cfg(not(target_arch = "wasm32"))]

use bedside::bundle::{payload_sha256, Bundle};
use bedside::schema::Lang;
use serde_json::Value as Json;

fn load(name: &str) -> (Bundle, String) {
    let bytes = std::fs::read(format!(
        "{}/static/bundles/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("bundles are built by ./dev.sh before the tests");
    (
        Bundle::from_bytes(&bytes).unwrap(),
        payload_sha256(&bytes).unwrap(),
    )
}

fn cards_for(name: &str, lang: Lang) -> Json {
    let (bundle, sha) = load(name);
    let inputs = bundle.examples[0].inputs.clone();
    let outcome = bedside::form::evaluate(&bundle, &inputs);
    let (record, assessment) = (outcome.record.unwrap(), outcome.assessment.unwrap());
    bedside::cds::cards_for(
        &bundle,
        &sha,
        &record,
        &assessment,
        Some("https://example.org/www/?bundle=x"),
        lang,
    )
}

fn check_shape(cards: &Json) {
    let list = cards["cards"].as_array().unwrap();
    assert!(!list.is_empty());
    for c in list {
        let summary = c["summary"].as_str().unwrap();
        assert!(
            !summary.is_empty() && summary.chars().count() <= 140,
            "{summary}"
        );
        assert!(
            matches!(c["indicator"].as_str(), Some("info" | "warning")),
            "{c}"
        );
        assert!(!c["source"]["label"].as_str().unwrap().is_empty());
        assert!(c["suggestions"].is_array() && c["links"].is_array());
        for l in c["links"].as_array().unwrap() {
            assert_eq!(l["type"], "absolute");
            assert!(l["url"].as_str().unwrap().starts_with("https://"));
        }
    }
}

#[test]
fn every_bundle_gives_well_formed_cards_in_both_languages() {
    for name in [
        "pima.bdsx",
        "wdbc.bdsx",
        "biopsy.bdsx",
        "indo_rct.bdsx",
        "colon.bdsx",
        "gbsg.bdsx",
    ] {
        for lang in [Lang::En, Lang::Zh] {
            check_shape(&cards_for(name, lang));
        }
    }
}

#[test]
fn the_estimate_rules_and_trial_options_each_get_their_card() {
    let cards = cards_for("indo_rct.bdsx", Lang::En);
    let list = cards["cards"].as_array().unwrap();
    let (_, sha) = load("indo_rct.bdsx");
    assert!(
        list[0]["source"]["label"]
            .as_str()
            .unwrap()
            .contains(&sha[..12]),
        "the estimate names its bundle"
    );
    assert!(list[0]["detail"]
        .as_str()
        .unwrap()
        .contains("not a diagnosis"));
    let rule = list
        .iter()
        .find(|c| c["source"]["label"].as_str().unwrap().contains("ESGE"))
        .expect("the ESGE rule card");
    assert!(rule["source"]["label"].as_str().unwrap().contains("2020"));
    let options = list.last().unwrap();
    let labels: Vec<&str> = options["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), 2, "both arms as suggestions: {labels:?}");
    assert!(options["summary"]
        .as_str()
        .unwrap()
        .contains("Modelled risk"));
}
