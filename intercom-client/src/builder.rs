//! [`ClientBuilder`]: tokens, region or base URL, version, timeouts, concurrency, pacing, the
//! workspace limit, retries.

use std::fmt;
use std::sync::{Arc, Mutex};

use rand::SeedableRng;
use rand::rngs::SmallRng;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use url::Url;

use crate::client::{Client, Inner, Lane};
use crate::clock::Clock;
use crate::config::{DEFAULT_API_VERSION, Region, Timeouts};
use crate::error::{Error, Result};
use crate::rate_limit::{PacingConfig, RateLimiter};
use crate::retry::RetryPolicy;
use crate::workspace::{Router, WorkspaceLimit, WorkspacePacer};

/// Builds a [`Client`].
pub struct ClientBuilder {
    tokens: Vec<SecretString>,
    base_url: Option<String>,
    region: Region,
    version: String,
    timeouts: Timeouts,
    max_concurrency: usize,
    pacing: PacingConfig,
    workspace: WorkspaceLimit,
    retry: RetryPolicy,
    clock_origin_unix: Option<f64>,
    seed: Option<u64>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("tokens", &format!("{} [redacted]", self.tokens.len()))
            .field("base_url", &self.base_url)
            .field("region", &self.region)
            .field("version", &self.version)
            .field("timeouts", &self.timeouts)
            .field("max_concurrency", &self.max_concurrency)
            .field("pacing", &self.pacing)
            .field("workspace", &self.workspace)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            tokens: Vec::new(),
            base_url: None,
            region: Region::Us,
            version: DEFAULT_API_VERSION.to_owned(),
            timeouts: Timeouts::default(),
            max_concurrency: 16,
            pacing: PacingConfig::default(),
            workspace: WorkspaceLimit::default(),
            retry: RetryPolicy::default(),
            clock_origin_unix: None,
            seed: None,
        }
    }
}

impl ClientBuilder {
    /// The access token (workspace token of a private app, or an OAuth token). Required (or
    /// [`ClientBuilder::access_tokens`]). Replaces the tokens given before.
    pub fn access_token(mut self, token: impl Into<SecretString>) -> Self {
        self.tokens = vec![token.into()];
        self
    }

    /// Several access tokens, one per app of the **same** workspace: each is paced under its
    /// own app limit, all together under [`ClientBuilder::workspace_limit`], and each object's
    /// requests stay on one token ([`crate::workspace`]). Check them with
    /// [`Client::check_tokens`] before a run. Replaces the tokens given before.
    pub fn access_tokens<T: Into<SecretString>>(
        mut self,
        tokens: impl IntoIterator<Item = T>,
    ) -> Self {
        self.tokens = tokens.into_iter().map(Into::into).collect();
        self
    }

    /// The workspace's limit and the share of it this client may use across all its tokens
    /// (default 80 % of 25,000/min). Applies only with more than one token.
    pub fn workspace_limit(mut self, limit: WorkspaceLimit) -> Self {
        self.workspace = limit;
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
        if self.tokens.is_empty() {
            return Err(Error::Config(
                "no access token: call ClientBuilder::access_token".into(),
            ));
        }
        let n = self.tokens.len();
        let mut auths = Vec::with_capacity(n);
        for (i, token) in self.tokens.iter().enumerate() {
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Error::Config(format!(
                        "access token {} of {n} contains characters a header cannot carry \
                         (a line break or a non-ASCII character?)",
                        i + 1
                    ))
                })?;
            auth.set_sensitive(true);
            auths.push(auth);
        }
        if n > 1 {
            self.workspace.check().map_err(Error::Config)?;
        }
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
        let lanes = auths
            .into_iter()
            .map(|auth| Lane {
                auth,
                limiter: RateLimiter::new(clock, self.pacing),
            })
            .collect();
        let workspace = (n > 1).then(|| (self.workspace, WorkspacePacer::new(self.workspace)));
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                lanes,
                workspace,
                router: Router::new(n),
                version: self.version,
                retry: self.retry,
                permits: Semaphore::new(self.max_concurrency),
                rng: Mutex::new(rng),
                retries: Default::default(),
            }),
        })
    }
}
