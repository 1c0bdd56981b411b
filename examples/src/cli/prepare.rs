//! The commands that prepare a migration and write nothing to Intercom: `discover`, `propose`,
//! `plan`.

use migration_core::discover::Discovery;
use migration_core::plan::{StartState, binding_label, human_duration};
use migration_core::spec::MappingSpec;

use super::app::App;
use super::exit::{CliError, from_core};
use super::outputs::{OutDir, names, write_file};

/// `discover`: reads both sides and writes the discovery report, the provisioning list and the
/// inventory.
pub async fn discover(app: &App) -> Result<Discovery, CliError> {
    let mut out = app.out()?;
    let d = app.discovery(&mut out, true).await?;
    let c = &app.console;
    c.line(format!(
        "Found {} tickets ({} messages and notes, {} attachments), {} customers, {} agents, {} \
         departments.",
        d.tickets.total,
        d.transactions,
        d.attachments,
        d.contacts_reachable,
        d.agents.len(),
        d.departments.len()
    ));
    if d.provisioning.is_empty() {
        c.line("Every agent and department has a match in Intercom.");
    } else {
        c.line(format!(
            "To create by hand in Intercom first: {} teammate(s), {} team(s) (see {}).",
            d.provisioning.agents.len(),
            d.provisioning.departments.len(),
            out.path(names::PROVISIONING_MD).display()
        ));
    }
    for conflict in &d.conflicts {
        c.line(format!("Conflict: {conflict}"));
    }
    print_written(app, &out);
    c.line("Next: `glassix-to-intercom propose` drafts the mapping spec.");
    Ok(d)
}

/// `propose`: drafts the mapping spec from discovery. Never confirms it.
pub async fn propose(app: &App, force: bool) -> Result<MappingSpec, CliError> {
    let mut out = app.out()?;
    let d = app.discovery(&mut out, false).await?;
    let proposal = MappingSpec::proposal(&d.facts());
    let text = format!("{}{}", header(&d), proposal.to_toml());
    let spec = MappingSpec::from_toml_str(&text).map_err(from_core)?;
    out.write(names::PROPOSED_SPEC, &text)?;
    let c = &app.console;
    let target = &app.config.paths.spec;
    if force || !target.exists() {
        write_file(target, &app.console.scrub(&text))?;
        c.line(format!(
            "Wrote the proposed mapping spec to {}.",
            target.display()
        ));
    } else {
        c.line(format!(
            "Kept your spec at {}; the new draft is in {} (use --force to replace yours).",
            target.display(),
            out.path(names::PROPOSED_SPEC).display()
        ));
    }
    let conflicts = proposal.conflicts().count();
    if conflicts > 0 {
        c.line(format!(
            "{conflicts} proposed field rule(s) conflict with attributes that already exist in \
             Intercom: the spec marks them; rename their targets."
        ));
    }
    print_written(app, &out);
    c.line(
        "Next: review every rule in the spec, then confirm it with `glassix-to-intercom confirm \
         --by <your name or e-mail>`; then `glassix-to-intercom plan`.",
    );
    Ok(spec)
}

/// `confirm`: validates the spec file and rewrites its `[confirmation]` table, locked to the
/// content (everything else in the file, comments included, is kept byte for byte).
pub fn confirm(app: &App, by: &str) -> Result<(), CliError> {
    let path = &app.config.paths.spec;
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "paths.spec: cannot read {} ({e}); run `glassix-to-intercom propose` to draft it",
            path.display()
        ))
    })?;
    let at = chrono::Utc::now();
    let confirmed = MappingSpec::confirm_toml(&text, by, at)
        .map_err(|e| CliError::config(format!("{}: {e}", path.display())))?;
    write_file(path, &confirmed)?;
    let c = &app.console;
    c.line(format!(
        "Confirmed {} by {} at {}, locked to its content: an edit withdraws the confirmation \
         until `glassix-to-intercom confirm` is run again.",
        path.display(),
        by.trim(),
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    c.line("Next: `glassix-to-intercom plan`, then `glassix-to-intercom migrate`.");
    Ok(())
}

/// The comment block at the top of a proposed spec.
fn header(d: &Discovery) -> String {
    let mut h = String::from(
        "# Drafted by `glassix-to-intercom propose` from discovery. Nothing moves until a person\n\
         # has reviewed it and confirmed it in [confirmation].\n",
    );
    if !d.provisioning.is_empty() {
        h.push_str(&format!(
            "#\n# {} agent(s) and {} department(s) have no Intercom teammate or team (see\n\
             # provisioning.md). Their records are queued until those exist, unless [policies]\n\
             # sets `unmatched_agent = {{ fallback_admin = \"<admin id>\" }}` and\n\
             # `unmatched_department = {{ fallback_team = \"<team id>\" }}`.\n",
            d.provisioning.agents.len(),
            d.provisioning.departments.len()
        ));
    }
    h.push('\n');
    h
}

/// `plan`: steps in dependency order with calls and a duration estimate.
pub async fn plan(app: &App) -> Result<(), CliError> {
    let spec = app.spec()?;
    let mut out = app.out()?;
    let d = app.discovery(&mut out, false).await?;
    let ledger =
        std::sync::Arc::new(migration_core::ledger::Ledger::open_in_memory().map_err(from_core)?);
    let m = app.migration(spec, ledger, true, Some(d.tickets.total))?;
    let plan = m.plan(&d).map_err(from_core)?;
    let limits = app.rate_limits().await;
    // `migrate` if started now: the Glassix keys continue what the previous commands sent.
    let plan = plan.starting(StartState {
        usage: app.saved_quota_usage().unwrap_or_default(),
        at_ms: chrono::Utc::now().timestamp_millis(),
    });
    let mut report = plan.report(&limits).map_err(from_core)?;
    if let Some(caveat) = last_run_retries(app) {
        report.caveats.push(caveat);
    }
    out.write(
        names::PLAN_JSON,
        &format!("{}\n", report.to_json().map_err(from_core)?),
    )?;
    out.write(names::PLAN_MD, &report.to_markdown())?;
    let c = &app.console;
    for s in &report.steps {
        c.line(format!(
            "  {:>2}. {:<28} {:>7} records {:>8} Intercom calls",
            s.position, s.id, s.records, s.intercom_calls
        ));
    }
    let t = &report.totals;
    c.line(format!(
        "Estimate: {} ({} Glassix and {} Intercom calls; bound by {}).",
        human_duration(t.estimated_seconds),
        t.glassix_calls,
        t.intercom_calls,
        t.bound_by
    ));
    c.line(format!(
        "Binding constraint: {}. Range {} – {} (low: {}; high: {}).",
        binding_label(&t.bound_by),
        human_duration(t.range.low_seconds),
        human_duration(t.range.high_seconds),
        t.range.low,
        t.range.high
    ));
    if let Some(n) = report.phases.as_ref().and_then(|p| p.migrate_now.as_ref()) {
        c.line(format!(
            "If `migrate` starts now: {} ({} waiting for the Glassix quota the previous \
             commands used); on a fresh quota period: {}.",
            human_duration(n.seconds),
            human_duration(n.glassix_seconds),
            human_duration(n.fresh_seconds)
        ));
    }
    for caveat in &report.caveats {
        c.line(format!("Caveat: {caveat}."));
    }
    if d.glassix_departments.is_empty() {
        c.line(
            "Caveat: the saved discovery has no per-department Glassix counts (it predates \
             them): run `glassix-to-intercom discover` again for a Glassix estimate per \
             department key.",
        );
    }
    print_written(app, &out);
    c.line("Next: `glassix-to-intercom migrate --dry-run`, then `migrate`.");
    Ok(())
}

/// What the last run's faults cost (`out/run-summary.json`, when it recorded calls sent
/// again): the plan assumes a workspace that answers; one that failed as often before will
/// likely do so again.
fn last_run_retries(app: &App) -> Option<String> {
    let summary: super::outputs::Summary = app.saved_json(
        names::SUMMARY_JSON,
        "the last run's summary; its retries are not shown",
    )?;
    let r = summary.retries.filter(|r| !r.is_empty())?;
    let took = summary
        .elapsed_seconds
        .map(|s| format!(" (it took {})", human_duration(s)))
        .unwrap_or_default();
    Some(format!(
        "the last run (run {}, {}){took} sent {} Intercom and {} Glassix calls again after \
         429s, server or transport errors, with {:.1} s and {:.1} s of waits added up over the \
         calls in flight; this estimate assumes a workspace that answers, so if it fails as \
         often again, expect longer than the range",
        summary.run_id,
        summary.mode,
        r.intercom_retries,
        r.glassix_retries,
        r.intercom_waited_secs,
        r.glassix_waited_secs
    ))
}

/// Lists the files a command wrote.
pub fn print_written(app: &App, out: &OutDir) {
    if out.written().is_empty() {
        return;
    }
    app.console.line("Wrote:");
    for p in out.written() {
        app.console.line(format!("  {}", p.display()));
    }
}
