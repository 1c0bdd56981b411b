//! Measures how many requests per second the fake Intercom serves on this machine.
//!
//! `cargo run --release -p helpdesk-sandbox --example throughput -- [SECONDS] [CONCURRENCY]`
//!
//! Each worker creates a contact, opens a conversation and adds replies (the write mix of a
//! migration), with the rate limit set high enough not to interfere.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use helpdesk_sandbox::{FakeIntercom, IntercomConfig, IntercomSeed, SandboxError};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), SandboxError> {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let workers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(32);
    let h = FakeIntercom::start(
        IntercomSeed::default(),
        IntercomConfig {
            rate_limit: u32::MAX,
            ..IntercomConfig::default()
        },
    )
    .await?;
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (url, token, done, failed) = (
            h.url.clone(),
            h.token().to_string(),
            done.clone(),
            failed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let post = |path: String, body: Value| http.post(format!("{url}{path}")).bearer_auth(&token).json(&body).send();
                let Ok(r) = post("/contacts".into(), json!({ "email": format!("w{w}-{n}@bench.example") })).await else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let contact: Value = r.json().await.unwrap_or(Value::Null);
                done.fetch_add(1, Ordering::Relaxed);
                let Some(id) = contact["id"].as_str() else { continue };
                let conv: Value = match post("/conversations".into(), json!({ "from": { "type": "user", "id": id }, "body": "hi", "created_at": 1_600_000_000 })).await {
                    Ok(r) => r.json().await.unwrap_or(Value::Null),
                    Err(_) => Value::Null,
                };
                done.fetch_add(1, Ordering::Relaxed);
                let Some(cid) = conv["conversation_id"].as_str() else { continue };
                for k in 0..8 {
                    let body = json!({ "message_type": "comment", "type": "admin", "admin_id": "991267400", "body": "reply", "created_at": 1_600_000_001 + k });
                    match post(format!("/conversations/{cid}/reply"), body).await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let total = done.load(Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{total} requests in {secs} s with {workers} workers: {:.0} req/s ({} failed)",
        total as f64 / secs as f64,
        failed.load(Ordering::Relaxed)
    );
    Ok(())
}
