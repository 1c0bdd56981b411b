//! Mapper tests: small hand-made Glassix records, and the shared fixtures file when present.

mod contacts;
mod knowledge;
mod tickets;

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use glassix_client::models::{Contact, Ticket};
use intercom_client::models::Role;
use serde_json::{Value, json};

use super::{Directory, MapContext, ResolvedContact, StateCategory, TicketTypeInfo};
use crate::spec::{MappingSpec, TicketTarget};

pub(super) const PRIYA: &str = "9c1e5b7d-3a2f-4e6b-8d0c-1f2e3d4c5b6a";
pub(super) const DANA: &str = "6b1d2f7a-0c3e-4a58-9f21-7d8e9a0b1c2d";
pub(super) const OMAR: &str = "a2c4e6f8-1b3d-4f5a-8c7e-9d0f1a2b3c4d";
pub(super) const BOT: &str = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170";
pub(super) const DEPT: &str = "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f";
pub(super) const ZERO: &str = "00000000-0000-0000-0000-000000000000";

/// The shared fixtures file, or `None` (with a message) when the references are not beside the
/// workspace.
pub(super) fn fixtures() -> Option<Value> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/glassix-fixtures.json");
    match std::fs::read_to_string(&file) {
        Ok(text) => Some(serde_json::from_str(&text).unwrap()),
        Err(_) => {
            eprintln!("SKIPPED: {} not found", file.display());
            None
        }
    }
}

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 31, 9, 0, 0).unwrap()
}

pub(super) fn spec(target: TicketTarget) -> MappingSpec {
    let mut s = MappingSpec::default();
    s.objects.tickets = target;
    s
}

pub(super) fn ctx<'a>(spec: &'a MappingSpec, dir: &'a Directory) -> MapContext<'a> {
    MapContext::new(spec, dir, now())
}

/// A directory where Priya, Dana, the department and the ticket type are resolved.
pub(super) fn directory() -> Directory {
    let mut d = Directory::default().with_department(DEPT, "Support", None);
    d.contacts.insert(
        PRIYA.into(),
        ResolvedContact {
            id: "c0ffee000000000000000001".into(),
            role: Role::User,
        },
    );
    d.admins_by_user.insert(DANA.into(), "101".into());
    d.admins_by_email
        .insert("dana.whitfield@example.com".into(), "101".into());
    d.bot_users.insert(BOT.into());
    d.acting_admin = Some("900".into());
    d.teams_by_department.insert(DEPT.into(), "7".into());
    d.tags.insert("vip".into(), "55".into());
    let mut tt = TicketTypeInfo {
        id: "tt1".into(),
        ..Default::default()
    };
    for (c, id) in [
        (StateCategory::Submitted, "s1"),
        (StateCategory::InProgress, "s2"),
        (StateCategory::WaitingOnCustomer, "s3"),
        (StateCategory::Resolved, "s4"),
    ] {
        tt.states.insert(c, id.into());
    }
    d.ticket_type = Some(tt);
    d
}

pub(super) fn client(name: &str, identifier: &str, contact_id: &str, channel: &str) -> Value {
    json!({"id": 1, "name": name, "type": "Client", "identifier": identifier,
           "protocolType": channel, "contactId": contact_id, "userName": ""})
}

pub(super) fn agent(name: &str, user_id: &str, email: &str) -> Value {
    json!({"id": 2, "name": name, "type": "User", "identifier": user_id,
           "protocolType": "Web", "contactId": ZERO, "userName": email})
}

pub(super) fn priya() -> Value {
    client("Priya Nandakumar", "15555550142", PRIYA, "WhatsApp")
}

pub(super) fn dana() -> Value {
    agent("Dana Whitfield", DANA, "Dana.Whitfield@Example.com")
}

/// A transaction; `n` orders GUIDs and ids, `minute` gives the time (2025-03-04 08:mm).
pub(super) fn tx(n: u32, minute: u32, kind: &str, author: Value, text: &str) -> Value {
    json!({
        "guidTransactionId": format!("00000000-0000-4000-8000-{n:012}"),
        "id": 1000 + n,
        "dateTime": format!("2025-03-04T08:{minute:02}:00Z"),
        "fromProtocolType": "Web",
        "type": kind,
        "text": text,
        "html": "",
        "fromParticipant": author,
        "attachments": []
    })
}

pub(super) fn attachment(id: i64, name: &str) -> Value {
    json!({"id": id, "type": "Document", "fileIdentifier": format!("f{id}"),
           "originalFileName": name, "uri": format!("https://files.example/{id}"),
           "isEmbedded": false, "sanitizationState": "Allowed"})
}

/// A ticket with Priya and Dana, owned by Dana, in the Support department.
pub(super) fn ticket(transactions: Vec<Value>) -> Value {
    json!({
        "id": 500,
        "departmentId": DEPT,
        "field1": "Where is my order?",
        "state": "Open",
        "open": "2025-03-04T08:00:00Z",
        "close": "0001-01-01T00:00:00",
        "primaryProtocolType": "Mail",
        "owner": {"id": DANA, "UserName": "dana.whitfield@example.com", "type": "AGENT"},
        "tags": ["VIP", "Shipping"],
        "participants": [priya(), dana()],
        "transactions": transactions
    })
}

pub(super) fn decode_ticket(v: Value) -> Ticket {
    serde_json::from_value(v).unwrap()
}

pub(super) fn decode_contact(v: Value) -> Contact {
    serde_json::from_value(v).unwrap()
}
