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
