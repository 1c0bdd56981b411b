//! Both fakes started together, and the exactness of the Intercom limiter under concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

use chrono::TimeZone;
use helpdesk_sandbox::{
    Clock, FakeIntercom, GeneratorSizes, IntercomConfig, IntercomSeed, Sandbox, SandboxConfig,
    SnapshotSource,
};
use serde_json::Value;

#[tokio::test]
async fn sandbox_starts_both_fakes_from_one_snapshot() {
    let dir = std::env::temp_dir().join(format!("helpdesk-sandbox-start-{}", std::process::id()));
    let clock = Clock::frozen_at(chrono::Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
    let sandbox = Sandbox::start(SandboxConfig {
        source: SnapshotSource::Generate {
            seed: 9,
            sizes: GeneratorSizes::with_tickets(40),
        },
        exports_dir: Some(dir.clone()),
        clock: clock.clone(),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    assert_eq!(
        sandbox.credentials.glassix.len(),
        sandbox.snapshot.departments.len()
    );
    assert_eq!(sandbox.exports.len(), 2);
    assert!(
        sandbox.glassix_url.starts_with("http://127.0.0.1:")
            && sandbox.glassix_url.ends_with("/api/v1.2")
    );
    let http = reqwest::Client::new();
    let admins: Value = http
        .get(format!("{}/admins", sandbox.intercom_url))
        .bearer_auth(&sandbox.credentials.intercom_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seeded = IntercomSeed::from_snapshot(&sandbox.snapshot);
    assert_eq!(
        admins["admins"].as_array().unwrap().len(),
        seeded.admins.len()
    );
    // One clock for both servers.
    clock.advance(chrono::Duration::hours(1));
    assert_eq!(
        sandbox.glassix.clock().now(),
        sandbox.intercom.clock().now()
    );
    sandbox.shutdown();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limiter_is_exact_under_concurrency() {
    let clock = Clock::frozen_at(chrono::Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap());
    let h = FakeIntercom::start(
        IntercomSeed::default(),
        IntercomConfig {
            rate_limit: 50,
            window_secs: 10,
            clock,
            ..IntercomConfig::default()
        },
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let req = http.get(format!("{}/admins", h.url)).bearer_auth(h.token());
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut ok = 0;
    let mut limited = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((ok, limited), (50, 150));
    assert_eq!(h.stats().status(429), 150);
}
