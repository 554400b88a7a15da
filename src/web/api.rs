//! The JS API: load a bundle's bytes, assess patients given as plain JS objects. Used by the
//! benchmarks and by pages that embed Bedside without the form.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::bundle::{payload_sha256, Bundle};

/// A loaded model bundle.
#[wasm_bindgen]
pub struct Engine {
    bundle: Bundle,
    sha256: String,
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

#[wasm_bindgen]
impl Engine {
    /// Check and decode a bundle (`Uint8Array`). Throws an `Error` whose message says what is
    /// wrong with the file.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Engine, JsError> {
        let bundle = Bundle::from_bytes(bytes).map_err(js_err)?;
        let sha256 = payload_sha256(bytes).map_err(js_err)?;
        Ok(Engine { bundle, sha256 })
    }

    /// Assess a patient given as an object of field → value. Throws on invalid input, with
    /// the field, the value and what is accepted.
    pub fn assess(&self, patient: JsValue) -> Result<JsValue, JsError> {
        let json: serde_json::Value = serde_wasm_bindgen::from_value(patient).map_err(js_err)?;
        let assessment = crate::assess::assess(&self.bundle, &json).map_err(js_err)?;
        assessment
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(js_err)
    }

    /// Assess a patient given as JSON text (duplicate keys are refused).
    #[wasm_bindgen(js_name = assessJson)]
    pub fn assess_json(&self, patient: &str) -> Result<String, JsError> {
        let assessment = crate::assess::assess_text(&self.bundle, patient).map_err(js_err)?;
        serde_json::to_string(&assessment).map_err(js_err)
    }

    /// The bundle's schema id.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> String {
        self.bundle.schema.id.clone()
    }

    /// SHA-256 (hex) of the bundle payload.
    #[wasm_bindgen(getter)]
    pub fn sha256(&self) -> String {
        self.sha256.clone()
    }
}
