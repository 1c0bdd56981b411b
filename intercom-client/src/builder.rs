//! [`ClientBuilder`]: token, region or base URL, version, timeouts, concurrency, pacing, retries.

use std::fmt;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use reqwest::header::HeaderValue;
use secrecy::SecretString;
use tokio::sync::Semaphore;
use url::Url;

use crate::client::{Client, Inner};
use crate::clock::Clock;
use crate::config::{DEFAULT_API_VERSION, Region, Timeouts};
use crate::error::{Error, Result};
use crate::rate_limit::{PacingConfig, RateLimiter};
use crate::retry::RetryPolicy;

/// Builds a [`Client`].
pub struct ClientBuilder {
    token: Option<SecretString>,
    base_url: Option<String>,
    region: Region,
    version: String,
    timeouts: Timeouts,
    max_concurrency: usize,
    pacing: PacingConfig,
    retry: RetryPolicy,
    clock_origin_unix: Option<f64>,
    seed: Option<u64>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url)
            .field("region", &self.region)
            .field("version", &self.version)
            .field("timeouts", &self.timeouts)
            .field("max_concurrency", &self.max_concurrency)
            .field("pacing", &self.pacing)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            token: None,
            base_url: None,
            region: Region::Us,
            version: DEFAULT_API_VERSION.to_owned(),
            timeouts: Timeouts::default(),
            max_concurrency: 16,
            pacing: PacingConfig::default(),
            retry: RetryPolicy::default(),
            clock_origin_unix: None,
            seed: None,
        }
    }
}

impl ClientBuilder {
    /// The access token (workspace token of a private app, or an OAuth token). Required.
    pub fn access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The workspace's region (US by default). Ignored when [`ClientBuilder::base_url`] is set.
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// A base URL overriding the region's host, e.g. a sandbox on loopback
    /// (`http://127.0.0.1:4010`). A path prefix is kept.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The `Intercom-Version` header value (default `2.16`).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Timeouts for each attempt.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The most requests in flight at once (default 16, at least 1).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }

    /// Pacing settings (default budget before the first response, safety margin, …).
    pub fn pacing(mut self, pacing: PacingConfig) -> Self {
        self.pacing = pacing;
        self
    }

    /// Retry settings (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Longest time one call may take from its first send, retries and 429 waits included
    /// (default 5 minutes; sets [`RetryPolicy::time_budget`]). Call it after
    /// [`ClientBuilder::retry_policy`], which replaces the whole policy.
    pub fn time_budget(mut self, budget: std::time::Duration) -> Self {
        self.retry.time_budget = budget;
        self
    }

    /// Seeds the jitter generator (for reproducible tests); random by default.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The Unix time (seconds) at which the client's monotonic clock starts. `X-RateLimit-Reset`
    /// is converted with it. Only for simulations and tests on paused time; the system clock is
    /// read by default.
    pub fn clock_origin_unix(mut self, unix_seconds: f64) -> Self {
        self.clock_origin_unix = Some(unix_seconds);
        self
    }

    /// Builds the client. Fails when the token is missing or the base URL is not a valid
    /// `http(s)` URL.
    pub fn build(self) -> Result<Client> {
        let token = self.token.ok_or_else(|| {
            Error::Config("no access token: call ClientBuilder::access_token".into())
        })?;
        let raw = self
            .base_url
            .unwrap_or_else(|| self.region.base_url().to_owned());
        let base = Url::parse(&raw)
            .map_err(|e| Error::Config(format!("base URL {raw:?} is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::Config(format!(
                "base URL {raw:?} must be an http(s) URL"
            )));
        }
        HeaderValue::from_str(&self.version).map_err(|_| {
            Error::Config(format!(
                "Intercom-Version {:?} is not a valid header",
                self.version
            ))
        })?;
        let mut http = reqwest::Client::builder().user_agent(concat!(
            "glassix-to-intercom/intercom-client/",
            env!("CARGO_PKG_VERSION")
        ));
        if let Some(t) = self.timeouts.request {
            http = http.timeout(t);
        }
        if let Some(t) = self.timeouts.connect {
            http = http.connect_timeout(t);
        }
        http = http.pool_idle_timeout(self.timeouts.pool_idle);
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        let rng = match self.seed {
            Some(s) => SmallRng::seed_from_u64(s),
            None => SmallRng::from_rng(&mut rand::rng()),
        };
        let clock = Clock::new(self.clock_origin_unix);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                token,
                version: self.version,
                limiter: RateLimiter::new(clock, self.pacing),
                retry: self.retry,
                permits: Semaphore::new(self.max_concurrency),
                rng: Mutex::new(rng),
            }),
        })
    }
}
