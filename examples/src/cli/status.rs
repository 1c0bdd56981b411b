//! `status`: where the migration stands, from the ledger only (no network).

use super::app::App;
use super::exit::{CliError, from_core};
use super::outputs::Summary;
use super::run::open_ledger;

/// `status`: where the migration stands, from the ledger only.
pub fn status(app: &App) -> Result<(), CliError> {
    let ledger = open_ledger(app, false)?;
    let c = &app.console;
    let runs = ledger.runs().map_err(from_core)?;
    c.line(format!("Ledger: {}", app.config.paths.ledger.display()));
    c.line("Runs:");
    for r in &runs {
        let finished = r
            .finished_at
            .map(|f| f.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".to_owned());
        c.line(format!(
            "  {:>3}  {:<8} {:<12} started {}  finished {}",
            r.id.0,
            r.mode.as_str(),
            r.status.as_str(),
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            finished
        ));
    }
    match Summary::from_ledger(&ledger, false)? {
        Some(s) => {
            c.line(s.table());
            let queued: u64 = s.queued_by_reason.values().sum();
            c.line(format!("Reconciliation queue: {queued} record(s)."));
            for n in &s.next {
                c.line(n);
            }
        }
        None => c.line("No run yet: run `glassix-to-intercom migrate`."),
    }
    Ok(())
}
