//! The crate's single error type.

use std::time::Duration;

use uuid::Uuid;

use crate::config::Tier;

/// Where in Glassix the API key, secret and user name are managed; quoted in access errors.
pub const API_KEYS_LOCATION: &str = "Settings → Developers → API keys";

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when talking to Glassix.
///
/// Each variant carries what is known about the failing call: the endpoint (method and path, never
/// a token or a presigned URL), the department, and the record when the call concerned one.
/// [`Error::is_retryable`] tells whether trying again later can help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client was configured wrongly (builder input).
    #[error("invalid Glassix client configuration: {message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },

    /// The configured subscription tier has no API access; no request was sent.
    #[error(
        "the Glassix {tier} plan has no REST API access: upgrade the workspace to the Growth or \
         Enterprise plan, then create an API key under {API_KEYS_LOCATION} \
         (or configure the client with the tier the workspace really has)"
    )]
    TierWithoutApi {
        /// The tier that was configured.
        tier: Tier,
    },

    /// Glassix answered 403 to an API call: the plan has no API access (Starter), or the key is
    /// barred (for example by an IP allow-list). Not retried.
    #[error(
        "Glassix refused API access on {endpoint}{dept} (HTTP {status}: {message}): the REST API \
         needs the Growth or Enterprise plan (Starter has none); check the plan, and check the API \
         key, secret and user name under {API_KEYS_LOCATION}",
        dept = fmt_dept(department)
    )]
    ApiAccessDenied {
        /// HTTP status (403).
        status: u16,
        /// The service's message (or the raw body).
        message: String,
        /// Method and path of the refused call.
        endpoint: String,
        /// The department whose credentials were used.
        department: Option<Uuid>,
        /// The tier the client was configured with.
        configured_tier: Tier,
    },

    /// Glassix refused the API key, secret or user name (401 from `POST /token/get`), or kept
    /// refusing a freshly issued token. Not retried.
    #[error(
        "Glassix refused the credentials on {endpoint}{dept} (HTTP {status}: {message}): check the \
         API key, secret and user name under {API_KEYS_LOCATION} (the key must belong to this \
         department, and the workspace needs the Growth or Enterprise plan)",
        dept = fmt_dept(department)
    )]
    InvalidCredentials {
        /// HTTP status (401).
        status: u16,
        /// The service's message (or the raw body).
        message: String,
        /// Method and path of the refused call.
        endpoint: String,
        /// The department whose credentials were refused.
        department: Option<Uuid>,
    },

    /// Glassix kept answering 429 and waiting longer would pass the call's time budget
    /// ([`crate::RetryPolicy::time_budget`]), or it asked for a longer pause (`Retry-After`)
    /// than the client is configured to wait ([`crate::RetryPolicy::max_retry_after`]).
    /// 429s never use up the attempts kept for server and transport errors.
    #[error(
        "Glassix rate limit on {endpoint}{dept}: still throttled after {attempts} attempt(s) in \
         {elapsed_s} s{after}, and {limit}; retry later (a migration resumes where it stopped) or \
         lower the configured quota",
        dept = fmt_dept(department),
        elapsed_s = elapsed.as_secs(),
        after = retry_after.map(|d| format!(" (server asked to wait {} s)", d.as_secs())).unwrap_or_default()
    )]
    RateLimited {
        /// Method and path of the throttled call.
        endpoint: String,
        /// The department whose quota was exhausted (none for the token endpoint).
        department: Option<Uuid>,
        /// How many attempts were made.
        attempts: u32,
        /// The last `Retry-After` the server sent, if any.
        retry_after: Option<Duration>,
        /// Time from the call's first send until it gave up.
        elapsed: Duration,
        /// Which bound ended the call, and the setting that controls it.
        limit: String,
    },

    /// Any other non-success HTTP status (400, 404, 5xx after the retries…).
    #[error(
        "Glassix answered HTTP {status} on {endpoint}{dept}{rec}: {message}{tries}",
        dept = fmt_dept(department),
        rec = record.as_ref().map(|r| format!(" for {r}")).unwrap_or_default(),
        tries = if *attempts > 1 { format!(" (after {attempts} attempts)") } else { String::new() }
    )]
    Http {
        /// HTTP status code.
        status: u16,
        /// The service's message (`Message`/`message` of the JSON body) or the raw body text.
        message: String,
        /// Method and path of the call.
        endpoint: String,
        /// The department whose credentials were used.
        department: Option<Uuid>,
        /// The record concerned (for example `ticket 48213377`).
        record: Option<String>,
        /// How many attempts were made.
        attempts: u32,
    },

    /// The request did not complete (connection refused, reset, timeout…), after the retries.
    #[error(
        "could not reach Glassix on {endpoint}{dept} after {attempts} attempt(s): {source}",
        dept = fmt_dept(department)
    )]
    Transport {
        /// Method and path of the call.
        endpoint: String,
        /// The department whose credentials were used.
        department: Option<Uuid>,
        /// How many attempts were made.
        attempts: u32,
        /// The underlying HTTP client error (its URL removed).
        #[source]
        source: reqwest::Error,
    },

    /// A response body could not be decoded; `path` is the JSON path that failed.
    #[error(
        "could not decode the response of {endpoint}{dept}{rec} at JSON path `{path}`: {message}",
        dept = fmt_dept(department),
        rec = record.as_ref().map(|r| format!(" for {r}")).unwrap_or_default()
    )]
    Decode {
        /// Method and path of the call.
        endpoint: String,
        /// The department whose credentials were used.
        department: Option<Uuid>,
        /// The record concerned, when known.
        record: Option<String>,
        /// JSON path of the value that failed (`tickets[3].participants[0].id`; `.` for the root).
        path: String,
        /// What was wrong with it.
        message: String,
    },

    /// A URL from a response (`paging.next`) points at another host than the configured one; it
    /// was not requested, so the bearer token was not sent there.
    #[error(
        "refusing to follow a Glassix URL to host `{found}`: the client only sends its token to \
         the configured host `{expected}`"
    )]
    ForeignHost {
        /// The configured API host.
        expected: String,
        /// The host the URL pointed at.
        found: String,
    },

    /// The service sent a URL that is not valid.
    #[error("Glassix sent an invalid URL in {context}: {message}")]
    InvalidUrl {
        /// Where the URL came from (for example `paging.next`).
        context: String,
        /// Why it is invalid.
        message: String,
    },

    /// No credentials were configured for this department.
    #[error(
        "no credentials configured for department {department}: add them with \
         `ClientBuilder::department` (the API key is the department id)"
    )]
    UnknownDepartment {
        /// The department asked for.
        department: Uuid,
    },

    /// An attachment is not (or no longer) part of its ticket, so no fresh link can be had.
    #[error("attachment {attachment} is no longer part of ticket {ticket_id}{dept}; it cannot be downloaded", dept = fmt_dept(department))]
    AttachmentGone {
        /// The ticket the attachment belonged to.
        ticket_id: i64,
        /// The attachment (`id` and file identifier).
        attachment: String,
        /// The department whose credentials were used.
        department: Option<Uuid>,
    },
}

fn fmt_dept(department: &Option<Uuid>) -> String {
    department
        .map(|d| format!(" (department {d})"))
        .unwrap_or_default()
}

impl Error {
    /// Whether trying the same call again later can succeed: throttling, server errors (5xx),
    /// transport failures, and 408. Configuration, access, decoding and other 4xx errors are
    /// permanent.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } => true,
            Error::Http { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }

    /// The HTTP status of the failing response, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::ApiAccessDenied { status, .. }
            | Error::InvalidCredentials { status, .. }
            | Error::Http { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The endpoint (method and path) of the failing call, when the error concerns one.
    pub fn endpoint(&self) -> Option<&str> {
        match self {
            Error::ApiAccessDenied { endpoint, .. }
            | Error::InvalidCredentials { endpoint, .. }
            | Error::RateLimited { endpoint, .. }
            | Error::Http { endpoint, .. }
            | Error::Transport { endpoint, .. }
            | Error::Decode { endpoint, .. } => Some(endpoint),
            _ => None,
        }
    }

    /// The department concerned, when known.
    pub fn department(&self) -> Option<Uuid> {
        match self {
            Error::ApiAccessDenied { department, .. }
            | Error::InvalidCredentials { department, .. }
            | Error::RateLimited { department, .. }
            | Error::Http { department, .. }
            | Error::Transport { department, .. }
            | Error::Decode { department, .. }
            | Error::AttachmentGone { department, .. } => *department,
            Error::UnknownDepartment { department } => Some(*department),
            _ => None,
        }
    }

    /// The service's message, when the error came from a response.
    pub fn service_message(&self) -> Option<&str> {
        match self {
            Error::ApiAccessDenied { message, .. }
            | Error::InvalidCredentials { message, .. }
            | Error::Http { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the service answered 404 (for example an unknown ticket or contact id).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}
