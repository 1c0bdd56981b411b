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
