//! The clinician's decisions on the suggestions (agree, or override with a reason — the
//! `overrideReasons` idea of CDS Hooks cards); they are exported with the report
//! (`render::report_html`).
//!
//! Decisions are kept in memory by the front end and leave the page only when the user
//! downloads the report; nothing is sent anywhere.

/// Agree or override.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The clinician agrees with the suggestion.
    Agree,
    /// The clinician overrides it (a reason is required).
    Override,
}

/// One recorded decision on a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What it is about: a treatment option's arm code, or a rule id.
    pub item: String,
    /// Agree or override.
    pub verdict: Verdict,
    /// Why (required to override).
    pub reason: String,
}

impl Decision {
    /// A decision, refusing an override without a reason.
    pub fn new(item: &str, verdict: Verdict, reason: &str) -> Option<Decision> {
        let reason = reason.trim();
        (verdict == Verdict::Agree || !reason.is_empty()).then(|| Decision {
            item: item.to_string(),
            verdict,
            reason: reason.to_string(),
        })
    }
}

/// Record `d`, replacing an earlier decision on the same item.
pub fn record(decisions: &[Decision], d: Decision) -> Vec<Decision> {
    let mut out: Vec<Decision> = decisions
        .iter()
        .filter(|e| e.item != d.item)
        .cloned()
        .collect();
    out.push(d);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_override_needs_a_reason_and_replaces_the_earlier_decision() {
        assert!(Decision::new("drug", Verdict::Override, "  ").is_none());
        let a = Decision::new("drug", Verdict::Agree, "").unwrap();
        let o = Decision::new("drug", Verdict::Override, "allergic last year").unwrap();
        let other = Decision::new("rule", Verdict::Agree, "").unwrap();
        let ds = record(&record(&[a], other.clone()), o.clone());
        assert_eq!(ds, vec![other, o]);
    }
}
