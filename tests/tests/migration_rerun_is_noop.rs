//! A second run of the same migration makes no write call, and leaves Intercom as it was.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_run_writes_nothing() {
    let sb = common::sandbox(80, 5).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let first = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(first.is_balanced(), "{:?}", first.imbalance);
    assert!(first.intercom_writes > 0);
    let state_after_first = common::canonical(&sb);
    let writes_after_first = common::writes(&sb);

    let second = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    let writes_after_second = common::writes(&sb);
    println!(
        "rerun: first run {} writes, second run {} writes (sandbox counted {} then {})",
        first.intercom_writes, second.intercom_writes, writes_after_first, writes_after_second
    );
    assert_eq!(second.intercom_writes, 0, "the executor sent no write");
    assert_eq!(
        writes_after_second, writes_after_first,
        "the sandbox saw no write"
    );
    assert_eq!(common::canonical(&sb), state_after_first);
    assert!(second.is_balanced());
    assert_eq!(
        second.counts, first.counts,
        "the ledger's counts are unchanged"
    );
    let t = second.this_run[&ObjectKind::Ticket];
    assert_eq!(t.source, first.counts_of(&ObjectKind::Ticket).source);
    assert_eq!(ledger.runs().unwrap().len(), 2);
}

/// A ticket whose source changed (a field edited, a message added) is updated in place: its
/// attribute is rewritten and the new message appended, nothing is duplicated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changed_source_is_updated_not_duplicated() {
    let sb = common::sandbox(40, 6).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let first = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(first.is_balanced());

    // The same workspace, one ticket edited: field2 changed and a message appended.
    let mut snapshot = sb.snapshot.clone();
    let (index, id) = snapshot
        .tickets
        .iter()
        .enumerate()
        .find_map(|(i, t)| {
            let id = t["id"].as_i64()?;
            let rec = ledger.lookup(&ObjectKind::Ticket, &id.to_string()).ok()??;
            (rec.status == migration_core::ledger::ObjectStatus::Migrated).then_some((i, id))
        })
        .expect("a migrated ticket");
    let ticket = &mut snapshot.tickets[index];
    ticket["field2"] = serde_json::Value::from("ORD-CHANGED");
    let txs = ticket["transactions"].as_array_mut().unwrap();
    // A copy of the customer's first message, sent after the last one.
    let mut added = txs
        .iter()
        .find(|t| t["fromParticipant"]["type"] == "Client")
        .unwrap()
        .clone();
    added["dateTime"] = txs.last().unwrap()["dateTime"].clone();
    added["guidTransactionId"] = serde_json::Value::from(uuid::Uuid::from_u128(42).to_string());
    added["id"] = serde_json::Value::from(txs.last().unwrap()["id"].as_i64().unwrap() + 1);
    added["attachments"] = serde_json::json!([]);
    added["text"] = serde_json::Value::from("One more thing");
    added["html"] = serde_json::Value::from("<p>One more thing</p>");
    txs.push(added);
    let glassix = helpdesk_sandbox::FakeGlassix::start(
        snapshot,
        helpdesk_sandbox::GlassixConfig {
            limits: Some(helpdesk_sandbox::TierLimits {
                per_minute: 1_000_000,
                per_hour: 10_000_000,
            }),
            ..helpdesk_sandbox::GlassixConfig::default()
        },
    )
    .await
    .unwrap();
    let mut b = glassix_client::Client::builder()
        .base_url(glassix.base_url.clone())
        .tier(glassix_client::Tier::Enterprise)
        .quota(glassix_client::Quota::new(1_000_000, 10_000_000));
    for c in glassix.credentials() {
        b = b.department(
            glassix_client::Credentials::new(&c.api_key, c.api_secret.clone(), &c.user_name)
                .unwrap(),
        );
    }
    let tickets_before = sb.intercom.state().tickets.len();
    let parts_before = ledger.parts_for(&id.to_string()).unwrap().len();
    let m = migration_core::execute::Migration::builder()
        .glassix(b.build().unwrap())
        .intercom(common::intercom(&sb))
        .spec(common::spec(&sb, true))
        .ledger(ledger.clone())
        .departments(common::departments(&sb))
        .since(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 12, 1, 0, 0, 0).unwrap())
        .until(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 31, 0, 0, 0).unwrap())
        .build()
        .unwrap();
    let second = common::run(&m).await;
    assert!(second.is_balanced());
    let state = sb.intercom.state();
    assert_eq!(state.tickets.len(), tickets_before, "no ticket duplicated");
    let dst = state
        .tickets
        .values()
        .find(|t| t.ticket_attributes["glassix_ticket_id"].as_i64() == Some(id))
        .unwrap();
    assert_eq!(dst.ticket_attributes["order_number"], "ORD-CHANGED");
    assert_eq!(
        ledger.parts_for(&id.to_string()).unwrap().len(),
        parts_before + 1
    );
    let last = dst
        .parts
        .iter()
        .rev()
        .find(|p| p.part_type == "comment" || p.part_type == "note");
    assert!(
        last.unwrap()
            .body
            .as_deref()
            .unwrap_or("")
            .contains("One more thing")
    );
    println!(
        "changed source: second run sent {} writes (1 ticket updated, 1 message appended)",
        second.intercom_writes
    );
    assert!(
        second.intercom_writes <= 5,
        "{} writes",
        second.intercom_writes
    );
}
