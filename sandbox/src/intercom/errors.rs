//! Intercom's error body: `{"type":"error.list","request_id":...,"errors":[{"code","message","field"}]}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An Intercom API error.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }
    pub(crate) fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parameter_invalid", message)
    }
    pub(crate) fn missing(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "parameter_not_found",
            format!("{field} is a required parameter."),
        )
        .field(field)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub(crate) fn user_not_found() -> Self {
        Self::not_found("User Not Found")
    }
    pub(crate) fn resource_not_found() -> Self {
        Self::not_found("Resource Not Found")
    }
    pub(crate) fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Internal server error",
        )
    }
}

/// Builds the JSON body of an error list.
pub(crate) fn body(code: &str, message: &str, field: Option<&str>) -> Value {
    let mut e = json!({ "code": code, "message": message });
    if let Some(f) = field {
        e["field"] = Value::String(f.to_string());
    }
    json!({
        "type": "error.list",
        "request_id": uuid::Uuid::new_v4().to_string(),
        "errors": [e],
    })
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(body(self.code, &self.message, self.field.as_deref())),
        )
            .into_response()
    }
}

/// Result of a handler.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// Parses a JSON object body (an empty body counts as `{}`).
pub(crate) fn parse_body(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::bad("The request body must be a JSON object")),
        Err(e) => Err(ApiError::bad(format!(
            "Request body is not valid JSON: {e}"
        ))),
    }
}

/// `200` with a JSON body.
pub(crate) fn ok(v: Value) -> ApiResult {
    Ok(axum::Json(v).into_response())
}

/// `200` with a JSON body already serialised (the `Content-Type` [`ok`] sends).
pub(crate) fn ok_json_bytes(json: Vec<u8>) -> ApiResult {
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response())
}
