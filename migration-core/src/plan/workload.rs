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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DepartmentLoad {
    /// Department id.
    pub department: String,
    /// Requests discovery made on the key's quota (they fill the same minute and hour buckets
    /// as `migrate`'s).
    pub discover_calls: u64,
    /// Requests `migrate` will make on the key.
    pub migrate: GlassixCalls,
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
    /// held the scan back).
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
}

impl Workload {
    /// Glassix requests discovery made, over every department.
    pub fn discover_glassix_calls(&self) -> u64 {
        self.departments.iter().map(|d| d.discover_calls).sum()
    }

    /// Glassix requests `migrate` will make, over every department.
    pub fn migrate_glassix_calls(&self) -> u64 {
        self.departments.iter().map(|d| d.migrate.total()).sum()
    }
}
