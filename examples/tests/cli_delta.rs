//! `glassix-to-intercom delta` against a spawned sandbox: refused before a completed run;
//! after `migrate`, it moves only what changed (a new message, a reassignment), writes the
//! cutover section into run-summary.json/.md, and `delta --until-quiet` ends quiet with no
//! Intercom write.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;
mod support;

use helpdesk_sandbox::glassix::Mutation;
use support::{Ctx, Options};

#[test]
fn delta_moves_only_the_changes_and_reports_the_cutover() {
    let ctx = Ctx::new(Options {
        tickets: 30,
        ..Options::default()
    });
    ctx.prepare_spec(true, true);
    let before = ctx.run(&["delta"]);
    assert_eq!(before.code, Some(2), "{}", before.dump());
    assert!(
        before
            .all_lower()
            .contains("run `glassix-to-intercom migrate` first"),
        "{}",
        before.dump()
    );

    ctx.run(&["migrate"]).expect_code(0);
    let ticket = ctx.sb.snapshot.tickets[0]["id"].as_i64().unwrap();
    ctx.sb
        .glassix
        .mutate(Mutation::AddTransaction {
            ticket_id: ticket,
            kind: "Note".into(),
            text: "Checked with the warehouse".into(),
            from_customer: false,
        })
        .unwrap();
    let writes = ctx.intercom_writes();
    let out = ctx.run(&["delta"]);
    out.expect_code(0);
    assert!(out.stdout.contains("1 updated (parts 1"), "{}", out.dump());
    assert!(ctx.intercom_writes() > writes);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ctx.out("run-summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["mode"], "delta");
    assert_eq!(summary["cutover"]["updated"], 1);
    assert_eq!(summary["cutover"]["advanced"], true);
    let md = std::fs::read_to_string(ctx.out("run-summary.md")).unwrap();
    assert!(md.contains("## Cutover (delta)"), "{md}");
    assert!(md.contains("| updated: parts changed | 1 |"), "{md}");

    // `report` rebuilds the summary from the ledger: the cutover section is still there.
    ctx.run(&["report"]).expect_code(0);
    let md = std::fs::read_to_string(ctx.out("run-summary.md")).unwrap();
    assert!(md.contains("## Cutover (delta)"), "{md}");
    // And report.html shows it.
    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    assert!(
        html.contains("<section id=\"cutover\">"),
        "no cutover section"
    );
    assert!(html.contains("updated: parts changed"));

    let writes = ctx.intercom_writes();
    let quiet = ctx.run(&["delta", "--until-quiet", "--max-rounds", "3"]);
    quiet.expect_code(0);
    assert_eq!(ctx.intercom_writes(), writes, "{}", quiet.dump());
    assert!(
        quiet.stdout.contains("0 new, 0 updated"),
        "{}",
        quiet.dump()
    );
}
