//! A new (or lost) ledger pointed at a workspace this migration already wrote: the run finds
//! Intercom's objects by their Glassix marks and adopts them — it creates nothing again — and
//! the next run writes nothing. Before, it created every conversation and lead a second time.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use helpdesk_sandbox::SandboxHandle;
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

/// POST requests that create something (searches and tag attachments left out), by endpoint.
fn creates(sb: &SandboxHandle) -> BTreeMap<String, u64> {
    sb.intercom
        .stats()
        .by_endpoint
        .into_iter()
        .filter(|(e, _)| e.starts_with("POST") && !e.contains("search") && !e.ends_with("/tags"))
        .map(|(e, by_status)| (e, by_status.values().sum()))
        .collect()
}

async fn adopts(
    sb: SandboxHandle,
    spec_for: fn(&SandboxHandle) -> migration_core::spec::MappingSpec,
) {
    let first = Arc::new(Ledger::open_in_memory().unwrap());
    let r1 = common::run(&common::migration_with(
        &sb,
        first.clone(),
        false,
        spec_for(&sb),
    ))
    .await;
    assert!(r1.is_balanced(), "{:?}", r1.imbalance);
    let expected = common::canonical(&sb);
    let before = creates(&sb);

    // The ledger is lost: a new one, the same workspace.
    let fresh = Arc::new(Ledger::open_in_memory().unwrap());
    let r2 = common::run(&common::migration_with(
        &sb,
        fresh.clone(),
        false,
        spec_for(&sb),
    ))
    .await;
    assert!(r2.is_balanced(), "{:?}", r2.imbalance);
    let after = creates(&sb);
    assert_eq!(after, before, "the second ledger's run created nothing");
    assert_eq!(
        common::canonical(&sb),
        expected,
        "no duplicate, nothing changed"
    );
    for kind in [ObjectKind::Contact, ObjectKind::Part] {
        assert_eq!(
            r2.counts_of(&kind).migrated,
            r1.counts_of(&kind).migrated,
            "{kind}: the new ledger knows every migrated record"
        );
    }
    println!(
        "adopted into a new ledger: {:?}; Intercom writes of that run: {}",
        r2.counts, r2.intercom_writes
    );
    let before_third = common::writes(&sb);
    common::run(&common::migration_with(
        &sb,
        fresh.clone(),
        false,
        spec_for(&sb),
    ))
    .await;
    assert_eq!(
        common::writes(&sb),
        before_third,
        "the next run writes nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ledger_adopts_the_tickets_of_an_earlier_run() {
    adopts(common::sandbox(40, 9).await, |sb| common::spec(sb, true)).await;
}

/// A ticket longer than Intercom's 500-part read cap: its early parts cannot be read back, but a
/// later part read back proves they were written (in order), so they are adopted too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ledger_adopts_a_ticket_longer_than_the_read_cap() {
    let sb = common::sandbox_with_long_conversation(12, 9, 520).await;
    adopts(sb, |sb| common::spec(sb, true)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_ledger_adopts_the_conversations_of_an_earlier_run() {
    adopts(common::sandbox(40, 9).await, common::conversations_spec).await;
}

/// `recover` rebuilds a lost ledger from Intercom without creating anything, says what it could
/// not attribute, and the next `migrate` writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_rebuilds_a_ledger_that_then_writes_nothing() {
    let sb = common::sandbox(40, 9).await;
    let first = Arc::new(Ledger::open_in_memory().unwrap());
    let r1 = common::run(&common::migration(&sb, first.clone(), false)).await;
    assert!(r1.is_balanced(), "{:?}", r1.imbalance);
    let expected = common::canonical(&sb);
    let before = creates(&sb);

    let rebuilt = Arc::new(Ledger::open_in_memory().unwrap());
    let (progress, _rx) = migration_core::progress::ProgressSender::channel(4096);
    let (r2, unattributed) = common::migration(&sb, rebuilt.clone(), false)
        .recover(progress)
        .await
        .unwrap();
    assert!(r2.is_balanced(), "{:?}", r2.imbalance);
    assert_eq!(creates(&sb), before, "recover created nothing");
    assert!(
        unattributed.is_empty(),
        "every Intercom ticket is attributed: {unattributed:?}"
    );
    assert_eq!(
        r2.counts_of(&ObjectKind::Ticket).migrated,
        r1.counts_of(&ObjectKind::Ticket).migrated
    );
    // A recovered ledger refuses a second recover.
    let (progress, _rx) = migration_core::progress::ProgressSender::channel(16);
    assert!(
        common::migration(&sb, rebuilt.clone(), false)
            .recover(progress)
            .await
            .is_err()
    );
    let writes = common::writes(&sb);
    let r3 = common::run(&common::migration(&sb, rebuilt.clone(), false)).await;
    assert!(r3.is_balanced(), "{:?}", r3.imbalance);
    assert_eq!(
        common::writes(&sb),
        writes,
        "the next migrate writes nothing"
    );
    assert_eq!(common::canonical(&sb), expected);
    println!(
        "recover: adopted {:?}; {} Intercom writes (idempotent finishing writes, no create)",
        r2.adopted, r2.intercom_writes
    );
}

/// A ledger belongs to one Intercom workspace: the first run records it, and a run whose token
/// reaches another workspace is refused before anything is read or written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ledger_of_another_workspace_is_refused() {
    let sb = common::sandbox(10, 9).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert_eq!(
        ledger
            .meta(migration_core::ledger::INTERCOM_WORKSPACE)
            .unwrap()
            .as_deref(),
        Some("sandbox0"),
        "the first run binds the ledger to the token's workspace"
    );
    // The same ledger, as if it had been made against another workspace.
    ledger
        .set_meta(migration_core::ledger::INTERCOM_WORKSPACE, "another0")
        .unwrap();
    let writes = common::writes(&sb);
    let runs = ledger.runs().unwrap().len();
    let (progress, _rx) = migration_core::progress::ProgressSender::channel(16);
    let err = common::migration(&sb, ledger.clone(), false)
        .run(progress)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, migration_core::execute::ExecError::Config(_))
            && msg.contains("another0")
            && msg.contains("sandbox0"),
        "{msg}"
    );
    assert_eq!(common::writes(&sb), writes, "nothing written");
    assert_eq!(ledger.runs().unwrap().len(), runs, "no run begun");
}
