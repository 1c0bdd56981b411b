//! `delta`: the record pipeline from the last completed run's watermarks. Each department's
//! tickets are listed from its watermark minus a safety margin; a ticket whose listing entry
//! shows no new activity is not read; a changed ticket is brought to what its mapping says
//! section by section (see `execute::delta`). A delta that completes records new watermarks (the
//! instant each listing started); one that fails, is interrupted or leaves a ticket failed does
//! not, so the next delta lists the same changes again.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Migration, RunResult};
use crate::ObjectKind;
use crate::accounting::RunCounts;
use crate::execute::{ExecError, ExecResult, Tally};
use crate::ledger::RunStatus;
use crate::progress::ProgressSender;

/// Default safety margin subtracted from a watermark: one hour. It covers a Glassix clock
/// behind the local one (the watermark is read from the local clock) and changes stamped while
/// the listing's first page was being served.
pub const DEFAULT_DELTA_MARGIN: TimeDelta = TimeDelta::hours(1);

/// Ledger `meta` key of the last delta's [`CutoverReport`] (JSON `{"run_id", "report"}`), so
/// that a summary rebuilt from the ledger (`status`, `report`) still has its cutover section.
pub const LAST_CUTOVER: &str = "delta.last_cutover";

/// Where a delta starts, per department.
#[derive(Debug, Clone)]
pub(crate) struct DeltaStart {
    pub(crate) department_since: BTreeMap<String, DateTime<Utc>>,
    pub(crate) watermarks: BTreeMap<String, DateTime<Utc>>,
    pub(crate) margin: TimeDelta,
}

/// What a delta did: the cutover section of the run summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CutoverReport {
    /// The safety margin subtracted from each watermark, in seconds.
    pub margin_secs: i64,
    /// Per department id: the watermark the delta started from (before the margin).
    pub watermarks_used: BTreeMap<String, DateTime<Utc>>,
    /// Per department id: the watermark recorded for the next delta (empty when not advanced).
    pub watermarks_recorded: BTreeMap<String, DateTime<Utc>>,
    /// Whether the watermarks moved (the delta completed with no ticket failed).
    pub advanced: bool,
    /// Tickets listed in the changed window.
    pub listed: u64,
    /// Listed tickets not read: their listing entry showed no new activity.
    pub not_read: u64,
    /// Tickets created (new in Glassix since the last run).
    pub created: u64,
    /// Tickets written again because they changed.
    pub updated: u64,
    /// Listed tickets found unchanged (no Intercom write).
    pub unchanged: u64,
    /// Updated tickets per section that changed (`fields`, `state`, `assignee`, `tags`,
    /// `parts`); a ticket counts once in each of its changed sections.
    pub updated_by: BTreeMap<String, u64>,
    /// Per kind, what this delta handled (contacts and articles as well as tickets).
    pub per_kind: BTreeMap<ObjectKind, RunCounts>,
    /// Messages edited in Glassix after they were migrated (ticket id, transaction GUID): parts
    /// are immutable in Intercom, so these are listed, not changed.
    pub edited_messages: Vec<(String, String)>,
    /// Tickets changed in Glassix while the delta ran (activity after their listing started):
    /// the next delta picks them up; at cutover, run one more.
    pub changed_during: Vec<String>,
}

impl CutoverReport {
    /// Whether the delta found nothing to write and nothing changed while it ran: the freeze
    /// can end with this delta.
    pub fn is_quiet(&self) -> bool {
        self.created == 0 && self.updated == 0 && self.changed_during.is_empty()
    }
}

impl Migration {
    /// Runs a delta: every department's tickets with activity since its last completed run's
    /// watermark minus `margin` (see [`DEFAULT_DELTA_MARGIN`]), changes applied section by
    /// section. Refuses a ledger with no completed run to start from.
    pub async fn delta(
        &self,
        margin: TimeDelta,
        progress: ProgressSender,
    ) -> ExecResult<RunResult> {
        if self.dry_run {
            return Err(ExecError::Config(
                "`delta` writes only what changed since the last run; it has no dry run (use \
                 `migrate --dry-run` to preview a whole run)"
                    .to_owned(),
            ));
        }
        if margin < TimeDelta::zero() {
            return Err(ExecError::Config(format!(
                "the delta margin is negative ({}s): give zero or more seconds",
                margin.num_seconds()
            )));
        }
        let watermarks = self.ledger.listing_watermarks()?;
        if watermarks.is_empty() {
            return Err(ExecError::Config(
                "this ledger has no watermark: `delta` starts from the last completed `migrate` \
                 or `delta`; run `migrate` to completion first"
                    .to_owned(),
            ));
        }
        let department_since = watermarks
            .iter()
            .map(|(d, at)| (d.clone(), (*at - margin).max(self.since)))
            .collect();
        let start = DeltaStart {
            department_since,
            watermarks,
            margin,
        };
        let plan = self.default_plan()?;
        self.execute(&plan, progress, false, Some(start)).await
    }

    /// After a run: records the listing watermarks when the run completed (succeeded, no ticket
    /// failed, not a dry run or a recovery, and a `migrate` that listed up to now), and builds a
    /// delta's cutover report.
    pub(super) fn advance_watermarks(
        &self,
        run: crate::ledger::RunId,
        status: RunStatus,
        recovering: bool,
        this_run: &BTreeMap<ObjectKind, RunCounts>,
        tally: &Tally,
        delta: Option<&DeltaStart>,
    ) -> ExecResult<Option<CutoverReport>> {
        let tickets_failed = this_run
            .get(&crate::execute::Target::of(&self.spec).kind())
            .is_some_and(|c| c.failed > 0);
        // A `migrate` whose window ended in the past did not list what changed since.
        let listed_to_now = delta.is_some() || self.until.is_none_or(|u| u >= Utc::now());
        let advance = !self.dry_run
            && !recovering
            && status == RunStatus::Succeeded
            && !tickets_failed
            && listed_to_now
            && !tally.listing_started.is_empty();
        if advance {
            self.ledger.set_listing_watermarks(&tally.listing_started)?;
        } else if !self.dry_run && !recovering {
            tracing::warn!(
                failed_tickets = tickets_failed,
                "the listing watermarks are not advanced: the next delta lists the same window \
                 again"
            );
        }
        let Some(d) = delta else {
            return Ok(None);
        };
        let changed_during: BTreeSet<String> = tally.changed_during.clone();
        let report = CutoverReport {
            margin_secs: d.margin.num_seconds(),
            watermarks_used: d.watermarks.clone(),
            watermarks_recorded: if advance {
                tally.listing_started.clone()
            } else {
                BTreeMap::new()
            },
            advanced: advance,
            listed: tally.listed,
            not_read: tally.not_read,
            created: tally.created,
            updated: tally.updated,
            unchanged: tally.unchanged,
            updated_by: tally.updated_by.clone(),
            per_kind: this_run.clone(),
            edited_messages: tally.edited_parts.clone(),
            changed_during: changed_during.into_iter().collect(),
        };
        let json = serde_json::json!({ "run_id": run.0, "report": &report });
        self.ledger.set_meta(LAST_CUTOVER, &json.to_string())?;
        Ok(Some(report))
    }
}

impl CutoverReport {
    /// The cutover report of delta run `run`, as recorded in the ledger (`None` when that run
    /// recorded none).
    pub fn of_run(
        ledger: &crate::ledger::Ledger,
        run: crate::ledger::RunId,
    ) -> crate::Result<Option<CutoverReport>> {
        let Some(text) = ledger.meta(LAST_CUTOVER)? else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            crate::Error::LedgerState(format!(
                "meta `{LAST_CUTOVER}` is not JSON ({e}); delete that row (it is rewritten by the next delta)"
            ))
        })?;
        if v["run_id"].as_i64() != Some(run.0) {
            return Ok(None);
        }
        Ok(serde_json::from_value(v["report"].clone()).ok())
    }
}
