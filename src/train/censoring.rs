//! [native only] Censoring before a derived target's horizon, handled by inverse probability of
//! censoring weights (IPCW) instead of by dropping the censored rows.
//!
//! A derived target asks "did the event happen by the horizon `h`?". A patient last seen
//! without the event before `h` has no answer. Dropping such patients biases the event rate
//! upwards: the patients who stay in are those followed long enough, and a patient who had the
//! event early is always "followed long enough" (gbsg: 40.4 % among the rest against a
//! Kaplan–Meier estimate of 35.7 %).
//!
//! The standard fix keeps every patient with a known status and weights each by the inverse of
//! the probability that a patient like them was still under follow-up when their status became
//! known: `w = 1 / G(min(T, h)−)`, where `G` is the Kaplan–Meier estimate of the *censoring*
//! survival function (censoring counted as the "event"). Patients censored before the horizon
//! get weight 0: they stay out of the fit, and the weights of those like them who were followed
//! carry their share. With `G` estimated on the same rows, the weighted event share equals the
//! Kaplan–Meier risk `1 − S(h)` exactly (Satten & Datta 2001, "The Kaplan–Meier estimator as an
//! inverse-probability-of-censoring weighted average"), which [`tests`] checks by hand.
//!
//! Conventions, chosen so that identity is exact:
//! - Ties: at a time with both events and censorings, the events happen first (the usual
//!   Kaplan–Meier convention): the censored are still at risk of the event at that time, and
//!   those with the event are no longer at risk of censoring.
//! - The horizon: a follow-up that ends exactly at `h` without the event counts as censored
//!   (the horizon day was not seen through; see `contract::dataset`), so a patient followed past
//!   `h` is weighted by `1 / G(h)`, which includes the censoring at `h`; an event at `T ≤ h` by
//!   `1 / G(T−)`.
//!
//! `G` is estimated on the training rows only (the known-status training rows and the
//! censored rows assigned to training), so nothing about the test rows enters the bundle's
//! fit. It uses no features: censoring is assumed independent of the outcome (in these trials
//! it is mostly administrative, from staggered entry), and it then carries no feature–outcome
//! information.

use crate::error::{Error, Result};

/// A Kaplan–Meier survival curve: a right-continuous step function, 1 before its first step.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// `(time, survival just after that time)` at each time where the curve drops, ascending.
    pub steps: Vec<(f64, f64)>,
}

impl Curve {
    /// `S(t)`: the probability of surviving past `t` (drops at `t` included).
    pub fn at(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|&&(s, _)| s <= t)
            .last()
            .map_or(1.0, |&(_, v)| v)
    }

    /// `S(t−)`: the probability of surviving up to just before `t` (drops at `t` excluded).
    pub fn before(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|&&(s, _)| s < t)
            .last()
            .map_or(1.0, |&(_, v)| v)
    }
}

/// Exact Kaplan–Meier estimates from follow-up times and whether each ended in the event:
/// `(S, G)`, the survival function of the event and that of censoring. At a time `t` with `n`
/// at risk (time ≥ `t`), `d` events and `c` censorings, `S` is multiplied by `1 − d / n` and `G`
/// by `1 − c / (n − d)` (events first at ties, see the module docs). Non-finite times are
/// ignored.
pub fn kaplan_meier(times: &[f64], events: &[bool]) -> (Curve, Curve) {
    let mut rows: Vec<(f64, bool)> = times
        .iter()
        .zip(events)
        .filter(|(t, _)| t.is_finite())
        .map(|(&t, &e)| (t, e))
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut s, mut g) = (Curve { steps: Vec::new() }, Curve { steps: Vec::new() });
    let (mut sv, mut gv) = (1.0f64, 1.0f64);
    let mut at_risk = rows.len();
    let mut rest = rows.as_slice();
    while let Some(&(t, _)) = rest.first() {
        let same = rest.iter().take_while(|r| r.0 == t).count();
        let (group, tail) = rest.split_at(same);
        let d = group.iter().filter(|r| r.1).count();
        let c = same - d;
        if d > 0 {
            sv *= 1.0 - d as f64 / at_risk as f64;
            s.steps.push((t, sv));
        }
        if c > 0 {
            // `at_risk - d ≥ c > 0`: the censored of this time are among those at risk.
            gv *= 1.0 - c as f64 / (at_risk - d) as f64;
            g.steps.push((t, gv));
        }
        at_risk -= same;
        rest = tail;
    }
    (s, g)
}

/// The inverse-probability-of-censoring weights of the rows with a known status at the
/// horizon, and the Kaplan–Meier risk by the horizon, from the same rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Weighting {
    /// One weight per known-status row (parallel to the `times` given to [`weigh`]).
    pub weights: Vec<f64>,
    /// `1 − S(h)`: the Kaplan–Meier risk of the event by the horizon.
    pub km_risk: f64,
}

/// Weights for known-status rows with follow-up `times` and `positive` (event by the horizon),
/// given the follow-up times of the rows censored before the horizon (see the module docs).
/// The weighted share of positive rows equals the returned `km_risk`.
pub fn weigh(
    times: &[f64],
    positive: &[bool],
    censored_times: &[f64],
    horizon: f64,
) -> Result<Weighting> {
    if times.len() != positive.len() {
        return Err(Error::Training(format!(
            "censoring weights: {} follow-up times for {} rows",
            times.len(),
            positive.len()
        )));
    }
    let all_times: Vec<f64> = times.iter().chain(censored_times).copied().collect();
    let all_events: Vec<bool> = positive
        .iter()
        .copied()
        .chain(censored_times.iter().map(|_| false))
        .collect();
    let (s, g) = kaplan_meier(&all_times, &all_events);
    let weights = times
        .iter()
        .zip(positive)
        .map(|(&t, &event)| {
            let still_followed = if event { g.before(t) } else { g.at(horizon) };
            if still_followed > 0.0 && still_followed.is_finite() {
                Ok(1.0 / still_followed)
            } else {
                // Cannot happen for rows of the same sample (each row was itself followed up
                // to that time), but a weight is never allowed to be infinite.
                Err(Error::Training(format!(
                    "censoring weights: no follow-up left at time {t}"
                )))
            }
        })
        .collect::<Result<Vec<f64>>>()?;
    Ok(Weighting {
        weights,
        km_risk: 1.0 - s.at(horizon),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nine patients (time, event): 1 E, 2 C, 3 E, 3 E, 3 C, 4 C, 5 E, 6 C, 7 E.
    fn nine() -> (Vec<f64>, Vec<bool>) {
        let t = vec![1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let e = vec![true, false, true, true, false, false, true, false, true];
        (t, e)
    }

    #[test]
    fn kaplan_meier_matches_a_hand_computed_example_with_ties() {
        let (t, e) = nine();
        let (s, g) = kaplan_meier(&t, &e);
        // Events: t=1, 9 at risk → 8/9; t=3, 7 at risk, 2 events (the censoring at 3 is still
        // at risk) → 8/9 · 5/7; t=5, 3 at risk → · 2/3; t=7, 1 at risk → 0.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert_eq!(s.steps.len(), 4);
        assert!(close(s.at(1.0), 8.0 / 9.0));
        assert!(close(s.at(3.0), 40.0 / 63.0));
        assert!(close(s.before(3.0), 8.0 / 9.0));
        assert!(close(s.at(4.9), 40.0 / 63.0));
        assert!(close(s.at(5.0), 80.0 / 189.0));
        assert!(close(s.at(7.0), 0.0));
        assert!(close(s.at(0.5), 1.0));
        // Censoring: t=2, 8 at risk → 7/8; t=3, 7 at risk less the 2 events first → · 4/5;
        // t=4, 4 at risk → · 3/4; t=6, 2 at risk → · 1/2.
        assert!(close(g.at(2.0), 7.0 / 8.0));
        assert!(close(g.at(3.0), 7.0 / 10.0));
        assert!(close(g.at(4.0), 21.0 / 40.0));
        assert!(close(g.before(6.0), 21.0 / 40.0));
        assert!(close(g.at(6.0), 21.0 / 80.0));
        // S(t)·G(t) is the share still followed after t: 4 of 9 after t=3, 1 of 9 after t=6.
        assert!(close(s.at(3.0) * g.at(3.0), 4.0 / 9.0));
        assert!(close(s.at(6.0) * g.at(6.0), 1.0 / 9.0));
    }

    #[test]
    fn weighted_event_share_is_the_kaplan_meier_risk() {
        // Horizon 5: events by 5 at 1, 3, 3, 5; followed past 5: 6 and 7; censored before
        // (or at) 5: 2, 3, 4.
        let times = [1.0, 3.0, 3.0, 5.0, 6.0, 7.0];
        let positive = [true, true, true, true, false, false];
        let w = weigh(&times, &positive, &[2.0, 3.0, 4.0], 5.0).unwrap();
        // 1/G(1−) = 1; 1/G(3−) = 8/7; 1/G(5−) = 40/21; past the horizon 1/G(5) = 40/21.
        let want = [
            1.0,
            8.0 / 7.0,
            8.0 / 7.0,
            40.0 / 21.0,
            40.0 / 21.0,
            40.0 / 21.0,
        ];
        for (a, b) in w.weights.iter().zip(want) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        assert!((w.km_risk - 109.0 / 189.0).abs() < 1e-12);
        let total: f64 = w.weights.iter().sum();
        let events: f64 = w
            .weights
            .iter()
            .zip(positive)
            .filter(|p| p.1)
            .map(|p| p.0)
            .sum();
        // The weights add up to the whole sample, censored included.
        assert!((total - 9.0).abs() < 1e-12);
        assert!((events / total - w.km_risk).abs() < 1e-12);
        // Without censoring every weight is 1 and the risk is the plain share.
        let w = weigh(&times, &positive, &[], 5.0).unwrap();
        assert!(w.weights.iter().all(|&v| v == 1.0));
        assert!((w.km_risk - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn mismatched_inputs_are_an_error() {
        assert!(weigh(&[1.0], &[], &[], 5.0).is_err());
    }
}
