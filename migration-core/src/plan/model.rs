//! The phase model of the estimate, used when the plan carries a [`Workload`] (a plan built from
//! a discovery):
//!
//! - **discover**: its Intercom reads at the Intercom rate, or its requests at the measured
//!   per-request cost, whichever is longer (its Glassix reads count in the Glassix path below);
//! - **serial steps** (preflight, schema, tags, then collections and articles): one after
//!   another, each `max(its Intercom seconds, its requests × per-request cost)`;
//! - **tickets phase** (contacts and tickets): Intercom writes and Glassix reads overlap, so it
//!   takes `max(its Intercom seconds, its requests × per-request cost, the longest chain)`; a
//!   `migrate` request costs [`WRITE_COST_FACTOR`] × discovery's measured one; the longest
//!   chain is the longest ticket's requests one after another from the phase's start (it is
//!   started first): at one token's rate, or at [`CHAIN_LATENCY_FACTOR`] × the measured cost
//!   each;
//! - **Glassix path**: each department key is paced under its own quota, side by side, over the
//!   whole job: `max over departments of pace_s(discover + migrate requests on the key's
//!   quota)` (not the attachment downloads nor the tokens, which the quota does not count), and
//!   never less than `discover + serial + pace_s(the department's tickets-phase requests)`,
//!   where `pace_s` is the client's own sliding-log arithmetic ([`super::start`]): `migrate`
//!   continues the usage discovery left on each key, so the job is paced as one.
//!
//! - **faults** discovery met (a share of its requests sent again, [`Workload::retry_share`]):
//!   carried into `migrate` on the paths whose requests go in series — each serial request
//!   and each request of the longest chain waits the share × one retry's wait, and each key
//!   that met faults reads at least at discovery's measured seconds per request on it (its
//!   listing waits in series); see `FaultCost`.
//!
//! `estimate = max(discover + serial + tickets phase, Glassix path)`; and, when the plan knows
//! the keys' recent usage, `migrate` alone if started now ([`super::MigrateNow`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::start::{self, MigrateNow};
use super::{Plan, RateLimits, StepId, Workload};
use crate::error::Result;

/// Low end of the per-request cost against the measured one (assumption: on a machine shared
/// with other work the tool's cost per request varied by about that much between runs).
pub const TOOL_SPREAD_LOW: f64 = 0.75;
/// High end of the per-request cost against the measured one (same assumption).
pub const TOOL_SPREAD_HIGH: f64 = 1.5;
/// What a `migrate` request costs the tool (and the fake APIs it is measured against) against
/// one of discovery's reads (a ledger transaction, hashing and a write on the other side,
/// against decoding a whole ticket).
/// Calibrated, not derived, and per build profile, because the two workloads do not speed up
/// alike when optimised (SQLite and the JSON codecs dominate one, the sandbox's answers the
/// other):
/// - **release** (what users run): 0.80. Measured as the factor that would have made each
///   `migrate` estimate exact (0.93 ÷ the row's `mig est/actual`) in the bench's unthrottled
///   rows on 2 shared cores, over 9 runs of `a2ad51a` (2026-12-07, "Ninth pass"):
///   `unthrottled-1k` × 6: 0.71–1.03, median 0.90; `unthrottled-10k` × 3: 0.71–0.91, median
///   0.76. 0.80 puts 7 of those 9 runs within 0.85–1.15 (0.86, the median of all nine, puts 4).
///   It was 0.93 when measured on `55e5955` (9 runs, 0.83–1.06); `migrate`'s hot path has
///   since lost about 10 % of its instructions (`docs/performance.md`, eighth and ninth
///   passes);
/// - **debug** (tests): 0.85–1.32 over nine runs, median 1.21, so 1.2.
///
/// (`docs/performance.md`: "Ninth pass" for release, "The estimate" for debug; the
/// `unthrottled-1k --quick` rows are bound by the longest ticket's chain, see
/// [`CHAIN_LATENCY_FACTOR`].) A change to the hot path changes it: measure it again with
/// `bench --repeat`. A release profile built with `debug-assertions = true` gets the debug
/// figure.
pub const WRITE_COST_FACTOR: f64 = if cfg!(debug_assertions) { 1.2 } else { 0.80 };
/// How much longer each request of the longest ticket's chain takes than discovery's measured
/// cost per request: the chain's requests go one after another, so each costs its whole round
/// trip (the fake's answer, the ledger's commit, the tool's turn), not a share of the tool's
/// throughput. Calibrated, not derived: with the longest ticket started first, the bench's
/// `unthrottled-1k --quick` runs end with its chain (debug build, 2 shared cores, load 2–3),
/// whose ms per part ÷ discovery's ms per request was 4.7–8.9 over six runs, median 7.2
/// (`docs/performance.md`, "The estimate"). Not measured on release builds, where the chain
/// did not bind the full-size rows (the throughput did).
pub const CHAIN_LATENCY_FACTOR: f64 = 7.0;
/// Share of requests assumed to be retried once (5xx, 429, lost response) at the high end:
/// an assumption, not a measurement; a workspace with more faults than that runs longer.
pub const ASSUMED_RETRY_SHARE: f64 = 0.01;
/// Seconds one retry is assumed to hold its lane (the clients' first backoff is 0.5 s for
/// Intercom and 3 s for Glassix; a 429 without `Retry-After` waits for the window's reset).
pub const ASSUMED_RETRY_WAIT_SECONDS: f64 = 2.0;

/// What the faults discovery met add to `migrate`, per request on a path whose requests go
/// one after another: discovery's measured share of requests sent again × the wait of one
/// retry. The rate is assumed to hold for the whole job and for both services: discovery
/// makes a handful of Intercom requests, too few to measure Intercom's own (a flaky network
/// or service is flaky for every command; a workspace that only fails later is not foreseen).
#[derive(Debug, Clone, Copy)]
struct FaultCost {
    /// Seconds per Intercom request: the share × the Intercom client's first backoff.
    intercom: f64,
    /// Seconds per Glassix request: the share × discovery's mean wait per retry.
    glassix: f64,
    /// Seconds per Intercom request that its whole token is held: the 429 share × the
    /// client's first 429 wait. A 429 that says nothing of the window holds every caller of
    /// the token (`intercom_client`'s pacer), so these add up over the tickets phase.
    intercom_hold: f64,
}

impl FaultCost {
    fn of(w: &Workload) -> Self {
        let share = w.retry_share();
        let policy = intercom_client::RetryPolicy::default();
        let intercom_wait = policy.backoff(1).as_secs_f64();
        let hold = policy.rate_limit_backoff(1).as_secs_f64();
        FaultCost {
            intercom: share * intercom_wait,
            glassix: share * w.retry_wait_seconds().unwrap_or(0.0),
            intercom_hold: w.rate_limited_share() * hold,
        }
    }
}

/// How long each phase takes, and which one binds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Phases {
    /// Discovery: `max(its Intercom reads / rate, its requests × per-request cost)`.
    pub discover_seconds: f64,
    /// Discovery as measured when it ran (not part of the estimate; shown beside it).
    pub discover_measured_seconds: Option<f64>,
    /// The steps that run alone, one after another (preflight, schema, tags, collections,
    /// articles).
    pub serial_seconds: f64,
    /// The tickets phase's Intercom requests at the Intercom rate (every token).
    pub tickets_intercom_seconds: f64,
    /// The longest ticket's requests, one after another on one token: at that token's rate,
    /// or at the measured cost per request if longer, plus the waits of the faults discovery
    /// met ([`Phases::retry_share`] × the Intercom client's first backoff per request). A
    /// floor under the tickets phase.
    #[serde(default)]
    pub longest_chain_seconds: f64,
    /// The tickets phase's requests (both sides) at the measured per-request cost ×
    /// [`WRITE_COST_FACTOR`]; `None` when the cost was not measured.
    pub tickets_tool_seconds: Option<f64>,
    /// Per department: its requests over the job and the seconds its quota needs for them.
    pub departments: Vec<DepartmentEstimate>,
    /// The Glassix path: the slowest department.
    pub glassix_seconds: f64,
    /// Per-request cost used (seconds), if measured.
    pub seconds_per_request: Option<f64>,
    /// Share of discovery's requests sent again (429s, server and transport errors): the
    /// fault rate carried into `migrate` (0 when discovery met none).
    #[serde(default)]
    pub retry_share: f64,
    /// The slowest department's read path under the faults discovery met on its key
    /// ([`super::DepartmentLoad::faulty_read_path_seconds`]): a floor under the tickets
    /// phase; `None` when no key met a fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faulty_read_path_seconds: Option<f64>,
    /// `migrate` alone if started when the plan was made (the Glassix keys continuing the
    /// minute and hour the previous commands used), and on a fresh quota period; present when
    /// the plan knows the keys' recent usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrate_now: Option<MigrateNow>,
}

/// One department key's share of the Glassix path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DepartmentEstimate {
    /// Department id.
    pub department: String,
    /// Requests discovery made on the key's quota.
    pub discover_calls: u64,
    /// Requests `migrate` will make on the key, attachment downloads and tokens included.
    pub migrate_calls: u64,
    /// Seconds its quota needs for all of them (downloads and tokens excluded) ([`RateLimits::glassix_bucket_seconds`] half-way
    /// into the first bucket), or for discovery, the serial steps and its tickets-phase
    /// requests if that is longer.
    pub seconds: f64,
}

/// The estimate's range and what drives each end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Range {
    /// Shortest plausible duration.
    pub low_seconds: f64,
    /// What makes it the shortest.
    pub low: String,
    /// Longest plausible duration.
    pub high_seconds: f64,
    /// What makes it the longest.
    pub high: String,
}

/// The model's three answers: the point estimate, what binds it, the range.
pub(super) struct Modelled {
    pub(super) phases: Phases,
    pub(super) estimate: f64,
    pub(super) bound_by: &'static str,
    pub(super) range: Range,
}

/// Whether the step runs in the overlapped tickets phase.
fn in_tickets_phase(id: &str) -> bool {
    id == StepId::Tickets.as_str() || id == StepId::Contacts.as_str()
}

/// The phases, estimate and range of `plan` under `limits` with `w`.
pub(super) fn model(plan: &Plan, limits: &RateLimits, w: &Workload) -> Result<Modelled> {
    let ri = limits.intercom_rate()?;
    let ri_token = limits.intercom_token_rate()?;
    // The whole budget: no per-token safety margin (the workspace share is spaced exactly).
    let whole = RateLimits {
        intercom_utilisation: 1.0,
        ..limits.clone()
    };
    let (ri_full, ri_token_full) = (whole.intercom_rate()?, whole.intercom_token_rate()?);
    let cost = w.seconds_per_request;
    let tool = |requests: f64, factor: f64| cost.map(|c| c * factor * requests);
    let phase = |ic_calls: f64, requests: f64, rate: f64, factor: f64| {
        (ic_calls / rate).max(tool(requests, factor).unwrap_or(0.0))
    };
    // Glassix requests of the serial steps (users, tags, canned replies, tokens) and of the
    // tickets phase, over every department: the per-request cost applies to both sides.
    let serial_gx: u64 = w
        .departments
        .iter()
        .map(|d| d.migrate.total() - d.migrate.tickets_phase())
        .sum();
    let tickets_gx: u64 = w
        .departments
        .iter()
        .map(|d| d.migrate.tickets_phase())
        .sum();
    let (mut serial_ic, mut tickets_ic) = (0.0, 0.0);
    for s in plan.steps() {
        if in_tickets_phase(&s.id) {
            tickets_ic += s.intercom_calls();
        } else {
            serial_ic += s.intercom_calls();
        }
    }
    let discover_ic = w.discover_intercom_calls as f64;
    let discover_requests = discover_ic + w.discover_glassix_calls() as f64;
    // The faults discovery met, carried into `migrate` on the paths whose requests go in
    // series: the serial steps (one request after another; each department's own Glassix
    // requests side by side), the longest ticket's chain, and each faulty department's read
    // path as discovery measured it.
    let faults = FaultCost::of(w);
    let serial_faults = serial_ic * faults.intercom
        + serial_gx as f64 / w.departments.len().max(1) as f64 * faults.glassix;
    let read_path = w
        .departments
        .iter()
        .filter_map(|d| d.faulty_read_path_seconds())
        .reduce(f64::max);
    // Discovery itself: when the faults' waits held its scan back (no cost measured), the
    // model cannot rebuild it from a cost; what it measured is its duration. (A quota's hold
    // is the Glassix path's to count.)
    let faults_held_discovery = w.retry_share() > crate::discover::COST_MEASURABLE_RETRY_SHARE;
    let discover_floor = match (cost, w.discover_measured_seconds) {
        (None, Some(measured)) if faults_held_discovery => measured,
        _ => 0.0,
    };
    // Each part at a given rate, per-request factor and faults' factor (0: as if discovery
    // had met none): (discover, serial, tickets).
    let parts = |rate: f64, factor: f64, faulty: f64| {
        let writes = factor * WRITE_COST_FACTOR;
        (
            phase(discover_ic, discover_requests, rate, factor).max(discover_floor),
            phase(serial_ic, serial_ic + serial_gx as f64, rate, writes) + faulty * serial_faults,
            phase(tickets_ic, tickets_ic + tickets_gx as f64, rate, writes)
                .max(faulty * read_path.unwrap_or(0.0)),
        )
    };
    // The longest ticket's requests go in order on one token, and `migrate` starts that
    // ticket first (`Discovery::first_tickets`), its token keeping new tickets away: a floor
    // under the tickets phase, at one token's rate and at one request's round trip each
    // (`CHAIN_LATENCY_FACTOR` × the measured cost: one after another, they do not share the
    // tool's throughput).
    let chain = w.longest_chain_requests as f64;
    let chain_floor = |token_rate: f64, factor: f64, faulty: f64| {
        (chain / token_rate).max(tool(chain, factor * CHAIN_LATENCY_FACTOR).unwrap_or(0.0))
            + faulty * chain * faults.intercom
    };
    // The 429s' holds: each stops every caller of its token, so they add to the phase
    // (spread over the tokens, which are held one at a time).
    let tokens = f64::from(limits.intercom_tokens.max(1));
    let holds = tickets_ic * faults.intercom_hold / tokens;
    // The faults' terms take the range's factor too (`with_faults`): their waits are the
    // retry policy's, but how many land on a path in series varies between runs as much as
    // the tool's cost does.
    let parts = |rate: f64, token_rate: f64, factor: f64, with_faults: bool| {
        let faulty = if with_faults { factor } else { 0.0 };
        let (d, s, t) = parts(rate, factor, faulty);
        (
            d,
            s,
            t.max(chain_floor(token_rate, factor, faulty)) + faulty * holds,
        )
    };
    let (discover, serial, tickets) = parts(ri, ri_token, 1.0, true);
    let before_tickets = discover + serial;
    // The Glassix path, per department, with the client's pacing (a minute's quota at once,
    // the next a minute after the first of them) and discovery's requests continued by
    // `migrate` (the commands carry each key's usage): the key's quota scaled by `pace`
    // (1 = configured); `apart`: discovery and `migrate` on separate quota periods.
    let glassix_path = |pace: f64, apart: bool, before: f64| -> Vec<DepartmentEstimate> {
        let secs = |calls: u64| start::key_seconds(limits, pace, &[], calls, 0);
        w.departments
            .iter()
            .map(|d| {
                let migrate = d.migrate.quota_paced();
                let job = if apart {
                    secs(d.discover_calls) + secs(migrate)
                } else {
                    secs(d.discover_calls + migrate)
                };
                DepartmentEstimate {
                    department: d.department.clone(),
                    discover_calls: d.discover_calls,
                    migrate_calls: d.migrate.total(),
                    seconds: job.max(before + secs(d.migrate.tickets_phase_paced())),
                }
            })
            .collect()
    };
    let departments = glassix_path(1.0, false, before_tickets);
    let slowest = |ds: &[DepartmentEstimate]| ds.iter().map(|d| d.seconds).fold(0.0, f64::max);
    let glassix = slowest(&departments);
    let intercom_path = before_tickets + tickets;
    let estimate = intercom_path.max(glassix);
    let tickets_tool = tool(tickets_ic + tickets_gx as f64, WRITE_COST_FACTOR);
    let tool_binds = tickets_tool.is_some_and(|t| t > tickets_ic / ri);
    // The faults bind when the phase would be shorter without them.
    let faults_bind = w.met_faults() && {
        let (_, _, calm) = parts(ri, ri_token, 1.0, false);
        tickets > calm * 1.05
    };
    let bound_by = if glassix > intercom_path {
        "glassix"
    } else if faults_bind {
        "faults"
    } else if tool_binds {
        "tool"
    } else {
        "intercom"
    };
    // Low end: Intercom at 100 % of its budget, each Glassix key sending a minute's quota at
    // once (the client's sliding log allows it), the tool at its cheapest.
    let (d_lo, s_lo, t_lo) = parts(ri_full, ri_token_full, TOOL_SPREAD_LOW, true);
    let low_path = d_lo + s_lo + t_lo;
    let low_gx = slowest(&glassix_path(1.0, true, d_lo + s_lo));
    // High end: a 429 met on a key (another integration using it) lowers its pace by the
    // client's decrease factor for the rest of the run; the tool at its dearest; the assumed
    // retries.
    let decrease = glassix_client::Adaptation::default().decrease;
    let (d_hi, s_hi, t_hi) = parts(ri, ri_token, TOOL_SPREAD_HIGH, true);
    let total_requests =
        discover_requests + serial_ic + serial_gx as f64 + tickets_ic + tickets_gx as f64;
    // The assumed retries, only where discovery measured none (measured faults are in the
    // paths already, at 1.5 × at this end: where they land varies from run to run, and with
    // it what they cost: identical fault runs took 25.6–33.6 s).
    let retries = if w.met_faults() {
        0.0
    } else {
        ASSUMED_RETRY_SHARE * total_requests * ASSUMED_RETRY_WAIT_SECONDS
            / w.migrate_concurrency.max(1) as f64
    };
    let high_path = d_hi + s_hi + t_hi + retries;
    let high_gx = slowest(&glassix_path(decrease, false, d_hi + s_hi));
    let range = Range {
        low_seconds: low_path.max(low_gx).min(estimate),
        low: if low_gx > low_path {
            "`migrate` starts on a fresh Glassix quota period (more than a minute after \
             discovery's last request), so discovery's requests do not count against it"
                .to_owned()
        } else if faults_bind {
            format!(
                "the faults' waits {:.0} % below those measured in discovery (fewer of them \
                 land on the requests that go in series)",
                (1.0 - TOOL_SPREAD_LOW) * 100.0
            )
        } else if tool_binds {
            format!(
                "the tool's per-request cost {:.0} % below the one measured in discovery",
                (1.0 - TOOL_SPREAD_LOW) * 100.0
            )
        } else {
            "Intercom's whole budget used (no safety margin)".to_owned()
        },
        high_seconds: high_path.max(high_gx).max(estimate),
        high: if high_gx > high_path {
            format!(
                "a 429 on a Glassix key (another integration using it) lowers its pace to \
                 {:.0} % for the rest of the run",
                decrease * 100.0
            )
        } else if w.met_faults() {
            format!(
                "the tool's per-request cost and the faults' waits {:.0} % above those \
                 measured in discovery ({:.1} % of its requests sent again)",
                (TOOL_SPREAD_HIGH - 1.0) * 100.0,
                w.retry_share() * 100.0
            )
        } else {
            format!(
                "the tool's per-request cost {:.0} % above the one measured, and {:.0} % of \
                 requests retried once after {ASSUMED_RETRY_WAIT_SECONDS} s (assumed, not \
                 measured)",
                (TOOL_SPREAD_HIGH - 1.0) * 100.0,
                ASSUMED_RETRY_SHARE * 100.0
            )
        },
    };
    Ok(Modelled {
        phases: Phases {
            discover_seconds: discover,
            discover_measured_seconds: w.discover_measured_seconds,
            serial_seconds: serial,
            tickets_intercom_seconds: tickets_ic / ri,
            longest_chain_seconds: chain_floor(ri_token, 1.0, 1.0),
            tickets_tool_seconds: tickets_tool,
            departments,
            glassix_seconds: glassix,
            seconds_per_request: cost,
            retry_share: w.retry_share(),
            faulty_read_path_seconds: read_path,
            migrate_now: w
                .start
                .as_ref()
                .map(|st| start::migrate_now(limits, w, st, serial + tickets)),
        },
        estimate,
        bound_by,
        range,
    })
}
