//! What a run returns.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ObjectKind;
use crate::accounting::RunCounts;
use crate::execute::{DryRunReport, StepCounts};
use crate::ledger::RunId;

/// The result of [`crate::Migration::run`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// The ledger's run id.
    pub run_id: RunId,
    /// Hash of the spec the run used (recorded with the run).
    pub spec_hash: String,
    /// Whether this was a dry run.
    pub dry_run: bool,
    /// Where every source record of the migration stands after this run (from the ledger, so
    /// records handled by earlier runs count too), per kind. For a dry run: what would happen.
    pub counts: BTreeMap<ObjectKind, RunCounts>,
    /// What this run handled, per kind (unchanged records count as migrated).
    pub this_run: BTreeMap<ObjectKind, RunCounts>,
    /// The plan's steps as they ran, in order, with the records each counted.
    #[serde(default)]
    pub steps: Vec<StepCounts>,
    /// Records this run found in Intercom, made by an earlier run its ledger did not know (a
    /// lost or new ledger), and adopted instead of creating them again, per kind.
    #[serde(default)]
    pub adopted: BTreeMap<ObjectKind, u64>,
    /// Intercom write calls (creates, replies, updates, tags) sent by this run.
    pub intercom_writes: u64,
    /// Waits of both clients before sending calls again during this run (after 429s, server
    /// and transport errors).
    #[serde(default)]
    pub retries: RetryWaits,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// `None` when the counts add up; otherwise which kinds do not.
    pub imbalance: Option<String>,
    /// For a dry run: what would be written, with a sample of mapped requests.
    pub dry: Option<DryRunReport>,
    /// For a delta: what it found and wrote, the watermarks it used and recorded.
    #[serde(default)]
    pub cutover: Option<super::CutoverReport>,
}

impl RunResult {
    /// `source == migrated + queued + skipped + failed` for every kind.
    pub fn is_balanced(&self) -> bool {
        self.imbalance.is_none() && self.counts.values().all(RunCounts::is_balanced)
    }

    /// Counts of one kind (zero when the kind was not seen).
    pub fn counts_of(&self, kind: &ObjectKind) -> RunCounts {
        self.counts.get(kind).copied().unwrap_or_default()
    }
}

/// The clients' waits before sending calls again during one run (429s, server and transport
/// errors, lost answers), per service. Calls in flight wait side by side: the seconds add up
/// every wait and are not time the run lost, but they say how much the faults cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RetryWaits {
    /// Intercom calls sent again.
    pub intercom_retries: u64,
    /// Their waits, added up, in seconds.
    pub intercom_waited_secs: f64,
    /// Glassix calls sent again.
    pub glassix_retries: u64,
    /// Their waits, added up, in seconds.
    pub glassix_waited_secs: f64,
}

impl RetryWaits {
    /// The waits between two snapshots of (Intercom, Glassix) retry counters.
    pub fn between(
        before: (intercom_client::RetryStats, glassix_client::RetryStats),
        after: (intercom_client::RetryStats, glassix_client::RetryStats),
    ) -> Self {
        let (ic, gx) = (after.0.since(before.0), after.1.since(before.1));
        RetryWaits {
            intercom_retries: ic.retries,
            intercom_waited_secs: ic.waited.as_secs_f64(),
            glassix_retries: gx.retries,
            glassix_waited_secs: gx.waited.as_secs_f64(),
        }
    }

    /// Whether no call was sent again.
    pub fn is_empty(&self) -> bool {
        self.intercom_retries == 0 && self.glassix_retries == 0
    }
}
