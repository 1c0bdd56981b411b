//! The client and its request pipeline (permit → token → pace → send → classify → retry or
//! decode).

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::SmallRng;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use url::Url;

use crate::builder::ClientBuilder;
use crate::error::{ApiErrorBody, Error, Result, existing_contact_id};
use crate::models::Me;
use crate::rate_limit::{Observed, RateLimitStatus, RateLimiter};
use crate::retry::{Idempotency, RetryPolicy};
use crate::workspace::{Router, WorkspaceLimit, WorkspacePacer};

/// A typed Intercom client. Cheap to clone (all clones share the pacers and the concurrency
/// limit). With several app tokens of one workspace ([`crate::ClientBuilder::access_tokens`]) it
/// spreads requests across them, each object's requests on one token (see [`crate::workspace`]).
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    /// One per app token, in the order given (at least one).
    pub(crate) lanes: Vec<Lane>,
    /// Paces all tokens together (only with more than one token).
    pub(crate) workspace: Option<(WorkspaceLimit, WorkspacePacer)>,
    pub(crate) router: Router,
    pub(crate) version: String,
    pub(crate) retry: RetryPolicy,
    pub(crate) permits: Semaphore,
    pub(crate) rng: Mutex<SmallRng>,
    /// Waits before calls were sent again.
    pub(crate) retries: crate::retry::RetryTally,
}

/// One app token and the pacer of its app's limit.
pub(crate) struct Lane {
    /// `Bearer <token>`, marked sensitive (never logged).
    pub(crate) auth: HeaderValue,
    pub(crate) limiter: RateLimiter,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("version", &self.inner.version)
            .field("tokens", &format!("{} [redacted]", self.inner.lanes.len()))
            .finish()
    }
}

/// One request, as plain data, before it is sent.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) segments: Vec<String>,
    pub(crate) query: Vec<(String, String)>,
    /// The JSON body, serialised once (a retry sends the same bytes).
    pub(crate) body: Option<Bytes>,
    pub(crate) idempotency: Idempotency,
    /// A 409 on this request means "duplicate contact".
    pub(crate) duplicate_contact_on_conflict: bool,
    /// Send with this token (index) instead of the routed one.
    pub(crate) token: Option<usize>,
}

impl Req {
    fn new(method: Method, segments: &[&str], idempotency: Idempotency) -> Self {
        Self {
            method,
            segments: segments.iter().map(|s| (*s).to_owned()).collect(),
            query: Vec::new(),
            body: None,
            idempotency,
            duplicate_contact_on_conflict: false,
            token: None,
        }
    }
    pub(crate) fn get(segments: &[&str]) -> Self {
        Self::new(Method::GET, segments, Idempotency::Safe)
    }
    pub(crate) fn delete(segments: &[&str]) -> Self {
        Self::new(Method::DELETE, segments, Idempotency::Safe)
    }
    pub(crate) fn put(segments: &[&str]) -> Self {
        Self::new(Method::PUT, segments, Idempotency::Safe)
    }
    /// A POST that creates something: never re-sent when its outcome is unknown.
    pub(crate) fn post_create(segments: &[&str]) -> Self {
        Self::new(Method::POST, segments, Idempotency::NotIdempotent)
    }
    /// A POST whose repetition is harmless (search, get-or-create by name, attach, archive).
    pub(crate) fn post_safe(segments: &[&str]) -> Self {
        Self::new(Method::POST, segments, Idempotency::Safe)
    }
    pub(crate) fn query(mut self, k: &str, v: impl ToString) -> Self {
        self.query.push((k.to_owned(), v.to_string()));
        self
    }
    pub(crate) fn query_opt(self, k: &str, v: Option<impl ToString>) -> Self {
        match v {
            Some(v) => self.query(k, v),
            None => self,
        }
    }
    pub(crate) fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("{} {}: {e}", self.method, self.path())))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
    pub(crate) fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

enum Attempt {
    Done(Bytes),
    /// Send again after `wait`, unless that passes the call's time budget: then fail with
    /// `otherwise`, the error of the answer just received.
    Retry {
        wait: Duration,
        otherwise: Error,
    },
}

/// What one call has used up so far.
#[derive(Debug, Default)]
struct Budget {
    /// When the first attempt was sent (the time budget runs from there).
    first_send: Option<Instant>,
    /// Sends so far.
    sends: u32,
    /// Retries after 5xx, 408 and transport errors.
    retries: u32,
    /// 429s met.
    throttled: u32,
}

impl Client {
    /// How many times, and how long in all, this client (and its clones) waited before sending
    /// a call again (after 429s, server and transport errors).
    pub fn retry_stats(&self) -> crate::RetryStats {
        self.inner.retries.stats()
    }

    /// Starts a builder.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The rate-limit budget of the first token as last seen, with the counters of requests
    /// sent and 429s met summed over every token (see [`Client::rate_limits`] per token).
    pub fn rate_limit(&self) -> RateLimitStatus {
        let mut first = self.inner.lanes[0].limiter.status();
        for lane in &self.inner.lanes[1..] {
            let s = lane.limiter.status();
            first.requests_sent += s.requests_sent;
            first.throttled += s.throttled;
        }
        first
    }

    /// The rate-limit budget of each token, in the order the tokens were given.
    pub fn rate_limits(&self) -> Vec<RateLimitStatus> {
        self.inner
            .lanes
            .iter()
            .map(|l| l.limiter.status())
            .collect()
    }

    /// How many app tokens the client spreads its requests over.
    pub fn token_count(&self) -> usize {
        self.inner.lanes.len()
    }

    /// The workspace limit and share all tokens are paced under together (`None` with one
    /// token, which its app's own limit bounds).
    pub fn workspace_limit(&self) -> Option<WorkspaceLimit> {
        self.inner.workspace.as_ref().map(|(l, _)| *l)
    }

    /// `GET /me` with every token: fails unless all of them answer and belong to the same
    /// workspace (`app.id_code`), since the workspace limit is only paced right when they do.
    /// Answers the first token's `/me`. Call it once before a run.
    pub async fn check_tokens(&self) -> Result<Me> {
        let n = self.inner.lanes.len();
        let mut first: Option<Me> = None;
        for i in 0..n {
            let mut req = Req::get(&["me"]);
            req.token = Some(i);
            let me: Me = self.execute(req).await.map_err(|e| match e {
                other if n > 1 && matches!(other.status(), Some(401 | 403)) => {
                    Error::Config(format!(
                        "token {} of {n} was refused by GET /me: {other}. Check that it is a \
                         valid access token of an app of the same workspace as the first",
                        i + 1
                    ))
                }
                other => other,
            })?;
            let workspace = |m: &Me| m.app.as_ref().and_then(|a| a.id_code.clone());
            match &first {
                None => first = Some(me),
                Some(f) if workspace(f).is_some() && workspace(f) == workspace(&me) => {}
                Some(f) => {
                    return Err(Error::Config(format!(
                        "token {} of {n} belongs to workspace {:?}, token 1 to {:?}: every token \
                         must be an app of the same workspace (their requests are paced under \
                         one workspace limit). Remove the other workspace's token",
                        i + 1,
                        workspace(&me).unwrap_or_else(|| "(not given)".into()),
                        workspace(f).unwrap_or_else(|| "(not given)".into()),
                    )));
                }
            }
        }
        first.ok_or_else(|| Error::Config("the client has no token".into()))
    }

    /// The `Intercom-Version` sent with every request.
    pub fn api_version(&self) -> &str {
        &self.inner.version
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    fn url(&self, req: &Req) -> Result<Url> {
        let mut url = self.inner.base.clone();
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|_| Error::Config("base URL cannot take a path".into()))?;
            segs.pop_if_empty();
            for s in &req.segments {
                if s.is_empty() {
                    return Err(Error::InvalidRequest(format!(
                        "{} {}: an id in the path is empty",
                        req.method,
                        req.path()
                    )));
                }
                segs.push(s);
            }
        }
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(req.query.iter());
        }
        Ok(url)
    }

    fn jitter(&self) -> Duration {
        let mut rng = self.inner.rng.lock().unwrap_or_else(|p| p.into_inner());
        self.inner.retry.jitter(&mut rng)
    }

    /// Sends a request and decodes a JSON response.
    pub(crate) async fn execute<T: DeserializeOwned>(&self, req: Req) -> Result<T> {
        let bytes = self.execute_raw(&req).await?;
        decode(&req, &bytes)
    }

    /// Sends a request whose response body is ignored (e.g. `DELETE /tags/{id}` → empty 200).
    pub(crate) async fn execute_unit(&self, req: Req) -> Result<()> {
        self.execute_raw(&req).await.map(|_| ())
    }

    /// Sends a request with pacing, the concurrency limit and the retry policy; returns the body
    /// of a 2xx response. The call ends within the policy's time budget (plus at most one send
    /// in flight): a wait that would pass it is not started.
    pub(crate) async fn execute_raw(&self, req: &Req) -> Result<Bytes> {
        let url = self.url(req)?;
        let budget_len = self.inner.retry.time_budget;
        let mut budget = Budget::default();
        loop {
            match self.attempt(req, &url, &mut budget).await? {
                Attempt::Done(bytes) => return Ok(bytes),
                Attempt::Retry { wait, otherwise } => {
                    let used = budget.first_send.map_or(Duration::ZERO, |t| t.elapsed());
                    if used.saturating_add(wait) > budget_len {
                        tracing::warn!(method = %req.method, path = %req.path(), ?wait, ?used, budget = ?budget_len, "time budget reached, giving up");
                        return Err(otherwise);
                    }
                    tracing::debug!(method = %req.method, path = %req.path(), ?wait, "retrying");
                    self.inner.retries.record(wait);
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(&self, req: &Req, url: &Url, budget: &mut Budget) -> Result<Attempt> {
        let inner = &*self.inner;
        let policy = inner.retry;
        let method = req.method.to_string();
        let path = req.path();
        let safe = req.idempotency == Idempotency::Safe;
        let _permit = inner
            .permits
            .acquire()
            .await
            .map_err(|_| Error::Config("client concurrency limiter closed".into()))?;
        let routed = inner.router.route(&req.segments, req.token);
        let lane_index = routed.token;
        let lane = inner.lanes.get(lane_index).ok_or_else(|| {
            Error::Config(format!(
                "token {} requested, the client has {}",
                lane_index + 1,
                inner.lanes.len()
            ))
        })?;
        lane.limiter.acquire().await;
        if let Some((_, pacer)) = &inner.workspace {
            pacer.acquire(routed.age).await;
        }
        let first_send = *budget.first_send.get_or_insert_with(Instant::now);
        budget.sends += 1;

        let mut builder = inner
            .http
            .request(req.method.clone(), url.clone())
            .header(ACCEPT, "application/json")
            .header("Intercom-Version", inner.version.as_str());
        builder = builder.header(AUTHORIZATION, lane.auth.clone());
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }

        let outcome = async {
            let resp = builder.send().await?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;

        let (status, headers, body) = match outcome {
            Ok(v) => v,
            Err(e) => {
                // Nothing reached the server when the connection could not be made.
                let not_sent = e.is_connect();
                if (safe || not_sent) && budget.retries < policy.max_retries {
                    budget.retries += 1;
                    tracing::warn!(%method, %path, error = %e, retry = budget.retries, "transport error");
                    return Ok(Attempt::Retry {
                        wait: policy.backoff(budget.retries) + self.jitter(),
                        otherwise: Error::Transport {
                            method,
                            path,
                            source: e,
                        },
                    });
                }
                if safe || not_sent {
                    return Err(Error::Transport {
                        method,
                        path,
                        source: e,
                    });
                }
                return Err(Error::OutcomeUnknown {
                    method,
                    path,
                    reason: if e.is_timeout() {
                        format!("timed out after the request was sent: {e}")
                    } else {
                        format!("connection lost after the request was sent: {e}")
                    },
                    status: None,
                });
            }
        };

        let observed = Observed::from_headers(&headers);
        tracing::debug!(%method, %path, status = status.as_u16(), "response");

        if status == StatusCode::TOO_MANY_REQUESTS {
            budget.throttled += 1;
            let (wait, spent) =
                rate_limit_wait(&headers, observed, &lane.limiter, &policy, budget.throttled);
            if spent {
                lane.limiter.throttled(observed, Instant::now() + wait);
            } else {
                lane.limiter.hold(observed, Instant::now() + wait);
            }
            let err = ApiErrorBody::parse(&body);
            let wait = wait + self.jitter();
            let elapsed = first_send.elapsed();
            if budget.throttled > policy.max_rate_limit_retries {
                return Err(Error::RateLimited {
                    method,
                    path,
                    attempts: budget.sends,
                    request_id: err.request_id,
                    elapsed,
                    time_budget: None,
                });
            }
            tracing::warn!(%method, %path, ?wait, token = lane_index + 1, window_spent = spent, "429 rate limited");
            return Ok(Attempt::Retry {
                wait,
                otherwise: Error::RateLimited {
                    method,
                    path,
                    attempts: budget.sends,
                    request_id: err.request_id,
                    elapsed,
                    time_budget: Some(policy.time_budget),
                },
            });
        }
        if let Some(o) = observed {
            lane.limiter.observe(o);
        }
        if status.is_success() {
            return Ok(Attempt::Done(body));
        }
        let transient = status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT;
        if transient && !safe {
            return Err(Error::OutcomeUnknown {
                method,
                path,
                reason: format!("Intercom answered {status}"),
                status: Some(status.as_u16()),
            });
        }
        let err = ApiErrorBody::parse(&body);
        if status == StatusCode::CONFLICT && req.duplicate_contact_on_conflict {
            let message = err.errors.iter().find_map(|e| e.message.clone());
            return Err(Error::DuplicateContact {
                existing_id: message.as_deref().and_then(existing_contact_id),
                request_id: err.request_id,
                message,
            });
        }
        let api_error = Error::Api {
            status: status.as_u16(),
            method,
            path,
            request_id: err.request_id,
            errors: err.errors,
        };
        if transient && budget.retries < policy.max_retries {
            budget.retries += 1;
            tracing::warn!(method = %req.method, path = %req.path(), status = status.as_u16(), retry = budget.retries, "server error");
            return Ok(Attempt::Retry {
                wait: policy.backoff(budget.retries) + self.jitter(),
                otherwise: api_error,
            });
        }
        Err(api_error)
    }
}

/// How long to wait after the `throttled`-th 429 of a call, and whether the token's window is
/// spent (then every request of the token waits for the window's reset; otherwise they are only
/// held for the wait):
/// - `Retry-After` (seconds) when sent (window spent);
/// - `X-RateLimit-Remaining: 0` with a `Reset`: until `Reset`, as the reference says (window
///   spent), at least a tenth of the learned window so that a clock slightly ahead of
///   Intercom's does not turn into a burst of immediate retries;
/// - otherwise (no headers, or a window that still has room: another limit refused the
///   request, e.g. the workspace's or a burst limit) a short backoff that doubles with each 429
///   of the call ([`RetryPolicy::rate_limit_backoff`]): waiting a whole window there stalls the
///   run, and the same request then meets the next burst again.
fn rate_limit_wait(
    headers: &reqwest::header::HeaderMap,
    observed: Option<Observed>,
    limiter: &RateLimiter,
    policy: &RetryPolicy,
    throttled: u32,
) -> (Duration, bool) {
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    if let Some(d) = retry_after {
        return (d, true);
    }
    match observed {
        Some(o) if o.remaining == 0 => {
            let floor = Duration::from_millis(limiter.status().window_ms / 10);
            let until = limiter
                .instant_at(o.reset)
                .saturating_duration_since(Instant::now());
            (until.max(floor), true)
        }
        _ => (policy.rate_limit_backoff(throttled), false),
    }
}

/// Decodes a 2xx body, naming the JSON path of the first bad field ([`decode_at`]).
pub(crate) fn decode<T: DeserializeOwned>(req: &Req, bytes: &[u8]) -> Result<T> {
    decode_at(bytes).map_err(|(at, message)| Error::Decode {
        method: req.method.to_string(),
        path: req.path(),
        at,
        message,
        excerpt: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
    })
}

/// Decodes JSON `bytes` plainly; only bytes that fail are decoded again, tracking the path,
/// so that the error names the field: `(path of the first bad field, message)`.
pub(crate) fn decode_at<T: DeserializeOwned>(
    bytes: &[u8],
) -> std::result::Result<T, (String, String)> {
    match serde_json::from_slice(bytes) {
        Ok(v) => Ok(v),
        Err(_) => decode_with_path(bytes),
    }
}

/// [`decode_at`] tracking the JSON path (the error names the field).
#[cold]
fn decode_with_path<T: DeserializeOwned>(bytes: &[u8]) -> std::result::Result<T, (String, String)> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| (e.path().to_string(), e.inner().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Region;

    #[test]
    fn debug_never_shows_the_token() {
        let b = Client::builder().access_token("super-secret-token".to_owned());
        assert!(!format!("{b:?}").contains("super-secret"));
        let c = b.build().unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("super-secret"), "{d}");
        assert!(d.contains("redacted"));
    }

    #[test]
    fn region_and_base_url() {
        let c = Client::builder()
            .access_token("t".to_owned())
            .region(Region::Eu)
            .build()
            .unwrap();
        assert_eq!(c.base_url().as_str(), "https://api.eu.intercom.io/");
        assert_eq!(c.api_version(), "2.16");
        let c = Client::builder()
            .access_token("t".to_owned())
            .region(Region::Au)
            .base_url("http://127.0.0.1:9/intercom")
            .api_version("2.15")
            .build()
            .unwrap();
        let req = Req::get(&["contacts", "a b/c"]).query("per_page", 5);
        assert_eq!(
            c.url(&req).unwrap().as_str(),
            "http://127.0.0.1:9/intercom/contacts/a%20b%2Fc?per_page=5"
        );
        assert_eq!(c.api_version(), "2.15");
        assert!(Client::builder().build().is_err());
        assert!(
            Client::builder()
                .access_token("t".to_owned())
                .base_url("ftp://x")
                .build()
                .is_err()
        );
    }
}
