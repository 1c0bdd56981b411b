//! The fake Intercom's rules, driven over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

mod common;

use chrono::TimeZone;
use common::Api;
use helpdesk_sandbox::intercom::ACCEPTED_VERSIONS;
use helpdesk_sandbox::{Clock, FakeIntercom, FakeIntercomHandle, IntercomConfig, IntercomSeed};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ADMIN: &str = "991267400";

async fn start(config: IntercomConfig) -> (FakeIntercomHandle, Api) {
    let h = FakeIntercom::start(IntercomSeed::default(), config)
        .await
        .unwrap();
    let api = Api::new(&h.url, Some(h.token()));
    (h, api)
}

fn frozen() -> Clock {
    Clock::frozen_at(chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 3).unwrap())
}

async fn contact(api: &Api, email: &str) -> String {
    let r = api
        .post("/contacts", json!({ "email": email, "role": "user" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn conversation(api: &Api, contact: &str, created_at: i64) -> String {
    let r = api.post("/conversations", json!({ "from": { "type": "user", "id": contact }, "body": "Hello", "created_at": created_at })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversation_id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn conversation_needs_an_existing_contact() {
    let (h, api) = start(IntercomConfig::default()).await;
    let r = api
        .post(
            "/conversations",
            json!({ "from": { "type": "user", "id": "6762f0dd0000000000009999" }, "body": "hi" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["type"], "error.list");
    assert_eq!(r.error_code(), "not_found");
    assert_eq!(r.body["errors"][0]["message"], "User Not Found");
    assert!(h.state().conversations.is_empty());
}

#[tokio::test]
async fn contact_custom_attribute_must_be_defined_and_typed() {
    let (_h, api) = start(IntercomConfig::default()).await;
    let r = api
        .post(
            "/contacts",
            json!({ "email": "a@example.com", "custom_attributes": { "plan": "gold" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "parameter_not_found");
    assert_eq!(r.body["errors"][0]["field"], "custom_attributes.plan");

    for (name, t) in [
        ("seats", "integer"),
        ("vip", "boolean"),
        ("renewal", "date"),
        ("ratio", "float"),
    ] {
        let r = api
            .post(
                "/data_attributes",
                json!({ "name": name, "model": "contact", "data_type": t }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["full_name"], format!("custom_attributes.{name}"));
    }
    let r = api.post("/data_attributes", json!({ "name": "tier", "model": "contact", "data_type": "options", "options": [{"value":"Gold"},{"value":"Silver"}] })).await;
    assert_eq!(r.status, StatusCode::OK);
    for bad in [
        json!({"seats": "three"}),
        json!({"vip": "yes"}),
        json!({"renewal": "2025-01-01"}),
        json!({"seats": 2.5}),
        json!({"tier": "Bronze"}),
    ] {
        let r = api
            .post(
                "/contacts",
                json!({ "email": "b@example.com", "custom_attributes": bad }),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad} must be rejected");
        assert_eq!(r.error_code(), "parameter_invalid");
    }
    let good =
        json!({ "seats": 3, "vip": true, "renewal": 1735689600, "ratio": 0.5, "tier": "Gold" });
    let r = api
        .post(
            "/contacts",
            json!({ "email": "b@example.com", "custom_attributes": good }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["custom_attributes"], good);
    // Duplicate attribute names are refused; the type cannot be changed; archiving works.
    let r = api
        .post(
            "/data_attributes",
            json!({ "name": "seats", "model": "contact", "data_type": "string" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let list = api.get("/data_attributes?model=contact").await;
    let id = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "seats")
        .unwrap()["id"]
        .clone();
    let r = api
        .put(
            &format!("/data_attributes/{id}"),
            json!({ "data_type": "string" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api
        .put(
            &format!("/data_attributes/{id}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(r.body["archived"], true);
    let r = api
        .post(
            "/contacts",
            json!({ "email": "c@example.com", "custom_attributes": { "seats": 1 } }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "archived attribute cannot be written"
    );
    assert_eq!(
        api.get("/data_attributes?model=conversation").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn conversation_attributes_are_checked_on_update() {
    let (h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "conv@example.com").await;
    let conv = conversation(&api, &c, 1_600_000_000).await;
    let r = api
        .put(
            &format!("/conversations/{conv}"),
            json!({ "custom_attributes": { "source_channel": "Mail" } }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "undefined conversation attribute"
    );
    let r = api.post("/conversations/attributes", json!({ "name": "source_channel", "data_type": "list", "options": [{"label":"Mail"},{"label":"WhatsApp"}] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let attr_id = r.body["id"].clone();
    api.post(
        "/conversations/attributes",
        json!({ "name": "glassix_id", "data_type": "integer" }),
    )
    .await;
    let r = api
        .put(
            &format!("/conversations/{conv}"),
            json!({ "custom_attributes": { "glassix_id": "48213377" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "wrong type");
    let r = api
        .put(
            &format!("/conversations/{conv}"),
            json!({ "custom_attributes": { "source_channel": "SMS" } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown list option");
    let r = api.put(&format!("/conversations/{conv}"), json!({ "title": "Invoice", "custom_attributes": { "source_channel": "Mail", "glassix_id": 48213377 } })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["title"], "Invoice");
    assert_eq!(r.body["custom_attributes"]["glassix_id"], 48213377);
    // DELETE archives.
    let r = api
        .delete(&format!("/conversations/attributes/{attr_id}"))
        .await;
    assert_eq!(r.body["archived"], true);
    assert!(
        h.state()
            .conversation_attributes
            .iter()
            .any(|a| a.name == "source_channel" && a.archived)
    );
}

#[tokio::test]
async fn at_most_ten_attachments_per_part() {
    let (_h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "att@example.com").await;
    let conv = conversation(&api, &c, 1_600_000_000).await;
    let urls = |n: usize| {
        (0..n)
            .map(|i| format!("https://files.example/{i}.png"))
            .collect::<Vec<_>>()
    };
    let r = api.post(&format!("/conversations/{conv}/reply"), json!({ "message_type": "comment", "type": "admin", "admin_id": ADMIN, "body": "x", "attachment_urls": urls(11) })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["errors"][0]["field"], "attachment_urls");
    let files: Vec<Value> = (0..11).map(|i| json!({ "content_type": "text/plain", "data": "aGVsbG8=", "name": format!("{i}.txt") })).collect();
    let r = api.post(&format!("/conversations/{conv}/reply"), json!({ "message_type": "note", "type": "admin", "admin_id": ADMIN, "body": "x", "attachment_files": files })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = api.post(&format!("/conversations/{conv}/reply"), json!({ "message_type": "comment", "type": "admin", "admin_id": ADMIN, "body": "x", "attachment_urls": urls(10), "created_at": 1_600_000_100 })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let parts = r.body["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts[0]["attachments"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn duplicate_email_or_external_id_is_a_conflict() {
    let (_h, api) = start(IntercomConfig::default()).await;
    let id = contact(&api, "dup@example.com").await;
    let r = api
        .post("/contacts", json!({ "email": "DUP@example.com" }))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "conflict");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&id)
    );
    let r = api
        .post("/contacts", json!({ "external_id": "G-1", "role": "user" }))
        .await;
    let ext_id = r.body["id"].as_str().unwrap().to_string();
    let r = api
        .post(
            "/contacts",
            json!({ "external_id": "G-1", "email": "other@example.com" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&ext_id)
    );
    assert_eq!(
        api.post("/contacts", json!({ "name": "nobody" }))
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "needs email, external_id or role"
    );
}

#[tokio::test]
async fn read_only_objects_cannot_be_created() {
    let (_h, api) = start(IntercomConfig::default()).await;
    for path in [
        "/admins",
        "/teams",
        "/ticket_states",
        "/help_center/help_centers",
    ] {
        let r = api.post(path, json!({ "name": "x" })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.error_code(), "not_found");
        assert!(
            r.header("x-ratelimit-limit").is_some(),
            "authenticated 404 carries rate-limit headers"
        );
    }
    assert_eq!(api.get("/admins").await.body["type"], "admin.list");
    assert_eq!(api.get("/teams").await.body["type"], "team.list");
    assert_eq!(api.get("/me").await.body["app"]["type"], "app");
    assert_eq!(
        api.get("/ticket_states").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        api.get("/help_center/help_centers").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        api.delete("/admins/991267400").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn created_at_round_trips_on_conversations_replies_and_tickets() {
    let (h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "time@example.com").await;
    let conv = conversation(&api, &c, 1_577_836_800).await;
    let r = api.post(&format!("/conversations/{conv}/reply"), json!({ "message_type": "comment", "type": "user", "intercom_user_id": c, "body": "more", "created_at": 1_577_836_900 })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    api.post(&format!("/conversations/{conv}/reply"), json!({ "message_type": "note", "type": "admin", "admin_id": ADMIN, "body": "<p>note</p>", "created_at": 1_577_837_000 })).await;
    let g = api.get(&format!("/conversations/{conv}")).await;
    assert_eq!(g.body["created_at"], 1_577_836_800);
    let parts = g.body["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts[0]["created_at"], 1_577_836_900);
    assert_eq!(parts[0]["part_type"], "comment");
    assert_eq!(parts[1]["created_at"], 1_577_837_000);
    assert_eq!(parts[1]["part_type"], "note");
    // Each part carries its own author (rendered once per distinct author, after the lock).
    assert_eq!(parts[0]["type"], "conversation_part");
    assert_eq!(parts[0]["author"]["type"], "user");
    assert_eq!(parts[0]["author"]["id"], c.as_str());
    assert_eq!(parts[1]["author"]["type"], "admin");
    assert_eq!(parts[1]["author"]["id"], ADMIN);
    assert!(parts[1]["author"]["email"].is_string(), "{}", parts[1]);
    assert_eq!(
        g.body["conversation_parts"]["type"],
        "conversation_part.list"
    );
    assert_eq!(g.body["conversation_parts"]["total_count"], 2);
    let tt = api
        .post("/ticket_types", json!({ "name": "Imported" }))
        .await;
    let tt_id = tt.body["id"].as_str().unwrap().to_string();
    let t = api.post("/tickets", json!({ "ticket_type_id": tt_id, "contacts": [{ "id": c }], "created_at": 1_500_000_000, "skip_notifications": true,
        "ticket_attributes": { "_default_title_": "Old ticket" } })).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    assert_eq!(t.body["created_at"], 1_500_000_000);
    let tid = t.body["id"].as_str().unwrap().to_string();
    let p = api.post(&format!("/tickets/{tid}/reply"), json!({ "message_type": "note", "type": "admin", "admin_id": ADMIN, "body": "n", "created_at": 1_500_000_500 })).await;
    assert_eq!(p.body["type"], "ticket_part");
    assert_eq!(p.body["created_at"], 1_500_000_500);
    assert!(h.state().tickets[&tid].skip_notifications);
    let g = api.get(&format!("/tickets/{tid}")).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    assert_eq!(g.body["ticket_parts"]["type"], "ticket_part.list");
    assert_eq!(g.body["ticket_parts"]["total_count"], 1);
    let tp = &g.body["ticket_parts"]["ticket_parts"][0];
    assert_eq!(tp["type"], "ticket_part");
    assert_eq!(tp["body"], "n");
    assert_eq!(tp["author"]["id"], ADMIN);
}

#[tokio::test]
async fn rate_limit_answers_429_with_headers_and_decreasing_remaining() {
    let (h, api) = start(IntercomConfig {
        rate_limit: 5,
        window_secs: 1,
        clock: frozen(),
        ..IntercomConfig::default()
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..5 {
        let r = api.get("/admins").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("x-ratelimit-limit").unwrap(), "5");
        assert_eq!(
            r.header("x-ratelimit-reset").unwrap(),
            (h.clock().unix() + 1).to_string()
        );
        remaining.push(
            r.header("x-ratelimit-remaining")
                .unwrap()
                .parse::<u32>()
                .unwrap(),
        );
    }
    assert_eq!(remaining, vec![4, 3, 2, 1, 0]);
    let r = api.get("/admins").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.body,
        json!({ "type": "error.list", "errors": [{ "code": "rate_limit_exceeded", "message": "Exceeded rate limit of 5 in 1_seconds" }] })
    );
    assert_eq!(r.header("x-ratelimit-remaining").unwrap(), "0");
    assert!(r.header("x-ratelimit-reset").is_some());
    h.clock().advance(chrono::Duration::seconds(1));
    let r = api.get("/admins").await;
    assert_eq!(r.status, StatusCode::OK, "a new window refills the budget");
    assert_eq!(r.header("x-ratelimit-remaining").unwrap(), "4");
    assert_eq!(h.stats().status(429), 1);
}

#[tokio::test]
async fn auth_and_version_are_checked() {
    let (h, api) = start(IntercomConfig::default()).await;
    let anon = Api::new(&h.url, None);
    let r = anon.get("/contacts").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error_code(), "unauthorized");
    assert!(
        r.header("x-ratelimit-limit").is_none(),
        "no rate-limit headers without valid credentials"
    );
    let wrong = Api::new(&h.url, Some("nope"));
    assert_eq!(
        wrong.get("/contacts").await.status,
        StatusCode::UNAUTHORIZED
    );
    for v in ["2.17", "Preview", "3.0", "banana"] {
        let r = api
            .http
            .get(format!("{}/me", h.url))
            .bearer_auth(h.token())
            .header("Intercom-Version", v)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{v}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["code"], "intercom_version_invalid");
    }
    for v in ACCEPTED_VERSIONS {
        let r = api
            .http
            .get(format!("{}/me", h.url))
            .bearer_auth(h.token())
            .header("Intercom-Version", *v)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{v}");
    }
}

#[tokio::test]
async fn delete_and_archive_follow_the_rollback_table() {
    let (h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "gone@example.com").await;
    api.post(
        &format!("/contacts/{c}/notes"),
        json!({ "body": "imported note", "admin_id": ADMIN }),
    )
    .await;
    let conv = conversation(&api, &c, 1_600_000_000).await;
    // Archive hides from search and find, is reversible.
    let r = api.post(&format!("/contacts/{c}/archive"), json!({})).await;
    assert_eq!(
        r.body,
        json!({ "type": "contact", "id": c, "external_id": null, "archived": true })
    );
    let s = api
        .post(
            "/contacts/search",
            json!({ "query": { "field": "email", "operator": "=", "value": "gone@example.com" } }),
        )
        .await;
    assert_eq!(s.body["total_count"], 0);
    let r = api
        .post(&format!("/contacts/{c}/unarchive"), json!({}))
        .await;
    assert_eq!(r.body["archived"], false);
    let s = api
        .post(
            "/contacts/search",
            json!({ "query": { "field": "email", "operator": "=", "value": "gone@example.com" } }),
        )
        .await;
    assert_eq!(s.body["total_count"], 1);
    // A tag with dependants cannot be deleted until detached.
    let tag = api.post("/tags", json!({ "name": "Imported" })).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let again = api.post("/tags", json!({ "name": "imported" })).await;
    assert_eq!(
        again.body["id"],
        tag.as_str(),
        "get-or-create by name, case-insensitive"
    );
    api.post(
        &format!("/conversations/{conv}/tags"),
        json!({ "id": tag, "admin_id": ADMIN }),
    )
    .await;
    assert_eq!(
        api.delete(&format!("/tags/{tag}")).await.status,
        StatusCode::BAD_REQUEST
    );
    // Conversation delete is permanent.
    let r = api.delete(&format!("/conversations/{conv}")).await;
    assert_eq!(
        r.body,
        json!({ "id": conv, "object": "conversation", "deleted": true })
    );
    assert_eq!(
        api.get(&format!("/conversations/{conv}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.delete(&format!("/tags/{tag}")).await.status,
        StatusCode::OK
    );
    // Contact delete is permanent and takes its notes.
    let r = api.delete(&format!("/contacts/{c}")).await;
    assert_eq!(r.body["deleted"], true);
    assert_eq!(
        api.get(&format!("/contacts/{c}")).await.status,
        StatusCode::NOT_FOUND
    );
    let state = h.state();
    assert!(state.notes.is_empty());
    let again = api
        .post("/contacts", json!({ "email": "gone@example.com" }))
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "a deleted contact's e-mail is free again"
    );
    let kinds: Vec<&str> = state.deleted.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, vec!["conversation", "tag", "contact"]);
    // Notes, ticket states and data attributes have no delete route.
    assert_eq!(api.delete("/notes/1").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        api.delete("/data_attributes/1").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn new_contacts_become_searchable_after_the_delay() {
    let (h, api) = start(IntercomConfig {
        searchable_delay_secs: 60,
        clock: frozen(),
        ..IntercomConfig::default()
    })
    .await;
    let c = api
        .post(
            "/contacts",
            json!({ "external_id": "G-42", "role": "user" }),
        )
        .await
        .body["id"]
        .clone();
    let q = json!({ "query": { "field": "external_id", "operator": "=", "value": "G-42" } });
    assert_eq!(
        api.post("/contacts/search", q.clone()).await.body["total_count"],
        0
    );
    assert_eq!(
        api.get("/contacts/find_by_external_id/G-42").await.body["id"],
        c,
        "find by external id is immediate"
    );
    h.clock().advance(chrono::Duration::seconds(61));
    let r = api.post("/contacts/search", q).await;
    assert_eq!(r.body["total_count"], 1);
    assert_eq!(r.body["data"][0]["id"], c);
}

#[tokio::test]
async fn search_pages_with_a_body_cursor() {
    let (_h, api) = start(IntercomConfig::default()).await;
    for i in 0..5 {
        contact(&api, &format!("p{i}@paged.example")).await;
    }
    contact(&api, "x@other.example").await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({ "query": { "field": "email", "operator": "$", "value": "@paged.example" }, "pagination": { "per_page": 2 } });
        if let Some(c) = &cursor {
            body["pagination"]["starting_after"] = json!(c);
        }
        let r = api.post("/contacts/search", body).await;
        assert_eq!(r.body["total_count"], 5);
        seen.extend(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["email"].as_str().unwrap().to_string()),
        );
        match r.body["pages"]["next"]["starting_after"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let r = api.post("/contacts/search", json!({ "query": { "field": "email", "operator": "=", "value": "x" }, "pagination": { "per_page": 151 } })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn conversation_reads_return_at_most_500_parts_with_the_true_count() {
    let (h2, api2) = start(IntercomConfig {
        max_parts_returned: 500,
        ..IntercomConfig::default()
    })
    .await;
    let c2 = contact(&api2, "long2@example.com").await;
    let conv2 = conversation(&api2, &c2, 1_600_000_000).await;
    for i in 0..505 {
        let r = api2.post(&format!("/conversations/{conv2}/reply"), json!({ "message_type": "note", "type": "admin", "admin_id": ADMIN, "body": format!("n{i}"), "created_at": 1_600_000_001 + i })).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let g = api2.get(&format!("/conversations/{conv2}")).await;
    let parts = g.body["conversation_parts"]["conversation_parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 500);
    assert_eq!(g.body["conversation_parts"]["total_count"], 505);
    assert_eq!(parts[0]["body"], "n5", "the 500 most recent parts");
    assert_eq!(
        h2.state().conversations[&conv2].parts.len(),
        505,
        "the state keeps them all"
    );
}

#[tokio::test]
async fn parts_assign_close_snooze_open_and_tags() {
    let (h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "ops@example.com").await;
    let conv = conversation(&api, &c, 1_600_000_000).await;
    let r = api.post(&format!("/conversations/{conv}/parts"), json!({ "message_type": "assignment", "type": "admin", "admin_id": ADMIN, "assignee_id": ADMIN })).await;
    assert_eq!(r.body["admin_assignee_id"], 991267400);
    let r = api.post(&format!("/conversations/{conv}/parts"), json!({ "message_type": "assignment", "type": "team", "admin_id": ADMIN, "assignee_id": "42" })).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "unknown team");
    let r = api
        .post(
            &format!("/conversations/{conv}/parts"),
            json!({ "message_type": "snoozed", "admin_id": ADMIN, "snoozed_until": 1_900_000_000 }),
        )
        .await;
    assert_eq!(r.body["state"], "snoozed");
    let r = api
        .post(
            &format!("/conversations/{conv}/parts"),
            json!({ "message_type": "open", "admin_id": ADMIN }),
        )
        .await;
    assert_eq!(r.body["state"], "open");
    let r = api
        .post(
            &format!("/conversations/{conv}/parts"),
            json!({ "message_type": "close", "type": "admin", "admin_id": ADMIN, "body": "done" }),
        )
        .await;
    assert_eq!(r.body["state"], "closed");
    assert_eq!(r.body["open"], false);
    let kinds: Vec<String> = h.state().conversations[&conv]
        .parts
        .iter()
        .map(|p| p.part_type.clone())
        .collect();
    assert_eq!(kinds, vec!["assignment", "snoozed", "open", "close"]);
    let r = api
        .post(
            &format!("/conversations/{conv}/reply"),
            json!({ "message_type": "comment", "type": "admin", "admin_id": "1", "body": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "unknown admin");
    let list = api.get("/conversations?per_page=1").await;
    assert_eq!(list.body["type"], "conversation.list");
    let s = api
        .post(
            "/conversations/search",
            json!({ "query": { "field": "state", "operator": "=", "value": "closed" } }),
        )
        .await;
    assert_eq!(s.body["total_count"], 1);
}

#[tokio::test]
async fn tickets_types_states_and_conversion() {
    let (h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "t@example.com").await;
    let tt = api
        .post(
            "/ticket_types",
            json!({ "name": "Glassix ticket", "category": "Customer" }),
        )
        .await;
    let tt_id = tt.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        tt.body["ticket_type_attributes"]["ticket_type_attributes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let a = api.post(&format!("/ticket_types/{tt_id}/attributes"), json!({ "name": "Priority", "description": "p", "data_type": "list", "list_items": "Low,High", "required_to_create": true })).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let high = a.body["input_options"]["list_options"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api
        .post(
            "/tickets",
            json!({ "ticket_type_id": tt_id, "contacts": [{ "id": c }] }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "required attribute missing"
    );
    let r = api.post("/tickets", json!({ "ticket_type_id": tt_id, "contacts": [{ "id": c }], "ticket_attributes": { "Priority": "High" } })).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "list takes the item id, not the label"
    );
    let r = api.post("/tickets", json!({ "ticket_type_id": tt_id, "contacts": [{ "id": "6762f0dd0000000000000bad" }], "ticket_attributes": { "Priority": high } })).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "unknown contact");
    let r = api.post("/tickets", json!({ "ticket_type_id": tt_id, "contacts": [{ "email": "new@example.com" }], "ticket_attributes": { "Priority": high } })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tid = r.body["id"].as_str().unwrap().to_string();
    assert!(
        h.state().contacts.values().any(
            |x| x.email.as_deref() == Some("new@example.com") && x.created_by == "ticket_email"
        )
    );
    let r = api
        .put(
            &format!("/tickets/{tid}"),
            json!({ "ticket_state_id": "1" }),
        )
        .await;
    assert_eq!(r.error_code(), "ticket_state_id_invalid");
    let r = api.put(&format!("/tickets/{tid}"), json!({ "ticket_state_id": "8272", "open": false, "assignee_id": ADMIN, "admin_id": 991267400 })).await;
    assert_eq!(r.body["ticket_state"]["category"], "resolved");
    assert_eq!(r.body["admin_assignee_id"], 991267400);
    let s = api
        .post(
            "/tickets/search",
            json!({ "query": { "field": "open", "operator": "=", "value": false } }),
        )
        .await;
    assert_eq!(s.body["total_count"], 1);
    // Back-office tickets refuse contact replies.
    let bo = api
        .post(
            "/ticket_types",
            json!({ "name": "Internal", "category": "Back-office" }),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let t2 = api
        .post(
            "/tickets",
            json!({ "ticket_type_id": bo, "contacts": [{ "id": c }] }),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = api.post(&format!("/tickets/{t2}/reply"), json!({ "message_type": "comment", "type": "user", "intercom_user_id": c, "body": "hi" })).await;
    assert_eq!(r.error_code(), "parameter_mismatch");
    // Convert a conversation; delete a ticket; archive the type (no DELETE route).
    let conv = conversation(&api, &c, 1_600_000_000).await;
    let r = api
        .post(
            &format!("/conversations/{conv}/convert"),
            json!({ "ticket_type_id": bo }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "only customer ticket types"
    );
    let r = api
        .post(
            &format!("/conversations/{conv}/convert"),
            json!({ "ticket_type_id": tt_id }),
        )
        .await;
    assert_eq!(r.body["id"], conv.as_str());
    assert_eq!(
        api.delete(&format!("/tickets/{tid}")).await.body["deleted"],
        true
    );
    assert_eq!(
        api.get(&format!("/tickets/{tid}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.delete(&format!("/ticket_types/{tt_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.put(
            &format!("/ticket_types/{tt_id}"),
            json!({ "archived": true })
        )
        .await
        .body["archived"],
        true
    );
}

/// The ticket type a ticket answer carries is rendered once and kept (`render_cache`): every
/// change to the type, to one of its attributes or to the ticket states must show in the next
/// answer.
#[tokio::test]
async fn a_ticket_answer_shows_every_change_to_its_ticket_type() {
    let (_h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "tt@example.com").await;
    let tt_id = api
        .post(
            "/ticket_types",
            json!({ "name": "Glassix ticket", "category": "Customer" }),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let attrs = |b: &Value| {
        b["ticket_type"]["ticket_type_attributes"]["ticket_type_attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_string(),
                    a["description"].as_str().unwrap().to_string(),
                    a["archived"].as_bool().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    let r = api
        .post(
            "/tickets",
            json!({ "ticket_type_id": tt_id, "contacts": [{ "id": c }] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let tid = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(attrs(&r.body).len(), 2, "{}", r.text);
    // Read twice: the second answer comes from the cache and is the same.
    let first = api.get(&format!("/tickets/{tid}")).await;
    let again = api.get(&format!("/tickets/{tid}")).await;
    assert_eq!(first.body, again.body);
    // A new attribute.
    let a = api
        .post(
            &format!("/ticket_types/{tt_id}/attributes"),
            json!({ "name": "Channel", "description": "where", "data_type": "string" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let attr_id = a.body["id"].as_str().unwrap().to_string();
    let r = api.get(&format!("/tickets/{tid}")).await;
    assert_eq!(attrs(&r.body).len(), 3);
    assert!(attrs(&r.body).contains(&("Channel".into(), "where".into(), false)));
    // The attribute changed, then archived: seen by an update's answer and by a read.
    let u = api
        .put(
            &format!("/ticket_types/{tt_id}/attributes/{attr_id}"),
            json!({ "description": "the channel" }),
        )
        .await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.text);
    let r = api
        .put(&format!("/tickets/{tid}"), json!({ "open": true }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(attrs(&r.body).contains(&("Channel".into(), "the channel".into(), false)));
    let u = api
        .put(
            &format!("/ticket_types/{tt_id}/attributes/{attr_id}"),
            json!({ "archived": true }),
        )
        .await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.text);
    let r = api.get(&format!("/tickets/{tid}")).await;
    assert!(attrs(&r.body).contains(&("Channel".into(), "the channel".into(), true)));
    // The type itself renamed.
    let u = api
        .put(
            &format!("/ticket_types/{tt_id}"),
            json!({ "name": "Renamed" }),
        )
        .await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.text);
    let r = api.get(&format!("/tickets/{tid}")).await;
    assert_eq!(r.body["ticket_type"]["name"], "Renamed");
    assert_eq!(
        r.body["ticket_type"],
        api.get(&format!("/ticket_types/{tt_id}")).await.body
    );
    // A search hit carries the same type.
    let s = api
        .post(
            "/tickets/search",
            json!({ "query": { "field": "id", "operator": "=", "value": tid } }),
        )
        .await;
    assert_eq!(
        s.body["tickets"][0]["ticket_type"], r.body["ticket_type"],
        "{}",
        s.text
    );
}

#[tokio::test]
async fn help_center_collections_and_articles() {
    let (h, api) = start(IntercomConfig::default()).await;
    let top = api
        .post("/help_center/collections", json!({ "name": "Billing" }))
        .await;
    assert_eq!(top.body["help_center_id"], 81);
    let top_id = top.body["id"].as_str().unwrap().to_string();
    let child = api
        .post(
            "/help_center/collections",
            json!({ "name": "Refunds", "parent_id": top_id }),
        )
        .await;
    assert_eq!(child.body["parent_id"], top_id.as_str());
    assert_eq!(
        api.post(
            "/help_center/collections",
            json!({ "name": "x", "parent_id": "999" })
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        api.post("/articles", json!({ "title": "No author" }))
            .await
            .error_code(),
        "parameter_not_found"
    );
    assert_eq!(
        api.post(
            "/articles",
            json!({ "title": "Bad author", "author_id": 1 })
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    for i in 0..3 {
        let r = api.post("/articles", json!({ "title": format!("A{i}"), "author_id": 991267400, "body": "<p>x</p>", "state": "published", "parent_id": top_id.parse::<i64>().unwrap(), "parent_type": "collection" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let p1 = api.get("/articles?page=1&per_page=2").await;
    assert_eq!(p1.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(p1.body["pages"]["total_pages"], 2);
    let p2 = api.get("/articles?page=2&per_page=2").await;
    assert_eq!(p2.body["data"].as_array().unwrap().len(), 1);
    let id = p2.body["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.delete(&format!("/articles/{id}")).await.body["object"],
        "article"
    );
    assert_eq!(
        api.delete(&format!("/help_center/collections/{top_id}"))
            .await
            .body["deleted"],
        true
    );
    let s = h.state();
    assert_eq!(s.articles.len(), 2);
    assert!(
        s.articles.values().all(|a| a.parent_id.is_none()),
        "orphaned, not deleted"
    );
    assert_eq!(
        api.get("/help_center/collections").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn state_dump_contains_everything() {
    let (h, api) = start(IntercomConfig::default()).await;
    let c = contact(&api, "dump@example.com").await;
    let conv = conversation(&api, &c, 1_600_000_000).await;
    api.post(
        &format!("/conversations/{conv}/reply"),
        json!({ "message_type": "note", "type": "admin", "admin_id": ADMIN, "body": "n" }),
    )
    .await;
    api.post("/tags", json!({ "name": "T" })).await;
    let plain = Api::new(&h.url, None);
    let s = plain.get("/__sandbox/state").await;
    assert_eq!(s.status, StatusCode::OK, "no auth needed for inspection");
    assert_eq!(s.body["contacts"][0]["email"], "dump@example.com");
    assert_eq!(
        s.body["conversations"][0]["parts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(s.body["tags"][0]["name"], "T");
    for key in [
        "tickets",
        "articles",
        "collections",
        "data_attributes",
        "conversation_attributes",
        "deleted",
        "admins",
        "teams",
        "stats",
    ] {
        assert!(!s.body[key].is_null(), "{key}");
    }
    let stats = plain.get("/__sandbox/stats").await;
    assert_eq!(stats.body["by_endpoint"]["POST /contacts"]["200"], 1);
    assert_eq!(h.state_json()["contacts"][0]["id"], c.as_str());
}

#[tokio::test]
async fn a_huge_page_number_is_an_empty_page_not_a_panic() {
    let (_h, api) = start(IntercomConfig::default()).await;
    let r = api
        .post("/help_center/collections", json!({ "name": "Billing" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = api
        .get("/help_center/collections?page=1e300&per_page=150")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"], json!([]));
    // A forged cursor at the end of the offset range.
    use base64::Engine;
    let cursor =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("offset:{}", usize::MAX));
    let r = api
        .get(&format!("/contacts?per_page=1&starting_after={cursor}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"], json!([]));
    // The server is still healthy afterwards (no poisoned state lock).
    let r = api.get("/help_center/collections").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn conversation_search_by_contact_finds_exactly_that_contacts_conversations() {
    let (_h, api) = start(IntercomConfig::default()).await;
    let a = contact(&api, "a@example.com").await;
    let b = contact(&api, "b@example.com").await;
    let a1 = conversation(&api, &a, 1_600_000_000).await;
    let b1 = conversation(&api, &b, 1_600_000_001).await;
    let a2 = conversation(&api, &a, 1_600_000_002).await;
    let ids = |r: &common::Reply| {
        let mut v: Vec<String> = r.body["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let search = |v: Value| {
        api.post(
            "/conversations/search",
            json!({ "query": { "field": "contact_ids", "operator": "=", "value": v } }),
        )
    };
    let r = search(json!(a)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut want = vec![a1.clone(), a2.clone()];
    want.sort();
    assert_eq!(ids(&r), want);
    assert_eq!(r.body["total_count"], 2);
    // Equality is case-insensitive, as for every other text field.
    assert_eq!(
        ids(&search(json!(b.to_uppercase())).await),
        vec![b1.clone()]
    );
    // The same condition inside a group goes through the general matcher and agrees.
    let r = api.post("/conversations/search", json!({ "query": { "operator": "AND", "value": [{ "field": "contact_ids", "operator": "=", "value": a }] } })).await;
    assert_eq!(ids(&r), want);
    assert_eq!(
        search(json!("6762f0dd0000000000009999")).await.body["total_count"],
        0
    );
}
