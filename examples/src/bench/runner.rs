//! Runs one scenario: starts the sandbox, drives the CLI binary through discover, propose,
//! plan and migrate, and reads the figures from the sandbox's counters.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use helpdesk_sandbox::{
    GeneratorSizes, GlassixConfig, IntercomConfig, RequestStats, Sandbox, SandboxConfig,
    SandboxHandle, SnapshotSource, Tier, TierLimits,
};
use migration_core::spec::{AgentPolicy, DepartmentPolicy, MappingSpec, MissingEmailPolicy};

use super::procfs;
use super::scenario::Scenario;
use super::table::Row;

/// Marks a scenario folder as the harness's, so a later run may replace it (and nothing else).
const MARKER: &str = ".glassix-to-intercom-bench";
/// Variable holding the Intercom token for the CLI.
const TOKEN_VAR: &str = "BENCH_INTERCOM_TOKEN";
/// How often a running CLI's peak RSS is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// Why a scenario could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}. Check that the bench folder (--out) is writable")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The folder exists and was not written by the harness.
    #[error("{0} exists and is not an earlier bench run's folder: pass --out with a new folder")]
    Foreign(PathBuf),
    /// The sandbox did not start.
    #[error("scenario {scenario}: the sandbox did not start: {reason}")]
    Sandbox {
        /// The scenario.
        scenario: String,
        /// The cause.
        reason: String,
    },
    /// A CLI command failed before the measured migration.
    #[error(
        "scenario {scenario}: `glassix-to-intercom {command}` exited with {code:?}; its output is in {log}"
    )]
    Command {
        /// The scenario.
        scenario: String,
        /// The command.
        command: String,
        /// Its exit code.
        code: Option<i32>,
        /// Where its output was written.
        log: PathBuf,
    },
    /// The spec or plan the CLI wrote could not be read.
    #[error("scenario {scenario}: {what}: {reason}")]
    Output {
        /// The scenario.
        scenario: String,
        /// Which file.
        what: String,
        /// The cause.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BenchError + '_ {
    move |source| BenchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What one CLI command cost.
struct Ran {
    code: Option<i32>,
    wall: Duration,
    peak_rss_kib: u64,
}

/// Runs `scenario` with the CLI at `cli`, in `out/<scenario>`; returns its table row.
pub async fn run_scenario(scenario: &Scenario, cli: &Path, out: &Path) -> Result<Row, BenchError> {
    let dir = prepare_folder(&out.join(scenario.name))?;
    let sb = start_sandbox(scenario).await?;
    let config = dir.join("bench.toml");
    std::fs::write(&config, config_text(scenario, &sb)).map_err(io(&config))?;
    let ctx = Ctx {
        scenario,
        cli,
        dir: &dir,
        sb: &sb,
    };
    let cpu_before = procfs::children_cpu_seconds();
    // A flaky service is flaky for every command: the faults start with discovery, which
    // measures them for the plan.
    sb.intercom.set_faults(scenario.faults.clone());
    sb.glassix.set_faults(scenario.faults.clone());

    let discover = ctx.run("discover")?;
    ctx.require("discover", &discover)?;
    let propose = ctx.run("propose")?;
    ctx.require("propose", &propose)?;
    ctx.confirm_spec()?;
    let plan = ctx.run("plan")?;
    ctx.require("plan", &plan)?;
    let planned = ctx.read_estimate()?;

    let ic_before = sb.intercom.stats();
    let gx_before = sb.glassix.stats();
    let migrate = ctx.run("migrate")?;
    let ic = diff(&sb.intercom.stats(), &ic_before);
    let gx = diff(&sb.glassix.stats(), &gx_before);
    let stats_path = dir.join("stats.json");
    let stats = serde_json::json!({
        "intercom": ic,
        "glassix": gx,
        "intercom_rate_limits": sb.intercom.rate_limit_counters(),
    });
    std::fs::write(&stats_path, format!("{stats:#}\n")).map_err(io(&stats_path))?;
    let cpu = match (cpu_before, procfs::children_cpu_seconds()) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    let all_requests = sb.intercom.stats().total + sb.glassix.stats().total;

    let state = sb.intercom.state();
    let parts = state.tickets.values().map(|t| t.parts.len()).sum::<usize>()
        + state
            .conversations
            .values()
            .map(|c| c.parts.len())
            .sum::<usize>();
    let peak = [&discover, &propose, &plan, &migrate]
        .iter()
        .map(|r| r.peak_rss_kib)
        .max()
        .unwrap_or(0);
    let row = Row::new(super::table::Measured {
        scenario: scenario.clone(),
        tickets: sb.snapshot.tickets.len(),
        migrated: state.tickets.len() + state.conversations.len(),
        parts,
        intercom_calls: ic.total,
        intercom_writes: writes(&ic),
        glassix_calls: gx.total,
        status_429: ic.status(429) + gx.status(429),
        discover_secs: discover.wall.as_secs_f64(),
        migrate_secs: migrate.wall.as_secs_f64(),
        estimate_secs: planned.estimate,
        bound_by: planned.bound_by,
        range_secs: planned.range,
        glassix_planned: planned.glassix_calls,
        migrate_estimate_secs: planned.migrate_now,
        cli_cpu_secs: cpu,
        all_requests,
        peak_rss_kib: peak,
        migrate_exit: migrate.code,
    });
    sb.shutdown();
    Ok(row)
}

struct Ctx<'a> {
    scenario: &'a Scenario,
    cli: &'a Path,
    dir: &'a Path,
    sb: &'a SandboxHandle,
}

impl Ctx<'_> {
    /// Runs `glassix-to-intercom <command>`, its output to `<command>.log`.
    fn run(&self, command: &str) -> Result<Ran, BenchError> {
        let log_path = self.log(command);
        let log = std::fs::File::create(&log_path).map_err(io(&log_path))?;
        let err_log = log.try_clone().map_err(io(&log_path))?;
        let mut cmd = Command::new(self.cli);
        cmd.current_dir(self.dir)
            .env_remove("GLASSIX_TO_INTERCOM_CONFIG")
            .env_remove("RUST_LOG")
            .envs(
                self.sb
                    .intercom
                    .tokens()
                    .into_iter()
                    .enumerate()
                    .map(|(i, t)| (token_var(i), t)),
            )
            .arg("--config")
            .arg(self.dir.join("bench.toml"))
            .arg("--no-progress")
            .arg(command)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err_log);
        for (i, c) in self.sb.credentials.glassix.iter().enumerate() {
            cmd.env(secret_var(i), &c.api_secret);
        }
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(io(self.cli))?;
        let pid = child.id();
        // A thread waits for the exit and notes its time: polling every `SAMPLE_EVERY` alone
        // made every wall time up to 50 ms late (4 % of a 1k discover + migrate).
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let status = child.wait();
            if let Err(unheard) = tx.send((status, Instant::now())) {
                // The harness stopped waiting (it returned an error): nobody to tell.
                drop(unheard);
            }
        });
        let mut peak = 0;
        let (status, ended) = loop {
            if let Some(kib) = procfs::peak_rss_kib(pid) {
                peak = peak.max(kib);
            }
            match rx.recv_timeout(SAMPLE_EVERY) {
                Ok((status, ended)) => break (status.map_err(io(self.cli))?, ended),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(BenchError::Io {
                        path: self.cli.to_owned(),
                        source: std::io::Error::other("the thread waiting for the CLI stopped"),
                    });
                }
            }
        };
        Ok(Ran {
            code: status.code(),
            wall: ended.duration_since(started),
            peak_rss_kib: peak,
        })
    }

    fn log(&self, command: &str) -> PathBuf {
        self.dir.join(format!("{command}.log"))
    }

    fn require(&self, command: &str, ran: &Ran) -> Result<(), BenchError> {
        if ran.code == Some(0) {
            return Ok(());
        }
        Err(BenchError::Command {
            scenario: self.scenario.name.to_owned(),
            command: command.to_owned(),
            code: ran.code,
            log: self.log(command),
        })
    }

    fn output_error(&self, what: &str, reason: impl ToString) -> BenchError {
        BenchError::Output {
            scenario: self.scenario.name.to_owned(),
            what: what.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// Confirms the proposed spec the way `demo` does: the seeded admin without a Glassix
    /// counterpart and the first team as fallbacks, customers without e-mail by Glassix id.
    fn confirm_spec(&self) -> Result<(), BenchError> {
        let path = self.dir.join("mapping.toml");
        let mut spec =
            MappingSpec::from_path(&path).map_err(|e| self.output_error("mapping.toml", e))?;
        let state = self.sb.intercom.state();
        let admin = state
            .admins
            .iter()
            .find(|a| a.email.starts_with("night.lead"))
            .or_else(|| state.admins.first())
            .ok_or_else(|| self.output_error("sandbox", "the Intercom workspace has no admin"))?;
        spec.policies.unmatched_agent = AgentPolicy::FallbackAdmin(admin.id.clone());
        if let Some(team) = state.teams.first() {
            spec.policies.unmatched_department = DepartmentPolicy::FallbackTeam(team.id.clone());
        }
        spec.policies.missing_email = MissingEmailPolicy::ExternalIdFromGlassixId;
        spec.confirmation.confirmed = true;
        spec.confirmation.confirmed_by = Some("bench (auto-confirmed)".to_owned());
        spec.confirmation.confirmed_at = Some(chrono::Utc::now());
        let text = spec
            .to_toml_string()
            .map_err(|e| self.output_error("mapping.toml", e))?;
        std::fs::write(&path, text).map_err(io(&path))
    }

    /// The plan's estimate, binding constraint, range and Glassix calls, from `out/plan.json`.
    fn read_estimate(&self) -> Result<Planned, BenchError> {
        let path = self.dir.join("out").join("plan.json");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| self.output_error("out/plan.json", e))?;
        let totals = &v["totals"];
        let number = |value: &serde_json::Value, at: &str| {
            value
                .as_f64()
                .ok_or_else(|| self.output_error("out/plan.json", format!("no number at {at}")))
        };
        Ok(Planned {
            estimate: number(&totals["estimated_seconds"], "totals.estimated_seconds")?,
            bound_by: totals["bound_by"].as_str().unwrap_or("unknown").to_owned(),
            range: (
                number(&totals["range"]["low_seconds"], "totals.range.low_seconds")?,
                number(
                    &totals["range"]["high_seconds"],
                    "totals.range.high_seconds",
                )?,
            ),
            glassix_calls: number(&totals["glassix_calls"], "totals.glassix_calls")? as u64,
            migrate_now: v["phases"]["migrate_now"]["seconds"].as_f64(),
        })
    }
}

/// What the plan said, from `out/plan.json`.
struct Planned {
    estimate: f64,
    bound_by: String,
    range: (f64, f64),
    glassix_calls: u64,
    /// `phases.migrate_now.seconds`, when the plan gave it.
    migrate_now: Option<f64>,
}

/// Creates `dir`, replacing an earlier run's; refuses a folder that holds anything else.
fn prepare_folder(dir: &Path) -> Result<PathBuf, BenchError> {
    if dir.exists() {
        if !dir.join(MARKER).exists() {
            return Err(BenchError::Foreign(dir.to_owned()));
        }
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let marker = dir.join(MARKER);
    std::fs::write(
        &marker,
        "Written by the bench harness; the next run replaces it.\n",
    )
    .map_err(io(&marker))?;
    std::fs::canonicalize(dir).map_err(io(dir))
}

async fn start_sandbox(s: &Scenario) -> Result<SandboxHandle, BenchError> {
    let sizes = GeneratorSizes {
        departments: s.departments,
        tier: Tier::Enterprise,
        ..GeneratorSizes::with_tickets(s.tickets)
    };
    let config = SandboxConfig {
        source: SnapshotSource::Generate { seed: 1, sizes },
        glassix: GlassixConfig {
            limits: Some(TierLimits {
                per_minute: s.glassix_per_minute,
                per_hour: s.glassix_per_hour,
            }),
            ..GlassixConfig::default()
        },
        intercom: IntercomConfig {
            rate_limit: s.intercom_per_window,
            window_secs: s.intercom_window_secs,
            workspace_limit: Some(s.workspace_per_window()),
            extra_tokens: (2..=s.intercom_apps)
                .map(|i| format!("bench-intercom-app-{i}"))
                .collect(),
            ..IntercomConfig::default()
        },
        ..SandboxConfig::default()
    };
    Sandbox::start(config)
        .await
        .map_err(|e| BenchError::Sandbox {
            scenario: s.name.to_owned(),
            reason: e.to_string(),
        })
}

/// The variable holding the `i`-th Intercom app's token (0: [`TOKEN_VAR`]).
fn token_var(i: usize) -> String {
    match i {
        0 => TOKEN_VAR.to_owned(),
        _ => format!("{TOKEN_VAR}_{}", i + 1),
    }
}

/// The `[intercom]` token settings: `token_env` for one app, else `token_envs` and the
/// workspace limit the sandbox enforces.
fn token_settings(s: &Scenario) -> String {
    if s.intercom_apps <= 1 {
        return format!("token_env = \"{TOKEN_VAR}\"\n");
    }
    let vars: Vec<String> = (0..s.intercom_apps)
        .map(|i| format!("\"{}\"", token_var(i)))
        .collect();
    let per_minute = u64::from(s.workspace_per_window()) * 60 / s.intercom_window_secs.max(1);
    let mut t = format!(
        "token_envs = [{}]\nworkspace_limit_per_minute = {per_minute}\n",
        vars.join(", ")
    );
    if let Some(share) = s.workspace_share {
        t.push_str(&format!("workspace_share = {share}\n"));
    }
    t
}

fn secret_var(i: usize) -> String {
    format!("BENCH_GLASSIX_SECRET_{}", i + 1)
}

fn config_text(s: &Scenario, sb: &SandboxHandle) -> String {
    let mut t = format!(
        "[glassix]\nbase_url = \"{}\"\ntier = \"enterprise\"\nper_minute = {}\nper_hour = {}\n\n",
        sb.glassix_url, s.glassix_per_minute, s.glassix_per_hour
    );
    for (i, c) in sb.credentials.glassix.iter().enumerate() {
        t.push_str(&format!(
            "[[glassix.departments]]\nname = {}\napi_key = \"{}\"\napi_secret_env = \"{}\"\n\
             user_name = \"{}\"\n\n",
            toml::Value::String(c.department_name.clone()),
            c.api_key,
            secret_var(i),
            c.user_name
        ));
    }
    t.push_str(&format!(
        "[intercom]\n{}base_url = \"{}\"\n\n\
         [migration]\nsince = 2020-01-01T00:00:00Z\nconcurrency = {}\n\n\
         [paths]\nspec = \"mapping.toml\"\nledger = \"migration.sqlite\"\nout = \"out\"\n",
        token_settings(s),
        sb.intercom_url,
        s.concurrency
    ));
    t
}

/// `after - before`, per endpoint and status.
fn diff(after: &RequestStats, before: &RequestStats) -> RequestStats {
    let mut out = RequestStats::default();
    for (endpoint, statuses) in &after.by_endpoint {
        for (status, n) in statuses {
            let was = before
                .by_endpoint
                .get(endpoint)
                .and_then(|s| s.get(status))
                .copied()
                .unwrap_or(0);
            let d = n.saturating_sub(was);
            if d > 0 {
                out.by_endpoint
                    .entry(endpoint.clone())
                    .or_default()
                    .insert(status.clone(), d);
                *out.by_status.entry(status.clone()).or_default() += d;
                out.total += d;
            }
        }
    }
    out
}

/// Intercom write requests (reads and searches excluded).
fn writes(stats: &RequestStats) -> u64 {
    stats
        .by_endpoint
        .iter()
        .filter(|(e, _)| !e.starts_with("GET ") && !e.ends_with("/search"))
        .map(|(_, s)| s.values().sum::<u64>())
        .sum()
}
