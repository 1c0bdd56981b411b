//! Reliability of the `glassix-to-intercom` binary (issue #13): the preflight that checks both
//! services, every department, the ledger and the output folder before any ticket is read, and
//! the clean stop on SIGTERM/SIGINT (a second signal exits at once). Runs against the in-process
//! sandbox through the harness in `support/`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use migration_core::ledger::{Ledger, RunStatus};
use support::{Ctx, Options};

fn ctx() -> Ctx {
    Ctx::new(Options::default())
}

fn table<'a>(t: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    t.get_mut(key).unwrap().as_table_mut().unwrap()
}

/// Glassix ticket reads answered so far (`tickets/list` and `tickets/get/{id}`, any status).
fn glassix_ticket_reads(ctx: &Ctx) -> u64 {
    ctx.sb
        .glassix
        .stats()
        .by_endpoint
        .iter()
        .filter(|(endpoint, _)| endpoint.contains("/tickets/"))
        .flat_map(|(_, statuses)| statuses.values())
        .sum()
}

/// Sends `signals` (e.g. `["TERM"]`) to process `pid`, back to back, from one shell.
fn send_signals(pid: u32, signals: &[&str]) {
    let script = signals
        .iter()
        .map(|s| format!("kill -{s} {pid}"))
        .collect::<Vec<_>>()
        .join("; ");
    let status = std::process::Command::new("sh")
        .args(["-c", &script])
        .status()
        .unwrap();
    assert!(status.success(), "could not signal {pid}: {script}");
}

// ---------------------------------------------------------------------------------------------
// preflight

#[test]
fn migrate_with_a_refused_intercom_token_exits_2_within_seconds_before_reading_a_ticket() {
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    let reads_before = glassix_ticket_reads(&ctx);
    let mut cmd = ctx.command(&["migrate"]);
    cmd.env(&ctx.token_var, "a-revoked-token");
    let started = Instant::now();
    let out = ctx.run_cmd(cmd);
    let took = started.elapsed();
    out.expect_code(2);
    eprintln!("refused Intercom token: exit 2 after {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "exit 2 within seconds ({took:?})"
    );
    assert!(
        out.stderr.contains("intercom.token_env") && out.stderr.contains(&ctx.token_var),
        "the error names the setting and its variable:\n{}",
        out.dump()
    );
    assert_eq!(
        glassix_ticket_reads(&ctx),
        reads_before,
        "no Glassix ticket was read: {:?}",
        ctx.sb.glassix.stats().by_endpoint
    );
    assert_eq!(ctx.intercom_writes(), 0, "nothing was written to Intercom");
    assert!(
        !ctx.path(support::LEDGER).exists() || ctx.ledger().runs().unwrap().is_empty(),
        "no run was started in the ledger"
    );
}

#[test]
fn discover_with_a_refused_intercom_token_exits_2_before_reading_a_ticket() {
    let ctx = ctx();
    let mut cmd = ctx.command(&["discover"]);
    cmd.env(&ctx.token_var, "a-revoked-token");
    let started = Instant::now();
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    eprintln!(
        "discover, refused token: exit 2 after {:?}",
        started.elapsed()
    );
    assert!(out.stderr.contains("intercom.token_env"), "{}", out.dump());
    assert_eq!(glassix_ticket_reads(&ctx), 0, "no Glassix ticket was read");
}

#[test]
fn refused_credentials_of_the_second_department_are_named_and_exit_2() {
    let ctx = ctx();
    assert!(
        ctx.secret_vars.len() >= 2,
        "the sandbox has several departments"
    );
    let mut cmd = ctx.command(&["discover"]);
    cmd.env(&ctx.secret_vars[1], "not-the-secret");
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    assert!(
        out.stderr.contains("glassix.departments[1]") && out.stderr.contains(&ctx.secret_vars[1]),
        "the error names the department's settings and its secret variable:\n{}",
        out.dump()
    );
    assert!(
        !out.stderr.contains("glassix.departments[0]"),
        "the department that answered is not blamed:\n{}",
        out.dump()
    );
    assert_eq!(glassix_ticket_reads(&ctx), 0, "no Glassix ticket was read");
}

#[test]
fn a_starter_workspace_exits_4_before_reading_a_ticket() {
    let ctx = Ctx::new(Options {
        starter: true,
        ..Options::default()
    });
    let out = ctx.run(&["discover"]);
    out.expect_code(4);
    assert!(out.stderr.contains("glassix.tier"), "{}", out.dump());
    assert_eq!(glassix_ticket_reads(&ctx), 0, "no Glassix ticket was read");
}

#[test]
fn several_problems_are_all_listed_and_the_first_decides_the_exit_code() {
    let ctx = ctx();
    let mut cmd = ctx.command(&["discover"]);
    cmd.env(&ctx.token_var, "a-revoked-token");
    cmd.env(&ctx.secret_vars[0], "not-the-secret");
    let out = ctx.run_cmd(cmd);
    out.expect_code(2);
    assert!(
        out.stderr.contains("intercom.token_env") && out.stderr.contains("glassix.departments[0]"),
        "both problems are listed:\n{}",
        out.dump()
    );
    assert_eq!(glassix_ticket_reads(&ctx), 0);
}

#[test]
fn an_output_folder_that_cannot_be_written_exits_1_naming_paths_out() {
    let ctx = ctx();
    // A file where the folder should be: it can be neither created nor written.
    std::fs::write(ctx.path("not-a-folder"), "x").unwrap();
    let mut config = ctx.config();
    table(&mut config, "paths").insert("out".into(), "not-a-folder/out".into());
    ctx.write_config(&config);
    let out = ctx.run(&["discover"]);
    out.expect_code(1);
    assert!(out.stderr.contains("paths.out"), "{}", out.dump());
    assert_eq!(glassix_ticket_reads(&ctx), 0);
}

#[test]
fn a_ledger_that_cannot_be_written_exits_1_naming_paths_ledger_before_reading_a_ticket() {
    let ctx = ctx();
    ctx.prepare_spec(true, true);
    let reads_before = glassix_ticket_reads(&ctx);
    std::fs::write(ctx.path("not-a-folder"), "x").unwrap();
    let mut config = ctx.config();
    table(&mut config, "paths").insert("ledger".into(), "not-a-folder/migration.sqlite".into());
    ctx.write_config(&config);
    let out = ctx.run(&["migrate"]);
    out.expect_code(1);
    assert!(out.stderr.contains("paths.ledger"), "{}", out.dump());
    assert_eq!(glassix_ticket_reads(&ctx), reads_before);
    assert_eq!(ctx.intercom_writes(), 0);
}

#[test]
fn the_preflight_shows_what_it_checked() {
    let ctx = ctx();
    let out = ctx.run(&["discover"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("Preflight passed") && out.stdout.contains("Intercom: workspace"),
        "{}",
        out.dump()
    );
    let departments = ctx.sb.credentials.glassix.len();
    assert!(
        out.stdout
            .contains(&format!("{departments} of {departments} department(s)")),
        "{}",
        out.dump()
    );
}

/// A command started while the previous one's requests still fill a key's minute waits for
/// the quota before it asks Glassix, says so, and passes: it used to give Glassix 30 s from the
/// start and report "did not answer" when the quota alone held the request back longer.
#[test]
fn the_preflight_waits_for_a_quota_the_previous_command_spent_and_says_so() {
    let ctx = ctx();
    let mut config = ctx.config();
    // Four requests a minute, all sent 57 s ago by "the previous command": the next one may
    // go in about 3 s.
    table(&mut config, "glassix").insert("per_minute".into(), 4.into());
    ctx.write_config(&config);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let keys: Vec<serde_json::Value> = ctx
        .sb
        .credentials
        .glassix
        .iter()
        .map(|c| serde_json::json!({"department": c.api_key, "sent_at_ms": vec![now_ms - 57_000; 4]}))
        .collect();
    std::fs::create_dir_all(ctx.out("")).unwrap();
    std::fs::write(
        ctx.out("glassix-quota-usage.json"),
        serde_json::json!({"recorded_at_ms": now_ms, "keys": keys}).to_string(),
    )
    .unwrap();
    let started = Instant::now();
    let mut child = ctx
        .command(&["discover"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let done = line.contains("Preflight passed");
        seen.push(line);
        if done {
            break;
        }
    }
    // Discovery at four requests a minute would take hours: the preflight is what is tested.
    child.kill().unwrap();
    child.wait().unwrap();
    let text = seen.join("\n");
    assert!(text.contains("Preflight passed"), "{text}");
    assert!(
        text.contains("Glassix: waiting up to") && text.contains("for the quota of"),
        "the wait is said: {text}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the quota held the check back: {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// signals

/// Starts `migrate` and waits until it has created tickets in Intercom.
fn start_migrate(ctx: &Ctx) -> std::process::Child {
    let mut child = ctx.command(&["migrate"]).spawn().unwrap();
    let started = support::poll(Duration::from_secs(90), || {
        ctx.sb.intercom.state().tickets.len() >= 2 || child.try_wait().unwrap().is_some()
    });
    assert!(started, "the run created tickets in time");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run is still going when signalled"
    );
    child
}

/// `migrate` again at full speed: exit 0, every ticket exactly once, nothing twice.
fn resume_without_duplicates(ctx: &Ctx, partial: usize) {
    ctx.set_intercom_latency(0);
    let out = ctx.run(&["migrate"]);
    out.expect_code(0);
    let all = ctx.intercom_tickets_by_glassix_id();
    assert!(
        all.values().all(|n| *n == 1),
        "every ticket exactly once: {all:?}"
    );
    ctx.assert_no_duplicate_parts_or_contacts();
    let tickets = ctx.ticket_counts();
    assert_eq!(all.len() as u64, tickets.migrated);
    assert!(all.len() > partial, "the resumed run moved the rest");
    assert_eq!(
        tickets.failed + tickets.pending + tickets.intent,
        0,
        "{tickets:?}"
    );
    assert_eq!(
        tickets.total(),
        ctx.sb.snapshot.tickets.len() as u64,
        "every source ticket is accounted for"
    );
    ctx.assert_no_secret_in_files();
}

#[test]
fn sigterm_stops_migrate_cleanly_with_exit_5_and_migrate_again_completes() {
    let ctx = Ctx::slow_migration();
    let child = start_migrate(&ctx);
    send_signals(child.id(), &["TERM"]);
    let signalled_at = Instant::now();
    let out = support::wait(child, Duration::from_secs(30));
    ctx.assert_no_secret_in(&out);
    out.expect_code(5);
    let took = signalled_at.elapsed();
    eprintln!("SIGTERM: exit 5 after {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "stopped within seconds ({took:?})"
    );
    assert!(
        out.all_lower().contains("sigterm") && out.all_lower().contains("again"),
        "says what stopped it and to run migrate again:\n{}",
        out.dump()
    );
    for f in [
        "reconciliation-queue.csv",
        "run-summary.json",
        "run-summary.md",
    ] {
        assert!(ctx.out(f).exists(), "{f} written for what was done");
    }
    let summary = ctx.read_json("run-summary.json");
    for (kind, c) in support::count_objects(&summary) {
        let n = |k: &str| c[k].as_u64().unwrap();
        assert_eq!(
            n("source"),
            n("migrated") + n("queued") + n("skipped") + n("failed") + n("unfinished"),
            "counts of {kind} add up in the interrupted run's summary: {c}"
        );
    }
    {
        let ledger = Ledger::open(ctx.path(support::LEDGER)).unwrap();
        let runs = ledger.runs().unwrap();
        assert_eq!(
            runs.last().unwrap().status,
            RunStatus::Interrupted,
            "the run is marked interrupted: {runs:?}"
        );
    }
    let partial = ctx.intercom_tickets_by_glassix_id();
    assert!(partial.values().all(|n| *n == 1));
    resume_without_duplicates(&ctx, partial.len());
}

#[test]
fn a_second_signal_exits_at_once_and_migrate_again_completes() {
    let ctx = Ctx::slow_migration();
    let child = start_migrate(&ctx);
    // Two different signals, back to back from one shell: the first asks for a clean stop, the
    // second arrives while the stop is under way and ends the process at once.
    send_signals(child.id(), &["TERM", "INT"]);
    let signalled_at = Instant::now();
    let out = support::wait(child, Duration::from_secs(30));
    ctx.assert_no_secret_in(&out);
    assert!(
        matches!(out.code, Some(130 | 143)),
        "exit 130 (SIGINT) or 143 (SIGTERM):\n{}",
        out.dump()
    );
    assert!(signalled_at.elapsed() < Duration::from_secs(10));
    assert!(
        out.stderr.contains("exiting at once"),
        "says it exits at once:\n{}",
        out.dump()
    );
    let partial = ctx.intercom_tickets_by_glassix_id();
    assert!(partial.values().all(|n| *n == 1));
    resume_without_duplicates(&ctx, partial.len());
}
