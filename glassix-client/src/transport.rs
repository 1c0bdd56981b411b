//! The request loop: pacing before sending, token refresh on 401, retries with backoff, and the
//! mapping of final answers to [`Error`]s.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, HeaderMap};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

use crate::client::{DeptState, Inner, Refusal};
use crate::error::{Error, Result};
use crate::retry::retry_after;
use crate::throttle::Pacer;

/// Whether a wait of `wait` from now still ends within `budget` counted from `started`.
fn fits(started: Instant, budget: Duration, wait: Duration) -> bool {
    started.elapsed().saturating_add(wait) <= budget
}

/// A duration in whole seconds, rounded up (a 0.4 s wait reads `1 s`, not `0 s`).
fn secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Whether and how a request is authenticated.
pub(crate) enum Auth<'a> {
    /// No `Authorization` header (token endpoint, presigned attachment links).
    None,
    /// The department's bearer token; a 401 refreshes it once.
    Bearer(&'a DeptState),
}

/// One logical call (it may be sent several times).
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) body: Option<serde_json::Value>,
    /// Method and path for errors and logs (never a token or a presigned URL).
    pub(crate) endpoint: &'a str,
    pub(crate) department: Option<Uuid>,
    /// The limiter to pass before each send (none for presigned downloads).
    pub(crate) pacer: Option<&'a Pacer>,
    pub(crate) auth: Auth<'a>,
    pub(crate) record: Option<String>,
    /// Per-send timeout (`None`: none).
    pub(crate) timeout: Option<Duration>,
}

/// The final answer to a call: a success, or a status no retry can fix.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) attempts: u32,
}

enum Attempt {
    Answer(StatusCode, HeaderMap, Bytes),
    Failed(reqwest::Error),
}

impl Inner {
    async fn send_once(&self, req: &Request<'_>, bearer: Option<&str>) -> Attempt {
        let mut rb = self
            .http
            .request(req.method.clone(), req.url.clone())
            .header(ACCEPT, "application/json");
        if let Some(token) = bearer {
            rb = rb.bearer_auth(token);
        }
        if let Some(body) = &req.body {
            rb = rb.json(body);
        }
        if let Some(t) = req.timeout {
            rb = rb.timeout(t);
        }
        match rb.send().await {
            Err(e) => Attempt::Failed(e.without_url()),
            Ok(resp) => {
                let status = resp.status();
                let headers = resp.headers().clone();
                match resp.bytes().await {
                    Ok(body) => Attempt::Answer(status, headers, body),
                    Err(e) => Attempt::Failed(e.without_url()),
                }
            }
        }
    }

    fn note_retry(&self, req: &Request<'_>) {
        if let Some(p) = req.pacer {
            p.on_retry();
        }
    }

    /// Send `req` until it succeeds or fails for good.
    ///
    /// Two budgets bound a call, and they are separate:
    /// - **failures**: 5xx, 408 and transport failures are retried after the backoff step (or
    ///   after a `Retry-After` the answer carries) until [`RetryPolicy::max_attempts`] of them
    ///   have happened (all calls made through this loop are reads, or the side-effect-free
    ///   token request);
    /// - **time**: 429s do not use up failure attempts. Every request of the limiter is held
    ///   back for `Retry-After` (or, without one, the backoff step of this call's n-th 429), the
    ///   pace is lowered, and the call is retried, for as long as the call's
    ///   [`RetryPolicy::time_budget`] allows. A wait that would end past the budget is not
    ///   started: the call fails at once with the error of its last answer.
    ///
    /// A 401 on a bearer request drops the token and retries once with a new one (not counted).
    /// Anything else is final and returned as a [`Reply`].
    ///
    /// [`RetryPolicy::max_attempts`]: crate::RetryPolicy::max_attempts
    /// [`RetryPolicy::time_budget`]: crate::RetryPolicy::time_budget
    pub(crate) async fn execute(&self, req: &Request<'_>) -> Result<Reply> {
        let max_failures = self.retry.max_attempts.max(1);
        let budget = self.retry.time_budget;
        // Sends made (every attempt), failures met (5xx, 408, transport), 429s met.
        let mut sends: u32 = 0;
        let mut failures: u32 = 0;
        let mut throttled: u32 = 0;
        let mut refreshed = false;
        // The budget runs from the first send: waiting for the first slot of the configured
        // quota is pacing, not trouble, and is not counted.
        let mut first_send: Option<Instant> = None;
        if let Auth::Bearer(dept) = &req.auth {
            if let Some(r) = dept.refusal() {
                return Err(self.refusal_error(&r, req.department));
            }
        }
        loop {
            let token = match &req.auth {
                Auth::None => None,
                Auth::Bearer(dept) => Some(dept.token.get(self, dept).await?),
            };
            if let Some(p) = req.pacer {
                p.acquire().await;
            }
            let started = *first_send.get_or_insert_with(Instant::now);
            sends += 1;
            let bearer = token.as_ref().map(|t| t.secret.expose_secret());
            let outcome = self.send_once(req, bearer).await;
            let (status, headers, body) = match outcome {
                Attempt::Failed(e) => {
                    failures += 1;
                    let wait = self.jitter.backoff(&self.retry, failures);
                    if failures < max_failures && fits(started, budget, wait) {
                        tracing::warn!(endpoint = req.endpoint, attempt = sends, wait_ms = wait.as_millis() as u64, error = %e, "glassix: transport error, retrying");
                        self.note_retry(req);
                        self.retries.record(wait);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(Error::Transport {
                        endpoint: req.endpoint.to_owned(),
                        department: req.department,
                        attempts: sends,
                        source: e,
                    });
                }
                Attempt::Answer(s, h, b) => (s, h, b),
            };
            if status.is_success() {
                if let Some(p) = req.pacer {
                    p.on_success();
                }
                return Ok(Reply {
                    status,
                    headers,
                    body,
                    attempts: sends,
                });
            }
            match status.as_u16() {
                401 => {
                    if let (Auth::Bearer(dept), Some(t), false) = (&req.auth, &token, refreshed) {
                        tracing::info!(
                            endpoint = req.endpoint,
                            "glassix: token refused, fetching a new one"
                        );
                        refreshed = true;
                        dept.token.invalidate(t.generation).await;
                        // The refresh uses up neither budget's attempts.
                        sends -= 1;
                        continue;
                    }
                }
                429 => {
                    throttled += 1;
                    let asked = retry_after(&headers);
                    let pause =
                        asked.unwrap_or_else(|| self.jitter.backoff(&self.retry, throttled));
                    let too_long = asked.is_some_and(|d| d > self.retry.max_retry_after);
                    if too_long || !fits(started, budget, pause) {
                        if let Some(p) = req.pacer {
                            p.on_rate_limited(Duration::ZERO);
                        }
                        let limit = if too_long {
                            format!(
                                "that is longer than the longest Retry-After the client honours \
                                 ({} s, RetryPolicy::max_retry_after)",
                                self.retry.max_retry_after.as_secs()
                            )
                        } else {
                            format!(
                                "waiting {} s more would pass the call's time budget of {} s \
                                 (RetryPolicy::time_budget, ClientBuilder::time_budget)",
                                secs(pause),
                                secs(budget)
                            )
                        };
                        return Err(Error::RateLimited {
                            endpoint: req.endpoint.to_owned(),
                            department: req.department,
                            attempts: sends,
                            retry_after: asked,
                            elapsed: started.elapsed(),
                            limit,
                        });
                    }
                    tracing::warn!(
                        endpoint = req.endpoint,
                        attempt = sends,
                        pause_ms = pause.as_millis() as u64,
                        retry_after = asked.is_some(),
                        "glassix: 429 Too Many Requests"
                    );
                    self.retries.record(pause);
                    match req.pacer {
                        // The limiter holds back every request of the department, this one included.
                        Some(p) => p.on_rate_limited(pause),
                        None => tokio::time::sleep(pause).await,
                    }
                    self.note_retry(req);
                    continue;
                }
                s if s >= 500 || s == 408 => {
                    failures += 1;
                    // A 503 may say when to come back; honour it within the configured bound.
                    let wait = retry_after(&headers)
                        .filter(|d| *d <= self.retry.max_retry_after)
                        .unwrap_or_else(|| self.jitter.backoff(&self.retry, failures));
                    if failures < max_failures && fits(started, budget, wait) {
                        tracing::warn!(
                            endpoint = req.endpoint,
                            status = s,
                            attempt = sends,
                            wait_ms = wait.as_millis() as u64,
                            "glassix: server error, retrying"
                        );
                        self.note_retry(req);
                        self.retries.record(wait);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                }
                _ => {}
            }
            return Ok(Reply {
                status,
                headers,
                body,
                attempts: sends,
            });
        }
    }

    /// The error for a final non-success reply.
    pub(crate) fn status_error(&self, req: &Request<'_>, reply: &Reply) -> Error {
        let message = service_message(&reply.body);
        let status = reply.status.as_u16();
        let endpoint = req.endpoint.to_owned();
        let department = req.department;
        match status {
            401 => Error::InvalidCredentials {
                status,
                message,
                endpoint,
                department,
            },
            403 => Error::ApiAccessDenied {
                status,
                message,
                endpoint,
                department,
                configured_tier: self.tier,
            },
            _ => Error::Http {
                status,
                message,
                endpoint,
                department,
                record: req.record.clone(),
                attempts: reply.attempts,
            },
        }
    }

    /// The error for a remembered refusal (no request sent).
    pub(crate) fn refusal_error(&self, r: &Refusal, department: Option<Uuid>) -> Error {
        let message = format!(
            "{} (remembered from an earlier answer; no request sent)",
            r.message
        );
        let endpoint = r.endpoint.clone();
        if r.status == 401 {
            Error::InvalidCredentials {
                status: r.status,
                message,
                endpoint,
                department,
            }
        } else {
            Error::ApiAccessDenied {
                status: r.status,
                message,
                endpoint,
                department,
                configured_tier: self.tier,
            }
        }
    }

    /// Remember a 401/403 of an API call or of the token endpoint for `dept`.
    pub(crate) fn note_refusal(&self, dept: &DeptState, req: &Request<'_>, reply: &Reply) {
        let status = reply.status.as_u16();
        if status == 401 || status == 403 {
            dept.remember_refusal(Refusal {
                status,
                message: service_message(&reply.body),
                endpoint: req.endpoint.to_owned(),
            });
        }
    }

    /// Execute a GET and decode its JSON body, failing on any non-success status.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, req: &Request<'_>) -> Result<T> {
        let reply = self.execute(req).await?;
        if !reply.status.is_success() {
            if let Auth::Bearer(dept) = &req.auth {
                self.note_refusal(dept, req, &reply);
            }
            return Err(self.status_error(req, &reply));
        }
        decode(&reply.body, req)
    }
}

/// Decode a JSON body; on failure the error names the JSON path that failed. The body is
/// decoded plainly (tracking the path costs on every field of every page); only a body that
/// fails is decoded again, tracking the path, to name the field.
pub(crate) fn decode<T: DeserializeOwned>(body: &[u8], req: &Request<'_>) -> Result<T> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(_) => decode_with_path(body, req),
    }
}

/// [`decode`] tracking the JSON path, for the error.
#[cold]
fn decode_with_path<T: DeserializeOwned>(body: &[u8], req: &Request<'_>) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let decoded: std::result::Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let fail = |path: String, message: String| Error::Decode {
        endpoint: req.endpoint.to_owned(),
        department: req.department,
        record: req.record.clone(),
        path,
        message,
    };
    match decoded {
        Ok(v) => {
            de.end().map_err(|e| fail(".".to_owned(), e.to_string()))?;
            Ok(v)
        }
        Err(e) => Err(fail(e.path().to_string(), e.inner().to_string())),
    }
}

/// The service's message: `Message`/`message` of a JSON body, else the (trimmed) raw text.
pub(crate) fn service_message(body: &[u8]) -> String {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["Message", "message"] {
            if let Some(serde_json::Value::String(m)) = map.get(key) {
                return m.clone();
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(empty body)".to_owned();
    }
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages() {
        assert_eq!(
            service_message(br#"{"Message":"Ticket not found."}"#),
            "Ticket not found."
        );
        assert_eq!(service_message(br#"{"message":"lower"}"#), "lower");
        assert_eq!(service_message(b""), "(empty body)");
        assert_eq!(
            service_message(b"<Error><Code>AccessDenied</Code></Error>"),
            "<Error><Code>AccessDenied</Code></Error>"
        );
        assert!(service_message(&[b'x'; 1000]).ends_with('…'));
    }
}
