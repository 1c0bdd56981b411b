//! Rollback on the in-process sandbox: everything the migration created is removed (schema
//! objects archived and listed), what it found and reused stays; a dry run sends no write; a
//! rollback run again finds nothing left; a later migrate creates rolled-back tickets afresh.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use helpdesk_sandbox::SandboxHandle;
use migration_core::ObjectKind;
use migration_core::ledger::{Ledger, Origin, RunMode};
use migration_core::progress::ProgressSender;
use migration_core::rollback::{RollbackScope, RollbackSummary};
use migration_core::verify::VerifyOptions;

/// The ids of the objects a rollback removes, per collection of the fake Intercom.
fn removable(sb: &SandboxHandle) -> serde_json::Value {
    let st = sb.intercom.state();
    let ids = |it: Vec<&String>| it.into_iter().cloned().collect::<BTreeSet<String>>();
    serde_json::json!({
        "contacts": ids(st.contacts.keys().collect()),
        "tickets": ids(st.tickets.keys().collect()),
        "conversations": ids(st.conversations.keys().collect()),
        "tags": ids(st.tags.keys().collect()),
        "collections": ids(st.collections.keys().collect()),
        "articles": ids(st.articles.keys().collect()),
    })
}

async fn rollback(m: &migration_core::Migration, scope: &RollbackScope) -> RollbackSummary {
    let (progress, _rx) = ProgressSender::channel(4096);
    m.rollback(scope, progress)
        .await
        .expect("rollback completes")
}

/// Contacts that existed in Intercom before the migration (matched by e-mail, reused).
async fn pre_existing_contacts(sb: &SandboxHandle) -> Vec<String> {
    common::pre_existing_contacts(sb)
        .await
        .into_iter()
        .map(|(_, id)| id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_back_everything_restores_the_snapshot_except_archived_schema() {
    let sb = common::sandbox(30, 15).await;
    let existing = pre_existing_contacts(&sb).await;
    assert!(
        !existing.is_empty(),
        "the workspace has customers with one e-mail"
    );
    let before = removable(&sb);

    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    assert_ne!(removable(&sb), before, "the migration created objects");
    let to_undo = ledger.rollback_order().unwrap();

    // A dry run lists the same objects and sends nothing.
    let writes = common::writes(&sb);
    let dry = rollback(
        &common::migration(&sb, ledger.clone(), true),
        &RollbackScope::All,
    )
    .await;
    assert_eq!(common::writes(&sb), writes, "a dry rollback sends no write");
    assert!(dry.dry_run && dry.run.is_none());
    assert_eq!(dry.totals().total(), to_undo.len() as u64);
    assert!(dry.calls > 0, "the dry run counts the calls it would make");
    assert_eq!(
        ledger.rollback_order().unwrap(),
        to_undo,
        "the ledger is untouched"
    );

    let summary = rollback(&m, &RollbackScope::All).await;
    println!("{}", summary.to_markdown());
    assert_eq!(summary.failed(), 0, "{:?}", summary.left);
    assert_eq!(
        summary.totals().total(),
        to_undo.len() as u64,
        "every object is counted once"
    );
    assert_eq!(
        summary.totals(),
        dry.totals(),
        "the dry run announced what happened"
    );
    assert_eq!(removable(&sb), before, "the state is the snapshot again");
    for id in &existing {
        assert!(
            sb.intercom.state().contacts.contains_key(id),
            "pre-existing contact {id} is kept"
        );
    }
    // Schema objects are archived, never deleted, and reported.
    let st = sb.intercom.state();
    let archived = summary.totals().archived;
    let archived_in_state = st.data_attributes.iter().filter(|a| a.archived).count()
        + st.ticket_types.values().filter(|t| t.archived).count()
        + st.conversation_attributes
            .iter()
            .filter(|a| a.archived)
            .count();
    assert_eq!(
        archived, archived_in_state as u64,
        "archived objects are listed"
    );

    // The run is recorded; nothing is left to undo; a second rollback is a no-op.
    let runs = ledger.runs().unwrap();
    assert_eq!(runs.last().unwrap().mode, RunMode::Rollback);
    assert!(
        ledger
            .rollback_order()
            .unwrap()
            .iter()
            .all(|i| !matches!(i.kind, ObjectKind::Ticket | ObjectKind::Contact)),
        "tickets and contacts are all rolled back"
    );
    let again = rollback(&m, &RollbackScope::All).await;
    assert_eq!(
        again.totals().deleted + again.totals().archived,
        0,
        "nothing is undone twice"
    );

    // A migrate after the rollback creates everything afresh (the archived ticket type is
    // restored), its counts add up, and every object reads back as written.
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    let st = sb.intercom.state();
    assert_eq!(
        result.counts_of(&ObjectKind::Ticket).migrated as usize,
        st.tickets.len()
    );
    assert!(st.ticket_types.values().all(|t| !t.archived));
    assert!(
        st.data_attributes.iter().all(|a| !a.archived),
        "the archived data attributes are restored"
    );
    assert_eq!(
        st.tickets.values().map(|t| t.parts.len()).sum::<usize>() as u64,
        result.counts_of(&ObjectKind::Part).migrated
    );
    let (progress, _rx) = ProgressSender::channel(4096);
    let v = m
        .verify(&VerifyOptions::default(), progress)
        .await
        .expect("verify completes");
    assert!(v.all_equal(), "{:?}", v.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_scope_undoes_only_that_kind_and_an_id_scope_only_those_records() {
    let sb = common::sandbox(20, 16).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    let contacts = sb.intercom.state().contacts.len();
    let tickets: Vec<_> = ledger
        .rollback_order()
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == ObjectKind::Ticket)
        .collect();
    assert!(tickets.len() >= 2);

    let one: BTreeSet<String> = [tickets[0].source_id.clone()].into();
    let s = rollback(&m, &RollbackScope::Ids(one)).await;
    assert_eq!(s.totals().deleted, 1);
    assert!(
        !sb.intercom
            .state()
            .tickets
            .contains_key(&tickets[0].target_id)
    );
    assert!(
        sb.intercom
            .state()
            .tickets
            .contains_key(&tickets[1].target_id)
    );

    let s = rollback(&m, &RollbackScope::Kinds(vec![ObjectKind::Ticket])).await;
    assert_eq!(s.totals().deleted, tickets.len() as u64 - 1);
    assert!(sb.intercom.state().tickets.is_empty());
    assert_eq!(
        sb.intercom.state().contacts.len(),
        contacts,
        "contacts are kept"
    );

    // A later migrate creates the rolled-back tickets afresh (no stale mapping).
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    assert_eq!(
        sb.intercom.state().tickets.len(),
        tickets.len(),
        "rolled-back tickets are created again"
    );
}

/// Run scope: migrate; in Glassix add a ticket and a message to a migrated one; a delta
/// creates the new ticket and appends the message; `rollback --run <delta>` removes what the
/// delta created and leaves the first run's objects (the updated ticket included) in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_scope_undoes_what_that_run_created_and_nothing_of_the_first_run() {
    let sb = common::sandbox(30, 21).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    let first = common::run(&m).await;
    assert!(first.is_balanced(), "{:?}", first.imbalance);
    let migrated: Vec<_> = ledger
        .rollback_order()
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == ObjectKind::Ticket)
        .collect();
    let updated = migrated[0].clone();
    let template = migrated[1].source_id.clone();
    let after_first = removable(&sb);

    common::glassix_change(
        &sb,
        &format!("tickets/{}/add_transaction", updated.source_id),
        serde_json::json!({"kind": "Message", "text": "One more question", "from_customer": true}),
    )
    .await;
    let added = common::glassix_change(
        &sb,
        "tickets",
        serde_json::json!({"template_id": template.parse::<i64>().unwrap()}),
    )
    .await["id"]
        .to_string();
    let (progress, _rx) = ProgressSender::channel(4096);
    let delta = m
        .delta(migration_core::execute::DEFAULT_DELTA_MARGIN, progress)
        .await
        .expect("delta completes");
    let delta_run = delta.run_id;
    let new_ticket = ledger
        .lookup(&ObjectKind::Ticket, &added)
        .unwrap()
        .and_then(|r| r.target_id)
        .expect("the delta created the added ticket");
    assert!(sb.intercom.state().tickets.contains_key(&new_ticket));

    let s = rollback(&m, &RollbackScope::Run(delta_run)).await;
    println!("{}", s.to_markdown());
    assert_eq!(s.failed(), 0, "{:?}", s.left);
    // What the delta did to the first run's ticket cannot be undone, and is said per object:
    // the message it appended (Intercom has no part delete) and the fields it updated.
    let appended = s
        .left
        .iter()
        .find(|l| l.kind == ObjectKind::Part && l.source_id == updated.source_id)
        .expect("the appended part is listed with its ticket");
    assert!(
        appended
            .why
            .contains(&format!("appended by run {}", delta_run.0)),
        "{}",
        appended.why
    );
    assert_eq!(
        s.per_kind[&ObjectKind::Part].left,
        appended.objects,
        "the new ticket's parts are deleted with it, not left"
    );
    assert!(
        s.per_kind[&ObjectKind::Part].deleted > 0,
        "the new ticket's parts count as deleted with it"
    );
    assert!(
        s.left
            .iter()
            .any(|l| l.kind == ObjectKind::Ticket && l.source_id == updated.source_id),
        "the updated ticket is listed: its update is kept"
    );
    let st = sb.intercom.state();
    assert!(
        !st.tickets.contains_key(&new_ticket),
        "the delta's ticket is gone"
    );
    assert!(
        st.tickets.contains_key(&updated.target_id),
        "the first run's ticket that the delta only updated is kept"
    );
    // Everything the first run created is still there.
    let now = removable(&sb);
    for (kind, ids) in after_first.as_object().unwrap() {
        for id in ids.as_array().unwrap() {
            assert!(
                now[kind].as_array().unwrap().contains(id),
                "{kind} {id} of the first run is kept"
            );
        }
    }
}

/// Under the fault profile (Intercom answering 5xx to 10 % of requests, 429 bursts, a lost
/// response every 25 writes), a rollback run again until nothing fails converges to the
/// snapshot: a delete whose answer was lost finds a 404 the next time, which counts as done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_converges_under_the_fault_profile() {
    let sb = common::sandbox(30, 17).await;
    let before = removable(&sb);
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let result = common::run(&common::migration(&sb, ledger.clone(), false)).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);

    sb.intercom.set_faults(helpdesk_sandbox::FaultConfig {
        seed: 17,
        burst_429_every: 60,
        burst_429_len: 2,
        error_5xx_rate: 0.1,
        lose_response_every_write: 25,
        ..helpdesk_sandbox::FaultConfig::default()
    });
    let m = common::fast_retrying_migration(&sb, ledger.clone());
    let mut rounds = 0;
    loop {
        rounds += 1;
        let s = rollback(&m, &RollbackScope::All).await;
        if s.failed() == 0 {
            break;
        }
        assert!(
            rounds < 5,
            "still failing after {rounds} rollbacks: {:?}",
            s.left
        );
    }
    let stats = sb.intercom.stats();
    println!(
        "rollback under faults: {rounds} round(s); Intercom answers {:?}",
        stats.by_status
    );
    assert!(
        stats.by_status.keys().any(|s| s.starts_with('5')),
        "faults happened: {:?}",
        stats.by_status
    );
    assert_eq!(removable(&sb), before, "the state is the snapshot again");
}

/// What the fake Intercom holds of contact `id`, without its update time.
fn contact_state(sb: &SandboxHandle, id: &str) -> serde_json::Value {
    let st = sb.intercom.state();
    let mut v = serde_json::to_value(st.contacts.get(id).expect("the contact exists")).unwrap();
    if let Some(o) = v.as_object_mut() {
        o.remove("updated_at");
    }
    v
}

/// The check for objects the migration did not create: contacts that exist in Intercom
/// before the migration, with an attribute value and a tag of their own, are matched by
/// e-mail; a delta writes on them (their Glassix name changed, so their fields are written
/// again), a second delta writes on them again (the first before-image is kept); a full
/// rollback gives them back exactly what they held, and the rest of the state is the snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_existing_contacts_get_their_own_values_and_tags_back() {
    // Seed 12: two of the chosen customers carry a Glassix tag, which the migration attaches.
    let sb = common::sandbox(30, 12).await;
    let existing = common::pre_existing_contacts_with_history(&sb).await;
    assert!(!existing.is_empty(), "the workspace has such customers");
    let originals: Vec<serde_json::Value> = existing
        .iter()
        .map(|e| contact_state(&sb, &e.intercom_id))
        .collect();
    let before = removable(&sb);

    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    let tagged = existing
        .iter()
        .zip(&originals)
        .filter(|(e, o)| contact_state(&sb, &e.intercom_id)["tag_ids"] != o["tag_ids"])
        .count();
    assert!(
        tagged > 0,
        "the migration attached tags to a pre-existing contact"
    );

    for (round, name) in ["Renamed in Glassix", "Renamed again"].iter().enumerate() {
        for e in &existing {
            common::glassix_change(
                &sb,
                &format!("contacts/{}", e.glassix_id),
                serde_json::json!({ "name": name }),
            )
            .await;
            common::glassix_change(
                &sb,
                &format!("tickets/{}/add_transaction", e.glassix_ticket),
                serde_json::json!({"kind": "Message", "text": format!("Round {round}"), "from_customer": true}),
            )
            .await;
        }
        let (progress, _rx) = ProgressSender::channel(4096);
        m.delta(migration_core::execute::DEFAULT_DELTA_MARGIN, progress)
            .await
            .expect("delta completes");
        for e in &existing {
            let now = contact_state(&sb, &e.intercom_id);
            assert_eq!(now["name"], *name, "{}: the delta wrote on it", e.email);
        }
    }
    // The first touch is kept: the name before the migration, not the first delta's.
    let images = ledger.before_images().unwrap();
    for (e, original) in existing.iter().zip(&originals) {
        let image = images
            .iter()
            .find(|i| i.target_id == e.intercom_id)
            .expect("a before-image of the pre-existing contact");
        let name = image.fields.iter().find(|f| f.field == "name").unwrap();
        assert_eq!(name.value, original["name"], "{}", e.email);
    }

    // The contact records whose writes first touched them (source id, Intercom id).
    let owners: Vec<(String, String)> = images
        .iter()
        .map(|i| (i.source_id.clone().unwrap(), i.target_id.clone()))
        .collect();
    assert_eq!(owners.len(), existing.len());

    // The dry run announces the restores and sends nothing.
    let writes = common::writes(&sb);
    let dry = rollback(
        &common::migration(&sb, ledger.clone(), true),
        &RollbackScope::All,
    )
    .await;
    assert_eq!(common::writes(&sb), writes, "a dry rollback sends no write");
    assert_eq!(dry.totals().restored, existing.len() as u64);

    let summary = rollback(&m, &RollbackScope::All).await;
    println!("{}", summary.to_markdown());
    assert_eq!(summary.failed(), 0, "{:?}", summary.left);
    assert_eq!(summary.totals().restored, existing.len() as u64);
    assert_eq!(summary.totals(), dry.totals(), "the dry run announced it");
    for (e, original) in existing.iter().zip(&originals) {
        assert_eq!(
            &contact_state(&sb, &e.intercom_id),
            original,
            "{}: its own values and tags are back, the migration's are gone",
            e.email
        );
    }
    assert_eq!(removable(&sb), before, "the state is the snapshot again");
    assert!(
        ledger.before_images().unwrap().is_empty(),
        "restored before-images are forgotten"
    );
    // Every call is in the ledger: announced before, settled after.
    let run = summary.run.unwrap();
    let (completed, abandoned, open) = ledger.undo_intent_counts(run).unwrap();
    assert_eq!(open, 0);
    assert_eq!(abandoned, 0);
    let t = summary.totals();
    assert_eq!(
        completed,
        t.deleted + t.archived + t.restored + t.already_gone - summary_parts(&summary),
        "one settled intent per call-bearing object"
    );

    // A migrate after the rollback finds them again (reused, not duplicated).
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    for (owner, target) in &owners {
        let r = ledger.lookup(&ObjectKind::Contact, owner).unwrap().unwrap();
        assert_eq!(r.status, migration_core::ledger::ObjectStatus::Migrated);
        assert_eq!(r.origin, Some(migration_core::ledger::Origin::Reused));
        assert_eq!(r.target_id.as_ref(), Some(target));
    }
}

/// Parts (and notes) are counted deleted with their parent, without a call or an intent.
fn summary_parts(s: &RollbackSummary) -> u64 {
    s.per_kind
        .iter()
        .filter(|(k, _)| matches!(k, ObjectKind::Part | ObjectKind::Note))
        .map(|(_, k)| k.deleted)
        .sum()
}

/// A create whose answer was lost is settled by a look-up. For a customer whose e-mail already
/// had a contact in Intercom, Intercom answered the lost create with a 409, and the look-up
/// finds that older contact: it is recorded as reused (found older than the create's intent),
/// never as created, so a full rollback keeps it. The lost answers are those of a run killed
/// after sending the creates: their intents are open when `migrate` runs again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_settled_on_a_pre_existing_contact_never_deletes_it() {
    let sb = common::sandbox(20, 12).await;
    // The contacts existed well before the migration (created two hours "ago").
    sb.intercom.clock().advance(chrono::Duration::hours(-2));
    let existing = common::pre_existing_contacts_with_history(&sb).await;
    sb.intercom.clock().advance(chrono::Duration::hours(2));
    assert!(!existing.is_empty(), "the workspace has such customers");

    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let killed = ledger.begin_run(RunMode::Migrate, "killed").unwrap();
    for e in &existing {
        ledger
            .record_intent(
                &ObjectKind::Contact,
                &e.glassix_id,
                "sent, answer lost",
                killed,
            )
            .unwrap();
    }
    let m = common::migration(&sb, ledger.clone(), false);
    let result = common::run(&m).await;
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    for e in &existing {
        let r = ledger
            .lookup(&ObjectKind::Contact, &e.glassix_id)
            .unwrap()
            .expect("the contact record");
        assert_eq!(
            r.target_id.as_deref(),
            Some(e.intercom_id.as_str()),
            "{}",
            e.email
        );
        assert_eq!(r.origin, Some(Origin::Reused), "{}", e.email);
    }
    let summary = rollback(&m, &RollbackScope::All).await;
    assert_eq!(summary.failed(), 0, "{:?}", summary.left);
    let st = sb.intercom.state();
    for e in &existing {
        assert!(
            st.contacts.contains_key(&e.intercom_id),
            "{}: the rollback deleted {}",
            e.email,
            e.intercom_id
        );
    }
}

/// After the ledger is lost, `recover` adopts what Intercom holds. A contact that existed
/// before the migration (matched by e-mail, created two hours before it) is older than the
/// migration's own `glassix_original_id` attribute: it is recorded as reused, not created, so a
/// full rollback keeps it, with the attribute value and tag of its own; the contacts the
/// migration made are adopted as created and deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pre_existing_contact_adopted_after_a_lost_ledger_survives_a_rollback() {
    let sb = common::sandbox(20, 12).await;
    sb.intercom.clock().advance(chrono::Duration::hours(-2));
    let existing = common::pre_existing_contacts_with_history(&sb).await;
    sb.intercom.clock().advance(chrono::Duration::hours(2));
    assert!(!existing.is_empty(), "the workspace has such customers");
    let own = |sb: &SandboxHandle, id: &str| {
        let c = contact_state(sb, id);
        (
            c["custom_attributes"]["crm_tier"].clone(),
            c["tag_ids"].clone(),
        )
    };
    let originals: Vec<_> = existing.iter().map(|e| own(&sb, &e.intercom_id)).collect();

    let lost = Arc::new(Ledger::open_in_memory().unwrap());
    let r1 = common::run(&common::migration(&sb, lost.clone(), false)).await;
    assert!(r1.is_balanced(), "{:?}", r1.imbalance);
    let created = lost.counts(&ObjectKind::Contact).unwrap().migrated;
    drop(lost);

    let rebuilt = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, rebuilt.clone(), false);
    let (progress, _rx) = ProgressSender::channel(4096);
    let (r2, _) = m.recover(progress).await.expect("recover completes");
    assert!(r2.is_balanced(), "{:?}", r2.imbalance);
    for e in &existing {
        let r = rebuilt
            .lookup(&ObjectKind::Contact, &e.glassix_id)
            .unwrap()
            .expect("the contact record");
        assert_eq!(r.target_id.as_deref(), Some(e.intercom_id.as_str()));
        assert_eq!(r.origin, Some(Origin::Reused), "{}", e.email);
    }
    let summary = rollback(&m, &RollbackScope::All).await;
    assert_eq!(summary.failed(), 0, "{:?}", summary.left);
    assert!(
        summary.per_kind[&ObjectKind::Contact].deleted > 0,
        "the contacts the migration made are deleted: {:?}",
        summary.per_kind
    );
    for (e, original) in existing.iter().zip(&originals) {
        assert!(
            sb.intercom.state().contacts.contains_key(&e.intercom_id),
            "{}: the rollback deleted {}",
            e.email,
            e.intercom_id
        );
        let (tier, tags) = own(&sb, &e.intercom_id);
        assert_eq!(tier, original.0, "{}: its own attribute value", e.email);
        for t in original.1.as_array().into_iter().flatten() {
            assert!(
                tags.as_array().is_some_and(|a| a.contains(t)),
                "{}: its own tag {t} is kept",
                e.email
            );
        }
    }
    let left = sb.intercom.state().contacts.len();
    assert_eq!(
        left,
        existing.len(),
        "only the pre-existing contacts are left ({created} were migrated)"
    );
}

/// A customer merged into another's contact (the same e-mail up to case and white space) is
/// recorded as migrated to the survivor's contact (origin `reused`, as `merge_into_survivor`
/// records it). When a rollback deletes that contact, the merged record is rolled back too: a
/// later `migrate` maps it afresh instead of pointing at a deleted contact, and the ledger's
/// counts add up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_merged_into_a_deleted_contact_are_rolled_back_with_it() {
    use migration_core::ledger::ObjectStatus;
    let sb = common::sandbox(10, 3).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    assert!(common::run(&m).await.is_balanced());
    let survivor = ledger
        .rollback_order()
        .unwrap()
        .into_iter()
        .find(|i| i.kind == ObjectKind::Contact)
        .expect("a contact the migration created");
    let run = ledger.begin_run(RunMode::Migrate, "merge").unwrap();
    ledger
        .mark_migrated(
            &ObjectKind::Contact,
            "merged-twin",
            &survivor.target_id,
            "h",
            Origin::Reused,
            run,
        )
        .unwrap();
    ledger
        .finish_run(
            run,
            migration_core::ledger::RunStatus::Succeeded,
            &serde_json::json!({}),
        )
        .unwrap();

    let summary = rollback(&m, &RollbackScope::All).await;
    assert_eq!(summary.failed(), 0, "{:?}", summary.left);
    let twin = ledger
        .lookup(&ObjectKind::Contact, "merged-twin")
        .unwrap()
        .unwrap();
    assert_eq!(twin.status, ObjectStatus::RolledBack, "{twin:?}");
    let contacts = ledger.counts(&ObjectKind::Contact).unwrap();
    assert_eq!(
        contacts.migrated, 0,
        "no contact record points at a deleted contact"
    );
    assert_eq!(contacts.rolled_back, contacts.total(), "{contacts:?}");
}

/// The Intercom tickets and contacts as `/__sandbox/state` serves them, without `updated_at`
/// (any write moves it) and `previous_ticket_state_id` (Intercom's history of the state: a
/// restore is one more state change).
fn tickets_and_contacts(sb: &SandboxHandle) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("updated_at");
                m.remove("previous_ticket_state_id");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let s = sb.intercom.state_json();
    let mut v = serde_json::json!({ "tickets": s["tickets"], "contacts": s["contacts"] });
    strip(&mut v);
    v
}

/// `rollback --run <delta>` restores what the delta changed on objects the first run created:
/// a ticket's state and its customer's name go back to what the first run wrote (the delta's
/// before-images of that run), and the tickets and contacts equal the state after the first
/// run; the records are written again by the next run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_scope_restores_what_that_run_changed_on_objects_an_earlier_run_created() {
    let sb = common::sandbox(30, 21).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    assert!(common::run(&m).await.is_balanced());
    let after_first = tickets_and_contacts(&sb);
    // A first-run ticket with a customer the first run created.
    let created: Vec<_> = ledger.rollback_order().unwrap();
    let (ticket, customer) = created
        .iter()
        .filter(|i| i.kind == ObjectKind::Ticket)
        .find_map(|t| {
            let g = sb
                .snapshot
                .tickets
                .iter()
                .find(|g| g["id"].to_string().as_str() == t.source_id.as_str())?;
            let customer = g["participants"]
                .as_array()?
                .iter()
                .filter(|p| p["type"] == "Client")
                .filter_map(|p| p["contactId"].as_str())
                .find(|c| {
                    created.iter().any(|i| {
                        i.kind == ObjectKind::Contact && i.source_id.eq_ignore_ascii_case(c)
                    })
                })?
                .to_owned();
            Some((t.clone(), customer))
        })
        .expect("a ticket whose customer the first run created");
    let open = sb.intercom.state().tickets[&ticket.target_id].open;
    common::glassix_change(
        &sb,
        &format!("tickets/{}/set_state", ticket.source_id),
        serde_json::json!({ "state": if open { "Closed" } else { "Open" } }),
    )
    .await;
    common::glassix_change(
        &sb,
        &format!("contacts/{customer}"),
        serde_json::json!({ "name": "Renamed after the first run" }),
    )
    .await;
    let (progress, _rx) = ProgressSender::channel(4096);
    let delta = m
        .delta(migration_core::execute::DEFAULT_DELTA_MARGIN, progress)
        .await
        .expect("delta completes");
    assert_eq!(
        sb.intercom.state().tickets[&ticket.target_id].open,
        !open,
        "the delta changed the ticket's state"
    );
    assert_ne!(tickets_and_contacts(&sb), after_first, "the delta wrote");
    let renamed = sb
        .intercom
        .state()
        .contacts
        .values()
        .any(|c| c.name.as_deref() == Some("Renamed after the first run"));
    assert!(renamed, "the delta renamed the customer");

    let s = rollback(&m, &RollbackScope::Run(delta.run_id)).await;
    println!("{}", s.to_markdown());
    assert_eq!(s.failed(), 0, "{:?}", s.left);
    assert!(s.totals().restored >= 2, "{:?}", s.per_kind);
    let now = tickets_and_contacts(&sb);
    let mut diff = Vec::new();
    common::differences(&after_first, &now, "", &mut diff);
    assert!(
        diff.is_empty(),
        "differs from the state after the first run: {diff:#?}"
    );
    // The ledger writes them again next time: a delta brings Glassix's changes back.
    let (progress, _rx) = ProgressSender::channel(4096);
    let again = m
        .delta(migration_core::execute::DEFAULT_DELTA_MARGIN, progress)
        .await
        .expect("delta completes");
    assert_eq!(
        sb.intercom.state().tickets[&ticket.target_id].open,
        !open,
        "the next delta writes the ticket again: {:?} {:?}; ledger row {:?}",
        again.cutover,
        again.this_run,
        ledger
            .lookup(&ObjectKind::Ticket, &ticket.source_id)
            .unwrap()
    );
}

/// A field an earlier run changed first and run R changed again goes back to the value it had
/// before R (R's own before-image), not to the first-ever one: pre-existing contacts renamed by
/// two deltas get the first delta's name back from `rollback --run <second delta>`, and their
/// own name from a full rollback after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_scope_restores_a_field_to_its_value_before_that_run() {
    let sb = common::sandbox(30, 12).await;
    let existing = common::pre_existing_contacts_with_history(&sb).await;
    assert!(!existing.is_empty(), "the workspace has such customers");
    let originals: Vec<serde_json::Value> = existing
        .iter()
        .map(|e| contact_state(&sb, &e.intercom_id)["name"].clone())
        .collect();
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    assert!(common::run(&m).await.is_balanced());
    let mut deltas = Vec::new();
    for (round, name) in ["First rename", "Second rename"].iter().enumerate() {
        for e in &existing {
            common::glassix_change(
                &sb,
                &format!("contacts/{}", e.glassix_id),
                serde_json::json!({ "name": name }),
            )
            .await;
            common::glassix_change(
                &sb,
                &format!("tickets/{}/add_transaction", e.glassix_ticket),
                serde_json::json!({"kind": "Message", "text": format!("Round {round}"), "from_customer": true}),
            )
            .await;
        }
        let (progress, _rx) = ProgressSender::channel(4096);
        let d = m
            .delta(migration_core::execute::DEFAULT_DELTA_MARGIN, progress)
            .await
            .expect("delta completes");
        deltas.push(d.run_id);
    }
    let s = rollback(&m, &RollbackScope::Run(deltas[1])).await;
    assert_eq!(s.failed(), 0, "{:?}", s.left);
    for e in &existing {
        assert_eq!(
            contact_state(&sb, &e.intercom_id)["name"],
            "First rename",
            "{}: the value before the second delta",
            e.email
        );
    }
    // The ledger's expectation follows the restore: `verify` reads everything back equal.
    let (progress, _rx) = ProgressSender::channel(4096);
    let v = m
        .verify(&migration_core::verify::VerifyOptions::default(), progress)
        .await
        .expect("verify completes");
    let differing: Vec<_> = v
        .objects
        .iter()
        .filter(|o| !o.diffs.is_empty())
        .map(|o| (o.kind.to_string(), o.target_id.clone(), o.diffs.clone()))
        .collect();
    assert!(
        v.all_equal(),
        "after rollback --run, verify finds: {:?}; differing: {differing:?}",
        v.summary
    );
    let s = rollback(&m, &RollbackScope::All).await;
    assert_eq!(s.failed(), 0, "{:?}", s.left);
    for (e, original) in existing.iter().zip(&originals) {
        assert_eq!(
            contact_state(&sb, &e.intercom_id)["name"],
            *original,
            "{}: its own name",
            e.email
        );
    }
}
