//! `bedside predict`, `evaluate` and `recalibrate`: a site's CSV scored, validated and the
//! bundle recalibrated to it (the work is `crate::validate`'s; this reads, prints and writes).

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use super::io::{load_bundle, read_text, today_utc, working};
use crate::contract::dataset::RowError;
use crate::model::validation::Report;

/// A refused row as the JSON and CSV outputs give it.
#[derive(Serialize)]
struct Refused<'a> {
    row: u32,
    column: Option<&'a str>,
    reason: &'a str,
}

fn refused(rows: &[RowError]) -> Vec<Refused<'_>> {
    rows.iter()
        .map(|e| Refused {
            row: e.row,
            column: e.column.as_deref(),
            reason: &e.message,
        })
        .collect()
}

/// `predict`: one output line per data row, scored or refused, in file order.
pub fn predict(bundle: &Path, data: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let b = load_bundle(bundle)?;
    let csv = read_text(data)?;
    let p = working("reading and scoring the rows", || {
        crate::validate::predict(&b, &csv)
    })
    .with_context(|| data.display().to_string())?;
    let schema = &b.schema;
    let name = |j: &usize| schema.features.get(*j).map_or("", |f| f.column.as_str());
    let sink: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut w = csv::Writer::from_writer(sink);
    let mut header = vec!["row".to_string(), "status".to_string()];
    header.extend(
        schema
            .target
            .classes
            .iter()
            .map(|c| format!("p_{}", c.code)),
    );
    header.extend(
        [
            "top",
            "imputed",
            "outside_training_range",
            "unusual",
            "column",
            "reason",
        ]
        .map(String::from),
    );
    w.write_record(&header)?;
    let k = schema.target.classes.len();
    let (mut scored, mut bad) = (p.rows.iter().peekable(), p.refused.iter().peekable());
    loop {
        let take_scored = match (scored.peek(), bad.peek()) {
            (Some(s), Some(e)) => s.row < e.row,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let mut rec: Vec<String> = Vec::with_capacity(header.len());
        if take_scored {
            let Some(s) = scored.next() else { break };
            rec.push(s.row.to_string());
            rec.push("scored".into());
            rec.extend(s.proba.iter().map(|v| v.to_string()));
            rec.push(
                schema
                    .target
                    .classes
                    .get(s.top())
                    .map_or(String::new(), |c| c.code.clone()),
            );
            rec.push(s.imputed.iter().map(name).collect::<Vec<_>>().join(";"));
            rec.push(s.outside.iter().map(name).collect::<Vec<_>>().join(";"));
            rec.push(if s.unusual { "yes" } else { "no" }.into());
            rec.extend([String::new(), String::new()]);
        } else {
            let Some(e) = bad.next() else { break };
            rec.push(e.row.to_string());
            rec.push("refused".into());
            rec.extend(std::iter::repeat_n(String::new(), k + 4));
            rec.push(e.column.clone().unwrap_or_default());
            rec.push(e.message.clone());
        }
        w.write_record(&rec)?;
    }
    w.flush()?;
    eprintln!(
        "{}: {} rows scored, {} refused{}",
        data.display(),
        p.rows.len(),
        p.refused.len(),
        if p.refused.is_empty() {
            ""
        } else {
            " (listed with row, column and reason, status `refused`)"
        }
    );
    Ok(())
}

/// `evaluate --json`'s output: the report and the refused rows.
#[derive(Serialize)]
struct Evaluation<'a> {
    #[serde(flatten)]
    report: &'a Report,
    refused_rows: Vec<Refused<'a>>,
}

/// `evaluate`: the figures as JSON or as a readable report.
pub fn evaluate(bundle: &Path, data: &Path, json: bool) -> anyhow::Result<()> {
    let b = load_bundle(bundle)?;
    let csv = read_text(data)?;
    let ev = working("reading, scoring and evaluating the rows", || {
        crate::validate::evaluate(&b, &csv)
    })
    .with_context(|| data.display().to_string())?;
    if json {
        let out = Evaluation {
            report: &ev.report,
            refused_rows: refused(&ev.refused),
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!(
            "{}",
            crate::present::validation_report::text(&b.schema, &ev.report)
        );
        for e in ev.refused.iter().take(20) {
            println!("refused: {e}");
        }
        if ev.refused.len() > 20 {
            println!("… and {} more refused rows", ev.refused.len() - 20);
        }
    }
    Ok(())
}

/// What `recalibrate` was asked to do.
pub struct RecalibrateArgs<'a> {
    pub bundle: &'a Path,
    pub data: &'a Path,
    pub out: &'a Path,
    pub key: Option<&'a Path>,
    pub site: &'a str,
    pub period: Option<&'a str>,
}

/// `recalibrate`: a new bundle, signed with the site's key when one is given.
pub fn recalibrate(a: &RecalibrateArgs<'_>) -> anyhow::Result<()> {
    use crate::bundle::signature::native;
    let b = load_bundle(a.bundle)?;
    let csv = read_text(a.data)?;
    let key = a
        .key
        .map(|k| native::read_secret(&read_text(k)?).with_context(|| k.display().to_string()))
        .transpose()?;
    let ev = working("reading, scoring and evaluating the rows", || {
        crate::validate::evaluate(&b, &csv)
    })
    .with_context(|| a.data.display().to_string())?;
    let about = crate::validate::About {
        site: a.site.to_string(),
        period: a.period.unwrap_or_default().to_string(),
        date: today_utc().to_string(),
        signed_by: key
            .as_ref()
            .map(|k| crate::util::hex::hex(&k.verifying_key().to_bytes()))
            .unwrap_or_default(),
    };
    let re = crate::validate::recalibrate(&b, &ev, &about)?;
    let mut bytes = re.bundle.to_bytes()?;
    if let Some(k) = &key {
        bytes = native::sign(&bytes, k)?;
    }
    std::fs::write(a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
    let line = |r: &Report| {
        r.calibration.map_or("calibration line not fitted".into(), |c| {
            format!(
                "AUC {:.3}, calibration intercept {:.3}, slope {:.3}, Brier {:.4}, mean predicted {:.1} % (observed {:.1} %)",
                r.auc, c.intercept, c.slope, r.brier, r.mean_predicted * 100.0, r.event_rate * 100.0
            )
        })
    };
    println!(
        "{} patients ({} events), {} rows refused",
        ev.report.n, ev.report.events, ev.report.refused
    );
    println!("before: {}", line(&ev.report));
    println!(
        "after:  {} (same patients: optimistic by construction)",
        line(&re.after)
    );
    println!(
        "wrote {} (payload SHA-256 {}), {}",
        a.out.display(),
        crate::bundle::format::payload_sha256(&bytes)?,
        match &key {
            Some(k) => format!(
                "signed with key {}…",
                crate::bundle::signature::key_id(&k.verifying_key().to_bytes())
            ),
            None => "unsigned: sign it with `bedside sign` before clinicians use it".into(),
        }
    );
    Ok(())
}
