//! Both fakes together, seeded from one snapshot.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::SandboxError;
use crate::clock::Clock;
use crate::exports::write_exports;
use crate::generator::{GeneratorSizes, generate};
use crate::glassix::{FakeGlassix, FakeGlassixHandle, GlassixConfig, GlassixCredential};
use crate::intercom::{FakeIntercom, FakeIntercomHandle, IntercomConfig, IntercomSeed};
use crate::snapshot::GlassixSnapshot;

/// Where the Glassix workspace comes from.
#[derive(Clone, Debug)]
pub enum SnapshotSource {
    /// A snapshot already in memory.
    Snapshot(Box<GlassixSnapshot>),
    /// A snapshot file (JSON, see `docs/sandbox.md`).
    File(PathBuf),
    /// The deterministic generator.
    Generate {
        /// Seed of the generator.
        seed: u64,
        /// Sizes.
        sizes: GeneratorSizes,
    },
}

/// Settings of [`Sandbox::start`].
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The Glassix workspace.
    pub source: SnapshotSource,
    /// Fake Glassix settings (its `clock` is replaced by [`SandboxConfig::clock`]).
    pub glassix: GlassixConfig,
    /// Fake Intercom settings (its `clock` is replaced by [`SandboxConfig::clock`]).
    pub intercom: IntercomConfig,
    /// Admins/teams/help centers; `None` derives them from the snapshot.
    pub intercom_seed: Option<IntercomSeed>,
    /// If set, the knowledge-base and automation exports are written there.
    pub exports_dir: Option<PathBuf>,
    /// The clock both fakes share.
    pub clock: Clock,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            source: SnapshotSource::Generate {
                seed: 1,
                sizes: GeneratorSizes::default(),
            },
            glassix: GlassixConfig::default(),
            intercom: IntercomConfig::default(),
            intercom_seed: None,
            exports_dir: None,
            clock: Clock::system(),
        }
    }
}

/// What a client needs to talk to the two fakes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// One entry per Glassix department.
    pub glassix: Vec<GlassixCredential>,
    /// The Intercom access token.
    pub intercom_token: String,
}

/// Both running fakes. Dropping it stops them.
#[derive(Debug)]
pub struct SandboxHandle {
    /// Glassix base URL (`http://127.0.0.1:PORT/api/v1.2`).
    pub glassix_url: String,
    /// Intercom base URL (`http://127.0.0.1:PORT`).
    pub intercom_url: String,
    /// Credentials for both.
    pub credentials: Credentials,
    /// The Glassix snapshot served (the tests compare Intercom's state with it).
    pub snapshot: GlassixSnapshot,
    /// Export files written, if any.
    pub exports: Vec<PathBuf>,
    /// The fake Glassix.
    pub glassix: FakeGlassixHandle,
    /// The fake Intercom.
    pub intercom: FakeIntercomHandle,
}

impl SandboxHandle {
    /// Stops both servers.
    pub fn shutdown(self) {
        self.glassix.shutdown();
        self.intercom.shutdown();
    }
}

/// Entry point for both fakes together.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Loads or generates the snapshot, starts both fakes on OS-chosen loopback ports (unless
    /// configured otherwise) and writes the exports if asked.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        let snapshot = match config.source {
            SnapshotSource::Snapshot(s) => *s,
            SnapshotSource::File(path) => GlassixSnapshot::from_file(&path)?,
            SnapshotSource::Generate { seed, sizes } => generate(seed, &sizes),
        };
        let exports = match &config.exports_dir {
            Some(dir) => write_exports(&snapshot, dir)?,
            None => vec![],
        };
        let seed = config
            .intercom_seed
            .unwrap_or_else(|| IntercomSeed::from_snapshot(&snapshot));
        let glassix = FakeGlassix::start(
            snapshot.clone(),
            GlassixConfig {
                clock: config.clock.clone(),
                ..config.glassix
            },
        )
        .await?;
        glassix.set_exports_dir(config.exports_dir.clone());
        let intercom = FakeIntercom::start(
            seed,
            IntercomConfig {
                clock: config.clock,
                ..config.intercom
            },
        )
        .await?;
        Ok(SandboxHandle {
            glassix_url: glassix.base_url.clone(),
            intercom_url: intercom.url.clone(),
            credentials: Credentials {
                glassix: glassix.credentials(),
                intercom_token: intercom.token().to_string(),
            },
            snapshot,
            exports,
            glassix,
            intercom,
        })
    }
}
