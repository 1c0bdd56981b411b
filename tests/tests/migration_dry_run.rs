//! A dry run reads and maps everything, writes nothing to Intercom and reports counts.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

mod common;

use std::sync::Arc;

use migration_core::ObjectKind;
use migration_core::ledger::Ledger;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_and_reports_counts() {
    let sb = common::sandbox(60, 7).await;
    let ledger = Arc::new(Ledger::open_in_memory().unwrap());
    // An unconfirmed spec is enough for a dry run.
    let m = common::migration(&sb, ledger.clone(), true);
    let result = common::run(&m).await;

    assert_eq!(
        common::writes(&sb),
        0,
        "a dry run sends no write to Intercom"
    );
    assert_eq!(result.intercom_writes, 0);
    let st = sb.intercom.state();
    assert!(st.contacts.is_empty() && st.tickets.is_empty());
    assert!(
        ledger.counts_by_kind().unwrap().is_empty(),
        "nor records objects in the ledger"
    );

    let dry = result.dry.as_ref().expect("dry-run report");
    let tickets = result.counts_of(&ObjectKind::Ticket);
    assert_eq!(tickets.source, sb.snapshot.tickets.len() as u64);
    assert!(result.is_balanced(), "{:?}", result.imbalance);
    assert!(tickets.migrated > 0);
    assert!(
        dry.would_write
            .get(&ObjectKind::Ticket)
            .copied()
            .unwrap_or(0)
            == tickets.migrated
    );
    assert!(dry.would_write.get(&ObjectKind::Part).copied().unwrap_or(0) > tickets.migrated);
    assert!(!dry.sample.is_empty(), "a sample of mapped requests");
    println!(
        "dry run: tickets {tickets:?}; contacts {:?}; would write {:?}; sample {} requests",
        result.counts_of(&ObjectKind::Contact),
        dry.would_write,
        dry.sample.len()
    );
}

/// Discovery counts what the source holds, matches agents and departments, and its facts draft
/// a spec; the plan orders the steps with those counts. Nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_counts_the_source_and_drafts_a_spec() {
    let sb = common::sandbox(60, 7).await;
    // An existing contact attribute of the name the migration needs, with another type.
    common::intercom(&sb)
        .attributes()
        .create_data_attribute(&intercom_client::models::CreateDataAttribute {
            name: "glassix_original_id".into(),
            model: intercom_client::models::CreateAttributeModel::Contact,
            data_type: intercom_client::models::DataType::Integer,
            description: None,
            options: None,
            messenger_writable: None,
        })
        .await
        .unwrap();
    let before = common::writes(&sb);
    let m = common::migration(&sb, Arc::new(Ledger::open_in_memory().unwrap()), true);
    let d = m.discover().await.unwrap();
    assert_eq!(common::writes(&sb), before, "discovery writes nothing");
    assert!(
        d.intercom_attributes
            .iter()
            .any(|a| a.name == "glassix_original_id"),
        "existing attributes are listed"
    );
    assert_eq!(d.conflicts.len(), 1, "{:?}", d.conflicts);
    assert!(d.conflicts[0].contains("glassix_original_id"));

    let src = &sb.snapshot.tickets;
    assert_eq!(d.tickets.total, src.len() as u64);
    assert_eq!(
        d.tickets.by_department.values().sum::<u64>(),
        d.tickets.total
    );
    assert!(d.tickets.by_department.len() >= 2 && d.tickets.by_channel.len() >= 2);
    let transactions: usize = src
        .iter()
        .map(|t| t["transactions"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(d.transactions, transactions as u64);
    let attachments: usize = src
        .iter()
        .flat_map(|t| t["transactions"].as_array().cloned().unwrap_or_default())
        .map(|t| t["attachments"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(d.attachments, attachments as u64);
    assert!(d.notes > 0 && d.contacts_reachable > 0);
    // Every seeded admin e-mail matches its agent; every 4th agent has no seat.
    assert!(d.agents.iter().any(|a| a.admin_id.is_some()));
    assert!(d.agents.iter().any(|a| a.admin_id.is_none() && !a.bot));
    // All departments but the last have a team of the same name.
    assert_eq!(
        d.departments.iter().filter(|x| x.team_id.is_some()).count(),
        d.departments.len() - 1
    );
    assert!(d.tier.api_access);

    // Custom fields are sampled and typed by the proposal.
    let facts = d.facts();
    assert!(facts.custom_fields.iter().any(|f| f.source == "field7"));
    let proposal = migration_core::spec::MappingSpec::proposal(&facts);
    let toml = proposal.to_toml();
    assert!(
        toml.contains("field7") && toml.contains("integer"),
        "{toml}"
    );

    let plan = m.plan(&d).unwrap();
    let ids: Vec<_> = plan.steps().iter().map(|s| s.id.as_str()).collect();
    let pos = |id: &str| ids.iter().position(|s| *s == id).unwrap();
    assert!(pos("contacts") < pos("tickets"));
    assert_eq!(plan.step("tickets").unwrap().records, d.tickets.total);
    // The run refuses that definition (it cannot change the type) and says why.
    let r = common::run(&m).await;
    let attrs = r.counts_of(&migration_core::ObjectKind::DataAttribute);
    assert_eq!(attrs.failed, 1, "{attrs:?}");
    println!("discovery: {}", serde_json::to_string(&d.tickets).unwrap());
}
