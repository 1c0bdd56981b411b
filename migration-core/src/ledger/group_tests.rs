//! Intents grouped into one commit ([`Ledger::record_intent_durable`]): on disk before the
//! caller goes on, several callers' intents per commit.

use super::*;
use crate::kind::ObjectKind;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(dir.path().join("ledger.sqlite")).unwrap();
    (dir, l)
}

/// What another connection (another process, or the file after a kill -9) sees of a record.
fn status_on_disk(dir: &tempfile::TempDir, kind: &ObjectKind, id: &str) -> Option<ObjectStatus> {
    let other = Ledger::open(dir.path().join("ledger.sqlite")).unwrap();
    other.lookup(kind, id).unwrap().map(|r| r.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awaited_intents_of_callers_ready_at_once_share_one_commit_and_are_on_disk() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    let part = ObjectKind::Part;
    // A deferred write before them rides in the same commit.
    l.mark_skipped(&ObjectKind::Contact, "c1", &Reason::new("x", "y"), run)
        .unwrap();
    let before = l.commits_made();
    let (a, b, c) = tokio::join!(
        l.record_intent_durable(&part, "g1", "fp", run),
        l.record_intent_durable(&part, "g2", "fp", run),
        l.record_intent_durable(&part, "g3", "fp", run),
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    assert_eq!(
        l.commits_made() - before,
        1,
        "three callers ready at once, three intents, one commit"
    );
    for id in ["g1", "g2", "g3"] {
        assert_eq!(
            status_on_disk(&dir, &part, id),
            Some(ObjectStatus::Intent),
            "intent {id} is on disk once its caller may send"
        );
    }
    assert_eq!(
        status_on_disk(&dir, &ObjectKind::Contact, "c1"),
        Some(ObjectStatus::Skipped)
    );
    for (i, target) in [(a, "p1"), (b, "p2"), (c, "p3")] {
        l.complete_intent(i.id, target, "h").unwrap();
    }
    group.finish().unwrap();
    assert_eq!(
        status_on_disk(&dir, &part, "g2"),
        Some(ObjectStatus::Migrated)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lone_awaited_intent_is_committed_without_waiting_for_the_commit_thread() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    // Only one caller records an intent: it commits at once (after letting ready tasks run).
    let group = l.group_commits();
    let t = ObjectKind::Ticket;
    let started = std::time::Instant::now();
    l.record_intent_durable(&t, "1", "fp", run).await.unwrap();
    assert!(
        started.elapsed() < group::MAX_AGE,
        "committed after {:?}",
        started.elapsed()
    );
    assert_eq!(status_on_disk(&dir, &t, "1"), Some(ObjectStatus::Intent));
    drop(group);
}

#[tokio::test]
async fn outside_a_group_an_awaited_intent_commits_at_once() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let t = ObjectKind::Ticket;
    let before = l.commits_made();
    let i = l.record_intent_durable(&t, "1", "fp", run).await.unwrap();
    assert_eq!(l.commits_made() - before, 1);
    assert_eq!(status_on_disk(&dir, &t, "1"), Some(ObjectStatus::Intent));
    // A second intent for the same record is refused, and nothing waits for a commit.
    let err = l
        .record_intent_durable(&t, "1", "fp", run)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("open intent"), "{err}");
    l.complete_intent(i.id, "100", "h").unwrap();
    assert_eq!(status_on_disk(&dir, &t, "1"), Some(ObjectStatus::Migrated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_intent_in_a_group_awaits_nothing_and_leaves_the_others() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    let t = ObjectKind::Ticket;
    l.record_intent_durable(&t, "1", "fp", run).await.unwrap();
    let err = l
        .record_intent_durable(&t, "1", "fp", run)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("open intent"), "{err}");
    l.record_intent_durable(&t, "2", "fp", run).await.unwrap();
    assert_eq!(status_on_disk(&dir, &t, "1"), Some(ObjectStatus::Intent));
    assert_eq!(status_on_disk(&dir, &t, "2"), Some(ObjectStatus::Intent));
    group.finish().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_recorded_while_the_leader_gathers_joins_its_commit() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let _group = l.group_commits();
    let part = ObjectKind::Part;
    let before = l.commits_made();
    let late = async {
        // Ready only after the leader has yielded a few times (as a task whose answer
        // arrives meanwhile).
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        l.record_intent_durable(&part, "g2", "fp", run).await
    };
    let (a, b) = tokio::join!(l.record_intent_durable(&part, "g1", "fp", run), late);
    a.unwrap();
    b.unwrap();
    assert_eq!(
        l.commits_made() - before,
        1,
        "the late intent rode in the leader's commit"
    );
    for id in ["g1", "g2"] {
        assert_eq!(status_on_disk(&dir, &part, id), Some(ObjectStatus::Intent));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_dropped_while_it_gathers_leaves_its_commit_to_the_background_thread() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let _group = l.group_commits();
    let part = ObjectKind::Part;
    let before = l.commits_made();
    // The leader writes its intent, yields to gather, and is dropped (a run stopped).
    tokio::select! {
        biased;
        _ = l.record_intent_durable(&part, "g1", "fp", run) => panic!("the leader gathers first"),
        () = std::future::ready(()) => {}
    }
    assert_eq!(status_on_disk(&dir, &part, "g1"), None, "not committed yet");
    // The next intent finds a commit under way (not its own to lead) and awaits it: the
    // background thread commits both once they have waited MAX_AGE.
    let started = std::time::Instant::now();
    l.record_intent_durable(&part, "g2", "fp", run)
        .await
        .unwrap();
    assert!(
        started.elapsed() >= group::MAX_AGE / 2,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(l.commits_made() - before, 1);
    for id in ["g1", "g2"] {
        assert_eq!(status_on_disk(&dir, &part, id), Some(ObjectStatus::Intent));
    }
}

/// SQLite may roll the whole open transaction back when a statement fails (a full disk, an
/// I/O error): simulated by a write that rolls it back and fails. The intent waiting on that
/// transaction must then fail (its create is never sent), the next write reports the loss,
/// and an intent recorded later, on its own, is committed as usual.
#[tokio::test]
async fn a_group_rolled_back_by_a_failed_write_fails_its_waiting_intents() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    let part = ObjectKind::Part;
    l.mark_skipped(&ObjectKind::Contact, "c1", &Reason::new("x", "y"), run)
        .unwrap();
    let lose = async {
        // The intent's leader yields before it commits: the failing write runs meanwhile.
        tokio::task::yield_now().await;
        l.write_deferred_any_prefix("lose the group", |tx| {
            tx.execute_batch("ROLLBACK")
                .map_err(Error::ledger("test rollback"))?;
            Err::<(), _>(Error::LedgerState("the disk is full".into()))
        })
    };
    // Without the loss noticed, the intent would wait for a commit that never comes.
    let (intent, lost) = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        tokio::join!(l.record_intent_durable(&part, "g1", "fp", run), lose)
    })
    .await
    .expect("the waiting intent is answered, not left waiting");
    assert!(lost.is_err());
    let err = intent.expect_err("the intent's transaction was lost: it must not be sent");
    assert!(err.to_string().contains("could not commit"), "{err}");
    assert_eq!(status_on_disk(&dir, &part, "g1"), None);
    assert_eq!(status_on_disk(&dir, &ObjectKind::Contact, "c1"), None);
    let next = l.mark_skipped(&ObjectKind::Contact, "c2", &Reason::new("x", "y"), run);
    let err = next.expect_err("the next write reports the loss");
    assert!(err.to_string().contains("rolled back"), "{err}");
    let later = l
        .record_intent_durable(&part, "g2", "fp", run)
        .await
        .unwrap();
    assert_eq!(
        status_on_disk(&dir, &part, "g2"),
        Some(ObjectStatus::Intent)
    );
    l.complete_intent(later.id, "p2", "h").unwrap();
    group.finish().unwrap();
}
