//! What discovery saw of each department key's load: the Glassix requests it made itself, and
//! the ones `migrate` will make, counted from what it listed and read. The plan paces each
//! department under its own quota from these counts (see [`crate::plan::Workload`]).

use serde::{Deserialize, Serialize};

use crate::plan::{DepartmentLoad, GlassixCalls};

/// One department key as discovery saw it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DepartmentScan {
    /// Department id (its API key).
    pub department_id: String,
    /// Listing pages received, empty windows included (`glassix_client::ListingStats::pages`):
    /// `migrate` walks the same windows.
    pub list_pages: u64,
    /// Tickets listed (each read whole once).
    pub tickets: u64,
    /// Customers first seen in this department's tickets that have a Glassix contact record
    /// (`contacts/get` once each in `migrate`).
    pub contacts_with_record: u64,
    /// Attachments over this department's tickets (one download each in `migrate`).
    pub attachments: u64,
    /// Requests discovery sent on this key (`PaceStats::requests`: preflight, users, canned
    /// replies, tags, listing pages, ticket reads; retries included), tokens excluded.
    pub discovery_requests: u64,
    /// Tokens discovery asked for this key.
    pub discovery_tokens: u64,
    /// Seconds discovery's requests on this key waited for the client's pacer (summed over
    /// the concurrent readers): 0 when the quota never held discovery back.
    pub discovery_waited_seconds: f64,
    /// Wall seconds of this department's scan (its listing and reads, from its first request
    /// to its last ticket read; 0 in a discovery made before it was measured).
    #[serde(default)]
    pub discovery_seconds: f64,
    /// Calls on this key sent again during discovery (after a 429, a server or a transport
    /// error): the faults the key's read path met.
    #[serde(default)]
    pub discovery_retries: u64,
    /// 429 answers discovery met on this key (each paused the key: a throttle other than the
    /// quota the pacer keeps, such as another integration or a burst limit).
    #[serde(default)]
    pub discovery_rate_limited: u64,
}

/// Requests `migrate` makes on a department key besides the per-record ones: one user listing
/// (preflight), two tag listings (the access check `Department::check_access` of the CLI's
/// preflight, and the tags step) and one token; the canned replies are listed once more when
/// they become articles (see [`DepartmentScan::migrate_calls`]). Counted from the code and
/// checked against the sandbox's counters (`docs/performance.md`).
pub const MIGRATE_FIXED_PER_DEPARTMENT: GlassixCalls = GlassixCalls {
    list_pages: 0,
    ticket_reads: 0,
    contact_reads: 0,
    attachment_downloads: 0,
    users: 1,
    tags: 2,
    canned_replies: 0,
    tokens: 1,
};

impl DepartmentScan {
    /// The Glassix requests `migrate` will make on this key for the tickets discovery saw;
    /// `canned_as_articles`: the spec turns canned replies into articles (one more listing).
    pub fn migrate_calls(&self, canned_as_articles: bool) -> GlassixCalls {
        GlassixCalls {
            list_pages: self.list_pages,
            ticket_reads: self.tickets,
            contact_reads: self.contacts_with_record,
            attachment_downloads: self.attachments,
            canned_replies: u64::from(canned_as_articles),
            ..MIGRATE_FIXED_PER_DEPARTMENT
        }
    }

    /// This department's load for the plan: discovery's own requests and `migrate`'s.
    pub fn load(&self, canned_as_articles: bool) -> DepartmentLoad {
        DepartmentLoad {
            department: self.department_id.clone(),
            discover_calls: self.discovery_requests,
            migrate: self.migrate_calls(canned_as_articles),
            discover_seconds: (self.discovery_seconds > 0.0).then_some(self.discovery_seconds),
            discover_retries: self.discovery_retries,
            discover_rate_limited: self.discovery_rate_limited,
        }
    }
}

/// How long discovery took and what it sent: the plan's measured per-request cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiscoveryCost {
    /// Wall seconds of the library's discovery (listing, reads, matching, schema reads).
    pub seconds: f64,
    /// Wall seconds of the departments' scan alone (listings and ticket reads, side by side).
    pub scan_seconds: f64,
    /// Glassix requests of the scan, tokens included, over every department.
    pub scan_requests: u64,
    /// Intercom reads of discovery (admins, teams, attribute and ticket-type listings).
    pub intercom_requests: u64,
    /// Requests in flight at once during the scan (departments × reads per department).
    pub scan_concurrency: u64,
    /// Calls of discovery sent again (both services; after a 429, a server or a transport
    /// error).
    #[serde(default)]
    pub retries: u64,
    /// Seconds those calls waited before they were sent again, added up.
    #[serde(default)]
    pub retry_wait_seconds: f64,
}

/// Share of discovery's requests sent again above which its scan is taken to measure the
/// faults' waits rather than the tool's cost per request: each retry waits 0.5–3 s, so a few in
/// a long scan barely move its wall time, while more than one in a hundred (the bench's fault
/// profile sends one in twenty again) decide it. A judgement, not a calibration.
pub const COST_MEASURABLE_RETRY_SHARE: f64 = 0.01;

impl DiscoveryCost {
    /// Share of discovery's requests (both services) sent again; 0 when it sent none.
    pub fn retry_share(&self) -> f64 {
        crate::plan::share_of(self.retries, self.scan_requests + self.intercom_requests)
    }

    /// Wall seconds per request during the scan, when the scan was bound by round trips and
    /// the tool's own work (no pacer wait on any key, at most
    /// [`COST_MEASURABLE_RETRY_SHARE`] of its requests sent again); `None` when a quota or the
    /// faults' waits held it back or nothing was read (then the figure would measure them,
    /// not the tool).
    pub fn seconds_per_request(&self, departments: &[DepartmentScan]) -> Option<f64> {
        let waited = departments.iter().any(|d| d.discovery_waited_seconds > 0.0);
        let faulty = self.retry_share() > COST_MEASURABLE_RETRY_SHARE;
        (!waited && !faulty && self.scan_requests > 0 && self.scan_seconds > 0.0)
            .then(|| self.scan_seconds / self.scan_requests as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(waited: f64) -> DepartmentScan {
        DepartmentScan {
            department_id: "d".into(),
            list_pages: 91,
            tickets: 10,
            contacts_with_record: 6,
            attachments: 13,
            discovery_requests: 104,
            discovery_tokens: 1,
            discovery_waited_seconds: waited,
            discovery_seconds: 0.3,
            discovery_retries: 0,
            discovery_rate_limited: 0,
        }
    }

    #[test]
    fn migrate_calls_are_what_discovery_listed_and_read_plus_the_fixed_ones() {
        let calls = scan(0.0).migrate_calls(false);
        assert_eq!(calls.tickets_phase(), 91 + 10 + 6 + 13);
        assert_eq!(calls.total(), 120 + 1 + 2 + 1);
        assert_eq!(
            scan(0.0).migrate_calls(true).total(),
            125,
            "one canned listing"
        );
        let load = scan(0.0).load(false);
        assert_eq!((load.discover_calls, load.migrate.total()), (104, 124));
        // Downloads and tokens are outside the key's quota.
        assert_eq!(load.migrate.quota_paced(), 124 - 13 - 1);
        assert_eq!(load.migrate.tickets_phase_paced(), 91 + 10 + 6);
    }

    #[test]
    fn the_per_request_cost_is_measured_only_when_no_quota_held_discovery_back() {
        let cost = DiscoveryCost {
            seconds: 0.5,
            scan_seconds: 0.4,
            scan_requests: 200,
            intercom_requests: 5,
            scan_concurrency: 12,
            retries: 0,
            retry_wait_seconds: 0.0,
        };
        assert_eq!(cost.seconds_per_request(&[scan(0.0)]), Some(0.002));
        assert_eq!(cost.seconds_per_request(&[scan(0.0), scan(1.5)]), None);
        let nothing = DiscoveryCost::default();
        assert_eq!(nothing.seconds_per_request(&[scan(0.0)]), None);
        // Two retries in 200 requests barely move the scan; three (1.5 %) measure the faults.
        let few = DiscoveryCost {
            retries: 2,
            retry_wait_seconds: 5.0,
            ..cost.clone()
        };
        assert_eq!(few.seconds_per_request(&[scan(0.0)]), Some(0.002));
        let faulty = DiscoveryCost { retries: 3, ..few };
        assert_eq!(faulty.seconds_per_request(&[scan(0.0)]), None);
        let load = scan(0.0).load(false);
        assert_eq!(
            (load.discover_seconds, load.discover_retries),
            (Some(0.3), 0)
        );
    }
}
