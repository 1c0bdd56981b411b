//! The crate's single error type and the decoded Intercom error body.

use serde::Deserialize;

use crate::lenient::open_enum;

open_enum! {
    /// An Intercom error code (`errors[].code`). Open: codes added later land in `Unknown`.
    pub enum ErrorCode {
        /// `server_error`
        ServerError => "server_error",
        /// `client_error`
        ClientError => "client_error",
        /// `bad_request`
        BadRequest => "bad_request",
        /// `type_mismatch`
        TypeMismatch => "type_mismatch",
        /// `parameter_not_found`
        ParameterNotFound => "parameter_not_found",
        /// `parameter_missing`
        ParameterMissing => "parameter_missing",
        /// `missing_parameter`
        MissingParameter => "missing_parameter",
        /// `parameter_invalid`
        ParameterInvalid => "parameter_invalid",
        /// `parameter_mismatch` (e.g. a contact reply on a Back-office ticket)
        ParameterMismatch => "parameter_mismatch",
        /// `data_invalid`
        DataInvalid => "data_invalid",
        /// `unprocessable_entity`
        UnprocessableEntity => "unprocessable_entity",
        /// `not_found`
        NotFound => "not_found",
        /// `action_forbidden`
        ActionForbidden => "action_forbidden",
        /// `forbidden`
        Forbidden => "forbidden",
        /// `conflict`
        Conflict => "conflict",
        /// `resource_conflict`
        ResourceConflict => "resource_conflict",
        /// `api_plan_restricted`: the feature is not on the workspace's plan
        ApiPlanRestricted => "api_plan_restricted",
        /// `rate_limit_exceeded`
        RateLimitExceeded => "rate_limit_exceeded",
        /// `too_many_requests`
        TooManyRequests => "too_many_requests",
        /// `request_timeout`
        RequestTimeout => "request_timeout",
        /// `service_unavailable`
        ServiceUnavailable => "service_unavailable",
        /// `unsupported`
        Unsupported => "unsupported",
        /// `unauthorized`
        Unauthorized => "unauthorized",
        /// `token_revoked`
        TokenRevoked => "token_revoked",
        /// `token_expired`
        TokenExpired => "token_expired",
        /// `token_not_found`
        TokenNotFound => "token_not_found",
        /// `missing_authorization`
        MissingAuthorization => "missing_authorization",
        /// `ticket_state_id_invalid`
        TicketStateIdInvalid => "ticket_state_id_invalid",
        /// `INVALID_PARAMETER` (duplicate conversation attribute names)
        InvalidParameterUpper => "INVALID_PARAMETER",
        /// `team_not_found`
        TeamNotFound => "team_not_found",
        /// `admin_not_found`
        AdminNotFound => "admin_not_found",
    }
}

/// One entry of Intercom's `errors[]` list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiErrorItem {
    /// The machine-readable code.
    #[serde(default = "unknown_code")]
    pub code: ErrorCode,
    /// The human-readable message, when given.
    #[serde(default)]
    pub message: Option<String>,
    /// The request field the error is about, when given.
    #[serde(default)]
    pub field: Option<String>,
}

fn unknown_code() -> ErrorCode {
    ErrorCode::Unknown(String::new())
}

/// Intercom's error body: `{"type":"error.list","request_id":…,"errors":[…]}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiErrorBody {
    /// `error.list` normally.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The request id Intercom support asks for.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The errors.
    #[serde(default, deserialize_with = "crate::lenient::null_default")]
    pub errors: Vec<ApiErrorItem>,
}

impl ApiErrorBody {
    /// Parses an error body leniently; a body that is not Intercom's shape gives an empty list
    /// with the raw text kept as one `Unknown` entry so nothing is lost.
    pub fn parse(bytes: &[u8]) -> Self {
        match serde_json::from_slice::<ApiErrorBody>(bytes) {
            Ok(body) => body,
            Err(_) => {
                let text = String::from_utf8_lossy(bytes);
                let text = text.trim();
                if text.is_empty() {
                    Self::default()
                } else {
                    Self {
                        kind: None,
                        request_id: None,
                        errors: vec![ApiErrorItem {
                            code: ErrorCode::Unknown(String::new()),
                            message: Some(text.chars().take(500).collect()),
                            field: None,
                        }],
                    }
                }
            }
        }
    }
}

/// Extracts the id from "A contact matching those details already exists with id=…".
pub(crate) fn existing_contact_id(message: &str) -> Option<String> {
    let idx = message.find("id=")?;
    let id: String = message[idx + 3..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    (!id.is_empty()).then_some(id)
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Intercom answered with an error status (other than the special cases below).
    #[error(
        "Intercom answered {status} to {method} {path}{}: {}",
        request_id.as_deref().map(|r| format!(" (request_id {r})")).unwrap_or_default(),
        summary(errors)
    )]
    Api {
        /// HTTP status code.
        status: u16,
        /// HTTP method of the request.
        method: String,
        /// Path of the request (no host, no query).
        path: String,
        /// Intercom's request id, when the body carried one.
        request_id: Option<String>,
        /// The decoded `errors[]` list.
        errors: Vec<ApiErrorItem>,
    },
    /// `POST /contacts` answered 409: a contact with the same email or external id exists.
    /// Look it up (`existing_id`, or search by email/external id) instead of creating it again.
    #[error(
        "a contact with these details already exists{}; reuse it instead of creating it again",
        existing_id.as_deref().map(|i| format!(" (id {i})")).unwrap_or_default()
    )]
    DuplicateContact {
        /// The id of the existing contact, parsed from the message when Intercom gave it.
        existing_id: Option<String>,
        /// Intercom's request id.
        request_id: Option<String>,
        /// Intercom's message.
        message: Option<String>,
    },
    /// Still throttled (429), and waiting longer would pass the call's time budget
    /// ([`crate::RetryPolicy::time_budget`]) or its cap on 429 retries
    /// ([`crate::RetryPolicy::max_rate_limit_retries`]). 429s never use up the retries kept for
    /// server and transport errors.
    #[error(
        "{method} {path}: still rate limited after {attempts} attempt(s) in {elapsed_s:.1} s, and \
         {bound}; lower the concurrency, check what else uses the app's budget, or run again \
         later (a migration resumes where it stopped)",
        elapsed_s = elapsed.as_secs_f64(),
        bound = rate_limit_bound(time_budget)
    )]
    RateLimited {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// How many times it was sent.
        attempts: u32,
        /// Intercom's request id from the last 429.
        request_id: Option<String>,
        /// Time from the call's first send until it gave up.
        elapsed: std::time::Duration,
        /// The time budget that ended the call; `None` when the cap on 429 retries did.
        time_budget: Option<std::time::Duration>,
    },
    /// A non-idempotent write (a create, a reply, a part) may or may not have taken effect:
    /// the request was sent and then the connection dropped, timed out or a 5xx came back.
    /// It was NOT re-sent. Look the object up (e.g. search by external id, or read the
    /// conversation's parts) before deciding to create it again.
    #[error(
        "{method} {path}: outcome unknown ({reason}); the write may have happened, look it up before retrying"
    )]
    OutcomeUnknown {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// What happened: the transport error or the status received.
        reason: String,
        /// The HTTP status, when one came back.
        status: Option<u16>,
    },
    /// The request could not be sent or its response not read, after the allowed retries.
    #[error("{method} {path}: transport error: {source}; check the base URL, region and network")]
    Transport {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx response body did not have the expected shape.
    #[error(
        "{method} {path}: unexpected response body at `{at}`: {message} (body starts {excerpt:?})"
    )]
    Decode {
        /// HTTP method of the request.
        method: String,
        /// Path of the request.
        path: String,
        /// JSON path of the offending field.
        at: String,
        /// The decoder's message.
        message: String,
        /// The first characters of the body.
        excerpt: String,
    },
    /// The request was refused before sending (e.g. more than 10 attachments, a non-numeric id
    /// where Intercom wants an integer).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client could not be built (bad base URL, TLS setup, …).
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// Which bound ended a throttled call, for [`Error::RateLimited`]'s message.
fn rate_limit_bound(time_budget: &Option<std::time::Duration>) -> String {
    match time_budget {
        Some(b) => format!(
            "waiting longer would pass the call's time budget of {} s (RetryPolicy::time_budget)",
            b.as_secs()
        ),
        None => "the retries after a 429 that RetryPolicy::max_rate_limit_retries allows are \
                 used up"
            .to_owned(),
    }
}

fn summary(errors: &[ApiErrorItem]) -> String {
    if errors.is_empty() {
        return "no error details".to_owned();
    }
    errors
        .iter()
        .map(|e| {
            let mut s = e.code.to_string();
            if let Some(m) = &e.message {
                s.push_str(": ");
                s.push_str(m);
            }
            if let Some(f) = &e.field {
                s.push_str(&format!(" (field {f})"));
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// Whether sending the same request again later may succeed (5xx, 408, 429, transport).
    /// `OutcomeUnknown` is not retryable as such: look the object up first.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            Error::RateLimited { .. } | Error::Transport { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::DuplicateContact { .. } => Some(409),
            Error::RateLimited { .. } => Some(429),
            Error::OutcomeUnknown { status, .. } => *status,
            _ => None,
        }
    }

    /// Whether this is a 404 (the object does not exist).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// Intercom's request id, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. }
            | Error::DuplicateContact { request_id, .. }
            | Error::RateLimited { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The decoded `errors[]` entries (empty when not an API error).
    pub fn api_errors(&self) -> &[ApiErrorItem] {
        match self {
            Error::Api { errors, .. } => errors,
            _ => &[],
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_error_body_with_unknown_code() {
        let b = ApiErrorBody::parse(
            br#"{"type":"error.list","request_id":"r-1","errors":[{"code":"brand_new","message":"m","field":"email"},{"code":"not_found"}]}"#,
        );
        assert_eq!(b.request_id.as_deref(), Some("r-1"));
        assert_eq!(b.errors[0].code, ErrorCode::Unknown("brand_new".into()));
        assert_eq!(b.errors[0].field.as_deref(), Some("email"));
        assert_eq!(b.errors[1].code, ErrorCode::NotFound);
        assert_eq!(b.errors[1].message, None);
    }

    #[test]
    fn non_json_error_body_is_kept() {
        let b = ApiErrorBody::parse(b"<html>Bad Gateway</html>");
        assert_eq!(b.errors.len(), 1);
        assert_eq!(
            b.errors[0].message.as_deref(),
            Some("<html>Bad Gateway</html>")
        );
    }

    #[test]
    fn existing_id_from_message() {
        assert_eq!(
            existing_contact_id(
                "A contact matching those details already exists with id=6762f0dd1bb69f9f2193bb83"
            ),
            Some("6762f0dd1bb69f9f2193bb83".into())
        );
        assert_eq!(existing_contact_id("Conflict"), None);
    }
}
