//! Fault injection, each kind, driven over real HTTP and changed at runtime.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

mod common;

use common::Api;
use helpdesk_sandbox::{
    FakeGlassix, FakeIntercom, FaultConfig, GeneratorSizes, GlassixConfig, IntercomConfig,
    IntercomSeed, generate,
};
use reqwest::StatusCode;
use serde_json::json;

async fn intercom() -> (helpdesk_sandbox::FakeIntercomHandle, Api) {
    let h = FakeIntercom::start(IntercomSeed::default(), IntercomConfig::default())
        .await
        .unwrap();
    let api = Api::new(&h.url, Some(h.token()));
    (h, api)
}

async fn set_faults(api: &Api, faults: serde_json::Value) {
    let plain = Api::new(&api.base, None);
    let r = plain.post("/__sandbox/faults", faults).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn statuses(api: &Api, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(api.get("/admins").await.status.as_u16());
    }
    out
}

#[tokio::test]
async fn bursts_of_429_in_intercom_shape() {
    let (_h, api) = intercom().await;
    set_faults(&api, json!({ "burst_429_every": 3, "burst_429_len": 2 })).await;
    assert_eq!(
        statuses(&api, 8).await,
        vec![200, 200, 429, 429, 200, 429, 429, 200]
    );
    set_faults(&api, json!({ "burst_429_every": 1, "burst_429_len": 1 })).await;
    let r = api.get("/admins").await;
    assert_eq!(r.error_code(), "rate_limit_exceeded");
    assert!(r.header("x-ratelimit-reset").is_some());
    // An injected burst is not the app's window: its headers show the room the app still has.
    assert_ne!(r.header("x-ratelimit-remaining").unwrap(), "0");
    set_faults(&api, json!({})).await;
    assert_eq!(
        statuses(&api, 3).await,
        vec![200, 200, 200],
        "faults can be switched off at runtime"
    );
}

#[tokio::test]
async fn server_errors_every_nth_and_seeded() {
    let (_h, api) = intercom().await;
    set_faults(&api, json!({ "error_5xx_every": 2 })).await;
    assert_eq!(statuses(&api, 4).await, vec![200, 500, 200, 500]);
    let r = api.get("/me").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api.get("/me").await;
    assert_eq!(r.error_code(), "server_error");
    set_faults(&api, json!({ "error_5xx_rate": 0.4, "seed": 99 })).await;
    let first = statuses(&api, 40).await;
    set_faults(&api, json!({ "error_5xx_rate": 0.4, "seed": 99 })).await;
    let second = statuses(&api, 40).await;
    assert_eq!(first, second, "same seed, same faults");
    assert!(first.contains(&500) && first.contains(&200));
}

#[tokio::test]
async fn added_latency() {
    let (h, api) = intercom().await;
    h.set_faults(FaultConfig {
        latency_ms: 120,
        ..FaultConfig::default()
    });
    let started = std::time::Instant::now();
    assert_eq!(api.get("/admins").await.status, StatusCode::OK);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(120),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn dropped_connection_does_not_apply_the_write() {
    let (h, api) = intercom().await;
    h.set_faults(FaultConfig {
        drop_every: 1,
        ..FaultConfig::default()
    });
    let err = api
        .http
        .post(format!("{}/contacts", h.url))
        .bearer_auth(h.token())
        .json(&json!({ "email": "drop@example.com" }))
        .send()
        .await;
    assert!(
        err.is_err(),
        "the connection is closed without a response: {err:?}"
    );
    h.set_faults(FaultConfig::default());
    assert!(
        h.state().contacts.is_empty(),
        "a dropped request is not processed"
    );
    assert_eq!(h.stats().by_status.get("dropped"), Some(&1));
}

#[tokio::test]
async fn lost_response_after_the_write_committed() {
    let (h, api) = intercom().await;
    h.set_faults(FaultConfig {
        lose_response_every_write: 2,
        ..FaultConfig::default()
    });
    let ok = api
        .post("/contacts", json!({ "email": "one@example.com" }))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let lost = api
        .http
        .post(format!("{}/contacts", h.url))
        .bearer_auth(h.token())
        .json(&json!({ "email": "two@example.com" }))
        .send()
        .await;
    assert!(lost.is_err(), "no response for the second write: {lost:?}");
    // Reads are never lost; the write was applied.
    let found = api
        .post(
            "/contacts/search",
            json!({ "query": { "field": "email", "operator": "=", "value": "two@example.com" } }),
        )
        .await;
    assert_eq!(found.body["total_count"], 1);
    // Retrying blindly duplicates nothing here: Intercom answers 409 with the id.
    let retry = api
        .post("/contacts", json!({ "email": "two@example.com" }))
        .await;
    assert_eq!(retry.status, StatusCode::CONFLICT);
    assert_eq!(h.state().contacts.len(), 2);
    assert_eq!(h.stats().by_status.get("lost"), Some(&1));
}

#[tokio::test]
async fn glassix_faults() {
    let snapshot = generate(5, &GeneratorSizes::with_tickets(20));
    let h = FakeGlassix::start(snapshot, GlassixConfig::default())
        .await
        .unwrap();
    let c = &h.credentials()[0];
    let anon = Api::new(&h.base_url, None);
    let body = json!({ "apiKey": c.api_key, "apiSecret": c.api_secret, "userName": c.user_name });
    set_faults(
        &Api::new(&h.server_url, None),
        json!({ "burst_429_every": 1, "burst_429_len": 1 }),
    )
    .await;
    let r = anon.post("/token/get", body.clone()).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text.is_empty());
    h.set_faults(FaultConfig {
        error_5xx_every: 1,
        ..FaultConfig::default()
    });
    assert_eq!(
        anon.post("/token/get", body.clone()).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    h.set_faults(FaultConfig {
        drop_every: 1,
        ..FaultConfig::default()
    });
    assert!(
        anon.http
            .post(format!("{}/token/get", h.base_url))
            .json(&body)
            .send()
            .await
            .is_err()
    );
    h.set_faults(FaultConfig::default());
    assert_eq!(anon.post("/token/get", body).await.status, StatusCode::OK);
    let stats = h.stats();
    assert_eq!(stats.by_endpoint["POST /api/v1.2/token/get"]["429"], 1);
    assert_eq!(stats.by_endpoint["POST /api/v1.2/token/get"]["dropped"], 1);
}
