//! Every record of `shared/reference/glassix-fixtures.json` decodes without loss.
//!
//! "Without loss" is checked two ways: (1) decode → encode → compare with the original JSON leaf
//! by leaf, allowing only the documented normalisations (timestamps rewritten in UTC with `Z`,
//! Glassix's "none" markers — the zero GUID, `0001-01-01T00:00:00` — written as `null`, and
//! numbers compared by value), and (2) decode → encode → decode gives the same value. Key fields
//! are also asserted one by one.

#![allow(clippy::unwrap_used, clippy::panic)] // test helpers below are not #[test] fns

mod common;

use std::path::PathBuf;

use chrono::{TimeDelta, TimeZone, Utc};
use common::*;
use futures::TryStreamExt;
use glassix_client::models::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

fn fixtures() -> Option<Value> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/glassix-fixtures.json");
    match std::fs::read_to_string(&file) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            eprintln!(
                "SKIPPED: {} not found (the shared references are not beside the workspace); \
                 the fixture round-trip tests did not run",
                file.display()
            );
            None
        }
    }
}

fn is_none_marker(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s == ZERO_GUID || s.starts_with("0001-01-01"),
        _ => false,
    }
}

fn is_default(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::Object(o) => o.is_empty(),
    }
}

/// Compare `orig` (from the fixture) with `enc` (re-encoded); collect differences and the
/// normalisations that were applied.
fn compare(
    orig: &Value,
    enc: &Value,
    at: &str,
    diffs: &mut Vec<String>,
    normalised: &mut Vec<String>,
) {
    match (orig, enc) {
        (Value::Object(o), Value::Object(e)) => {
            for (k, v) in o {
                let p = format!("{at}.{k}");
                match e.get(k) {
                    Some(ev) => compare(v, ev, &p, diffs, normalised),
                    None if v.is_null() => normalised.push(format!("{p}: null omitted")),
                    None => diffs.push(format!("{p}: missing after re-encoding (was {v})")),
                }
            }
        }
        (Value::Array(o), Value::Array(e)) => {
            if o.len() != e.len() {
                diffs.push(format!("{at}: {} items became {}", o.len(), e.len()));
                return;
            }
            for (i, (a, b)) in o.iter().zip(e).enumerate() {
                compare(a, b, &format!("{at}[{i}]"), diffs, normalised);
            }
        }
        (a, b) if a == b => {}
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        (Value::String(a), Value::String(b)) => {
            let ta = glassix_client::models::time::parse_timestamp(a);
            let tb = glassix_client::models::time::parse_timestamp(b);
            match (ta, tb) {
                (Ok(Some(x)), Ok(Some(y))) if x == y => {
                    normalised.push(format!("{at}: {a} → {b}"));
                }
                _ => diffs.push(format!("{at}: {a:?} became {b:?}")),
            }
        }
        (a, Value::Null) if is_none_marker(a) => normalised.push(format!("{at}: {a} → null")),
        (Value::Null, b) if is_default(b) => normalised.push(format!("{at}: null → {b}")),
        (a, b) => diffs.push(format!("{at}: {a} became {b}")),
    }
}

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    name: &str,
    v: &Value,
) -> T {
    let decoded: T = serde_path_to_error::deserialize(v.clone())
        .unwrap_or_else(|e| panic!("{name}: decode failed at {}: {}", e.path(), e.inner()));
    let encoded = serde_json::to_value(&decoded).unwrap();
    let mut diffs = Vec::new();
    let mut normalised = Vec::new();
    compare(v, &encoded, name, &mut diffs, &mut normalised);
    assert!(diffs.is_empty(), "{name} lost data:\n{}", diffs.join("\n"));
    let again: T = serde_json::from_value(encoded).unwrap();
    assert_eq!(again, decoded, "{name}: decode(encode(x)) != x");
    eprintln!(
        "{name}: round trip ok, {} normalisation(s)",
        normalised.len()
    );
    for n in &normalised {
        eprintln!("    {n}");
    }
    decoded
}

#[test]
fn every_fixture_decodes_without_loss() {
    let Some(f) = fixtures() else { return };

    let page1: TicketPage = round_trip("tickets_list_page1", &f["tickets_list_page1"]);
    let page2: TicketPage = round_trip("tickets_list_page2_last", &f["tickets_list_page2_last"]);
    let full: Ticket = round_trip("ticket_get_48213377", &f["ticket_get_48213377"]);
    let users: Vec<User> = round_trip("users_allusers", &f["users_allusers"]);
    let contact: Contact = round_trip("contact_get_priya", &f["contact_get_priya"]);
    let tags: Vec<Tag> = round_trip("tenants_gettags", &f["tenants_gettags"]);
    let replies: Vec<CannedReply> = round_trip("cannedreplies_getall", &f["cannedreplies_getall"]);

    // Nothing unmodelled: every fixture field has a typed home (extra maps stay empty).
    assert!(
        page1
            .tickets
            .iter()
            .all(|t| t.extra.is_empty() && t.participants.iter().all(|p| p.extra.is_empty()))
    );
    assert!(full.transactions().iter().all(|t| t.extra.is_empty()));
    assert!(users.iter().all(|u| u.extra.is_empty()));

    // Page 1.
    assert_eq!(page1.tickets.len(), 2);
    assert!(
        page1
            .next()
            .unwrap()
            .starts_with("https://acme-demo.glassix.com/api/v1.2/tickets/list?page=")
    );
    let t = &page1.tickets[0];
    assert_eq!(t.id, 48213377);
    assert_eq!(
        t.department_id.to_string(),
        "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f"
    );
    assert_eq!(t.state, TicketState::Closed);
    assert_eq!(t.ticket_type, TicketType::Regular);
    assert_eq!(t.primary_protocol_type, ProtocolType::WhatsApp);
    assert_eq!(
        t.owner.as_ref().unwrap().user_name,
        "dana.whitfield@example.com"
    );
    assert_eq!(
        t.close,
        Some(
            Utc.with_ymd_and_hms(2025, 3, 4, 9, 2, 47).unwrap()
                + TimeDelta::nanoseconds(551_234_500)
        )
    );
    assert_eq!(t.queue_time_gross, Some(TimeDelta::milliseconds(131_400)));
    assert_eq!(
        t.agent_assign_to_response_time_net,
        Some(TimeDelta::seconds(267))
    );
    assert_eq!(t.moved_to_department_id, None);
    assert_eq!(t.moved_to(), None);
    assert_eq!(t.bot_conversation_id, None);
    assert_eq!(t.participants[1].contact_id, None);
    assert_eq!(
        t.contact_ids(),
        vec![
            "9c1e5b7d-3a2f-4e6b-8d0c-1f2e3d4c5b6a"
                .parse::<uuid::Uuid>()
                .unwrap()
        ]
    );
    let details = t.details.as_ref().unwrap();
    let utm = details
        .referral
        .as_ref()
        .unwrap()
        .utm_parameters
        .as_ref()
        .unwrap();
    assert_eq!(utm["utm_campaign"], "march-billing");
    assert_eq!(t.dynamic_parameters[0].kind, DynamicParameterType::String);
    assert_eq!(t.dynamic_parameters[0].str_value, "AC-448812");
    assert_eq!(
        t.ticket_summary.as_ref().unwrap().value,
        "Duplicate charge on March invoice; refund issued."
    );
    let open_one = &page1.tickets[1];
    assert_eq!(open_one.close, None, "0001-01-01T00:00:00 is none");
    assert_eq!(
        open_one.open,
        Some(Utc.with_ymd_and_hms(2025, 3, 5, 21, 44, 9).unwrap() + TimeDelta::milliseconds(310))
    );
    assert_eq!(open_one.owner.as_ref().unwrap().id, None);
    assert_eq!(open_one.first_agent_message_date_time, None);
    assert_eq!(open_one.first_agent_message_user_id, None);
    assert!(open_one.participants[1].is_placeholder());
    assert_eq!(
        open_one.participants[0].sub_protocol_type,
        SubProtocolType::MailTo
    );

    // Page 2 (the last page has "paging": {}).
    assert_eq!(page2.next(), None);
    let snoozed = &page2.tickets[0];
    assert_eq!(snoozed.state, TicketState::Snoozed);
    assert_eq!(snoozed.bot_conversations.len(), 1);
    assert_eq!(snoozed.bot_conversation_steps[0].flow_version, 3.0);
    assert_eq!(snoozed.details.as_ref().unwrap().ip_address, "203.0.113.45");

    // The full ticket and its transactions.
    let tx = full.transactions();
    assert_eq!(tx.len(), 5);
    assert_eq!(tx[0].id, 681_700_000_001_201, "ids beyond 32 bits");
    assert_eq!(tx[0].status, MessageStatus::Read);
    assert_eq!(tx[0].attachments[0].kind, AttachmentType::Image);
    assert_eq!(
        tx[0].attachments[0].sanitization_state,
        SanitizationState::Allowed
    );
    assert_eq!(
        tx[0].attachments[0].original_file_name,
        "bank-statement.jpg"
    );
    assert!(tx[3].is_note());
    assert_eq!(tx[3].status, MessageStatus::default());
    assert_eq!(tx[4].status, MessageStatus::Delivered);
    assert_eq!(
        tx[1]
            .from_participant
            .as_ref()
            .unwrap()
            .user_id()
            .unwrap()
            .to_string(),
        "6b1d2f7a-0c3e-4a58-9f21-7d8e9a0b1c2d"
    );

    // Users, contact, tags, canned replies.
    assert_eq!(users.len(), 4);
    assert_eq!(users[2].kind, UserType::Api);
    assert_eq!(users[3].kind, UserType::Bot);
    assert_eq!(users[1].status, UserStatus::Break);
    assert_eq!(users[0].gender, Gender::Female);
    assert_eq!(
        contact.identifiers[1].identifier_type,
        IdentifierType::MailAddress
    );
    assert_eq!(contact.identifiers[1].id, 5500177);
    assert_eq!(contact.image_uri, None);
    assert_eq!(tags[3].parent_tags, vec!["Account"]);
    assert!(tags[5].is_deleted);
    assert_eq!(replies[1].auto_tags, vec!["Password reset"]);
    assert_eq!(replies[1].category_name, "Account");
}

/// The fixture pages served as-is: their `paging.next` points at acme-demo.glassix.com, which is
/// not the configured host, so the client refuses it. With the host rewritten to the mock server,
/// the two pages list three tickets.
#[tokio::test]
async fn fixture_pages_served_through_the_client() {
    let Some(f) = fixtures() else { return };
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .and(wiremock::matchers::body_json(&f["token_get"]["request"]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&f["token_get"]["response"]))
        .mount(&server)
        .await;
    let mut page1 = f["tickets_list_page1"].clone();
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/list")))
        .and(query_param("since", "01/03/2025 00:00:00:00"))
        .and(query_param("until", "08/03/2025 00:00:00:00"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page1))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let client = glassix_client::Client::builder()
        .base_url(format!("{}{API}", server.uri()))
        .department(
            glassix_client::Credentials::new(
                f["token_get"]["request"]["apiKey"].as_str().unwrap(),
                f["token_get"]["request"]["apiSecret"].as_str().unwrap(),
                f["token_get"]["request"]["userName"].as_str().unwrap(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let range = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap()
        ..Utc.with_ymd_and_hms(2025, 3, 8, 0, 0, 0).unwrap();
    let err = client
        .tickets(dept(), range.clone())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, glassix_client::Error::ForeignHost { .. }),
        "{err:?}"
    );

    let next = page1["paging"]["next"]
        .as_str()
        .unwrap()
        .replace("https://acme-demo.glassix.com", &server.uri());
    page1["paging"]["next"] = Value::String(next);
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/list")))
        .and(query_param("since", "01/03/2025 00:00:00:00"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&page1))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tickets/list")))
        .and(query_param(
            "page",
            "ZmE0ZTAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDAwOjI=",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(&f["tickets_list_page2_last"]))
        .mount(&server)
        .await;
    let ids: Vec<i64> = client
        .tickets(dept(), range)
        .map_ok(|t| t.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, vec![48213377, 48213391, 48213402]);
}
