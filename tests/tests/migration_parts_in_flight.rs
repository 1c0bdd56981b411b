//! A run that dies while a ticket's parts are being sent (`kill -9`, a power cut) leaves parts
//! in Intercom of which the ledger file holds no trace: a part's intent and completion are
//! grouped into the next commit, not awaited before its reply is sent. What is on disk before
//! the first part is sent is the ticket's parts-in-flight mark; the next run looks the
//! unsettled parts up, in order, before sending any, so none is sent twice.
//!
//! The crash is simulated by copying the ledger file and its WAL while the run is live (what
//! `kill -9` leaves: the committed frames only), at a moment when the sandbox has answered
//! replies whose intents are not in the copy.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use helpdesk_sandbox::{FaultConfig, SandboxHandle};
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;
use migration_core::progress::ProgressSender;

const TICKETS: usize = 20;
const SEED: u64 = 9;
const LONG: usize = 300;

/// Messages (comment and note parts) Intercom holds, over every ticket.
fn messages(sb: &SandboxHandle) -> usize {
    sb.intercom
        .state()
        .tickets
        .values()
        .flat_map(|t| t.parts.iter())
        .filter(|p| p.part_type == "comment" || p.part_type == "note")
        .count()
}

/// Replies Intercom answered with a 2xx (ticket parts created).
fn replies(sb: &SandboxHandle) -> u64 {
    sb.intercom
        .stats()
        .by_endpoint
        .iter()
        .filter(|(endpoint, _)| endpoint.starts_with("POST ") && endpoint.ends_with("/reply"))
        .flat_map(|(_, statuses)| statuses.iter())
        .filter(|(status, _)| status.starts_with('2'))
        .map(|(_, n)| *n)
        .sum()
}

/// Verifies everything the ledger expects (all equal) and answers how many parts were checked.
async fn verified_parts(sb: &SandboxHandle, ledger: &Arc<Ledger>) -> u64 {
    common::assert_verified_equal(&common::migration(sb, ledger.clone(), false))
        .await
        .summary
        .parts
}

/// Copies the ledger file and its WAL as a process killed now would leave them.
fn crash_copy(from: &Path, to: &Path) {
    let wal = |p: &Path| {
        let mut s = p.as_os_str().to_owned();
        s.push("-wal");
        std::path::PathBuf::from(s)
    };
    std::fs::copy(from, to).unwrap();
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).unwrap();
    }
}

/// Parts the copy knows of (migrated, or with an intent still open).
fn traced_parts(ledger: &Ledger) -> u64 {
    let migrated = ledger.counts(&ObjectKind::Part).unwrap().migrated;
    let open = ledger
        .open_intents()
        .unwrap()
        .iter()
        .filter(|i| i.kind == ObjectKind::Part)
        .count() as u64;
    migrated + open
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_sent_without_a_trace_in_the_ledger_are_found_not_sent_again() {
    let reference = common::sandbox_with_long_conversation(TICKETS, SEED, LONG).await;
    let reference_ledger = Arc::new(Ledger::open_in_memory().unwrap());
    common::run(&common::migration(
        &reference,
        reference_ledger.clone(),
        false,
    ))
    .await;
    let reference_parts = verified_parts(&reference, &reference_ledger).await;
    let expected = common::canonical(&reference);
    let expected_replies = replies(&reference);
    let expected_messages = messages(&reference);

    let sb = common::sandbox_with_long_conversation(TICKETS, SEED, LONG).await;
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("ledger.sqlite");
    let crashed = dir.path().join("crashed.sqlite");
    let (answered, traced) = {
        let ledger = Arc::new(Ledger::open(&live).unwrap());
        let m = common::migration(&sb, ledger.clone(), false);
        let (progress, _rx) = ProgressSender::channel(4096);
        let run = m.run(progress);
        tokio::pin!(run);
        loop {
            tokio::select! {
                r = &mut run => panic!("the run ended before a crash copy showed untraced parts: {:?}", r.map(|r| r.counts)),
                _ = tokio::time::sleep(Duration::from_millis(1)) => {
                    if replies(&sb) < 20 {
                        continue;
                    }
                    let answered = replies(&sb);
                    crash_copy(&live, &crashed);
                    let copy = Ledger::open(&crashed).unwrap();
                    let traced = traced_parts(&copy);
                    if answered > traced {
                        break (answered, traced);
                    }
                }
            }
        }
        // The run is dropped here; the live ledger is not used again.
    };
    let copy = Arc::new(Ledger::open(&crashed).unwrap());
    let in_flight = copy.tickets_with_parts_in_flight().unwrap();
    assert!(
        !in_flight.is_empty(),
        "the copy holds the mark of the ticket whose parts were being sent"
    );
    let reads_before = sb.intercom.stats().total;

    let r = common::run(&common::migration(&sb, copy.clone(), false)).await;
    assert!(r.is_balanced(), "{:?}", r.imbalance);
    assert!(
        r.this_run.values().all(|c| c.failed == 0),
        "{:?}",
        r.this_run
    );
    assert!(
        copy.open_intents().unwrap().is_empty(),
        "every intent settled"
    );
    assert!(
        copy.tickets_with_parts_in_flight().unwrap().is_empty(),
        "every mark cleared"
    );
    assert_eq!(
        replies(&sb),
        expected_replies,
        "every part sent exactly once"
    );
    assert_eq!(messages(&sb), expected_messages, "every message once");
    // A part found by the look-up is verified like one the run sent itself.
    assert_eq!(
        verified_parts(&sb, &copy).await,
        reference_parts,
        "every part verified"
    );
    assert_eq!(
        common::canonical(&sb),
        expected,
        "same state as an uninterrupted run"
    );
    println!(
        "crash copy: {answered} replies answered, {traced} in the ledger copy ({} without a \
         trace), marks {in_flight:?}; the rerun sent {} requests",
        answered - traced,
        sb.intercom.stats().total - reads_before
    );
}

/// A part whose answer is lost and whose look-up cannot tell (the reads after the loss are
/// refused past the client's retries) fails in its run. It has no intent of its own, so its
/// ticket's mark must stay, marked unsettled: the next attempt at the ticket (later in the same
/// run, or the next run) then finds the part instead of sending it again. Without the mark
/// kept, or kept as this run's, 2–5 messages were sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_part_its_look_up_could_not_settle_is_found_by_the_next_run() {
    let reference = common::sandbox_with_long_conversation(TICKETS, SEED, LONG).await;
    common::run_uninterrupted(&reference).await;
    let expected = common::canonical(&reference);
    let expected_messages = messages(&reference);

    let sb = common::sandbox_with_long_conversation(TICKETS, SEED, LONG).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let first = {
        let m = common::fast_retrying_migration(&sb, ledger.clone());
        let (progress, _rx) = ProgressSender::channel(4096);
        let run = m.run(progress);
        tokio::pin!(run);
        let mut faulted = false;
        loop {
            tokio::select! {
                r = &mut run => break r.expect("the run ends"),
                _ = tokio::time::sleep(Duration::from_millis(1)), if !faulted => {
                    // After the schema steps (which the sandbox cannot look up) and a few
                    // parts: every 40th write loses its answer, and the 12 reads after each
                    // loss are refused (the look-up's first try and its 4 retries among them).
                    if replies(&sb) >= 20 {
                        sb.intercom.set_faults(FaultConfig {
                            lose_response_every_write: 40,
                            fail_reads_after_lost: 12,
                            ..FaultConfig::default()
                        });
                        faulted = true;
                    }
                }
            }
        }
    };
    sb.intercom.set_faults(FaultConfig::default());
    let lost = sb
        .intercom
        .stats()
        .by_status
        .get("lost")
        .copied()
        .unwrap_or(0);
    let marked = ledger.tickets_with_parts_in_flight().unwrap();
    assert!(lost > 0, "answers were lost");
    assert!(
        !marked.is_empty(),
        "a ticket whose part could not be settled keeps its mark: {:?}",
        first.this_run
    );
    let mut runs = 1;
    loop {
        runs += 1;
        let r = common::run(&common::fast_retrying_migration(&sb, ledger.clone())).await;
        let failed: u64 = r.this_run.values().map(|c| c.failed).sum();
        if failed == 0 || runs == 4 {
            assert_eq!(failed, 0, "{:?}", r.this_run);
            break;
        }
    }
    assert!(
        ledger.open_intents().unwrap().is_empty(),
        "every intent settled"
    );
    assert!(
        ledger.tickets_with_parts_in_flight().unwrap().is_empty(),
        "every mark cleared"
    );
    assert_eq!(
        messages(&sb),
        expected_messages,
        "every part exactly once (a lost answer's part is in Intercom once)"
    );
    assert_eq!(
        common::canonical(&sb),
        expected,
        "same state as an uninterrupted run"
    );
    println!(
        "lost answers: {lost}; marks kept after the first run: {marked:?}; converged after {runs} runs"
    );
}

/// A message Glassix lists twice in one ticket (the same transaction GUID twice) is written
/// once: the ledger's answer read before the ticket's first part does not know of the first
/// meeting, so the second meeting of the key asks the ledger again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_listed_twice_is_written_once() {
    let reference = {
        let twin = common::sandbox(TICKETS, SEED).await;
        common::run_uninterrupted(&twin).await;
        messages(&twin)
    };
    let sb = common::sandbox(TICKETS, SEED).await;
    let snapshot = sb.glassix.snapshot().unwrap();
    let (id, guid) = snapshot
        .tickets
        .iter()
        .find_map(|t| {
            let tx = t["transactions"]
                .as_array()?
                .iter()
                .find(|x| x["type"] == "Message")?;
            Some((
                t["id"].as_i64()?,
                tx["guidTransactionId"].as_str()?.to_owned(),
            ))
        })
        .expect("a ticket with a message");
    sb.glassix
        .mutate(helpdesk_sandbox::glassix::Mutation::RepeatTransaction {
            ticket_id: id,
            guid,
        })
        .unwrap();
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let r = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(reference > 0);
    assert_eq!(
        messages(&sb),
        reference,
        "every message once, the repeated one too: {:?}",
        r.this_run
    );
}
