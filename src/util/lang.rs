//! The languages the product ships (English and 简体中文).

use serde::{Deserialize, Serialize};

/// The UI languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    /// English.
    #[default]
    En,
    /// 简体中文.
    Zh,
}

impl Lang {
    /// From a language tag as pages and hosts give it (`zh`, `zh-CN` → 简体中文; anything
    /// else → English).
    pub fn from_tag(tag: &str) -> Lang {
        if tag.starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }
}
