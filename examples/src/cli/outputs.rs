//! The files the CLI writes in the output folder, and the run summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use migration_core::ObjectKind;
use migration_core::accounting::RunCounts;
use migration_core::execute::{RunResult, StepCounts};
use migration_core::ledger::{Ledger, QueueEntry, RunStatus};
use migration_core::map::ReasonCode;
use serde::{Deserialize, Serialize};

use super::console::Console;
use super::exit::{CliError, Exit, from_core};

/// File names in the output folder.
pub mod names {
    /// Discovery, machine-readable.
    pub const DISCOVERY_JSON: &str = "discovery.json";
    /// Discovery, for people.
    pub const DISCOVERY_MD: &str = "discovery.md";
    /// The drafted mapping spec.
    pub const PROPOSED_SPEC: &str = "mapping.proposed.toml";
    /// The plan with its estimate, machine-readable.
    pub const PLAN_JSON: &str = "plan.json";
    /// The plan, for people.
    pub const PLAN_MD: &str = "plan.md";
    /// Records waiting for a person.
    pub const QUEUE_CSV: &str = "reconciliation-queue.csv";
    /// What a dry run would queue: the same columns, marked dry by its name.
    pub const DRY_RUN_QUEUE_CSV: &str = "reconciliation-queue.dry-run.csv";
    /// Teammates and teams to create in Intercom, checklist.
    pub const PROVISIONING_MD: &str = "provisioning.md";
    /// Teammates and teams to create in Intercom, machine-readable.
    pub const PROVISIONING_JSON: &str = "provisioning.json";
    /// Chatbots, workflows and canned replies to rebuild by hand.
    pub const INVENTORY_MD: &str = "inventory.md";
    /// The run summary, machine-readable.
    pub const SUMMARY_JSON: &str = "run-summary.json";
    /// The run summary, for people.
    pub const SUMMARY_MD: &str = "run-summary.md";
    /// What a dry run would write, machine-readable.
    pub const DRY_RUN_JSON: &str = "dry-run.json";
    /// What a dry run would write, for people.
    pub const DRY_RUN_MD: &str = "dry-run.md";
    /// The whole report for people: one self-contained HTML page.
    pub const REPORT_HTML: &str = "report.html";
    /// How to rebuild Glassix's reports in Intercom from the migrated attributes.
    pub const REPORTS_REBUILD_MD: &str = "reports-rebuild.md";
}

/// Writes files into the output folder, scrubbing secrets, and remembers what it wrote.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    console: Console,
    written: Vec<PathBuf>,
}

impl OutDir {
    /// The folder (created when missing).
    pub fn create(dir: &Path, console: &Console) -> Result<Self, CliError> {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
        Ok(OutDir {
            dir: dir.to_owned(),
            console: console.clone(),
            written: Vec::new(),
        })
    }

    /// The path of `name` in the folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `text` to `name`.
    pub fn write(&mut self, name: &str, text: &str) -> Result<PathBuf, CliError> {
        let path = self.path(name);
        write_file(&path, &self.console.scrub(text))?;
        self.written.push(path.clone());
        Ok(path)
    }

    /// Writes `value` as pretty JSON to `name`.
    pub fn write_json(&mut self, name: &str, value: &impl Serialize) -> Result<PathBuf, CliError> {
        let text = serde_json::to_string_pretty(value)
            .map_err(|e| CliError::failure(format!("rendering {name}: {e}")))?;
        self.write(name, &format!("{text}\n"))
    }

    /// Writes the reconciliation queue as CSV.
    pub fn write_queue(&mut self, entries: &[QueueEntry]) -> Result<PathBuf, CliError> {
        self.write_queue_to(names::QUEUE_CSV, entries)
    }

    /// Writes a reconciliation queue as CSV to `name` (a dry run's goes to
    /// [`names::DRY_RUN_QUEUE_CSV`], beside the live one, never over it).
    pub fn write_queue_to(
        &mut self,
        name: &str,
        entries: &[QueueEntry],
    ) -> Result<PathBuf, CliError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let header = [
            "kind",
            "source_id",
            "reason",
            "field",
            "detail",
            "run_id",
            "queued_at",
            "name",
            "identifiers",
            "glassix_id",
            "channel",
            "subject",
        ];
        let csv_err = |e: csv::Error| CliError::failure(format!("rendering the queue: {e}"));
        w.write_record(header).map_err(csv_err)?;
        for e in entries {
            // Who or what the record is, as recorded when it was queued (empty when unknown).
            let c = e.context.clone().unwrap_or_default();
            w.write_record([
                e.kind.as_str(),
                &e.source_id,
                &e.reason.code,
                e.reason.field.as_deref().unwrap_or(""),
                &e.reason.detail,
                &e.run_id.map(|r| r.0.to_string()).unwrap_or_default(),
                &e.created_at.to_rfc3339(),
                c.name.as_deref().unwrap_or(""),
                &c.identifiers_text(),
                c.glassix_id.as_deref().unwrap_or(""),
                c.channel.as_deref().unwrap_or(""),
                c.subject.as_deref().unwrap_or(""),
            ])
            .map_err(csv_err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| CliError::failure(format!("rendering the queue: {e}")))?;
        self.write(name, &String::from_utf8_lossy(&bytes))
    }

    /// Everything written so far, in order.
    pub fn written(&self) -> &[PathBuf] {
        &self.written
    }
}

/// Writes a file, creating its folder.
pub fn write_file(path: &Path, text: &str) -> Result<(), CliError> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
        }
    }
    std::fs::write(path, text).map_err(|e| CliError::io(path, e))
}

/// One row of the summary table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRow {
    /// Object kind.
    pub kind: String,
    /// Source records.
    pub source: u64,
    /// Migrated (created, updated or already there).
    pub migrated: u64,
    /// Queued with a reason.
    pub queued: u64,
    /// Skipped by a rule.
    pub skipped: u64,
    /// Failed.
    pub failed: u64,
    /// Not finished: `source − (migrated + queued + skipped + failed)`, e.g. records a stopped
    /// run left half-done. The next `migrate` finishes them.
    #[serde(default)]
    pub unfinished: u64,
}

/// The run summary (`run-summary.json`, `run-summary.md`, and the table on screen).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Ledger run id.
    pub run_id: i64,
    /// `migrate` or `dry_run`.
    pub mode: String,
    /// How the run ended.
    pub outcome: RunOutcome,
    /// Seconds the run took (none when rebuilt from the ledger).
    pub elapsed_seconds: Option<f64>,
    /// Intercom write calls of this run (none when rebuilt from the ledger).
    pub intercom_writes: Option<u64>,
    /// Where every source record stands, per object kind.
    pub objects: Vec<ObjectRow>,
    /// Queued records per reason code.
    pub queued_by_reason: BTreeMap<String, u64>,
    /// Whether `source = migrated + queued + skipped + failed` for every kind.
    pub balanced: bool,
    /// What to do next.
    pub next: Vec<String>,
    /// The plan's steps as this run ran them, with the records each counted (the same step
    /// identifiers as `plan` and the progress lines; empty when rebuilt from the ledger).
    #[serde(default)]
    pub steps: Vec<StepCounts>,
    /// For a `delta`: the cutover section (new, updated by what changed, unchanged, the
    /// watermarks, tickets that changed while it ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutover: Option<migration_core::execute::CutoverReport>,
    /// The clients' waits before sending calls again during the run (429s, server and
    /// transport errors); none when no call was sent again, or when rebuilt from the ledger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<migration_core::migration::RetryWaits>,
}

/// How a run ended, as the summary states it and the ledger records it
/// (`Ledger::set_run_outcome`); [`OutcomeExit::exit`] gives the exit code it maps to.
pub use migration_core::ledger::RunOutcome;

/// The exit code of the command whose run ended with an outcome.
pub trait OutcomeExit {
    /// The exit code of the command that ran it.
    fn exit(self) -> Exit;
}

impl OutcomeExit for RunOutcome {
    fn exit(self) -> Exit {
        match self {
            RunOutcome::Succeeded => Exit::Success,
            RunOutcome::BlockedOnProvisioning => Exit::BlockedOnProvisioning,
            RunOutcome::Partial | RunOutcome::Interrupted => Exit::Partial,
            RunOutcome::Failed => Exit::Failure,
        }
    }
}

/// Whether a queue reason code waits for a person to create an Intercom teammate or team.
fn waits_for_provisioning(code: &str) -> bool {
    [ReasonCode::UnmatchedAgent, ReasonCode::UnmatchedDepartment]
        .iter()
        .any(|r| r.as_str() == code)
}

impl Summary {
    /// From a finished run and the ledger's queue.
    pub fn from_run(result: &RunResult, queue: &[QueueEntry]) -> Self {
        let summary = Summary::build(
            result.run_id.0,
            if result.dry_run {
                "dry_run"
            } else if result.cutover.is_some() {
                "delta"
            } else {
                "migrate"
            },
            &result.counts,
            queue,
            Some(result.elapsed.as_secs_f64()),
            Some(result.intercom_writes),
            result.is_balanced(),
            false,
        );
        Summary {
            steps: result.steps.clone(),
            cutover: result.cutover.clone(),
            retries: Some(result.retries).filter(|r| !r.is_empty()),
            ..summary
        }
    }

    /// From the ledger alone (`status`, `report`, or after an interruption).
    pub fn from_ledger(ledger: &Ledger, interrupted: bool) -> Result<Option<Self>, CliError> {
        let runs = ledger.runs().map_err(from_core)?;
        let Some(run) = runs
            .iter()
            .rev()
            .find(|r| matches!(r.mode.as_str(), "migrate" | "delta"))
            .or_else(|| runs.last())
        else {
            return Ok(None);
        };
        let recorded: Option<BTreeMap<ObjectKind, RunCounts>> = run
            .counts
            .clone()
            .and_then(|c| serde_json::from_value(c).ok())
            .filter(|c: &BTreeMap<ObjectKind, RunCounts>| !c.is_empty());
        let counts = match recorded {
            Some(c) if run.status == RunStatus::Succeeded || run.status == RunStatus::Failed => c,
            _ => ledger
                .counts_by_kind()
                .map_err(from_core)?
                .into_iter()
                // Records a stopped run left half-done (`intent`, `pending`) are in none of
                // the columns: the row shows them as unfinished.
                .map(|(k, s)| (k, RunCounts::from_status(&s)))
                .collect(),
        };
        let queue = ledger.queue_entries().map_err(from_core)?;
        let balanced = counts.values().all(RunCounts::is_balanced);
        let interrupted =
            interrupted || matches!(run.status, RunStatus::Running | RunStatus::Interrupted);
        let mut summary = Summary::build(
            run.id.0,
            run.mode.as_str(),
            &counts,
            &queue,
            None,
            None,
            balanced,
            interrupted,
        );
        // The outcome the command exited with, when it recorded one, is the one shown.
        if let (Some(recorded), false) = (run.outcome, interrupted) {
            summary.outcome = recorded;
        }
        summary.cutover =
            migration_core::execute::CutoverReport::of_run(ledger, run.id).map_err(from_core)?;
        Ok(Some(summary))
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        run_id: i64,
        mode: &str,
        counts: &BTreeMap<ObjectKind, RunCounts>,
        queue: &[QueueEntry],
        elapsed_seconds: Option<f64>,
        intercom_writes: Option<u64>,
        balanced: bool,
        interrupted: bool,
    ) -> Self {
        let objects: Vec<ObjectRow> = counts
            .iter()
            .map(|(k, c)| ObjectRow {
                kind: k.as_str().to_owned(),
                source: c.source,
                migrated: c.migrated,
                queued: c.queued,
                skipped: c.skipped,
                failed: c.failed,
                unfinished: c.source.saturating_sub(c.accounted()),
            })
            .collect();
        let mut queued_by_reason = BTreeMap::new();
        for e in queue {
            *queued_by_reason
                .entry(e.reason.code.clone())
                .or_insert(0u64) += 1;
        }
        let failed: u64 = objects.iter().map(|o| o.failed).sum();
        let unfinished: u64 = objects.iter().map(|o| o.unfinished).sum();
        let provisioning: u64 = queued_by_reason
            .iter()
            .filter(|(code, _)| waits_for_provisioning(code))
            .map(|(_, n)| n)
            .sum();
        let mut next = Vec::new();
        let outcome = if interrupted {
            next.push("The run was interrupted: run `migrate` again to resume (nothing is created twice).".to_owned());
            RunOutcome::Interrupted
        } else if failed > 0 || unfinished > 0 || !balanced {
            if failed > 0 {
                next.push(format!(
                    "{failed} record(s) failed: see the errors above and the ledger; run \
                     `migrate` again to retry them."
                ));
            }
            if unfinished > 0 || (failed == 0 && !balanced) {
                next.push(format!(
                    "{unfinished} record(s) were left unfinished (a create whose answer did \
                     not come back, or a step that stopped): run `migrate` again to finish them."
                ));
            }
            RunOutcome::Partial
        } else if provisioning > 0 && (mode == "migrate" || mode == "delta") {
            next.push(format!(
                "{provisioning} record(s) wait for teammates or teams: create those in \
                 `provisioning.md` in Intercom (or set fallbacks in the spec), then run \
                 `migrate` again."
            ));
            RunOutcome::BlockedOnProvisioning
        } else {
            RunOutcome::Succeeded
        };
        let other_queued = queue.len() as u64 - provisioning;
        if other_queued > 0 {
            next.push(format!(
                "{other_queued} record(s) are in the reconciliation queue for data reasons: \
                 see `reconciliation-queue.csv` (each row says what to fix), then run \
                 `migrate` again."
            ));
        }
        Summary {
            run_id,
            mode: mode.to_owned(),
            outcome,
            elapsed_seconds,
            intercom_writes,
            objects,
            queued_by_reason,
            balanced,
            next,
            steps: Vec::new(),
            cutover: None,
            retries: None,
        }
    }

    /// One sentence on the calls sent again after faults, when there were any.
    pub fn retry_line(&self) -> Option<String> {
        let r = self.retries.filter(|r| !r.is_empty())?;
        Some(format!(
            "Calls sent again after a 429, a server or a transport error: Intercom {} ({:.1} s of \
             waits), Glassix {} ({:.1} s of waits). Calls in flight wait side by side, so these \
             seconds add up every wait and are not all time the run lost.",
            r.intercom_retries, r.intercom_waited_secs, r.glassix_retries, r.glassix_waited_secs
        ))
    }

    /// The summary table, in plain text for the terminal.
    pub fn table(&self) -> String {
        let extra = self.objects.iter().any(|o| o.unfinished > 0);
        let mut out = format!(
            "{:<24} {:>8} {:>9} {:>7} {:>8} {:>7}",
            "object", "source", "migrated", "queued", "skipped", "failed"
        );
        if extra {
            out.push_str(&format!(" {:>10}", "unfinished"));
        }
        out.push('\n');
        for o in &self.objects {
            let _ = write!(
                out,
                "{:<24} {:>8} {:>9} {:>7} {:>8} {:>7}",
                o.kind, o.source, o.migrated, o.queued, o.skipped, o.failed
            );
            if extra {
                let _ = write!(out, " {:>10}", o.unfinished);
            }
            out.push('\n');
        }
        if let Some(line) = self.retry_line() {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }

    /// The summary as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Run {} ({}): {}\n\n",
            self.run_id,
            self.mode,
            self.outcome.as_str()
        );
        if let Some(s) = self.elapsed_seconds {
            let _ = write!(out, "Took {s:.1} s");
            if let Some(w) = self.intercom_writes {
                let _ = write!(out, ", {w} Intercom write calls");
            }
            out.push_str(".\n\n");
        }
        if let Some(line) = self.retry_line() {
            out.push_str(&line);
            out.push_str("\n\n");
        }
        out.push_str("| Object | Source | Migrated | Queued | Skipped | Failed | Unfinished |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for o in &self.objects {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                o.kind, o.source, o.migrated, o.queued, o.skipped, o.failed, o.unfinished
            );
        }
        let _ = writeln!(
            out,
            "\nEvery source record is accounted for (source = migrated + queued + skipped + failed): **{}**.",
            if self.balanced { "yes" } else { "no" }
        );
        if !self.steps.is_empty() {
            out.push_str(
                "\n## Steps, in the order they ran\n\n| Step | Records | Migrated | Queued | Skipped | Failed |\n|---|---:|---:|---:|---:|---:|\n",
            );
            for st in &self.steps {
                let c = &st.counts;
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {} |",
                    st.step, c.source, c.migrated, c.queued, c.skipped, c.failed
                );
            }
        }
        if !self.queued_by_reason.is_empty() {
            out.push_str("\n## Queued, by reason\n\n| Reason | Records |\n|---|---:|\n");
            for (r, n) in &self.queued_by_reason {
                let _ = writeln!(out, "| `{r}` | {n} |");
            }
        }
        if let Some(c) = &self.cutover {
            out.push_str(&super::delta::cutover_markdown(c));
        }
        if !self.next.is_empty() {
            out.push_str("\n## Next\n\n");
            for n in &self.next {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }
}
