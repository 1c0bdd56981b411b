//! The fake Glassix: `POST /token/get`, ticket listing by time window with expiring page tokens,
//! ticket get with transactions, users, contacts, tags, canned replies, attachment downloads
//! behind expiring links, tiers with per-minute/per-hour quotas, Glassix-shaped errors, fault
//! injection and inspection endpoints.
//!
//! Base URL: `http://127.0.0.1:PORT/api/v1.2` (assumption agreed with `glassix-client`).

mod auth;
mod catalog;
mod files;
mod limits;
mod mutate;
mod tickets;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use limits::TierLimits;
pub use mutate::{Mutation, MutationError};

use crate::SandboxError;
use crate::clock::Clock;
use crate::faults::{FaultConfig, FaultInjector};
use crate::server::{self, RequestStats, Running, Stats};
use crate::snapshot::{GlassixSnapshot, SnapshotFile, Tier, parse_glassix_time};

/// Settings of the fake Glassix. Every limit and lifetime can be shortened so demos and tests run
/// fast.
#[derive(Clone, Debug)]
pub struct GlassixConfig {
    /// Address to bind; port 0 lets the OS choose.
    pub bind: SocketAddr,
    /// Overrides the snapshot's tier.
    pub tier: Option<Tier>,
    /// Overrides the tier's default per-department quota.
    pub limits: Option<TierLimits>,
    /// Token requests allowed per minute per workspace (default 30).
    pub token_requests_per_minute: u32,
    /// Access-token lifetime in seconds (default 10,800 = 3 h).
    pub token_ttl_secs: i64,
    /// Page-token lifetime in seconds (default 86,400 = 24 h).
    pub page_token_ttl_secs: i64,
    /// Attachment-link lifetime in seconds (default 21,600 = 6 h).
    pub link_ttl_secs: i64,
    /// Tickets per list page (default 100, Glassix's documented maximum).
    pub page_size: usize,
    /// Add `Retry-After: <secs>` to quota 429s (default off: the fixture shows none).
    pub retry_after: bool,
    /// Faults to inject.
    pub faults: FaultConfig,
    /// The clock every time rule reads.
    pub clock: Clock,
}

impl Default for GlassixConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            tier: None,
            limits: None,
            token_requests_per_minute: 30,
            token_ttl_secs: 10_800,
            page_token_ttl_secs: 86_400,
            link_ttl_secs: 21_600,
            page_size: 100,
            retry_after: false,
            faults: FaultConfig::default(),
            clock: Clock::system(),
        }
    }
}

/// Credentials of one department, as a client passes them to `POST /token/get`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GlassixCredential {
    /// Department name (informational).
    pub department_name: String,
    /// `apiKey` (the department id).
    pub api_key: String,
    /// `apiSecret`.
    pub api_secret: String,
    /// `userName`.
    pub user_name: String,
}

#[derive(Debug)]
pub(crate) struct Token {
    pub(crate) department: String,
    pub(crate) expires_ms: i64,
}

#[derive(Debug)]
pub(crate) struct PageSet {
    pub(crate) department: String,
    pub(crate) ids: Vec<i64>,
    pub(crate) created_ms: i64,
}

/// Indexed ticket: its wire JSON and the times the list filters on.
#[derive(Debug)]
pub(crate) struct StoredTicket {
    pub(crate) department: String,
    pub(crate) open_ms: i64,
    pub(crate) times_ms: Vec<i64>,
    pub(crate) state: String,
    pub(crate) json: Value,
}

#[derive(Debug)]
pub(crate) struct GlassixState {
    pub(crate) snapshot: GlassixSnapshot,
    pub(crate) tier: Tier,
    pub(crate) tickets: BTreeMap<i64, StoredTicket>,
    pub(crate) contacts: HashMap<String, Value>,
    pub(crate) files: BTreeMap<String, SnapshotFile>,
    pub(crate) file_names: HashMap<String, String>,
    pub(crate) tokens: HashMap<String, Token>,
    pub(crate) pages: HashMap<String, PageSet>,
    pub(crate) quotas: HashMap<String, limits::Windows>,
    pub(crate) token_counter: limits::MinuteCounter,
    pub(crate) sequence: u64,
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: GlassixConfig,
    pub(crate) clock: Clock,
    pub(crate) server_url: String,
    pub(crate) state: Mutex<GlassixState>,
    pub(crate) faults: FaultInjector,
    pub(crate) stats: Stats,
    /// Where the exports are written (the knowledge-base mutation writes them again).
    pub(crate) exports_dir: Mutex<Option<std::path::PathBuf>>,
}

impl Shared {
    pub(crate) fn api_base(&self) -> String {
        format!("{}/api/v1.2", self.server_url)
    }
    fn limits(&self, tier: Tier) -> Option<TierLimits> {
        TierLimits::for_tier(tier).map(|d| self.config.limits.unwrap_or(d))
    }
}

/// A Glassix error body `{"Message": ...}`.
pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "Message": text }))).into_response()
}

pub(crate) const STARTER_MESSAGE: &str =
    "API access is not available on the Starter plan. Upgrade to Growth or Enterprise.";
pub(crate) const INVALID: &str = "The request is invalid.";

/// Entry point of the fake Glassix.
#[derive(Debug)]
pub struct FakeGlassix;

impl FakeGlassix {
    /// Starts the fake on `config.bind`, seeded from `snapshot`.
    pub async fn start(
        snapshot: GlassixSnapshot,
        config: GlassixConfig,
    ) -> Result<FakeGlassixHandle, SandboxError> {
        snapshot.validate()?;
        let listener = server::bind(config.bind).await?;
        let addr = axum::serve::Listener::local_addr(&listener).map_err(|e| SandboxError::Io {
            what: "reading the bound address".into(),
            source: e,
        })?;
        let server_url = format!("http://{addr}");
        let state = GlassixState::load(snapshot, config.tier);
        let shared = Arc::new(Shared {
            clock: config.clock.clone(),
            faults: FaultInjector::new(config.faults.clone()),
            config,
            server_url: server_url.clone(),
            state: Mutex::new(state),
            stats: Stats::default(),
            exports_dir: Mutex::new(None),
        });
        let running = server::serve(listener, router(shared.clone()))?;
        Ok(FakeGlassixHandle {
            base_url: format!("{server_url}/api/v1.2"),
            server_url,
            shared,
            running,
        })
    }
}

impl GlassixState {
    fn load(snapshot: GlassixSnapshot, tier: Option<Tier>) -> Self {
        let mut tickets = BTreeMap::new();
        let mut file_names = HashMap::new();
        for t in &snapshot.tickets {
            let Some(id) = t.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let time = |k: &str| {
                t.get(k)
                    .and_then(Value::as_str)
                    .and_then(parse_glassix_time)
                    .map(|d| d.timestamp_millis())
            };
            let open_ms = time("open").unwrap_or_default();
            let times_ms = ["open", "close", "lastActivity"]
                .iter()
                .filter_map(|k| time(k))
                .collect();
            for tr in t
                .get("transactions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                for a in tr
                    .get("attachments")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = a
                        .get("originalFileName")
                        .and_then(Value::as_str)
                        .unwrap_or("file");
                    if let Some(f) = a.get("fileIdentifier").and_then(Value::as_str) {
                        file_names.insert(f.to_string(), name.to_string());
                    }
                    for th in a
                        .get("thumbnailsFileIdentifiers")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(th) = th.as_str() {
                            file_names.insert(th.to_string(), format!("thumbnail_{name}"));
                        }
                    }
                }
            }
            tickets.insert(
                id,
                StoredTicket {
                    department: t
                        .get("departmentId")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_ascii_lowercase(),
                    open_ms,
                    times_ms,
                    state: t
                        .get("state")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    json: t.clone(),
                },
            );
        }
        let contacts = snapshot
            .contacts
            .iter()
            .filter_map(|c| Some((c.get("id")?.as_str()?.to_ascii_lowercase(), c.clone())))
            .collect();
        Self {
            tier: tier.unwrap_or(snapshot.tier),
            files: snapshot.files.clone(),
            snapshot,
            tickets,
            contacts,
            file_names,
            tokens: HashMap::new(),
            pages: HashMap::new(),
            quotas: HashMap::new(),
            token_counter: Default::default(),
            sequence: 0,
        }
    }
}

/// A running fake Glassix. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeGlassixHandle {
    /// `http://127.0.0.1:PORT`
    pub server_url: String,
    /// `http://127.0.0.1:PORT/api/v1.2`, the base URL to give a Glassix client.
    pub base_url: String,
    shared: Arc<Shared>,
    running: Running,
}

impl FakeGlassixHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }
    /// The clock the server reads (advance it to expire tokens, page tokens and links).
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }
    /// One credential per department.
    pub fn credentials(&self) -> Vec<GlassixCredential> {
        self.shared
            .state
            .lock()
            .map(|s| {
                s.snapshot
                    .departments
                    .iter()
                    .map(|d| GlassixCredential {
                        department_name: d.name.clone(),
                        api_key: d.id.clone(),
                        api_secret: d.api_secret.clone(),
                        user_name: d.api_user_name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Replaces the fault configuration (same as `POST /__sandbox/faults`).
    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.faults.set(faults);
    }
    /// Applies a change to the workspace as an agent would make it in Glassix (same as the
    /// `POST /__sandbox/glassix/...` routes); returns the changed record's JSON.
    pub fn mutate(&self, m: Mutation) -> Result<Value, MutationError> {
        mutate::run(&self.shared, m)
    }
    /// The folder the exports are written to, so that a knowledge-base change rewrites them.
    pub fn set_exports_dir(&self, dir: Option<std::path::PathBuf>) {
        match self.shared.exports_dir.lock() {
            Ok(mut d) => *d = dir,
            Err(e) => *e.into_inner() = dir,
        }
    }
    /// Request counters.
    pub fn stats(&self) -> RequestStats {
        self.shared.stats.snapshot()
    }
    /// The workspace being served, with the changes made through [`FakeGlassixHandle::mutate`].
    pub fn snapshot(&self) -> Option<GlassixSnapshot> {
        self.shared.state.lock().ok().map(|s| s.snapshot.clone())
    }
    /// The effective tier.
    pub fn tier(&self) -> Option<Tier> {
        self.shared.state.lock().ok().map(|s| s.tier)
    }
    /// The state as served at `GET /__sandbox/state`.
    pub fn state_json(&self) -> Value {
        state_json(&self.shared)
    }
    /// Stops the server (also done on drop).
    pub fn shutdown(mut self) {
        self.running.stop();
    }
}

impl Drop for FakeGlassixHandle {
    fn drop(&mut self) {
        self.running.stop();
    }
}

fn state_json(shared: &Shared) -> Value {
    let Ok(s) = shared.state.lock() else {
        return Value::Null;
    };
    let now = shared.clock.now_ms();
    json!({
        "tier": s.tier,
        "limits": shared.limits(s.tier),
        "snapshot": s.snapshot,
        "live_tokens": s.tokens.values().filter(|t| t.expires_ms > now).count(),
        "page_sets": s.pages.len(),
        "faults": shared.faults.config(),
        "stats": shared.stats.snapshot(),
    })
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/token/get", post(auth::token_get))
        .route("/tickets/list", get(tickets::list))
        .route("/tickets/get/{id}", get(tickets::get_ticket))
        .route("/users/allusers", get(catalog::users))
        .route("/contacts/get/{id}", get(catalog::contact))
        .route("/tenants/gettags", get(catalog::tags))
        .route("/cannedreplies/getall", get(catalog::canned_replies))
        .route_layer(middleware::from_fn_with_state(shared.clone(), auth::guard));
    Router::new()
        .nest("/api/v1.2", api)
        .route("/__files/{file}", get(files::download))
        .layer(middleware::from_fn_with_state(shared.clone(), faults_layer))
        .route(
            "/__sandbox/state",
            get(|State(s): State<Arc<Shared>>| async move { axum::Json(state_json(&s)) }),
        )
        .route(
            "/__sandbox/stats",
            get(|State(s): State<Arc<Shared>>| async move { axum::Json(s.stats.snapshot()) }),
        )
        .route(
            "/__sandbox/faults",
            get(|State(s): State<Arc<Shared>>| async move { axum::Json(s.faults.config()) }).post(
                |State(s): State<Arc<Shared>>, axum::Json(f): axum::Json<FaultConfig>| async move {
                    s.faults.set(f.clone());
                    axum::Json(f)
                },
            ),
        )
        .route("/__sandbox/glassix/tickets/{id}/{op}", post(mutate::ticket))
        .route("/__sandbox/glassix/tickets", post(mutate::add_ticket))
        .route("/__sandbox/glassix/contacts/{id}", post(mutate::contact))
        .route("/__sandbox/glassix/kb/articles/{id}", post(mutate::article))
        .route(
            "/__sandbox/clock/advance",
            post(
                |State(s): State<Arc<Shared>>, axum::Json(b): axum::Json<AdvanceBody>| async move {
                    s.clock.advance_secs(b.seconds);
                    axum::Json(json!({ "now": s.clock.now().to_rfc3339() }))
                },
            ),
        )
        .fallback(|| async {
            message(
                StatusCode::NOT_FOUND,
                "No HTTP resource was found that matches the request URI.",
            )
        })
        .with_state(shared)
}

/// Body of `POST /__sandbox/clock/advance`.
#[derive(Debug, Deserialize)]
struct AdvanceBody {
    seconds: i64,
}

/// Stats, latency and faults for every non-sandbox request.
async fn faults_layer(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    crate::faults::run_with_faults(
        &shared.faults,
        &shared.stats,
        request,
        |r| next.run(r),
        || StatusCode::TOO_MANY_REQUESTS.into_response(),
        || {
            (
                message(StatusCode::SERVICE_UNAVAILABLE, "An error has occurred."),
                "503",
            )
        },
    )
    .await
}
