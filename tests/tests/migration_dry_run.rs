//! A dry run reads and maps everything, writes nothing to Intercom and reports counts.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_and_reports_counts() {
    let sb = common::sandbox(60, 7).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    // An unconfirmed spec is enough for a dry run.
    let m = common::migration(&sb, ledger.clone(), true);
    let result = common::run(&m).await;

    assert_eq!(
        common::writes(&sb),
        0,
        "a dry run sends no write to Intercom"
    );
    assert_eq!(result.intercom_writes, 0);
    let st = sb.intercom.state();
    assert!(st.contacts.is_empty() && st.tickets.is_empty());
    assert!(
        ledger.counts_by_kind().unwrap().is_empty(),
        "nor records objects in the ledger"
    );

    let dry = result.dry.as_ref().expect("dry-run report");
    let tickets = result.counts_of(&ObjectKind::Ticket);
    assert_eq!(tickets.source, sb.snapshot.tickets.len() as u64);
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    assert!(tickets.migrated > 0);
    assert!(
        dry.would_write
            .get(&ObjectKind::Ticket)
            .copied()
            .unwrap_or(0)
            == tickets.migrated
    );
    assert!(dry.would_write.get(&ObjectKind::Part).copied().unwrap_or(0) > tickets.migrated);
    assert!(!dry.sample.is_empty(), "a sample of mapped requests");
    println!(
        "dry run: tickets {tickets:?}; contacts {:?}; would write {:?}; sample {} requests",
        result.counts_of(&ObjectKind::Contact),
        dry.would_write,
        dry.sample.len()
    );
}
