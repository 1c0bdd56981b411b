//! Access tokens: `POST /token/get`, cached per department, refreshed early, single-flight.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use crate::client::{DeptState, Inner};
use crate::error::{Error, Result};
use crate::transport::{Auth, Request};

/// Refresh this long before the token expires (the C# SDK's margin).
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Endpoint label of the token call.
pub(crate) const TOKEN_ENDPOINT: &str = "POST /token/get";

/// A bearer token handed to one request; `generation` identifies it for invalidation.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) secret: SecretString,
    pub(crate) generation: u64,
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// The token of one department.
///
/// The cache is an async mutex held while a token is being fetched, so N concurrent callers that
/// find no valid token cause exactly one `POST /token/get`; the others wait and reuse it.
pub(crate) struct TokenCache {
    slot: tokio::sync::Mutex<Option<Cached>>,
    generation: AtomicU64,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<f64>,
}

/// `expires_in` may be an integer, a float (the C# SDK switched to double) or a numeric string.
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(f64),
        S(String),
    }
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::N(n)) => Some(n),
        Some(Raw::S(s)) => s.trim().parse::<f64>().ok(),
    })
}

impl TokenCache {
    pub(crate) fn new() -> Self {
        TokenCache {
            slot: tokio::sync::Mutex::new(None),
            generation: AtomicU64::new(0),
        }
    }

    /// How many tokens were issued to this department.
    pub(crate) fn issued(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// A valid token, fetching one if none is cached or the cached one is due for refresh.
    pub(crate) async fn get(&self, inner: &Inner, dept: &DeptState) -> Result<AccessToken> {
        let mut slot = self.slot.lock().await;
        if let Some(c) = slot.as_ref() {
            if Instant::now() < c.refresh_at {
                return Ok(c.token.clone());
            }
        }
        let (secret, lifetime) = fetch(inner, dept).await?;
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let token = AccessToken { secret, generation };
        // Refresh at expires_in − 300 s; for (unexpectedly) short lifetimes, at half of it.
        let early = if lifetime > REFRESH_MARGIN * 2 {
            lifetime - REFRESH_MARGIN
        } else {
            lifetime / 2
        };
        *slot = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + early,
        });
        tracing::debug!(department = %dept.creds.api_key, generation, "glassix: new access token");
        Ok(token)
    }

    /// Forget the token that was refused, unless a newer one has replaced it already.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if slot
            .as_ref()
            .is_some_and(|c| c.token.generation == generation)
        {
            *slot = None;
        }
    }
}

/// `POST /token/get` for one department, through the workspace's token limiter.
async fn fetch(inner: &Inner, dept: &DeptState) -> Result<(SecretString, Duration)> {
    let creds = &dept.creds;
    let url = inner.endpoint_url("token/get")?;
    let body = serde_json::json!({
        "apiKey": creds.api_key.hyphenated().to_string(),
        "apiSecret": creds.api_secret.expose_secret(),
        "userName": creds.user_name,
    });
    let req = Request {
        method: Method::POST,
        url,
        body: Some(body),
        endpoint: TOKEN_ENDPOINT,
        department: Some(creds.api_key),
        pacer: Some(&inner.token_pacer),
        auth: Auth::None,
        record: None,
        timeout: inner.timeout,
    };
    // Boxed: a bearer request awaits this, and this awaits the (non-bearer) request loop.
    let reply = Box::pin(inner.execute(&req)).await?;
    if !reply.status.is_success() {
        inner.note_refusal(dept, &req, &reply);
        return Err(inner.status_error(&req, &reply));
    }
    let parsed: TokenResponse = serde_json::from_slice(&reply.body).map_err(|e| Error::Decode {
        endpoint: TOKEN_ENDPOINT.to_owned(),
        department: Some(creds.api_key),
        record: None,
        // The token must never reach an error message: report position only.
        path: format!("line {} column {}", e.line(), e.column()),
        message: "the token response is not {access_token, token_type, expires_in}".to_owned(),
    })?;
    if let Some(kind) = parsed.token_type.as_deref() {
        if !kind.eq_ignore_ascii_case("bearer") {
            tracing::warn!(
                token_type = kind,
                "glassix: unexpected token type, using it as Bearer"
            );
        }
    }
    // Glassix documents 3 h; a missing or absurd value falls back to that.
    let secs = parsed
        .expires_in
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(10_800.0)
        .min(30.0 * 86_400.0);
    Ok((
        SecretString::from(parsed.access_token),
        Duration::from_secs_f64(secs),
    ))
}
