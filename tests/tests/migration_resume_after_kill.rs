//! A run killed at seeded points and resumed ends in the same Intercom state as an
//! uninterrupted one, with no duplicates; so does a run whose responses are lost after the
//! write committed (the sandbox's lost-response fault).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use helpdesk_sandbox::{FaultConfig, SandboxHandle};
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;
use migration_core::progress::ProgressSender;

const TICKETS: usize = 70;
const SEED: u64 = 9;

/// Runs the migration until the sandbox has seen `writes` write requests, then drops the run.
/// Returns whether the run finished before that.
async fn run_until(sb: &SandboxHandle, ledger: &Arc<Ledger>, writes: u64) -> bool {
    let m = common::migration(sb, ledger.clone(), false);
    let (progress, _rx) = ProgressSender::channel(4096);
    let run = m.run(progress);
    tokio::pin!(run);
    loop {
        tokio::select! {
            r = &mut run => {
                r.expect("run");
                return true;
            }
            _ = tokio::time::sleep(Duration::from_millis(1)) => {
                if common::writes(sb) >= writes {
                    return false; // the run future is dropped here: a kill at any await point
                }
            }
        }
    }
}

/// Ticket and contact counts in the sandbox, and duplicates (by Glassix id / identity).
fn assert_no_duplicates(sb: &SandboxHandle) {
    let st = sb.intercom.state();
    let mut ids = std::collections::BTreeSet::new();
    for t in st.tickets.values() {
        assert!(
            ids.insert(t.ticket_attributes["glassix_ticket_id"].to_string()),
            "duplicate ticket"
        );
    }
    let mut keys = std::collections::BTreeSet::new();
    for c in st.contacts.values() {
        assert!(
            keys.insert(c.external_id.clone().or(c.email.clone())),
            "duplicate contact"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_resume_to_the_same_state() {
    // The reference: one uninterrupted run.
    let reference = common::sandbox(TICKETS, SEED).await;
    let r = common::run_uninterrupted(&reference).await;
    assert!(r.is_balanced());
    assert!(
        r.this_run.values().all(|c| c.failed == 0),
        "{:?}",
        r.this_run
    );
    let expected = common::canonical(&reference);
    let total_writes = common::writes(&reference);

    // The same migration killed at seeded points (after the schema steps, which the sandbox
    // cannot look up: it lists a ticket type's attributes under `data`), then resumed.
    let sb = common::sandbox(TICKETS, SEED).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let mut kills = Vec::new();
    let mut state = SEED;
    let mut threshold = 40;
    for _ in 0..5 {
        // A small seeded LCG: the kill points are reproducible.
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        threshold += 20 + (state >> 33) % (total_writes / 6);
        let ledger = Arc::new(Ledger::open(&path).unwrap()); // reopened, like a new process
        if run_until(&sb, &ledger, threshold).await {
            break;
        }
        kills.push(common::writes(&sb));
    }
    let ledger = Arc::new(Ledger::open(&path).unwrap());
    let last = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(last.is_balanced(), "{:?}", last.imbalance);
    assert!(
        ledger.open_intents().unwrap().is_empty(),
        "every intent settled"
    );
    assert_no_duplicates(&sb);
    assert_eq!(
        common::canonical(&sb),
        expected,
        "same state as the uninterrupted run"
    );
    println!(
        "resume after kill: killed at writes {kills:?}; writes uninterrupted {total_writes}, \
         killed+resumed {}; tickets {:?}",
        common::writes(&sb),
        last.counts_of(&ObjectKind::Ticket)
    );
    assert!(kills.len() >= 2, "the run was killed several times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_responses_are_settled_by_lookup() {
    let reference = common::sandbox(TICKETS, SEED).await;
    let r = common::run_uninterrupted(&reference).await;
    assert!(
        r.this_run.values().all(|c| c.failed == 0),
        "{:?}",
        r.this_run
    );
    let expected = common::canonical(&reference);

    let sb = common::sandbox(TICKETS, SEED).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    // Schema first, faults after (see above).
    assert!(!run_until(&sb, &ledger, 40).await);
    sb.intercom.set_faults(FaultConfig {
        lose_response_every_write: 7,
        ..FaultConfig::default()
    });
    let mut runs = 0;
    let mut lost = 0;
    loop {
        runs += 1;
        let r = common::run(&common::migration(&sb, ledger.clone(), false)).await;
        lost = sb
            .intercom
            .stats()
            .by_status
            .get("lost")
            .copied()
            .unwrap_or(lost);
        let failed: u64 = r.this_run.values().map(|c| c.failed).sum();
        if failed == 0 || runs == 6 {
            sb.intercom.set_faults(FaultConfig::default());
            if failed == 0 {
                break;
            }
        }
    }
    let r = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(r.is_balanced(), "{:?}\n{:#?}", r.imbalance, r.counts);
    assert!(lost > 10, "responses were lost ({lost})");
    assert!(ledger.open_intents().unwrap().is_empty());
    assert_no_duplicates(&sb);
    assert_eq!(common::canonical(&sb), expected);
    println!("lost responses: {lost} writes lost their response; converged after {runs} run(s)");
}

/// 429 bursts and 5xx answers (not processed) on top: the run retries what it may, settles
/// what it must look up, and the next run finishes the rest, again with no duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_converge_without_duplicates() {
    let reference = common::sandbox(TICKETS, SEED).await;
    common::run_uninterrupted(&reference).await;
    let expected = common::canonical(&reference);

    let sb = common::sandbox(TICKETS, SEED).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    assert!(!run_until(&sb, &ledger, 40).await);
    sb.intercom.set_faults(FaultConfig {
        seed: 3,
        burst_429_every: 301,
        burst_429_len: 3,
        error_5xx_every: 53,
        ..FaultConfig::default()
    });
    let mut runs = 0;
    loop {
        runs += 1;
        let r = common::run(&common::migration(&sb, ledger.clone(), false)).await;
        let failed: u64 = r.this_run.values().map(|c| c.failed).sum();
        if failed == 0 {
            break;
        }
        assert!(
            runs < 6,
            "still failing after {runs} runs: {:?}",
            r.this_run
        );
    }
    let stats = sb.intercom.stats();
    let errors_5xx = stats.status(500) + stats.status(503);
    assert!(
        stats.status(429) > 0 && errors_5xx > 0,
        "{:?}",
        stats.by_status
    );
    assert_no_duplicates(&sb);
    assert_eq!(common::canonical(&sb), expected);
    println!(
        "transient faults: {} × 429, {errors_5xx} × 5xx; converged after {runs} run(s)",
        stats.status(429)
    );
}

/// A tag create left open by a stopped run (a tag rule's tag, created on the way by a ticket,
/// whose answer never came back) is settled by the next run, even though no ticket asks for that
/// tag again: the next run finds it in Intercom's tag list and never creates it, so nothing else
/// would settle it (seen in CI: `tag: source 10 ≠ migrated 9`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_tag_intent_is_settled_by_the_next_run() {
    let sb = common::sandbox(20, SEED).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let name = "glassix_region:orphan";
    let stopped = ledger
        .begin_run(migration_core::ledger::RunMode::Migrate, "spec")
        .unwrap();
    let hash = migration_core::hashing::source_hash(&name).unwrap();
    ledger
        .record_intent(&ObjectKind::Tag, name, &hash, stopped)
        .unwrap();
    let created = common::intercom(&sb)
        .tags()
        .create_or_find(&intercom_client::models::CreateTag {
            name: name.to_owned(),
            id: None,
        })
        .await
        .unwrap();

    let r = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(r.is_balanced(), "{:?}", r.imbalance);
    assert!(ledger.open_intents().unwrap().is_empty());
    let record = ledger.lookup(&ObjectKind::Tag, name).unwrap().unwrap();
    assert_eq!(record.status.as_str(), "migrated");
    assert_eq!(record.target_id.as_deref(), Some(created.id.as_str()));
}

/// A tag record an earlier run left failed (its create's answer lost, say) while the tag exists
/// in Intercom is finished by the next run: migrated (as reused: the ledger cannot show this
/// migration created it), not reported unchanged and left failed for ever. Seen with every
/// write's answer lost: tags stayed failed through any number of fault-free reruns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_left_failed_is_finished_by_the_next_run() {
    use migration_core::ledger::{ObjectStatus, Origin, RunMode};
    let sb = common::sandbox(6, 12).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    assert!(common::run(&m).await.is_balanced());
    // A tag of a department's tag list (the tags step's own; a tag rule's tag is created on
    // the way by its first ticket).
    let listed: Vec<String> = sb
        .snapshot
        .departments
        .iter()
        .flat_map(|d| d.tags.iter())
        .filter_map(|t| t["name"].as_str().map(|n| n.trim().to_owned()))
        .collect();
    let tag = ledger
        .rollback_order()
        .unwrap()
        .into_iter()
        .find(|i| i.kind == ObjectKind::Tag && listed.contains(&i.source_id))
        .expect("a listed tag the migration created");
    let run = ledger.begin_run(RunMode::Migrate, "answers lost").unwrap();
    ledger
        .mark_failed(
            &ObjectKind::Tag,
            &tag.source_id,
            "the create's answer was lost",
            run,
        )
        .unwrap();
    ledger
        .finish_run(
            run,
            migration_core::ledger::RunStatus::Failed,
            &serde_json::json!({}),
        )
        .unwrap();

    let again = common::run(&m).await;
    assert!(again.is_balanced(), "{:?}", again.imbalance);
    let r = ledger
        .lookup(&ObjectKind::Tag, &tag.source_id)
        .unwrap()
        .unwrap();
    assert_eq!(r.status, ObjectStatus::Migrated, "{r:?}");
    assert_eq!(r.target_id.as_deref(), Some(tag.target_id.as_str()));
    // The first run's create settled on this very tag (its intent names it): created.
    assert_eq!(r.origin, Some(Origin::Created));
}

/// The same for a tag a tag rule made on the way (not in any department's list): a ticket
/// needing it finds it in Intercom's tag list and never records it, so the tags step finishes
/// it (created: the ledger's intent names it), and one left pending whose tag is not in
/// Intercom is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_rule_tag_left_failed_or_pending_is_finished_by_the_next_run() {
    use migration_core::ledger::{ObjectStatus, Origin, RunMode};
    let sb = common::sandbox(20, 12).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    assert!(common::run(&m).await.is_balanced());
    let listed: Vec<String> = sb
        .snapshot
        .departments
        .iter()
        .flat_map(|d| d.tags.iter())
        .filter_map(|t| t["name"].as_str().map(|n| n.trim().to_lowercase()))
        .collect();
    let rule_tags: Vec<_> = ledger
        .rollback_order()
        .unwrap()
        .into_iter()
        .filter(|i| {
            i.kind == ObjectKind::Tag && !listed.contains(&i.source_id.trim().to_lowercase())
        })
        .collect();
    assert!(!rule_tags.is_empty(), "the spec's tag rules made tags");
    let failed = &rule_tags[0];
    let run = ledger.begin_run(RunMode::Migrate, "answers lost").unwrap();
    ledger
        .mark_failed(
            &ObjectKind::Tag,
            &failed.source_id,
            "the create's answer was lost",
            run,
        )
        .unwrap();
    ledger
        .finish_run(
            run,
            migration_core::ledger::RunStatus::Failed,
            &serde_json::json!({}),
        )
        .unwrap();

    let again = common::run(&m).await;
    assert!(again.is_balanced(), "{:?}", again.imbalance);
    let r = ledger
        .lookup(&ObjectKind::Tag, &failed.source_id)
        .unwrap()
        .unwrap();
    assert_eq!(r.status, ObjectStatus::Migrated, "{r:?}");
    assert_eq!(r.target_id.as_deref(), Some(failed.target_id.as_str()));
    assert_eq!(r.origin, Some(Origin::Created));
    assert_eq!(
        ledger.counts(&ObjectKind::Tag).unwrap().failed,
        0,
        "no tag is left failed"
    );
}

/// Every write's answer lost, from the first request: each run's counts add up (every record
/// ends migrated, queued, skipped or failed: a tag a tag rule creates on the way, whose create
/// fails with its ticket, used to stay `pending`, in no column), and fault-free runs after it
/// converge with no tag left failed. Ignored (about 4 minutes on the 2-core machine: every
/// write is retried and settled by look-up in real time):
/// `cargo test -p workspace-tests --test migration_resume_after_kill -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "soak: every write's answer lost, about 4 minutes"]
async fn with_every_write_answer_lost_each_run_balances() {
    let sb = common::sandbox(2, 12).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    sb.intercom.set_faults(FaultConfig {
        lose_response_every_write: 1,
        ..FaultConfig::default()
    });
    let first = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    println!(
        "all answers lost: tags {:?}; ledger {:?}",
        first.counts_of(&ObjectKind::Tag),
        ledger.counts(&ObjectKind::Tag).unwrap()
    );
    assert!(first.is_balanced(), "{:?}", first.imbalance);
    sb.intercom.set_faults(FaultConfig::default());
    for _ in 0..2 {
        let r = common::run(&common::migration(&sb, ledger.clone(), false)).await;
        assert!(r.is_balanced(), "{:?}", r.imbalance);
    }
    assert_eq!(ledger.counts(&ObjectKind::Tag).unwrap().failed, 0);
    assert!(ledger.open_intents().unwrap().is_empty());
}
