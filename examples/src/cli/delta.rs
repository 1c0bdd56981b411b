//! `delta [--until-quiet]`: only what changed in Glassix since the last completed run, from its
//! watermarks (see `Migration::delta`), with the cutover section in the run summary.

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use migration_core::execute::{CutoverReport, DEFAULT_DELTA_MARGIN, RunResult};
use migration_core::progress::ProgressSender;

use super::app::App;
use super::exit::{CliError, Exit, StopListener, from_core, from_exec};
use super::outputs::{OutcomeExit, Summary};
use super::prepare::print_written;
use super::report::{record_outcome, write_run_outputs};
use super::run::open_ledger;

/// `delta`: one delta, or with `until_quiet` up to `max_rounds` deltas until one finds nothing
/// new and nothing changed while it ran. SIGINT/SIGTERM stop it cleanly (the interrupted delta
/// does not advance the watermarks; run it again).
pub async fn delta(app: &App, until_quiet: bool, max_rounds: u32) -> Result<Exit, CliError> {
    let spec = app.spec()?;
    spec.require_confirmed()
        .map_err(|e| CliError::config(format!("{}: {e}", app.config.paths.spec.display())))?;
    let margin = match app.config.migration.delta_margin_secs {
        None => DEFAULT_DELTA_MARGIN,
        Some(s) if s >= 0 => TimeDelta::try_seconds(s).unwrap_or(DEFAULT_DELTA_MARGIN),
        Some(s) => {
            return Err(CliError::config(format!(
                "[migration] delta_margin_secs = {s}: give zero or more seconds (default 3600)"
            )));
        }
    };
    if let Some(u) = app.config.migration.until.filter(|u| *u < Utc::now()) {
        return Err(CliError::config(format!(
            "[migration] until = {u} is in the past: a delta lists up to now; remove `until` \
             from the configuration"
        )));
    }
    let mut out = app.out()?;
    let clients = app.clients()?;
    let c = &app.console;
    let mut stop = StopListener::install(c.clone())?;
    app.preflight(&clients, Some(app.config.paths.ledger.as_path()))
        .await?;
    let ledger = Arc::new(open_ledger(app, false)?);
    let rounds = if until_quiet { max_rounds.max(1) } else { 1 };
    let mut last: Option<(Summary, RunResult)> = None;
    for round in 1..=rounds {
        let m = app.migration_with(&clients, spec.clone(), ledger.clone(), false, None)?;
        c.line(format!(
            "Delta{}: listing what changed since the last completed run (margin {} s)…",
            if until_quiet {
                format!(" {round}/{rounds}")
            } else {
                String::new()
            },
            margin.num_seconds()
        ));
        let (progress, rx) = ProgressSender::channel(4096);
        let render = tokio::spawn(app.console.clone().render(rx));
        let result = tokio::select! {
            r = m.delta(margin, progress) => Ok(r),
            signal = stop.requested() => Err(signal),
        };
        drop(m);
        app.finish_render(render).await;
        let result = match result {
            Err(signal) => {
                c.line(format!(
                    "Interrupted by {}: the watermarks are not advanced; run `delta` again.",
                    signal.name()
                ));
                interrupted(&ledger)?;
                return Ok(Exit::Partial);
            }
            Ok(r) => r.map_err(from_exec)?,
        };
        let queue = ledger.queue_entries().map_err(from_core)?;
        let s = Summary::from_run(&result, &queue);
        record_outcome(&ledger, &s)?;
        let quiet = result.cutover.as_ref().is_some_and(CutoverReport::is_quiet);
        if let Some(cut) = &result.cutover {
            c.line(cutover_line(cut));
        }
        last = Some((s, result));
        if quiet || !until_quiet {
            break;
        }
    }
    let Some((s, result)) = last else {
        return Ok(Exit::Success);
    };
    write_run_outputs(app, &mut out, &ledger, &s).await?;
    c.line("");
    c.line(s.table());
    let quiet = result.cutover.as_ref().is_some_and(CutoverReport::is_quiet);
    if until_quiet && !quiet {
        c.line(format!(
            "Not quiet after {rounds} delta(s): Glassix is still changing. Freeze it (or wait) \
             and run `delta --until-quiet` again."
        ));
    }
    for n in &s.next {
        c.line(n);
    }
    print_written(app, &out);
    let exit = s.outcome.exit();
    Ok(if exit == Exit::Success && until_quiet && !quiet {
        Exit::Partial
    } else {
        exit
    })
}

/// Marks the delta left running as interrupted.
fn interrupted(ledger: &migration_core::ledger::Ledger) -> Result<(), CliError> {
    let runs = ledger.runs().map_err(from_core)?;
    if let Some(run) = runs
        .iter()
        .rev()
        .find(|r| r.status == migration_core::ledger::RunStatus::Running)
    {
        let counts = ledger.counts_by_kind().map_err(from_core)?;
        ledger
            .finish_run(
                run.id,
                migration_core::ledger::RunStatus::Interrupted,
                &counts,
            )
            .map_err(from_core)?;
    }
    Ok(())
}

/// One line for the terminal.
fn cutover_line(c: &CutoverReport) -> String {
    let mut line = format!(
        "Delta: {} ticket(s) listed ({} not read: no new activity), {} new, {} updated{}, {} \
         unchanged.",
        c.listed,
        c.not_read,
        c.created,
        c.updated,
        if c.updated_by.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                c.updated_by
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        c.unchanged
    );
    if !c.changed_during.is_empty() {
        let _ = write!(
            line,
            " {} ticket(s) changed in Glassix while it ran: run one more delta.",
            c.changed_during.len()
        );
    }
    if !c.advanced {
        line.push_str(" The watermarks were not advanced (a ticket failed): run `delta` again.");
    }
    line
}

/// The cutover section of `run-summary.md`.
pub fn cutover_markdown(c: &CutoverReport) -> String {
    let mut out = String::from("\n## Cutover (delta)\n\n");
    let _ = writeln!(
        out,
        "Listed from each department's watermark minus {} s; {} ticket(s) listed, {} not read \
         (their listing entry showed no new activity).\n",
        c.margin_secs, c.listed, c.not_read
    );
    out.push_str("| Tickets | Count |\n|---|---:|\n");
    let _ = writeln!(out, "| new | {} |", c.created);
    let _ = writeln!(out, "| updated | {} |", c.updated);
    for (k, n) in &c.updated_by {
        let _ = writeln!(out, "| updated: {k} changed | {n} |");
    }
    let _ = writeln!(out, "| unchanged | {} |", c.unchanged);
    out.push_str("\n| Object | Handled | Migrated or updated | Queued | Skipped | Failed |\n|---|---:|---:|---:|---:|---:|\n");
    for (k, r) in &c.per_kind {
        let _ = writeln!(
            out,
            "| {k} | {} | {} | {} | {} | {} |",
            r.source, r.migrated, r.queued, r.skipped, r.failed
        );
    }
    out.push_str("\n| Department | Watermark used | Watermark recorded |\n|---|---|---|\n");
    for (d, at) in &c.watermarks_used {
        let _ = writeln!(
            out,
            "| `{d}` | {} | {} |",
            at.to_rfc3339(),
            c.watermarks_recorded
                .get(d)
                .map_or_else(|| "not advanced".to_owned(), |t| t.to_rfc3339())
        );
    }
    if !c.changed_during.is_empty() {
        let _ = writeln!(
            out,
            "\n**{} ticket(s) changed in Glassix while this delta ran** (activity after its \
             listing started): they need one more delta: {}.",
            c.changed_during.len(),
            c.changed_during.join(", ")
        );
    }
    if !c.edited_messages.is_empty() {
        out.push_str(
            "\n### Messages edited in Glassix after they were migrated\n\nIntercom parts cannot \
             be changed; the Intercom copy keeps the earlier text.\n\n| Ticket | Transaction |\n|---|---|\n",
        );
        for (t, g) in &c.edited_messages {
            let _ = writeln!(out, "| {t} | `{g}` |");
        }
    }
    out
}
