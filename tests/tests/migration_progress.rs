//! Progress that does not lie: while a client holds requests back for quota, the progress
//! channel says so and for how long (`ProgressEvent::Waiting`), and the steps' ETAs are
//! measured over the quota's period.
//!
//! The real Glassix client runs against a wiremock server on tokio's paused clock
//! (current-thread runtime, no request timeouts, no pool reaper: the clock moves across the
//! pacer's sleeps and the watch's ticks only, see `glassix-client/tests/throttling.rs`).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    missing_docs
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use glassix_client::{Client, Credentials, Quota, Tier};
use migration_core::progress::{ProgressEvent, ProgressSender, QuotaWatch, Service, WaitReason};
use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DEPT: &str = "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f";
const API: &str = "/api/v1.2";

async fn glassix(server: &MockServer, quota: Quota) -> Client {
    Mock::given(method("POST"))
        .and(path(format!("{API}/token/get")))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "t1", "token_type": "Bearer", "expires_in": 10800}),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/users/allusers")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    Client::builder()
        .base_url(format!("{}{API}", server.uri()))
        .department(
            Credentials::new(DEPT, "synthetic-secret-not-real-0000", "api@example.com").unwrap(),
        )
        .tier(Tier::Growth)
        .quota(quota)
        .no_timeout()
        .http_client(
            reqwest::Client::builder()
                .pool_idle_timeout(None)
                .build()
                .unwrap(),
        )
        .jitter_seed(7)
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn a_glassix_quota_wait_is_announced_with_how_long_it_lasts() {
    let server = MockServer::start().await;
    let client = glassix(&server, Quota::new(2, 100)).await;
    let dept: Uuid = DEPT.parse().unwrap();
    let (tx, mut rx) = ProgressSender::channel(1024);
    let start = Instant::now();
    // Every event with the time it was sent (the collector runs before the clock moves on).
    let seen: Arc<Mutex<Vec<(Duration, ProgressEvent)>>> = Arc::default();
    let collector = tokio::spawn({
        let seen = seen.clone();
        async move {
            while let Ok(e) = rx.recv().await {
                seen.lock().unwrap().push((start.elapsed(), e));
            }
        }
    });
    assert_eq!(tx.quota_period(), Duration::ZERO, "no quota binds yet");
    // The mock server is reached over real loopback I/O, during which the paused clock jumps
    // to the next timer: a round trip costs paused time that depends on the machine's load,
    // so the times below are bounded from one side or compared with each other. The watch
    // starts once the minute's quota is spent: with its ticks armed during the first two
    // round trips, a loaded machine let the paused clock run past the minute (73 s) before
    // the third request, which then did not wait at all.
    client.users(dept).await.unwrap();
    client.users(dept).await.unwrap();
    let quota_used = start.elapsed();
    let watch = QuotaWatch::spawn(tx.clone(), None, Some(client.clone()));
    // The third request of the minute waits for the next one.
    client.users(dept).await.unwrap();
    let released = start.elapsed();
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(watch);
    let period = tx.quota_period();
    drop(tx);
    collector.await.unwrap();

    let waits: Vec<(Duration, Duration)> = seen
        .lock()
        .unwrap()
        .iter()
        .filter_map(|(at, e)| match e {
            ProgressEvent::Waiting {
                service: Service::Glassix,
                reason: WaitReason::Quota,
                remaining,
            } => Some((*at, *remaining)),
            _ => None,
        })
        .collect();
    println!("quota used at {quota_used:?}, released at {released:?}; waits {waits:?}");
    assert!(
        released >= Duration::from_secs(60),
        "the pacer held the request for the minute: {released:?}"
    );
    // Every event announces the same end (the pacer's release, within a watch tick), which
    // is no later than when the request went through (its response then arrives after one
    // round trip, itself stretched by the paused clock's jumps: hence no upper bound here).
    let ends: Vec<Duration> = waits.iter().map(|(at, r)| *at + *r).collect();
    let (lo, hi) = (
        ends.iter().min().copied().unwrap_or_default(),
        ends.iter().max().copied().unwrap_or_default(),
    );
    assert!(
        hi - lo <= Duration::from_millis(600),
        "the announced end drifts: {lo:?}..{hi:?}"
    );
    assert!(
        hi <= released + Duration::from_millis(600),
        "announced {hi:?}, released {released:?}"
    );
    // About two a second while the request is held, none once it is through.
    let held = lo.saturating_sub(quota_used).as_secs_f64();
    let ticks = (held / QuotaWatch::EVERY.as_secs_f64()).floor() as usize;
    assert!(
        waits.len() + 2 >= ticks,
        "{} waiting events over {held} s held",
        waits.len()
    );
    for (at, _) in &waits {
        assert!(*at >= quota_used && *at <= released, "sent at {at:?}");
    }
    let (first_at, first_remaining) = waits[0];
    assert!(
        first_at <= quota_used + QuotaWatch::EVERY,
        "announced within one tick"
    );
    assert!(
        first_at + first_remaining + Duration::from_millis(600) >= Duration::from_secs(60),
        "the first event announces the rest of the minute: {first_remaining:?} at {first_at:?}"
    );
    assert_eq!(
        period,
        Duration::from_secs(60),
        "the steps' rates are measured over Glassix's minute from now on"
    );
}
