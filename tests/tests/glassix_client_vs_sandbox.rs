//! The typed Glassix client against the sandbox's fake Glassix, over real HTTP on loopback.
//!
//! The two were written separately from the same references and the same written agreements;
//! these tests check that they agree on the wire: every generated ticket is listed exactly once
//! per department, `tickets/get` returns every transaction, attachments download through the
//! presigned-style links, and a Starter workspace is refused fast with an actionable error.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a failed set-up should stop the test

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use glassix_client::{Client, Credentials, Quota, Tier};
use helpdesk_sandbox::{
    GeneratorSizes, GlassixConfig, Sandbox, SandboxConfig, SnapshotSource, TierLimits,
};
use uuid::Uuid;

/// A generated workspace whose fake Glassix allows far more than the test sends, so the test
/// measures agreement, not throttling (throttling has its own paused-time tests in each crate).
async fn sandbox(
    tickets: usize,
    seed: u64,
    tier: helpdesk_sandbox::Tier,
) -> helpdesk_sandbox::SandboxHandle {
    let mut sizes = GeneratorSizes::with_tickets(tickets);
    sizes.tier = tier;
    sizes.long_conversation = 0;
    let config = SandboxConfig {
        source: SnapshotSource::Generate { seed, sizes },
        glassix: GlassixConfig {
            limits: Some(TierLimits {
                per_minute: 100_000,
                per_hour: 1_000_000,
            }),
            ..GlassixConfig::default()
        },
        ..SandboxConfig::default()
    };
    Sandbox::start(config).await.expect("sandbox starts")
}

fn client_for(sandbox: &helpdesk_sandbox::SandboxHandle) -> Client {
    let mut builder = Client::builder()
        .base_url(sandbox.glassix_url.clone())
        .tier(Tier::Enterprise)
        .quota(Quota::new(100_000, 1_000_000))
        .jitter_seed(1);
    for c in &sandbox.credentials.glassix {
        builder = builder.department(
            Credentials::new(&c.api_key, c.api_secret.clone(), &c.user_name).expect("credentials"),
        );
    }
    builder.build().expect("client builds")
}

#[tokio::test]
async fn every_generated_ticket_is_listed_once_and_read_whole() {
    let sandbox = sandbox(60, 11, helpdesk_sandbox::Tier::Growth).await;
    let client = client_for(&sandbox);

    // What the fake serves, per department: ticket id → number of transactions.
    let mut expected: BTreeMap<Uuid, BTreeMap<i64, usize>> = BTreeMap::new();
    for t in &sandbox.snapshot.tickets {
        let dept: Uuid = t["departmentId"].as_str().unwrap().parse().unwrap();
        let id = t["id"].as_i64().unwrap();
        let n = t["transactions"].as_array().map_or(0, Vec::len);
        expected.entry(dept).or_default().insert(id, n);
    }
    assert!(
        expected.len() >= 2,
        "the generator makes several departments"
    );

    let since = Utc.with_ymd_and_hms(2024, 12, 1, 0, 0, 0).unwrap();
    let until = Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap();
    let mut attachments_checked = 0;
    for dept in client.departments() {
        let listed: Vec<_> = dept
            .tickets(since..until)
            .try_collect()
            .await
            .expect("listing");
        let ids: Vec<i64> = listed.iter().map(|t| t.id).collect();
        let unique: BTreeSet<i64> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "a ticket was yielded twice");
        let want = expected.remove(&dept.id()).unwrap_or_default();
        assert_eq!(
            unique,
            want.keys().copied().collect::<BTreeSet<_>>(),
            "department {} lists exactly its own tickets",
            dept.id()
        );
        assert!(
            listed.iter().all(|t| t.transactions().is_empty()),
            "lists omit transactions"
        );

        for (id, transactions) in &want {
            let full = dept.ticket(*id).await.expect("ticket get");
            assert_eq!(full.transactions().len(), *transactions, "ticket {id}");
            if let Some(a) = full.attachments().next()
                && attachments_checked < 10
            {
                let file = dept
                    .download_attachment(full.id, a)
                    .await
                    .expect("download");
                assert!(
                    !file.bytes.is_empty(),
                    "attachment {} of ticket {id} has bytes",
                    a.id
                );
                assert!(file.content_type.is_some());
                attachments_checked += 1;
            }
        }
    }
    assert!(
        expected.is_empty(),
        "departments without credentials: {:?}",
        expected.keys()
    );
    assert!(attachments_checked > 0, "the generator makes attachments");
    let stats = client.stats();
    let server = sandbox.glassix.stats();
    assert_eq!(
        server.status(429),
        0,
        "no 429 under a generous quota: {server:?}"
    );
    println!("client stats: {stats:?}");
    sandbox.shutdown();
}

#[tokio::test]
async fn a_starter_workspace_is_refused_fast_with_what_to_do() {
    let sandbox = sandbox(10, 3, helpdesk_sandbox::Tier::Starter).await;
    // The user believes the workspace is on Growth: the server's refusal must still end the run
    // at once, with no retry loop.
    let client = client_for(&sandbox);
    let dept = client.departments().remove(0);
    let err = dept.users().await.expect_err("Starter has no API access");
    let text = err.to_string();
    assert!(!err.is_retryable(), "{text}");
    assert!(
        matches!(
            err,
            glassix_client::Error::TierWithoutApi { .. }
                | glassix_client::Error::ApiAccessDenied { .. }
        ),
        "{err:?}"
    );
    assert!(
        text.contains("Growth") || text.contains("Enterprise"),
        "{text}"
    );
    let before = sandbox.glassix.stats().total;
    let again = dept.users().await.expect_err("still refused");
    assert!(!again.is_retryable());
    assert_eq!(
        sandbox.glassix.stats().total,
        before,
        "the refusal is remembered, no new request"
    );
    sandbox.shutdown();
}
