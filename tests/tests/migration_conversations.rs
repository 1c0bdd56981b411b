//! Tickets migrated as Intercom conversations (`objects.tickets = "conversations"`): every
//! conversation once, its messages in order, its attributes typed; a second run writes nothing.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_become_conversations() {
    let sb = common::sandbox(60, 3).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let spec = common::conversations_spec(&sb);
    let first = common::run(&common::migration_with(
        &sb,
        ledger.clone(),
        false,
        spec.clone(),
    ))
    .await;
    assert!(first.is_balanced(), "{:?}", first.imbalance);
    for (kind, c) in &first.this_run {
        assert_eq!(c.failed, 0, "{kind}: {:?}", ledger.queue_entries().unwrap());
    }
    let convs = first.counts_of(&ObjectKind::Conversation);
    assert_eq!(convs.source, sb.snapshot.tickets.len() as u64);
    let state = sb.intercom.state();
    let mut by_glassix: BTreeMap<i64, usize> = BTreeMap::new();
    for c in state.conversations.values() {
        let id = c.custom_attributes["glassix_ticket_id"].as_i64().unwrap();
        *by_glassix.entry(id).or_default() += 1;
        assert!(c.custom_attributes["order_number"].is_string());
        assert!(c.custom_attributes["quantity"].is_i64());
        // Messages in order: the opening message is the conversation itself, the others are
        // its comment and note parts, each once, in the ledger's order.
        let parts: Vec<_> = c
            .parts
            .iter()
            .filter(|p| p.part_type == "comment" || p.part_type == "note")
            .collect();
        let ledger_parts: Vec<_> = ledger
            .parts_for(&id.to_string())
            .unwrap()
            .into_iter()
            .filter(|p| p.target_part_id.as_deref() != Some(c.id.as_str()))
            .collect();
        assert_eq!(
            parts.len(),
            ledger_parts.len(),
            "conversation of ticket {id}"
        );
        for (p, lp) in parts.iter().zip(&ledger_parts) {
            assert_eq!(lp.target_part_id.as_deref(), Some(p.id.as_str()));
        }
        assert!(parts.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    }
    assert!(
        by_glassix.values().all(|n| *n == 1),
        "no duplicate conversation"
    );
    assert_eq!(by_glassix.len() as u64, convs.migrated);
    let writes = common::writes(&sb);

    let second = common::run(&common::migration_with(&sb, ledger, false, spec)).await;
    assert_eq!(second.intercom_writes, 0);
    assert_eq!(common::writes(&sb), writes);
    println!(
        "conversations: {convs:?}, parts {:?}, {writes} writes; second run 0 writes",
        first.counts_of(&ObjectKind::Part)
    );
}

/// A new conversation takes no files, so the opening message's attachments follow in a reply
/// right after it. They used to be lost without a note: the reply shared the opening message's
/// ledger key, which was already recorded as migrated (the conversation itself), so it was
/// never sent. Every ticket whose opening transaction has attachments must show them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_opening_messages_attachments_follow_in_a_reply() {
    let sb = common::sandbox(60, 3).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let spec = common::conversations_spec(&sb);
    let result = common::run(&common::migration_with(&sb, ledger.clone(), false, spec)).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    let state = sb.intercom.state();
    let mut checked = 0;
    for c in state.conversations.values() {
        let id = c.custom_attributes["glassix_ticket_id"].as_i64().unwrap();
        let opening = ledger
            .parts_for(&id.to_string())
            .unwrap()
            .into_iter()
            .find(|p| p.position == -1)
            .expect("the opening message is recorded");
        let ticket = sb
            .snapshot
            .tickets
            .iter()
            .find(|t| t["id"].as_i64() == Some(id))
            .unwrap();
        let guid = opening.transaction_guid.trim_end_matches("#opening");
        let has_files = ticket["transactions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["guidTransactionId"].as_str() == Some(guid))
            .is_some_and(|t| t["attachments"].as_array().is_some_and(|a| !a.is_empty()));
        if !has_files {
            continue;
        }
        checked += 1;
        let first_reply = c
            .parts
            .iter()
            .find(|p| p.part_type == "comment" || p.part_type == "note")
            .expect("a reply with the opening message's files");
        assert!(
            !first_reply.attachments.is_empty(),
            "ticket {id}: the opening message's files follow right after it: {first_reply:?}"
        );
    }
    assert!(
        checked > 0,
        "the generated workspace has opening messages with files"
    );
}
