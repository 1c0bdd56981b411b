//! The executor's errors: what stops a whole run ([`ExecError`]), and what a record's own code
//! returns ([`Fault`]: the record failed, or the run must stop).

use crate::outcome::Failure;

/// An error that stops a migration run or its set-up. Errors of one record are recorded in the
/// ledger (failed or queued, with the reason) and never surface here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The builder lacks a part or holds an invalid value.
    #[error("the migration is not configured correctly: {0}")]
    Config(String),
    /// The spec or accounting refused (e.g. the spec is not confirmed).
    #[error(transparent)]
    Core(#[from] crate::Error),
    /// The ledger could not record: the run stops, so that nothing is written to Intercom
    /// without a record of it.
    #[error(
        "the ledger {path} could not record ({source}); the run stopped so that nothing is \
         written to Intercom without a record of it. Check that the disk has room and that the \
         file is writable, then run again: the run resumes where it stopped"
    )]
    Ledger {
        /// The ledger file (`in memory` for a ledger without a file).
        path: String,
        /// What the ledger reported.
        #[source]
        source: crate::Error,
    },
    /// A Glassix call needed by the whole run failed (e.g. listing a department's users).
    #[error("Glassix: {0}")]
    Glassix(#[from] glassix_client::Error),
    /// An Intercom call needed by the whole run failed (e.g. reading the admins).
    #[error("Intercom: {0}")]
    Intercom(#[from] intercom_client::Error),
    /// A file (export) could not be read.
    #[error("reading {path}: {message}")]
    Export {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl ExecError {
    /// Names the ledger file in a ledger error (other errors are returned as they are).
    pub(crate) fn with_ledger_path(self, ledger: &crate::ledger::Ledger) -> Self {
        match self {
            ExecError::Core(e @ (crate::Error::Ledger { .. } | crate::Error::LedgerState(_))) => {
                ExecError::Ledger {
                    path: ledger
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "in memory".to_owned()),
                    source: e,
                }
            }
            other => other,
        }
    }
}

/// Shorthand for the executor's results.
pub type ExecResult<T> = std::result::Result<T, ExecError>;

/// What went wrong while one record was handled: the record failed (the run goes on), or the
/// run must stop (the ledger cannot record).
#[derive(Debug)]
pub(crate) enum Fault {
    /// This record failed; it is recorded as such and the run goes on.
    Record(Failure),
    /// The run stops (boxed: the error is large, and rare).
    Run(Box<ExecError>),
}

impl Fault {
    /// A record failure that a rerun is expected to fix.
    pub(crate) fn record(message: impl Into<String>) -> Self {
        Fault::Record(Failure::transient(message))
    }
}

impl From<crate::Error> for Fault {
    fn from(e: crate::Error) -> Self {
        Fault::Run(Box::new(ExecError::Core(e)))
    }
}

impl From<ExecError> for Fault {
    fn from(e: ExecError) -> Self {
        Fault::Run(Box::new(e))
    }
}

impl From<Failure> for Fault {
    fn from(f: Failure) -> Self {
        Fault::Record(f)
    }
}

impl From<intercom_client::Error> for Fault {
    fn from(e: intercom_client::Error) -> Self {
        Fault::Record(Failure::from_intercom(&e))
    }
}

impl From<glassix_client::Error> for Fault {
    fn from(e: glassix_client::Error) -> Self {
        Fault::Record(Failure::from_glassix(&e))
    }
}
