//! `report`: the run summary, the reconciliation queue, one self-contained HTML report and the
//! reports rebuild guide, from the ledger and the files in the output folder (no network); and
//! `write_run_outputs`, which `migrate` calls at its end.
//!
//! | Module | What it holds |
//! |---|---|
//! | [`data`] | what the report shows, gathered from the ledger and the files |
//! | [`html`] | `report.html` (maud: every value escaped) |
//! | [`charts`] | the charts, as inline SVG |
//! | [`cutover`] | the cutover section (the latest delta) |
//! | [`verification`] | the verification section (from `verification.json`) |
//! | [`rollback`] | the rollback section (from `rollback-summary.json`) |
//! | [`rebuild`] | the reports rebuild guide (`reports-rebuild.md`) |

pub mod charts;
pub mod cutover;
pub mod data;
pub mod html;
pub mod rebuild;
pub mod rollback;
pub mod verification;

use migration_core::ledger::{Ledger, RunId};

use super::app::App;
use super::exit::{CliError, from_core};
use super::outputs::{OutDir, RunOutcome, Summary, names};
use super::prepare::print_written;
use super::run::open_ledger;
use data::ReportData;

/// `report`: writes the run summary, the reconciliation queue, `report.html` and the reports
/// rebuild guide from the ledger and the files in the output folder. Never contacts a service.
pub async fn report(app: &App) -> Result<Summary, CliError> {
    let ledger = open_ledger(app, false)?;
    let mut out = app.out()?;
    let Some(s) = Summary::from_ledger(&ledger, false)? else {
        return Err(CliError::config(
            "the ledger holds no run yet: run `glassix-to-intercom migrate` first",
        ));
    };
    write_ledger_outputs(app, &mut out, &ledger, &s)?;
    app.console.line(s.table());
    for n in &s.next {
        app.console.line(n);
    }
    if s.outcome == RunOutcome::BlockedOnProvisioning {
        app.console.line(format!(
            "The provisioning list in {} is the one the last `discover` or `migrate` wrote; \
             `glassix-to-intercom discover` refreshes it from Intercom.",
            out.path(names::PROVISIONING_MD).display()
        ));
    }
    print_written(app, &out);
    Ok(s)
}

/// Records in the ledger how the run of `s` ended (the outcome its command exits with), so that
/// `status` and `report` show that outcome rather than the process's "finished".
pub(crate) fn record_outcome(ledger: &Ledger, s: &Summary) -> Result<(), CliError> {
    ledger
        .set_run_outcome(RunId(s.run_id), s.outcome)
        .map_err(from_core)
}

/// What `migrate` writes at its end: when records wait for teammates or teams, the
/// provisioning list asked again from Intercom (people may have been invited since discovery);
/// then everything [`write_ledger_outputs`] writes.
pub(crate) async fn write_run_outputs(
    app: &App,
    out: &mut OutDir,
    ledger: &Ledger,
    s: &Summary,
) -> Result<(), CliError> {
    if s.outcome == RunOutcome::BlockedOnProvisioning {
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
    write_ledger_outputs(app, out, ledger, s)
}

/// Writes, from the ledger and the files already in the output folder alone: the queue CSV,
/// the summary (JSON and Markdown), `report.html` and `reports-rebuild.md`.
pub(crate) fn write_ledger_outputs(
    app: &App,
    out: &mut OutDir,
    ledger: &Ledger,
    s: &Summary,
) -> Result<(), CliError> {
    // Records waiting, then field items: values of migrated records that did not convert and
    // were left unwritten (reason `invalid_field_value`, the field and the raw value named).
    let mut rows = ledger.queue_entries().map_err(from_core)?;
    rows.extend(
        ledger
            .field_items()
            .map_err(from_core)?
            .into_iter()
            .map(|(entry, _)| entry),
    );
    out.write_queue(&rows)?;
    out.write_json(names::SUMMARY_JSON, s)?;
    out.write(names::SUMMARY_MD, &s.to_markdown())?;
    let data = ReportData::gather(
        ledger,
        &app.config.paths.ledger,
        &out.path(""),
        &app.config.paths.spec,
        s,
    )?;
    out.write(
        names::REPORTS_REBUILD_MD,
        &rebuild::to_markdown(&data.rebuild, data.spec_read),
    )?;
    out.write(names::REPORT_HTML, &html::render(&data))?;
    Ok(())
}
