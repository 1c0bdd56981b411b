//! A generated workspace migrated from the fake Glassix into the fake Intercom, then compared
//! record by record with the source snapshot.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use glassix_client::models::Ticket;
use migration_core::ObjectKind;
use migration_core::ledger::{Ledger, ObjectStatus};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_migration_matches_the_source_record_by_record() {
    let sb = common::sandbox(220, 42).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let m = common::migration(&sb, ledger.clone(), false);
    let started = std::time::Instant::now();
    let (progress, mut events) = migration_core::progress::ProgressSender::channel(1 << 16);
    let result = m.run(progress).await.unwrap();
    let mut seen_events = BTreeMap::<&str, usize>::new();
    let mut ticket_rate = None;
    while let Ok(e) = events.try_recv() {
        use migration_core::progress::ProgressEvent as E;
        if let E::Rate { step, .. } = &e {
            if step == "tickets" {
                ticket_rate = Some(e.clone());
            }
        }
        let name = match e {
            E::StepStarted { .. } => "step_started",
            E::RecordDone { .. } => "record_done",
            E::Rate { .. } => "rate",
            E::StepFinished { .. } => "step_finished",
            E::Queued { .. } => "queued",
            E::Error { .. } => "error",
            _ => "other",
        };
        *seen_events.entry(name).or_default() += 1;
    }
    let elapsed = started.elapsed();
    let stats = sb.intercom.stats();

    // Counts add up per kind, and every source ticket is accounted for.
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    let tickets = result.counts_of(&ObjectKind::Ticket);
    assert_eq!(tickets.source, sb.snapshot.tickets.len() as u64);
    assert_eq!(tickets.failed, 0, "{:?}", ledger.queue_entries().unwrap());
    assert_eq!(result.counts_of(&ObjectKind::Part).failed, 0);
    assert_eq!(result.counts_of(&ObjectKind::Contact).failed, 0);
    for (kind, c) in &result.this_run {
        assert_eq!(
            c.failed, 0,
            "{kind}: nothing failed in this run, not even a finishing op"
        );
    }

    let state = sb.intercom.state();
    // Only unavoidable calls (#17 item 4): `PUT /tickets/{id}` only for a ticket whose final
    // state is not the one `POST /tickets` leaves it in (open, in the submitted state).
    let submitted = state
        .ticket_states
        .iter()
        .find(|s| s.category == "submitted")
        .map(|s| s.id.clone())
        .unwrap();
    let as_created = state
        .tickets
        .values()
        .filter(|t| t.open && t.snoozed_until.is_none() && t.ticket_state_id == submitted)
        .count();
    let puts: u64 = stats
        .by_endpoint
        .get("PUT /tickets/{id}")
        .map(|m| m.values().sum())
        .unwrap_or(0);
    assert!(as_created > 0, "some tickets stay submitted and open");
    assert_eq!(
        puts,
        (state.tickets.len() - as_created) as u64,
        "one PUT per ticket whose state differs from a new ticket's, none for the {as_created} others"
    );
    // Intercom tickets by Glassix id: each migrated ticket exactly once.
    let mut by_glassix: BTreeMap<i64, Vec<&helpdesk_sandbox::intercom::model::Ticket>> =
        BTreeMap::new();
    for t in state.tickets.values() {
        let id = t.ticket_attributes["glassix_ticket_id"].as_i64().unwrap();
        by_glassix.entry(id).or_default().push(t);
    }
    assert!(
        by_glassix.values().all(|v| v.len() == 1),
        "no duplicate ticket"
    );
    assert_eq!(by_glassix.len() as u64, tickets.migrated);

    let admins_by_email: BTreeMap<String, String> = state
        .admins
        .iter()
        .map(|a| (a.email.to_lowercase(), a.id.clone()))
        .collect();
    let fallback = common::fallback_admin(&sb);
    let type_id = state.ticket_types.keys().next().unwrap().clone();
    let list_labels: BTreeMap<String, String> = state.ticket_types[&type_id]
        .attributes
        .iter()
        .flat_map(|a| {
            a.list_items
                .iter()
                .map(|(id, label)| (id.clone(), label.clone()))
        })
        .collect();

    let mut messages = 0usize;
    let mut attachments = 0usize;
    let mut checked_attrs = 0usize;
    for raw in &sb.snapshot.tickets {
        let src: Ticket = serde_json::from_value(raw.clone()).unwrap();
        let rec = ledger
            .lookup(&ObjectKind::Ticket, &src.id.to_string())
            .unwrap()
            .unwrap();
        if rec.status != ObjectStatus::Migrated {
            assert!(
                matches!(rec.status, ObjectStatus::Queued | ObjectStatus::Skipped),
                "ticket {} is {:?}",
                src.id,
                rec.status
            );
            assert!(
                rec.reason.is_some(),
                "a queued or skipped ticket has a reason"
            );
            assert!(!by_glassix.contains_key(&src.id));
            continue;
        }
        let dst = by_glassix[&src.id][0];
        assert_eq!(rec.target_id.as_deref(), Some(dst.id.as_str()));

        // Attributes, typed and equal.
        let a = &dst.ticket_attributes;
        assert_eq!(a["order_number"], Value::from(src.field2.clone()));
        assert_eq!(
            a["amount"].as_f64().unwrap(),
            src.field3.parse::<f64>().unwrap()
        );
        let date = chrono::NaiveDate::parse_from_str(&src.field4, "%Y-%m-%d").unwrap();
        assert_eq!(
            a["order_date"].as_i64().unwrap(),
            date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
        );
        assert_eq!(a["paid"].as_bool().unwrap(), src.field5 == "true");
        assert_eq!(
            a["quantity"].as_i64().unwrap(),
            src.field7.parse::<i64>().unwrap()
        );
        let item = a["customer_tier"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| a["customer_tier"].to_string());
        assert_eq!(list_labels.get(&item), Some(&src.field6));
        checked_attrs += 6;

        // Every message once, in order, with author and timestamp.
        let parts: Vec<_> = dst
            .parts
            .iter()
            .filter(|p| p.part_type == "comment" || p.part_type == "note")
            .collect();
        let ledger_parts = ledger.parts_for(&src.id.to_string()).unwrap();
        assert_eq!(parts.len(), ledger_parts.len(), "ticket {}", src.id);
        let mut last = i64::MIN;
        for (p, lp) in parts.iter().zip(&ledger_parts) {
            assert_eq!(
                lp.target_part_id.as_deref(),
                Some(p.id.as_str()),
                "order of ticket {}",
                src.id
            );
            assert!(
                p.created_at >= last,
                "parts of ticket {} in time order",
                src.id
            );
            last = p.created_at;
            let guid = lp.transaction_guid.split('#').next().unwrap();
            let tr = src
                .transactions()
                .iter()
                .find(|t| t.guid_transaction_id.to_string() == guid)
                .expect("the part comes from a source transaction");
            assert_eq!(Some(p.created_at), tr.date_time.map(|d| d.timestamp()));
            let from = tr.from_participant.as_ref();
            let customer = from.is_some_and(|f| f.is_client());
            attachments += p.attachments.len();
            messages += 1;
            if lp.transaction_guid.contains('#') {
                // A continuation carries files (the customer's, on a ticket, travel in an
                // internal note right after the message; more than 10 are split).
                assert!(
                    !p.attachments.is_empty(),
                    "continuation of {} carries files",
                    src.id
                );
                continue;
            }
            if customer {
                assert_ne!(
                    p.author_type, "admin",
                    "customer message of ticket {}",
                    src.id
                );
                assert!(
                    dst.contact_ids.contains(&p.author_id)
                        || state.contacts.contains_key(&p.author_id)
                );
            } else {
                assert_eq!(p.author_type, "admin");
                let agent = from
                    .map(|f| f.user_name.to_lowercase())
                    .and_then(|e| admins_by_email.get(&e).cloned());
                if let Some(admin) = agent {
                    assert_eq!(p.author_id, admin, "agent message of ticket {}", src.id);
                } else {
                    assert!(state.admins.iter().any(|a| a.id == p.author_id));
                }
            }
        }
        if let Some(owner) = src.owner.as_ref().filter(|o| o.id.is_some()) {
            let expected = admins_by_email
                .get(&owner.user_name.to_lowercase())
                .cloned()
                .unwrap_or_else(|| fallback.clone());
            assert_eq!(
                dst.admin_assignee_id.to_string(),
                expected,
                "assignee of {}",
                src.id
            );
        }
    }

    // Contacts: one per customer, no duplicates by e-mail or external id.
    let mut seen = std::collections::BTreeSet::new();
    for c in state.contacts.values() {
        let key = c
            .external_id
            .clone()
            .or(c.email.clone())
            .expect("identified");
        assert!(seen.insert(key), "duplicate contact");
    }
    let contacts = result.counts_of(&ObjectKind::Contact);
    assert_eq!(contacts.migrated, state.contacts.len() as u64);

    assert!(seen_events["step_started"] >= 4 && seen_events["step_finished"] >= 4);
    assert!(seen_events["record_done"] > 1000);
    // The tickets step's rate events count tickets against the expected total (ETA).
    match &ticket_rate {
        Some(migration_core::progress::ProgressEvent::Rate {
            total, done, eta, ..
        }) => {
            assert_eq!(*total, Some(sb.snapshot.tickets.len() as u64));
            assert!(*done <= sb.snapshot.tickets.len() as u64);
            assert!(eta.is_some(), "an ETA once the total is known");
        }
        other => panic!("a rate event of the tickets step (the step takes seconds): {other:?}"),
    }
    println!("migration_full figures:");
    println!("  progress events {seen_events:?}");
    let mut reasons = BTreeMap::new();
    for q in ledger.queue_entries().unwrap() {
        *reasons
            .entry(format!("{} {}", q.kind, q.reason.code))
            .or_insert(0) += 1;
        if reasons.len() < 3 {
            println!("  e.g. {} {}: {}", q.kind, q.source_id, q.reason.detail);
        }
    }
    println!("  queued: {reasons:?}");
    for (kind, c) in &result.counts {
        println!(
            "  {kind:<24} source {:>5}  migrated {:>5}  queued {:>3}  skipped {:>3}  failed {:>3}",
            c.source, c.migrated, c.queued, c.skipped, c.failed
        );
    }
    println!(
        "  messages checked {messages}, attachments {attachments}, attribute values checked {checked_attrs}"
    );
    println!(
        "  intercom requests {} (writes by the executor {}), 429s {}, elapsed {:.2?} (budget {} per 1 s window)",
        stats.total,
        result.intercom_writes,
        stats.status(429),
        elapsed,
        common::INTERCOM_PER_WINDOW
    );
    assert!(attachments > 0, "attachments were uploaded");
    // The knowledge base: every exported article once, in a collection.
    let kb = sb
        .snapshot
        .knowledge_base
        .as_ref()
        .expect("generated knowledge base");
    let articles = result.counts_of(&ObjectKind::Article);
    assert_eq!(articles.source, kb.articles.len() as u64);
    assert_eq!(
        articles.migrated + articles.skipped + articles.queued,
        kb.articles.len() as u64
    );
    assert_eq!(
        result.counts_of(&ObjectKind::Collection).migrated,
        kb.categories.len() as u64
    );
}
