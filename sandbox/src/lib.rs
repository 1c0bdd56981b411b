//! Stateful fake Glassix and Intercom servers for rehearsals, end-to-end tests and benchmarks.
//!
//! Both fakes speak HTTP/JSON on loopback ports chosen by the OS, enforce the rules the real
//! services enforce as far as the public material tells (see `docs/sandbox.md`), inject faults
//! on demand and expose their whole state for verification.
//!
//! ```no_run
//! use helpdesk_sandbox::{GeneratorSizes, Sandbox, SandboxConfig, SnapshotSource};
//!
//! # async fn demo() -> Result<(), helpdesk_sandbox::SandboxError> {
//! let config = SandboxConfig {
//!     source: SnapshotSource::Generate { seed: 7, sizes: GeneratorSizes::with_tickets(200) },
//!     ..SandboxConfig::default()
//! };
//! let sandbox = Sandbox::start(config).await?;
//! println!("Glassix at {}, Intercom at {}", sandbox.glassix_url, sandbox.intercom_url);
//! let first = &sandbox.credentials.glassix[0];
//! println!("apiKey {} userName {}", first.api_key, first.user_name);
//! // ... run a migration against the two URLs, then inspect what Intercom received:
//! let state = sandbox.intercom.state_json();
//! assert!(state["contacts"].is_array());
//! sandbox.shutdown();
//! # Ok(()) }
//! ```

#![recursion_limit = "256"]

pub mod clock;
pub mod exports;
pub mod faults;
pub mod generator;
pub mod glassix;
pub mod intercom;
mod sandbox;
mod server;
pub mod snapshot;

use std::net::SocketAddr;

pub use clock::Clock;
pub use faults::FaultConfig;
pub use generator::{GeneratorSizes, generate};
pub use glassix::{FakeGlassix, FakeGlassixHandle, GlassixConfig, GlassixCredential, TierLimits};
pub use intercom::{
    FakeIntercom, FakeIntercomHandle, IntercomConfig, IntercomSeed, RateLimitCounters,
};
pub use sandbox::{Credentials, Sandbox, SandboxConfig, SandboxHandle, SnapshotSource};
pub use server::RequestStats;
pub use snapshot::{GlassixSnapshot, Tier};

/// Everything that can go wrong starting or seeding the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// The address could not be bound.
    #[error("cannot bind {addr}: {source}. Use port 0 to let the OS choose a free port")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The snapshot is malformed; the message names the record and field.
    #[error("snapshot: {0}")]
    Snapshot(String),
    /// A configuration value is invalid.
    #[error("configuration: {0}")]
    Config(String),
}
