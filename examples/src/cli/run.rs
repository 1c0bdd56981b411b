//! The command that moves records: `migrate` (`status` and `report` are in [`super::status`]
//! and [`super::report`]).

use std::fmt::Write as _;
use std::sync::Arc;

use migration_core::execute::{DryRunReport, RunResult};
use migration_core::ledger::{Ledger, RunStatus};
use migration_core::progress::ProgressSender;

use super::app::App;
use super::app::read_discovery;
use super::exit::{CliError, Exit, StopListener, from_core, from_exec};
use super::outputs::{OutDir, OutcomeExit, Summary, names};
use super::prepare::print_written;
use super::report::{record_outcome, write_run_outputs};

/// How a `migrate` ended.
#[derive(Debug, Clone)]
pub struct MigrateOutcome {
    /// The exit code it maps to.
    pub exit: Exit,
    /// The summary (none for a dry run).
    pub summary: Option<Summary>,
}

/// `migrate [--dry-run]`.
///
/// Before anything is read, a preflight checks both services, every department's credentials,
/// the ledger and the output folder ([`App::preflight`]). SIGINT (Ctrl-C) or SIGTERM then stops
/// the run cleanly: it is recorded as interrupted, the outputs and the summary are written, and
/// the command returns [`Exit::Partial`]; running it again resumes. A second signal exits at
/// once (130 or 143).
pub async fn migrate(app: &App, dry_run: bool) -> Result<MigrateOutcome, CliError> {
    let spec = app.spec()?;
    if !dry_run {
        spec.require_confirmed()
            .map_err(|e| CliError::config(format!("{}: {e}", app.config.paths.spec.display())))?;
    }
    let mut out = app.out()?;
    let clients = app.clients()?;
    let c = &app.console;
    // From here on SIGINT and SIGTERM are the listener's: the first stops cleanly, a second
    // exits at once.
    let mut stop = StopListener::install(c.clone())?;
    let ledger_path = (!dry_run).then_some(app.config.paths.ledger.as_path());
    tokio::select! {
        checked = app.preflight(&clients, ledger_path) => checked?,
        signal = stop.requested() => {
            c.line(format!(
                "Interrupted by {} during the preflight: nothing was read or written; run \
                 `migrate` again to start.",
                signal.name()
            ));
            return Ok(MigrateOutcome {
                exit: Exit::Partial,
                summary: None,
            });
        }
    }
    let ledger = if dry_run {
        Ledger::open_in_memory().map_err(from_core)?
    } else {
        open_ledger(app, true)?
    };
    let ledger = Arc::new(ledger);
    let expected = saved_ticket_total(&out);
    let m = app.migration_with(&clients, spec, ledger.clone(), dry_run, expected)?;
    c.line(if dry_run {
        "Dry run: mapping everything, writing nothing to Intercom."
    } else {
        "Migrating (Ctrl-C or SIGTERM stops cleanly; running `migrate` again resumes)…"
    });
    let (progress, rx) = ProgressSender::channel(4096);
    let render = tokio::spawn(app.console.clone().render(rx));
    let result = tokio::select! {
        r = m.run(progress) => Ok(r),
        signal = stop.requested() => Err(signal),
    };
    drop(m);
    app.finish_render(render).await;
    match result {
        Err(signal) => {
            c.line(format!(
                "Interrupted by {}: saving where the run stands…",
                signal.name()
            ));
            mark_interrupted(&ledger)?;
            let summary = Summary::from_ledger(&ledger, true)?;
            if let Some(s) = &summary {
                if !dry_run {
                    write_run_outputs(app, &mut out, &ledger, s).await?;
                }
                c.line(s.table());
                for n in &s.next {
                    c.line(n);
                }
            }
            print_written(app, &out);
            Ok(MigrateOutcome {
                exit: Exit::Partial,
                summary,
            })
        }
        Ok(Err(e)) => Err(from_exec(e)),
        Ok(Ok(result)) if dry_run => {
            write_dry_run(&mut out, &result)?;
            let queue = result
                .dry
                .as_ref()
                .map(|d| d.queue.clone())
                .unwrap_or_default();
            let s = Summary::from_run(&result, &queue);
            c.line(s.table());
            print_written(app, &out);
            c.line("Next: if this looks right, `glassix-to-intercom migrate`.");
            Ok(MigrateOutcome {
                exit: Exit::Success,
                summary: None,
            })
        }
        Ok(Ok(result)) => {
            let queue = ledger.queue_entries().map_err(from_core)?;
            let s = Summary::from_run(&result, &queue);
            record_outcome(&ledger, &s)?;
            write_run_outputs(app, &mut out, &ledger, &s).await?;
            c.line("");
            c.line(s.table());
            if !result.adopted.is_empty() {
                c.line(format!(
                    "Adopted from Intercom (made by an earlier run this ledger did not know, not \
                     created again): {}.",
                    per_kind(&result.adopted)
                ));
            }
            for n in &s.next {
                c.line(n);
            }
            print_written(app, &out);
            Ok(MigrateOutcome {
                exit: s.outcome.exit(),
                summary: Some(s),
            })
        }
    }
}

fn write_dry_run(out: &mut OutDir, result: &RunResult) -> Result<(), CliError> {
    let report = result.dry.clone().unwrap_or_default();
    out.write_json(names::DRY_RUN_JSON, &report)?;
    out.write(names::DRY_RUN_MD, &dry_run_markdown(&report))?;
    out.write_queue_to(names::DRY_RUN_QUEUE_CSV, &report.queue)?;
    Ok(())
}

fn dry_run_markdown(r: &DryRunReport) -> String {
    let mut out = String::from(
        "# Dry run\n\nNothing was written to Intercom. What a migration would do:\n\n\
         | Object | Source | Would migrate | Would queue | Would skip | Would fail |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for (k, c) in &r.counts {
        let _ = writeln!(
            out,
            "| {k} | {} | {} | {} | {} | {} |",
            c.source, c.migrated, c.queued, c.skipped, c.failed
        );
    }
    out.push_str("\n## Write calls that would be sent\n\n| Object | Calls |\n|---|---:|\n");
    for (k, n) in &r.would_write {
        let _ = writeln!(out, "| {k} | {n} |");
    }
    let _ = writeln!(
        out,
        "\n{} sample request(s), exactly as they would be sent, are in `dry-run.json`.",
        r.sample.len()
    );
    out
}

/// `recover`: rebuild a lost ledger from Intercom (`Migration::recover`). Needs a new, empty
/// ledger file at `paths.ledger`; creates nothing in Intercom; lists the Intercom tickets or
/// conversations carrying a Glassix id that it could not attribute (`out/unattributed.json`).
pub async fn recover(app: &App) -> Result<Exit, CliError> {
    let spec = app.spec()?;
    spec.require_confirmed()
        .map_err(|e| CliError::config(format!("{}: {e}", app.config.paths.spec.display())))?;
    let mut out = app.out()?;
    let clients = app.clients()?;
    let c = &app.console;
    app.preflight(&clients, Some(app.config.paths.ledger.as_path()))
        .await?;
    let ledger = Arc::new(open_ledger(app, true)?);
    let expected = saved_ticket_total(&out);
    let m = app.migration_with(&clients, spec, ledger.clone(), false, expected)?;
    c.line("Recovering the ledger from Intercom: every record is looked up; nothing is created…");
    let (progress, rx) = ProgressSender::channel(4096);
    let render = tokio::spawn(app.console.clone().render(rx));
    let recovered = m.recover(progress).await;
    drop(m);
    app.finish_render(render).await;
    let (result, unattributed) = recovered.map_err(from_exec)?;
    let queue = ledger.queue_entries().map_err(from_core)?;
    let s = Summary::from_run(&result, &queue);
    record_outcome(&ledger, &s)?;
    write_run_outputs(app, &mut out, &ledger, &s).await?;
    c.line("");
    c.line(s.table());
    c.line(format!(
        "Found in Intercom and adopted: {}.",
        if result.adopted.is_empty() {
            "nothing".to_owned()
        } else {
            per_kind(&result.adopted)
        }
    ));
    let missing: u64 = result.this_run.values().map(|c| c.skipped).sum();
    c.line(format!(
        "Not found in Intercom (or skipped by a rule): {missing} record(s); `migrate` creates \
         the missing ones, looking each up first until a `migrate` succeeds."
    ));
    let json = serde_json::to_string_pretty(&unattributed)
        .map_err(|e| CliError::failure(format!("writing unattributed.json: {e}")))?;
    out.write("unattributed.json", &json)?;
    if unattributed.is_empty() {
        c.line("Every Intercom ticket or conversation with a Glassix id is attributed.");
    } else {
        c.line(format!(
            "{} Intercom ticket(s) or conversation(s) carry a Glassix id the ledger does not map \
             to them (made by something else, or another run): see out/unattributed.json.",
            unattributed.len()
        ));
    }
    print_written(app, &out);
    Ok(s.outcome.exit())
}

/// `12 contact, 40 ticket`: counts per kind for a sentence.
fn per_kind(counts: &std::collections::BTreeMap<migration_core::ObjectKind, u64>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ledger of the configuration; `create` false refuses a missing one.
pub(crate) fn open_ledger(app: &App, create: bool) -> Result<Ledger, CliError> {
    let path = &app.config.paths.ledger;
    if !create && !path.exists() {
        return Err(CliError::config(format!(
            "paths.ledger: {} does not exist: run `glassix-to-intercom migrate` first (the \
             ledger is written by the migration)",
            path.display()
        )));
    }
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
        }
    }
    Ledger::open(path).map_err(|e| {
        CliError::failure(format!(
            "{}: {e}. Is another migration running on this ledger?",
            path.display()
        ))
    })
}

/// Marks the run left `running` by a dropped run as interrupted, with the ledger's counts.
fn mark_interrupted(ledger: &Ledger) -> Result<(), CliError> {
    let runs = ledger.runs().map_err(from_core)?;
    if let Some(run) = runs.iter().rev().find(|r| r.status == RunStatus::Running) {
        let counts = ledger.counts_by_kind().map_err(from_core)?;
        ledger
            .finish_run(run.id, RunStatus::Interrupted, &counts)
            .map_err(from_core)?;
    }
    Ok(())
}

fn saved_ticket_total(out: &OutDir) -> Option<u64> {
    read_discovery(&out.path(names::DISCOVERY_JSON)).map(|d| d.tickets.total)
}
