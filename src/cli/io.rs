//! [native only] Reading files and the clock for the subcommands (shared by `cli/mod.rs` and
//! its submodules, so that neither imports the other).

use std::path::Path;

use anyhow::{anyhow, Context};

use crate::bundle::Bundle;

pub(super) fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| anyhow!("{} is not UTF-8 text", path.display()))
}

pub(super) fn load_bundle(path: &Path) -> anyhow::Result<Bundle> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Bundle::from_bytes(&bytes).with_context(|| path.display().to_string())
}

pub(super) fn unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Today's date (UTC).
pub(super) fn today_utc() -> crate::interop::fhir::Date {
    crate::interop::fhir::Date::from_unix_days(unix_seconds().div_euclid(86_400))
}

/// Now as an ISO 8601 date-time in UTC, to the second.
pub(super) fn now_utc() -> String {
    let secs = unix_seconds();
    let d = crate::interop::fhir::Date::from_unix_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year,
        d.month,
        d.day,
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}
