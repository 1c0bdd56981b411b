//! What the executor reports of a run besides the ledger: the steps as they ran, and what a
//! dry run would have written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ObjectKind;
use crate::accounting::RunCounts;
use crate::plan::StepId;

/// One step of a run and the records it counted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepCounts {
    /// The step (the same identifier as in the plan and the progress events).
    pub step: StepId,
    /// Records of the step's kind it handled.
    pub counts: RunCounts,
}

/// What a dry run would do.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DryRunReport {
    /// Write calls that would be sent, per kind of object written (`finish`: the updates,
    /// actions and tags that complete a record already created).
    pub would_write: BTreeMap<ObjectKind, u64>,
    /// Where each record would end, per kind.
    pub counts: BTreeMap<ObjectKind, RunCounts>,
    /// The first mapped requests of each kind written (up to the sample size per kind), as
    /// JSON, bodies as they would be sent.
    pub sample: Vec<serde_json::Value>,
    /// What the run would queue for reconciliation: the records, then the field items (values
    /// left unwritten), as a live run would list them.
    #[serde(default)]
    pub queue: Vec<crate::ledger::QueueEntry>,
}
