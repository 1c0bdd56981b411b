//! `verify` through the binary against a sandbox: after `migrate` it exits 0 with every object
//! equal and fills report.html's verification section; after Intercom is changed behind the
//! tool's back it exits 6 naming exactly the objects and fields changed, and the report shows
//! a hostile value read back from Intercom as text.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;
mod support;

use std::collections::{BTreeMap, BTreeSet};

use intercom_client::models::{UpdateContact, UpdateTicket};
use migration_core::ObjectKind;
use migration_core::verify::Verification;
use serde_json::Value;
use support::{Ctx, Options};

const HOSTILE: &str = "<script>alert('verify')</script><img src=x onerror=alert(2)>";

fn verification(ctx: &Ctx) -> Verification {
    let text = std::fs::read_to_string(ctx.out("verification.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn verify_exits_0_then_6_after_changes_behind_the_back_and_the_report_shows_them() {
    let ctx = Ctx::new(Options {
        tickets: 60,
        ..Options::default()
    });
    ctx.prepare_spec(true, true);
    ctx.run(&["migrate"]).expect_code(0);
    let out = ctx.run(&["verify"]);
    out.expect_code(0);
    assert!(out.stdout.contains("0 differ, 0 missing"), "{}", out.dump());
    let first = verification(&ctx);
    assert!(first.all_equal());
    assert!(first.summary.objects > 60 && first.summary.parts > 0);
    assert_eq!(first.summary.unchecked, 0);
    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    assert!(html.contains("id=\"verification-summary\""));
    assert!(!html.contains("Verification: not run yet"));
    // Dated: when, which run it checked, which build; status says it is current.
    let made = first
        .made
        .clone()
        .expect("verification.json says when it was made");
    assert_eq!(made.through_run, Some(1));
    assert_eq!(made.tool_version, env!("CARGO_PKG_VERSION"));
    assert!(html.contains("id=\"verification-made\"") && !html.contains("verification-stale"));
    let status = ctx.run(&["status"]);
    status.expect_code(0);
    assert!(
        status.stdout.contains(&format!(
            "Verification: {} objects, all equal",
            first.summary.objects
        )) && status
            .stdout
            .contains("through run 1); no run changed Intercom since"),
        "{}",
        status.dump()
    );
    // The ticket type is read back too (name, archived, the attributes created on it).
    assert_eq!(first.summary.by_kind.get("ticket_type"), Some(&1));
    let ticket_type = first
        .objects
        .iter()
        .find(|o| o.kind == ObjectKind::TicketType)
        .expect("the ticket type is verified");
    assert!(ticket_type.fields_checked >= 3, "{ticket_type:?}");

    // Behind the tool's back: a contact attribute set to hostile markup, a ticket closed, a
    // part deleted (sandbox-only endpoint).
    let ledger = ctx.ledger();
    let expectation = |kind: &ObjectKind, id: &str| ledger.expectation(kind, id).unwrap().unwrap();
    let (contact, attribute) = first
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Contact)
        .find_map(|o| {
            let e = expectation(&ObjectKind::Contact, &o.target_id);
            let key = e
                .fields
                .keys()
                .find(|k| k.starts_with("custom_attributes.") && e.fields[*k].is_string())?;
            Some((o.target_id.clone(), key.clone()))
        })
        .expect("a contact with a text attribute");
    let tickets: Vec<String> = first
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Ticket && o.parts_checked > 0)
        .map(|o| o.target_id.clone())
        .collect();
    let closed = tickets
        .iter()
        .find(|id| {
            let f = expectation(&ObjectKind::Ticket, id).fields;
            f.get("open") == Some(&Value::Bool(true)) && !f.contains_key("snoozed_until")
        })
        .cloned()
        .expect("an open ticket");
    let trimmed = tickets.iter().find(|id| **id != closed).cloned().unwrap();
    let part = ledger
        .expected_parts(&trimmed)
        .unwrap()
        .first()
        .unwrap()
        .target_id
        .clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ic = common::intercom(&ctx.sb);
        let name = attribute
            .trim_start_matches("custom_attributes.")
            .to_owned();
        let update = UpdateContact {
            custom_attributes: Some(serde_json::Map::from_iter([(name, Value::from(HOSTILE))])),
            ..UpdateContact::default()
        };
        ic.contacts().update(&contact, &update).await.unwrap();
        let close = UpdateTicket {
            open: Some(false),
            ..UpdateTicket::default()
        };
        ic.tickets().update(&closed, &close).await.unwrap();
        let path = format!("/__sandbox/intercom/parts/{part}");
        assert_eq!(common::http_delete(&ctx.sb.intercom_url, &path).await, 200);
    });

    let out = ctx.run(&["verify"]);
    out.expect_code(6);
    assert!(out.stdout.contains("3 differ"), "{}", out.dump());
    let second = verification(&ctx);
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in &second.objects {
        for d in &o.diffs {
            found
                .entry(o.target_id.clone())
                .or_default()
                .insert(d.field.clone());
        }
    }
    let expected: BTreeMap<String, BTreeSet<String>> = [
        (contact.clone(), BTreeSet::from([attribute.clone()])),
        (closed.clone(), BTreeSet::from(["open".to_owned()])),
        (trimmed.clone(), BTreeSet::from(["present".to_owned()])),
    ]
    .into();
    assert_eq!(found, expected);
    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    assert!(html.contains("id=\"verification-diffs\""));
    assert!(html.contains(&part), "the deleted part is named");
    assert!(
        !html.contains("<script>alert('verify')"),
        "no markup injected"
    );
    assert!(html.contains("&lt;script&gt;alert('verify')&lt;/script&gt;"));

    // Nothing changed since: `verify --again` reads everything anew, same result.
    ctx.run(&["verify", "--again"]).expect_code(6);
    assert_eq!(verification(&ctx).summary.differs, 3);

    // A later run makes the verification stale: status and the report say so, not "equal".
    ctx.run(&["migrate"]).expect_code(0);
    let status = ctx.run(&["status"]);
    assert!(
        status.stdout.contains(
            "OUT OF DATE: verification from run 1; run 2 (migrate) changed objects since"
        ),
        "{}",
        status.dump()
    );
    let html = std::fs::read_to_string(ctx.out("report.html")).unwrap();
    assert!(
        html.contains("id=\"verification-stale\"") && html.contains("out of date"),
        "the report refreshed by migrate says the verification is stale"
    );

    // The ticket type archived behind the tool's back: verify names it and the field.
    let type_id = ticket_type.target_id.clone();
    rt.block_on(async {
        let ic = common::intercom(&ctx.sb);
        let archive = intercom_client::models::UpdateTicketType {
            archived: Some(true),
            ..Default::default()
        };
        ic.ticket_types().update(&type_id, &archive).await.unwrap();
    });
    ctx.run(&["verify", "--again"]).expect_code(6);
    let third = verification(&ctx);
    let diffs: Vec<&str> = third
        .objects
        .iter()
        .filter(|o| o.target_id == type_id)
        .flat_map(|o| o.diffs.iter().map(|d| d.field.as_str()))
        .collect();
    assert_eq!(diffs, ["archived"]);
    assert_eq!(third.made.unwrap().through_run, Some(2));
}
