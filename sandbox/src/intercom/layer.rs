//! The request pipeline of every API call: stats, injected faults, bearer auth, the rate limit
//! (with `X-RateLimit-*` headers) and the `Intercom-Version` check.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::errors::body as error_body;
use super::rate_limit::RateHeaders;
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
    let peek = || RateHeaders {
        remaining: 0,
        ..shared.limiter.peek(shared.clock.now_ms())
    };
    crate::faults::run_with_faults(
        &shared.faults,
        &shared.stats,
        request,
        |r| authorized(&shared, r, next),
        || rate_limited(&shared, peek()),
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
