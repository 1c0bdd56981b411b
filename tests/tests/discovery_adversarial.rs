//! Discovery over an adversarial workspace (department-specific custom fields, impossible
//! dates, free text in number fields) drafts one rule per department where the departments
//! read a field differently, each with its evidence, and one shared rule where they agree.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use migration_core::ledger::Ledger;
use migration_core::spec::{FieldType, MappingSpec, Transform};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proposal_splits_fields_the_departments_read_differently() {
    let sb = common::adversarial_sandbox(120, 9).await;
    let m = common::migration(&sb, Arc::new(Ledger::open_in_memory().unwrap()), true);
    let d = m.discover().await.expect("discovery");
    let facts = d.facts();
    let field3 = facts
        .custom_fields
        .iter()
        .find(|f| f.source == "field3")
        .unwrap();
    assert_eq!(field3.departments.len(), 3, "statistics per department");
    let total: u64 = field3.departments.iter().map(|d| d.stats.total).sum();
    assert_eq!(total, d.tickets.total);

    let p = MappingSpec::proposal(&facts);
    let names: Vec<&str> = sb
        .snapshot
        .departments
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    let rule = |source: &str, dept: &str| {
        p.spec
            .department_fields
            .iter()
            .find(|r| r.rule.source == source && r.departments == [dept])
            .unwrap_or_else(|| panic!("no {source} rule for {dept}: {:#?}", p.spec))
    };
    // field3: dates in the first department, plan names in the second, European amounts in
    // the third; distinct targets.
    let dates = rule("field3", names[0]);
    assert_eq!(dates.rule.field_type, FieldType::Date);
    assert_eq!(
        dates.rule.transforms.last(),
        Some(&Transform::ParseDate {
            formats: vec!["%d/%m/%Y".into()]
        })
    );
    let plans = rule("field3", names[1]);
    assert_eq!(plans.rule.field_type, FieldType::List);
    let mut options = plans.rule.options.clone();
    options.sort();
    assert_eq!(options, ["Basic", "Enterprise", "Pro", "Pro Plus"]);
    let amounts = rule("field3", names[2]);
    assert_eq!(amounts.rule.field_type, FieldType::Float);
    assert_eq!(
        amounts.rule.transforms.last(),
        Some(&Transform::ParseNumber {
            decimal: ",".into(),
            thousands: Some(".".into())
        })
    );
    let targets: std::collections::BTreeSet<&str> = [dates, plans, amounts]
        .iter()
        .map(|r| r.rule.target.as_str())
        .collect();
    assert_eq!(targets.len(), 3);
    // field7: thousands separators in the first department, plain numbers elsewhere: one
    // shared rule that reads both (the plain numbers read the same with `,` as thousands
    // separator), so one attribute.
    let counts = p
        .spec
        .fields
        .iter()
        .find(|r| r.source == "field7")
        .unwrap_or_else(|| panic!("no shared field7 rule: {:#?}", p.spec));
    assert_eq!(counts.field_type, FieldType::Integer);
    assert!(matches!(
        counts.transforms.last(),
        Some(Transform::ParseNumber { thousands: Some(t), .. }) if t == ","
    ));
    // Fields every department reads the same way stay one shared rule.
    assert!(
        p.spec
            .fields
            .iter()
            .any(|r| r.source == "field5" && r.field_type == FieldType::Boolean)
    );

    // The evidence: failures named with their share and examples, and the draft parses back.
    let text = p.to_toml();
    assert!(
        text.contains("# Note: the departments read field3 differently"),
        "{text}"
    );
    let evidence = text
        .lines()
        .find(|l| l.starts_with(&format!("# field3 in {}", names[0])))
        .unwrap();
    assert!(evidence.contains("→ date"), "{evidence}");
    assert!(
        text.lines().any(|l| l.starts_with("# Fails the type:")
            && ["30/02/2024", "31/04/2024", "29/02/2023", "31/06/2025"]
                .iter()
                .any(|d| l.contains(d))),
        "{text}"
    );
    let back = MappingSpec::from_toml_str(&text).expect("the draft parses");
    assert_eq!(back, p.spec);
    // The mapper's lookup gives each department its own field3 rule.
    let key = &sb.snapshot.departments[1].id;
    let for_second: Vec<&str> = back
        .rules_for(key, Some(names[1]))
        .filter(|r| r.source == "field3")
        .map(|r| r.target.as_str())
        .collect();
    assert_eq!(for_second, [plans.rule.target.as_str()]);
}

/// A regular workspace, where every department uses the custom fields the same way, gets one
/// shared rule per field, even when it is small (a department with few values does not split a
/// field off).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regular_workspace_gets_shared_rules() {
    let sb = common::sandbox(30, 4).await;
    let m = common::migration(&sb, Arc::new(Ledger::open_in_memory().unwrap()), true);
    let d = m.discover().await.expect("discovery");
    let p = MappingSpec::proposal(&d.facts());
    assert!(p.spec.department_fields.is_empty(), "{}", p.to_toml());
    let types: Vec<(&str, FieldType)> = p
        .spec
        .fields
        .iter()
        .map(|r| (r.source.as_str(), r.field_type))
        .collect();
    for expected in [
        ("field3", FieldType::Float),
        ("field4", FieldType::Date),
        ("field5", FieldType::Boolean),
        ("field7", FieldType::Integer),
    ] {
        assert!(types.contains(&expected), "{expected:?} not in {types:?}");
    }
}
