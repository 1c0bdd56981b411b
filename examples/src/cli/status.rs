//! `status`: where the migration stands, from the ledger only (no network).

use chrono::{DateTime, Utc};
use migration_core::ledger::{Ledger, Run, RunStatus};
use migration_core::verify::Stamp;

use super::app::App;
use super::exit::{CliError, from_core};
use super::outputs::{Summary, names};
use super::run::open_ledger;

/// How times are shown on screen and in the reports (UTC).
pub(crate) const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S UTC";

/// One run as `status` and the report show it: its outcome as its command exited with it, and
/// a finish time that is never another run's start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLine {
    /// Run id.
    pub id: i64,
    /// `migrate`, `dry_run`, `delta` or `rollback`.
    pub mode: String,
    /// `succeeded`, `blocked`, `partial`, `interrupted`, `failed` or `running`.
    pub outcome: String,
    /// Start time.
    pub started: String,
    /// Finish time, or why it is unknown.
    pub finished: String,
}

impl RunLine {
    /// The line of `run`; reads the ledger only for a run whose end is unknown.
    pub fn of(ledger: &Ledger, run: &Run) -> Result<Self, CliError> {
        Ok(RunLine {
            id: run.id.0,
            mode: run.mode.as_str().to_owned(),
            outcome: outcome_label(run).to_owned(),
            started: time(run.started_at),
            finished: finished_text(ledger, run)?,
        })
    }
}

/// The outcome of `run` for people: the one its command recorded (e.g. `blocked` for a
/// `migrate` that exited 3), else what the run's status tells.
pub fn outcome_label(run: &Run) -> &'static str {
    match (run.outcome, run.status) {
        (Some(o), _) => o.label(),
        (None, RunStatus::Running) => "running",
        (None, RunStatus::Succeeded) => "succeeded",
        (None, RunStatus::Failed) => "failed",
        (None, RunStatus::Interrupted) => "interrupted",
    }
}

/// When `run` finished, or why that is unknown (a process that died leaves no finish time; the
/// last write the ledger saw from it is the best bound).
fn finished_text(ledger: &Ledger, run: &Run) -> Result<String, CliError> {
    if let Some(f) = run.finished_at {
        return Ok(time(f));
    }
    let last = ledger.last_activity(run.id).map_err(from_core)?;
    let last = last.map_or_else(String::new, |t| format!("; last write {}", time(t)));
    Ok(match run.status {
        RunStatus::Running => format!("not finished (running, or its process died{last})"),
        _ => format!("unknown (its process died{last})"),
    })
}

/// A time as shown to people.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// The last verification: its result and when it was made, and whether a run changed
/// Intercom since (then its "all equal" no longer says anything).
pub fn verification_text(ledger: &Ledger) -> Result<String, CliError> {
    let Some(stamp) = Stamp::last(ledger).map_err(from_core)? else {
        return Ok(
            "Verification: none yet (`glassix-to-intercom verify` reads everything back from Intercom)."
                .to_owned(),
        );
    };
    let head = format!(
        "Verification: {} (made {}, through run {})",
        stamp.result_text(),
        time(stamp.at),
        stamp
            .through_run
            .map_or_else(|| "none".to_owned(), |r| r.to_string())
    );
    Ok(match stamp.stale(ledger).map_err(from_core)? {
        Some(stale) => format!("{head}; OUT OF DATE: {}.", stale.text()),
        None => format!("{head}; no run changed Intercom since."),
    })
}

/// What a run left unsettled in the ledger (creates whose answer is unknown, tickets whose
/// parts were being sent), or `None` when nothing is.
pub fn unsettled_text(ledger: &Ledger) -> Result<Option<String>, CliError> {
    let creates = ledger.open_intents().map_err(from_core)?.len();
    let tickets = ledger
        .tickets_with_parts_in_flight()
        .map_err(from_core)?
        .len();
    if creates == 0 && tickets == 0 {
        return Ok(None);
    }
    Ok(Some(format!(
        "Unsettled: {creates} create(s) whose answer is unknown, {tickets} ticket(s) whose \
         messages were being sent, by a run still going or one that stopped. The next \
         `migrate` looks them up in Intercom before it sends anything for them again (nothing \
         is sent twice)."
    )))
}

/// `status`: where the migration stands, from the ledger only.
pub fn status(app: &App) -> Result<(), CliError> {
    let ledger = open_ledger(app, false)?;
    let c = &app.console;
    let runs = ledger.runs().map_err(from_core)?;
    c.line(format!("Ledger: {}", app.config.paths.ledger.display()));
    c.line("Runs:");
    for r in &runs {
        let l = RunLine::of(&ledger, r)?;
        c.line(format!(
            "  {:>3}  {:<8} {:<12} started {}  finished {}",
            l.id, l.mode, l.outcome, l.started, l.finished
        ));
    }
    match Summary::from_ledger(&ledger, false)? {
        Some(s) => {
            c.line(format!(
                "Latest migration: run {}, {}.",
                s.run_id,
                s.outcome.label()
            ));
            c.line(s.table());
            let queued: u64 = s.queued_by_reason.values().sum();
            c.line(format!("Reconciliation queue: {queued} record(s)."));
            if let Some(line) = unsettled_text(&ledger)? {
                c.line(line);
            }
            for n in &s.next {
                c.line(n);
            }
            c.line(verification_text(&ledger)?);
            c.line(format!(
                "The whole report: `glassix-to-intercom report` writes {}.",
                app.config.paths.out.join(names::REPORT_HTML).display()
            ));
        }
        None => c.line("No run yet: run `glassix-to-intercom migrate`."),
    }
    Ok(())
}
