//! The adversarial generator: each data problem it promises is in the workspace, the same for a
//! seed, and the regular generator is unchanged by the option being off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::Api;
use helpdesk_sandbox::{FakeGlassix, GeneratorSizes, GlassixConfig, GlassixSnapshot, generate};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn sizes(adversarial: bool) -> GeneratorSizes {
    GeneratorSizes {
        adversarial,
        ..GeneratorSizes::with_tickets(300)
    }
}

/// `field` of every ticket of department `d`.
fn field_of(s: &GlassixSnapshot, d: usize, field: &str) -> Vec<String> {
    let id = &s.departments[d].id;
    s.tickets
        .iter()
        .filter(|t| t["departmentId"] == id.as_str() && t["movedFromTicketId"] == 0)
        .map(|t| t[field].as_str().unwrap().to_owned())
        .collect()
}

fn is_date(v: &str) -> bool {
    chrono::NaiveDate::parse_from_str(v, "%d/%m/%Y").is_ok()
}

/// A plain, deliberately simple address check: one `@`, no white space, a dotted domain.
fn plain_address(v: &str) -> bool {
    let mut parts = v.split('@');
    matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None)
        if !l.is_empty() && d.contains('.') && !v.chars().any(char::is_whitespace) && !v.contains('('))
}

fn mail_identifiers(s: &GlassixSnapshot) -> Vec<&Value> {
    s.contacts
        .iter()
        .flat_map(|c| c["identifiers"].as_array().unwrap().iter())
        .filter(|i| i["identifierType"] == "MailAddress")
        .collect()
}

#[test]
fn off_by_default_and_deterministic_for_a_seed() {
    assert!(!GeneratorSizes::default().adversarial);
    assert!(!GeneratorSizes::with_tickets(10).adversarial);
    let plain = generate(5, &sizes(false));
    assert_eq!(
        plain.to_json().unwrap(),
        generate(5, &GeneratorSizes::with_tickets(300))
            .to_json()
            .unwrap()
    );
    let a = generate(5, &sizes(true)).to_json().unwrap();
    assert_eq!(a, generate(5, &sizes(true)).to_json().unwrap());
    assert_ne!(a, generate(6, &sizes(true)).to_json().unwrap());
    assert_ne!(a, plain.to_json().unwrap());
    // Same departments, agents and ticket ids: only the records it spoils differ.
    let adv = GlassixSnapshot::from_json(&a).unwrap();
    assert_eq!(adv.departments, plain.departments);
    let ids = |s: &GlassixSnapshot| {
        s.tickets
            .iter()
            .map(|t| t["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&adv), ids(&plain));
}

#[test]
fn custom_fields_mean_different_things_per_department() {
    let s = generate(5, &sizes(true));
    // Department 1: dates dd/mm/yyyy, a few impossible.
    let dates = field_of(&s, 0, "field3");
    let valid = dates.iter().filter(|v| is_date(v)).count();
    let impossible: Vec<&String> = dates.iter().filter(|v| !is_date(v)).collect();
    assert!(valid * 10 >= dates.len() * 9, "{dates:?}");
    assert!(!impossible.is_empty(), "no impossible date");
    assert!(
        impossible
            .iter()
            .all(|v| ["30/02/2024", "31/04/2024", "29/02/2023", "31/06/2025"].contains(&v.as_str()))
    );
    // … and whole numbers with `,` between thousands in field7, with some free text.
    let counts = field_of(&s, 0, "field7");
    assert!(
        counts
            .iter()
            .any(|v| v.contains(',') && v.replace(',', "").parse::<u32>().is_ok())
    );
    assert!(
        counts
            .iter()
            .any(|v| v.parse::<f64>().is_err() && !v.contains(','))
    );
    // Department 2: plan names from a short list, repeated.
    let plans: BTreeSet<String> = field_of(&s, 1, "field3").into_iter().collect();
    assert_eq!(
        plans,
        ["Basic", "Enterprise", "Pro", "Pro Plus"]
            .map(String::from)
            .into()
    );
    // Department 3: European amounts (`1.234,5`) with free text mixed in.
    let amounts = field_of(&s, 2, "field3");
    assert!(
        amounts.iter().any(|v| v.contains('.') && v.contains(',')),
        "{amounts:?}"
    );
    assert!(
        amounts
            .iter()
            .any(|v| !v.chars().any(|c| c.is_ascii_digit())),
        "no free text"
    );
    // The same source field, three meanings: none of them the regular `123.45`.
    assert!(
        dates
            .iter()
            .chain(&amounts)
            .all(|v| v.parse::<f64>().is_err() || !v.contains('.'))
    );
}

#[test]
fn customers_have_invalid_deleted_missing_and_duplicated_addresses() {
    let s = generate(5, &sizes(true));
    let mails = mail_identifiers(&s);
    let invalid: Vec<&str> = mails
        .iter()
        .filter_map(|i| i["identifier"].as_str())
        .filter(|v| !plain_address(v.trim()))
        .collect();
    assert!(invalid.len() >= 3, "{invalid:?}");
    // Tickets carry the same invalid address on their Mail participant.
    let participants: BTreeSet<&str> = s
        .tickets
        .iter()
        .flat_map(|t| t["participants"].as_array().unwrap().iter())
        .filter_map(|p| p["identifier"].as_str())
        .collect();
    assert!(invalid.iter().any(|v| participants.contains(v)));
    assert!(mails.iter().any(|i| i["isDeleted"] == true));
    // Duplicates: two contacts whose addresses differ only by case and white space, both
    // reached through tickets.
    let mut by_normal: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    for c in &s.contacts {
        for i in c["identifiers"].as_array().unwrap() {
            if i["identifierType"] == "MailAddress" && i["isDeleted"] == false {
                let v = i["identifier"].as_str().unwrap();
                by_normal
                    .entry(v.trim().to_lowercase())
                    .or_default()
                    .insert(c["id"].as_str().unwrap());
            }
        }
    }
    let twins: Vec<&BTreeSet<&str>> = by_normal.values().filter(|ids| ids.len() > 1).collect();
    assert!(!twins.is_empty(), "no duplicated customer");
    let referenced: BTreeSet<&str> = s
        .tickets
        .iter()
        .flat_map(|t| t["participants"].as_array().unwrap().iter())
        .filter_map(|p| p["contactId"].as_str())
        .collect();
    assert!(
        twins
            .iter()
            .any(|ids| ids.iter().all(|id| referenced.contains(id)))
    );
    // Missing: referenced by tickets, absent from the snapshot.
    let known: BTreeSet<&str> = s.contacts.iter().filter_map(|c| c["id"].as_str()).collect();
    let missing: Vec<&&str> = referenced
        .iter()
        .filter(|id| !known.contains(**id) && **id != "00000000-0000-0000-0000-000000000000")
        .collect();
    assert!(!missing.is_empty());
}

#[test]
fn some_moves_point_to_tickets_that_do_not_exist() {
    let s = generate(5, &sizes(true));
    let ids: BTreeSet<i64> = s.tickets.iter().filter_map(|t| t["id"].as_i64()).collect();
    let dangling: Vec<&Value> = s
        .tickets
        .iter()
        .filter(|t| {
            t["movedToTicketId"]
                .as_i64()
                .is_some_and(|m| m != 0 && !ids.contains(&m))
        })
        .collect();
    assert!(!dangling.is_empty());
    assert!(
        dangling
            .iter()
            .all(|t| t["state"] == "Closed" && t["movedToDepartmentId"] != t["departmentId"])
    );
    // The regular moves are still there, and resolve.
    assert!(s.tickets.iter().any(|t| {
        t["movedToTicketId"]
            .as_i64()
            .is_some_and(|m| ids.contains(&m))
    }));
}

#[tokio::test]
async fn a_customer_missing_from_glassix_answers_404_on_contacts_get() {
    let s = generate(5, &sizes(true));
    let known: BTreeSet<String> = s
        .contacts
        .iter()
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    let missing = s
        .tickets
        .iter()
        .flat_map(|t| t["participants"].as_array().unwrap().iter())
        .filter(|p| p["type"] == "Client")
        .filter_map(|p| p["contactId"].as_str())
        .find(|id| !known.contains(*id))
        .unwrap()
        .to_owned();
    let present = known.iter().next().unwrap().clone();
    let h = FakeGlassix::start(s, GlassixConfig::default())
        .await
        .unwrap();
    let c = &h.credentials()[0];
    let anon = Api::new(&h.base_url, None);
    let r = anon
        .post(
            "/token/get",
            json!({ "apiKey": c.api_key, "apiSecret": c.api_secret, "userName": c.user_name }),
        )
        .await;
    let api = Api::new(&h.base_url, Some(r.body["access_token"].as_str().unwrap()));
    assert_eq!(
        api.get(&format!("/contacts/get/{missing}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get(&format!("/contacts/get/{present}")).await.status,
        StatusCode::OK
    );
}
