//! The plan report: per step and total records, calls and estimated seconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::model::{self, Phases, Range};
use super::{Plan, RateLimits, Workload};
use crate::error::{Error, Result};

/// How the estimate is computed (also in the report).
pub const FORMULA: &str = "intercom_s = intercom_calls / (per_window / window_s × utilisation); \
glassix_s(dept) = glassix_reads(dept) / (per_minute / 60) while they fit in per_hour, \
each further per_hour reads starting an hour later; \
reads and writes overlap and departments read in parallel, so \
estimated_s = max(Σ intercom_s, max over departments of Σ glassix_s(dept)); \
a step alone takes max(its intercom_s, its glassix_s); sequential_upper_bound_s = Σ over steps of that. \
With a discovery (phases present): estimated_s = max(discover_s + serial_s + tickets_s, glassix_path_s) where \
discover_s, serial_s (steps outside the tickets phase) and tickets_s (contacts + tickets: reads and writes overlap) \
are each max(intercom_calls / intercom_rate, requests × measured seconds_per_request), \
intercom_rate = min(one token's rate × tokens, workspace_share × workspace_limit / 60), \
tickets_s ≥ the longest ticket's requests / one token's rate, and ≥ those requests × \
seconds_per_request × the chain latency factor (they go in order on one token, one round trip each; \
`migrate` starts that ticket first), and \
with faults met in discovery (a share r of its requests sent again, mean wait w each): serial_s += \
serial Intercom requests × r × 0.5 s (the Intercom client's first backoff) + one key's serial Glassix \
requests × r × w, the chain += its requests × r × 0.5 s, tickets_s ≥ the slowest faulty key's read path \
(discovery's seconds per request on the key × `migrate`'s tickets-phase requests on it), tickets_s += its \
Intercom requests × the share of Glassix 429s in discovery × 0.25 s ÷ tokens (a 429 holds its token), and discover_s ≥ \
discovery's measured duration when r > 1 % kept its cost from being measured; \
glassix_path_s = max over departments of pace_s(discover + migrate requests on that key's quota, \
downloads and tokens excluded), \
pace_s(n) = the client's sliding log: a minute's quota at once, the next a minute (+ 0.25 s) after \
the first of them, an hour likewise past per_hour; `migrate` continues the usage discovery left \
(saved per key), so the job is paced as one; \
migrate_now_s = max(serial_s + tickets_s, max over departments of pace_s(migrate requests) \
counting the key's requests of the last minute and hour)";

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
    /// `intercom`, `glassix`, `faults` (the retries' waits of the faults discovery met) or
    /// `tool` (round trips and the tool's CPU): what bounds the run.
    pub bound_by: String,
    /// The estimate's range and what drives each end.
    pub range: Range,
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
    /// The phase model's figures, when the plan was built from a discovery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<Phases>,
    /// What the estimate cannot account for (said, not hidden).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<String>,
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
    let mut g_low: f64 = 0.0;
    let mut g_high: f64 = 0.0;
    let decrease = glassix_client::Adaptation::default().decrease;
    let slowed = RateLimits {
        glassix_per_minute: limits.glassix_per_minute.map(|m| m * decrease),
        glassix_per_hour: limits.glassix_per_hour.map(|h| h * decrease),
        ..limits.clone()
    };
    for calls in per_department.values() {
        g_secs = g_secs.max(limits.glassix_seconds(*calls)?);
        g_low = g_low.max(limits.glassix_bucket_seconds(*calls, 1.0)?);
        g_high = g_high.max(slowed.glassix_seconds(*calls)?);
    }
    let mut estimated = i_secs.max(g_secs);
    let mut bound_by = if i_secs >= g_secs {
        "intercom"
    } else {
        "glassix"
    };
    let i_low = i_secs * limits.intercom_utilisation;
    let mut range = Range {
        low_seconds: i_low.max(g_low),
        low: "Intercom's whole budget used; Glassix keys sending a minute's quota at once"
            .to_owned(),
        high_seconds: i_secs.max(g_high),
        high: "a Glassix 429 lowering the key's pace for the rest of the run".to_owned(),
    };
    let mut phases = None;
    let mut caveats = Vec::new();
    if let Some(w) = plan.workload() {
        let m = model::model(plan, limits, w)?;
        estimated = m.estimate;
        bound_by = m.bound_by;
        range = m.range;
        g_secs = m.phases.glassix_seconds;
        if m.phases.seconds_per_request.is_none() {
            caveats.push(
                "the per-request cost was not measured (a Glassix quota or the faults' waits \
                 held discovery back), so the tool's own speed is not estimated: a run that \
                 neither a rate limit nor the faults bind takes longer than these figures say"
                    .to_owned(),
            );
        }
        if w.met_faults() {
            caveats.push(format!(
                "discovery sent {} of its requests again ({:.1} %, {:.1} s of waits added up): \
                 the estimate carries that rate into `migrate` for both services (discovery's \
                 few Intercom requests cannot measure Intercom's own); fewer faults make it \
                 shorter, more make it longer",
                w.discover_retries,
                w.retry_share() * 100.0,
                w.discover_retry_wait_seconds
            ));
        }
        phases = Some(m.phases);
    }
    if range.high_seconds - range.low_seconds > 0.3 * estimated {
        caveats.push(format!(
            "the range is wider than ±15 % of the estimate: the figure to promise is the range \
             ({} – {}), not the point (low when {}; high when {})",
            human_duration(range.low_seconds),
            human_duration(range.high_seconds),
            range.low,
            range.high
        ));
    }
    if !plan.workload().is_some_and(Workload::met_faults) {
        caveats.push(format!(
            "retries are an assumption ({:.0} % of requests, in the high end only): a workspace \
         answering with more 5xx, 429 bursts or lost responses runs longer than the range",
            model::ASSUMED_RETRY_SHARE * 100.0
        ));
    }
    Ok(PlanReport {
        steps,
        totals: PlanTotals {
            records,
            glassix_calls: g_calls,
            intercom_calls: i_calls,
            intercom_seconds: i_secs,
            glassix_seconds: g_secs,
            estimated_seconds: estimated,
            sequential_upper_bound_seconds: seq,
            bound_by: bound_by.to_owned(),
            range,
        },
        limits: limits.clone(),
        phases,
        caveats,
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
        let r = &t.range;
        let _ = writeln!(
            o,
            "Binding constraint: **{}**. Range: **{} – {}**: low when {}; high when {}.\n",
            binding_label(&t.bound_by),
            human_duration(r.low_seconds),
            human_duration(r.high_seconds),
            r.low,
            r.high
        );
        if let Some(p) = &self.phases {
            phases_markdown(&mut o, p);
        }
        for c in &self.caveats {
            let _ = writeln!(o, "- Caveat: {c}.");
        }
        if !self.caveats.is_empty() {
            o.push('\n');
        }
        let _ = writeln!(o, "Formula: {}", self.formula);
        o
    }
}

/// What `bound_by` means, for people.
pub fn binding_label(bound_by: &str) -> &'static str {
    match bound_by {
        "glassix" => "the Glassix quota of the slowest department key",
        "tool" => "round trips and the tool's own CPU (no rate limit binds)",
        "faults" => "the retries' waits (the faults discovery met, carried into `migrate`)",
        _ => "Intercom's rate limit",
    }
}

/// The phases and the per-department Glassix load, as Markdown.
fn phases_markdown(o: &mut String, p: &Phases) {
    let _ = writeln!(
        o,
        "Phases: discovery {} (measured {}), serial steps {}, tickets phase {} at Intercom's rate{}, \
         at least {} for the longest ticket (its requests in order on one token, started first); \
         the Glassix path (slowest department, whole job) {}.\n",
        human_duration(p.discover_seconds),
        p.discover_measured_seconds
            .map_or("-".to_owned(), |s| format!("{s:.1} s")),
        human_duration(p.serial_seconds),
        human_duration(p.tickets_intercom_seconds),
        p.tickets_tool_seconds.map_or(String::new(), |s| format!(
            ", {} at the measured {:.2} ms per request",
            human_duration(s),
            p.seconds_per_request.unwrap_or(0.0) * 1000.0
        )),
        human_duration(p.longest_chain_seconds),
        human_duration(p.glassix_seconds)
    );
    if p.retry_share > 0.0 {
        let _ = writeln!(
            o,
            "Faults carried from discovery: {:.1} % of its requests were sent again, assumed \
             for `migrate` on both services; {}.\n",
            p.retry_share * 100.0,
            p.faulty_read_path_seconds.map_or(
                "no key's read path met them".to_owned(),
                |s| format!(
                    "the slowest key's read path under them {}",
                    human_duration(s)
                )
            )
        );
    }
    if let Some(n) = &p.migrate_now {
        let _ = writeln!(
            o,
            "If `migrate` starts now ({}): **{}** (the Glassix keys continue the minute and hour \
             the previous commands used: {} of quota wait); on a fresh quota period: {}.\n",
            n.at,
            human_duration(n.seconds),
            human_duration(n.glassix_seconds),
            human_duration(n.fresh_seconds)
        );
    }
    let _ = writeln!(
        o,
        "| Department | Discovery calls | Migrate calls | Glassix time |\n|---|---:|---:|---:|"
    );
    for d in &p.departments {
        let _ = writeln!(
            o,
            "| `{}` | {} | {} | {} |",
            d.department,
            d.discover_calls,
            d.migrate_calls,
            human_duration(d.seconds)
        );
    }
    o.push('\n');
}
