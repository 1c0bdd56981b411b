//! The executor's error type: what stops a whole run (a record's own error never does).

/// An error that stops a migration run or its set-up. Errors of one record are recorded in the
/// ledger (failed or queued, with the reason) and never surface here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The builder lacks a part or holds an invalid value.
    #[error("the migration is not configured correctly: {0}")]
    Config(String),
    /// The spec, ledger or accounting refused (e.g. the spec is not confirmed).
    #[error(transparent)]
    Core(#[from] crate::Error),
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

/// Shorthand for the executor's results.
pub type ExecResult<T> = std::result::Result<T, ExecError>;
