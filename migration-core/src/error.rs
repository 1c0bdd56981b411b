//! The crate's single error type.

use crate::spec::SpecErrors;

/// Everything that can go wrong in `migration-core`.
///
/// Each variant names what failed and, where a person can act, what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The mapping spec could not be read: TOML syntax, an unknown value, or a semantic rule.
    /// Every problem carries its field path and, when known, line and column.
    #[error("the mapping spec is invalid:\n{0}")]
    Spec(SpecErrors),

    /// A run that moves records was asked for with a spec that has not been confirmed, or
    /// whose content changed since it was confirmed.
    #[error("{message}")]
    SpecNotConfirmed {
        /// Human-readable instructions that say exactly how to confirm the spec (and, for a
        /// changed spec, what changed).
        message: String,
        /// For a spec changed since its confirmation: what changed (`[policies]`, `the rule for
        /// \`field3\` in departments billing (added)` …); empty when it was never confirmed.
        changed: Vec<String>,
    },

    /// SQLite reported an error while the ledger ran `operation`.
    #[error("ledger {operation} failed: {source}")]
    Ledger {
        /// What the ledger was doing (e.g. `"record intent"`).
        operation: &'static str,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },

    /// The ledger file was written by a newer version of this crate.
    #[error(
        "the ledger schema is version {found}, but this build understands up to {supported}; \
         upgrade the migration tool before using this ledger"
    )]
    LedgerSchemaTooNew {
        /// Version found in the file.
        found: i64,
        /// Highest version this build knows.
        supported: i64,
    },

    /// The ledger holds a value this build cannot interpret, or a call referred to a row that
    /// does not exist (e.g. completing an intent that was never recorded).
    #[error("ledger inconsistency: {0}")]
    LedgerState(String),

    /// Two or more plan steps depend on each other in a cycle.
    #[error("the plan has a dependency cycle: {}", .cycle.join(" → "))]
    PlanCycle {
        /// Step ids along the cycle; the first id is repeated at the end.
        cycle: Vec<String>,
    },

    /// A plan step depends on a step that was not declared.
    #[error("plan step `{step}` depends on `{missing}`, which is not a step of the plan")]
    PlanUnknownDependency {
        /// The step that declares the dependency.
        step: String,
        /// The missing step id.
        missing: String,
    },

    /// Two plan steps share one id.
    #[error("plan step `{0}` is declared twice; step ids must be unique")]
    PlanDuplicateStep(String),

    /// The rate limits given to the planner cannot produce an estimate (a zero or negative rate).
    #[error("invalid rate limit for the plan estimate: {0}")]
    InvalidRateLimit(String),

    /// Per-kind counts do not satisfy `source == migrated + queued + skipped + failed`.
    #[error("the counts do not add up: {details}")]
    Unbalanced {
        /// One clause per unbalanced kind.
        details: String,
    },

    /// A value could not be converted to or from JSON.
    #[error("JSON serialisation failed while {context}: {source}")]
    Json {
        /// What was being serialised.
        context: &'static str,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },

    /// A file could not be read or written.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file involved.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Shorthand for `Result<T, migration_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn ledger(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Error::Ledger { operation, source }
    }

    pub(crate) fn json(context: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| Error::Json { context, source }
    }
}
