//! `Migration::verify`: after a migration of the demo-sized workspace every migrated object
//! reads back equal; after Intercom is changed behind the tool's back (a contact attribute
//! edited, a ticket closed, a tag removed from a ticket, a part deleted) exactly those objects
//! and fields are reported.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use intercom_client::models::{UpdateContact, UpdateTicket};
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;
use migration_core::progress::ProgressSender;
use migration_core::verify::{CheckOutcome, KINDS, Verification, VerifyOptions};
use serde_json::Value;

async fn verify(m: &migration_core::Migration, options: &VerifyOptions) -> Verification {
    let (progress, _rx) = ProgressSender::channel(4096);
    m.verify(options, progress).await.expect("verify completes")
}

/// (target id, field) of every difference.
fn differences(v: &Verification) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for o in &v.objects {
        for d in &o.diffs {
            let field = match &d.part_id {
                Some(p) => format!("part {p}: {}", d.field),
                None => d.field.clone(),
            };
            out.entry(o.target_id.clone()).or_default().insert(field);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_object_reads_back_equal_and_changes_behind_the_back_are_named() {
    // The demo's workspace: 300 tickets, seed 7.
    let sb = common::sandbox(300, 7).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    let run = common::run(&m).await;
    assert!(run.is_balanced(), "{:?}", run.imbalance);

    let first = verify(&m, &VerifyOptions::default()).await;
    let s = &first.summary;
    println!(
        "verify: {} objects, {} parts, {} fields in {} ms",
        s.objects, s.parts, s.fields, s.elapsed_ms
    );
    let migrated = ledger.migrated_objects(&KINDS).unwrap().len() as u64;
    assert_eq!(s.objects, migrated, "every migrated object is checked");
    assert!(s.objects > 300 && s.parts > 300 && s.fields > s.parts * 5);
    for o in &first.objects {
        assert_eq!(o.outcome, CheckOutcome::Equal, "{o:?}");
    }
    assert!(first.all_equal());
    assert_eq!((s.unchecked, s.unreadable, s.resumed), (0, 0, 0));
    for kind in [ObjectKind::Contact, ObjectKind::Ticket, ObjectKind::Tag] {
        assert!(s.by_kind.contains_key(kind.as_str()), "{kind} verified");
    }

    // Change Intercom behind the tool's back, over its HTTP API.
    let ic = common::intercom(&sb);
    let tickets: Vec<(String, BTreeMap<String, Value>)> = first
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Ticket && o.parts_checked > 0)
        .map(|o| {
            let e = ledger
                .expectation(&ObjectKind::Ticket, &o.target_id)
                .unwrap();
            (o.target_id.clone(), e.unwrap().fields)
        })
        .collect();
    // 1. A contact's attribute.
    let (contact, attribute) = first
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Contact)
        .find_map(|o| {
            let e = ledger
                .expectation(&ObjectKind::Contact, &o.target_id)
                .unwrap()?;
            let key = e
                .fields
                .keys()
                .find(|k| k.starts_with("custom_attributes.") && e.fields[*k].is_string())?;
            Some((o.target_id.clone(), key.clone()))
        })
        .expect("a contact with a text attribute");
    let name = attribute.trim_start_matches("custom_attributes.");
    let update = UpdateContact {
        custom_attributes: Some(serde_json::Map::from_iter([(
            name.to_owned(),
            Value::from("changed behind the tool's back"),
        )])),
        ..UpdateContact::default()
    };
    ic.contacts().update(&contact, &update).await.unwrap();
    // 2. An open ticket closed.
    let closed = tickets
        .iter()
        .find(|(_, f)| {
            f.get("open") == Some(&Value::Bool(true)) && !f.contains_key("snoozed_until")
        })
        .map(|(id, _)| id.clone())
        .expect("an open ticket");
    let close = UpdateTicket {
        open: Some(false),
        ..UpdateTicket::default()
    };
    ic.tickets().update(&closed, &close).await.unwrap();
    // 3. One tag removed from a (different) ticket.
    let admin = common::fallback_admin(&sb);
    let (untagged, tag) = tickets
        .iter()
        .filter(|(id, _)| *id != closed)
        .find_map(|(id, f)| {
            let tag = f.get("tags")?.as_array()?.first()?.as_str()?.to_owned();
            Some((id.clone(), tag))
        })
        .expect("a tagged ticket");
    ic.tags()
        .untag_ticket(&untagged, &tag, &admin)
        .await
        .unwrap();
    // 4. One part deleted from a third ticket (sandbox-only endpoint).
    let (trimmed, part) = tickets
        .iter()
        .filter(|(id, _)| *id != closed && *id != untagged)
        .find_map(|(id, _)| {
            let parts = ledger.expected_parts(id).unwrap();
            Some((id.clone(), parts.last()?.target_id.clone()))
        })
        .expect("a ticket with parts");
    let status = common::http_delete(
        &sb.intercom_url,
        &format!("/__sandbox/intercom/parts/{part}"),
    )
    .await;
    assert_eq!(status, 200);

    let second = verify(&m, &VerifyOptions::default()).await;
    assert!(!second.all_equal());
    assert_eq!(second.summary.objects, migrated);
    assert_eq!(
        second.summary.resumed, 0,
        "a finished verification starts anew"
    );
    let found = differences(&second);
    let expected: BTreeMap<String, BTreeSet<String>> = [
        (contact.clone(), BTreeSet::from([attribute.clone()])),
        (closed.clone(), BTreeSet::from(["open".to_owned()])),
        (untagged.clone(), BTreeSet::from(["tags".to_owned()])),
        (
            trimmed.clone(),
            BTreeSet::from([format!("part {part}: present")]),
        ),
    ]
    .into();
    assert_eq!(found, expected);
    assert_eq!(second.summary.differs, 4);
    assert_eq!(second.summary.mismatches["part"]["present"], 1);
    assert_eq!(second.summary.mismatches["ticket"]["open"], 1);
    let d = second
        .objects
        .iter()
        .find(|o| o.target_id == contact)
        .unwrap();
    assert_eq!(
        d.diffs[0].found,
        Value::from("changed behind the tool's back")
    );
}

/// An interrupted verification resumes: objects it found equal are not read again (unless
/// `again`), and a write to an object forgets its verification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_verification_resumes_and_again_rechecks() {
    let sb = common::sandbox(20, 3).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    common::run(&m).await;
    let first = verify(&m, &VerifyOptions::default()).await;
    assert!(first.all_equal());
    // As if it had been interrupted.
    ledger.set_meta("verify.state", "running").unwrap();
    let reads = || {
        sb.intercom
            .stats()
            .by_endpoint
            .iter()
            .filter(|(k, _)| k.starts_with("GET"))
            .map(|(_, v)| v.values().sum::<u64>())
            .sum::<u64>()
    };
    let before = reads();
    let resumed = verify(&m, &VerifyOptions::default()).await;
    assert_eq!(resumed.summary.resumed, resumed.summary.equal);
    assert_eq!(resumed.summary.objects, first.summary.objects);
    assert_eq!(resumed.summary.fields, first.summary.fields);
    let after_resume = reads();
    assert!(
        after_resume - before < first.summary.objects / 2,
        "few objects read again"
    );
    ledger.set_meta("verify.state", "running").unwrap();
    let again = verify(&m, &VerifyOptions::default().again(true)).await;
    assert_eq!(again.summary.resumed, 0);
    assert!(reads() - after_resume >= first.summary.objects / 2);
}

/// `verify` with a sample: seeded, stratified tickets read again from Glassix, lined up message
/// by message with Intercom.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spot_check_lines_up_glassix_and_intercom_message_by_message() {
    let sb = common::sandbox(40, 5).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    common::run(&m).await;
    let v = verify(&m, &VerifyOptions::default().sample(12, 3)).await;
    let sample = v.sample.expect("a sample");
    assert_eq!((sample.requested, sample.seed), (12, 3));
    assert_eq!(sample.tickets.len(), 12);
    assert!(sample.strata > 1);
    let again = verify(&m, &VerifyOptions::default().sample(12, 3)).await;
    let ids = |s: &migration_core::verify::Sample| {
        s.tickets
            .iter()
            .map(|t| t.source_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&sample), ids(again.sample.as_ref().unwrap()), "seeded");
    // Every stratum is represented before any has two.
    let strata: BTreeSet<(String, String)> = sample
        .tickets
        .iter()
        .map(|t| (t.department.clone(), t.channel.clone()))
        .collect();
    assert_eq!(strata.len() as u64, sample.strata.min(12));
    let mut messages = 0;
    for t in &sample.tickets {
        assert_eq!(t.note, None, "both sides read");
        for r in &t.rows {
            // Untouched since the migration: every message has its part, same text, time and
            // files; only events (state, owner, tags changes) have no part, and say why.
            assert!(r.differs.is_empty(), "{} {r:?}", t.source_id);
            match (&r.glassix, &r.intercom) {
                (Some(g), Some(i)) => {
                    messages += 1;
                    assert_eq!((&g.text, g.time), (&i.text, i.time));
                }
                (Some(_), None) => assert!(r.note.as_deref().unwrap().starts_with("an event")),
                (None, Some(_)) => assert!(r.note.as_deref().unwrap().starts_with("continuation")),
                other => panic!("unexpected row {other:?}"),
            }
        }
    }
    assert!(messages > 24, "{messages} messages compared");
    // A part deleted behind the tool's back shows as a row without counterpart.
    let t = &sample.tickets[0];
    let part = t
        .rows
        .iter()
        .find_map(|r| r.intercom.as_ref())
        .unwrap()
        .id
        .clone();
    let path = format!("/__sandbox/intercom/parts/{part}");
    assert_eq!(common::http_delete(&sb.intercom_url, &path).await, 200);
    let after = verify(&m, &VerifyOptions::default().sample(12, 3)).await;
    let t2 = &after.sample.as_ref().unwrap().tickets[0];
    assert_eq!(t2.source_id, t.source_id);
    assert_eq!(t2.rows_differing, 1);
    let r = t2.rows.iter().find(|r| !r.differs.is_empty()).unwrap();
    assert_eq!(r.differs, ["counterpart"]);
    assert!(r.intercom.is_none());
}

/// Tickets migrated as conversations read back equal too (state from the actions, assignee,
/// title, conversation attributes, tags, parts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_read_back_equal() {
    let sb = common::sandbox(60, 9).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let spec = common::conversations_spec(&sb);
    let m = common::migration_with(&sb, ledger.clone(), false, spec);
    let run = common::run(&m).await;
    assert!(run.is_balanced(), "{:?}", run.imbalance);
    let v = verify(&m, &VerifyOptions::default().sample(5, 1)).await;
    for o in v
        .objects
        .iter()
        .filter(|o| o.outcome != CheckOutcome::Equal)
    {
        println!("{o:?}");
    }
    assert!(v.all_equal());
    assert_eq!(v.summary.unchecked, 0);
    assert!(v.summary.by_kind.contains_key("conversation_attribute"));
    let tickets = v
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Conversation)
        .collect::<Vec<_>>();
    assert!(!tickets.is_empty());
    for o in &tickets {
        assert!(o.fields_checked > 3, "{o:?}");
    }
    let states: BTreeSet<String> = tickets
        .iter()
        .filter_map(|o| {
            let e = ledger
                .expectation(&ObjectKind::Conversation, &o.target_id)
                .unwrap()?;
            e.fields.get("state")?.as_str().map(str::to_owned)
        })
        .collect();
    assert!(
        states.contains("closed"),
        "closed conversations checked: {states:?}"
    );
    let sample = v.sample.unwrap();
    assert_eq!(sample.tickets.len(), 5);
    assert!(
        sample
            .tickets
            .iter()
            .all(|t| t.kind == ObjectKind::Conversation && t.note.is_none())
    );
}
