//! The request pipeline of every API call: stats, injected faults, bearer auth, the rate limit
//! (with `X-RateLimit-*` headers) and the `Intercom-Version` check.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::errors::body as error_body;
use super::rate_limit::{RateHeaders, Refused};
use super::{ACCEPTED_VERSIONS, Shared, St};

fn with_rate_headers(mut r: Response, h: RateHeaders) -> Response {
    let headers = r.headers_mut();
    for (name, value) in [
        ("x-ratelimit-limit", h.limit.to_string()),
        ("x-ratelimit-remaining", h.remaining.to_string()),
        ("x-ratelimit-reset", h.reset.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    r
}

/// A 429 of a spent window. For the app's limit Intercom documents the answer: `Exceeded rate
/// limit of {limit} in {window}_seconds` and the app's headers with `Remaining: 0`. For the
/// workspace's limit nothing is documented (the reference gives the figure, not the answer):
/// the fake answers the same error code with the workspace's figure in the message and the
/// **app's** headers (the only ones Intercom describes), whose `Remaining` is then above 0 when
/// the app itself still has room. Unsure: the real service might send `Remaining: 0` there.
fn rate_limited(shared: &Shared, h: RateHeaders, refused: Refused) -> Response {
    let limit = match refused {
        Refused::App => shared.limiter.limit(),
        Refused::Workspace => shared.limiter.workspace_limit(),
    };
    let message = format!(
        "Exceeded rate limit of {limit} in {}_seconds",
        shared.limiter.window_secs()
    );
    let body = json!({ "type": "error.list", "errors": [{ "code": "rate_limit_exceeded", "message": message }] });
    with_rate_headers(
        (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response(),
        h,
    )
}

fn bearer(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Stats, faults, bearer auth, `Intercom-Version` and the rate limit, for every API request.
///
/// An injected 429 (a burst of the fault profile) stands for a throttle that is not the app's
/// window (another limit, e.g. the workspace's spent by other integrations): it carries the
/// app's true headers, so `Remaining` shows the room the app still has (none for a token the
/// workspace does not know).
pub(crate) async fn api_layer(State(shared): St, request: Request, next: Next) -> Response {
    let app = bearer(&request).and_then(|t| shared.config.app_of(t));
    let injected = |shared: &Shared| {
        let body = json!({ "type": "error.list", "errors": [{ "code": "rate_limit_exceeded",
            "message": "Too many requests (injected burst)" }] });
        let r = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        match app {
            Some(app) => with_rate_headers(r, shared.limiter.peek(app, shared.clock.now_ms())),
            None => r,
        }
    };
    crate::faults::run_with_faults(
        &shared.faults,
        &shared.stats,
        request,
        |r| authorized(&shared, app, r, next),
        || injected(&shared),
        || {
            (
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(error_body(
                        "server_error",
                        "Internal server error (injected)",
                        None,
                    )),
                )
                    .into_response(),
                "500",
            )
        },
    )
    .await
}

async fn authorized(shared: &Shared, app: Option<usize>, request: Request, next: Next) -> Response {
    let Some(app) = app else {
        if bearer(&request)
            .is_some_and(|t| shared.config.other_workspace_tokens.iter().any(|o| o == t))
            && request.uri().path() == "/me"
            && request.method() == axum::http::Method::GET
        {
            return other_workspace_me();
        }
        // Invalid credentials: no rate-limit headers.
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(error_body("unauthorized", "Access Token Invalid", None)),
        )
            .into_response();
    };
    let headers = match shared.limiter.check(app, shared.clock.now_ms()) {
        Ok(h) => h,
        Err((h, refused)) => return rate_limited(shared, h, refused),
    };
    if let Some(v) = request.headers().get("intercom-version") {
        let v = v.to_str().unwrap_or_default().trim();
        if !ACCEPTED_VERSIONS.contains(&v) {
            let msg = format!(
                "Requested version '{v}' is not valid. Use one of 1.0 … 2.16 (the sandbox models 2.16)."
            );
            return with_rate_headers(
                (
                    StatusCode::BAD_REQUEST,
                    axum::Json(error_body("intercom_version_invalid", &msg, None)),
                )
                    .into_response(),
                headers,
            );
        }
    }
    with_rate_headers(next.run(request).await, headers)
}

/// `GET /me` of a token of another workspace (see `IntercomConfig::other_workspace_tokens`).
fn other_workspace_me() -> Response {
    let body = json!({
        "type": "admin", "id": "9900001", "name": "Other Workspace Admin",
        "email": "admin@other-workspace.example", "email_verified": true,
        "avatar": { "type": "avatar" },
        "app": { "type": "app", "id_code": "otherws1", "name": "Another Workspace",
            "created_at": 1_672_928_359, "secure": false, "identity_verification": false,
            "timezone": "Etc/UTC", "region": "US" },
    });
    (StatusCode::OK, axum::Json(body)).into_response()
}
