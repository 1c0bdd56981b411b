//! What the run asks of each department key and what the estimate measured beyond the rate
//! limits: the inputs of the phase model in [`super::report`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::start::StartState;

/// Glassix requests on one department key, by what they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GlassixCalls {
    /// `tickets/list` pages, empty windows included.
    pub list_pages: u64,
    /// `tickets/get`, one per ticket.
    pub ticket_reads: u64,
    /// `contacts/get`, one per customer with a Glassix contact record.
    pub contact_reads: u64,
    /// Attachment downloads.
    pub attachment_downloads: u64,
    /// User listings.
    pub users: u64,
    /// Tag listings.
    pub tags: u64,
    /// Canned-reply listings.
    pub canned_replies: u64,
    /// Token requests.
    pub tokens: u64,
}

impl GlassixCalls {
    /// Every request.
    pub fn total(&self) -> u64 {
        self.list_pages
            + self.ticket_reads
            + self.contact_reads
            + self.attachment_downloads
            + self.users
            + self.tags
            + self.canned_replies
            + self.tokens
    }

    /// The requests of the tickets phase (listing, ticket, contact and attachment reads); the
    /// rest is sent by the serial steps before it.
    pub fn tickets_phase(&self) -> u64 {
        self.list_pages + self.ticket_reads + self.contact_reads + self.attachment_downloads
    }

    /// The requests the department key's quota counts: every API call but the attachment
    /// downloads (presigned storage links) and the tokens (the token endpoint has its own,
    /// workspace-wide limit).
    pub fn quota_paced(&self) -> u64 {
        self.total() - self.attachment_downloads - self.tokens
    }

    /// [`GlassixCalls::quota_paced`] of the tickets phase.
    pub fn tickets_phase_paced(&self) -> u64 {
        self.tickets_phase() - self.attachment_downloads
    }
}

/// One department key's load: its requests share that key's quota, side by side with the
/// other departments'.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DepartmentLoad {
    /// Department id.
    pub department: String,
    /// Requests discovery made on the key's quota (they fill the same minute and hour buckets
    /// as `migrate`'s).
    pub discover_calls: u64,
    /// Requests `migrate` will make on the key.
    pub migrate: GlassixCalls,
    /// Wall seconds of discovery's scan of the department (listing and reads), when measured.
    #[serde(default)]
    pub discover_seconds: Option<f64>,
    /// Calls on the key discovery sent again (429s, server and transport errors).
    #[serde(default)]
    pub discover_retries: u64,
    /// 429 answers discovery met on the key.
    #[serde(default)]
    pub discover_rate_limited: u64,
}

impl DepartmentLoad {
    /// The department's read path under the faults discovery met on its key: `migrate`'s
    /// tickets-phase requests on the key at discovery's measured seconds per request on it
    /// (listing, reads and the retries' waits, which hold one department's listing in
    /// series). `None` when discovery met no fault on the key (the model's other terms then
    /// cover the key) or its time was not measured.
    pub fn faulty_read_path_seconds(&self) -> Option<f64> {
        let seconds = self.discover_seconds?;
        (self.discover_retries > 0 && self.discover_calls > 0)
            .then(|| seconds * self.migrate.tickets_phase() as f64 / self.discover_calls as f64)
    }
}

/// What the plan knows beyond the step counts: each department's Glassix load, discovery's
/// measured cost, and the allowances of the range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Workload {
    /// Per department key, what discovery made and `migrate` will make.
    pub departments: Vec<DepartmentLoad>,
    /// Intercom requests discovery made.
    pub discover_intercom_calls: u64,
    /// Wall seconds discovery took (measured), when known.
    pub discover_measured_seconds: Option<f64>,
    /// Wall seconds per request when nothing throttles (round trips and the tool's CPU),
    /// measured on discovery's scan; `None` when it could not be measured honestly (a quota
    /// or the faults' waits held the scan back).
    /// ([`crate::discover::DiscoveryCost::seconds_per_request`]).
    pub seconds_per_request: Option<f64>,
    /// Requests in flight during the measurement (discovery's scan).
    pub measured_concurrency: u64,
    /// Requests in flight during `migrate` (the configured concurrency).
    pub migrate_concurrency: u64,
    /// Intercom requests of the longest ticket (create, one per part, the finishing update):
    /// they go one after another on one token, so the tickets phase takes at least their count
    /// at one token's rate, and their count × one request's cost.
    #[serde(default)]
    pub longest_chain_requests: u64,
    /// The Glassix keys' recent usage and the moment `migrate` would start, when known: the
    /// plan then says how long `migrate` takes if started then (see
    /// [`super::Phases::migrate_now`]).
    #[serde(default)]
    pub start: Option<StartState>,
    /// Calls discovery sent again (both services: 429s, server and transport errors).
    #[serde(default)]
    pub discover_retries: u64,
    /// Seconds those calls waited before being sent again, added up.
    #[serde(default)]
    pub discover_retry_wait_seconds: f64,
}

impl Workload {
    /// Glassix requests discovery made, over every department.
    pub fn discover_glassix_calls(&self) -> u64 {
        self.departments.iter().map(|d| d.discover_calls).sum()
    }

    /// Share of discovery's requests (both services) that were sent again: the fault rate the
    /// plan carries into `migrate` (0 when discovery met none). The same figure as
    /// [`crate::discover::DiscoveryCost::retry_share`], from the workload's counts.
    pub fn retry_share(&self) -> f64 {
        share_of(
            self.discover_retries,
            self.discover_glassix_calls() + self.discover_intercom_calls,
        )
    }

    /// Whether discovery met faults (sent any request again): the plan then carries them
    /// into `migrate` instead of assuming a retry share.
    pub fn met_faults(&self) -> bool {
        self.discover_retries > 0
    }

    /// Share of discovery's Glassix requests answered 429 (0 when none was): the burst
    /// throttling the plan assumes Intercom applies too.
    pub fn rate_limited_share(&self) -> f64 {
        let limited = self
            .departments
            .iter()
            .map(|d| d.discover_rate_limited)
            .sum();
        share_of(limited, self.discover_glassix_calls())
    }

    /// Mean seconds one of discovery's retries waited (`None` when there was none).
    pub fn retry_wait_seconds(&self) -> Option<f64> {
        (self.discover_retries > 0)
            .then(|| self.discover_retry_wait_seconds / self.discover_retries as f64)
    }

    /// Glassix requests `migrate` will make, over every department.
    pub fn migrate_glassix_calls(&self) -> u64 {
        self.departments.iter().map(|d| d.migrate.total()).sum()
    }
}

/// `count` ÷ `total`, at most 1; 0 when `total` is 0 (the share of discovery's requests that
/// met something).
pub(crate) fn share_of(count: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (count as f64 / total as f64).min(1.0)
}
