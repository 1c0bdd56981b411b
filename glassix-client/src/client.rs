//! The client, its builder, and the per-department handle.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use url::Url;
use uuid::Uuid;

use crate::auth::TokenCache;
use crate::config::{Credentials, Quota, Tier};
use crate::error::{Error, Result};
use crate::retry::{Jitter, RetryPolicy};
use crate::throttle::{Adaptation, PaceStats, Pacer};

/// The API path prefix (agreement with the sandbox; the only version the SDKs know).
pub const API_PATH: &str = "/api/v1.2";

/// Default number of token requests allowed per minute per workspace (the documented figure).
pub const DEFAULT_TOKEN_REQUESTS_PER_MINUTE: u32 = 30;

/// Builder for [`Client`]; start with [`Client::builder`].
#[derive(Debug)]
pub struct ClientBuilder {
    workspace: Option<String>,
    base_url: Option<String>,
    departments: Vec<Credentials>,
    tier: Tier,
    quota: Option<Quota>,
    token_quota: Quota,
    timeout: Option<Duration>,
    download_timeout: Option<Duration>,
    connect_timeout: Duration,
    retry: RetryPolicy,
    adaptation: Adaptation,
    jitter_seed: Option<u64>,
    http: Option<reqwest::Client>,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            workspace: None,
            base_url: None,
            departments: Vec::new(),
            tier: Tier::Growth,
            quota: None,
            token_quota: Quota::per_minute(DEFAULT_TOKEN_REQUESTS_PER_MINUTE),
            timeout: Some(Duration::from_secs(60)),
            download_timeout: Some(Duration::from_secs(600)),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            adaptation: Adaptation::default(),
            jitter_seed: None,
            http: None,
            user_agent: concat!("glassix-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl ClientBuilder {
    /// The workspace (sub-domain) name: the base URL becomes
    /// `https://{workspace}.glassix.com/api/v1.2`.
    pub fn workspace(mut self, name: impl Into<String>) -> Self {
        self.workspace = Some(name.into());
        self
    }

    /// A full base URL such as `http://127.0.0.1:8080/api/v1.2` (sandboxes, test environments).
    /// It overrides [`ClientBuilder::workspace`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Add the credentials of one department (call once per department).
    pub fn department(mut self, credentials: Credentials) -> Self {
        self.departments.push(credentials);
        self
    }

    /// Add the credentials of several departments.
    pub fn departments(mut self, credentials: impl IntoIterator<Item = Credentials>) -> Self {
        self.departments.extend(credentials);
        self
    }

    /// The workspace's subscription tier (default [`Tier::Growth`], the smaller API quota).
    /// [`Tier::Starter`] makes [`ClientBuilder::build`] fail: that plan has no API.
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = tier;
        self
    }

    /// Override the tier's per-department quota.
    pub fn quota(mut self, quota: Quota) -> Self {
        self.quota = Some(quota);
        self
    }

    /// Override the workspace-wide limit of token requests per minute (default 30).
    pub fn token_requests_per_minute(mut self, per_minute: u32) -> Self {
        self.token_quota = Quota::per_minute(per_minute);
        self
    }

    /// Timeout of each HTTP request (default 60 s, as the C# SDK).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Timeout of each attachment download (default 10 minutes: files can be large).
    pub fn download_timeout(mut self, timeout: Duration) -> Self {
        self.download_timeout = Some(timeout);
        self
    }

    /// No timeout on API requests nor downloads (useful with a paused tokio clock in tests).
    pub fn no_timeout(mut self) -> Self {
        self.timeout = None;
        self.download_timeout = None;
        self
    }

    /// Connection timeout (default 10 s; ignored when [`ClientBuilder::http_client`] is used).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Retry policy for 429, 5xx and transport errors (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Longest time one call may take from its first send, retries and 429 waits included
    /// (default 15 minutes; sets [`RetryPolicy::time_budget`]). Call it after
    /// [`ClientBuilder::retry_policy`], which replaces the whole policy.
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.retry.time_budget = budget;
        self
    }

    /// How the pace adapts to 429s.
    pub fn adaptation(mut self, adaptation: Adaptation) -> Self {
        self.adaptation = adaptation;
        self
    }

    /// Seed the backoff jitter (deterministic tests).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }

    /// Use this `reqwest::Client` (proxies, custom TLS, pool settings).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Validate and build. Fails with [`Error::TierWithoutApi`] for the Starter tier (no request
    /// is sent) and with [`Error::Config`] for missing or invalid settings.
    pub fn build(self) -> Result<Client> {
        if !self.tier.has_api_access() {
            return Err(Error::TierWithoutApi { tier: self.tier });
        }
        let quota = self
            .quota
            .or_else(|| self.tier.default_quota())
            .ok_or(Error::TierWithoutApi { tier: self.tier })?;
        let base = match (&self.base_url, &self.workspace) {
            (Some(url), _) => parse_base_url(url)?,
            (None, Some(ws)) => workspace_url(ws)?,
            (None, None) => {
                return Err(Error::Config {
                    message: "set the workspace name (`.workspace(\"acme\")`) or a base URL \
                              (`.base_url(\"http://127.0.0.1:8080/api/v1.2\")`)"
                        .to_owned(),
                });
            }
        };
        if self.departments.is_empty() {
            return Err(Error::Config {
                message: "add the credentials of at least one department (`.department(...)`); \
                          they are under Settings → Developers → API keys"
                    .to_owned(),
            });
        }
        let mut order = Vec::new();
        let mut departments = HashMap::new();
        for creds in self.departments {
            let id = creds.api_key;
            if departments.contains_key(&id) {
                return Err(Error::Config {
                    message: format!("department {id} was added twice"),
                });
            }
            order.push(id);
            departments.insert(
                id,
                Arc::new(DeptState {
                    creds,
                    token: TokenCache::new(),
                    pacer: Pacer::new(quota, self.adaptation),
                    refusal: std::sync::Mutex::new(None),
                    listing: ListingCounters::default(),
                }),
            );
        }
        let http = match self.http {
            Some(c) => c,
            None => reqwest::Client::builder()
                .user_agent(self.user_agent)
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| Error::Config {
                    message: format!("could not create the HTTP client: {e}"),
                })?,
        };
        let base_str = base.as_str().trim_end_matches('/').to_owned();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                base_str,
                tier: self.tier,
                timeout: self.timeout,
                download_timeout: self.download_timeout,
                retry: self.retry,
                jitter: Jitter::new(self.jitter_seed),
                token_pacer: Pacer::new(self.token_quota, self.adaptation),
                departments,
                order,
                retries: Default::default(),
            }),
        })
    }
}

fn workspace_url(name: &str) -> Result<Url> {
    let name = name.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(Error::Config {
            message: format!(
                "workspace name `{name}` is not a valid sub-domain (letters, digits and hyphens); \
                 it is the `acme` of https://acme.glassix.com"
            ),
        });
    }
    parse_base_url(&format!("https://{name}.glassix.com{API_PATH}"))
}

fn parse_base_url(raw: &str) -> Result<Url> {
    let bad = |why: &str| Error::Config {
        message: format!(
            "base URL `{raw}` {why} (expected e.g. https://acme.glassix.com/api/v1.2)"
        ),
    };
    let url = Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    Ok(url)
}

/// What the whole client shares.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) base_str: String,
    pub(crate) tier: Tier,
    pub(crate) timeout: Option<Duration>,
    pub(crate) download_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) jitter: Jitter,
    /// The token endpoint's limiter, shared by all departments of the workspace.
    pub(crate) token_pacer: Pacer,
    pub(crate) departments: HashMap<Uuid, Arc<DeptState>>,
    pub(crate) order: Vec<Uuid>,
    /// Waits before calls were sent again.
    pub(crate) retries: crate::retry::RetryTally,
}

impl Inner {
    /// `{base}/{path}` as a URL.
    pub(crate) fn endpoint_url(&self, path: &str) -> Result<Url> {
        let raw = format!("{}/{}", self.base_str, path.trim_start_matches('/'));
        Url::parse(&raw).map_err(|e| Error::Config {
            message: format!("could not build the URL for `{path}`: {e}"),
        })
    }

    /// Whether `url` points at the configured API host (scheme, host and port).
    pub(crate) fn same_host(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// `scheme://host[:port]` of the configured base URL.
    pub(crate) fn host_label(&self) -> String {
        host_label(&self.base)
    }
}

/// `scheme://host[:port]` of a URL, for messages.
pub(crate) fn host_label(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", url.scheme()),
        (Some(h), None) => format!("{}://{h}", url.scheme()),
        _ => String::from("(no host)"),
    }
}

/// State of one department: its credentials, token and limiter.
#[derive(Debug)]
pub(crate) struct DeptState {
    pub(crate) creds: Credentials,
    pub(crate) token: TokenCache,
    pub(crate) pacer: Pacer,
    /// A 401/403 refusal of the credentials or of API access, remembered so that later calls
    /// fail at once instead of asking again (a plan or key does not change during a run).
    pub(crate) refusal: std::sync::Mutex<Option<Refusal>>,
    pub(crate) listing: ListingCounters,
}

/// A remembered refusal.
#[derive(Clone, Debug)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) message: String,
    pub(crate) endpoint: String,
}

impl DeptState {
    pub(crate) fn refusal(&self) -> Option<Refusal> {
        self.refusal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn remember_refusal(&self, refusal: Refusal) {
        *self.refusal.lock().unwrap_or_else(|e| e.into_inner()) = Some(refusal);
    }
}

/// A Glassix API client holding the credentials of one or more departments.
///
/// Cheap to clone (an `Arc` inside). Department-scoped calls go through [`Client::department`];
/// the most common ones also exist on the client with a department parameter.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_str)
            .field("tier", &self.inner.tier)
            .field("departments", &self.inner.order)
            .finish_non_exhaustive()
    }
}

/// Pace and counters of the whole client.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClientStats {
    /// Waits before calls were sent again (429s, server and transport errors), every
    /// department together.
    pub retries: crate::RetryStats,
    /// The token endpoint's limiter (workspace-wide).
    pub token: PaceStats,
    /// Tokens issued, over all departments.
    pub tokens_issued: u64,
    /// Each department's limiter, in the order the departments were added.
    pub departments: Vec<DepartmentStats>,
}

/// Pace and counters of one department.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DepartmentStats {
    /// The department.
    pub department: Uuid,
    /// Its limiter.
    pub pace: PaceStats,
    /// Tokens issued to it.
    pub tokens_issued: u64,
    /// What its ticket listings have done so far.
    pub listing: ListingStats,
}

/// Counters of the ticket listings of one department (all its streams together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ListingStats {
    /// Pages received.
    pub pages: u64,
    /// Tickets yielded (each id once per stream).
    pub tickets: u64,
    /// Listed tickets skipped because the stream had already yielded that id.
    pub duplicates: u64,
    /// Windows listed again from their start after a refused `paging.next`.
    pub relisted_windows: u64,
}

/// Atomic counters behind [`ListingStats`].
#[derive(Debug, Default)]
pub(crate) struct ListingCounters {
    pub(crate) pages: AtomicU64,
    pub(crate) tickets: AtomicU64,
    pub(crate) duplicates: AtomicU64,
    pub(crate) relisted_windows: AtomicU64,
}

impl ListingCounters {
    fn snapshot(&self) -> ListingStats {
        ListingStats {
            pages: self.pages.load(Ordering::Relaxed),
            tickets: self.tickets.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
            relisted_windows: self.relisted_windows.load(Ordering::Relaxed),
        }
    }
}

impl Client {
    /// Start building a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The API base URL in use (`…/api/v1.2`, no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_str
    }

    /// The configured tier.
    pub fn tier(&self) -> Tier {
        self.inner.tier
    }

    /// The departments the client has credentials for, in the order they were added.
    pub fn department_ids(&self) -> &[Uuid] {
        &self.inner.order
    }

    /// A handle for one department's calls.
    pub fn department(&self, id: Uuid) -> Result<Department> {
        let state = self
            .inner
            .departments
            .get(&id)
            .cloned()
            .ok_or(Error::UnknownDepartment { department: id })?;
        Ok(Department {
            inner: self.inner.clone(),
            state,
        })
    }

    /// Handles for every configured department.
    pub fn departments(&self) -> Vec<Department> {
        self.inner
            .order
            .iter()
            .filter_map(|id| self.inner.departments.get(id))
            .map(|state| Department {
                inner: self.inner.clone(),
                state: state.clone(),
            })
            .collect()
    }

    /// Current pace and counters of every limiter.
    pub fn stats(&self) -> ClientStats {
        let departments: Vec<DepartmentStats> =
            self.departments().iter().map(Department::stats).collect();
        ClientStats {
            retries: self.inner.retries.stats(),
            token: self.inner.token_pacer.stats(),
            tokens_issued: departments.iter().map(|d| d.tokens_issued).sum(),
            departments,
        }
    }
}

/// The calls of one department (its credentials, token and quota). Cheap to clone.
#[derive(Clone)]
pub struct Department {
    pub(crate) inner: Arc<Inner>,
    pub(crate) state: Arc<DeptState>,
}

impl fmt::Debug for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Department")
            .field("id", &self.state.creds.api_key)
            .field("user_name", &self.state.creds.user_name)
            .finish_non_exhaustive()
    }
}

impl Department {
    /// The department id (its API key).
    pub fn id(&self) -> Uuid {
        self.state.creds.api_key
    }

    /// How long this key's quota holds back `requests` more requests sent now (zero while it
    /// has room): the requests this process and, once [`Client::continue_quota_usage`] has
    /// seeded it, the previous command sent count against the same minute and hour. A caller
    /// that gives a request a deadline adds this to it.
    pub fn quota_wait(&self, requests: u64) -> Duration {
        self.state.pacer.wait_for(requests)
    }

    /// The pace and counters of this department's limiter.
    pub fn stats(&self) -> DepartmentStats {
        DepartmentStats {
            department: self.id(),
            pace: self.state.pacer.stats(),
            tokens_issued: self.state.token.issued(),
            listing: self.state.listing.snapshot(),
        }
    }
}
