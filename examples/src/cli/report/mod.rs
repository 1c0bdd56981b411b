//! `report`: the run summary, the reconciliation queue and the provisioning list, from the
//! ledger; and [`write_run_outputs`], which `migrate` calls at its end.

use migration_core::ledger::Ledger;

use super::app::App;
use super::exit::{CliError, from_core};
use super::outputs::{OutDir, RunOutcome, Summary, names};
use super::prepare::print_written;
use super::run::open_ledger;

/// `report`: writes the run summary and the reconciliation queue from the ledger.
pub async fn report(app: &App) -> Result<Summary, CliError> {
    let ledger = open_ledger(app, false)?;
    let mut out = app.out()?;
    let Some(s) = Summary::from_ledger(&ledger, false)? else {
        return Err(CliError::config(
            "the ledger holds no run yet: run `glassix-to-intercom migrate` first",
        ));
    };
    write_run_outputs(app, &mut out, &ledger, &s).await?;
    app.console.line(s.table());
    for n in &s.next {
        app.console.line(n);
    }
    print_written(app, &out);
    Ok(s)
}

/// Writes the queue, the summary and, when records wait for people, the provisioning list.
pub(crate) async fn write_run_outputs(
    app: &App,
    out: &mut OutDir,
    ledger: &Ledger,
    s: &Summary,
) -> Result<(), CliError> {
    out.write_queue(&ledger.queue_entries().map_err(from_core)?)?;
    out.write_json(names::SUMMARY_JSON, s)?;
    out.write(names::SUMMARY_MD, &s.to_markdown())?;
    if s.outcome == RunOutcome::BlockedOnProvisioning {
        // Ask again: people may have been invited since discovery.
        match app.reader() {
            Ok(r) => match r.provisioning().await {
                Ok(p) => {
                    out.write(names::PROVISIONING_MD, &p.to_markdown())?;
                    out.write_json(names::PROVISIONING_JSON, &p)?;
                }
                Err(e) => app.console.error(format!(
                    "warning: the provisioning list could not be refreshed ({e}); {} is from \
                     the last discovery",
                    out.path(names::PROVISIONING_MD).display()
                )),
            },
            Err(e) => app.console.error(format!("warning: {e}")),
        }
    }
    Ok(())
}
