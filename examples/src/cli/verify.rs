//! `verify`: read back every object the ledger records as migrated and compare it field by
//! field with what the migration wrote ([`migration_core::Migration::verify`]); write
//! `verification.json`, print the summary, refresh `report.html`. Exit 0 when everything is
//! equal, 6 when a field differs or an object is missing, 5 when some objects could not be
//! read (run again: it resumes).

use std::fmt::Write as _;
use std::sync::Arc;

use migration_core::progress::ProgressSender;
use migration_core::verify::{CheckOutcome, Verification, VerifyOptions};

use super::app::App;
use super::exit::{CliError, Exit, from_exec};
use super::outputs::Summary;
use super::prepare::print_written;
use super::report::write_ledger_outputs;
use super::run::open_ledger;

/// The file `verify` writes in the output folder (and `report.html` shows).
pub const VERIFICATION_JSON: &str = "verification.json";

/// Objects with a difference listed on screen (all of them are in `verification.json`).
const SHOWN: usize = 20;

/// `verify [--again] [--sample [N]] [--seed S]`.
pub async fn verify(app: &App, options: &VerifyOptions) -> Result<Exit, CliError> {
    let spec = app.spec()?;
    let mut out = app.out()?;
    let clients = app.clients()?;
    let ledger = Arc::new(open_ledger(app, false)?);
    let m = app.migration_with(&clients, spec, ledger.clone(), false, None)?;
    let c = &app.console;
    c.line(
        "Verifying: every migrated object is read back from Intercom and compared with what \
         was written (an interrupted verification resumes; --again checks everything anew)…",
    );
    let (progress, rx) = ProgressSender::channel(4096);
    let render = tokio::spawn(app.console.clone().render(rx));
    let result = m.verify(options, progress).await;
    drop(m);
    app.finish_render(render).await;
    let v = result.map_err(from_exec)?;
    out.write_json(VERIFICATION_JSON, &v)?;
    c.line(text(&v));
    // The report shows the verification: refresh it (from the ledger and the files).
    if let Some(s) = Summary::from_ledger(&ledger, false)? {
        write_ledger_outputs(app, &mut out, &ledger, &s)?;
    }
    print_written(app, &out);
    Ok(exit_of(&v))
}

/// 6 when anything differs or is missing; else 5 when some object could not be read; else 0.
pub fn exit_of(v: &Verification) -> Exit {
    if !v.all_equal() {
        Exit::Mismatch
    } else if v.summary.unreadable > 0 {
        Exit::Partial
    } else {
        Exit::Success
    }
}

/// The summary on screen: totals, mismatches by kind and field, the first objects that differ.
pub fn text(v: &Verification) -> String {
    let s = &v.summary;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\nVerified {} objects ({} parts, {} fields) in {:.1} s: {} equal, {} differ, {} missing, \
         {} unchecked, {} unreadable{}.",
        s.objects,
        s.parts,
        s.fields,
        s.elapsed_ms as f64 / 1000.0,
        s.equal,
        s.differs,
        s.missing,
        s.unchecked,
        s.unreadable,
        if s.resumed > 0 {
            format!(
                " ({} found equal already and not read again: another record's Intercom \
                 object, such as merged customers, or one an interrupted verification checked)",
                s.resumed
            )
        } else {
            String::new()
        }
    );
    if s.windowed > 0 {
        let _ = writeln!(
            t,
            "{} objects have more parts than Intercom shows (500): the readable window was \
             compared field by field and the rest counted against Intercom's total.",
            s.windowed
        );
    }
    if !s.mismatches.is_empty() {
        t.push_str("Mismatches by kind and field:\n");
        for (kind, fields) in &s.mismatches {
            for (field, n) in fields {
                let _ = writeln!(t, "  {kind:<12} {field:<40} {n}");
            }
        }
    }
    let bad: Vec<_> = v
        .objects
        .iter()
        .filter(|o| matches!(o.outcome, CheckOutcome::Differs | CheckOutcome::Missing))
        .collect();
    for o in bad.iter().take(SHOWN) {
        let _ = writeln!(
            t,
            "  {} {} (Intercom {}): {}",
            o.kind,
            o.source_id,
            o.target_id,
            o.diffs
                .iter()
                .map(|d| match &d.part_id {
                    Some(p) => format!("part {p} {}", d.field),
                    None => d.field.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if bad.len() > SHOWN {
        let _ = writeln!(t, "  … and {} more", bad.len() - SHOWN);
    }
    if let Some(sample) = &v.sample {
        let differing = sample
            .tickets
            .iter()
            .filter(|t| t.rows_differing > 0)
            .count();
        let _ = writeln!(
            t,
            "Spot-check: {} tickets from {} strata (department · channel · kind, seed {}) read \
             again from Glassix and shown side by side in report.html; {differing} have a row \
             that differs.",
            sample.tickets.len(),
            sample.strata,
            sample.seed
        );
    }
    if s.unchecked > 0 {
        let _ = writeln!(
            t,
            "{} objects were migrated with nothing recorded of what Intercom should hold \
             (written by an earlier build, or adopted): they were not compared.",
            s.unchecked
        );
    }
    t.push_str(if v.all_equal() && s.unreadable == 0 {
        "Everything Intercom holds is what the migration wrote."
    } else if v.all_equal() {
        "Some objects could not be read: run `verify` again (it resumes)."
    } else {
        "Differences found (listed in verification.json and report.html): fix them in Intercom, \
         or undo those records (`rollback --ids FILE`, the Glassix ids) and `migrate` again to \
         write them afresh (a plain `migrate` rewrites only records whose Glassix data changed); \
         then `verify --again`."
    });
    t
}
