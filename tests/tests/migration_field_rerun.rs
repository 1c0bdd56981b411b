//! "A rerun after fixing one rule writes only that field": a rule that fails for most of its
//! values (a thousands separator the rule does not read) leaves them as field items on migrated
//! tickets; after the rule is fixed and the spec confirmed again, `migrate` writes exactly
//! those tickets again (one attribute update each, nothing created, no part written again),
//! and the items of the values that now convert are cleared.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::panic,
    missing_docs
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use migration_core::ObjectKind;
use migration_core::ledger::Ledger;
use migration_core::spec::{AgentPolicy, DepartmentPolicy, MappingSpec, Transform};

/// Requests per endpoint answered so far (reads included).
fn by_endpoint(sb: &helpdesk_sandbox::SandboxHandle) -> BTreeMap<String, u64> {
    sb.intercom
        .stats()
        .by_endpoint
        .into_iter()
        .map(|(e, statuses)| (e, statuses.values().sum()))
        .collect()
}

/// The tickets (source ids) with a field item on `field`, and all field items' records.
fn items_on(ledger: &Ledger, field: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let items = ledger.field_items().unwrap();
    let on = items
        .iter()
        .filter(|(e, i)| e.kind == ObjectKind::Ticket && i.field == field)
        .map(|(e, _)| e.source_id.clone())
        .collect();
    let all = items.iter().map(|(e, _)| e.source_id.clone()).collect();
    (on, all)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_after_fixing_one_rule_writes_only_that_field() {
    let sb = common::adversarial_sandbox(60, 9).await;
    let probe = common::migration(&sb, Arc::new(Ledger::open_in_memory().unwrap()), true);
    let d = probe.discover().await.expect("discovery");
    let mut fixed: MappingSpec = MappingSpec::proposal(&d.facts()).spec;
    fixed.policies.unmatched_agent = AgentPolicy::FallbackAdmin(common::fallback_admin(&sb));
    fixed.policies.unmatched_department = DepartmentPolicy::FallbackTeam("5017999".into());
    // The broken rule: field7 (whole numbers written `12,480`) read without its number
    // transform, so every value with a separator fails.
    let mut broken = fixed.clone();
    let rule = broken
        .fields
        .iter_mut()
        .chain(broken.department_fields.iter_mut().map(|r| &mut r.rule))
        .find(|r| r.source == "field7")
        .expect("a drafted field7 rule");
    let before = rule.transforms.len();
    rule.transforms
        .retain(|t| !matches!(t, Transform::ParseNumber { .. }));
    assert!(
        rule.transforms.len() < before,
        "the drafted rule reads separators"
    );
    let at = Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap();
    broken.confirm("e2e@example.com", at).unwrap();
    fixed.confirm("e2e@example.com", at).unwrap();

    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    let first = common::run(&common::migration_with(&sb, ledger.clone(), false, broken)).await;
    assert!(first.is_balanced(), "{:?}", first.imbalance);
    assert_eq!(first.counts_of(&ObjectKind::Ticket).failed, 0);
    let (field7, with_items) = items_on(&ledger, "field7");
    println!(
        "first run: {} tickets with field7 items, {} records with any field item",
        field7.len(),
        with_items.len()
    );
    assert!(
        field7.len() > 3,
        "the broken rule leaves field7 values unwritten"
    );
    let tickets_before = sb.intercom.state().tickets.len();
    let contacts_before = sb.intercom.state().contacts.len();
    let before = by_endpoint(&sb);

    // Fixed and confirmed again: the next run writes the field values that now convert.
    let second = common::run(&common::migration_with(&sb, ledger.clone(), false, fixed)).await;
    assert!(second.is_balanced(), "{:?}", second.imbalance);
    let after = by_endpoint(&sb);
    let mut delta: BTreeMap<String, u64> = BTreeMap::new();
    for (e, n) in &after {
        let d = n - before.get(e).copied().unwrap_or(0);
        if d > 0 && !e.starts_with("GET ") && !e.ends_with("/search") {
            delta.insert(e.clone(), d);
        }
    }
    println!("second run writes by endpoint: {delta:?}");
    let (left7, left_all) = items_on(&ledger, "field7");
    println!("after the fix: {} tickets with field7 items", left7.len());
    // Nothing created, no part written again: only updates of the tickets with field items.
    assert_eq!(sb.intercom.state().tickets.len(), tickets_before);
    assert_eq!(sb.intercom.state().contacts.len(), contacts_before);
    // The delta's per-section hashes send the fields section only where its mapping changed:
    // the tickets whose field7 value now converts, and nothing else (no tags re-attached).
    let fixed_now: BTreeSet<_> = field7.difference(&left7).cloned().collect();
    let updates = delta.get("PUT /tickets/{id}").copied().unwrap_or(0);
    assert_eq!(
        updates,
        fixed_now.len() as u64,
        "one update per ticket whose field7 value now converts: {delta:?}"
    );
    for e in delta.keys() {
        assert!(
            e == "PUT /tickets/{id}",
            "unexpected write {e} in {delta:?}"
        );
    }
    // The values that now convert are written: only the free-text ones stay field items.
    assert!(left7.len() < field7.len());
    assert!(left7.is_subset(&field7));
    assert!(left_all.is_subset(&with_items));
    for (_, i) in ledger.field_items().unwrap() {
        if i.field == "field7" {
            assert!(
                !i.raw_value.chars().all(|c| c.is_ascii_digit() || c == ','),
                "a number with separators is still unwritten: {}",
                i.raw_value
            );
        }
    }
}
