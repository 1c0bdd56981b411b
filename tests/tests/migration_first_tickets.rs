//! The longest tickets start first: discovery names them, `migrate` processes them before the
//! listing reaches them and the listing skips them; a ticket no longer in its department is
//! left to the listing, and one that no listing has ends `skipped` with a reason. Every ticket
//! ends exactly once, and a rerun writes nothing.
//!
//! Deterministic by counters, not timing: the sandbox hands out Intercom ids in creation order,
//! so a ticket's rank among the Intercom tickets says when it was created.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::discover::LongTicket;
use migration_core::execute::Migration;
use migration_core::ledger::{Ledger, ObjectStatus};
use migration_core::map::guid_key;

const TICKETS: usize = 60;
const LONG: usize = 60;
/// Tickets in flight at the start of the run: the first tickets' slots and the listings' (8).
const IN_FLIGHT: usize = 9;

fn migration(
    sb: &helpdesk_sandbox::SandboxHandle,
    ledger: Arc<Ledger>,
    first: Vec<LongTicket>,
) -> Migration {
    common::builder(
        sb,
        ledger,
        common::spec(sb, true),
        common::glassix(sb),
        common::intercom(sb),
    )
    .first_tickets(first)
    .build()
    .expect("migration builds")
}

/// Glassix id → rank among the Intercom tickets (creation order).
fn intercom_ranks(sb: &helpdesk_sandbox::SandboxHandle) -> BTreeMap<String, usize> {
    let state = sb.intercom.state();
    let mut ranks = BTreeMap::new();
    for (rank, t) in state.tickets.values().enumerate() {
        let id = t
            .ticket_attributes
            .get("glassix_ticket_id")
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        let id = id.expect("every migrated ticket names its Glassix id");
        assert!(
            ranks.insert(id.clone(), rank).is_none(),
            "Glassix ticket {id} is twice in Intercom"
        );
    }
    ranks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_longest_ticket_starts_first_and_every_ticket_ends_once() {
    let sb = common::sandbox_with_long_conversation(TICKETS, 23, LONG).await;
    let tickets = &sb.snapshot.tickets;
    let field = |t: &serde_json::Value, k: &str| t[k].as_str().unwrap_or_default().to_owned();
    let transactions = |t: &serde_json::Value| t["transactions"].as_array().map_or(0, Vec::len);

    // Discovery names the long ticket (it holds well over 10 % of all transactions).
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let found = migration(&sb, ledger.clone(), Vec::new())
        .discover()
        .await
        .expect("discovery");
    let long = tickets.iter().max_by_key(|t| transactions(t)).unwrap();
    let long_id = long["id"].as_i64().unwrap();
    let first = found.first_tickets();
    assert_eq!(
        first.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![long_id],
        "{:?}",
        found.longest_tickets
    );

    // A ticket the listing reaches last in its department, started first instead (named
    // twice); besides it, one Glassix does not have (404) and one named under the wrong
    // department (404 there, listed in its own).
    let dept = field(long, "departmentId");
    let in_dept: Vec<&serde_json::Value> = tickets
        .iter()
        .filter(|t| field(t, "departmentId") == dept && t["isScrambled"] != true)
        .collect();
    let late = in_dept
        .iter()
        .max_by_key(|t| field(t, "open"))
        .copied()
        .unwrap();
    let late_id = late["id"].as_i64().unwrap();
    let position = in_dept
        .iter()
        .filter(|t| field(t, "open") < field(late, "open"))
        .count();
    assert!(
        position > 2 * IN_FLIGHT,
        "the listing reaches it late ({position})"
    );
    let other = tickets
        .iter()
        .find(|t| {
            field(t, "departmentId") != dept
                && t["isScrambled"] != true
                && t["movedToTicketId"].as_i64().unwrap_or(0) == 0
        })
        .unwrap();
    let other_id = other["id"].as_i64().unwrap();
    let ghost_id = 1_i64;
    let key = guid_key(&dept);
    let named = |id: i64| LongTicket {
        department_id: key.clone(),
        id,
        transactions: LONG as u64,
    };

    let run = common::run(&migration(
        &sb,
        ledger.clone(),
        // Named twice: started once.
        vec![
            named(late_id),
            named(ghost_id),
            named(late_id),
            named(other_id),
        ],
    ))
    .await;
    assert!(run.is_balanced(), "{:?}", run.imbalance);

    let ranks = intercom_ranks(&sb);
    let late_rank = ranks[&late_id.to_string()];
    println!(
        "ticket {late_id}: {position} tickets before it in its department's listing, created \
         at rank {late_rank} (from 0) of {} Intercom tickets",
        ranks.len()
    );
    assert!(
        late_rank < IN_FLIGHT,
        "the ticket named first was created with the first wave ({late_rank})"
    );

    // Every Glassix ticket ends exactly once, the ghost with its reason.
    let kind = ObjectKind::Ticket;
    let mut migrated = 0;
    for t in tickets {
        let sid = t["id"].as_i64().unwrap().to_string();
        let row = ledger
            .lookup(&kind, &sid)
            .unwrap()
            .expect("every ticket ends");
        if row.status == ObjectStatus::Migrated {
            migrated += 1;
            assert!(
                ranks.contains_key(&sid),
                "ticket {sid} migrated but not in Intercom"
            );
        }
    }
    assert_eq!(
        ranks.len(),
        migrated,
        "one Intercom ticket per migrated ticket"
    );
    let other_row = ledger
        .lookup(&kind, &other_id.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(
        other_row.status,
        ObjectStatus::Migrated,
        "its own listing took it: {:?}",
        other_row.reason
    );
    let ghost = ledger
        .lookup(&kind, &ghost_id.to_string())
        .unwrap()
        .unwrap();
    assert_eq!(ghost.status, ObjectStatus::Skipped);
    assert_eq!(ghost.reason.unwrap().code, "not_in_source");
    let counts = &run.this_run[&kind];
    assert_eq!(
        counts.migrated + counts.queued + counts.skipped + counts.failed,
        TICKETS as u64 + 1,
        "{counts:?}"
    );
    assert_eq!(counts.failed, 0, "{counts:?}");

    // A rerun with the discovery's first tickets writes nothing and keeps the ghost's row.
    let before = common::writes(&sb);
    let again = common::run(&migration(&sb, ledger.clone(), first)).await;
    assert!(again.is_balanced(), "{:?}", again.imbalance);
    assert_eq!(common::writes(&sb), before, "a rerun wrote");
    assert_eq!(intercom_ranks(&sb), ranks);
}
