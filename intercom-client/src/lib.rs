//! Typed, rate-limit-aware client for the Intercom REST API, version 2.16.
//!
//! - a builder with the access token (never printed), or several app tokens of one workspace
//!   paced together under a share of the workspace limit ([`workspace`]), region or base URL,
//!   `Intercom-Version`, timeouts, a concurrency limit, pacing and retry settings;
//! - plain-value request structs encoded strictly, responses decoded leniently;
//! - list and search endpoints as [`futures::Stream`]s (query cursor, body cursor, page number);
//! - pacing learned from `X-RateLimit-*` headers, 429 waits, backoff for safe requests, and
//!   [`Error::OutcomeUnknown`] instead of a blind re-send of a create; 429s and server errors
//!   have separate budgets, and every call is bounded by a time budget
//!   ([`RetryPolicy::time_budget`]).
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use intercom_client::models::{AdminReply, ContactType, CreateContact, CreateConversation, Role, SearchQuery, SearchRequest};
//! use intercom_client::{Client, Error, Region};
//!
//! # async fn run() -> Result<(), Error> {
//! let client = Client::builder()
//!     .access_token("dG9rOmFiYw==".to_owned())
//!     .region(Region::Eu)
//!     .max_concurrency(8)
//!     .build()?;
//! let me = client.admins().me().await?;
//!
//! let contact = match client
//!     .contacts()
//!     .create(&CreateContact {
//!         role: Some(Role::User),
//!         external_id: Some("glassix-42".into()),
//!         email: Some("jane@example.com".into()),
//!         ..Default::default()
//!     })
//!     .await
//! {
//!     Ok(c) => c,
//!     Err(Error::DuplicateContact { existing_id: Some(id), .. }) => client.contacts().get(&id).await?,
//!     Err(e) => return Err(e),
//! };
//!
//! let mut first = CreateConversation::new(ContactType::User, contact.id.clone(), "Hello");
//! first.created_at = Some(1_600_000_000);
//! let created = client.conversations().create(&first).await?;
//! let reply = AdminReply::comment(me.admin.id.clone(), "Hi Jane").created_at(1_600_000_100);
//! client.conversations().reply(&created.conversation_id, &reply.into()).await?;
//!
//! let found: Vec<_> = client
//!     .conversations()
//!     .search(&SearchRequest::new(SearchQuery::eq("contact_ids", contact.id.clone())), Some(50))
//!     .try_collect()
//!     .await?;
//! println!("{} conversations, budget {:?}", found.len(), client.rate_limit());
//! # Ok(()) }
//! ```

pub mod api;
mod builder;
mod client;
mod clock;
pub mod config;
pub mod error;
mod lenient;
pub mod models;
pub mod pagination;
pub mod rate_limit;
pub mod retry;
pub mod workspace;

pub use builder::ClientBuilder;
pub use client::Client;
pub use config::{DEFAULT_API_VERSION, Region, Timeouts};
pub use error::{ApiErrorBody, ApiErrorItem, Error, ErrorCode, Result};
pub use pagination::Pages;
pub use rate_limit::{DefaultBudget, PacingConfig, RateLimitStatus};
pub use retry::{Idempotency, RetryPolicy, RetryStats};
pub use workspace::WorkspaceLimit;
