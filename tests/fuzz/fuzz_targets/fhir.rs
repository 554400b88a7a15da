//! FHIR import (Bundle, Patient, Observation JSON) into each shipped schema, then the report
//! and the RiskAssessment export built from what was imported.
#![no_main]

use bedside::interop::fhir::{self, Date};
use bedside::util::lang::Lang;
use bedside::Schema;
use libfuzzer_sys::fuzz_target;

const SCHEMAS: [&str; 2] = [
    include_str!("../../../data/pima.schema.toml"),
    include_str!("../../../data/wdbc.schema.toml"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let Some(schema_text) = SCHEMAS.get(usize::from(pick) % SCHEMAS.len()) else { return };
    let Ok(schema) = Schema::from_toml(schema_text) else { return };
    let today = Date::parse("2026-11-23").unwrap_or(Date::from_unix_days(20_000));
    if let Ok(imported) = fhir::import_text(&schema, text, today) {
        let _ = bedside::present::fhir_report::report_json(&schema, &imported, Lang::En);
        let _ = bedside::present::fhir_report::report_html(&schema, &imported, Lang::Zh);
    }
});
