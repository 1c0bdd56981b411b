//! The typed Intercom client against the sandbox's fake Intercom, over real HTTP on loopback.
//!
//! The two were written separately from the same references. These tests check that they agree
//! where a migration depends on it: the client paces a write-bound burst to the budget the
//! `X-RateLimit-*` headers announce (using nearly all of it, wasting almost none on 429s), the
//! referential rules come back as typed errors, and a create whose response was lost is reported
//! as an unknown outcome, never re-sent.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test helpers: a failed set-up should stop the test

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use helpdesk_sandbox::{
    FaultConfig, GeneratorSizes, IntercomConfig, Sandbox, SandboxConfig, SandboxHandle,
    SnapshotSource,
};
use intercom_client::models::{ContactType, CreateContact, CreateConversation, Role};
use intercom_client::{Client, Error};

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn sandbox(rate_limit: u32, window_secs: u64) -> SandboxHandle {
    let mut sizes = GeneratorSizes::with_tickets(10);
    sizes.long_conversation = 0;
    let config = SandboxConfig {
        source: SnapshotSource::Generate { seed: 5, sizes },
        intercom: IntercomConfig {
            rate_limit,
            window_secs,
            ..IntercomConfig::default()
        },
        ..SandboxConfig::default()
    };
    Sandbox::start(config).await.expect("sandbox starts")
}

fn client_for(sandbox: &SandboxHandle, concurrency: usize) -> Client {
    Client::builder()
        .access_token(sandbox.credentials.intercom_token.clone())
        .base_url(sandbox.intercom_url.clone())
        .max_concurrency(concurrency)
        .jitter_seed(7)
        .build()
        .expect("client builds")
}

fn contact(i: usize) -> CreateContact {
    CreateContact {
        role: Some(Role::User),
        external_id: Some(format!("glassix-burst-{i}")),
        email: Some(format!("burst{i}@example.com")),
        name: Some(format!("Burst {i}")),
        ..Default::default()
    }
}

/// The physical limit of a migration is the destination's budget. A burst of creates, far more
/// than one window allows, must be spread over the windows with (almost) no 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_bound_burst_uses_the_budget_and_wastes_almost_none_on_429s() {
    const LIMIT: u32 = 40;
    const CREATES: usize = 200;
    let sandbox = sandbox(LIMIT, 1).await;
    let client = client_for(&sandbox, 16);

    let started = Instant::now();
    let first_window = unix_seconds();
    let created: Vec<_> = futures::stream::iter(0..CREATES)
        .map(|i| {
            let client = client.clone();
            async move { client.contacts().create(&contact(i)).await }
        })
        .buffer_unordered(16)
        .try_collect()
        .await
        .expect("every create succeeds");
    let elapsed = started.elapsed();
    // The server's windows are aligned on whole seconds: count the windows the burst touched.
    let windows = unix_seconds() - first_window + 1;
    assert_eq!(created.len(), CREATES);

    let stats = sandbox.intercom.stats();
    let throttled = stats.status(429);
    let ideal_windows = (CREATES as u64).div_ceil(u64::from(LIMIT));
    let ideal = Duration::from_secs(ideal_windows - 1);
    let utilisation = CREATES as f64 / (windows * u64::from(LIMIT)) as f64;
    println!(
        "{CREATES} creates at {LIMIT} per 1 s window: {:.2} s over {windows} windows \
         (ideal {ideal_windows}), {:.0}% of the budget of those windows used, \
         {throttled} answered 429 ({:.1}%), client view {:?}",
        elapsed.as_secs_f64(),
        utilisation * 100.0,
        throttled as f64 * 100.0 / CREATES as f64,
        client.rate_limit()
    );
    // Never faster than the budget allows (the server would have refused), and close to it.
    assert!(
        elapsed + Duration::from_millis(1200) >= ideal,
        "{elapsed:?} < {ideal:?}"
    );
    assert!(
        elapsed <= ideal + Duration::from_secs(3),
        "too slow: {elapsed:?} vs {ideal:?}"
    );
    assert!(
        throttled * 20 <= CREATES as u64,
        "more than 5% of the requests were wasted on 429: {throttled}"
    );
    sandbox.shutdown();
}

#[tokio::test]
async fn referential_rules_come_back_as_typed_errors() {
    let sandbox = sandbox(1_000, 10).await;
    let client = client_for(&sandbox, 4);

    let first = client
        .contacts()
        .create(&contact(1))
        .await
        .expect("created");
    match client.contacts().create(&contact(1)).await {
        Err(Error::DuplicateContact { existing_id, .. }) => {
            assert_eq!(existing_id.as_deref(), Some(first.id.as_str()))
        }
        other => panic!("expected a duplicate-contact conflict, got {other:?}"),
    }

    let orphan = CreateConversation::new(ContactType::User, "0123456789abcdef01234567", "Hi");
    let err = client
        .conversations()
        .create(&orphan)
        .await
        .expect_err("no such contact");
    assert!(matches!(err.status(), Some(404 | 422)), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");

    let found = client
        .contacts()
        .find_by_external_id("glassix-burst-1")
        .await
        .expect("find");
    assert_eq!(found.map(|c| c.id), Some(first.id));
    sandbox.shutdown();
}

#[tokio::test]
async fn a_create_whose_response_was_lost_is_an_unknown_outcome_not_a_resend() {
    let sandbox = sandbox(1_000, 10).await;
    let client = client_for(&sandbox, 4);
    sandbox.intercom.set_faults(FaultConfig {
        lose_response_every_write: 1,
        ..FaultConfig::default()
    });
    let err = client
        .contacts()
        .create(&contact(9))
        .await
        .expect_err("the response is lost");
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    sandbox.intercom.set_faults(FaultConfig::default());

    // The write did commit; the caller finds it instead of creating it again.
    let found = client
        .contacts()
        .find_by_external_id("glassix-burst-9")
        .await
        .expect("find");
    assert!(found.is_some(), "the lost create had committed");
    let all: Vec<_> = client
        .contacts()
        .list(None)
        .try_collect()
        .await
        .expect("list");
    let copies = all
        .iter()
        .filter(|c| c.external_id.as_deref() == Some("glassix-burst-9"))
        .count();
    assert_eq!(copies, 1, "the client never re-sent the create");
    sandbox.shutdown();
}

/// A ticket type read back through the client lists the attributes created on it. (The fake
/// once rendered them under `data`, where the 2.16 description's `ticket_type_attribute_list`
/// says `ticket_type_attributes`; the client then saw a ticket type without attributes.)
#[tokio::test]
async fn a_ticket_types_attributes_read_back_through_the_client() {
    use intercom_client::models::{
        CreateTicketType, CreateTicketTypeAttribute, TicketAttributeType, TicketCategory,
    };
    let sandbox = sandbox(1_000, 10).await;
    let client = client_for(&sandbox, 4);
    let created = client
        .ticket_types()
        .create(&CreateTicketType {
            name: "Glassix ticket".into(),
            category: Some(TicketCategory::Customer),
            ..Default::default()
        })
        .await
        .expect("ticket type");
    client
        .ticket_types()
        .create_attribute(
            &created.id,
            &CreateTicketTypeAttribute::new(
                "glassix_ticket_id",
                "Original Glassix ticket id",
                TicketAttributeType::String,
            ),
        )
        .await
        .expect("attribute");
    let read = client.ticket_types().get(&created.id).await.expect("get");
    let names: Vec<String> = read
        .ticket_type_attributes
        .map(|l| {
            l.ticket_type_attributes
                .into_iter()
                .filter_map(|a| a.name)
                .collect()
        })
        .unwrap_or_default();
    assert!(names.iter().any(|n| n == "glassix_ticket_id"), "{names:?}");
    sandbox.shutdown();
}
