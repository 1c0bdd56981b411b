//! `rollback [--run N] [--kind K,…] [--ids FILE] [--dry-run] [--yes]`: undo what the migration
//! created, from the ledger (see `migration_core::rollback`).

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::ledger::{Ledger, RunId};
use migration_core::progress::ProgressSender;
use migration_core::rollback::{RollbackScope, RollbackSummary, plan};

use super::app::App;
use super::exit::{CliError, Exit, from_exec};
use super::outputs::Summary;
use super::prepare::print_written;
use super::report::write_ledger_outputs;
use super::run::open_ledger;

/// Above this many objects a rollback asks for confirmation (or needs `--yes`).
pub const CONFIRM_THRESHOLD: usize = 100;

/// The options of `rollback`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RollbackArgs {
    /// Only the objects this run created (see `status` for run numbers).
    #[arg(long, conflicts_with_all = ["kind", "ids"])]
    pub run: Option<i64>,
    /// Only these kinds, comma-separated (e.g. `tickets,contacts`; singular or plural).
    #[arg(long, value_delimiter = ',', conflicts_with = "ids")]
    pub kind: Vec<String>,
    /// Only these Glassix ids: a file with one id per line.
    #[arg(long)]
    pub ids: Option<PathBuf>,
    /// List what would be deleted, archived or left, and the calls, without writing anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (needed off a terminal for everything or more than
    /// 100 objects).
    #[arg(long)]
    pub yes: bool,
}

/// The scope the options name.
fn scope(args: &RollbackArgs) -> Result<RollbackScope, CliError> {
    if let Some(run) = args.run {
        return Ok(RollbackScope::Run(RunId(run)));
    }
    if !args.kind.is_empty() {
        let kinds = args
            .kind
            .iter()
            .map(|k| parse_kind(k))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(RollbackScope::Kinds(kinds));
    }
    if let Some(path) = &args.ids {
        let text = std::fs::read_to_string(path).map_err(|e| CliError::io(path, e))?;
        let ids: BTreeSet<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        if ids.is_empty() {
            return Err(CliError::config(format!(
                "--ids {}: the file names no id (one Glassix id per line)",
                path.display()
            )));
        }
        return Ok(RollbackScope::Ids(ids));
    }
    Ok(RollbackScope::All)
}

fn parse_kind(k: &str) -> Result<ObjectKind, CliError> {
    let k = k.trim().to_lowercase().replace('-', "_");
    let singular = k.strip_suffix('s').unwrap_or(&k);
    ObjectKind::BUILT_IN
        .iter()
        .find(|b| b.as_str() == k || b.as_str() == singular)
        .cloned()
        .ok_or_else(|| {
            CliError::config(format!(
                "--kind {k}: unknown kind; use one of {}",
                ObjectKind::BUILT_IN
                    .iter()
                    .map(ObjectKind::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// Asks on a terminal; refuses off one without `--yes`.
fn confirm(app: &App, what: &str, yes: bool) -> Result<bool, CliError> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::config(format!(
            "rollback of {what}: pass --yes to confirm (standard input is not a terminal)"
        )));
    }
    app.console
        .line(format!("Roll back {what}? Type `yes` to confirm: "));
    std::io::stdout()
        .flush()
        .map_err(|e| CliError::failure(format!("stdout: {e}")))?;
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::failure(format!("reading the confirmation: {e}")))?;
    Ok(answer.trim() == "yes")
}

/// `rollback`. Exit codes: 0 done (or dry run), 2 configuration (unknown kind, refused
/// confirmation off a terminal, another workspace), 5 some calls failed (run again), 1 other
/// failures.
pub async fn rollback(app: &App, args: &RollbackArgs) -> Result<Exit, CliError> {
    let c = &app.console;
    let scope = scope(args)?;
    let ledger = Arc::new(open_ledger(app, false)?);
    let items = plan(&ledger, &scope).map_err(from_exec)?;
    // An interrupted rollback whose last objects were done still has to be finished.
    let unfinished = migration_core::rollback::unfinished(&ledger)
        .map_err(from_exec)?
        .is_some();
    if items.is_empty() && !unfinished {
        c.line(
            "Nothing to roll back: the ledger lists no object the migration created or changed \
             in this scope.",
        );
        return Ok(Exit::Success);
    }
    if !args.dry_run && (scope.is_everything() || items.len() > CONFIRM_THRESHOLD) {
        let what = if scope.is_everything() {
            format!(
                "everything this migration created ({} objects)",
                items.len()
            )
        } else {
            format!("{} objects", items.len())
        };
        if !confirm(app, &what, args.yes)? {
            c.line("Not confirmed: nothing was rolled back.");
            return Ok(Exit::Success);
        }
    }
    let spec = app.spec()?;
    let clients = app.clients()?;
    let m = app.migration_with(&clients, spec, ledger.clone(), args.dry_run, None)?;
    c.line(if args.dry_run {
        format!(
            "Dry run: {} objects in scope; nothing is sent to Intercom.",
            items.len()
        )
    } else {
        format!(
            "Rolling back {} objects (interrupting is safe: run `rollback` again)…",
            items.len()
        )
    });
    let (progress, rx) = ProgressSender::channel(4096);
    let render = tokio::spawn(app.console.clone().render(rx));
    let result = m.rollback(&scope, progress).await;
    drop(m);
    app.finish_render(render).await;
    let summary = result.map_err(from_exec)?;
    write_summary(app, &ledger, &summary)?;
    c.line(summary_line(&summary));
    Ok(if summary.failed() > 0 {
        Exit::Partial
    } else {
        Exit::Success
    })
}

/// The rollback's summary in the output folder (read by `report` for report.html).
pub const ROLLBACK_SUMMARY_JSON: &str = "rollback-summary.json";

/// Writes `rollback-summary.md` and `.json` into the output folder and, after a rollback that
/// changed something, refreshes `report.html` and the other ledger reports.
fn write_summary(app: &App, ledger: &Ledger, summary: &RollbackSummary) -> Result<(), CliError> {
    let mut out = app.out()?;
    out.write("rollback-summary.md", &summary.to_markdown())?;
    out.write_json(ROLLBACK_SUMMARY_JSON, summary)?;
    if !summary.dry_run {
        if let Some(s) = Summary::from_ledger(ledger, false)? {
            write_ledger_outputs(app, &mut out, ledger, &s)?;
        }
    }
    print_written(app, &out);
    Ok(())
}

/// The one-line summary printed at the end.
pub fn summary_line(s: &RollbackSummary) -> String {
    let t = s.totals();
    let verb = if s.dry_run { "would be " } else { "" };
    format!(
        "Rollback{}: {} {verb}deleted, {} {verb}archived, {} {verb}restored, {} already gone, {} \
         {verb}left for the admin, {} failed; {} Intercom write calls{}; {:.1} s.",
        if s.dry_run { " (dry run)" } else { "" },
        t.deleted,
        t.archived,
        t.restored,
        t.already_gone,
        t.left,
        t.failed,
        s.calls,
        if s.dry_run { " would be sent" } else { "" },
        s.elapsed_ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_parsed_singular_or_plural() {
        assert_eq!(parse_kind("tickets").ok(), Some(ObjectKind::Ticket));
        assert_eq!(parse_kind("contact").ok(), Some(ObjectKind::Contact));
        assert_eq!(
            parse_kind("data-attributes").ok(),
            Some(ObjectKind::DataAttribute)
        );
        assert!(parse_kind("widgets").is_err());
    }
}
