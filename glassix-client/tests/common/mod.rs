//! Shared helpers for the wiremock tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use glassix_client::{Client, ClientBuilder, Credentials, Tier};
use serde_json::{Value, json};
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const DEPT: &str = "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f";
pub const DEPT2: &str = "5a5a5a5a-1111-4222-8333-444455556666";
pub const API: &str = "/api/v1.2";

pub fn dept() -> Uuid {
    DEPT.parse().unwrap()
}

pub fn creds_for(dept: &str) -> Credentials {
    Credentials::new(
        dept,
        "synthetic-secret-not-real-0000",
        "migration-api@example.com",
    )
    .unwrap()
}

pub fn creds() -> Credentials {
    creds_for(DEPT)
}

/// A reqwest client without timers of its own (no pool idle reaper), so that a paused tokio
/// clock only moves when the client under test sleeps.
pub fn quiet_http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(None)
        .build()
        .unwrap()
}

/// A builder pointed at the mock server, one department, no request timeout, seeded jitter.
pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(format!("{}{API}", server.uri()))
        .department(creds())
        .tier(Tier::Growth)
        .no_timeout()
        .http_client(quiet_http())
        .jitter_seed(7)
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().unwrap()
}

pub fn token_body(token: &str) -> Value {
    json!({"access_token": token, "token_type": "Bearer", "expires_in": 10800})
}

/// `POST /token/get` answering `token`.
pub async fn mount_token(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(token)))
        .mount(server)
        .await;
}

/// Answers the given templates in order, repeating the last one.
pub struct Sequence {
    pub responses: Vec<ResponseTemplate>,
    pub calls: Arc<AtomicUsize>,
}

impl Sequence {
    pub fn new(responses: Vec<ResponseTemplate>) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        (
            Sequence {
                responses,
                calls: calls.clone(),
            },
            calls,
        )
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        self.responses[n.min(self.responses.len() - 1)].clone()
    }
}

/// A listed ticket (no transactions) with the given id, subject and last activity.
pub fn ticket_json(id: i64, field1: &str, last_activity: &str) -> Value {
    json!({
        "id": id,
        "departmentId": DEPT,
        "field1": field1,
        "field2": "",
        "culture": "en-US",
        "ticketType": "Regular",
        "tags": ["Billing"],
        "owner": {
            "id": "6b1d2f7a-0c3e-4a58-9f21-7d8e9a0b1c2d",
            "gender": "Female",
            "UserName": "dana.whitfield@example.com",
            "culture": "en-US",
            "isAnonymous": false,
            "uniqueArgument": "",
            "type": "AGENT"
        },
        "state": "Open",
        "open": "2025-03-04T08:15:02Z",
        "close": "0001-01-01T00:00:00",
        "lastActivity": last_activity,
        "primaryProtocolType": "WhatsApp",
        "participants": [{
            "id": 1,
            "name": "Priya Nandakumar",
            "type": "Client",
            "identifier": "15555550142",
            "protocolType": "WhatsApp",
            "subProtocolType": "Undefined",
            "isActive": true,
            "isDeleted": false,
            "contactId": "9c1e5b7d-3a2f-4e6b-8d0c-1f2e3d4c5b6a",
            "userName": ""
        }],
        "transactionsCount": 1
    })
}

/// The same ticket as returned by `tickets/get`, with one transaction holding one attachment.
pub fn full_ticket_json(id: i64, attachment_uri: &str) -> Value {
    let mut t = ticket_json(id, "Invoice question", "2025-03-04T09:02:47.5512345Z");
    t["transactions"] = json!([{
        "guidTransactionId": "11111111-2222-4333-8444-555555555501",
        "id": 681_700_000_001_201_i64,
        "dateTime": "2025-03-04T08:15:02Z",
        "fromProtocolType": "WhatsApp",
        "type": "Message",
        "text": "Screenshot attached.",
        "html": "",
        "status": "Read",
        "fromParticipant": {"id": 1, "name": "Priya Nandakumar", "type": "Client"},
        "attachments": [{
            "id": 900001,
            "type": "Image",
            "fileIdentifier": "250304_screenshot.jpg",
            "originalFileName": "bank-statement.jpg",
            "thumbnails": [],
            "thumbnailsFileIdentifiers": [],
            "uri": attachment_uri,
            "isEmbedded": false,
            "sanitizationState": "Allowed"
        }],
        "payload": null
    }]);
    t
}

pub fn page_json(tickets: Vec<Value>, next: Option<String>) -> Value {
    match next {
        Some(n) => json!({"tickets": tickets, "paging": {"next": n}}),
        None => json!({"tickets": tickets, "paging": {}}),
    }
}
