//! The plan report: per step and total records, calls and estimated seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{Plan, RateLimits};
use crate::error::{Error, Result};

/// How the estimate is computed (also in the report).
pub const FORMULA: &str = "intercom_s = intercom_calls / (per_window / window_s × utilisation); \
glassix_s(dept) = glassix_reads(dept) / (per_minute / 60) while they fit in per_hour, \
each further per_hour reads starting an hour later; \
reads and writes overlap and departments read in parallel, so \
estimated_s = max(Σ intercom_s, max over departments of Σ glassix_s(dept)); \
a step alone takes max(its intercom_s, its glassix_s); sequential_upper_bound_s = Σ over steps of that";

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepReport {
    /// Position in execution order, from 1.
    pub position: usize,
    /// Step id.
    pub id: String,
    /// What the step does.
    pub description: String,
    /// Steps it waits for.
    pub depends_on: Vec<String>,
    /// Source records.
    pub records: u64,
    /// Glassix requests.
    pub glassix_calls: u64,
    /// Intercom requests.
    pub intercom_calls: u64,
    /// Seconds the Glassix quota needs for this step.
    pub glassix_seconds: f64,
    /// Seconds the Intercom budget needs for this step.
    pub intercom_seconds: f64,
    /// `max(glassix_seconds, intercom_seconds)`.
    pub estimated_seconds: f64,
}

/// Totals of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTotals {
    /// Source records.
    pub records: u64,
    /// Glassix requests.
    pub glassix_calls: u64,
    /// Intercom requests.
    pub intercom_calls: u64,
    /// Σ Intercom seconds.
    pub intercom_seconds: f64,
    /// The busiest department's Σ Glassix seconds.
    pub glassix_seconds: f64,
    /// `max(intercom_seconds, glassix_seconds)`: the estimate.
    pub estimated_seconds: f64,
    /// Σ per-step estimates: the duration if nothing overlapped.
    pub sequential_upper_bound_seconds: f64,
    /// `intercom` or `glassix`: which side bounds the run.
    pub bound_by: String,
}

/// The plan with its figures; render with [`PlanReport::to_json`] or [`PlanReport::to_markdown`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanReport {
    /// Steps in execution order.
    pub steps: Vec<StepReport>,
    /// Totals and the estimate.
    pub totals: PlanTotals,
    /// The limits used.
    pub limits: RateLimits,
    /// The formula used.
    pub formula: String,
}

pub(super) fn build(plan: &Plan, limits: &RateLimits) -> Result<PlanReport> {
    let ri = limits.intercom_rate()?;
    let mut steps = Vec::new();
    // Glassix calls per department key (the quotas are per key).
    let mut per_department: BTreeMap<Option<&str>, f64> = BTreeMap::new();
    let (mut records, mut g_calls, mut i_calls, mut i_secs, mut seq) = (0u64, 0u64, 0u64, 0.0, 0.0);
    for (i, s) in plan.steps().iter().enumerate() {
        let g = s.glassix_calls();
        let ic = s.intercom_calls();
        let gs = limits.glassix_seconds(g)?;
        let is = ic / ri;
        *per_department.entry(s.department.as_deref()).or_default() += g;
        records += s.records;
        g_calls += g.ceil() as u64;
        i_calls += ic.ceil() as u64;
        i_secs += is;
        seq += gs.max(is);
        steps.push(StepReport {
            position: i + 1,
            id: s.id.clone(),
            description: s.description.clone(),
            depends_on: s.depends_on.clone(),
            records: s.records,
            glassix_calls: g.ceil() as u64,
            intercom_calls: ic.ceil() as u64,
            glassix_seconds: gs,
            intercom_seconds: is,
            estimated_seconds: gs.max(is),
        });
    }
    let mut g_secs: f64 = 0.0;
    for calls in per_department.values() {
        g_secs = g_secs.max(limits.glassix_seconds(*calls)?);
    }
    Ok(PlanReport {
        steps,
        totals: PlanTotals {
            records,
            glassix_calls: g_calls,
            intercom_calls: i_calls,
            intercom_seconds: i_secs,
            glassix_seconds: g_secs,
            estimated_seconds: i_secs.max(g_secs),
            sequential_upper_bound_seconds: seq,
            bound_by: if i_secs >= g_secs {
                "intercom"
            } else {
                "glassix"
            }
            .to_owned(),
        },
        limits: limits.clone(),
        formula: FORMULA.to_owned(),
    })
}

/// `3725.0` → `1 h 02 min 05 s`.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).ceil() as u64;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h} h {m:02} min {sec:02} s")
    } else if m > 0 {
        format!("{m} min {sec:02} s")
    } else {
        format!("{sec} s")
    }
}

impl PlanReport {
    /// Pretty JSON for machines.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(Error::json("rendering the plan report"))
    }

    /// A Markdown table for people, followed by the totals and the formula.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "| # | Step | Depends on | Records | Glassix calls | Intercom calls | Estimate |"
        );
        let _ = writeln!(o, "|---:|---|---|---:|---:|---:|---:|");
        for s in &self.steps {
            let deps = if s.depends_on.is_empty() {
                "—".to_owned()
            } else {
                s.depends_on.join(", ")
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                s.position,
                s.id,
                deps,
                s.records,
                s.glassix_calls,
                s.intercom_calls,
                human_duration(s.estimated_seconds)
            );
        }
        let t = &self.totals;
        let _ = writeln!(
            o,
            "| | **Total** | | **{}** | **{}** | **{}** | **{}** |",
            t.records,
            t.glassix_calls,
            t.intercom_calls,
            human_duration(t.estimated_seconds)
        );
        let _ = writeln!(
            o,
            "\nEstimated duration: **{}** (bound by {}; Intercom needs {}, Glassix {}; \
             without overlap at most {}).\n",
            human_duration(t.estimated_seconds),
            t.bound_by,
            human_duration(t.intercom_seconds),
            human_duration(t.glassix_seconds),
            human_duration(t.sequential_upper_bound_seconds)
        );
        let _ = writeln!(o, "Formula: {}", self.formula);
        o
    }
}
