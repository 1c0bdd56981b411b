//! What every subcommand shares: the configuration, the mappers, the console, and how a
//! [`Migration`] is put together from them.

use std::path::Path;
use std::sync::Arc;

use migration_core::discover::Discovery;
use migration_core::execute::Migration;
use migration_core::ledger::Ledger;
use migration_core::map::Mappers;
use migration_core::plan::RateLimits;
use migration_core::spec::MappingSpec;

use super::config::Config;
use super::console::Console;
use super::exit::{CliError, from_core, from_exec};
use super::outputs::{OutDir, names};

/// The loaded configuration with the mappers and the console.
#[derive(Debug, Clone)]
pub struct App {
    /// The configuration (paths already resolved).
    pub config: Config,
    /// The mappers every migration of this process uses.
    pub mappers: Arc<Mappers>,
    /// Where text goes.
    pub console: Console,
}

impl App {
    /// The app; the console learns the configuration's secret values so it can mask them.
    pub fn new(config: Config, mappers: Arc<Mappers>, console: Console) -> Self {
        console.add_secrets(config.secret_values());
        App {
            config,
            mappers,
            console,
        }
    }

    /// A migration with this configuration, `spec` and `ledger`.
    pub fn migration(
        &self,
        spec: MappingSpec,
        ledger: Arc<Ledger>,
        dry_run: bool,
        expected_tickets: Option<u64>,
    ) -> Result<Migration, CliError> {
        let c = &self.config;
        let mut b = Migration::builder()
            .glassix(c.glassix_client()?)
            .intercom(c.intercom_client()?)
            .spec(spec)
            .ledger(ledger)
            .mappers(self.mappers.clone())
            .departments(c.departments())
            .dry_run(dry_run);
        if let Some(e) = &c.paths.exports {
            b = b.exports(e.clone());
        }
        if let Some(s) = c.migration.since {
            b = b.since(s);
        }
        if let Some(u) = c.migration.until {
            b = b.until(u);
        }
        if let Some(n) = c.migration.concurrency {
            b = b.concurrency(n);
        }
        if let Some(n) = expected_tickets {
            b = b.expected_tickets(n);
        }
        b.build().map_err(from_exec)
    }

    /// A migration for reading only (discovery): the spec file when it parses, else an empty
    /// draft; an in-memory ledger.
    pub fn reader(&self) -> Result<Migration, CliError> {
        let spec = match MappingSpec::from_path(&self.config.paths.spec) {
            Ok(s) => s,
            Err(_) => {
                MappingSpec::from_toml_str(&MappingSpec::proposal(&Default::default()).to_toml())
                    .map_err(from_core)?
            }
        };
        let ledger = Arc::new(Ledger::open_in_memory().map_err(from_core)?);
        self.migration(spec, ledger, true, None)
    }

    /// The spec of the configuration; errors say how to get or fix one.
    pub fn spec(&self) -> Result<MappingSpec, CliError> {
        let path = &self.config.paths.spec;
        if !path.exists() {
            return Err(CliError::config(format!(
                "paths.spec: {} does not exist: run `glassix-to-intercom propose` to draft it, \
                 review it, then confirm it",
                path.display()
            )));
        }
        MappingSpec::from_path(path).map_err(|e| {
            CliError::config(format!(
                "{}: {e}. Fix the spec (`glassix-to-intercom schema --spec` prints its format)",
                path.display()
            ))
        })
    }

    /// The output folder.
    pub fn out(&self) -> Result<OutDir, CliError> {
        OutDir::create(&self.config.paths.out, &self.console)
    }

    /// Discovery: the saved `discovery.json` when present, else a fresh one (saved).
    pub async fn discovery(&self, out: &mut OutDir, fresh: bool) -> Result<Discovery, CliError> {
        let saved = out.path(names::DISCOVERY_JSON);
        if !fresh && saved.exists() {
            if let Some(d) = read_discovery(&saved) {
                self.console.line(format!(
                    "Using the discovery saved in {} (run `discover` to refresh it).",
                    saved.display()
                ));
                return Ok(d);
            }
        }
        let reader = self.reader()?;
        self.console
            .line("Discovering: reading both workspaces (nothing is written to Intercom)…");
        let (progress, rx) = migration_core::progress::ProgressSender::channel(1024);
        let render = tokio::spawn(self.console.clone().render(rx));
        let result = reader.discover_with_progress(&progress).await;
        drop(progress);
        let _ = render.await;
        let d = result.map_err(from_exec)?;
        write_discovery(out, &d)?;
        Ok(d)
    }

    /// The rate limits for the estimate: the tier's (or configured) Glassix quota, and
    /// Intercom's budget as its headers state it (one `GET /me`), else Intercom's default.
    pub async fn rate_limits(&self) -> RateLimits {
        let mut limits = RateLimits::default();
        let g = &self.config.glassix;
        let quota = match (g.per_minute, g.per_hour) {
            (Some(m), Some(h)) => Some((m, h)),
            _ => g
                .tier
                .client_tier()
                .default_quota()
                .map(|q| (q.per_minute, q.per_hour)),
        };
        if let Some((m, h)) = quota {
            limits.glassix_per_minute = Some(f64::from(m));
            limits.glassix_per_hour = Some(f64::from(h));
        }
        if let Ok(ic) = self.config.intercom_client() {
            if ic.admins().me().await.is_ok() {
                let status = ic.rate_limit();
                if let Some(l) = status.limit {
                    limits.intercom_per_window = f64::from(l);
                    limits.intercom_window_seconds = (status.window_ms as f64 / 1000.0).max(0.001);
                }
            }
        }
        limits
    }
}

/// The discovery saved at `path`, if it is there and parses.
pub(crate) fn read_discovery(path: &Path) -> Option<Discovery> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes the discovery outputs: `discovery.json`, `discovery.md`, the provisioning list and
/// the inventory of what cannot move as data.
pub fn write_discovery(out: &mut OutDir, d: &Discovery) -> Result<(), CliError> {
    out.write_json(names::DISCOVERY_JSON, d)?;
    out.write(names::DISCOVERY_MD, &d.to_markdown())?;
    out.write(names::PROVISIONING_MD, &d.provisioning.to_markdown())?;
    out.write_json(names::PROVISIONING_JSON, &d.provisioning)?;
    out.write(names::INVENTORY_MD, &d.inventory.to_markdown())?;
    Ok(())
}
