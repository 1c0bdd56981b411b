//! What every subcommand shares: the configuration, the mappers, the console, and how a
//! [`Migration`] is put together from them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use migration_core::discover::Discovery;
use migration_core::execute::Migration;
use migration_core::ledger::Ledger;
use migration_core::map::Mappers;
use migration_core::plan::RateLimits;
use migration_core::spec::MappingSpec;

use super::config::Config;
use super::console::Console;
use super::exit::{CliError, Exit, from_core, from_exec, from_glassix, from_intercom};
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

    /// Both clients of the configuration. Build them once per command and hand the same
    /// clients to the preflight and to the migration, so that they share tokens, pacers and
    /// rate-limit budgets. No request is sent: a missing secret or a tier without API access
    /// fails here, before either service is contacted.
    ///
    /// The Glassix client continues the quota usage the previous command left
    /// ([`App::saved_quota_usage`]): Glassix counts each key's requests per calendar minute and
    /// clock hour whichever process sent them. When the last clone of the clients is dropped
    /// (the command ends, however it ends), their own usage is left in its place for the next
    /// command: `delta` right after `migrate` continues `migrate`'s minute instead of meeting
    /// Glassix's 429s. While the command runs, the usage is also saved every
    /// [`USAGE_SAVE_EVERY`], so that a command killed outright (`kill -9`, a power cut) leaves
    /// the next one at most that much usage it does not know of.
    pub fn clients(&self) -> Result<Clients, CliError> {
        let glassix = self.config.glassix_client()?;
        if let Some(usage) = self.saved_quota_usage() {
            glassix.continue_quota_usage(&usage);
        }
        let keeper = Arc::new(UsageKeeper {
            path: self.config.paths.out.join(QUOTA_USAGE_JSON),
            glassix: glassix.clone(),
        });
        keeper.save_periodically();
        Ok(Clients {
            _usage: keeper,
            glassix,
            intercom: self.config.intercom_client()?,
        })
    }

    /// A migration with this configuration, `spec` and `ledger` (and clients of its own).
    pub fn migration(
        &self,
        spec: MappingSpec,
        ledger: Arc<Ledger>,
        dry_run: bool,
        expected_tickets: Option<u64>,
    ) -> Result<Migration, CliError> {
        self.migration_with(&self.clients()?, spec, ledger, dry_run, expected_tickets)
    }

    /// A migration with this configuration, `spec` and `ledger` that uses `clients`.
    pub fn migration_with(
        &self,
        clients: &Clients,
        spec: MappingSpec,
        ledger: Arc<Ledger>,
        dry_run: bool,
        expected_tickets: Option<u64>,
    ) -> Result<Migration, CliError> {
        let c = &self.config;
        let mut b = Migration::builder()
            .glassix(clients.glassix.clone())
            .intercom(clients.intercom.clone())
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
        // The longest tickets discovery saw start first (a delta ignores them).
        if let Some(d) = read_discovery(&c.paths.out.join(names::DISCOVERY_JSON)) {
            b = b.first_tickets(d.first_tickets());
        }
        b.build().map_err(from_exec)
    }

    /// A migration for reading only (discovery): the spec file when it parses, else an empty
    /// draft; an in-memory ledger.
    pub fn reader(&self) -> Result<Migration, CliError> {
        self.reader_with(&self.clients()?)
    }

    /// [`App::reader`] with `clients`.
    pub fn reader_with(&self, clients: &Clients) -> Result<Migration, CliError> {
        let spec = match MappingSpec::from_path(&self.config.paths.spec) {
            Ok(s) => s,
            Err(_) => {
                MappingSpec::from_toml_str(&MappingSpec::proposal(&Default::default()).to_toml())
                    .map_err(from_core)?
            }
        };
        let ledger = Arc::new(Ledger::open_in_memory().map_err(from_core)?);
        self.migration_with(clients, spec, ledger, true, None)
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

    /// The output folder (created when missing); an error names `paths.out`.
    pub fn out(&self) -> Result<OutDir, CliError> {
        OutDir::create(&self.config.paths.out, &self.console).map_err(|e| CliError {
            message: format!("paths.out: {}", e.message),
            ..e
        })
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
        let clients = self.clients()?;
        self.preflight(&clients, None).await?;
        let reader = self.reader_with(&clients)?;
        self.console
            .line("Discovering: reading both workspaces (nothing is written to Intercom)…");
        let (progress, rx) = migration_core::progress::ProgressSender::channel(1024);
        let render = tokio::spawn(self.console.clone().render(rx));
        let result = reader.discover_with_progress(&progress).await;
        drop(progress);
        self.finish_render(render).await;
        let d = result.map_err(from_exec)?;
        write_discovery(out, &d)?;
        Ok(d)
    }

    /// The Glassix keys' usage the previous command left in `paths.out`
    /// ([`QUOTA_USAGE_JSON`]), if any. A file that cannot be read is reported as a warning and
    /// ignored: the pacers then start afresh and meet the server's 429s, which they handle.
    pub fn saved_quota_usage(&self) -> Option<glassix_client::QuotaUsage> {
        self.saved_json(
            QUOTA_USAGE_JSON,
            "the Glassix quota usage left by the previous command; the pacers start afresh",
        )
    }

    /// A JSON file an earlier command left in `paths.out`, decoded, if any. A file that cannot
    /// be read or decoded is reported as a warning naming `what` it held (and what follows)
    /// and ignored.
    pub fn saved_json<T: serde::de::DeserializeOwned>(&self, name: &str, what: &str) -> Option<T> {
        let path = self.config.paths.out.join(name);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not read {what}");
                return None;
            }
        };
        match serde_json::from_str(&text) {
            Ok(u) => Some(u),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "not valid JSON: {what} (delete the file to silence this)");
                None
            }
        }
    }

    /// The rate limits for the estimate: the tier's (or configured) Glassix quota, and
    /// Intercom's budget as its headers state it (one `GET /me`), else Intercom's default,
    /// for each configured token (the first token's limit taken for every one), capped by the
    /// workspace share when there are several.
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
            limits.intercom_tokens = u32::try_from(ic.token_count()).unwrap_or(u32::MAX);
            limits.intercom_workspace_per_second = ic.workspace_limit().map(|w| w.per_second());
            if ic.admins().me().await.is_ok() {
                learn_window(&ic).await;
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

/// The file in `paths.out` where `discover` leaves each Glassix key's requests of the last
/// hour, so that the next command's pacers continue that budget (and `plan` can say how long
/// `migrate` takes if started now).
pub const QUOTA_USAGE_JSON: &str = "glassix-quota-usage.json";

/// The longest the plan waits to learn Intercom's window length: one real window (10 s) and
/// a little.
const WINDOW_PROBE_MAX: Duration = Duration::from_millis(11_500);

/// Lets the client learn the window length from two successive `X-RateLimit-Reset` values:
/// one header gives the limit but not the window, so a second `GET /me` is sent just after
/// the first window's reset (waiting at most [`WINDOW_PROBE_MAX`]). Without it the estimate
/// would assume the default 10-second window whatever the workspace's is.
async fn learn_window(ic: &intercom_client::Client) {
    let Some(reset) = ic.rate_limit().reset else {
        return;
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let wait_ms = (reset * 1000 - now_ms).max(0) as u64 + 150;
    let wait = Duration::from_millis(wait_ms);
    if wait > WINDOW_PROBE_MAX {
        return;
    }
    tokio::time::sleep(wait).await;
    if let Err(e) = ic.admins().me().await {
        tracing::warn!(error = %e, "the second GET /me (to learn the rate-limit window) failed; the estimate assumes the default window");
    }
}

/// The two clients of one command (cheap to clone: both share their state inside).
#[derive(Debug, Clone)]
pub struct Clients {
    /// The Glassix client, with every configured department.
    pub glassix: glassix_client::Client,
    /// The Intercom client.
    pub intercom: intercom_client::Client,
    /// Leaves the Glassix keys' usage for the next command when the last clone is dropped.
    _usage: Arc<UsageKeeper>,
}

/// Writes the Glassix keys' quota usage ([`QUOTA_USAGE_JSON`]) when dropped.
#[derive(Debug)]
struct UsageKeeper {
    path: std::path::PathBuf,
    glassix: glassix_client::Client,
}

/// How often a running command saves the Glassix keys' usage ([`App::clients`]).
pub const USAGE_SAVE_EVERY: Duration = Duration::from_secs(5);

impl UsageKeeper {
    /// Saves the usage every [`USAGE_SAVE_EVERY`] until the last clone of the clients is gone
    /// (then `Drop` saves it a last time). Outside a Tokio runtime, only `Drop` saves it.
    fn save_periodically(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let keeper = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(USAGE_SAVE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(keeper) = keeper.upgrade() else {
                    return;
                };
                if let Err(e) = keeper.write() {
                    tracing::debug!(path = %keeper.path.display(), error = %e, "the Glassix quota usage could not be saved yet; retried in a few seconds");
                }
            }
        });
    }

    fn write(&self) -> std::io::Result<()> {
        let usage = self.glassix.quota_usage();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let body = serde_json::to_vec_pretty(&usage).map_err(std::io::Error::other)?;
        // Written aside, then renamed: a command killed while writing leaves the previous file.
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, &self.path)
    }
}

impl Drop for UsageKeeper {
    fn drop(&mut self) {
        if let Err(e) = self.write() {
            // Nothing is lost but pacing: the next command starts its pacers afresh and meets
            // the server's 429s, which it handles.
            tracing::warn!(path = %self.path.display(), error = %e, "the Glassix quota usage could not be saved for the next command");
        }
    }
}

/// How long the preflight waits for each service before it calls it unreachable. The clients
/// retry transport and server errors with backoff; a service that has not answered in this
/// time will not carry a migration either. A Glassix key whose minute or hour an earlier
/// command used up gets its quota's known wait on top
/// ([`glassix_client::Department::quota_wait`]): without it, a `migrate` started in the minute
/// `discover` spent was told Glassix "did not answer", though nothing had been asked yet.
pub const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(30);

impl App {
    /// Checks, in seconds and before any bulk read, everything a long run needs: the output
    /// folder (and the ledger's, when `ledger` is given) is writable, Intercom accepts the token
    /// (`GET /me`: its workspace and admin are shown), and every Glassix department's
    /// credentials and plan give API access (a token and one small authenticated call each).
    /// Both services are asked at the same time.
    ///
    /// Every problem found is listed, each naming the setting to fix; the command then ends
    /// with the exit code of the first one: 2 for refused credentials or a token, 4 for a
    /// Glassix plan without API access, 1 for a service that cannot be reached or a folder that
    /// cannot be written.
    pub async fn preflight(
        &self,
        clients: &Clients,
        ledger: Option<&Path>,
    ) -> Result<(), CliError> {
        let started = std::time::Instant::now();
        let c = &self.console;
        c.line("Preflight: checking both workspaces and the files before reading any ticket…");
        let mut problems: Vec<CliError> = Vec::new();
        if let Err(e) = check_writable_dir(&self.config.paths.out, "paths.out") {
            problems.push(e);
        }
        if let Some(path) = ledger {
            if let Err(e) = check_ledger_writable(path) {
                problems.push(e);
            }
        }
        let departments = clients.glassix.departments();
        // What each key's quota holds back its check (a token and one call) before it is sent.
        let waits: Vec<Duration> = departments.iter().map(|d| d.quota_wait(1)).collect();
        let held: Vec<&str> = waits
            .iter()
            .zip(&self.config.glassix.departments)
            .filter(|(wait, _)| wait.as_secs() >= 1)
            .map(|(_, d)| d.name.as_str())
            .collect();
        if !held.is_empty() {
            c.line(format!(
                "  Glassix: waiting up to {} s for the quota of {} (an earlier command used this \
                 minute's or hour's requests) before checking",
                waits.iter().max().copied().unwrap_or_default().as_secs(),
                held.join(", ")
            ));
        }
        let (me, glassix) = tokio::join!(
            // `GET /me` with every token: all must answer and belong to one workspace.
            tokio::time::timeout(PREFLIGHT_TIMEOUT, clients.intercom.check_tokens()),
            futures::future::join_all(departments.iter().zip(&waits).map(|(d, wait)| {
                tokio::time::timeout(PREFLIGHT_TIMEOUT + *wait, d.check_access())
            }))
        );
        let mut found = Vec::new();
        match me {
            Ok(Ok(me)) => found.push(describe_intercom(&me)),
            Ok(Err(e)) => problems.push(self.intercom_problem(e)),
            Err(_) => problems.push(CliError::failure(format!(
                "{}: Intercom did not answer GET /me within {} s. Check the network and the \
                 URL, then run again",
                self.intercom_url_setting(),
                PREFLIGHT_TIMEOUT.as_secs()
            ))),
        }
        let mut answered = Vec::new();
        // A plan without API access concerns the whole workspace: said once, not per department.
        let mut no_api: Option<(usize, Vec<usize>)> = None;
        for (i, result) in glassix.into_iter().enumerate() {
            let section = self.config.glassix.departments.get(i);
            let name = section.map_or("?", |d| d.name.as_str());
            match result {
                Ok(Ok(())) => answered.push(name.to_owned()),
                Ok(Err(e)) => {
                    let problem = self.glassix_problem(i, e);
                    match &mut no_api {
                        Some((_, others)) if problem.exit == Exit::TierWithoutApi => {
                            others.push(i);
                        }
                        _ => {
                            if problem.exit == Exit::TierWithoutApi {
                                no_api = Some((problems.len(), Vec::new()));
                            }
                            problems.push(problem);
                        }
                    }
                }
                Err(_) => problems.push(CliError::failure(format!(
                    "glassix.departments[{i}] (`{name}`): Glassix did not answer within {} s \
                     (a token and GET /tenants/gettags{}). Check the network and {}, then run \
                     again",
                    PREFLIGHT_TIMEOUT.as_secs(),
                    waits.get(i).filter(|wait| !wait.is_zero()).map_or(
                        String::new(),
                        |wait| format!(
                            ", after {} s of waiting for the key's quota",
                            wait.as_secs()
                        )
                    ),
                    self.glassix_url_setting()
                ))),
            }
        }
        if let Some((at, others)) = no_api.filter(|(_, others)| !others.is_empty()) {
            if let Some(p) = problems.get_mut(at) {
                let list: Vec<String> = others
                    .iter()
                    .map(|i| format!("glassix.departments[{i}]"))
                    .collect();
                p.message
                    .push_str(&format!(" (the same for {})", list.join(", ")));
            }
        }
        if !answered.is_empty() {
            found.push(format!(
                "Glassix: {} of {} department(s) accept their credentials ({})",
                answered.len(),
                departments.len(),
                answered.join(", ")
            ));
        }
        for line in &found {
            c.line(format!("  {line}"));
        }
        let Some(first) = problems.first() else {
            c.line(format!(
                "Preflight passed in {:.1} s.",
                started.elapsed().as_secs_f64()
            ));
            return Ok(());
        };
        let exit = first.exit;
        let message = if problems.len() == 1 {
            format!("preflight: {}", first.message)
        } else {
            let mut m = format!(
                "preflight found {} problems (no ticket was read, nothing was written to \
                 Intercom):",
                problems.len()
            );
            for p in &problems {
                m.push_str("\n  - ");
                m.push_str(&p.message);
            }
            m
        };
        Err(CliError { exit, message })
    }

    /// A refused or failed `GET /me`, naming the setting to fix.
    fn intercom_problem(&self, e: intercom_client::Error) -> CliError {
        let vars = self.config.intercom.token_vars();
        let var = vars.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ");
        if let intercom_client::Error::Config(m) = &e {
            return CliError::config(format!(
                "intercom.token_envs: {m} (the tokens are held by {var}, in that order)"
            ));
        }
        match e.status() {
            Some(401 | 403) => CliError::config(format!(
                "intercom.token_env: Intercom refused the access token held by {var} ({e}). \
                 Check that {var} holds the workspace's token (Developer Hub → your app → \
                 Authentication), that the token belongs to the workspace in {} and that it \
                 is still valid",
                self.intercom_url_setting()
            )),
            _ => {
                let mut err = from_intercom(e);
                err.message = format!("{}: {}", self.intercom_url_setting(), err.message);
                err
            }
        }
    }

    /// A failed access check of department `i`, naming the setting to fix.
    fn glassix_problem(&self, i: usize, e: glassix_client::Error) -> CliError {
        let section = self.config.glassix.departments.get(i);
        let name = section.map_or("?", |d| d.name.as_str());
        let var = section.map_or("?", |d| d.api_secret_env.as_str());
        let field = format!("glassix.departments[{i}]");
        let mut err = from_glassix(e);
        err.message = match err.exit {
            Exit::Config => format!(
                "{field}.api_key (department `{name}`): {}. In the configuration: \
                 {field}.api_key, the secret held by {var} ({field}.api_secret_env) and \
                 {field}.user_name",
                err.message
            ),
            Exit::TierWithoutApi => format!(
                "glassix.tier / {field}.api_key (department `{name}`): {}",
                err.message
            ),
            _ => format!(
                "{} ({field}, department `{name}`): {}",
                self.glassix_url_setting(),
                err.message
            ),
        };
        err
    }

    /// `intercom.base_url` or `intercom.region`, whichever the configuration sets.
    fn intercom_url_setting(&self) -> &'static str {
        if self.config.intercom.base_url.is_some() {
            "intercom.base_url"
        } else {
            "intercom.region"
        }
    }

    /// `glassix.base_url` or `glassix.workspace`, whichever the configuration sets.
    fn glassix_url_setting(&self) -> &'static str {
        if self.config.glassix.base_url.is_some() {
            "glassix.base_url"
        } else {
            "glassix.workspace"
        }
    }

    /// Waits for a progress renderer to finish; a renderer that failed is reported, not hidden.
    pub async fn finish_render(&self, render: tokio::task::JoinHandle<()>) {
        if let Err(e) = render.await {
            self.console
                .error(format!("warning: the progress display stopped early: {e}"));
        }
    }
}

/// What the preflight shows of the Intercom workspace.
fn describe_intercom(me: &intercom_client::models::Me) -> String {
    let admin = match (&me.admin.name, &me.admin.email) {
        (Some(n), Some(e)) => format!("{n} <{e}>"),
        (Some(n), None) => n.clone(),
        (None, Some(e)) => e.clone(),
        (None, None) => format!("admin {}", me.admin.id),
    };
    match &me.app {
        Some(app) => format!(
            "Intercom: workspace `{}` ({}{}), token of {admin}",
            app.name.as_deref().unwrap_or("unnamed"),
            app.id_code.as_deref().unwrap_or("no id"),
            app.region
                .as_deref()
                .map(|r| format!(", region {r}"))
                .unwrap_or_default()
        ),
        None => format!("Intercom: token of {admin}"),
    }
}

/// Creates `dir` when missing and proves it writable with a probe file that is removed again.
fn check_writable_dir(dir: &Path, setting: &str) -> Result<(), CliError> {
    let fail = |what: String| {
        CliError::failure(format!(
            "{setting}: {} {what}. Make the folder writable or point {setting} elsewhere",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot be created: {e}")))?;
    let probe = dir.join(format!(
        ".glassix-to-intercom-preflight-{}",
        std::process::id()
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| fail(format!("is not writable: {e}")))?;
    std::fs::remove_file(&probe).map_err(|e| {
        fail(format!(
            "let a probe file be written but not removed ({}): {e}",
            probe.display()
        ))
    })
}

/// The ledger's folder must take new files (SQLite's journal) and an existing ledger must open
/// for writing; neither check changes the ledger.
fn check_ledger_writable(path: &Path) -> Result<(), CliError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    check_writable_dir(&folder, "paths.ledger")?;
    if path.exists() {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| {
                CliError::failure(format!(
                    "paths.ledger: {} cannot be opened for writing: {e}. Make it writable (it \
                     holds what moved where: never delete it mid-migration)",
                    path.display()
                ))
            })?;
    }
    Ok(())
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
