//! The request pipeline of every API call: stats, injected faults, bearer auth, the rate limit
//! (with `X-RateLimit-*` headers) and the `Intercom-Version` check.

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::errors::body as error_body;
use super::rate_limit::RateHeaders;
use super::{ACCEPTED_VERSIONS, Shared, St};
use crate::faults::FaultAction;
use crate::server::ConnKill;

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

fn rate_limited(shared: &Shared, h: RateHeaders) -> Response {
    let message = format!(
        "Exceeded rate limit of {} in {}_seconds",
        shared.limiter.limit(),
        shared.limiter.window_secs()
    );
    let body = json!({ "type": "error.list", "errors": [{ "code": "rate_limit_exceeded", "message": message }] });
    with_rate_headers(
        (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response(),
        h,
    )
}

/// Stats, faults, bearer auth, `Intercom-Version` and the rate limit, for every API request.
pub(crate) async fn api_layer(State(shared): St, request: Request, next: Next) -> Response {
    let endpoint = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "(unmatched)".into())
    );
    let conn = request.extensions().get::<ConnectInfo<ConnKill>>().cloned();
    let is_write = crate::faults::is_write(request.method(), request.uri().path());
    let decision = shared.faults.decide(is_write);
    if decision.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(decision.latency_ms)).await;
    }
    let kill = || {
        if let Some(ConnectInfo(k)) = &conn {
            k.kill();
        }
    };
    let (response, outcome) = match decision.action {
        FaultAction::None => {
            let r = authorized(&shared, request, next).await;
            let s = r.status().as_u16().to_string();
            (r, s)
        }
        FaultAction::TooManyRequests => (
            rate_limited(
                &shared,
                RateHeaders {
                    remaining: 0,
                    ..shared.limiter.peek(shared.clock.now_ms())
                },
            ),
            "429".into(),
        ),
        FaultAction::ServerError => (
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(error_body(
                    "server_error",
                    "Internal server error (injected)",
                    None,
                )),
            )
                .into_response(),
            "500".into(),
        ),
        FaultAction::DropConnection => {
            kill();
            (Response::new(Body::empty()), "dropped".into())
        }
        FaultAction::LoseResponse => {
            let _ = authorized(&shared, request, next).await;
            kill();
            (Response::new(Body::empty()), "lost".into())
        }
    };
    shared.stats.record(endpoint, outcome);
    let mut response = response;
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

async fn authorized(shared: &Shared, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if token != Some(shared.config.token.as_str()) {
        // Invalid credentials: no rate-limit headers.
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(error_body("unauthorized", "Access Token Invalid", None)),
        )
            .into_response();
    }
    let headers = match shared.limiter.check(shared.clock.now_ms()) {
        Ok(h) => h,
        Err(h) => return rate_limited(shared, h),
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
