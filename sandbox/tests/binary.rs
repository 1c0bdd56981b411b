//! The `helpdesk-sandbox` binary prints one JSON line with URLs and credentials, then serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // helpers in test crates fail loudly by design

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

#[tokio::test]
async fn binary_prints_urls_and_credentials_then_serves() {
    let dir = std::env::temp_dir().join(format!("helpdesk-sandbox-bin-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_helpdesk-sandbox"))
        .args([
            "--generate",
            "tickets=30,seed=2",
            "--tier",
            "enterprise",
            "--intercom-limit",
            "50",
            "--window-secs",
            "1",
            "--exports-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(info["tier"], "enterprise");
    assert_eq!(info["tickets"], 30);
    assert_eq!(info["exports"].as_array().unwrap().len(), 2);
    let cred = &info["glassix"][0];
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}/token/get", info["glassix_url"].as_str().unwrap()))
        .json(&serde_json::json!({ "apiKey": cred["apiKey"], "apiSecret": cred["apiSecret"], "userName": cred["userName"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["expires_in"], 10800);
    let me = http
        .get(format!("{}/me", info["intercom_url"].as_str().unwrap()))
        .bearer_auth(info["intercom_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.headers()["x-ratelimit-limit"], "50");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
