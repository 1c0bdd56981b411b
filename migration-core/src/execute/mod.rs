//! The executor: runs the planned steps in dependency order against the two clients, records
//! every create in the ledger (intent before, completion after) and accounts for every record.
//!
//! Order: preflight (admins, teams, agents, departments) → attribute definitions (contact data
//! attributes, conversation attributes or the ticket type and its attributes) → tags →
//! tickets, streamed: list → get → contacts of the ticket → map → create → parts in order →
//! finishing ops (state, assignee, tags). Many tickets run at once (`concurrency`); each
//! ticket's parts are written one after the other.
//!
//! ```no_run
//! # async fn demo(
//! #     glassix: glassix_client::Client,
//! #     intercom: intercom_client::Client,
//! #     spec: migration_core::spec::MappingSpec,
//! # ) -> Result<(), migration_core::execute::ExecError> {
//! use std::sync::Arc;
//! use migration_core::execute::Migration;
//! use migration_core::ledger::Ledger;
//! use migration_core::progress::ProgressSender;
//!
//! let ledger = Arc::new(Ledger::open("migration.sqlite")?);
//! let migration = Migration::builder()
//!     .glassix(glassix)
//!     .intercom(intercom)
//!     .spec(spec)
//!     .ledger(ledger)
//!     .concurrency(8)
//!     .build()?;
//! let discovery = migration.discover().await?;
//! println!("{}", migration.plan(&discovery)?.report(&Default::default())?.to_markdown());
//! let (progress, _events) = ProgressSender::channel(1024);
//! let result = migration.run(progress).await?;
//! assert!(result.is_balanced());
//! # Ok(()) }
//! ```

mod attachments;
mod attributes;
mod contacts;
mod error;
mod knowledge;
mod parts;
mod preflight;
mod result;
mod settle;
mod tickets;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, TimeZone, Utc};

pub use error::{ExecError, ExecResult};
pub use knowledge::KB_FILE;
pub use result::{DryRunReport, RunResult};

use crate::ObjectKind;
use crate::accounting::Accounting;
use crate::ledger::{Ledger, RunId, RunMode, RunStatus};
use crate::map::{Department, Directory, Mappers, ResolvedContact};
use crate::progress::ProgressSender;
use crate::spec::MappingSpec;

/// Default number of tickets processed at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// A configured migration: discovery, plan and run.
pub struct Migration {
    pub(crate) glassix: glassix_client::Client,
    pub(crate) intercom: intercom_client::Client,
    pub(crate) spec: Arc<MappingSpec>,
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) mappers: Arc<Mappers>,
    pub(crate) concurrency: usize,
    pub(crate) dry_run: bool,
    pub(crate) exports: Option<std::path::PathBuf>,
    pub(crate) departments: Vec<Department>,
    pub(crate) since: DateTime<Utc>,
    pub(crate) until: Option<DateTime<Utc>>,
    pub(crate) sample_size: usize,
    pub(crate) expected_tickets: Option<u64>,
}

impl std::fmt::Debug for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migration")
            .field("concurrency", &self.concurrency)
            .field("dry_run", &self.dry_run)
            .field("since", &self.since)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Migration`]; `glassix`, `intercom`, `spec` and `ledger` are required.
#[derive(Default)]
pub struct MigrationBuilder {
    glassix: Option<glassix_client::Client>,
    intercom: Option<intercom_client::Client>,
    spec: Option<MappingSpec>,
    ledger: Option<Arc<Ledger>>,
    mappers: Option<Arc<Mappers>>,
    concurrency: Option<usize>,
    dry_run: bool,
    exports: Option<std::path::PathBuf>,
    departments: Vec<Department>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    sample_size: Option<usize>,
    expected_tickets: Option<u64>,
}

impl std::fmt::Debug for MigrationBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationBuilder").finish_non_exhaustive()
    }
}

impl MigrationBuilder {
    /// The source client (one API key per department).
    pub fn glassix(mut self, client: glassix_client::Client) -> Self {
        self.glassix = Some(client);
        self
    }
    /// The destination client.
    pub fn intercom(mut self, client: intercom_client::Client) -> Self {
        self.intercom = Some(client);
        self
    }
    /// The mapping spec (must be confirmed unless this is a dry run).
    pub fn spec(mut self, spec: MappingSpec) -> Self {
        self.spec = Some(spec);
        self
    }
    /// The ledger of this migration.
    pub fn ledger(mut self, ledger: Arc<Ledger>) -> Self {
        self.ledger = Some(ledger);
        self
    }
    /// The mappers (default: `Mappers::default()`); an `Arc<Mappers>` shares one set between
    /// several migrations (e.g. a discovery and the run that follows it).
    pub fn mappers(mut self, mappers: impl Into<Arc<Mappers>>) -> Self {
        self.mappers = Some(mappers.into());
        self
    }
    /// Tickets processed at once (default [`DEFAULT_CONCURRENCY`]); each ticket's parts stay
    /// in order.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = Some(n);
        self
    }
    /// A dry run reads everything, maps everything and writes nothing to Intercom (nor to the
    /// ledger's objects); it reports what would happen.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }
    /// The folder holding Glassix exports (knowledge base, automations), if any.
    pub fn exports(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.exports = Some(dir.into());
        self
    }
    /// Department names (and parents). The Glassix API does not return them, so they come from
    /// the configuration; they are matched to Intercom teams by name path.
    pub fn departments(mut self, departments: impl IntoIterator<Item = Department>) -> Self {
        self.departments.extend(departments);
        self
    }
    /// Tickets opened from `since` (default 2020-01-01) …
    pub fn since(mut self, since: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self
    }
    /// … until `until` (default: now).
    pub fn until(mut self, until: DateTime<Utc>) -> Self {
        self.until = Some(until);
        self
    }
    /// How many mapped requests a dry run keeps as a sample (default 5).
    pub fn sample_size(mut self, n: usize) -> Self {
        self.sample_size = Some(n);
        self
    }

    /// How many tickets to expect (e.g. `discovery.tickets.total`), so that the tickets step's
    /// progress events carry a total and an ETA.
    pub fn expected_tickets(mut self, n: u64) -> Self {
        self.expected_tickets = Some(n);
        self
    }

    /// Checks the configuration and builds the migration.
    pub fn build(self) -> ExecResult<Migration> {
        let missing = |what: &str| ExecError::Config(format!("`{what}` is required"));
        let concurrency = self.concurrency.unwrap_or(DEFAULT_CONCURRENCY);
        if concurrency == 0 {
            return Err(ExecError::Config(
                "concurrency must be at least 1".to_owned(),
            ));
        }
        let since = match self.since {
            Some(s) => s,
            None => Utc
                .with_ymd_and_hms(2020, 1, 1, 0, 0, 0)
                .single()
                .ok_or_else(|| ExecError::Config("default start date".to_owned()))?,
        };
        Ok(Migration {
            glassix: self.glassix.ok_or_else(|| missing("glassix"))?,
            intercom: self.intercom.ok_or_else(|| missing("intercom"))?,
            spec: Arc::new(self.spec.ok_or_else(|| missing("spec"))?),
            ledger: self.ledger.ok_or_else(|| missing("ledger"))?,
            mappers: self.mappers.unwrap_or_default(),
            concurrency,
            dry_run: self.dry_run,
            exports: self.exports,
            departments: self.departments,
            since,
            until: self.until,
            sample_size: self.sample_size.unwrap_or(5),
            expected_tickets: self.expected_tickets,
        })
    }
}

/// What every task of a run shares.
pub(crate) struct Exec {
    pub(crate) glassix: glassix_client::Client,
    pub(crate) intercom: intercom_client::Client,
    pub(crate) spec: Arc<MappingSpec>,
    pub(crate) ledger: Arc<Ledger>,
    pub(crate) mappers: Arc<Mappers>,
    pub(crate) run: RunId,
    pub(crate) dry_run: bool,
    /// Admins, teams, tags, ticket type: everything but contacts (small; cloned per ticket).
    pub(crate) base: RwLock<Directory>,
    /// Contacts resolved in this run (source id → contact), so each is mapped once.
    pub(crate) contacts: Mutex<HashMap<String, Option<ResolvedContact>>>,
    /// One lock per contact being resolved, so two tickets of one customer create it once.
    pub(crate) contact_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Intercom write calls sent by this run.
    pub(crate) writes: AtomicU64,
    /// Dry run: what would be written.
    pub(crate) dry: Mutex<DryRunReport>,
    pub(crate) sample_size: usize,
}

impl Exec {
    pub(crate) fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn directory(&self) -> Directory {
        match self.base.read() {
            Ok(d) => d.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn update_directory(&self, f: impl FnOnce(&mut Directory)) {
        match self.base.write() {
            Ok(mut d) => f(&mut d),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Dry run: count one would-be write of `kind` and keep a sample of the request.
    pub(crate) fn would_write(&self, kind: &ObjectKind, request: Option<serde_json::Value>) {
        let mut d = match self.dry.lock() {
            Ok(d) => d,
            Err(p) => p.into_inner(),
        };
        *d.would_write.entry(kind.clone()).or_default() += 1;
        if let Some(r) = request {
            if d.sample.len() < self.sample_size {
                d.sample.push(r);
            }
        }
    }
}

impl Migration {
    /// Starts a builder.
    pub fn builder() -> MigrationBuilder {
        MigrationBuilder::default()
    }

    /// The export folder given to the builder (knowledge base, automations), if any.
    pub fn exports(&self) -> Option<&std::path::Path> {
        self.exports.as_deref()
    }

    /// The ledger of this migration.
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Runs the migration (or the dry run) to the end and returns its counts. Refuses to move a
    /// record unless the spec is confirmed; a dry run needs no confirmation. The run can be
    /// dropped at any point and run again: creates are recorded as intents first and settled by
    /// lookup, so nothing is created twice.
    pub async fn run(&self, progress: ProgressSender) -> ExecResult<RunResult> {
        if !self.dry_run {
            self.spec.require_confirmed()?;
        }
        let started = tokio::time::Instant::now();
        let spec_hash = self.spec.hash()?;
        let mode = if self.dry_run {
            RunMode::DryRun
        } else {
            RunMode::Migrate
        };
        let run = self.ledger.begin_run(mode, &spec_hash)?;
        let ex = Arc::new(Exec {
            glassix: self.glassix.clone(),
            intercom: self.intercom.clone(),
            spec: self.spec.clone(),
            ledger: self.ledger.clone(),
            mappers: self.mappers.clone(),
            run,
            dry_run: self.dry_run,
            base: RwLock::new(Directory::default()),
            contacts: Mutex::new(HashMap::new()),
            contact_locks: Mutex::new(HashMap::new()),
            writes: AtomicU64::new(0),
            dry: Mutex::new(DryRunReport::default()),
            sample_size: self.sample_size,
        });
        let outcome = self.run_steps(&ex, &progress).await;
        let this_run = match outcome {
            Ok(a) => a,
            Err(e) => {
                let _ =
                    self.ledger
                        .finish_run(run, RunStatus::Failed, &Accounting::new().by_kind());
                return Err(e);
            }
        };
        let counts = if self.dry_run {
            this_run.clone()
        } else {
            Accounting::from_ledger_counts(&self.ledger.counts_by_kind()?)
        };
        let balanced = counts.check();
        let status = if balanced.is_ok() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        self.ledger.finish_run(run, status, counts.by_kind())?;
        let dry = if self.dry_run {
            let mut d = match ex.dry.lock() {
                Ok(d) => d.clone(),
                Err(p) => p.into_inner().clone(),
            };
            d.counts = this_run.by_kind().clone();
            Some(d)
        } else {
            None
        };
        Ok(RunResult {
            run_id: run,
            spec_hash,
            dry_run: self.dry_run,
            counts: counts.by_kind().clone(),
            this_run: this_run.by_kind().clone(),
            intercom_writes: ex.writes.load(Ordering::Relaxed),
            elapsed: started.elapsed(),
            imbalance: balanced.err().map(|e| e.to_string()),
            dry,
        })
    }

    async fn run_steps(&self, ex: &Arc<Exec>, progress: &ProgressSender) -> ExecResult<Accounting> {
        let mut acc = Accounting::new();
        preflight::run(ex, &self.departments, progress).await?;
        attributes::run(ex, progress, &mut acc).await?;
        attributes::tags(ex, progress, &mut acc).await?;
        let until = self.until.unwrap_or_else(Utc::now);
        let t = tickets::Window {
            since: self.since,
            until,
            expected: self.expected_tickets,
        };
        tickets::run(ex, t, self.concurrency, progress, &mut acc).await?;
        knowledge::run(ex, self.exports.as_deref(), progress, &mut acc).await?;
        Ok(acc)
    }
}

/// Source hash of `value` without its links (`uri`, `imageUri`, thumbnails, any presigned URL):
/// presigned links change on every read, and must not make an unchanged record look changed.
pub(crate) fn stable_hash(value: &impl serde::Serialize) -> crate::Result<String> {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| {
                    let k = k.to_ascii_lowercase();
                    !k.ends_with("uri") && k != "thumbnails"
                });
                m.values_mut().for_each(strip);
            }
            serde_json::Value::String(s) if presigned(s) => s.clear(),
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    fn presigned(s: &str) -> bool {
        s.starts_with("http")
            && ["X-Amz-", "Signature=", "Expires=", "sig="]
                .iter()
                .any(|m| s.contains(m))
    }
    let mut v = serde_json::to_value(value).map_err(crate::Error::json("hashing a record"))?;
    strip(&mut v);
    crate::hashing::source_hash(&v)
}

/// How one record ended, reported by a ticket task to the collector.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) kind: ObjectKind,
    pub(crate) source_id: String,
    pub(crate) result: EventResult,
}

/// The end of one record.
#[derive(Debug, Clone)]
pub(crate) enum EventResult {
    Done(crate::progress::RecordOutcome),
    Queued(crate::ledger::Reason),
    Skipped(crate::ledger::Reason),
    Failed(String),
}

#[cfg(test)]
mod tests;
