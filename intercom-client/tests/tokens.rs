//! Several app tokens of one workspace, on paused time: each token paced under its own limit,
//! all of them under the workspace share, each object's requests on one token, and the
//! workspace check of `Client::check_tokens`.
//!
//! The server below runs in the test runtime (same virtual clock as the client, see
//! `resilience.rs`): 1-second windows aligned on Unix seconds, a limit per token (app) and one
//! for the whole workspace, Intercom's three headers describing the app's window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;
use intercom_client::{Client, Error, Timeouts, WorkspaceLimit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const ORIGIN: i64 = 1_700_000_000;

/// What the server saw.
#[derive(Default)]
struct Seen {
    /// Admitted requests per token.
    ok: BTreeMap<String, u64>,
    /// 429s (app or workspace).
    rejected: u64,
    /// The most requests the workspace admitted in one window.
    peak_per_window: u32,
    /// `(token, path)` of every admitted request, in order.
    log: Vec<(String, String)>,
}

struct Workspace {
    base: String,
    seen: Arc<Mutex<Seen>>,
}

/// `tokens` maps each accepted token to its workspace id (answered by `GET /me`).
async fn workspace_server(
    tokens: &[(&str, &str)],
    app_limit: u32,
    workspace_limit: u32,
    latency: Duration,
) -> Workspace {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let start = Instant::now();
    let tokens: Arc<HashMap<String, String>> = Arc::new(
        tokens
            .iter()
            .map(|(t, w)| ((*t).to_owned(), (*w).to_owned()))
            .collect(),
    );
    // window → (per token, workspace)
    let counts = Arc::new(Mutex::new(
        HashMap::<i64, (HashMap<String, u32>, u32)>::new(),
    ));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let (tokens, counts, seen) = (tokens.clone(), counts.clone(), seen2.clone());
            tokio::spawn(async move {
                loop {
                    let Ok(Some((line, token))) = read_head(&mut sock).await else {
                        return;
                    };
                    let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
                    let unix = ORIGIN as f64 + start.elapsed().as_secs_f64();
                    let win = unix.floor() as i64;
                    let (status, remaining, body) = match tokens.get(&token) {
                        None => (
                            401,
                            None,
                            r#"{"type":"error.list","errors":[{"code":"unauthorized"}]}"#
                                .to_owned(),
                        ),
                        Some(workspace) => {
                            let mut c = counts.lock().unwrap();
                            let (apps, ws) = c.entry(win).or_default();
                            let app = apps.entry(token.clone()).or_insert(0);
                            let mut s = seen.lock().unwrap();
                            if *app >= app_limit || *ws >= workspace_limit {
                                s.rejected += 1;
                                (429, Some(app_limit - *app), r#"{"type":"error.list","errors":[{"code":"rate_limit_exceeded"}]}"#.to_owned())
                            } else {
                                *app += 1;
                                *ws += 1;
                                s.peak_per_window = s.peak_per_window.max(*ws);
                                *s.ok.entry(token.clone()).or_default() += 1;
                                s.log.push((token.clone(), path.clone()));
                                let body = if path == "/me" {
                                    format!(
                                        r#"{{"type":"admin","id":"1","app":{{"type":"app","id_code":"{workspace}"}}}}"#
                                    )
                                } else {
                                    r#"{"type":"admin","id":"1"}"#.to_owned()
                                };
                                (200, Some(app_limit - *app), body)
                            }
                        }
                    };
                    tokio::time::sleep(latency).await;
                    let mut resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                        body.len()
                    );
                    if let Some(r) = remaining {
                        resp.push_str(&format!(
                            "X-RateLimit-Limit: {app_limit}\r\nX-RateLimit-Remaining: {r}\r\nX-RateLimit-Reset: {}\r\n",
                            win + 1
                        ));
                    }
                    resp.push_str("\r\n");
                    resp.push_str(&body);
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Workspace { base, seen }
}

/// Reads one bodiless HTTP/1.1 request; returns (request line, bearer token).
async fn read_head(sock: &mut TcpStream) -> std::io::Result<Option<(String, String)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..pos]).to_string();
            let token = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("authorization")
                        .then(|| v.trim().trim_start_matches("Bearer ").to_owned())
                })
                .unwrap_or_default();
            let line = head.lines().next().unwrap_or_default().to_owned();
            return Ok(Some((line, token)));
        }
    }
}

fn client(base: &str, tokens: &[&str], workspace: WorkspaceLimit) -> Client {
    Client::builder()
        .access_tokens(tokens.iter().map(|t| (*t).to_owned()))
        .workspace_limit(workspace)
        .base_url(base)
        .clock_origin_unix(ORIGIN as f64)
        .jitter_seed(7)
        .max_concurrency(24)
        .timeouts(Timeouts {
            request: None,
            connect: None,
            pool_idle: None,
        })
        .build()
        .unwrap()
}

/// 24 callers reading `/admins/{n}` (n spread over many ids) for `secs` seconds; answers the
/// requests sent per second (until the last caller is done).
async fn run(c: &Client, secs: u64) -> f64 {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let workers = (0..24u64).map(|w| {
        let c = c.clone();
        async move {
            let mut n = w;
            while Instant::now() < deadline {
                c.admins().get(&format!("{}", 1000 + n % 97)).await.unwrap();
                n += 24;
            }
        }
    });
    join_all(workers).await;
    let s = c.rate_limits();
    s.iter().map(|s| s.requests_sent).sum::<u64>() as f64 / start.elapsed().as_secs_f64()
}

const ALL: &[(&str, &str)] = &[("a", "ws1"), ("b", "ws1"), ("c", "ws1")];

#[tokio::test(start_paused = true)]
async fn three_tokens_go_three_times_as_fast_as_one_under_a_per_app_limit() {
    // 50 per second per app, a workspace of 1,000 per second (not binding at share 0.8).
    let roomy = WorkspaceLimit {
        per_minute: 60_000,
        share: 0.8,
    };
    let one = workspace_server(ALL, 50, 1_000, Duration::from_millis(20)).await;
    let one_rate = run(&client(&one.base, &["a"], roomy), 10).await;
    let three = workspace_server(ALL, 50, 1_000, Duration::from_millis(20)).await;
    let c = client(&three.base, &["a", "b", "c"], roomy);
    let three_rate = run(&c, 10).await;
    let s = three.seen.lock().unwrap();
    eprintln!(
        "1 token: {one_rate:.1}/s; 3 tokens: {three_rate:.1}/s; per token {:?}; 429s {}",
        s.ok, s.rejected
    );
    assert_eq!(one.seen.lock().unwrap().rejected, 0);
    assert_eq!(s.rejected, 0, "no 429 expected");
    assert!(one_rate >= 45.0, "one token: {one_rate}/s of 50");
    assert!(
        three_rate >= 2.8 * one_rate,
        "three tokens: {three_rate}/s, one: {one_rate}/s"
    );
    assert_eq!(s.ok.len(), 3, "every token used");
    assert_eq!(c.token_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn three_tokens_are_capped_by_the_workspace_share_and_never_pass_it() {
    // 3 × 50 per second would be 150; the workspace allows 125, the client uses 80 %: 100/s.
    let share = WorkspaceLimit {
        per_minute: 125 * 60,
        share: 0.8,
    };
    let srv = workspace_server(ALL, 50, 125, Duration::from_millis(20)).await;
    let c = client(&srv.base, &["a", "b", "c"], share);
    let rate = run(&c, 10).await;
    let s = srv.seen.lock().unwrap();
    eprintln!(
        "3 tokens at share 0.8 of 125/s: {rate:.1}/s, peak {} per window, per token {:?}",
        s.peak_per_window, s.ok
    );
    assert_eq!(s.rejected, 0);
    assert!(
        s.peak_per_window <= 100,
        "over the share: {}",
        s.peak_per_window
    );
    assert!((95.0..=101.0).contains(&rate), "{rate}/s");
    assert_eq!(c.workspace_limit(), Some(share));
}

#[tokio::test(start_paused = true)]
async fn an_object_stays_on_one_token_and_its_requests_in_order() {
    let srv = workspace_server(ALL, 1_000, 3_000, Duration::from_millis(5)).await;
    let c = client(&srv.base, &["a", "b", "c"], WorkspaceLimit::default());
    // 30 objects, 5 requests each, objects side by side, each object's requests one after the
    // other (as the executor sends a ticket's parts).
    let tasks = (0..30).map(|id| {
        let c = c.clone();
        async move {
            for _ in 0..5 {
                c.admins().get(&format!("{}", 500 + id)).await.unwrap();
            }
        }
    });
    join_all(tasks).await;
    let s = srv.seen.lock().unwrap();
    let mut token_of: HashMap<&str, &str> = HashMap::new();
    for (token, path) in &s.log {
        let t = token_of.entry(path.as_str()).or_insert(token.as_str());
        assert_eq!(*t, token.as_str(), "{path} went through two tokens");
    }
    assert_eq!(token_of.len(), 30);
    assert_eq!(s.log.len(), 150);
    let used: std::collections::BTreeSet<&str> = token_of.values().copied().collect();
    assert_eq!(used.len(), 3, "objects spread over every token");
}

#[tokio::test(start_paused = true)]
async fn tokens_of_two_workspaces_are_refused_naming_the_token() {
    let tokens = &[("a", "ws1"), ("b", "ws1"), ("x", "ws2")];
    let srv = workspace_server(tokens, 50, 125, Duration::from_millis(5)).await;
    let good = client(&srv.base, &["a", "b"], WorkspaceLimit::default());
    let me = good.check_tokens().await.unwrap();
    assert_eq!(me.app.unwrap().id_code.as_deref(), Some("ws1"));
    let mixed = client(&srv.base, &["a", "b", "x"], WorkspaceLimit::default());
    let err = mixed.check_tokens().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(
        text.contains("token 3 of 3") && text.contains("ws2") && text.contains("ws1"),
        "{text}"
    );
    let unknown = client(&srv.base, &["a", "nope"], WorkspaceLimit::default());
    let text = unknown.check_tokens().await.unwrap_err().to_string();
    assert!(text.contains("token 2 of 2"), "{text}");
}

#[test]
fn a_bad_workspace_share_is_refused_at_build() {
    let err = Client::builder()
        .access_tokens(["a".to_owned(), "b".to_owned()])
        .workspace_limit(WorkspaceLimit {
            per_minute: 25_000,
            share: 1.5,
        })
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("share"), "{err}");
    // One token: the workspace settings do not apply.
    let one = Client::builder()
        .access_tokens(["a".to_owned()])
        .workspace_limit(WorkspaceLimit {
            per_minute: 25_000,
            share: 1.5,
        })
        .build()
        .unwrap();
    assert_eq!(one.workspace_limit(), None);
    assert!(
        Client::builder()
            .access_tokens(Vec::<String>::new())
            .build()
            .is_err()
    );
}
