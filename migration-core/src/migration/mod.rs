//! The library's entry point: a configured [`Migration`] (clients, spec, ledger, mappers) that
//! discovers, plans and runs. Its steps are run by [`crate::execute`].
//!
//! ```no_run
//! # async fn demo(
//! #     glassix: glassix_client::Client,
//! #     intercom: intercom_client::Client,
//! #     spec: migration_core::spec::MappingSpec,
//! # ) -> Result<(), migration_core::execute::ExecError> {
//! use std::sync::Arc;
//! use migration_core::Migration;
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
//! let plan = migration.plan(&discovery)?;
//! println!("{}", plan.report(&Default::default())?.to_markdown());
//! let (progress, _events) = ProgressSender::channel(1024);
//! let result = migration.run_plan(&plan, progress).await?;
//! assert!(result.is_balanced());
//! # Ok(()) }
//! ```

mod delta;
mod result;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

pub use delta::{CutoverReport, DEFAULT_DELTA_MARGIN, LAST_CUTOVER};
pub use result::{RetryWaits, RunResult};

use crate::accounting::Accounting;
use crate::execute::writer::Writer;
use crate::execute::{self, ExecError, ExecResult, RunInputs, Window};
use crate::ledger::{Ledger, RunMode, RunStatus};
use crate::map::{Department, Mappers};
use crate::plan::{Plan, StepId, standard_steps_for};
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
    pub(crate) first_tickets: Vec<crate::discover::LongTicket>,
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
    first_tickets: Vec<crate::discover::LongTicket>,
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

    /// Tickets to start before the listing reaches them (e.g.
    /// [`crate::discover::Discovery::first_tickets`]): a long ticket's parts go one after
    /// another, so started at its place in the listing it may end the run alone. Ignored by a
    /// delta; a ticket no longer in its department is left to the listing.
    pub fn first_tickets(
        mut self,
        tickets: impl IntoIterator<Item = crate::discover::LongTicket>,
    ) -> Self {
        self.first_tickets.extend(tickets);
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
            first_tickets: self.first_tickets,
        })
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

    /// The standard plan for this spec, with the tickets expected (if given to the builder) as
    /// the tickets step's records. [`Migration::plan`] gives one with every count from a
    /// discovery.
    pub fn default_plan(&self) -> crate::Result<Plan> {
        let mut plan = Plan::new(standard_steps_for(self.spec.objects.tickets))?;
        if let (Some(n), Some(step)) = (
            self.expected_tickets,
            plan.step_mut(StepId::Tickets.as_str()),
        ) {
            step.records = n;
        }
        Ok(plan)
    }

    /// Runs the migration (or the dry run) to the end with [`Migration::default_plan`] and
    /// returns its counts. See [`Migration::run_plan`].
    pub async fn run(&self, progress: ProgressSender) -> ExecResult<RunResult> {
        let plan = self.default_plan()?;
        self.run_plan(&plan, progress).await
    }

    /// Runs `plan`'s steps in order and returns the counts. Refuses to move a record unless the
    /// spec is confirmed; a dry run needs no confirmation. The run can be dropped at any point
    /// and run again: creates are recorded as intents first and settled by look-up, so nothing
    /// is created twice.
    ///
    /// A dry run sends no write: its writer records what would be sent, and its objects are
    /// recorded in a scratch ledger (this migration's ledger only gets the run's row).
    pub async fn run_plan(&self, plan: &Plan, progress: ProgressSender) -> ExecResult<RunResult> {
        self.execute(plan, progress, false, None).await
    }

    /// Rebuilds this migration's ledger from what Intercom holds, after the ledger was lost:
    /// every record is looked up (contacts by external id, e-mail or `glassix_original_id`;
    /// tickets and conversations by `glassix_ticket_id`; parts by reading their object back;
    /// collections and articles by name) and what is found is adopted. **Nothing is created**: a
    /// record not found is skipped as `not_in_intercom`, and the next `migrate` creates it (still
    /// looking each create up first, until a `migrate` succeeds). Finishing writes of adopted
    /// records (state, assignment, tags) are idempotent and are sent, so that the next `migrate`
    /// of an unchanged workspace writes nothing.
    ///
    /// Refuses a ledger that already holds records. Returns the run's result and the Intercom
    /// tickets or conversations that carry a Glassix id the rebuilt ledger does not map to them.
    pub async fn recover(
        &self,
        progress: ProgressSender,
    ) -> ExecResult<(RunResult, Vec<execute::Unattributed>)> {
        let known: u64 = self
            .ledger
            .counts_by_kind()?
            .values()
            .map(|c| c.total())
            .sum();
        if known > 0 {
            return Err(ExecError::Config(format!(
                "`recover` rebuilds an empty ledger, and this one holds {known} records: point \
                 the ledger path at a new file (or keep this ledger and run `migrate`)"
            )));
        }
        if self.dry_run {
            return Err(ExecError::Config(
                "`recover` writes the ledger; it has no dry run".to_owned(),
            ));
        }
        let plan = self.default_plan()?;
        let result = self.execute(&plan, progress, true, None).await?;
        // Until a `migrate` succeeds after this, creates are still looked up first.
        self.ledger
            .set_watermark(crate::execute::RECOVERED, Utc::now())?;
        let unattributed = execute::unattributed(
            &self.intercom,
            &self.ledger,
            crate::execute::Target::of(&self.spec),
        )
        .await?;
        Ok((result, unattributed))
    }

    /// A ledger belongs to one Intercom workspace: the first run records the app id `GET /me`
    /// answers, and a later run whose token reaches another workspace is refused (its records,
    /// settled against the other workspace, would make this one skip or duplicate objects).
    pub(crate) async fn bind_workspace(&self) -> ExecResult<()> {
        let me = self.intercom.admins().me().await?;
        let Some(current) = me.app.and_then(|a| a.id_code).filter(|c| !c.is_empty()) else {
            tracing::warn!("Intercom's /me names no workspace: the ledger is not bound to one");
            return Ok(());
        };
        match self.ledger.meta(crate::ledger::INTERCOM_WORKSPACE)? {
            Some(bound) if bound != current => Err(ExecError::Config(format!(
                "the ledger {} belongs to Intercom workspace `{bound}`, and this token reaches \
                 `{current}`: point the ledger path at this workspace's ledger (or at a new file, \
                 whose first run adopts what this workspace holds of the migration)",
                self.ledger
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "in memory".to_owned())
            ))),
            Some(_) => Ok(()),
            None => Ok(self
                .ledger
                .set_meta(crate::ledger::INTERCOM_WORKSPACE, &current)?),
        }
    }

    async fn execute(
        &self,
        plan: &Plan,
        progress: ProgressSender,
        recovering: bool,
        delta: Option<delta::DeltaStart>,
    ) -> ExecResult<RunResult> {
        if !self.dry_run {
            // An interrupted rollback is finished before anything else writes.
            crate::rollback::require_finished(&self.ledger)?;
            self.spec.require_confirmed()?;
            self.bind_workspace().await?;
        }
        let started = tokio::time::Instant::now();
        let retries_before = (self.intercom.retry_stats(), self.glassix.stats().retries);
        let spec_hash = self.spec.hash()?;
        let mode = if self.dry_run {
            RunMode::DryRun
        } else if delta.is_some() {
            RunMode::Delta
        } else {
            RunMode::Migrate
        };
        let run = self.ledger.begin_run(mode, &spec_hash)?;
        let (writer, objects, objects_run) = if self.dry_run {
            let scratch = Arc::new(Ledger::open_in_memory()?);
            let scratch_run = scratch.begin_run(mode, &spec_hash)?;
            (Writer::dry(self.sample_size), scratch, scratch_run)
        } else {
            (
                Writer::live(self.intercom.clone()).expecting(self.ledger.clone()),
                self.ledger.clone(),
                run,
            )
        };
        let inputs = RunInputs {
            glassix: self.glassix.clone(),
            intercom: self.intercom.clone(),
            writer,
            spec: self.spec.clone(),
            objects: objects.clone(),
            mappers: self.mappers.clone(),
            run: objects_run,
            departments: self.departments.clone(),
            exports: self.exports.clone(),
            window: Window {
                since: self.since,
                until: self.until.unwrap_or_else(Utc::now),
                expected: self.expected_tickets,
                department_since: delta
                    .as_ref()
                    .map(|d| d.department_since.clone())
                    .unwrap_or_default(),
                delta: delta.is_some(),
                first: self
                    .first_tickets
                    .iter()
                    .map(|t| crate::execute::FirstTicket {
                        department: t.department_id.clone(),
                        id: t.id,
                    })
                    .collect(),
            },
            concurrency: self.concurrency,
            recovering,
        };
        let executed = match execute::run(inputs, plan, progress).await {
            Ok(x) => x,
            Err(e) => {
                if let Err(finish) =
                    self.ledger
                        .finish_run(run, RunStatus::Failed, &Accounting::new().by_kind())
                {
                    tracing::error!(
                        run = run.0,
                        "the failed run could not be recorded: {finish}"
                    );
                }
                return Err(e);
            }
        };
        let counts = Accounting::from_ledger_counts(&objects.counts_by_kind()?);
        let balanced = counts.check();
        let status = if balanced.is_ok() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        self.ledger.finish_run(run, status, counts.by_kind())?;
        let this_run = executed.this_run.by_kind().clone();
        let cutover = self.advance_watermarks(
            run,
            status,
            recovering,
            &this_run,
            &executed.delta,
            delta.as_ref(),
        )?;
        // A dry run's queue is in its scratch ledger: hand it over with the report.
        let dry_queue = if self.dry_run {
            let mut q = objects.queue_entries()?;
            q.extend(objects.field_items()?.into_iter().map(|(entry, _)| entry));
            q
        } else {
            Vec::new()
        };
        let dry = executed.dry.map(|mut d| {
            d.counts = this_run.clone();
            d.queue = dry_queue;
            d
        });
        Ok(RunResult {
            run_id: run,
            spec_hash,
            dry_run: self.dry_run,
            counts: counts.by_kind().clone(),
            this_run,
            steps: executed.steps,
            adopted: executed.adopted,
            intercom_writes: executed.writes,
            retries: RetryWaits::between(
                retries_before,
                (self.intercom.retry_stats(), self.glassix.stats().retries),
            ),
            elapsed: started.elapsed(),
            imbalance: balanced.err().map(|e| e.to_string()),
            dry,
            cutover,
        })
    }
}
