//! How a source record ended: the one outcome type of the engine.
//!
//! Step code produces an [`Outcome`] for every record it handles; the executor's recorder turns
//! it into the ledger's rows, the progress events and the run's accounting, in one place. The
//! accounting ([`crate::accounting`]) and progress events ([`crate::progress`]) carry this same
//! type.

use crate::ledger::{Origin, Reason};

/// How one source record ended in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In Intercom after a write of this run; `write` says which.
    Migrated {
        /// The Intercom id.
        target_id: String,
        /// How it got there.
        write: Write,
    },
    /// Already in Intercom with the same source: nothing was written.
    Unchanged {
        /// The Intercom id.
        target_id: String,
    },
    /// Waiting for a person (reconciliation queue), with the reason and what to do.
    Queued(Reason),
    /// Not migrated, by a rule, with the reason.
    Skipped(Reason),
    /// The write failed; [`Failure::retry`] says whether a rerun can fix it as it is.
    Failed(Failure),
}

/// How a migrated record got to Intercom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Created by this run.
    Created,
    /// Found by a look-up: an earlier attempt whose answer was lost had created it.
    Found,
    /// An object that existed before the migration (same e-mail, same name) was adopted; it is
    /// never deleted by a rollback.
    Reused,
    /// Its source changed since it was migrated; it was brought up to date.
    Updated,
    /// Found in Intercom with this migration's marks (a Glassix id attribute, a name) although
    /// the ledger did not know it (a lost or new ledger): adopted instead of created again.
    Adopted,
}

impl Write {
    /// The ledger origin a record written this way has.
    pub fn origin(self) -> Origin {
        match self {
            Write::Reused => Origin::Reused,
            Write::Created | Write::Found | Write::Updated | Write::Adopted => Origin::Created,
        }
    }
}

/// Why a record failed, and whether running again can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, naming the record's call and the service's answer (never a secret).
    pub message: String,
    /// What a rerun does about it.
    pub retry: Retry,
}

/// The retry classification of a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A passing fault (5xx, 429 beyond the budget, the network, a source read): running again
    /// is expected to succeed.
    Transient,
    /// A create whose outcome is unknown and could not be settled: the next run looks it up
    /// before anything is sent again.
    Unsettled,
    /// The service refused the request as sent (a 4xx): a rerun repeats the refusal until the
    /// data or the spec changes; the message says what was refused.
    Refused,
}

impl Failure {
    /// A failure that a rerun is expected to fix.
    pub fn transient(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            retry: Retry::Transient,
        }
    }

    /// A failure classified from an Intercom error.
    pub fn from_intercom(e: &intercom_client::Error) -> Self {
        let retry = match e {
            intercom_client::Error::OutcomeUnknown { .. } => Retry::Unsettled,
            e if e.is_retryable() => Retry::Transient,
            e if e
                .status()
                .is_some_and(|s| (400..500).contains(&s) && s != 429) =>
            {
                Retry::Refused
            }
            _ => Retry::Transient,
        };
        Failure {
            message: format!("Intercom: {e}"),
            retry,
        }
    }

    /// A failure classified from a Glassix error (reads: a rerun reads again).
    pub fn from_glassix(e: &glassix_client::Error) -> Self {
        Failure::transient(format!("Glassix: {e}"))
    }

    /// The same failure with `context` (e.g. `part 17`) in front of its message.
    pub fn context(mut self, context: impl std::fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Outcome {
    /// Migrated by a create of this run.
    pub fn created(target_id: impl Into<String>) -> Self {
        Outcome::Migrated {
            target_id: target_id.into(),
            write: Write::Created,
        }
    }

    /// A failure that a rerun is expected to fix.
    pub fn failed(message: impl Into<String>) -> Self {
        Outcome::Failed(Failure::transient(message))
    }

    /// Whether the record is in Intercom (migrated now or unchanged).
    pub fn is_migrated(&self) -> bool {
        matches!(self, Outcome::Migrated { .. } | Outcome::Unchanged { .. })
    }

    /// The Intercom id, when the record is in Intercom.
    pub fn target_id(&self) -> Option<&str> {
        match self {
            Outcome::Migrated { target_id, .. } | Outcome::Unchanged { target_id } => {
                Some(target_id)
            }
            _ => None,
        }
    }

    /// A short label: `created`, `found`, `reused`, `updated`, `unchanged`, `queued`,
    /// `skipped` or `failed`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Migrated { write, .. } => match write {
                Write::Created => "created",
                Write::Found => "found",
                Write::Reused => "reused",
                Write::Updated => "updated",
                Write::Adopted => "adopted",
            },
            Outcome::Unchanged { .. } => "unchanged",
            Outcome::Queued(_) => "queued",
            Outcome::Skipped(_) => "skipped",
            Outcome::Failed(_) => "failed",
        }
    }
}
