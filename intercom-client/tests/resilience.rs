//! Pacing, 429, 5xx, lost responses and the concurrency limit, on paused time.
//!
//! What these tests rely on (verified by `paused_time_and_real_sockets_work_together`): with
//! `start_paused = true`, tokio advances its clock only when every task is idle, so waits made by
//! the client (pacing, backoff, 429) take no real time and are measured exactly in virtual time,
//! while wiremock runs on its own thread and real clock. A client timeout would fire at once
//! whenever the runtime idles waiting for the socket, so the client here has no request timeout
//! except in the test that wants one to fire. For the same reason the connection pool's idle
//! timer is disabled (`Timeouts::pool_idle = None`): found the hard way, its 90 s timer made the
//! virtual clock jump by 90 s while a reused connection waited for wiremock's answer. The hand-written server below runs inside the test
//! runtime, so it sees the same virtual clock as the client (needed to compute `Reset` headers).
//! Every test uses its own (non-pooled) wiremock server: a request the client gave up on (the
//! spurious timeouts above) can still reach a pooled server after its test ended and land in the
//! next test that reuses it, which made two tests flaky before.

// Test helpers outside #[test] functions may unwrap and panic too (clippy.toml only covers the
// test functions themselves): a failing assertion is the point of a test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use futures::future::join_all;
use intercom_client::models::{ContactType, CreateContact, CreateConversation, Role};
use intercom_client::{Client, Error, PacingConfig, RetryPolicy, Timeouts};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORIGIN: i64 = 1_700_000_000;

fn builder(base: &str) -> intercom_client::ClientBuilder {
    Client::builder()
        .access_token("test-token".to_owned())
        .base_url(base)
        .clock_origin_unix(ORIGIN as f64)
        .jitter_seed(7)
        .timeouts(Timeouts {
            request: None,
            connect: None,
            pool_idle: None,
        })
}

fn rl(limit: u32, remaining: u32, reset: i64) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("X-RateLimit-Limit", limit.to_string().as_str())
        .insert_header("X-RateLimit-Remaining", remaining.to_string().as_str())
        .insert_header("X-RateLimit-Reset", reset.to_string().as_str())
        .set_body_json(json!({"type": "admin", "id": "1"}))
}

fn too_many(reset: Option<i64>) -> ResponseTemplate {
    let mut t = ResponseTemplate::new(429).set_body_json(json!({
        "type": "error.list", "request_id": "rl-1",
        "errors": [{"code": "rate_limit_exceeded", "message": "Exceeded rate limit of 50 in 1_seconds"}]
    }));
    if let Some(r) = reset {
        t = t
            .insert_header("X-RateLimit-Limit", "50")
            .insert_header("X-RateLimit-Remaining", "0")
            .insert_header("X-RateLimit-Reset", r.to_string().as_str());
    }
    t
}

#[tokio::test(start_paused = true)]
async fn paused_time_and_real_sockets_work_together() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/me"))
        .respond_with(rl(50, 49, ORIGIN + 1))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    c.admins().me().await.unwrap();
    // Nothing waited: the virtual clock did not move (no timers were pending).
    assert_eq!(start.elapsed(), Duration::ZERO);

    // With a request timeout, the timer is pending while the socket is awaited. Idle waiting on
    // IO lets tokio jump to that timer, so it may fire although the server answers at once.
    let with_timeout = builder(&server.uri())
        .timeouts(Timeouts {
            request: Some(Duration::from_secs(30)),
            connect: None,
            pool_idle: None,
        })
        .build()
        .unwrap();
    let r = with_timeout.admins().me().await;
    eprintln!(
        "paused time + 30 s timeout against wiremock: ok={} (either is possible)",
        r.is_ok()
    );
}

#[tokio::test(start_paused = true)]
async fn headers_are_read_and_exposed() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/me"))
        .respond_with(rl(50, 42, ORIGIN + 1))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    assert_eq!(c.rate_limit().limit, None, "nothing seen yet");
    c.admins().me().await.unwrap();
    let s = c.rate_limit();
    assert_eq!(s.limit, Some(50));
    assert_eq!(s.remaining, Some(42));
    assert_eq!(s.reset, Some(ORIGIN + 1));
    assert_eq!(s.requests_sent, 1);
    assert_eq!(s.throttled, 0);
}

#[tokio::test(start_paused = true)]
async fn exhausted_window_delays_the_next_request_until_reset() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/me"))
        .respond_with(rl(50, 0, ORIGIN + 5))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    c.admins().me().await.unwrap();
    assert_eq!(start.elapsed(), Duration::ZERO);
    c.admins().me().await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_millis(5200),
        "{waited:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_429_waits_for_reset_and_retries_even_a_create() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/conversations"))
        .respond_with(too_many(Some(ORIGIN + 3)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/conversations"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"type": "user_message", "id": "9", "conversation_id": "123"}),
            ),
        )
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    let m = c
        .conversations()
        .create(&CreateConversation::new(
            ContactType::User,
            "6762f0dd1bb69f9f2193bb83",
            "hi",
        ))
        .await
        .unwrap();
    assert_eq!(m.conversation_id, "123");
    let waited = start.elapsed();
    // Until Reset (3 s) plus at most 100 ms of jitter.
    assert!(
        waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3200),
        "{waited:?}"
    );
    let s = c.rate_limit();
    assert_eq!((s.requests_sent, s.throttled), (2, 1));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_429_without_headers_backs_off_briefly_and_the_wait_grows() {
    // The fault profile's stall: a 429 that does not say the window is spent used to wait a
    // whole window (~10 s) each time. Now 250 ms, 500 ms, 1 s, … (plus ≤ 100 ms jitter each).
    let server = MockServer::builder().start().await;
    let calls = mount_seq(
        &server,
        "GET",
        "/me",
        vec![
            too_many(None),
            too_many(None),
            too_many(None),
            rl(50, 40, ORIGIN + 1),
        ],
    )
    .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    c.admins().me().await.unwrap();
    let waited = start.elapsed();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(
        waited >= Duration::from_millis(1_750) && waited <= Duration::from_millis(2_100),
        "{waited:?}"
    );
    assert_eq!(c.rate_limit().throttled, 3);
    // The client counts what it waited (the run summary and `plan` report it).
    let r = c.retry_stats();
    assert_eq!(r.retries, 3);
    assert!(
        r.waited >= Duration::from_millis(1_750) && r.waited <= waited,
        "{r:?} against {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_whose_window_still_has_room_does_not_wait_for_the_reset() {
    // Another limit (the workspace's, a burst limit) refused it: the app's headers show room.
    let server = MockServer::builder().start().await;
    let refused_with_room = ResponseTemplate::new(429)
        .insert_header("X-RateLimit-Limit", "50")
        .insert_header("X-RateLimit-Remaining", "30")
        .insert_header("X-RateLimit-Reset", (ORIGIN + 9).to_string().as_str())
        .set_body_json(json!({"type": "error.list", "errors": [{"code": "rate_limit_exceeded"}]}));
    let calls = mount_seq(
        &server,
        "GET",
        "/me",
        vec![refused_with_room, rl(50, 29, ORIGIN + 9)],
    )
    .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    c.admins().me().await.unwrap();
    let waited = start.elapsed();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(
        waited >= Duration::from_millis(250) && waited <= Duration::from_millis(400),
        "not the 9 s to the reset: {waited:?}"
    );
    // A second call is not held back: the window's budget was kept.
    let again = Instant::now();
    c.admins().me().await.unwrap();
    // (paced: the 29 left are spread over the 9 s to the reset, ~0.3 s apart)
    assert!(
        again.elapsed() < Duration::from_secs(1),
        "{:?}",
        again.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn persistent_429_gives_up_with_rate_limited() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/me"))
        .respond_with(too_many(Some(ORIGIN + 1)))
        .mount(&server)
        .await;
    let policy = RetryPolicy {
        max_rate_limit_retries: 2,
        ..RetryPolicy::default()
    };
    let c = builder(&server.uri()).retry_policy(policy).build().unwrap();
    let err = c.admins().me().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.request_id(), Some("rl-1"));
    assert_eq!(c.rate_limit().throttled, 3);
}

#[tokio::test(start_paused = true)]
async fn server_errors_on_a_read_are_retried_with_backoff() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/teams"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/teams")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"type": "team.list", "teams": [{"id": 5, "name": "Support", "admin_ids": [1, "2"]}]}))).mount(&server).await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    let teams = c.admins().list_teams().await.unwrap();
    assert_eq!(teams[0].id, "5");
    assert_eq!(teams[0].admin_ids, vec!["1", "2"]);
    // Backoff 0.5 s then 1 s, each plus at most 100 ms jitter.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(1500) && waited <= Duration::from_millis(1700),
        "{waited:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn server_errors_exhaust_retries_into_an_api_error() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/tags")).respond_with(ResponseTemplate::new(500).set_body_json(json!({"type": "error.list", "request_id": "r-5", "errors": [{"code": "server_error", "message": "boom"}]}))).mount(&server).await;
    let c = builder(&server.uri()).build().unwrap();
    let err = c.tags().list().await.unwrap_err();
    match &err {
        Error::Api {
            status,
            request_id,
            errors,
            ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(request_id.as_deref(), Some("r-5"));
            assert_eq!(errors[0].code, intercom_client::ErrorCode::ServerError);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    let seen: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {:?}", r.method, r.url, r.headers.get("x-attempt")))
        .collect();
    assert_eq!(
        seen.len(),
        1 + RetryPolicy::default().max_retries as usize,
        "{seen:#?} status {:?}",
        c.rate_limit()
    );
}

#[tokio::test(start_paused = true)]
async fn a_5xx_on_a_create_is_outcome_unknown_and_not_resent() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/contacts"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let err = c
        .contacts()
        .create(&CreateContact {
            role: Some(Role::User),
            external_id: Some("g-1".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("look it up"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// A server that reads one request and then drops the connection without answering.
async fn drop_after_request(hold: bool) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicU32::new(0));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let seen = seen2.clone();
            tokio::spawn(async move {
                let _ = read_request(&mut sock).await;
                seen.fetch_add(1, Ordering::SeqCst);
                if hold {
                    // Never answer; keep the socket open until the client gives up.
                    let mut buf = [0u8; 64];
                    let _ = sock.read(&mut buf).await;
                }
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// Reads one HTTP/1.1 request (head and Content-Length body); returns (request line, body).
async fn read_request(sock: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok((String::new(), Vec::new()));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..pos]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            let mut body = buf[pos + 4..].to_vec();
            while body.len() < len {
                let n = sock.read(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
            let line = head.lines().next().unwrap_or_default().to_owned();
            return Ok((line, body));
        }
    }
}

#[tokio::test]
async fn a_create_whose_response_is_lost_is_outcome_unknown() {
    let (base, seen) = drop_after_request(false).await;
    let c = builder(&base).build().unwrap();
    let err = c
        .conversations()
        .create(&CreateConversation::new(
            ContactType::User,
            "6762f0dd1bb69f9f2193bb83",
            "hi",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { status: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        seen.load(Ordering::SeqCst),
        1,
        "the create was sent once and never again"
    );
}

#[tokio::test]
async fn a_read_whose_response_is_lost_is_retried() {
    let (base, seen) = drop_after_request(false).await;
    let policy = RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(1),
        max_jitter: Duration::ZERO,
        ..RetryPolicy::default()
    };
    let c = builder(&base).retry_policy(policy).build().unwrap();
    let err = c.admins().me().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(seen.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_create_that_times_out_is_outcome_unknown() {
    let (base, seen) = drop_after_request(true).await;
    let c = builder(&base)
        .timeouts(Timeouts {
            request: Some(Duration::from_secs(30)),
            connect: None,
            pool_idle: None,
        })
        .build()
        .unwrap();
    let err = c
        .contacts()
        .create(&CreateContact {
            email: Some("a@b.c".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    match &err {
        Error::OutcomeUnknown {
            reason,
            status: None,
            ..
        } => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refused_connection_is_retried_even_for_a_create() {
    // Nothing was sent when the connection could not be made, so a create may be retried.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = builder(&format!("http://{addr}")).build().unwrap();
    let err = c
        .conversations()
        .create(&CreateConversation::new(
            ContactType::User,
            "6762f0dd1bb69f9f2193bb83",
            "hi",
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        c.rate_limit().requests_sent,
        1 + RetryPolicy::default().max_retries as u64
    );
}

/// A fixed-window Intercom lookalike on the test runtime's (virtual) clock: `limit` requests per
/// 1-second window aligned on Unix seconds, with the three headers, 429 beyond the limit, and
/// `latency` before each answer. Also records the most requests in flight at once.
struct WindowServer {
    base: String,
    ok: Arc<AtomicU64>,
    rejected: Arc<AtomicU64>,
    max_in_flight: Arc<AtomicU32>,
}

async fn window_server(limit: u32, latency: Duration) -> WindowServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let start = Instant::now();
    let counts = Arc::new(std::sync::Mutex::new(
        std::collections::HashMap::<i64, u32>::new(),
    ));
    let ok = Arc::new(AtomicU64::new(0));
    let rejected = Arc::new(AtomicU64::new(0));
    let in_flight = Arc::new(AtomicU32::new(0));
    let max_in_flight = Arc::new(AtomicU32::new(0));
    let (ok2, rej2, max2) = (ok.clone(), rejected.clone(), max_in_flight.clone());
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let (counts, ok, rejected, in_flight, max) = (
                counts.clone(),
                ok2.clone(),
                rej2.clone(),
                in_flight.clone(),
                max2.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let Ok((line, _)) = read_request(&mut sock).await else {
                        return;
                    };
                    if line.is_empty() {
                        return;
                    }
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(now, Ordering::SeqCst);
                    let unix = ORIGIN as f64 + start.elapsed().as_secs_f64();
                    let win = unix.floor() as i64;
                    let (status, remaining) = {
                        let mut c = counts.lock().unwrap();
                        let n = c.entry(win).or_insert(0);
                        if *n >= limit {
                            (429, 0)
                        } else {
                            *n += 1;
                            (200, limit - *n)
                        }
                    };
                    if status == 200 {
                        ok.fetch_add(1, Ordering::SeqCst);
                    } else {
                        rejected.fetch_add(1, Ordering::SeqCst);
                    }
                    tokio::time::sleep(latency).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let body = if status == 200 {
                        r#"{"type":"admin","id":"1"}"#.to_owned()
                    } else {
                        r#"{"type":"error.list","errors":[{"code":"rate_limit_exceeded"}]}"#
                            .to_owned()
                    };
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-RateLimit-Limit: {limit}\r\nX-RateLimit-Remaining: {remaining}\r\nX-RateLimit-Reset: {}\r\n\r\n{body}",
                        body.len(),
                        win + 1
                    );
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    WindowServer {
        base,
        ok,
        rejected,
        max_in_flight,
    }
}

#[tokio::test(start_paused = true)]
async fn a_long_run_spends_each_window_evenly_without_429() {
    // Sandbox-scale: 50 requests per 1-second window, 8 callers, 20 ms server latency, 10 s.
    let srv = window_server(50, Duration::from_millis(20)).await;
    let c = builder(&srv.base)
        .max_concurrency(8)
        .pacing(PacingConfig::default())
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let workers = (0..8).map(|_| {
        let c = c.clone();
        async move {
            let mut n = 0u32;
            while Instant::now() < deadline {
                c.admins().me().await.unwrap();
                n += 1;
            }
            n
        }
    });
    let done: u32 = join_all(workers).await.into_iter().sum();
    let ok = srv.ok.load(Ordering::SeqCst);
    let rejected = srv.rejected.load(Ordering::SeqCst);
    eprintln!(
        "paced run: {done} calls done, server counted {ok} ok and {rejected} 429 in 10 s of 50/s; status {:?}",
        c.rate_limit()
    );
    assert_eq!(rejected, 0, "no 429 expected");
    assert!(
        ok >= 10 * 50 * 90 / 100,
        "only {ok} requests in 10 windows of 50"
    );
    assert!(srv.max_in_flight.load(Ordering::SeqCst) <= 8);
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_limit_caps_requests_in_flight() {
    let srv = window_server(10_000, Duration::from_millis(100)).await;
    let c = builder(&srv.base).max_concurrency(3).build().unwrap();
    let calls = (0..12).map(|_| {
        let c = c.clone();
        async move { c.admins().me().await.unwrap() }
    });
    join_all(calls).await;
    assert_eq!(srv.max_in_flight.load(Ordering::SeqCst), 3);
    assert_eq!(srv.ok.load(Ordering::SeqCst), 12);
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_on_a_429() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/me"))
        // No X-RateLimit headers: without Retry-After this would be the ~10 s fallback.
        .respond_with(too_many(None).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/me"))
        .respond_with(rl(50, 40, ORIGIN + 31))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    c.admins().me().await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited <= Duration::from_millis(2200),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_back_other_callers_until_reset() {
    let server = MockServer::builder().start().await;
    Mock::given(path("/me"))
        .respond_with(too_many(Some(ORIGIN + 3)))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/me"))
        .respond_with(rl(50, 40, ORIGIN + 4))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).build().unwrap();
    let start = Instant::now();
    let first = tokio::spawn({
        let c = c.clone();
        async move { c.admins().me().await.unwrap() }
    });
    // Wait until the first caller has met the 429. Yield rather than sleep: a sleeping test
    // would let the paused clock run ahead while the socket is awaited.
    while c.rate_limit().throttled == 0 {
        tokio::task::yield_now().await;
    }
    let seen_at = start.elapsed();
    assert!(seen_at < Duration::from_secs(1), "{seen_at:?}");
    // A second caller arriving now is not sent into the exhausted window.
    c.admins().me().await.unwrap();
    let second_done = start.elapsed();
    assert!(second_done >= Duration::from_secs(3), "{second_done:?}");
    first.await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(c.rate_limit().throttled, 1);
}

/// Answers with `responses` in order, then repeats the last one; counts the requests.
struct Seq {
    responses: Vec<ResponseTemplate>,
    calls: Arc<AtomicU32>,
}

impl wiremock::Respond for Seq {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) as usize;
        self.responses[n.min(self.responses.len() - 1)].clone()
    }
}

async fn mount_seq(
    server: &MockServer,
    http_method: &str,
    at: &str,
    responses: Vec<ResponseTemplate>,
) -> Arc<AtomicU32> {
    let calls = Arc::new(AtomicU32::new(0));
    Mock::given(method(http_method))
        .and(path(at))
        .respond_with(Seq {
            responses,
            calls: calls.clone(),
        })
        .mount(server)
        .await;
    calls
}

#[tokio::test(start_paused = true)]
async fn five_429s_then_a_503_then_200_succeeds_without_using_the_5xx_budget() {
    let server = MockServer::builder().start().await;
    let mut answers: Vec<ResponseTemplate> = (0..5).map(|_| too_many(Some(ORIGIN + 1))).collect();
    answers.push(ResponseTemplate::new(503));
    answers.push(rl(50, 49, ORIGIN + 60));
    let calls = mount_seq(&server, "GET", "/me", answers).await;
    // One retry for server errors: the single 503 may use it; the 429s must not.
    let policy = RetryPolicy {
        max_retries: 1,
        ..RetryPolicy::default()
    };
    let c = builder(&server.uri()).retry_policy(policy).build().unwrap();
    let start = Instant::now();
    c.admins().me().await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    assert_eq!(c.rate_limit().throttled, 5);
    // Each 429 waits for the window's reset (here at least a tenth of the 10 s window), the
    // 503 the first backoff step (0.5 s), each plus at most 100 ms of jitter.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(5 * 1_000 + 500) && waited <= Duration::from_secs(8),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_that_keeps_answering_429_ends_at_the_time_budget() {
    let server = MockServer::builder().start().await;
    let calls = mount_seq(&server, "GET", "/me", vec![too_many(None)]).await;
    let budget = Duration::from_secs(60);
    let c = builder(&server.uri()).time_budget(budget).build().unwrap();
    let start = Instant::now();
    let err = c.admins().me().await.unwrap_err();
    let took = start.elapsed();
    // 429s without headers back off 0.25 s, 0.5 s, … up to 10 s each: the call stops before a
    // wait that would pass 60 s.
    assert!(
        took <= budget && took >= budget - Duration::from_millis(10_200),
        "{took:?}"
    );
    let Error::RateLimited {
        attempts,
        elapsed,
        request_id,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*elapsed, took);
    assert_eq!(calls.load(Ordering::SeqCst), *attempts);
    assert!(*attempts > RetryPolicy::default().max_retries + 1);
    assert_eq!(request_id.as_deref(), Some("rl-1"));
    assert!(err.is_retryable());
    let text = err.to_string();
    assert!(
        text.contains("time budget of 60 s") && text.contains("RetryPolicy::time_budget"),
        "the error names the bound and its setting: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_5xx_budget_is_unchanged_by_interleaved_429s() {
    let server = MockServer::builder().start().await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(too_many(Some(ORIGIN + 1)));
        answers.push(ResponseTemplate::new(503));
    }
    answers.push(rl(50, 49, ORIGIN + 60));
    let calls = mount_seq(&server, "GET", "/me", answers).await;
    let c = builder(&server.uri()).build().unwrap();
    let err = c.admins().me().await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err:?}");
    // 1 + max_retries (4) server errors end the call; the 429s between them did not count.
    assert_eq!(calls.load(Ordering::SeqCst), 10);
    assert_eq!(c.rate_limit().throttled, 5);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_create_is_retried_but_never_resent_after_a_5xx() {
    let server = MockServer::builder().start().await;
    let calls = mount_seq(
        &server,
        "POST",
        "/contacts",
        vec![
            too_many(Some(ORIGIN + 1)),
            too_many(Some(ORIGIN + 1)),
            ResponseTemplate::new(502),
            ResponseTemplate::new(200).set_body_json(json!({"type": "contact", "id": "c-1"})),
        ],
    )
    .await;
    let c = builder(&server.uri()).build().unwrap();
    let err = c
        .contacts()
        .create(&CreateContact {
            role: Some(Role::User),
            external_id: Some("g-1".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                status: Some(502),
                ..
            }
        ),
        "{err:?}"
    );
    // The two 429s were not processed, so the create was sent again; after the 502 its outcome
    // is unknown and it is not sent a fourth time.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_past_the_time_budget_fails_at_once() {
    let server = MockServer::builder().start().await;
    let calls = mount_seq(
        &server,
        "GET",
        "/me",
        vec![too_many(None).insert_header("Retry-After", "120")],
    )
    .await;
    let c = builder(&server.uri())
        .time_budget(Duration::from_secs(60))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = c.admins().me().await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "no useless wait");
    assert!(
        matches!(err, Error::RateLimited { attempts: 1, .. }),
        "{err:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
