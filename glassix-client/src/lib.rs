//! Typed, rate-limit-aware client for the Glassix REST API (v1.2).
//!
//! ```no_run
//! use chrono::{TimeZone, Utc};
//! use futures::TryStreamExt;
//! use glassix_client::{Client, Credentials, Tier};
//!
//! # async fn run() -> Result<(), glassix_client::Error> {
//! let sales = Credentials::new(
//!     "3f6c2a9e-8d41-4b7a-9c0e-5a1b2c3d4e5f", // API key = department id
//!     "the-api-secret",
//!     "migration-api@example.com",
//! )?;
//! let client = Client::builder()
//!     .workspace("acme")
//!     .department(sales.clone())
//!     .tier(Tier::Growth)
//!     .build()?;
//!
//! let dept = client.department(sales.department())?;
//! let since = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
//! let until = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
//! let mut tickets = dept.tickets(since..until);
//! while let Some(listed) = tickets.try_next().await? {
//!     let full = dept.ticket(listed.id).await?; // with transactions
//!     for attachment in full.attachments() {
//!         let file = dept.download_attachment(full.id, attachment).await?;
//!         println!("{:?}: {} bytes", file.file_name, file.bytes.len());
//!     }
//! }
//! println!("pace: {:?}", dept.stats().pace);
//! # Ok(())
//! # }
//! ```
//!
//! What it does:
//! - **Auth**: `POST /token/get` per department, cached, refreshed 5 minutes before expiry,
//!   single-flight, behind a workspace-wide limiter of 30 token requests a minute; a 401
//!   refreshes the token once.
//! - **Throttling**: each department has a sliding-window limiter set from its [`Tier`] (or a
//!   [`Quota`] override), paced before sending; 429s honour `Retry-After`, else back off
//!   exponentially with jitter, and lower the pace, which recovers slowly ([`throttle`]). A 429
//!   never uses up the attempts kept for 5xx and transport errors; every call is bounded by a
//!   time budget instead ([`RetryPolicy`], [`ClientBuilder::time_budget`]).
//! - **Preflight**: [`Department::check_access`] proves a department's credentials and API
//!   access in two requests, before any bulk read.
//! - **Listing**: [`Department::tickets`] walks a date range in windows, follows `paging.next`
//!   only on the configured host, re-lists a window once if its paging token expired, and yields
//!   each ticket once.
//! - **Models**: lenient decoding (unknown enum values, unknown fields, odd timestamps) with
//!   JSON-path errors ([`Error::Decode`]); secrets never printed.
//!
//! The wire readings that the references leave open (base path, error shapes, quotas, paging
//! token lifetime…) follow the agreements shared with the project's fake Glassix server; each is
//! marked as an assumption where it is encoded.

mod auth;
mod client;
mod config;
mod endpoints;
mod error;
pub mod models;
mod paging;
mod retry;
pub mod throttle;
mod transport;
pub mod usage;

pub use client::{
    API_PATH, Client, ClientBuilder, ClientStats, DEFAULT_TOKEN_REQUESTS_PER_MINUTE, Department,
    DepartmentStats, ListingStats,
};
pub use config::{Credentials, Quota, Tier};
pub use endpoints::AttachmentDownload;
pub use error::{API_KEYS_LOCATION, Error, Result};
pub use models::{
    Attachment, CannedReply, Contact, ContactIdentifier, Participant, Tag, Ticket, TicketPage,
    Transaction, User,
};
pub use paging::{DEFAULT_WINDOW, TicketQuery, format_list_date};
pub use retry::{RetryPolicy, RetryStats};
pub use secrecy::SecretString;
pub use throttle::{Adaptation, PaceStats};
pub use usage::{KeyUsage, QuotaUsage};
