//! What a FHIR import did, for people: as JSON with reasons in words (CLI, JS API) and as
//! escaped HTML (the page).

use serde_json::{json, Value as Json};

use crate::contract::schema::{Lang, Schema};
use crate::interop::fhir::{Imported, Skipped};

/// What an import did, as JSON (the CLI prints it, the JS API returns it): `record` (who the
/// record is: `reference`, `id`, `name`, `birth_date`; `null` without a Patient), `patient`
/// (field → value, as the model takes it), `inputs` (form texts, schema order and units),
/// `used` (`field`, `value`, `source`, `reference` of the resource it came from, `date`
/// (`YYYY-MM-DD` or `null`), and for a reading older than its feature allows `stale_days` (how
/// many days old it is), `max_age_days` and `warning` in `lang`, all `null` otherwise),
/// `not_used` (everything not used: `what`, `label`, `why` in `lang`), `warnings` (those of them
/// about the whole patient), `subject`, `basis`.
pub fn report_json(schema: &Schema, imported: &Imported, lang: Lang) -> Json {
    use crate::present::wording::{skipped_label, skipped_text, stale_text};
    let item = |s: &Skipped| {
        json!({
            "what": s.what,
            "label": skipped_label(s, schema, lang),
            "why": skipped_text(s, schema, lang),
        })
    };
    let record = imported.patient.as_ref().map(|p| {
        json!({ "reference": p.reference, "id": p.id, "name": p.name, "birth_date": p.birth_date })
    });
    json!({
        "record": record,
        "patient": crate::clinical::form::to_json(schema, &imported.inputs),
        "inputs": imported.inputs,
        "used": imported.used.iter().map(|u| json!({
            "field": u.column, "value": u.value, "source": u.source,
            "reference": u.reference,
            "date": u.date.map(|d| d.to_string()),
            "stale_days": u.stale.map(|s| s.days),
            "max_age_days": u.stale.map(|s| s.max_days),
            "warning": u.stale.map(|s| stale_text(&s, lang)),
        })).collect::<Vec<_>>(),
        "not_used": imported.skipped.iter().map(item).collect::<Vec<_>>(),
        "warnings": imported.skipped.iter().filter(|s| s.is_warning()).map(item).collect::<Vec<_>>(),
        "subject": imported.subject,
        "basis": imported.basis,
    })
}

/// What an import did, as escaped HTML in `lang`: whose record it is (`#fhir-record`), a
/// warning about the whole patient where the training population differs, the fields filled in
/// with their source (an old reading marked with its age, `.stale`), and (folded) what was not
/// used and why. Rendered here so the page only inserts it.
pub fn report_html(schema: &Schema, imported: &Imported, lang: Lang) -> String {
    use crate::present::ui::Msg;
    use crate::present::wording::{record_text, skipped_label, skipped_text, stale_text};
    use crate::util::html::esc;
    use std::fmt::Write;
    let mut out = String::from("<div id=\"fhir-report\" role=\"status\">");
    if let Some(p) = &imported.patient {
        let _ = write!(
            out,
            "<p id=\"fhir-record\">{}</p>",
            esc(&record_text(p, lang))
        );
    }
    let (warnings, others): (Vec<&Skipped>, Vec<&Skipped>) =
        imported.skipped.iter().partition(|s| s.is_warning());
    for w in warnings {
        let _ = write!(
            out,
            "<p class=\"warning\">{}</p>",
            esc(&skipped_text(w, schema, lang))
        );
    }
    let _ = write!(
        out,
        "<p>{} {}</p><ul id=\"fhir-used\">",
        esc(Msg::FhirFilled.text(lang)),
        imported.used.len()
    );
    for u in &imported.used {
        let f = schema.feature(&u.column);
        let label = f.map_or(u.column.as_str(), |f| f.label.get(lang));
        let unit = f.map_or("", |f| f.unit());
        let _ = write!(
            out,
            "<li data-field=\"{}\">{}",
            esc(&u.column),
            esc(&format!("{label}: {} {unit} — {}", u.value, u.source))
        );
        if let Some(stale) = &u.stale {
            let _ = write!(
                out,
                " <strong class=\"stale\">{}</strong>",
                esc(&stale_text(stale, lang))
            );
        }
        out.push_str("</li>");
    }
    let _ = write!(
        out,
        "</ul><details><summary>{} ({})</summary><ul id=\"fhir-skipped\">",
        esc(Msg::FhirNotUsed.text(lang)),
        others.len()
    );
    for s in others {
        let _ = write!(
            out,
            "<li data-what=\"{}\">{}: {}</li>",
            esc(&s.what),
            esc(skipped_label(s, schema, lang)),
            esc(&skipped_text(s, schema, lang))
        );
    }
    out.push_str("</ul></details></div>");
    out
}

/// A record answer's source, as shown beside its question.
pub fn answer_source_html(source: &crate::clinical::context::AnswerSource, lang: Lang) -> String {
    use crate::present::ui::Msg;
    use crate::util::html::esc;
    format!(
        "<span class=\"answer-source\" data-reference=\"{}\">{}: {}</span>",
        esc(source.reference.as_deref().unwrap_or("")),
        esc(Msg::FromRecordAnswer.text(lang)),
        esc(&source.source)
    )
}
