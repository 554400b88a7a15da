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

/// Where progress is drawn: stderr when it is a terminal, nowhere otherwise (logs and pipes
/// stay clean).
pub(super) fn on_terminal() -> indicatif::ProgressDrawTarget {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        indicatif::ProgressDrawTarget::stderr()
    } else {
        indicatif::ProgressDrawTarget::hidden()
    }
}

/// Run `step` with a spinner and its elapsed time on the terminal (reading and scoring a large
/// CSV takes seconds: 100,000 rows of wdbc, about 3 s); nothing is drawn when stderr is not a
/// terminal, so logs and pipes stay clean. The spinner is cleared before anything is printed.
pub(super) fn working<T>(what: &str, step: impl FnOnce() -> T) -> T {
    let bar = indicatif::ProgressBar::with_draw_target(None, on_terminal());
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let out = step();
    bar.finish_and_clear();
    out
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
