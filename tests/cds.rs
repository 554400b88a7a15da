//! CDS Hooks cards from real bundles: every card has the attributes the specification requires
//! (summary ≤ 140 characters, an indicator, a source with a label), the estimate card names the
//! model bundle, rules keep their citation, and the trial options become suggestions.
#![cfg(not(target_arch = "wasm32"))]

use bedside::bundle::signature::Provenance;
use bedside::bundle::{payload_sha256, Bundle};
use bedside::clinical::treatment::decision::{Decision, Verdict};
use bedside::present::cds::Clinician;
use bedside::util::lang::Lang;
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
    cards_with(name, lang, &[], &[])
}

/// The cards for the bundle's first example, with these answers and decisions.
fn cards_with(name: &str, lang: Lang, answers: &[Option<bool>], decisions: &[Decision]) -> Json {
    let (bundle, sha) = load(name);
    let inputs = bundle.examples[0].inputs.clone();
    let outcome = bedside::clinical::form::evaluate(&bundle, &inputs);
    let (record, assessment) = (outcome.record.unwrap(), outcome.assessment.unwrap());
    let provenance = Provenance::Verified("0123456789abcdef".into());
    let who = Clinician {
        sha256: &sha,
        provenance: &provenance,
        subject: None,
        answers,
        decisions,
    };
    bedside::present::cds::cards_for(
        &bundle,
        &who,
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
        .contains("of 100 patients like this one"));
}

#[test]
fn cards_follow_the_clinicians_answers_and_decisions() {
    let esge = |cards: &Json| -> Json {
        cards["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["source"]["label"].as_str().unwrap().contains("ESGE"))
            .cloned()
            .unwrap()
    };
    let suggested = |cards: &Json| -> Vec<String> {
        cards["cards"].as_array().unwrap().last().unwrap()["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["label"].as_str().unwrap().to_string())
            .collect()
    };
    // Unanswered: the rule is a warning that names every unchecked contraindication.
    let open = cards_with("indo_rct.bdsx", Lang::En, &[], &[]);
    let rule = esge(&open);
    assert_eq!(rule["indicator"], "warning");
    assert!(rule["summary"]
        .as_str()
        .unwrap()
        .starts_with("Check contraindications first"));
    let detail = rule["detail"].as_str().unwrap();
    assert!(detail.contains("Contraindications not yet checked (unanswered):"));
    assert!(detail.contains("Third trimester of pregnancy"));
    assert_eq!(suggested(&open).len(), 2);
    // Every card names the bundle, its signature and (here) no subject.
    for c in open["cards"].as_array().unwrap() {
        let ext = &c["extension"]["org.bedside.basis"];
        assert_eq!(ext["signature"], "verified");
        assert_eq!(ext["signer"], "0123456789abcdef");
        assert_eq!(ext["bundleSha256"].as_str().unwrap().len(), 64);
        assert!(ext["subject"].is_null());
    }
    // A confirmed contraindication withholds indomethacin from the host as from the page.
    let yes = cards_with("indo_rct.bdsx", Lang::En, &[Some(true)], &[]);
    assert!(esge(&yes)["summary"]
        .as_str()
        .unwrap()
        .starts_with("Withheld (contraindication)"));
    assert_eq!(suggested(&yes), vec!["Placebo (no NSAID prophylaxis)"]);
    // All answered "no": nothing left unchecked, so the rule is plain advice again.
    let none = vec![Some(false); 11];
    let clear = cards_with("indo_rct.bdsx", Lang::En, &none, &[]);
    assert_eq!(esge(&clear)["indicator"], "info");
    assert!(!esge(&clear)["detail"]
        .as_str()
        .unwrap()
        .contains("not yet checked"));
    // A decision is stated on its card; an overridden option is no longer suggested.
    let decisions = [
        Decision::new("0_placebo", Verdict::Override, "prefers prophylaxis").unwrap(),
        Decision::new("1_indomethacin", Verdict::Agree, "").unwrap(),
    ];
    let decided = cards_with("indo_rct.bdsx", Lang::En, &none, &decisions);
    let trial = decided["cards"].as_array().unwrap().last().unwrap().clone();
    assert!(trial["detail"]
        .as_str()
        .unwrap()
        .contains("The clinician overrode it: prefers prophylaxis"));
    assert_eq!(suggested(&decided), vec!["Rectal indomethacin 100 mg"]);
    assert!(esge(&decided)["detail"]
        .as_str()
        .unwrap()
        .contains("The clinician agreed."));
}
