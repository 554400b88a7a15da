//! Schema TOML and training CSV: the input is `schema text`, a NUL byte, then `CSV text`.
//! Both must be refused with an error, never a panic, whatever the bytes.
#![no_main]

use bedside::contract::dataset;
use bedside::Schema;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (schema_bytes, csv_bytes) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let (Ok(schema_text), Ok(csv_text)) =
        (std::str::from_utf8(schema_bytes), std::str::from_utf8(csv_bytes))
    else {
        return;
    };
    if let Ok(schema) = Schema::from_toml(schema_text) {
        let _ = dataset::read_rows(&schema, csv_text);
        let _ = dataset::read_csv(&schema, csv_text);
    }
});
