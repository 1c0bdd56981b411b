//! List a department's tickets over the last N days and print the client's pace.
//!
//! ```sh
//! GLASSIX_BASE_URL=http://127.0.0.1:8080/api/v1.2 \
//! GLASSIX_API_KEY=3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f GLASSIX_API_SECRET=... \
//! GLASSIX_USER=migration-api@example.com GLASSIX_DAYS=30 \
//! cargo run -p glassix-client --example list_tickets
//! ```
//! Use `GLASSIX_WORKSPACE=acme` instead of `GLASSIX_BASE_URL` for a real workspace, and
//! `GLASSIX_TIER=enterprise` for the larger quota.
#![allow(clippy::print_stdout)]

use chrono::{TimeDelta, Utc};
use futures::TryStreamExt;
use glassix_client::{Client, Credentials, Tier};

fn var(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let creds = Credentials::new(
        &var("GLASSIX_API_KEY")?,
        var("GLASSIX_API_SECRET")?,
        var("GLASSIX_USER")?,
    )?;
    let tier = match std::env::var("GLASSIX_TIER").as_deref() {
        Ok("enterprise") => Tier::Enterprise,
        Ok("starter") => Tier::Starter,
        _ => Tier::Growth,
    };
    let mut builder = Client::builder().department(creds.clone()).tier(tier);
    builder = match std::env::var("GLASSIX_BASE_URL") {
        Ok(url) => builder.base_url(url),
        Err(_) => builder.workspace(var("GLASSIX_WORKSPACE")?),
    };
    let client = builder.build()?;
    let days: i64 = std::env::var("GLASSIX_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(30);
    let until = Utc::now();
    let since = until - TimeDelta::days(days);

    let dept = client.department(creds.department())?;
    let mut tickets = dept.tickets(since..until);
    let mut n = 0u64;
    while let Some(t) = tickets.try_next().await? {
        n += 1;
        println!("{}\t{}\t{}", t.id, t.state, t.field1);
    }
    println!(
        "{n} tickets; stats: {}",
        serde_json::to_string_pretty(&client.stats())?
    );
    Ok(())
}
