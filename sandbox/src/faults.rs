//! Deterministic fault injection shared by both fake servers.
//!
//! Faults are decided per request from counters (every Nth request or write) and, for the 5xx
//! probability, from a `SmallRng` seeded by [`FaultConfig::seed`], so the same sequence of
//! requests meets the same faults on every run.

use std::str::FromStr;
use std::sync::Mutex;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Which faults a server injects. All zero (the default) means no faults. Changeable at runtime
/// with `POST /__sandbox/faults` (a JSON body of this shape).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Seed of the generator behind [`FaultConfig::error_5xx_rate`].
    pub seed: u64,
    /// Every Nth request (counting all API requests) starts a burst of 429 answers; 0 = never.
    pub burst_429_every: u64,
    /// How many consecutive requests a 429 burst refuses (at least 1 when bursts are on).
    pub burst_429_len: u64,
    /// Every Nth request answers 503 without being processed; 0 = never.
    pub error_5xx_every: u64,
    /// Seeded probability (0.0..=1.0) that a request answers 500 without being processed.
    pub error_5xx_rate: f64,
    /// Latency added before every API request, in milliseconds.
    pub latency_ms: u64,
    /// Every Nth request: the connection is closed before the request is processed; 0 = never.
    pub drop_every: u64,
    /// Every Nth write (POST, PUT, PATCH, DELETE): the write is applied, then the connection is
    /// closed without a response (the outcome is unknown to the caller); 0 = never.
    pub lose_response_every_write: u64,
    /// After each lost write response ([`FaultConfig::lose_response_every_write`]), this many
    /// of the following reads (GET, HEAD, OPTIONS and searches) answer 503 without being
    /// processed: a look-up that cannot settle a lost create, as when the service stays
    /// unavailable for a while; 0 = never.
    pub fail_reads_after_lost: u64,
}

/// A malformed `--faults` specification.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid fault spec `{spec}`: {reason}. Use key=value pairs separated by commas, e.g. `burst_429_every=50,burst_429_len=3,error_5xx_every=40,latency_ms=5,drop_every=100,lose_response_every_write=30,seed=7`"
)]
pub struct FaultSpecError {
    spec: String,
    reason: String,
}

impl FromStr for FaultConfig {
    type Err = FaultSpecError;

    /// Parses `key=value,key=value` with the field names of [`FaultConfig`].
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let err = |reason: String| FaultSpecError {
            spec: spec.to_string(),
            reason,
        };
        let mut config = FaultConfig::default();
        for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| err(format!("`{pair}` has no `=`")))?;
            let int = || {
                value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| err(format!("`{key}` needs a whole number, got `{value}`")))
            };
            match key.trim() {
                "seed" => config.seed = int()?,
                "burst_429_every" => config.burst_429_every = int()?,
                "burst_429_len" => config.burst_429_len = int()?,
                "error_5xx_every" => config.error_5xx_every = int()?,
                "error_5xx_rate" => {
                    config.error_5xx_rate = value
                        .trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|r| (0.0..=1.0).contains(r))
                        .ok_or_else(|| {
                            err(format!("`error_5xx_rate` needs 0.0..=1.0, got `{value}`"))
                        })?
                }
                "latency_ms" => config.latency_ms = int()?,
                "drop_every" => config.drop_every = int()?,
                "lose_response_every_write" => config.lose_response_every_write = int()?,
                "fail_reads_after_lost" => config.fail_reads_after_lost = int()?,
                other => return Err(err(format!("unknown key `{other}`"))),
            }
        }
        Ok(config)
    }
}

/// Whether a request changes state (for [`FaultConfig::lose_response_every_write`]): any method
/// but GET, HEAD and OPTIONS, except search calls (`POST .../search`), which only read.
pub(crate) fn is_write(method: &axum::http::Method, path: &str) -> bool {
    use axum::http::Method;
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) && !path.ends_with("/search")
}

/// The fault pipeline both servers run in front of their own: counts the request in `stats`,
/// adds the decided latency, then answers a decided 429 or 5xx in the server's own shape
/// (`too_many`, `server_error` with its status label), drops the connection, runs the request
/// and loses its answer, or simply runs it (`forward` is the rest of the server's pipeline).
pub(crate) async fn run_with_faults<F, Fut>(
    injector: &FaultInjector,
    stats: &crate::server::Stats,
    request: axum::extract::Request,
    forward: F,
    too_many: impl FnOnce() -> axum::response::Response,
    server_error: impl FnOnce() -> (axum::response::Response, &'static str),
) -> axum::response::Response
where
    F: FnOnce(axum::extract::Request) -> Fut,
    Fut: std::future::Future<Output = axum::response::Response>,
{
    use axum::extract::{ConnectInfo, MatchedPath};
    use axum::http::{HeaderValue, header};
    use axum::response::Response;

    let endpoint = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "(unmatched)".into())
    );
    let conn = request
        .extensions()
        .get::<ConnectInfo<crate::server::ConnKill>>()
        .cloned();
    let decision = injector.decide(is_write(request.method(), request.uri().path()));
    if decision.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(decision.latency_ms)).await;
    }
    let kill = || {
        if let Some(ConnectInfo(k)) = &conn {
            k.kill();
        }
    };
    let (mut response, outcome) = match decision.action {
        FaultAction::None => {
            let r = forward(request).await;
            let s = r.status().as_u16().to_string();
            (r, s)
        }
        FaultAction::TooManyRequests => (too_many(), "429".to_string()),
        FaultAction::ServerError => {
            let (r, label) = server_error();
            (r, label.to_string())
        }
        FaultAction::DropConnection => {
            kill();
            (Response::new(axum::body::Body::empty()), "dropped".into())
        }
        FaultAction::LoseResponse => {
            let _ = forward(request).await;
            kill();
            (Response::new(axum::body::Body::empty()), "lost".into())
        }
    };
    stats.record(endpoint, outcome);
    if matches!(
        decision.action,
        FaultAction::DropConnection | FaultAction::LoseResponse
    ) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Process normally.
    None,
    /// Answer 429 in the service's shape without processing.
    TooManyRequests,
    /// Answer a 5xx without processing.
    ServerError,
    /// Close the connection without processing or answering.
    DropConnection,
    /// Process (commit the write), then close the connection without answering.
    LoseResponse,
}

/// The decision for one request: an action and a latency to add first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultDecision {
    /// The action.
    pub action: FaultAction,
    /// Milliseconds to wait before acting.
    pub latency_ms: u64,
}

/// Counters and generator behind the fault decisions; one per server.
#[derive(Debug)]
pub(crate) struct FaultInjector {
    inner: Mutex<FaultState>,
}

#[derive(Debug)]
struct FaultState {
    config: FaultConfig,
    rng: SmallRng,
    requests: u64,
    writes: u64,
    burst_left: u64,
    /// Reads still to refuse after a lost write response.
    reads_to_fail: u64,
}

impl FaultInjector {
    pub(crate) fn new(config: FaultConfig) -> Self {
        Self {
            inner: Mutex::new(FaultState {
                rng: SmallRng::seed_from_u64(config.seed),
                config,
                requests: 0,
                writes: 0,
                burst_left: 0,
                reads_to_fail: 0,
            }),
        }
    }

    /// Replaces the configuration and restarts the counters and the generator.
    pub(crate) fn set(&self, config: FaultConfig) {
        if let Ok(mut state) = self.inner.lock() {
            *state = FaultState {
                rng: SmallRng::seed_from_u64(config.seed),
                config,
                requests: 0,
                writes: 0,
                burst_left: 0,
                reads_to_fail: 0,
            };
        }
    }

    pub(crate) fn config(&self) -> FaultConfig {
        self.inner
            .lock()
            .map(|s| s.config.clone())
            .unwrap_or_default()
    }

    /// Decides the fate of the next request.
    pub(crate) fn decide(&self, is_write: bool) -> FaultDecision {
        let Ok(mut s) = self.inner.lock() else {
            return FaultDecision {
                action: FaultAction::None,
                latency_ms: 0,
            };
        };
        s.requests += 1;
        if is_write {
            s.writes += 1;
        }
        let n = s.requests;
        let c = s.config.clone();
        let hits = |every: u64, count: u64| every > 0 && count % every == 0;
        if hits(c.burst_429_every, n) {
            s.burst_left = c.burst_429_len.max(1);
        }
        let action = if hits(c.drop_every, n) {
            FaultAction::DropConnection
        } else if s.burst_left > 0 {
            s.burst_left -= 1;
            FaultAction::TooManyRequests
        } else if hits(c.error_5xx_every, n)
            || (c.error_5xx_rate > 0.0 && s.rng.random_bool(c.error_5xx_rate.clamp(0.0, 1.0)))
        {
            FaultAction::ServerError
        } else if is_write && hits(c.lose_response_every_write, s.writes) {
            s.reads_to_fail = c.fail_reads_after_lost;
            FaultAction::LoseResponse
        } else if !is_write && s.reads_to_fail > 0 {
            s.reads_to_fail -= 1;
            FaultAction::ServerError
        } else {
            FaultAction::None
        };
        FaultDecision {
            action,
            latency_ms: c.latency_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spec_and_rejects_unknown_keys() {
        let c: FaultConfig = "burst_429_every=10,burst_429_len=3,error_5xx_rate=0.5,seed=9"
            .parse()
            .unwrap();
        assert_eq!(c.burst_429_every, 10);
        assert_eq!(c.burst_429_len, 3);
        assert_eq!(c.seed, 9);
        assert!("bogus=1".parse::<FaultConfig>().is_err());
        assert!("error_5xx_rate=2".parse::<FaultConfig>().is_err());
    }

    #[test]
    fn bursts_and_lost_writes_follow_counters() {
        let f = FaultInjector::new(FaultConfig {
            burst_429_every: 4,
            burst_429_len: 2,
            lose_response_every_write: 3,
            ..Default::default()
        });
        let actions: Vec<_> = (0..8).map(|_| f.decide(true).action).collect();
        use FaultAction::*;
        assert_eq!(
            actions,
            vec![
                None,
                None,
                LoseResponse,
                TooManyRequests,
                TooManyRequests,
                LoseResponse,
                None,
                TooManyRequests
            ]
        );
    }

    #[test]
    fn reads_after_a_lost_write_fail_as_many_times_as_configured() {
        let f = FaultInjector::new(FaultConfig {
            lose_response_every_write: 2,
            fail_reads_after_lost: 2,
            ..Default::default()
        });
        use FaultAction::*;
        let got = [
            f.decide(false).action, // a read before any loss
            f.decide(true).action,  // write 1
            f.decide(true).action,  // write 2: lost
            f.decide(false).action, // refused
            f.decide(true).action,  // writes are not refused
            f.decide(false).action, // refused
            f.decide(false).action, // answered again
        ];
        assert_eq!(
            got,
            [
                None,
                None,
                LoseResponse,
                ServerError,
                None,
                ServerError,
                None
            ]
        );
        let c: FaultConfig = "lose_response_every_write=1,fail_reads_after_lost=5"
            .parse()
            .unwrap();
        assert_eq!(c.fail_reads_after_lost, 5);
    }

    #[test]
    fn seeded_rate_is_deterministic() {
        let cfg = FaultConfig {
            error_5xx_rate: 0.3,
            seed: 42,
            ..Default::default()
        };
        let a: Vec<_> = {
            let f = FaultInjector::new(cfg.clone());
            (0..200).map(|_| f.decide(false).action).collect()
        };
        let f = FaultInjector::new(cfg);
        let b: Vec<_> = (0..200).map(|_| f.decide(false).action).collect();
        assert_eq!(a, b);
        let errors = a.iter().filter(|x| **x == FaultAction::ServerError).count();
        assert!((30..90).contains(&errors), "{errors}");
    }
}
