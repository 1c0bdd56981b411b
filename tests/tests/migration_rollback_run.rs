//! `rollback --run <delta>` on tickets and conversations an earlier run created: what the delta
//! changed on them (tags attached and detached, state, assignee, attributes) is put back as the
//! first run left it, from the delta's before-images, and `verify` then reads every object back
//! equal to the ledger's expectations.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::sync::Arc;

use common::glassix_change as change;
use common::{assert_verified_equal, delta};
use helpdesk_sandbox::SandboxHandle;
use migration_core::ObjectKind;
use migration_core::execute::Migration;
use migration_core::ledger::Ledger;
use migration_core::progress::ProgressSender;
use migration_core::rollback::{RollbackScope, RollbackSummary};
use migration_core::spec::MappingSpec;
use serde_json::{Value, json};

async fn rollback(m: &Migration, scope: &RollbackScope) -> RollbackSummary {
    let (progress, _rx) = ProgressSender::channel(4096);
    m.rollback(scope, progress)
        .await
        .expect("rollback completes")
}

/// A workspace migrated once with `spec`, its ledger and migration.
async fn migrated(
    seed: u64,
    spec: impl FnOnce(&SandboxHandle) -> MappingSpec,
) -> (SandboxHandle, Arc<Ledger>, Migration) {
    let sb = common::sandbox(40, seed).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration_with(&sb, ledger.clone(), false, spec(&sb));
    assert!(common::run(&m).await.is_balanced());
    (sb, ledger, m)
}

/// A Glassix ticket migrated by the first run whose Glassix tags are not empty, and a tag of
/// its department it does not have (the delta adds it and drops the others).
fn tagged_ticket(sb: &SandboxHandle, ledger: &Ledger, kind: &ObjectKind) -> (i64, String, String) {
    let snapshot = sb.glassix.snapshot().unwrap();
    let t = snapshot
        .tickets
        .iter()
        .filter(|t| t["tags"].as_array().is_some_and(|a| !a.is_empty()))
        .find(|t| {
            ledger
                .lookup(kind, &t["id"].as_i64().unwrap().to_string())
                .unwrap()
                .is_some_and(|r| r.target_id.is_some())
        })
        .expect("a migrated, tagged ticket");
    let id = t["id"].as_i64().unwrap();
    let dept = t["departmentId"].as_str().unwrap().to_lowercase();
    let own: Vec<&str> = t["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let other = snapshot
        .departments
        .iter()
        .find(|d| d.id.to_lowercase() == dept)
        .unwrap()
        .tags
        .iter()
        .filter_map(|t| t["name"].as_str())
        .find(|n| !own.contains(n))
        .expect("a tag the ticket does not have")
        .to_owned();
    let target = ledger
        .lookup(kind, &id.to_string())
        .unwrap()
        .and_then(|r| r.target_id)
        .unwrap();
    (id, target, other)
}

/// The Intercom state of one object of collection `of` ("tickets", "conversations") without
/// what every write moves (`updated_at`) and without its parts: an action Intercom records is a
/// part of the history, which a restore adds to as the delta did.
fn object_state(sb: &SandboxHandle, of: &str, id: &str) -> Value {
    let st = sb.intercom.state();
    let mut v = match of {
        "tickets" => serde_json::to_value(&st.tickets[id]).unwrap(),
        _ => serde_json::to_value(&st.conversations[id]).unwrap(),
    };
    let m = v.as_object_mut().expect("an object");
    for k in ["updated_at", "previous_ticket_state_id", "parts", "read"] {
        m.remove(k);
    }
    v
}

/// `v` with its `tag_ids` sorted (Intercom lists tags in the order they were attached).
fn sorted_tags(v: &Value) -> Value {
    let mut v = v.clone();
    let mut ids: Vec<String> = serde_json::from_value(v["tag_ids"].take()).unwrap_or_default();
    ids.sort();
    v["tag_ids"] = json!(ids);
    v
}

/// `rollback --run <run>` restores object `id` of collection `of` (not left, none failed) to
/// `before` (tags as a set), and `verify` reads everything back equal.
async fn rollback_restores(
    sb: &SandboxHandle,
    m: &Migration,
    run: migration_core::ledger::RunId,
    of: &str,
    id: &str,
    before: &Value,
) {
    let s = rollback(m, &RollbackScope::Run(run)).await;
    println!("{}", s.to_markdown());
    assert_eq!(s.failed(), 0, "{:?}", s.left);
    assert!(
        !s.left.iter().any(|l| l.target_id == id),
        "{of} {id} is restored, not left: {:?}",
        s.left
    );
    let mut diff = Vec::new();
    common::differences(
        &sorted_tags(before),
        &sorted_tags(&object_state(sb, of, id)),
        "",
        &mut diff,
    );
    assert!(
        diff.is_empty(),
        "{of} {id} differs from after the first run: {diff:#?}"
    );
    assert_verified_equal(m).await;
}

/// Tickets: a delta replaces a ticket's tags and flips its state; `rollback --run` of the delta
/// detaches the tag it added, attaches again those it removed and puts the state back. Before
/// this, the state's image made the ticket count as restored while its tags silently kept the
/// delta's change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_scope_puts_back_a_tickets_tags_and_state() {
    let (sb, ledger, m) = migrated(31, |sb| common::spec(sb, true)).await;
    let (id, target, other) = tagged_ticket(&sb, &ledger, &ObjectKind::Ticket);
    let after_first = object_state(&sb, "tickets", &target);
    assert!(
        !after_first["tag_ids"].as_array().unwrap().is_empty(),
        "the first run tagged it: {after_first}"
    );
    let open = after_first["open"].as_bool().unwrap();
    change(
        &sb,
        &format!("tickets/{id}/set_tags"),
        json!({ "tags": [other] }),
    )
    .await;
    change(
        &sb,
        &format!("tickets/{id}/set_state"),
        json!({ "state": if open { "Closed" } else { "Open" } }),
    )
    .await;
    let d = delta(&m).await;
    let changed = object_state(&sb, "tickets", &target);
    assert_ne!(
        changed["tag_ids"], after_first["tag_ids"],
        "the delta retagged it"
    );
    assert_ne!(
        changed["open"], after_first["open"],
        "the delta changed its state"
    );

    rollback_restores(&sb, &m, d.run_id, "tickets", &target, &after_first).await;
    // The next delta applies Glassix's changes again: the added tag back on, the others off.
    delta(&m).await;
    let again = object_state(&sb, "tickets", &target);
    assert_eq!(
        sorted_tags(&again)["tag_ids"],
        sorted_tags(&changed)["tag_ids"],
        "tags after the next delta"
    );
    assert_eq!(again["open"], changed["open"]);
    assert_verified_equal(&m).await;
}

/// Conversations: a delta reopens (or closes) a conversation, unassigns it and replaces its
/// tags; `rollback --run` of the delta gives back its state, assignee and tags with actions and
/// tag calls, and the next delta applies Glassix's changes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_scope_puts_back_a_conversations_state_assignee_and_tags() {
    let (sb, ledger, m) = migrated(14, common::conversations_spec).await;
    let (id, target, other) = tagged_ticket(&sb, &ledger, &ObjectKind::Conversation);
    let after_first = object_state(&sb, "conversations", &target);
    let closed = after_first["state"] == "closed";
    change(
        &sb,
        &format!("tickets/{id}/set_state"),
        json!({ "state": if closed { "Open" } else { "Closed" } }),
    )
    .await;
    change(
        &sb,
        &format!("tickets/{id}/set_tags"),
        json!({ "tags": [other] }),
    )
    .await;
    change(
        &sb,
        &format!("tickets/{id}/set_owner"),
        json!({ "user_id": null }),
    )
    .await;
    let d = delta(&m).await;
    let c = d.cutover.clone().unwrap();
    assert_eq!(c.updated, 1, "{c:?}");
    let changed = object_state(&sb, "conversations", &target);
    assert_ne!(
        changed["state"], after_first["state"],
        "the delta changed its state"
    );
    assert_ne!(
        changed["tag_ids"], after_first["tag_ids"],
        "the delta retagged it"
    );

    rollback_restores(&sb, &m, d.run_id, "conversations", &target, &after_first).await;
    // The next delta brings Glassix's changes back.
    let d2 = delta(&m).await;
    let again = object_state(&sb, "conversations", &target);
    println!(
        "first {after_first}\nchanged {changed}\nagain {again}\n{:?}\n{:?}",
        d2.cutover, d2.this_run
    );
    assert_eq!(again["state"], changed["state"]);
    assert_eq!(again["admin_assignee_id"], changed["admin_assignee_id"]);
    assert_eq!(
        sorted_tags(&again)["tag_ids"],
        sorted_tags(&changed)["tag_ids"]
    );
    assert_verified_equal(&m).await;
}
