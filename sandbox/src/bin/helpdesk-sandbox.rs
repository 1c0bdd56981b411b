//! `helpdesk-sandbox`: starts the fake Glassix and Intercom, prints one JSON line with both base
//! URLs and the credentials, and serves until Ctrl-C.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use helpdesk_sandbox::{
    FaultConfig, GeneratorSizes, GlassixConfig, IntercomConfig, Sandbox, SandboxConfig,
    SandboxError, SnapshotSource, Tier,
};

/// Fake Glassix and Intercom servers for rehearsals, tests and benchmarks.
#[derive(Debug, Parser)]
#[command(name = "helpdesk-sandbox", version)]
struct Args {
    /// Seed the fake Glassix from this snapshot file (JSON, see docs/sandbox.md).
    #[arg(long, conflicts_with = "generate")]
    snapshot: Option<PathBuf>,
    /// Generate the workspace: `tickets=N,seed=S` (default tickets=200,seed=1); also
    /// `departments`, `contacts`, `agents`, `long`, and `adversarial=1` for the data problems of
    /// real workspaces (see docs/sandbox.md).
    #[arg(long)]
    generate: Option<String>,
    /// Override the Glassix tier: starter, growth or enterprise.
    #[arg(long)]
    tier: Option<Tier>,
    /// Override the Glassix per-department quota: `MINUTE,HOUR` (e.g. `120,3000`).
    #[arg(long)]
    glassix_limits: Option<String>,
    /// Intercom requests admitted per window to each app (default 1667).
    #[arg(long)]
    intercom_limit: Option<u32>,
    /// Intercom requests admitted per window across every app of the workspace (default 2.5 ×
    /// the per-app limit, Intercom's 25,000/min against 10,000/min).
    #[arg(long)]
    intercom_workspace_limit: Option<u32>,
    /// Intercom apps of the workspace, each with its own token and limit (default 1): the
    /// tokens are `--intercom-token`, then `<that>-2`, `<that>-3`, … (printed as
    /// `intercom_tokens`).
    #[arg(long, default_value_t = 1)]
    intercom_apps: usize,
    /// Intercom rate-limit window in seconds (default 10).
    #[arg(long)]
    window_secs: Option<u64>,
    /// Seconds before a new Intercom contact is searchable (default 0).
    #[arg(long, default_value_t = 0)]
    searchable_delay_secs: i64,
    /// Faults for both servers, e.g. `burst_429_every=50,burst_429_len=3,error_5xx_every=40,latency_ms=5,drop_every=100,lose_response_every_write=30,seed=7`.
    #[arg(long)]
    faults: Option<FaultConfig>,
    /// Faults for the fake Glassix only (overrides --faults there).
    #[arg(long)]
    glassix_faults: Option<FaultConfig>,
    /// Faults for the fake Intercom only (overrides --faults there).
    #[arg(long)]
    intercom_faults: Option<FaultConfig>,
    /// Add `Retry-After` to Glassix quota 429s.
    #[arg(long)]
    retry_after: bool,
    /// Write the knowledge-base and automation exports into this folder.
    #[arg(long)]
    exports_dir: Option<PathBuf>,
    /// Also write the served snapshot to this file.
    #[arg(long)]
    write_snapshot: Option<PathBuf>,
    /// Glassix port (default: chosen by the OS).
    #[arg(long, default_value_t = 0)]
    glassix_port: u16,
    /// Intercom port (default: chosen by the OS).
    #[arg(long, default_value_t = 0)]
    intercom_port: u16,
    /// Intercom access token to accept.
    #[arg(long, default_value = "sandbox-intercom-token")]
    intercom_token: String,
}

fn parse_generate(spec: &str) -> Result<(u64, GeneratorSizes), SandboxError> {
    let mut seed = 1;
    let mut sizes = GeneratorSizes::default();
    for pair in spec.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            SandboxError::Config(format!("--generate: `{pair}` is not key=value"))
        })?;
        let n: u64 = v.trim().parse().map_err(|_| {
            SandboxError::Config(format!("--generate: `{k}` needs a number, got `{v}`"))
        })?;
        match k.trim() {
            "seed" => seed = n,
            "tickets" => {
                let (keep_tier, keep_adversarial) = (sizes.tier, sizes.adversarial);
                sizes = GeneratorSizes {
                    tier: keep_tier,
                    adversarial: keep_adversarial,
                    ..GeneratorSizes::with_tickets(n as usize)
                };
            }
            "departments" => sizes.departments = n as usize,
            "contacts" => sizes.contacts = n as usize,
            "agents" => sizes.agents_per_department = n as usize,
            "long" => sizes.long_conversation = n as usize,
            "adversarial" => sizes.adversarial = n != 0,
            other => {
                return Err(SandboxError::Config(format!(
                    "--generate: unknown key `{other}` (use tickets, seed, departments, contacts, agents, long, adversarial)"
                )));
            }
        }
    }
    Ok((seed, sizes))
}

async fn run(args: Args) -> Result<(), SandboxError> {
    let source = match (&args.snapshot, &args.generate) {
        (Some(path), _) => SnapshotSource::File(path.clone()),
        (None, spec) => {
            let (seed, sizes) = parse_generate(spec.as_deref().unwrap_or(""))?;
            SnapshotSource::Generate { seed, sizes }
        }
    };
    let limits = match &args.glassix_limits {
        None => None,
        Some(s) => {
            let (m, h) = s
                .split_once(',')
                .ok_or_else(|| SandboxError::Config("--glassix-limits needs MINUTE,HOUR".into()))?;
            let parse = |x: &str| {
                x.trim().parse::<u32>().map_err(|_| {
                    SandboxError::Config(format!("--glassix-limits: `{x}` is not a number"))
                })
            };
            Some(helpdesk_sandbox::TierLimits {
                per_minute: parse(m)?,
                per_hour: parse(h)?,
            })
        }
    };
    let base_faults = args.faults.clone().unwrap_or_default();
    let mut intercom = IntercomConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], args.intercom_port)),
        token: args.intercom_token.clone(),
        searchable_delay_secs: args.searchable_delay_secs,
        faults: args
            .intercom_faults
            .clone()
            .unwrap_or_else(|| base_faults.clone()),
        ..IntercomConfig::default()
    };
    if let Some(l) = args.intercom_limit {
        intercom.rate_limit = l;
    }
    if let Some(w) = args.window_secs {
        intercom.window_secs = w;
    }
    intercom.workspace_limit = args.intercom_workspace_limit;
    intercom.extra_tokens = (2..=args.intercom_apps.max(1))
        .map(|i| format!("{}-{i}", args.intercom_token))
        .collect();
    let config = SandboxConfig {
        source,
        glassix: GlassixConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], args.glassix_port)),
            tier: args.tier,
            limits,
            retry_after: args.retry_after,
            faults: args.glassix_faults.clone().unwrap_or(base_faults),
            ..GlassixConfig::default()
        },
        intercom,
        exports_dir: args.exports_dir.clone(),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await?;
    if let Some(path) = &args.write_snapshot {
        std::fs::write(path, sandbox.snapshot.to_json()?).map_err(|e| SandboxError::Io {
            what: format!("writing {}", path.display()),
            source: e,
        })?;
    }
    let line = serde_json::json!({
        "glassix_url": sandbox.glassix_url,
        "intercom_url": sandbox.intercom_url,
        "glassix": sandbox.credentials.glassix,
        "intercom_token": sandbox.credentials.intercom_token,
        "intercom_tokens": sandbox.intercom.tokens(),
        "tier": args.tier.unwrap_or(sandbox.snapshot.tier),
        "tickets": sandbox.snapshot.tickets.len(),
        "exports": sandbox.exports,
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|_| out.flush())
        .map_err(|e| SandboxError::Io {
            what: "writing to stdout".into(),
            source: e,
        })?;
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| SandboxError::Io {
            what: "waiting for Ctrl-C".into(),
            source: e,
        })?;
    sandbox.shutdown();
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "helpdesk-sandbox: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
