//! The report side of issue #14 through the binary: `report` works from the ledger and the
//! files alone (fast, no network, even after a run blocked on provisioning), `status` and
//! `report` show the outcome `migrate` exited with, and `report.html` has every section and
//! shows hostile source text as text.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use migration_core::ledger::{RunMode, RunOutcome, RunStatus};
use support::{Ctx, HOSTILE_DETAIL, HOSTILE_ID, HOSTILE_NOTE, Options, Trap};

/// The page's sections, by id.
const SECTIONS: [&str; 10] = [
    "summary",
    "reconciliation",
    "charts",
    "queue",
    "notes",
    "whatsapp",
    "provisioning",
    "inventory",
    "rebuild",
    "verification",
];

fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn after_a_blocked_migrate_status_says_blocked_and_report_needs_no_network() {
    let ctx = Ctx::new(Options::default());
    ctx.prepare_spec(true, false);
    ctx.run(&["migrate"]).expect_code(3);
    assert!(
        ctx.out("report.html").exists(),
        "migrate writes report.html at its end"
    );

    // The queue rows say who or what each record is (recorded when it was queued).
    let rows = support::read_queue(&ctx.out("reconciliation-queue.csv"));
    let tickets: Vec<_> = rows.iter().filter(|r| &r[0] == "ticket").collect();
    assert!(!tickets.is_empty(), "tickets wait for teammates");
    for r in &tickets {
        assert_eq!(&r[9], &r[1], "the Glassix id of ticket {}", &r[1]);
        assert!(!r[10].is_empty(), "the channel of ticket {}", &r[1]);
    }
    assert!(
        tickets
            .iter()
            .any(|r| !r[11].is_empty() && !r[7].is_empty()),
        "subjects and customer names are shown"
    );
    for r in rows.iter().filter(|r| &r[0] == "contact") {
        assert!(
            !r[7].is_empty() || !r[8].is_empty(),
            "contact {} shows a name or an identifier",
            &r[1]
        );
    }
    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    assert!(html.contains("Glassix id: ") && html.contains("channel: "));

    // status: the run's outcome is the one migrate exited with.
    let ledger = ctx.ledger();
    let run = ledger.runs().unwrap().pop().unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "the process finished");
    assert_eq!(run.outcome, Some(RunOutcome::BlockedOnProvisioning));
    drop(ledger);
    let out = ctx.run(&["status"]);
    out.expect_code(0);
    let run_line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{} ", run.id.0)))
        .unwrap_or_else(|| panic!("a line for run {}:\n{}", run.id.0, out.dump()));
    assert!(
        run_line.contains("blocked") && !run_line.contains("succeeded"),
        "the run shows as blocked: {run_line}"
    );
    assert!(
        out.stdout.contains("Latest migration: run 1, blocked."),
        "{}",
        out.dump()
    );

    // report with both services unreachable: a listener that never answers stands where they
    // were, so any request would hang and be counted.
    ctx.add_hostile_records();
    let trap = Trap::start();
    ctx.point_config_at(&trap.url);
    std::fs::remove_file(ctx.out("report.html")).unwrap();
    let started = Instant::now();
    let out = ctx.run(&["report"]);
    let took = started.elapsed();
    out.expect_code(0);
    assert!(
        took < Duration::from_secs(1),
        "report took {took:?} (no network, ledger and files only)"
    );
    assert_eq!(trap.connections(), 0, "report contacted a service");
    assert!(
        !out.stderr.contains("warning"),
        "no refresh attempted:\n{}",
        out.dump()
    );

    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    for id in SECTIONS {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(html.contains("Verification: not run yet"));
    assert!(html.contains(">blocked<"), "the outcome badge says blocked");
    assert!(html.contains("unmatched_agent") || html.contains("unmatched_department"));
    assert!(html.contains("id=\"chart-outcomes\"") && html.contains("id=\"chart-queue\""));
    // Nothing from outside, nothing executable.
    assert!(!html.contains("<script"), "no script element at all");
    assert!(!html.contains("<img"), "no img element at all");
    for fetch in ["<link", "<iframe", " src=\"", " href=\"http", "url("] {
        assert!(!html.contains(fetch), "nothing fetched: {fetch}");
    }
    for hostile in [HOSTILE_NOTE, HOSTILE_DETAIL, HOSTILE_ID] {
        assert!(
            html.contains(&escaped(hostile)),
            "{hostile} appears escaped, as text"
        );
    }
    assert!(ctx.out("reports-rebuild.md").exists());
    let guide = std::fs::read_to_string(ctx.out("reports-rebuild.md")).unwrap();
    assert!(guide.contains("glassix_first_response_seconds"));
    ctx.assert_no_secret_in_files();

    // A run whose process died: its finish time is unknown, never the next run's start.
    let ledger = ctx.ledger();
    let dead = ledger.begin_run(RunMode::Migrate, "h").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    ledger.begin_run(RunMode::Migrate, "h").unwrap();
    drop(ledger);
    let out = ctx.run(&["status"]);
    out.expect_code(0);
    let line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{} ", dead.0)))
        .unwrap();
    assert!(
        line.contains("interrupted") && line.contains("finished unknown"),
        "{line}"
    );
}

#[test]
fn report_after_a_successful_migrate_lists_the_whatsapp_tickets_and_lossy_notes() {
    let ctx = Ctx::new(Options {
        tickets: 60,
        ..Options::default()
    });
    ctx.prepare_spec(true, true);
    ctx.run(&["migrate"]).expect_code(0);
    let ledger = ctx.ledger();
    let whatsapp = ledger
        .notes_matching(
            &migration_core::ObjectKind::Ticket,
            "primaryProtocolType",
            "WhatsApp add-on",
            1000,
        )
        .unwrap();
    let groups = ledger.note_groups(3).unwrap();
    drop(ledger);
    let out = ctx.run(&["report"]);
    out.expect_code(0);
    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    assert!(html.contains("succeeded"));
    assert!(
        html.contains(&format!(
            "Tickets that need Intercom's WhatsApp add-on ({})",
            whatsapp.records
        )),
        "the WhatsApp count"
    );
    for id in &whatsapp.source_ids {
        assert!(html.contains(id.as_str()), "WhatsApp ticket {id} listed");
    }
    assert!(!groups.is_empty(), "the generator's tickets carry notes");
    for g in &groups {
        assert!(
            html.contains(&format!("<td class=\"mono\">{}</td>", escaped(&g.field))),
            "notes on {} grouped",
            g.field
        );
    }
    assert!(html.contains("Empty: no record waits for a person.") || html.contains("queue"));
}

#[test]
fn lookup_admins_and_teams_print_the_ids_for_the_spec_with_their_glassix_matches() {
    let ctx = Ctx::new(Options::default());
    ctx.run(&["discover"]).expect_code(0);
    let admins = ctx.sb.intercom.state().admins.clone();
    let out = ctx.run(&["lookup", "admins"]);
    out.expect_code(0);
    assert!(!admins.is_empty());
    for a in &admins {
        assert!(
            out.stdout.contains(&a.id),
            "admin {} listed:\n{}",
            a.id,
            out.dump()
        );
        assert!(out.stdout.contains(&a.email), "{}", a.email);
    }
    let fallback = ctx.fallback_admin();
    assert!(
        out.stdout.contains("fallback_admin = \"") && out.stdout.contains(&fallback),
        "{}",
        out.dump()
    );
    let discovery = ctx.read_json("discovery.json");
    let matched = discovery["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["admin_id"].is_string())
        .expect("an agent matched in the generated workspace");
    assert!(
        out.stdout
            .contains(&format!("agent {}", matched["user_name"].as_str().unwrap())),
        "the matched Glassix agent is shown beside its admin:\n{}",
        out.dump()
    );

    let out = ctx.run(&["lookup", "teams"]);
    out.expect_code(0);
    for t in &ctx.sb.intercom.state().teams {
        assert!(
            out.stdout.contains(&t.id),
            "team {} listed:\n{}",
            t.id,
            out.dump()
        );
    }
    assert!(out.stdout.contains("fallback_team = \""), "{}", out.dump());
    ctx.run(&["lookup", "nobody"]).expect_code(2);
}
