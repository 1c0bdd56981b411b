//! Tokens: caching, single-flight, refresh before expiry, refresh on 401, the token limiter,
//! refused credentials, and secrets kept out of Debug and errors.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use glassix_client::{Client, Error};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_users(server: &MockServer, token: &str) {
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .and(header("authorization", format!("Bearer {token}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

#[tokio::test]
async fn token_request_body_and_bearer_reuse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .and(body_json(json!({
            "apiKey": DEPT,
            "apiSecret": "synthetic-secret-not-real-0000",
            "userName": "migration-api@example.com"
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("t1")))
        .expect(1)
        .mount(&server)
        .await;
    mount_users(&server, "t1").await;
    let client = client(&server);
    for _ in 0..3 {
        client.users(dept()).await.unwrap();
    }
    assert_eq!(client.stats().tokens_issued, 1);
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("t1"))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_users(&server, "t1").await;
    let client = client(&server);
    let calls = (0..25).map(|_| {
        let c = client.clone();
        async move { c.users(dept()).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(client.stats().tokens_issued, 1);
    server.verify().await;
}

#[tokio::test(start_paused = true)]
async fn token_is_refreshed_five_minutes_before_expiry() {
    let server = MockServer::start().await;
    let (seq, token_calls) = Sequence::new(vec![
        ResponseTemplate::new(200).set_body_json(token_body("t1")),
        ResponseTemplate::new(200).set_body_json(token_body("t2")),
    ]);
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(seq)
        .mount(&server)
        .await;
    mount_users(&server, "t1").await;
    mount_users(&server, "t2").await;
    let client = client(&server);
    client.users(dept()).await.unwrap();
    tokio::time::advance(Duration::from_secs(10_800 - 300 - 1)).await;
    client.users(dept()).await.unwrap();
    assert_eq!(
        token_calls.load(Ordering::SeqCst),
        1,
        "still valid 301 s before expiry"
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    client.users(dept()).await.unwrap();
    assert_eq!(
        token_calls.load(Ordering::SeqCst),
        2,
        "refreshed 299 s before expiry"
    );
    let requests = server.received_requests().await.unwrap();
    let last = requests.last().unwrap();
    assert_eq!(last.headers.get("authorization").unwrap(), "Bearer t2");
}

#[tokio::test]
async fn a_401_refreshes_the_token_once_then_succeeds() {
    let server = MockServer::start().await;
    let (seq, token_calls) = Sequence::new(vec![
        ResponseTemplate::new(200).set_body_json(token_body("t1")),
        ResponseTemplate::new(200).set_body_json(token_body("t2")),
    ]);
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(seq)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .and(header("authorization", "Bearer t1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"Message": "Authorization has been denied for this request."}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_users(&server, "t2").await;
    let client = client(&server);
    client.users(dept()).await.unwrap();
    assert_eq!(token_calls.load(Ordering::SeqCst), 2);
    // The new token is kept.
    client.users(dept()).await.unwrap();
    assert_eq!(token_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_persistent_401_fails_after_one_refresh() {
    let server = MockServer::start().await;
    let (seq, token_calls) = Sequence::new(vec![
        ResponseTemplate::new(200).set_body_json(token_body("t1")),
        ResponseTemplate::new(200).set_body_json(token_body("t2")),
    ]);
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(seq)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({"Message": "Authorization has been denied for this request."}),
            ),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.users(dept()).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidCredentials { status: 401, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(token_calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn refused_credentials_fail_fast_and_say_where_the_key_is() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"Message": "Invalid API key, secret or user name."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.users(dept()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidCredentials { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(err.endpoint(), Some("POST /token/get"));
    assert_eq!(err.department(), Some(dept()));
    let msg = err.to_string();
    assert!(
        msg.contains("Invalid API key, secret or user name."),
        "{msg}"
    );
    assert!(msg.contains("Settings → Developers → API keys"), "{msg}");
    assert!(!msg.contains("synthetic-secret"), "{msg}");
    // Remembered: the next call fails without asking again (the mock expects one request).
    let again = client.tags(dept()).await.unwrap_err();
    assert!(
        matches!(again, Error::InvalidCredentials { .. }),
        "{again:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn token_requests_are_limited_per_workspace() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_users(&server, "t1").await;
    let client = Client::builder()
        .base_url(format!("{}{API}", server.uri()))
        .department(creds_for(DEPT))
        .department(creds_for(DEPT2))
        .department(creds_for("0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f"))
        .token_requests_per_minute(2)
        .no_timeout()
        .http_client(quiet_http())
        .build()
        .unwrap();
    let start = Instant::now();
    let mut done_at = Vec::new();
    for d in client.departments() {
        d.users().await.unwrap();
        done_at.push(start.elapsed());
    }
    assert_eq!(done_at[0], Duration::ZERO);
    assert_eq!(done_at[1], Duration::ZERO);
    // The third department's token waits for the minute window (plus the 250 ms slack).
    assert_eq!(done_at[2], Duration::from_millis(60_250));
    let stats = client.stats();
    assert_eq!(stats.tokens_issued, 3);
    assert_eq!(stats.token.requests, 3);
    assert_eq!(stats.token.per_minute, 2);
}

#[tokio::test(start_paused = true)]
async fn the_default_token_limit_is_thirty_a_minute() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let mut builder = Client::builder()
        .base_url(format!("{}{API}", server.uri()))
        .no_timeout()
        .http_client(quiet_http());
    for i in 0..31u32 {
        builder = builder.department(creds_for(&format!("00000000-0000-4000-8000-{i:012}")));
    }
    let client = builder.build().unwrap();
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let start = Instant::now();
    for d in client.departments() {
        d.users().await.unwrap();
    }
    assert_eq!(start.elapsed(), Duration::from_millis(60_250));
    assert_eq!(client.stats().token.per_minute, 30);
}

#[tokio::test(start_paused = true)]
async fn a_429_on_the_token_endpoint_is_retried() {
    let server = MockServer::start().await;
    let (seq, calls) = Sequence::new(vec![
        ResponseTemplate::new(429).insert_header("Retry-After", "20"),
        ResponseTemplate::new(200).set_body_json(token_body("t1")),
    ]);
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(seq)
        .mount(&server)
        .await;
    mount_users(&server, "t1").await;
    let client = client(&server);
    let start = Instant::now();
    client.users(dept()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(20));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(client.stats().token.rate_limited, 1);
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output() {
    let server = MockServer::start().await;
    mount_token(&server, "eyJ-very-secret-token").await;
    mount_users(&server, "eyJ-very-secret-token").await;
    let creds = creds();
    let client = client(&server);
    client.users(dept()).await.unwrap();
    let printed = format!(
        "{creds:?} {client:?} {:?} {:?}",
        client.department(dept()).unwrap(),
        client.stats()
    );
    assert!(
        !printed.contains("synthetic-secret-not-real-0000"),
        "{printed}"
    );
    assert!(!printed.contains("eyJ-very-secret-token"), "{printed}");
    assert!(printed.contains("REDACTED"), "{printed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn single_flight_holds_on_a_multi_threaded_runtime() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_body("t1"))
                .set_delay(Duration::from_millis(100)),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_users(&server, "t1").await;
    let client = client(&server);
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let c = client.clone();
            tokio::spawn(async move { c.users(dept()).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(client.stats().tokens_issued, 1);
    server.verify().await;
}
