//! A ticket with more messages than Intercom returns on a read (500 parts) moves whole: every
//! message is written once, in order, and a rerun writes nothing. Intercom's read cap is a limit
//! of reading back, not of the import, so nothing may be silently cut.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::sync::Arc;

use migration_core::ledger::Ledger;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_longer_than_the_read_cap_moves_whole_and_reruns_clean() {
    const LONG: usize = 520;
    let sb = common::sandbox_with_long_conversation(12, 17, LONG).await;

    // The long ticket in the source: its id and how many messages and notes it holds.
    let long = sb
        .snapshot
        .tickets
        .iter()
        .max_by_key(|t| t["transactions"].as_array().map_or(0, Vec::len))
        .expect("a ticket");
    let long_id = long["id"].as_i64().unwrap().to_string();
    let messages = long["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| matches!(t["type"].as_str(), Some("Message" | "Note")))
        .count();
    assert!(
        messages > 500,
        "the generator made a long ticket ({messages})"
    );

    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let first = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(first.is_balanced(), "{:?}", first.imbalance);

    // Intercom's side, read from the sandbox's full state (not capped like an API read).
    let state = sb.intercom.state();
    let ticket = state
        .tickets
        .values()
        .find(|t| {
            t.ticket_attributes
                .get("glassix_ticket_id")
                .is_some_and(|v| {
                    v.as_str() == Some(long_id.as_str())
                        || v.as_i64().map(|n| n.to_string()) == Some(long_id.clone())
                })
        })
        .expect("the long ticket was migrated");
    let comments: Vec<_> = ticket
        .parts
        .iter()
        .filter(|p| matches!(p.part_type.as_str(), "comment" | "note"))
        .collect();
    println!(
        "long ticket {long_id}: {messages} source messages and notes, {} parts in Intercom \
         ({} comments and notes), {} writes in the run",
        ticket.parts.len(),
        comments.len(),
        first.intercom_writes
    );
    assert!(
        comments.len() >= messages,
        "every message and note became a part: {} < {messages}",
        comments.len()
    );
    let times: Vec<i64> = comments.iter().map(|p| p.created_at).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "parts keep the source order"
    );

    let second = common::run(&common::migration(&sb, ledger, false)).await;
    assert_eq!(second.intercom_writes, 0, "a rerun writes nothing");
}

/// A part past Intercom's 500-part read cap whose create met a 5xx (not processed) is settled
/// from evidence and sent again in the same run. Before, its look-up could not see past the
/// cap and refused to settle it, so the ticket stuck for good: every later run failed it again
/// and the rest of its messages and its final state were never written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_part_past_the_read_cap_that_met_a_5xx_is_sent_again_in_the_same_run() {
    const LONG: usize = 540;
    let sb = common::sandbox_with_long_conversation(12, 23, LONG).await;
    let long = sb
        .snapshot
        .tickets
        .iter()
        .max_by_key(|t| t["transactions"].as_array().map_or(0, Vec::len))
        .expect("a ticket");
    let long_id = long["id"].as_i64().unwrap();
    let messages = long["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| matches!(t["type"].as_str(), Some("Message" | "Note")))
        .count();
    assert!(messages > 500, "a long ticket ({messages})");
    // Every 11th Intercom request answers 500 without processing it: some of the ~40 part
    // creates past the cap meet one.
    sb.intercom.set_faults(helpdesk_sandbox::FaultConfig {
        error_5xx_every: 11,
        ..Default::default()
    });
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let run = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(run.is_balanced(), "{:?}", run.imbalance);
    for (kind, c) in &run.this_run {
        assert_eq!(c.failed, 0, "{kind}: nothing failed in the one run");
    }
    assert!(
        ledger.open_intents().unwrap().is_empty(),
        "no create left unsettled"
    );
    let state = sb.intercom.state();
    let ticket = state
        .tickets
        .values()
        .find(|t| {
            t.ticket_attributes
                .get("glassix_ticket_id")
                .and_then(|v| v.as_i64())
                == Some(long_id)
        })
        .expect("the long ticket was migrated");
    let comments = ticket
        .parts
        .iter()
        .filter(|p| matches!(p.part_type.as_str(), "comment" | "note"))
        .count();
    assert!(
        comments >= messages,
        "every message arrived: {comments} < {messages}"
    );
    let mut seen = std::collections::BTreeSet::new();
    for p in ticket
        .parts
        .iter()
        .filter(|p| p.part_type == "comment" || p.part_type == "note")
    {
        assert!(
            seen.insert((p.created_at, p.body.clone())),
            "no part written twice: {p:?}"
        );
    }
}
