//! Row types and enums of the ledger.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kind::{ObjectKind, RollbackAction};

/// Identifier of a run (row of `runs`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct RunId(pub i64);

/// Identifier of an intent (row of `intents`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct IntentId(pub i64);

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The text stored in the ledger.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }

            #[allow(dead_code)] // not every enum is read back
            pub(crate) fn parse(s: &str) -> Result<Self> {
                match s {
                    $($s => Ok($name::$v),)+
                    other => Err(Error::LedgerState(format!(
                        "unknown {} `{other}` in the ledger; it was written by a newer version",
                        stringify!($name)
                    ))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a run does.
    RunMode {
        /// Plans and maps without writing to Intercom.
        DryRun => "dry_run",
        /// A full migration (resumable).
        Migrate => "migrate",
        /// Only records changed since the last watermark.
        Delta => "delta",
        /// Removes what earlier runs created.
        Rollback => "rollback",
    }
);

text_enum!(
    /// How a run ended (or that it has not).
    RunStatus {
        /// Started and not finished.
        Running => "running",
        /// Finished normally.
        Succeeded => "succeeded",
        /// Finished with an error.
        Failed => "failed",
        /// Found still `running` when a later run began: the process died.
        Interrupted => "interrupted",
    }
);

text_enum!(
    /// How a run ended as the command that ran it reported it, and exited with (recorded with
    /// [`super::Ledger::set_run_outcome`]). [`RunStatus`] says whether the run's process finished;
    /// this says what the migration's state was when it did.
    RunOutcome {
        /// Every record migrated, skipped by a rule, or queued for a data reason (exit 0).
        Succeeded => "succeeded",
        /// Records wait for teammates or teams to be created in Intercom (exit 3).
        BlockedOnProvisioning => "blocked_on_provisioning",
        /// Some records failed or were left unfinished (exit 5).
        Partial => "partial",
        /// The run was stopped before its end (exit 5).
        Interrupted => "interrupted",
        /// The run stopped on an error (exit 1).
        Failed => "failed",
    }
);

impl RunOutcome {
    /// A short label for people: `succeeded`, `blocked`, `partial`, `interrupted`, `failed`.
    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::BlockedOnProvisioning => "blocked",
            RunOutcome::Partial => "partial",
            RunOutcome::Interrupted => "interrupted",
            RunOutcome::Failed => "failed",
        }
    }
}

text_enum!(
    /// The state of one source record.
    ObjectStatus {
        /// Known from the source, not yet handled.
        Pending => "pending",
        /// A create request may be in flight (an open intent exists).
        Intent => "intent",
        /// Exists in Intercom with `target_id`.
        Migrated => "migrated",
        /// Waiting for reconciliation, with a reason.
        Queued => "queued",
        /// Deliberately not migrated by a rule, with a reason.
        Skipped => "skipped",
        /// The write failed with an error that is not a queue reason.
        Failed => "failed",
        /// Removed (or archived) by a rollback.
        RolledBack => "rolled_back",
    }
);

text_enum!(
    /// Whether a migrated object was created by the migration or already existed.
    Origin {
        /// Created by this migration: rollback removes it.
        Created => "created",
        /// Found in Intercom and reused (e.g. a tag of the same name): rollback leaves it.
        Reused => "reused",
    }
);

text_enum!(
    /// How an intent ended.
    IntentOutcome {
        /// Not settled yet: the create may or may not have happened.
        Open => "open",
        /// The create succeeded and the object is recorded.
        Completed => "completed",
        /// The object was looked up and not found; it may be created again.
        Abandoned => "abandoned",
    }
);

/// A run as stored in `runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// Run id.
    pub id: RunId,
    /// Start time.
    pub started_at: DateTime<Utc>,
    /// End time: when the run finished or was stopped. `None` while it runs, and for a run
    /// whose process died (found still `running` by a later run): its end is unknown, see
    /// [`super::Ledger::last_activity`].
    pub finished_at: Option<DateTime<Utc>>,
    /// Hash of the mapping spec the run used.
    pub spec_hash: String,
    /// What the run did.
    pub mode: RunMode,
    /// How it ended.
    pub status: RunStatus,
    /// Counts recorded at the end (JSON, e.g. accounting per kind).
    pub counts: Option<serde_json::Value>,
    /// How the run ended as its command reported it (`None`: not recorded, e.g. a run of a
    /// ledger written before schema version 2, or a library user's run).
    #[serde(default)]
    pub outcome: Option<RunOutcome>,
}

/// What one run wrote during one second (see [`super::Ledger::activity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySample {
    /// The second (UTC).
    pub at: DateTime<Utc>,
    /// Records of every kind but parts whose row the run last changed in that second (migrated,
    /// queued, skipped or failed).
    pub records: u64,
    /// Parts (messages and notes of tickets) likewise.
    pub parts: u64,
}

/// A reason code with detail, for queued and skipped records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// Stable machine code, e.g. `missing_email`, `unmatched_agent`, `scrambled`.
    pub code: String,
    /// Human explanation, naming what to do.
    pub detail: String,
    /// The source field concerned, if any.
    pub field: Option<String>,
}

impl Reason {
    /// A reason without a field.
    pub fn new(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Reason {
            code: code.into(),
            detail: detail.into(),
            field: None,
        }
    }

    /// The same reason naming a source field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

/// One source record as the ledger knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// Object kind.
    pub kind: ObjectKind,
    /// Glassix id (or name, for tags).
    pub source_id: String,
    /// Intercom id, once migrated.
    pub target_id: Option<String>,
    /// Current status.
    pub status: ObjectStatus,
    /// Hash of the source record last written (see [`crate::hashing`]).
    pub source_hash: Option<String>,
    /// Last run that changed the row.
    pub run_id: Option<RunId>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Queue or skip reason, or the error of a failure.
    pub reason: Option<Reason>,
    /// Created by the migration or reused.
    pub origin: Option<Origin>,
}

/// A create that was announced and not (yet) settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intent {
    /// Intent id.
    pub id: IntentId,
    /// Kind of the object being created.
    pub kind: ObjectKind,
    /// Source id of the record.
    pub source_id: String,
    /// Fingerprint of the request (e.g. a hash of its body), to recognise the object when
    /// looking it up.
    pub fingerprint: String,
    /// The run that recorded it.
    pub run_id: Option<RunId>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// How an open intent found on resume was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// The object exists in Intercom (the create had succeeded): record it as migrated.
    Found {
        /// Intercom id found by the lookup.
        target_id: String,
        /// Hash of the source record.
        source_hash: String,
    },
    /// The object does not exist: the create never happened and may be issued again.
    NotCreated,
}

/// What the executor must do with a source record (see [`super::Ledger::needs_write`]).
#[derive(Debug, Clone, PartialEq)]
pub enum WriteNeed {
    /// Not in Intercom yet: create it.
    Create,
    /// In Intercom, and the source changed since: update `target_id`.
    Update {
        /// Existing Intercom id.
        target_id: String,
    },
    /// In Intercom with the same source hash: nothing to write.
    Unchanged {
        /// Existing Intercom id.
        target_id: String,
    },
    /// A create may have happened: look the object up and settle this intent first.
    SettleIntent(Intent),
}

impl WriteNeed {
    /// Whether a create or update request is needed.
    pub fn is_write(&self) -> bool {
        matches!(self, WriteNeed::Create | WriteNeed::Update { .. })
    }
}

/// One message of a ticket: the per-message mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// Glassix ticket id the message belongs to.
    pub ticket_source_id: String,
    /// Glassix `guidTransactionId`.
    pub transaction_guid: String,
    /// Intercom part id, once written.
    pub target_part_id: Option<String>,
    /// Position in the ticket (time order), from 0.
    pub position: i64,
    /// Status of the message.
    pub status: ObjectStatus,
}

/// A record waiting for reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// Object kind.
    pub kind: ObjectKind,
    /// Source id.
    pub source_id: String,
    /// Why it is queued.
    pub reason: Reason,
    /// Run that queued it.
    pub run_id: Option<RunId>,
    /// When it was (last) queued.
    pub created_at: DateTime<Utc>,
    /// Who or what the record is, when the run recorded it at queue time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<super::QueueContext>,
}

/// How a note's text marks a warning (`warning: …`); read in any case.
pub(crate) const WARNING_PREFIX: &str = "warning:";

/// A field-level note about something lossy in one record's mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossyNote {
    /// Object kind.
    pub kind: ObjectKind,
    /// Source id.
    pub source_id: String,
    /// Source field concerned.
    pub field: String,
    /// What was lost or changed.
    pub note: String,
}

/// Records per status for one object kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StatusCounts {
    /// `pending`.
    pub pending: u64,
    /// `intent`.
    pub intent: u64,
    /// `migrated`.
    pub migrated: u64,
    /// `queued`.
    pub queued: u64,
    /// `skipped`.
    pub skipped: u64,
    /// `failed`.
    pub failed: u64,
    /// `rolled_back`.
    pub rolled_back: u64,
}

impl StatusCounts {
    /// Sum over all statuses.
    pub fn total(&self) -> u64 {
        self.pending
            + self.intent
            + self.migrated
            + self.queued
            + self.skipped
            + self.failed
            + self.rolled_back
    }

    pub(crate) fn add(&mut self, status: ObjectStatus, n: u64) {
        let slot = match status {
            ObjectStatus::Pending => &mut self.pending,
            ObjectStatus::Intent => &mut self.intent,
            ObjectStatus::Migrated => &mut self.migrated,
            ObjectStatus::Queued => &mut self.queued,
            ObjectStatus::Skipped => &mut self.skipped,
            ObjectStatus::Failed => &mut self.failed,
            ObjectStatus::RolledBack => &mut self.rolled_back,
        };
        *slot += n;
    }
}

/// One object to undo, in the order given by [`super::Ledger::rollback_order`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackItem {
    /// Object kind.
    pub kind: ObjectKind,
    /// Source id.
    pub source_id: String,
    /// Intercom id to delete or archive.
    pub target_id: String,
    /// How to undo it.
    pub action: RollbackAction,
}
