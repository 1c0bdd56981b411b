//! Pacing before sending, 429 handling (with and without Retry-After), 5xx and transport
//! retries, all on tokio's paused clock.
//!
//! wiremock serves from its own thread and runtime over real sockets. The tests run on a
//! current-thread runtime with a paused clock: tokio only auto-advances time when the runtime is
//! idle *and* a timer is pending. The client under test is built without request timeouts and
//! with a reqwest pool that has no idle reaper, so while a request waits for the socket there is
//! no timer to jump to and the clock stands still; it only moves across the client's own sleeps.
//! `the_paused_clock_stands_still_during_real_io` checks exactly that.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use glassix_client::{Error, Quota, RetryPolicy};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn mount_users_seq(
    server: &MockServer,
    responses: Vec<ResponseTemplate>,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    let (seq, calls) = Sequence::new(responses);
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(seq)
        .mount(server)
        .await;
    calls
}

fn ok_users() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([]))
}

fn retry(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        ..RetryPolicy::default()
    }
}

#[tokio::test(start_paused = true)]
async fn the_paused_clock_stands_still_during_real_io() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(ok_users().set_delay(Duration::from_millis(50)))
        .mount(&server)
        .await;
    let client = client(&server);
    let start = Instant::now();
    let wall = std::time::Instant::now();
    for _ in 0..3 {
        client.users(dept()).await.unwrap();
    }
    assert!(
        wall.elapsed() >= Duration::from_millis(150),
        "the server really waited"
    );
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "but tokio's paused clock did not move"
    );
}

#[tokio::test(start_paused = true)]
async fn requests_are_paced_under_the_quota_before_sending() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(&server, vec![ok_users()]).await;
    let client = builder(&server).quota(Quota::new(2, 100)).build().unwrap();
    let start = Instant::now();
    let mut done_at = Vec::new();
    for _ in 0..5 {
        client.users(dept()).await.unwrap();
        done_at.push(start.elapsed().as_millis());
    }
    assert_eq!(done_at, vec![0, 0, 60_250, 60_250, 120_500]);
    assert_eq!(calls.load(Ordering::SeqCst), 5);
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!(pace.requests, 5);
    assert_eq!(pace.rate_limited, 0);
    // The 3rd and 5th calls each waited 60.25 s for the window; the 4th found its slot free.
    assert_eq!(pace.waited, Duration::from_millis(60_250 * 2));
}

#[tokio::test(start_paused = true)]
async fn tier_quotas_apply_by_default_and_per_hour() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_users_seq(&server, vec![ok_users()]).await;
    // Growth: 120 a minute, 3,000 an hour.
    let client = client(&server);
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!((pace.per_minute, pace.per_hour), (120, 3_000));
    // A small hour quota binds even though the minute quota would allow more.
    let client = builder(&server).quota(Quota::new(10, 12)).build().unwrap();
    let start = Instant::now();
    for _ in 0..13 {
        client.users(dept()).await.unwrap();
    }
    assert_eq!(start.elapsed(), Duration::from_millis(3_600_250));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_waits_exactly_that_long() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(
        &server,
        vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "7"),
            ok_users(),
        ],
    )
    .await;
    let client = client(&server);
    let start = Instant::now();
    client.users(dept()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!(pace.rate_limited, 1);
    assert_eq!(pace.retries, 1);
    assert_eq!(pace.slowdowns, 1);
    assert_eq!(pace.per_minute, 90, "the pace is lowered after a 429");
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_backs_off_with_jitter() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    // The agreed 429: empty body, no Retry-After.
    let calls = mount_users_seq(
        &server,
        vec![
            ResponseTemplate::new(429),
            ResponseTemplate::new(429),
            ok_users(),
        ],
    )
    .await;
    let client = client(&server);
    let start = Instant::now();
    client.users(dept()).await.unwrap();
    let waited = start.elapsed();
    // Retry 1 waits within [1.5 s, 3 s], retry 2 within [3 s, 6 s] (base 3 s, equal jitter).
    assert!(
        waited >= Duration::from_millis(4_500) && waited <= Duration::from_secs(9),
        "{waited:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!(pace.rate_limited, 2);
    assert_eq!(pace.slowdowns, 1, "one decrease per cooldown");
    assert!(pace.factor < 1.0);
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_back_the_other_requests_of_the_department() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_users_seq(
        &server,
        vec![
            ResponseTemplate::new(429).insert_header("Retry-After", "30"),
            ok_users(),
        ],
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/tenants/gettags")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let client = client(&server);
    let d = client.department(dept()).unwrap();
    let users = {
        let d = d.clone();
        async move { d.users().await.map(|_| Instant::now()) }
    };
    let tags = {
        let d = d.clone();
        async move {
            // Wait until the 429 has been seen, then make another call of the department.
            while d.stats().pace.rate_limited == 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let seen = Instant::now();
            let paused_for = d.stats().pace.paused_for;
            d.tags().await.unwrap();
            (seen, paused_for, Instant::now())
        }
    };
    let (users_done, (seen, paused_for, tags_done)) = tokio::join!(users, tags);
    let users_done = users_done.unwrap();
    assert!(paused_for > Duration::from_secs(29), "{paused_for:?}");
    assert!(
        tags_done - seen >= paused_for,
        "the other call waited for the pause"
    );
    assert!(users_done - seen <= paused_for);
}

#[tokio::test(start_paused = true)]
async fn the_pace_recovers_slowly_after_quiet_minutes() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_users_seq(&server, vec![ResponseTemplate::new(429), ok_users()]).await;
    let client = client(&server);
    client.users(dept()).await.unwrap();
    assert_eq!(client.stats().departments[0].pace.per_minute, 90);
    for expected in [92, 94] {
        tokio::time::advance(Duration::from_secs(61)).await;
        client.users(dept()).await.unwrap();
        assert_eq!(client.stats().departments[0].pace.per_minute, expected);
    }
}

/// Issue #13: a 429 no longer uses up one of the attempts kept for server and transport errors
/// (it used to: with 3 attempts the call below failed after 3 sends). A call that keeps being
/// throttled is bounded by its time budget instead, and the error says which bound ended it.
#[tokio::test(start_paused = true)]
async fn rate_limit_exhaustion_is_a_bounded_retryable_error() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(&server, vec![ResponseTemplate::new(429)]).await;
    let client = builder(&server)
        .retry_policy(retry(3))
        .time_budget(Duration::from_secs(120))
        .build()
        .unwrap();
    let err = client.users(dept()).await.unwrap_err();
    match &err {
        Error::RateLimited {
            attempts,
            retry_after,
            endpoint,
            elapsed,
            ..
        } => {
            assert!(*attempts > 3, "429s do not use up the 3 failure attempts");
            assert_eq!(*retry_after, None);
            assert_eq!(endpoint, "GET /users/allusers");
            assert!(*elapsed <= Duration::from_secs(120), "{elapsed:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(429));
    assert_eq!(
        calls.load(Ordering::SeqCst) as u32,
        match err {
            Error::RateLimited { attempts, .. } => attempts,
            _ => 0,
        }
    );
}

#[tokio::test(start_paused = true)]
async fn five_429s_then_a_503_then_200_succeeds_without_using_the_failure_budget() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let mut answers: Vec<ResponseTemplate> = (0..5).map(|_| ResponseTemplate::new(429)).collect();
    answers.push(ResponseTemplate::new(503));
    answers.push(ok_users());
    let calls = mount_users_seq(&server, answers).await;
    // Two attempts for failures: the one 503 may be retried once; the 429s do not count.
    let client = builder(&server).retry_policy(retry(2)).build().unwrap();
    let start = Instant::now();
    client.users(dept()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 7);
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!(pace.rate_limited, 5);
    assert_eq!(pace.retries, 6);
    // 429 waits: the steps of the 1st…5th 429 (3, 6, 12, 24, 48 s, each jittered into its upper
    // half); the 503 is the call's *first* failure, so it waits the first step (1.5–3 s), not
    // the sixth.
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(46_500 + 1_500) && waited <= Duration::from_secs(93 + 3),
        "{waited:?}"
    );
    // The client's tally of waits (the run summary and `plan` report it): every one counted.
    let r = client.stats().retries;
    assert_eq!(r.retries, 6);
    assert!(
        r.waited >= Duration::from_millis(46_500 + 1_500) && r.waited <= waited,
        "{r:?} against {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_request_that_keeps_answering_429_ends_at_the_time_budget() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(&server, vec![ResponseTemplate::new(429)]).await;
    let budget = Duration::from_secs(10 * 60);
    let client = builder(&server).time_budget(budget).build().unwrap();
    let start = Instant::now();
    let err = client.users(dept()).await.unwrap_err();
    let took = start.elapsed();
    // It stops before a wait that would pass the budget (a step is at most 60 s).
    assert!(
        took <= budget && took >= budget - Duration::from_secs(60),
        "{took:?}"
    );
    let Error::RateLimited {
        attempts, elapsed, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*elapsed, took);
    assert!(*attempts > 6, "more than the default failure attempts");
    assert_eq!(calls.load(Ordering::SeqCst) as u32, *attempts);
    let text = err.to_string();
    assert!(
        text.contains("time budget of 600 s") && text.contains("time_budget"),
        "the error names the bound and its setting: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_server_error_budget_is_unchanged_by_interleaved_429s() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(
        &server,
        vec![
            ResponseTemplate::new(429),
            ResponseTemplate::new(503),
            ResponseTemplate::new(429),
            ResponseTemplate::new(503),
            ResponseTemplate::new(429),
            ResponseTemplate::new(503),
            ok_users(),
        ],
    )
    .await;
    let client = builder(&server).retry_policy(retry(3)).build().unwrap();
    let err = client.users(dept()).await.unwrap_err();
    match &err {
        Error::Http {
            status, attempts, ..
        } => assert_eq!((*status, *attempts), (503, 6)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        6,
        "three 503s end it, not six sends"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_past_the_time_budget_fails_at_once() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(
        &server,
        vec![ResponseTemplate::new(429).insert_header("Retry-After", "100")],
    )
    .await;
    let client = builder(&server)
        .time_budget(Duration::from_secs(60))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.users(dept()).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO, "no useless wait");
    assert!(
        matches!(err, Error::RateLimited { attempts: 1, retry_after: Some(d), .. } if d == Duration::from_secs(100)),
        "{err:?}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(err.to_string().contains("time budget of 60 s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn server_error_backoff_stays_within_the_time_budget() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(&server, vec![ResponseTemplate::new(503)]).await;
    let client = builder(&server)
        .time_budget(Duration::from_secs(10))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.users(dept()).await.unwrap_err();
    assert!(
        start.elapsed() <= Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(err.status(), Some(503));
    // Backoffs of 1.5–3 s and 3–6 s fit in 10 s; the third (6–12 s) would not.
    let sent = calls.load(Ordering::SeqCst);
    assert!((2..=3).contains(&sent), "{sent}");
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_limit_fails_at_once() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(
        &server,
        vec![ResponseTemplate::new(429).insert_header("Retry-After", "3600")],
    )
    .await;
    let client = client(&server);
    let start = Instant::now();
    let err = client.users(dept()).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { attempts: 1, retry_after: Some(d), .. } if d == Duration::from_secs(3600)),
        "{err:?}"
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert!(err.to_string().contains("3600 s"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried_then_succeed() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    let calls = mount_users_seq(
        &server,
        vec![
            ResponseTemplate::new(503),
            ResponseTemplate::new(500),
            ok_users(),
        ],
    )
    .await;
    let client = client(&server);
    client.users(dept()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let pace = client.department(dept()).unwrap().stats().pace;
    assert_eq!(pace.retries, 2);
    assert_eq!(pace.factor, 1.0, "5xx does not lower the pace");
}

#[tokio::test(start_paused = true)]
async fn a_503_with_retry_after_waits_that_long() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    mount_users_seq(
        &server,
        vec![
            ResponseTemplate::new(503).insert_header("Retry-After", "11"),
            ok_users(),
        ],
    )
    .await;
    let client = client(&server);
    let start = Instant::now();
    client.users(dept()).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(11));
}

#[tokio::test(start_paused = true)]
async fn server_errors_exhaust_the_attempts() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .expect(4)
        .mount(&server)
        .await;
    let client = builder(&server).retry_policy(retry(4)).build().unwrap();
    let start = Instant::now();
    let err = client.users(dept()).await.unwrap_err();
    match &err {
        Error::Http {
            status,
            attempts,
            message,
            ..
        } => {
            assert_eq!((*status, *attempts), (503, 4));
            assert_eq!(message, "upstream unavailable");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    // Three backoffs: at least 1.5 + 3 + 6 s.
    assert!(
        start.elapsed() >= Duration::from_millis(10_500),
        "{:?}",
        start.elapsed()
    );
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"Message": "The request is invalid."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.users(dept()).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    assert_eq!(err.service_message(), Some("The request is invalid."));
}

#[tokio::test(start_paused = true)]
async fn transport_errors_are_retried_and_bounded() {
    // A port with nothing listening: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = glassix_client::Client::builder()
        .base_url(format!("http://127.0.0.1:{port}{API}"))
        .department(creds())
        .no_timeout()
        .http_client(quiet_http())
        .retry_policy(retry(3))
        .jitter_seed(1)
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client.users(dept()).await.unwrap_err();
    match &err {
        Error::Transport {
            attempts, endpoint, ..
        } => {
            assert_eq!(*attempts, 3);
            assert_eq!(endpoint, "POST /token/get");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert!(start.elapsed() >= Duration::from_millis(4_500));
    assert_eq!(client.stats().token.retries, 2);
}

/// Real time (a timeout needs the clock to run while the socket waits): 100 ms timeout against
/// a server that answers after 2 s, two attempts, 10 ms backoff.
#[tokio::test]
async fn timeouts_are_transport_errors_and_retried() {
    let server = MockServer::start().await;
    mount_token(&server, "t1").await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(ok_users().set_delay(Duration::from_secs(2)))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(100))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        })
        .build()
        .unwrap();
    let err = client.users(dept()).await.unwrap_err();
    match &err {
        Error::Transport {
            attempts, source, ..
        } => {
            assert_eq!(*attempts, 2);
            assert!(source.is_timeout(), "{source:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
}
