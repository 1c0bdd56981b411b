//! One row per scenario, the derived ratios, and the printed table.

use serde::Serialize;

use super::scenario::Scenario;

/// The raw figures of one scenario run.
#[derive(Clone, Debug)]
pub struct Measured {
    /// The scenario.
    pub scenario: Scenario,
    /// Glassix tickets in the workspace.
    pub tickets: usize,
    /// Intercom tickets and conversations after the run.
    pub migrated: usize,
    /// Parts of those tickets and conversations.
    pub parts: usize,
    /// Intercom requests during `migrate` (every status).
    pub intercom_calls: u64,
    /// Of those, writes (not `GET`, not search).
    pub intercom_writes: u64,
    /// Glassix requests during `migrate`.
    pub glassix_calls: u64,
    /// 429 answers during `migrate`, both sides.
    pub status_429: u64,
    /// Wall time of `discover`.
    pub discover_secs: f64,
    /// Wall time of `migrate`.
    pub migrate_secs: f64,
    /// The plan's `totals.estimated_seconds`.
    pub estimate_secs: f64,
    /// The plan's `totals.bound_by`.
    pub bound_by: String,
    /// The plan's range, low and high seconds.
    pub range_secs: (f64, f64),
    /// Glassix requests the plan counted for `migrate`.
    pub glassix_planned: u64,
    /// The plan's `phases.migrate_now.seconds`: `migrate` alone if started when the plan was
    /// made (the harness starts it right after); `None` when the plan did not give it.
    pub migrate_estimate_secs: Option<f64>,
    /// CPU seconds of every CLI process of the scenario; `None` without `/proc`.
    pub cli_cpu_secs: Option<f64>,
    /// Requests both fakes answered over the whole scenario (discovery included).
    pub all_requests: u64,
    /// Largest peak RSS of the CLI's processes, KiB.
    pub peak_rss_kib: u64,
    /// Exit code of `migrate`.
    pub migrate_exit: Option<i32>,
}

/// A table row: the figures and the ratios derived from them.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Glassix tickets.
    pub tickets: usize,
    /// Intercom tickets/conversations made.
    pub migrated: usize,
    /// Parts made.
    pub parts: usize,
    /// Intercom calls of `migrate`.
    pub intercom_calls: u64,
    /// Intercom writes of `migrate`.
    pub intercom_writes: u64,
    /// Glassix calls of `migrate`.
    pub glassix_calls: u64,
    /// Glassix calls the plan counted for `migrate`.
    pub glassix_planned: u64,
    /// Intercom calls per part.
    pub calls_per_part: f64,
    /// Intercom calls per Glassix ticket.
    pub calls_per_ticket: f64,
    /// 429s.
    pub status_429: u64,
    /// `discover` wall seconds.
    pub discover_secs: f64,
    /// `migrate` wall seconds.
    pub migrate_secs: f64,
    /// `migrate` wall ÷ (Intercom calls ÷ limit per second); `None` when Intercom is unthrottled.
    pub budget_ratio: Option<f64>,
    /// The plan's estimate, seconds.
    pub estimate_secs: f64,
    /// Estimate ÷ (discover + migrate wall).
    pub estimate_ratio: f64,
    /// The plan's `migrate` estimate if started now ÷ `migrate` wall.
    pub migrate_estimate_ratio: Option<f64>,
    /// The plan's binding constraint.
    pub bound_by: String,
    /// The plan's range (low, high seconds).
    pub range_secs: (f64, f64),
    /// Whether discover + migrate wall fell inside the range.
    pub in_range: bool,
    /// Intercom writes per second of `migrate`.
    pub writes_per_sec: f64,
    /// CLI CPU milliseconds per request (both APIs, whole scenario).
    pub cli_cpu_ms_per_request: Option<f64>,
    /// Peak RSS of the CLI, MiB.
    pub peak_rss_mib: f64,
    /// Exit code of `migrate`.
    pub migrate_exit: Option<i32>,
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

impl Row {
    /// Derives the ratios.
    pub fn new(m: Measured) -> Row {
        let calls = m.intercom_calls as f64;
        let budget_ratio = m
            .scenario
            .intercom_bound()
            .then(|| ratio(m.migrate_secs, calls / m.scenario.intercom_per_second()));
        Row {
            scenario: m.scenario.name.to_owned(),
            tickets: m.tickets,
            migrated: m.migrated,
            parts: m.parts,
            intercom_calls: m.intercom_calls,
            intercom_writes: m.intercom_writes,
            glassix_calls: m.glassix_calls,
            glassix_planned: m.glassix_planned,
            calls_per_part: ratio(calls, m.parts as f64),
            calls_per_ticket: ratio(calls, m.tickets as f64),
            status_429: m.status_429,
            discover_secs: m.discover_secs,
            migrate_secs: m.migrate_secs,
            budget_ratio,
            estimate_secs: m.estimate_secs,
            estimate_ratio: ratio(m.estimate_secs, m.discover_secs + m.migrate_secs),
            migrate_estimate_ratio: m.migrate_estimate_secs.map(|e| ratio(e, m.migrate_secs)),
            bound_by: m.bound_by,
            range_secs: m.range_secs,
            in_range: (m.range_secs.0..=m.range_secs.1)
                .contains(&(m.discover_secs + m.migrate_secs)),
            writes_per_sec: ratio(m.intercom_writes as f64, m.migrate_secs),
            cli_cpu_ms_per_request: m
                .cli_cpu_secs
                .map(|s| ratio(s * 1000.0, m.all_requests as f64)),
            peak_rss_mib: m.peak_rss_kib as f64 / 1024.0,
            migrate_exit: m.migrate_exit,
        }
    }
}

/// The column headers, in order.
pub const HEADERS: [&str; 21] = [
    "scenario",
    "tickets",
    "parts",
    "ic calls",
    "calls/part",
    "calls/ticket",
    "gx calls",
    "gx planned",
    "429s",
    "discover s",
    "migrate s",
    "budget ratio",
    "estimate s",
    "est/actual",
    "mig est/actual",
    "range s",
    "bound by",
    "writes/s",
    "cli ms/req",
    "peak RSS MiB",
    "exit",
];

/// The cells of `row`, in [`HEADERS`] order.
pub fn cells(row: &Row) -> Vec<String> {
    let opt = |v: Option<f64>, digits: usize| v.map_or("-".to_owned(), |v| format!("{v:.digits$}"));
    vec![
        row.scenario.clone(),
        row.tickets.to_string(),
        row.parts.to_string(),
        row.intercom_calls.to_string(),
        format!("{:.2}", row.calls_per_part),
        format!("{:.2}", row.calls_per_ticket),
        row.glassix_calls.to_string(),
        row.glassix_planned.to_string(),
        row.status_429.to_string(),
        format!("{:.2}", row.discover_secs),
        format!("{:.2}", row.migrate_secs),
        opt(row.budget_ratio, 3),
        format!("{:.2}", row.estimate_secs),
        format!("{:.2}", row.estimate_ratio),
        opt(row.migrate_estimate_ratio, 2),
        format!(
            "{:.1}–{:.1}{}",
            row.range_secs.0,
            row.range_secs.1,
            if row.in_range { "" } else { " (out)" }
        ),
        row.bound_by.clone(),
        format!("{:.0}", row.writes_per_sec),
        opt(row.cli_cpu_ms_per_request, 3),
        format!("{:.1}", row.peak_rss_mib),
        row.migrate_exit
            .map_or("signal".to_owned(), |c| c.to_string()),
    ]
}

/// The rows as one Markdown table.
pub fn render_table(rows: &[Row]) -> String {
    let mut out = format!("| {} |\n", HEADERS.join(" | "));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADERS.len())));
    for row in rows {
        out.push_str(&format!("| {} |\n", cells(row).join(" | ")));
    }
    out
}
