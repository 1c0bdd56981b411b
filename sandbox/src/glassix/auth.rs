//! `POST /token/get`, the bearer-token guard, the Starter refusal and the quotas.
//!
//! Assumptions (agreed with `glassix-client`): a token is tied to one department (apiKey = the
//! department id); wrong credentials → 401 `Invalid API key, secret or user name.`; an unknown or
//! expired token → 401 `Authorization has been denied for this request.`; Starter → 403 on
//! every endpoint; quota exceeded → 429 with an empty body (optionally `Retry-After`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::{STARTER_MESSAGE, Shared, Token, message};
use crate::snapshot::Tier;

/// The department a request's token belongs to (set by [`guard`]).
#[derive(Clone, Debug)]
pub(crate) struct Department(pub(crate) String);

fn too_many(shared: &Shared, retry_secs: i64) -> Response {
    let mut r = StatusCode::TOO_MANY_REQUESTS.into_response();
    if shared.config.retry_after {
        if let Ok(v) = header::HeaderValue::from_str(&retry_secs.max(1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}

/// Refuses Starter workspaces, checks the bearer token and counts the department's quota.
pub(crate) async fn guard(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let is_token = request.uri().path().ends_with("/token/get");
    {
        let Ok(mut s) = shared.state.lock() else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if s.tier == Tier::Starter {
            return message(StatusCode::FORBIDDEN, STARTER_MESSAGE);
        }
        if !is_token {
            let bearer = request
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .unwrap_or_default();
            let now = shared.clock.now_ms();
            let department = match s.tokens.get(bearer) {
                Some(t) if t.expires_ms > now => t.department.clone(),
                _ => {
                    return message(
                        StatusCode::UNAUTHORIZED,
                        "Authorization has been denied for this request.",
                    );
                }
            };
            if let Some(limits) = shared.limits(s.tier) {
                if let Err(retry) = s
                    .quotas
                    .entry(department.clone())
                    .or_default()
                    .take(now, limits)
                {
                    return too_many(&shared, retry);
                }
            }
            request.extensions_mut().insert(Department(department));
        }
    }
    next.run(request).await
}

/// `POST /token/get` with `{"apiKey","apiSecret","userName"}`.
pub(crate) async fn token_get(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(mut s) = shared.state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let now = shared.clock.now_ms();
    if let Err(retry) = s
        .token_counter
        .take(now, shared.config.token_requests_per_minute)
    {
        drop(s);
        return too_many(&shared, retry);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return message(StatusCode::BAD_REQUEST, super::INVALID);
    };
    // ASP.NET binds property names case-insensitively.
    let field = |name: &str| {
        body.as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (key, secret, user) = (field("apiKey"), field("apiSecret"), field("userName"));
    let department = s
        .snapshot
        .departments
        .iter()
        .find(|d| {
            d.id.eq_ignore_ascii_case(&key)
                && d.api_secret == secret
                && d.api_user_name.eq_ignore_ascii_case(&user)
        })
        .map(|d| d.id.to_ascii_lowercase());
    let Some(department) = department else {
        return message(
            StatusCode::UNAUTHORIZED,
            "Invalid API key, secret or user name.",
        );
    };
    s.tokens.retain(|_, t| t.expires_ms > now);
    s.sequence += 1;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{{\"dept\":\"{department}\",\"n\":{},\"iat\":{now}}}",
        s.sequence
    ));
    let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2FuZGJveA");
    s.tokens.insert(
        token.clone(),
        Token {
            department,
            expires_ms: now + shared.config.token_ttl_secs * 1000,
        },
    );
    axum::Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": shared.config.token_ttl_secs,
    }))
    .into_response()
}
