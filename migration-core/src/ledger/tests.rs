//! Ledger round trips, intents, crash consistency and ordering.

use super::*;
use crate::kind::{ObjectKind, RollbackAction};
use chrono::TimeZone;

fn ledger() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(dir.path().join("ledger.sqlite")).unwrap();
    (dir, l)
}

#[test]
fn ledger_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Ledger>();
}

#[test]
fn opens_with_schema_version_and_wal() {
    let (dir, l) = ledger();
    assert_eq!(l.schema_version().unwrap(), SCHEMA_VERSION);
    let mode: String = l
        .lock()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(l);
    // Reopening does not re-run migrations.
    let l = Ledger::open(dir.path().join("ledger.sqlite")).unwrap();
    let n: i64 = l
        .lock()
        .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn refuses_a_newer_schema() {
    let (dir, l) = ledger();
    l.lock()
        .execute("INSERT INTO schema_version VALUES (99, 'x')", [])
        .unwrap();
    drop(l);
    let err = Ledger::open(dir.path().join("ledger.sqlite")).unwrap_err();
    assert!(
        matches!(err, crate::Error::LedgerSchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

#[test]
fn runs_round_trip_and_interrupted_runs_are_marked() {
    let (_d, l) = ledger();
    let r1 = l.begin_run(RunMode::Migrate, "abc").unwrap();
    let r2 = l.begin_run(RunMode::Delta, "abc").unwrap();
    assert_eq!(l.run(r1).unwrap().unwrap().status, RunStatus::Interrupted);
    l.finish_run(
        r2,
        RunStatus::Succeeded,
        &serde_json::json!({"ticket": {"migrated": 3}}),
    )
    .unwrap();
    let run = l.run(r2).unwrap().unwrap();
    assert_eq!(run.mode, RunMode::Delta);
    assert_eq!(run.spec_hash, "abc");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert!(run.finished_at.is_some());
    assert_eq!(run.counts.unwrap()["ticket"]["migrated"], 3);
    assert_eq!(l.runs().unwrap().len(), 2);
    assert!(l.finish_run(RunId(42), RunStatus::Failed, &()).is_err());
}

#[test]
fn intent_then_complete_records_the_object() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let k = ObjectKind::Contact;
    let intent = l.record_intent(&k, "c1", "fp1", run).unwrap();
    assert_eq!(
        l.lookup(&k, "c1").unwrap().unwrap().status,
        ObjectStatus::Intent
    );
    assert_eq!(l.open_intents().unwrap(), vec![intent.clone()]);
    // A second intent for the same record is refused.
    assert!(l.record_intent(&k, "c1", "fp1", run).is_err());
    l.complete_intent(intent.id, "ic_1", "hash1").unwrap();
    let rec = l.lookup(&k, "c1").unwrap().unwrap();
    assert_eq!(rec.status, ObjectStatus::Migrated);
    assert_eq!(rec.target_id.as_deref(), Some("ic_1"));
    assert_eq!(rec.origin, Some(Origin::Created));
    assert_eq!(rec.run_id, Some(run));
    assert!(l.open_intents().unwrap().is_empty());
    // Completing or settling twice fails, says why, and changes nothing.
    let twice = l.complete_intent(intent.id, "ic_2", "hash1").unwrap_err();
    assert!(twice.to_string().contains("already completed"), "{twice}");
    let twice = l
        .settle_intent(intent.id, Settlement::NotCreated)
        .unwrap_err();
    assert!(twice.to_string().contains("already completed"), "{twice}");
    assert_eq!(
        l.lookup(&k, "c1").unwrap().unwrap().target_id.as_deref(),
        Some("ic_1")
    );
    assert_eq!(
        l.lookup(&k, "c1").unwrap().unwrap().status,
        ObjectStatus::Migrated
    );
    let unknown = l
        .complete_intent(IntentId(intent.id.0 + 100), "ic_3", "h")
        .unwrap_err();
    assert!(unknown.to_string().contains("does not exist"), "{unknown}");
    // Creating a migrated record again is refused.
    assert!(l.record_intent(&k, "c1", "fp", run).is_err());
}

#[test]
fn crash_between_intent_and_completion_leaves_an_open_intent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    {
        let l = Ledger::open(&path).unwrap();
        let run = l.begin_run(RunMode::Migrate, "h").unwrap();
        l.record_intent(&ObjectKind::Ticket, "t1", "fp-t1", run)
            .unwrap();
        // dropped without completing
    }
    let l = Ledger::open(&path).unwrap();
    let open = l.open_intents().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].source_id, "t1");
    assert_eq!(open[0].fingerprint, "fp-t1");
    match l.needs_write(&ObjectKind::Ticket, "t1", "x").unwrap() {
        WriteNeed::SettleIntent(i) => assert_eq!(i.id, open[0].id),
        other => panic!("expected SettleIntent, got {other:?}"),
    }
    // The lookup found nothing: the create is allowed again.
    l.settle_intent(open[0].id, Settlement::NotCreated).unwrap();
    assert_eq!(
        l.needs_write(&ObjectKind::Ticket, "t1", "x").unwrap(),
        WriteNeed::Create
    );
    assert_eq!(
        l.lookup(&ObjectKind::Ticket, "t1").unwrap().unwrap().status,
        ObjectStatus::Pending
    );
}

/// Child half of `process_abort_mid_run_leaves_a_consistent_ledger`: writes, then aborts the
/// whole process. Ignored in normal runs; the parent test launches it with `--ignored`.
#[test]
#[ignore = "run by process_abort_mid_run_leaves_a_consistent_ledger in a child process"]
fn crash_child_writer() {
    let path = std::env::var("MIGRATION_CORE_CRASH_LEDGER")
        .expect("set MIGRATION_CORE_CRASH_LEDGER to a ledger path");
    let l = Ledger::open(&path).unwrap();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    for i in 0..200 {
        let id = format!("c{i}");
        let intent = l
            .record_intent(&ObjectKind::Contact, &id, "fp", run)
            .unwrap();
        l.complete_intent(intent.id, &format!("ic{i}"), "h")
            .unwrap();
    }
    l.record_intent(&ObjectKind::Contact, "c200", "fp", run)
        .unwrap();
    std::process::abort();
}

#[test]
fn process_abort_mid_run_leaves_a_consistent_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "ledger::tests::crash_child_writer",
            "--exact",
            "--ignored",
            "--test-threads=1",
        ])
        .env("MIGRATION_CORE_CRASH_LEDGER", &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "the child should have aborted");
    let l = Ledger::open(&path).unwrap();
    let counts = l.counts(&ObjectKind::Contact).unwrap();
    assert_eq!(counts.migrated, 200);
    assert_eq!(counts.intent, 1);
    let open = l.open_intents().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].source_id, "c200");
    assert_eq!(l.runs().unwrap()[0].status, RunStatus::Running);
    // The next run marks the dead one interrupted.
    l.begin_run(RunMode::Migrate, "h").unwrap();
    assert_eq!(l.runs().unwrap()[0].status, RunStatus::Interrupted);
}

#[test]
fn settle_found_records_migrated() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let i = l
        .record_intent(&ObjectKind::Conversation, "t9", "fp", run)
        .unwrap();
    l.settle_intent(
        i.id,
        Settlement::Found {
            target_id: "conv9".into(),
            source_hash: "h9".into(),
        },
    )
    .unwrap();
    assert_eq!(
        l.needs_write(&ObjectKind::Conversation, "t9", "h9")
            .unwrap(),
        WriteNeed::Unchanged {
            target_id: "conv9".into()
        }
    );
    assert!(l.settle_intent(i.id, Settlement::NotCreated).is_err());
}

#[test]
fn needs_write_follows_the_source_hash() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let k = ObjectKind::Tag;
    assert_eq!(l.needs_write(&k, "vip", "h1").unwrap(), WriteNeed::Create);
    assert!(WriteNeed::Create.is_write());
    l.mark_migrated(&k, "vip", "tag_1", "h1", Origin::Reused, run)
        .unwrap();
    let unchanged = l.needs_write(&k, "vip", "h1").unwrap();
    assert_eq!(
        unchanged,
        WriteNeed::Unchanged {
            target_id: "tag_1".into()
        }
    );
    assert!(!unchanged.is_write());
    assert_eq!(
        l.needs_write(&k, "vip", "h2").unwrap(),
        WriteNeed::Update {
            target_id: "tag_1".into()
        }
    );
    // After the update, the new hash is current.
    l.mark_migrated(&k, "vip", "tag_1", "h2", Origin::Created, run)
        .unwrap();
    assert!(!l.needs_write(&k, "vip", "h2").unwrap().is_write());
    // Origin of an already-migrated object is kept.
    assert_eq!(
        l.lookup(&k, "vip").unwrap().unwrap().origin,
        Some(Origin::Reused)
    );
}

/// `migrated_in` updates a row in place when there is one, and inserts otherwise: either way a
/// record keeps its creation order (`seq`) and origin while it stays migrated to the same
/// Intercom object, and takes the next `seq` and the new origin when that object changes.
#[test]
fn migrated_records_keep_their_order_and_origin_until_their_target_changes() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let k = ObjectKind::Contact;
    let seq = |id: &str| -> Option<i64> {
        l.lock()
            .query_row(
                "SELECT seq FROM objects WHERE kind = 'contact' AND source_id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap()
    };
    // No row: inserted. A pending row: updated in place.
    l.mark_migrated(&k, "a", "1", "h", Origin::Created, run)
        .unwrap();
    l.mark_pending(&k, "b", run).unwrap();
    assert_eq!(seq("b"), None);
    l.mark_migrated(&k, "b", "2", "h", Origin::Reused, run)
        .unwrap();
    assert_eq!((seq("a"), seq("b")), (Some(1), Some(2)));
    // Same target: order and origin kept.
    l.mark_migrated(&k, "a", "1", "h2", Origin::Reused, run)
        .unwrap();
    assert_eq!(seq("a"), Some(1));
    assert_eq!(
        l.lookup(&k, "a").unwrap().unwrap().origin,
        Some(Origin::Created)
    );
    // Another target: the next order, the new origin.
    l.mark_migrated(&k, "a", "3", "h2", Origin::Reused, run)
        .unwrap();
    assert_eq!(seq("a"), Some(3));
    assert_eq!(
        l.lookup(&k, "a").unwrap().unwrap().origin,
        Some(Origin::Reused)
    );
    // A failed record migrated again loses its reason.
    l.mark_failed(&k, "c", "boom", run).unwrap();
    l.mark_migrated(&k, "c", "4", "h", Origin::Created, run)
        .unwrap();
    let c = l.lookup(&k, "c").unwrap().unwrap();
    assert_eq!((c.status, seq("c")), (ObjectStatus::Migrated, Some(4)));
    assert!(c.reason.is_none(), "{:?}", c.reason);
}

#[test]
fn queue_skip_fail_and_counts() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let k = ObjectKind::Contact;
    for i in 0..5 {
        l.mark_pending(&k, &format!("c{i}"), run).unwrap();
    }
    let reason = Reason::new(
        "missing_email",
        "contact has no e-mail; add one or change the policy",
    )
    .with_field("identifiers");
    l.mark_queued(&k, "c0", &reason, run).unwrap();
    l.mark_queued(&k, "c1", &Reason::new("unmatched_agent", "x"), run)
        .unwrap();
    l.mark_skipped(
        &k,
        "c2",
        &Reason::new("scrambled", "isScrambled = true"),
        run,
    )
    .unwrap();
    l.mark_failed(&k, "c3", "HTTP 422: invalid email", run)
        .unwrap();
    l.mark_migrated(&k, "c4", "ic4", "h", Origin::Created, run)
        .unwrap();
    let q = l.queue_entries().unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!(q[0].reason, reason);
    assert_eq!(q[0].run_id, Some(run));
    let c = l.counts(&k).unwrap();
    assert_eq!(
        (c.queued, c.skipped, c.failed, c.migrated, c.pending),
        (2, 1, 1, 1, 0)
    );
    assert_eq!(c.total(), 5);
    let rec = l.lookup(&k, "c2").unwrap().unwrap();
    assert_eq!(rec.reason.unwrap().code, "scrambled");
    // Re-queueing replaces the entry; migrating clears it.
    l.mark_queued(&k, "c0", &Reason::new("missing_email", "again"), run)
        .unwrap();
    assert_eq!(l.queue_entries().unwrap().len(), 2);
    l.mark_migrated(&k, "c0", "ic0", "h", Origin::Created, run)
        .unwrap();
    let q = l.queue_entries().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].source_id, "c1");
    assert!(l.lookup(&k, "c0").unwrap().unwrap().reason.is_none());
    // Pending never downgrades.
    l.mark_pending(&k, "c0", run).unwrap();
    assert_eq!(
        l.lookup(&k, "c0").unwrap().unwrap().status,
        ObjectStatus::Migrated
    );
    assert_eq!(l.counts_by_kind().unwrap().len(), 1);
    assert_eq!(
        l.counts(&ObjectKind::Article).unwrap(),
        StatusCounts::default()
    );
}

#[test]
fn parts_keep_order_and_follow_intents_and_rollback() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    for (pos, guid) in ["g-b", "g-a", "g-c"].iter().enumerate() {
        let p = PartRecord {
            ticket_source_id: "t1".into(),
            transaction_guid: (*guid).into(),
            target_part_id: None,
            position: pos as i64,
            status: ObjectStatus::Pending,
        };
        l.record_part(&p, "ph", run).unwrap();
    }
    let i = l
        .record_intent(&ObjectKind::Part, "g-b", "fp", run)
        .unwrap();
    assert_eq!(l.parts_for("t1").unwrap()[0].status, ObjectStatus::Intent);
    l.complete_intent(i.id, "part-1", "ph").unwrap();
    l.record_part(
        &PartRecord {
            ticket_source_id: "t1".into(),
            transaction_guid: "g-a".into(),
            target_part_id: Some("part-2".into()),
            position: 1,
            status: ObjectStatus::Migrated,
        },
        "ph",
        run,
    )
    .unwrap();
    let parts = l.parts_for("t1").unwrap();
    let guids: Vec<&str> = parts.iter().map(|p| p.transaction_guid.as_str()).collect();
    assert_eq!(guids, ["g-b", "g-a", "g-c"]);
    assert_eq!(parts[0].target_part_id.as_deref(), Some("part-1"));
    assert_eq!(parts[1].status, ObjectStatus::Migrated);
    assert_eq!(parts[2].status, ObjectStatus::Pending);
    // Re-registering a migrated part as pending keeps its state.
    l.record_part(
        &PartRecord {
            status: ObjectStatus::Pending,
            target_part_id: None,
            ..parts[0].clone()
        },
        "ph",
        run,
    )
    .unwrap();
    assert_eq!(l.parts_for("t1").unwrap()[0].status, ObjectStatus::Migrated);
    assert_eq!(l.counts(&ObjectKind::Part).unwrap().migrated, 2);
    // Rolling back the ticket rolls back its parts.
    l.mark_migrated(&ObjectKind::Ticket, "t1", "tk1", "h", Origin::Created, run)
        .unwrap();
    l.mark_rolled_back(&ObjectKind::Ticket, "t1", run).unwrap();
    let parts = l.parts_for("t1").unwrap();
    assert_eq!(parts[0].status, ObjectStatus::RolledBack);
    assert_eq!(parts[2].status, ObjectStatus::Pending);
    assert_eq!(l.counts(&ObjectKind::Part).unwrap().rolled_back, 2);
    assert!(l.parts_for("nope").unwrap().is_empty());
}

#[test]
fn a_part_registered_with_its_outcome_reads_as_one_registered_then_marked() {
    // Two ledgers: one registers each part before its create and marks it after (as before),
    // the other writes both at once (`record_part_migrated`). They must read the same.
    let (_d1, two) = ledger();
    let (_d2, one) = ledger();
    let r2 = two.begin_run(RunMode::Migrate, "h").unwrap();
    let r1 = one.begin_run(RunMode::Migrate, "h").unwrap();
    let reason = Reason::new("why", "queued before");
    for (l, run) in [(&two, r2), (&one, r1)] {
        l.mark_migrated(&ObjectKind::Ticket, "t1", "tk1", "h", Origin::Created, run)
            .unwrap();
        // A queued part (rows in `objects` and `queue`, none in `parts`): its queue entry goes.
        l.mark_queued(&ObjectKind::Part, "g-q", &reason, run)
            .unwrap();
        // A part registered already (pending rows in `parts` and `objects`): both are updated.
        let registered = PartRecord {
            ticket_source_id: "t1".into(),
            transaction_guid: "g-r".into(),
            target_part_id: None,
            position: 2,
            status: ObjectStatus::Pending,
        };
        l.record_part(&registered, "ph-old", run).unwrap();
    }
    let parts = [
        ("g-a", "p-a", Origin::Created),
        ("g-q", "p-q", Origin::Reused),
        ("g-r", "p-r", Origin::Created),
    ];
    for (pos, (guid, target, origin)) in parts.into_iter().enumerate() {
        let rec = PartRecord {
            ticket_source_id: "t1".into(),
            transaction_guid: guid.into(),
            target_part_id: None,
            position: pos as i64,
            status: ObjectStatus::Pending,
        };
        two.record_part(&rec, "ph", r2).unwrap();
        two.mark_migrated(&ObjectKind::Part, guid, target, "ph", origin, r2)
            .unwrap();
        one.record_part_migrated(&rec, target, "ph", origin, r1)
            .unwrap();
    }
    let read = |l: &Ledger| {
        let parts = l.parts_for("t1").unwrap();
        let objects: Vec<_> = ["g-a", "g-q", "g-r"]
            .iter()
            .map(|g| {
                let o = l.lookup(&ObjectKind::Part, g).unwrap().unwrap();
                (o.target_id, o.status, o.source_hash, o.origin, o.reason)
            })
            .collect();
        // Most recently created first: the order (`seq`) is the same.
        let rollback: Vec<String> = l
            .rollback_order()
            .unwrap()
            .into_iter()
            .map(|i| i.source_id)
            .collect();
        (
            parts,
            objects,
            l.counts(&ObjectKind::Part).unwrap(),
            l.queue_entries().unwrap(),
            rollback,
        )
    };
    let (a, b) = (read(&two), read(&one));
    assert_eq!(a, b);
    assert_eq!(a.0.len(), 3);
    assert!(a.0.iter().all(|p| p.status == ObjectStatus::Migrated));
    assert_eq!(a.0[1].target_part_id.as_deref(), Some("p-q"));
    assert_eq!(a.0[2].target_part_id.as_deref(), Some("p-r"));
    assert_eq!(
        a.1[2].2.as_deref(),
        Some("ph"),
        "the registered part's hash is the new one"
    );
    assert!(a.3.is_empty(), "the queued part's entry is cleared");
    assert_eq!(a.2.migrated, 3);
    assert_eq!(
        a.4,
        ["g-r", "g-a", "t1"],
        "the reused part is not undone; the created ones are, latest first"
    );
}

#[test]
fn rollback_order_is_reverse_dependency_then_reverse_creation() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let created = [
        (ObjectKind::DataAttribute, "a1"),
        (ObjectKind::TicketType, "tt"),
        (ObjectKind::Tag, "tag1"),
        (ObjectKind::Contact, "c1"),
        (ObjectKind::Contact, "c2"),
        (ObjectKind::Ticket, "t1"),
        (ObjectKind::Collection, "col"),
        (ObjectKind::Article, "art"),
    ];
    for (k, id) in &created {
        l.mark_migrated(k, id, &format!("x-{id}"), "h", Origin::Created, run)
            .unwrap();
    }
    // A reused tag is never rolled back; a rolled-back contact is not listed again.
    l.mark_migrated(
        &ObjectKind::Tag,
        "existing",
        "x-existing",
        "h",
        Origin::Reused,
        run,
    )
    .unwrap();
    l.mark_migrated(
        &ObjectKind::Contact,
        "c3",
        "x-c3",
        "h",
        Origin::Created,
        run,
    )
    .unwrap();
    l.mark_rolled_back(&ObjectKind::Contact, "c3", run).unwrap();
    let order: Vec<String> = l
        .rollback_order()
        .unwrap()
        .iter()
        .map(|i| i.source_id.clone())
        .collect();
    assert_eq!(order, ["art", "col", "t1", "c2", "c1", "tag1", "tt", "a1"]);
    let items = l.rollback_order().unwrap();
    assert_eq!(items[0].action, RollbackAction::Delete);
    assert_eq!(items.last().unwrap().action, RollbackAction::Archive);
    assert_eq!(items.last().unwrap().target_id, "x-a1");
}

#[test]
fn notes_and_watermarks_round_trip() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let note = LossyNote {
        kind: ObjectKind::Ticket,
        source_id: "t1".into(),
        field: "details.referral".into(),
        note: "referral data has no Intercom equivalent; dropped".into(),
    };
    l.add_note(&note, run).unwrap();
    assert_eq!(l.notes_for(&ObjectKind::Ticket, "t1").unwrap(), vec![note]);
    assert!(l.notes_for(&ObjectKind::Ticket, "t2").unwrap().is_empty());
    assert_eq!(l.watermark("tickets").unwrap(), None);
    let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap();
    l.set_watermark("tickets", t).unwrap();
    l.set_watermark("tickets", t + chrono::Duration::seconds(5))
        .unwrap();
    assert_eq!(
        l.watermark("tickets").unwrap(),
        Some(t + chrono::Duration::seconds(5))
    );
}

#[test]
fn concurrent_writers_from_many_threads() {
    let (_d, l) = ledger();
    let l = std::sync::Arc::new(l);
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let l = l.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let id = format!("t{t}-{i}");
                    let intent = l
                        .record_intent(&ObjectKind::Ticket, &id, "fp", run)
                        .unwrap();
                    l.complete_intent(intent.id, &format!("x{id}"), "h")
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(l.counts(&ObjectKind::Ticket).unwrap().migrated, 400);
    assert!(l.open_intents().unwrap().is_empty());
    assert_eq!(l.rollback_order().unwrap().len(), 400);
}

#[test]
fn a_batch_commits_together_or_not_at_all() {
    let (_d, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let n = l
        .batch(|b| {
            for pos in 0..50 {
                let part = PartRecord {
                    ticket_source_id: "t1".into(),
                    transaction_guid: format!("g{pos:02}"),
                    target_part_id: None,
                    position: pos,
                    status: ObjectStatus::Pending,
                };
                b.record_part(&part, "ph", run)?;
            }
            b.mark_pending(&ObjectKind::Ticket, "t1", run)?;
            let i = b.record_intent(&ObjectKind::Ticket, "t1", "fp", run)?;
            b.complete_intent(i.id, "tk1", "h")?;
            Ok(50)
        })
        .unwrap();
    assert_eq!(l.parts_for("t1").unwrap().len(), n);
    assert_eq!(l.counts(&ObjectKind::Ticket).unwrap().migrated, 1);

    // An error inside the batch rolls every write of it back.
    let err = l
        .batch(|b| {
            b.mark_pending(&ObjectKind::Contact, "c1", run)?;
            b.mark_queued(&ObjectKind::Contact, "c2", &Reason::new("x", "y"), run)?;
            b.complete_intent(IntentId(999), "nope", "h")
        })
        .unwrap_err();
    assert!(err.to_string().contains("999"), "{err}");
    assert_eq!(
        l.counts(&ObjectKind::Contact).unwrap(),
        StatusCounts::default()
    );
    assert!(l.queue_entries().unwrap().is_empty());
}

/// What a second connection (another process, or the file after a crash) sees of a record.
/// Another `Ledger` opens the file while the group holds the write lock (a `status` during a
/// run): opening does not wait for the lock when the schema is current.
fn status_on_disk(dir: &tempfile::TempDir, kind: &ObjectKind, id: &str) -> Option<ObjectStatus> {
    let other = Ledger::open(dir.path().join("ledger.sqlite")).unwrap();
    other.lookup(kind, id).unwrap().map(|r| r.status)
}

#[test]
fn grouped_writes_are_on_disk_once_the_next_intent_is() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    let part = ObjectKind::Part;
    let first = l.record_intent(&part, "g1", "fp", run).unwrap();
    assert_eq!(
        status_on_disk(&dir, &part, "g1"),
        Some(ObjectStatus::Intent),
        "an intent is durable before its create is sent"
    );
    l.complete_intent(first.id, "p1", "h1").unwrap();
    l.mark_skipped(&ObjectKind::Contact, "c1", &Reason::new("x", "y"), run)
        .unwrap();
    // Deferred: this connection sees them, the file does not yet hold them.
    assert_eq!(
        l.lookup(&part, "g1").unwrap().map(|r| r.status),
        Some(ObjectStatus::Migrated)
    );
    assert_eq!(
        status_on_disk(&dir, &part, "g1"),
        Some(ObjectStatus::Intent)
    );
    assert_eq!(status_on_disk(&dir, &ObjectKind::Contact, "c1"), None);
    // The next intent carries every write before it.
    l.record_intent(&part, "g2", "fp", run).unwrap();
    assert_eq!(
        status_on_disk(&dir, &part, "g1"),
        Some(ObjectStatus::Migrated)
    );
    assert_eq!(
        status_on_disk(&dir, &ObjectKind::Contact, "c1"),
        Some(ObjectStatus::Skipped)
    );
    l.mark_failed(&ObjectKind::Contact, "c2", "boom", run)
        .unwrap();
    group.finish().unwrap();
    assert_eq!(
        status_on_disk(&dir, &ObjectKind::Contact, "c2"),
        Some(ObjectStatus::Failed),
        "ending the group commits what it holds"
    );
    // After the group, every write commits at once again.
    l.mark_failed(&ObjectKind::Contact, "c3", "boom", run)
        .unwrap();
    assert_eq!(
        status_on_disk(&dir, &ObjectKind::Contact, "c3"),
        Some(ObjectStatus::Failed)
    );
}

#[test]
fn a_failed_write_in_a_group_loses_the_group_as_a_crash_would() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    let t = ObjectKind::Ticket;
    let contact = |id| {
        l.lookup(&ObjectKind::Contact, id)
            .unwrap()
            .map(|r| r.status)
    };
    // Committed at once (an intent must be on disk before its create is sent).
    let i = l.record_intent(&t, "1", "fp", run).unwrap();
    // Deferred: in the open transaction.
    l.mark_queued(&ObjectKind::Contact, "c1", &Reason::new("x", "y"), run)
        .unwrap();
    assert_eq!(contact("c1"), Some(ObjectStatus::Queued));
    // A second intent for the same record is refused, and the open transaction with it: the
    // deferred write before it is lost, as a crash would lose it (the next run redoes it).
    let err = l.record_intent(&t, "1", "fp", run).unwrap_err();
    assert!(err.to_string().contains("open intent"), "{err}");
    assert_eq!(contact("c1"), None);
    // The next write reports the loss; the writes after it go on.
    let next = l.complete_intent(i.id, "100", "h");
    let err = next.expect_err("the next write reports the loss");
    assert!(err.to_string().contains("rolled back"), "{err}");
    l.complete_intent(i.id, "100", "h").unwrap();
    l.mark_skipped(&ObjectKind::Contact, "c2", &Reason::new("x", "y"), run)
        .unwrap();
    drop(group);
    assert_eq!(status_on_disk(&dir, &t, "1"), Some(ObjectStatus::Migrated));
    assert_eq!(status_on_disk(&dir, &ObjectKind::Contact, "c1"), None);
    assert_eq!(
        status_on_disk(&dir, &ObjectKind::Contact, "c2"),
        Some(ObjectStatus::Skipped)
    );
}

#[test]
fn a_write_safe_at_any_prefix_keeps_what_it_did_when_it_fails_in_a_group() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    l.mark_queued(&ObjectKind::Contact, "c1", &Reason::new("x", "y"), run)
        .unwrap();
    let err = l
        .write_deferred_any_prefix("test", |tx| {
            tx.execute(
                "INSERT INTO objects (kind, source_id, status, updated_at)
                 VALUES ('contact', 'c2', 'skipped', '2026-12-07T00:00:00Z')",
                [],
            )
            .map_err(Error::ledger("test"))?;
            Err::<(), _>(Error::LedgerState("the second statement failed".into()))
        })
        .unwrap_err();
    assert!(err.to_string().contains("second statement"), "{err}");
    // Its first statement stays (no savepoint undid it), and so does the write before it; the
    // group goes on and commits both.
    let status = |id| {
        l.lookup(&ObjectKind::Contact, id)
            .unwrap()
            .map(|r| r.status)
    };
    assert_eq!(status("c2"), Some(ObjectStatus::Skipped));
    assert_eq!(status("c1"), Some(ObjectStatus::Queued));
    l.mark_skipped(&ObjectKind::Contact, "c3", &Reason::new("x", "y"), run)
        .unwrap();
    group.finish().unwrap();
    for (id, want) in [
        ("c1", ObjectStatus::Queued),
        ("c2", ObjectStatus::Skipped),
        ("c3", ObjectStatus::Skipped),
    ] {
        assert_eq!(
            status_on_disk(&dir, &ObjectKind::Contact, id),
            Some(want),
            "{id}"
        );
    }
    // Outside a group it is a transaction of its own, rolled back whole on failure.
    let err = l.write_deferred_any_prefix("test", |tx| {
        tx.execute(
            "INSERT INTO objects (kind, source_id, status, updated_at)
                 VALUES ('contact', 'c4', 'skipped', '2026-12-07T00:00:00Z')",
            [],
        )
        .map_err(Error::ledger("test"))?;
        Err::<(), _>(Error::LedgerState("failed".into()))
    });
    assert!(err.is_err());
    assert_eq!(status("c4"), None);
}

#[test]
fn dropping_the_ledger_commits_its_group() {
    let (dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    let group = l.group_commits();
    l.mark_failed(&ObjectKind::Contact, "c1", "boom", run)
        .unwrap();
    std::mem::forget(group);
    drop(l);
    assert_eq!(
        status_on_disk(&dir, &ObjectKind::Contact, "c1"),
        Some(ObjectStatus::Failed)
    );
}

/// `creating_run` (asked before every write on a contact with tags, every delta change and
/// every rollback item) finds a record's intents by index, not by scanning every intent.
#[test]
fn the_run_that_created_an_object_is_found_by_index_not_by_scanning() {
    let (_d, l) = ledger();
    let plan: Vec<String> = {
        let conn = l.lock();
        let mut s = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT run_id FROM intents WHERE kind = ?1 AND source_id = ?2
                   AND target_id = ?3 AND fingerprint NOT LIKE 'undo:%' ORDER BY id LIMIT 1",
            )
            .unwrap();
        s.query_map(rusqlite::params!["contact", "c1", "t1"], |r| {
            r.get::<_, String>(3)
        })
        .unwrap()
        .collect::<rusqlite::Result<Vec<_>>>()
        .unwrap()
    };
    assert!(
        plan.iter().any(|p| p.contains("intents_record")),
        "the look-up uses the index: {plan:?}"
    );
    assert!(
        !plan.iter().any(|p| p.starts_with("SCAN intents")),
        "no full scan: {plan:?}"
    );
}

/// A parts-in-flight mark: settled for the run that put it, until a part of that run fails
/// with its outcome unknown; a ticket's create intent replaces it with a settled one.
#[tokio::test]
async fn a_parts_mark_is_settled_for_its_run_until_made_unsettled() {
    let (_dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "h").unwrap();
    l.mark_parts_in_flight("t1", run).await.unwrap();
    let mark = l.parts_in_flight("t1").unwrap().unwrap();
    assert!(mark.settled_for(run));
    assert!(
        !mark.settled_for(RunId(run.0 + 1)),
        "another run's mark is a stopped run's"
    );
    l.mark_parts_unsettled("t1").unwrap();
    let mark = l.parts_in_flight("t1").unwrap().unwrap();
    assert_eq!(mark.run, Some(run), "the run is kept");
    assert!(mark.unsettled && !mark.settled_for(run));
    // Marking again keeps an unsettled mark; creating the ticket replaces it.
    l.mark_parts_in_flight("t1", run).await.unwrap();
    assert!(l.parts_in_flight("t1").unwrap().unwrap().unsettled);
    l.record_intent_durable_with_parts(&ObjectKind::Ticket, "t1", "fp", run)
        .await
        .unwrap();
    assert!(l.parts_in_flight("t1").unwrap().unwrap().settled_for(run));
    l.clear_parts_in_flight("t1").unwrap();
    assert_eq!(l.parts_in_flight("t1").unwrap(), None);
}

/// A schema-12 ledger made a mark unsettled by clearing its run: the upgrade keeps it
/// unsettled, and leaves the others as they were.
#[test]
fn the_upgrade_from_schema_12_keeps_an_unsettled_mark_unsettled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);",
        )
        .unwrap();
        for i in 0..12 {
            conn.execute_batch(migration_sql_for_tests(i).unwrap())
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO schema_version VALUES (12, '2026-12-07T00:00:00Z');
             INSERT INTO runs (id, started_at, spec_hash, mode, status) VALUES
               (1, '2026-12-07T10:00:00.000000Z', 'h', 'migrate', 'interrupted');
             INSERT INTO parts_in_flight (ticket_source_id, run_id, opened_at) VALUES
               ('lost', NULL, '2026-12-07T10:00:01.000000Z'),
               ('stopped', 1, '2026-12-07T10:00:02.000000Z');",
        )
        .unwrap();
    }
    let l = Ledger::open(&path).unwrap();
    assert_eq!(l.schema_version().unwrap(), SCHEMA_VERSION);
    let lost = l.parts_in_flight("lost").unwrap().unwrap();
    assert!(lost.unsettled && lost.run.is_none());
    let stopped = l.parts_in_flight("stopped").unwrap().unwrap();
    assert_eq!(
        stopped,
        PartsMark {
            run: Some(RunId(1)),
            unsettled: false
        }
    );
    assert!(
        !stopped.settled_for(RunId(2)),
        "a stopped run's mark is looked up"
    );
}

/// A cached statement is planned once: SQLite marks a statement whose `column = ?` term its
/// index does not use as worth planning again for new values, and the statement cache clears
/// the bindings of every statement it takes back, which then expired it (each use parsed and
/// planned its SQL anew). The ledger fixes its plans (QPSG); both statements below were
/// re-prepared on every use before.
#[test]
fn a_cached_statement_is_not_planned_again_on_every_use() -> Result<()> {
    let (_dir, l) = ledger();
    let run = l.begin_run(RunMode::Migrate, "spec")?;
    l.record_intent(&ObjectKind::Contact, "c-1", "fp", run)?;
    for _ in 0..5 {
        l.part_needs("t-1")?;
        l.creating_run(&ObjectKind::Contact, "c-1", "7")?;
    }
    let conn = l.lock();
    for sql in [parts::PART_NEEDS, intents::CREATING_RUN] {
        let s = conn.prepare_cached(sql).map_err(Error::ledger("prepare"))?;
        assert_eq!(
            s.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "re-prepared: {sql}"
        );
        assert_eq!(s.get_status(rusqlite::StatementStatus::Run), 5, "{sql}");
    }
    Ok(())
}
