//! The fake Intercom (API 2.16): contacts, notes, tags, data and conversation attributes, ticket
//! types and states, tickets, conversations with parts, help center; Intercom's error shape,
//! per-app and per-workspace rate limits with `X-RateLimit-*` headers, bearer auth (one token per
//! app), `Intercom-Version`
//! validation, fault injection and inspection endpoints.

mod attributes;
mod contacts;
mod conversation_attributes;
mod conversations;
mod data_attributes;
mod email;
mod errors;
mod help_center;
mod layer;
pub mod model;
mod rate_limit;
mod render;
mod render_cache;
mod sandbox_parts;
mod search;
mod seed;
mod tags;
mod ticket_types;
mod tickets;
mod workspace;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

pub use model::IntercomState;
pub use rate_limit::RateLimitCounters;
pub use seed::IntercomSeed;

use crate::SandboxError;
use crate::clock::Clock;
use crate::faults::{FaultConfig, FaultInjector};
use crate::server::{self, RequestStats, Running, Stats};
use errors::{ApiError, body as error_body};
use rate_limit::RateLimiter;

/// The `Intercom-Version` values the fake accepts: the 2.16 description's enum (1.0 … 2.16).
/// `Preview` is not in that enum and is refused (the fake does not model Preview endpoints).
pub const ACCEPTED_VERSIONS: &[&str] = &[
    "1.0", "1.1", "1.2", "1.3", "1.4", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7",
    "2.8", "2.9", "2.10", "2.11", "2.12", "2.13", "2.14", "2.15", "2.16",
];

/// Settings of the fake Intercom.
#[derive(Clone, Debug)]
pub struct IntercomConfig {
    /// Address to bind; port 0 lets the OS choose.
    pub bind: SocketAddr,
    /// The access token clients must send as `Authorization: Bearer <token>` (the first app).
    pub token: String,
    /// Access tokens of further apps of the same workspace: each has its own `rate_limit`, all
    /// draw from `workspace_limit`.
    pub extra_tokens: Vec<String>,
    /// Tokens of an app of *another* workspace (to test a client's workspace check): `GET /me`
    /// answers with another workspace's `app`, every other request 401.
    pub other_workspace_tokens: Vec<String>,
    /// Requests admitted per window to each app (default 1,667: 10,000/min spread over
    /// 10-second windows).
    pub rate_limit: u32,
    /// Requests admitted per window across every app of the workspace (default `None`:
    /// 2.5 × `rate_limit`, Intercom's 25,000/min against 10,000/min per app).
    pub workspace_limit: Option<u32>,
    /// Window length in seconds (default 10).
    pub window_secs: u64,
    /// Delay before a new contact shows up in `POST /contacts/search` (default 0).
    pub searchable_delay_secs: i64,
    /// Parts returned by conversation and ticket reads (default 500, as Intercom).
    pub max_parts_returned: usize,
    /// Faults to inject.
    pub faults: FaultConfig,
    /// The clock every time rule reads.
    pub clock: Clock,
}

impl Default for IntercomConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: "sandbox-intercom-token".to_string(),
            extra_tokens: Vec::new(),
            other_workspace_tokens: Vec::new(),
            rate_limit: 1_667,
            workspace_limit: None,
            window_secs: 10,
            searchable_delay_secs: 0,
            max_parts_returned: 500,
            faults: FaultConfig::default(),
            clock: Clock::system(),
        }
    }
}

impl IntercomConfig {
    /// Sets the limit from a per-minute figure spread over `window_secs` windows, rounding up
    /// as Intercom does (1,000/min over 10 s → 167).
    pub fn with_per_minute(mut self, per_minute: u32, window_secs: u64) -> Self {
        let w = window_secs.clamp(1, 60);
        self.window_secs = w;
        self.rate_limit = ((u64::from(per_minute) * w).div_ceil(60)) as u32;
        self
    }

    /// The workspace's limit per window: `workspace_limit`, else 2.5 × `rate_limit` (rounded
    /// up).
    pub fn effective_workspace_limit(&self) -> u32 {
        self.workspace_limit.unwrap_or_else(|| {
            (u64::from(self.rate_limit) * 5)
                .div_ceil(2)
                .min(u64::from(u32::MAX)) as u32
        })
    }

    /// The app (0 = `token`, then `extra_tokens`) a bearer token belongs to.
    pub(crate) fn app_of(&self, token: &str) -> Option<usize> {
        std::iter::once(&self.token)
            .chain(&self.extra_tokens)
            .position(|t| t == token)
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: IntercomConfig,
    pub(crate) clock: Clock,
    pub(crate) ws: Mutex<IntercomState>,
    pub(crate) limiter: RateLimiter,
    pub(crate) faults: FaultInjector,
    pub(crate) stats: Stats,
}

impl Shared {
    pub(crate) fn lock(&self) -> Result<MutexGuard<'_, IntercomState>, ApiError> {
        self.ws.lock().map_err(|_| ApiError::internal())
    }
    pub(crate) fn now(&self) -> i64 {
        self.clock.unix()
    }
}

pub(crate) type St = State<Arc<Shared>>;

/// Entry point of the fake Intercom.
#[derive(Debug)]
pub struct FakeIntercom;

impl FakeIntercom {
    /// Starts the fake on `config.bind` with the read-only objects of `seed`.
    pub async fn start(
        seed: IntercomSeed,
        config: IntercomConfig,
    ) -> Result<FakeIntercomHandle, SandboxError> {
        if config.rate_limit == 0 || config.workspace_limit == Some(0) {
            return Err(SandboxError::Config(
                "intercom rate limits (per app and per workspace) must be at least 1 request \
                 per window"
                    .into(),
            ));
        }
        let listener = server::bind(config.bind).await?;
        let addr = axum::serve::Listener::local_addr(&listener).map_err(|e| SandboxError::Io {
            what: "reading the bound address".into(),
            source: e,
        })?;
        let state = seed.into_state(config.clock.unix());
        let shared = Arc::new(Shared {
            clock: config.clock.clone(),
            limiter: RateLimiter::new(
                config.rate_limit,
                config.effective_workspace_limit(),
                config.window_secs,
                1 + config.extra_tokens.len(),
            ),
            faults: FaultInjector::new(config.faults.clone()),
            config,
            ws: Mutex::new(state),
            stats: Stats::default(),
        });
        let running = server::serve(listener, router(shared.clone()))?;
        Ok(FakeIntercomHandle {
            url: format!("http://{addr}"),
            shared,
            running,
        })
    }
}

/// A running fake Intercom. Dropping it stops the server.
#[derive(Debug)]
pub struct FakeIntercomHandle {
    /// `http://127.0.0.1:PORT`, the base URL to give an Intercom client.
    pub url: String,
    shared: Arc<Shared>,
    running: Running,
}

impl FakeIntercomHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }
    /// The access token to use.
    pub fn token(&self) -> &str {
        &self.shared.config.token
    }
    /// The clock the server reads.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }
    /// A typed copy of the whole state.
    pub fn state(&self) -> IntercomState {
        self.shared.ws.lock().map(|s| s.clone()).unwrap_or_default()
    }
    /// The state as served at `GET /__sandbox/state`.
    pub fn state_json(&self) -> Value {
        state_json(&self.shared)
    }
    /// Every access token the workspace accepts (one per app, the first is [`Self::token`]).
    pub fn tokens(&self) -> Vec<String> {
        let c = &self.shared.config;
        std::iter::once(c.token.clone())
            .chain(c.extra_tokens.iter().cloned())
            .collect()
    }
    /// Counters of the per-app and per-workspace limits.
    pub fn rate_limit_counters(&self) -> RateLimitCounters {
        self.shared.limiter.counters()
    }
    /// Request counters.
    pub fn stats(&self) -> RequestStats {
        self.shared.stats.snapshot()
    }
    /// Replaces the fault configuration (same as `POST /__sandbox/faults`).
    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.faults.set(faults);
    }
    /// Stops the server (also done on drop).
    pub fn shutdown(mut self) {
        self.running.stop();
    }
}

impl Drop for FakeIntercomHandle {
    fn drop(&mut self) {
        self.running.stop();
    }
}

fn state_json(shared: &Shared) -> Value {
    let Ok(s) = shared.ws.lock() else {
        return Value::Null;
    };
    let values = |v: Value| match v {
        Value::Object(m) => Value::Array(m.into_iter().map(|(_, v)| v).collect()),
        other => other,
    };
    let mut out = serde_json::to_value(&*s).unwrap_or(Value::Null);
    drop(s);
    if let Some(o) = out.as_object_mut() {
        for key in [
            "contacts",
            "tags",
            "ticket_types",
            "conversations",
            "tickets",
            "collections",
            "articles",
        ] {
            if let Some(v) = o.remove(key) {
                o.insert(key.to_string(), values(v));
            }
        }
        o.insert(
            "stats".into(),
            serde_json::to_value(shared.stats.snapshot()).unwrap_or(Value::Null),
        );
        o.insert(
            "faults".into(),
            serde_json::to_value(shared.faults.config()).unwrap_or(Value::Null),
        );
        o.insert(
            "rate_limit".into(),
            json!({
                "limit": shared.limiter.limit(),
                "window_secs": shared.limiter.window_secs(),
                "apps": 1 + shared.config.extra_tokens.len(),
                "workspace_limit": shared.limiter.workspace_limit(),
                "counters": shared.limiter.counters(),
            }),
        );
    }
    out
}

fn not_found_route() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(error_body("not_found", "Resource Not Found", None)),
    )
        .into_response()
}

fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/me", get(workspace::me))
        .route("/admins", get(workspace::admins))
        .route("/admins/{id}", get(workspace::admin))
        .route("/teams", get(workspace::teams))
        .route("/teams/{id}", get(workspace::team))
        .route("/help_center/help_centers", get(workspace::help_centers))
        .route(
            "/help_center/help_centers/{id}",
            get(workspace::help_center),
        )
        .route(
            "/help_center/collections",
            get(help_center::list_collections).post(help_center::create_collection),
        )
        .route(
            "/help_center/collections/{id}",
            get(help_center::get_collection)
                .put(help_center::update_collection)
                .delete(help_center::delete_collection),
        )
        .route(
            "/articles",
            get(help_center::list_articles).post(help_center::create_article),
        )
        .route(
            "/articles/{id}",
            get(help_center::get_article)
                .put(help_center::update_article)
                .delete(help_center::delete_article),
        )
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/search", post(contacts::search))
        .route(
            "/contacts/find_by_external_id/{external_id}",
            get(contacts::find_by_external_id),
        )
        .route(
            "/contacts/{id}",
            get(contacts::get_one)
                .put(contacts::update)
                .delete(contacts::delete_one),
        )
        .route("/contacts/{id}/archive", post(contacts::archive))
        .route("/contacts/{id}/unarchive", post(contacts::unarchive))
        .route(
            "/contacts/{id}/notes",
            get(contacts::list_notes).post(contacts::create_note),
        )
        .route("/notes/{id}", get(contacts::get_note))
        .route(
            "/contacts/{id}/tags",
            get(tags::contact_tags).post(tags::tag_contact),
        )
        .route("/contacts/{id}/tags/{tag_id}", delete(tags::untag_contact))
        .route(
            "/data_attributes",
            get(data_attributes::list_data).post(data_attributes::create_data),
        )
        .route("/data_attributes/{id}", put(data_attributes::update_data))
        .route(
            "/conversations/attributes",
            get(conversation_attributes::list_conv).post(conversation_attributes::create_conv),
        )
        .route(
            "/conversations/attributes/{id}",
            get(conversation_attributes::get_conv)
                .put(conversation_attributes::update_conv)
                .delete(conversation_attributes::archive_conv),
        )
        .route(
            "/conversations/attributes/{id}/options",
            post(conversation_attributes::add_option),
        )
        .route(
            "/conversations/attributes/{id}/options/{option_id}",
            put(conversation_attributes::update_option)
                .delete(conversation_attributes::archive_option),
        )
        .route(
            "/conversations",
            get(conversations::list).post(conversations::create),
        )
        .route("/conversations/search", post(conversations::search))
        .route(
            "/conversations/{id}",
            get(conversations::get_one)
                .put(conversations::update)
                .delete(conversations::delete_one),
        )
        .route("/conversations/{id}/reply", post(conversations::reply))
        .route("/conversations/{id}/parts", post(conversations::manage))
        .route("/conversations/{id}/convert", post(tickets::convert))
        .route("/conversations/{id}/tags", post(tags::tag_conversation))
        .route(
            "/conversations/{id}/tags/{tag_id}",
            delete(tags::untag_conversation),
        )
        .route(
            "/ticket_types",
            get(ticket_types::list_types).post(ticket_types::create_type),
        )
        .route(
            "/ticket_types/{id}",
            get(ticket_types::get_type).put(ticket_types::update_type),
        )
        .route(
            "/ticket_types/{id}/attributes",
            post(ticket_types::create_type_attribute),
        )
        .route(
            "/ticket_types/{id}/attributes/{attribute_id}",
            put(ticket_types::update_type_attribute),
        )
        .route("/ticket_states", get(ticket_types::list_states))
        .route("/tickets", post(tickets::create))
        .route("/tickets/search", post(tickets::search))
        .route(
            "/tickets/{id}",
            get(tickets::get_one)
                .put(tickets::update)
                .delete(tickets::delete_one),
        )
        .route("/tickets/{id}/reply", post(tickets::reply))
        .route("/tickets/{id}/tags", post(tags::tag_ticket))
        .route("/tickets/{id}/tags/{tag_id}", delete(tags::untag_ticket))
        .route("/tags", get(tags::list).post(tags::create_or_update))
        .route("/tags/{id}", get(tags::get_one).delete(tags::delete_one))
        // Intercom answers 404 for unsupported methods and unknown paths.
        .method_not_allowed_fallback(|| async { not_found_route() })
        .fallback(|| async { not_found_route() })
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            layer::api_layer,
        ));
    let sandbox = Router::new()
        .route(
            "/__sandbox/state",
            get(|State(s): St| async move { axum::Json(state_json(&s)) }),
        )
        .route(
            "/__sandbox/stats",
            get(|State(s): St| async move { axum::Json(s.stats.snapshot()) }),
        )
        .route(
            "/__sandbox/faults",
            get(|State(s): St| async move { axum::Json(s.faults.config()) }).post(
                |State(s): St, axum::Json(f): axum::Json<FaultConfig>| async move {
                    s.faults.set(f.clone());
                    axum::Json(f)
                },
            ),
        )
        .route(
            "/__sandbox/intercom/parts/{part_id}",
            axum::routing::delete(sandbox_parts::delete_part),
        )
        .route(
            "/__sandbox/clock/advance",
            post(
                |State(s): St, axum::Json(b): axum::Json<Value>| async move {
                    s.clock
                        .advance_secs(b.get("seconds").and_then(Value::as_i64).unwrap_or(0));
                    axum::Json(json!({ "now": s.clock.unix() }))
                },
            ),
        );
    sandbox.merge(api).with_state(shared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_minute_budget_is_spread_over_windows_rounding_up() {
        assert_eq!(
            IntercomConfig::default()
                .with_per_minute(1_000, 10)
                .rate_limit,
            167
        );
        assert_eq!(
            IntercomConfig::default()
                .with_per_minute(10_000, 10)
                .rate_limit,
            1_667
        );
        assert_eq!(
            IntercomConfig::default()
                .with_per_minute(3_000, 1)
                .rate_limit,
            50
        );
    }
}
