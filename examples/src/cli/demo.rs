//! `demo`: a whole migration against a generated workspace served by the in-process sandbox —
//! the same code path as a real migration, with the sandbox's URLs in the configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use helpdesk_sandbox::{
    GeneratorSizes, GlassixConfig, IntercomConfig, Sandbox, SandboxConfig, SandboxHandle,
    SnapshotSource, TierLimits,
};
use migration_core::map::Mappers;
use migration_core::spec::{AgentPolicy, DepartmentPolicy, MappingSpec, MissingEmailPolicy};
use secrecy::SecretString;

use super::app::App;
use super::args::DemoArgs;
use super::config::{Config, InMemorySecrets};
use super::console::Console;
use super::exit::{CliError, Exit, from_core, from_intercom};
use super::outputs::{names, write_file};
use super::{prepare, report, run};

/// Marks a folder as the demo's, so a later demo may replace it (and nothing else).
const MARKER: &str = ".glassix-to-intercom-demo";
/// The Glassix quota the demo's workspace has: the Enterprise tier's.
const GLASSIX_PER_MINUTE: u32 = 600;
/// Requests per hour of the Enterprise tier.
const GLASSIX_PER_HOUR: u32 = 20_000;
/// Intercom's budget in the demo: its default for a private app, 10,000 a minute, stated by
/// `X-RateLimit-Limit` as 1,666 per 10-second window.
const INTERCOM_PER_WINDOW: u32 = 1_666;
/// Intercom's rate-limit window.
const INTERCOM_WINDOW_SECS: u64 = 10;

/// Runs the demo; returns the migration's exit code.
pub async fn run(
    args: &DemoArgs,
    mappers: Arc<Mappers>,
    console: Console,
) -> Result<Exit, CliError> {
    let started = Instant::now();
    let out = prepare_folder(&args.out)?;
    console.line(format!(
        "Demo: a generated Glassix workspace ({} tickets, seed {}) and an Intercom workspace, \
         both served by the built-in sandbox on loopback. Everything is written to {}.",
        args.tickets,
        args.seed,
        out.display()
    ));
    let sb = start_sandbox(args, &out).await?;
    let config_path = out.join("glassix-to-intercom.toml");
    write_file(&config_path, &config_text(&sb))?;
    let mut config = Config::load(&config_path)?;
    config.in_memory = secrets(&sb);
    let app = App::new(config, mappers, console.clone());
    console.line(format!(
        "Configuration: {} (secrets are passed in memory, never written).",
        config_path.display()
    ));

    stage(&console, 1, "discover");
    let discovery = prepare::discover(&app).await?;
    stage(&console, 2, "propose");
    let proposed = prepare::propose(&app, true).await?;
    let spec = auto_confirm(&app, proposed, &discovery).await?;
    let text = spec.to_toml_string().map_err(from_core)?;
    write_file(&app.config.paths.spec, &text)?;
    stage(&console, 3, "plan");
    prepare::plan(&app).await?;
    stage(&console, 4, "migrate");
    let outcome = run::migrate(&app, false).await?;
    stage(&console, 5, "report");
    report::report(&app).await?;
    sb.shutdown();

    console.line("");
    console.line(format!(
        "Demo finished in {:.1} s. The migration ended: {}.",
        started.elapsed().as_secs_f64(),
        outcome
            .summary
            .as_ref()
            .map_or("unknown", |s| s.outcome.as_str())
    ));
    console.line(format!("Outputs in {}:", app.config.paths.out.display()));
    for name in [
        names::DISCOVERY_MD,
        names::DISCOVERY_JSON,
        names::PROPOSED_SPEC,
        names::PLAN_MD,
        names::PLAN_JSON,
        names::QUEUE_CSV,
        names::PROVISIONING_MD,
        names::PROVISIONING_JSON,
        names::INVENTORY_MD,
        names::SUMMARY_MD,
        names::SUMMARY_JSON,
        names::REPORT_HTML,
        names::REPORTS_REBUILD_MD,
    ] {
        console.line(format!("  {}", app.config.paths.out.join(name).display()));
    }
    console.line(format!(
        "Spec: {}  Ledger: {}",
        app.config.paths.spec.display(),
        app.config.paths.ledger.display()
    ));
    Ok(outcome.exit)
}

fn stage(console: &Console, n: u8, name: &str) {
    console.line("");
    console.line(format!("== {n}/5 {name} =="));
}

/// Creates the folder, replacing an earlier demo's; refuses a folder that holds anything else.
fn prepare_folder(dir: &Path) -> Result<PathBuf, CliError> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(|e| CliError::io(dir, e))?
            .next()
            .is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(CliError::config(format!(
                "{} exists and is not an earlier demo's folder: pass --out with a new or empty \
                 folder",
                dir.display()
            )));
        }
        std::fs::remove_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    write_file(
        &dir.join(MARKER),
        "This folder was written by `glassix-to-intercom demo`; the next demo replaces it.\n",
    )?;
    let abs = std::fs::canonicalize(dir).map_err(|e| CliError::io(dir, e))?;
    Ok(abs)
}

async fn start_sandbox(args: &DemoArgs, out: &Path) -> Result<SandboxHandle, CliError> {
    let config = SandboxConfig {
        source: SnapshotSource::Generate {
            seed: args.seed,
            sizes: GeneratorSizes::with_tickets(args.tickets),
        },
        glassix: GlassixConfig {
            limits: Some(TierLimits {
                per_minute: GLASSIX_PER_MINUTE,
                per_hour: GLASSIX_PER_HOUR,
            }),
            ..GlassixConfig::default()
        },
        intercom: IntercomConfig {
            rate_limit: INTERCOM_PER_WINDOW,
            window_secs: INTERCOM_WINDOW_SECS,
            ..IntercomConfig::default()
        },
        exports_dir: Some(out.join("exports")),
        ..SandboxConfig::default()
    };
    Sandbox::start(config)
        .await
        .map_err(|e| CliError::failure(format!("the sandbox did not start: {e}")))
}

/// Variable names the demo's configuration uses for the sandbox's secrets.
fn secret_var(i: usize) -> String {
    format!("DEMO_GLASSIX_SECRET_{}", i + 1)
}

const TOKEN_VAR: &str = "DEMO_INTERCOM_TOKEN";

fn config_text(sb: &SandboxHandle) -> String {
    let mut t = format!(
        "# Written by `glassix-to-intercom demo` for its sandbox (gone when the demo ends).\n\
         [glassix]\nbase_url = \"{}\"\ntier = \"enterprise\"\n\n",
        sb.glassix_url
    );
    for (i, c) in sb.credentials.glassix.iter().enumerate() {
        t.push_str(&format!(
            "[[glassix.departments]]\nname = {}\napi_key = \"{}\"\napi_secret_env = \"{}\"\n\
             user_name = \"{}\"\n\n",
            toml_string(&c.department_name),
            c.api_key,
            secret_var(i),
            c.user_name
        ));
    }
    t.push_str(&format!(
        "[intercom]\ntoken_env = \"{TOKEN_VAR}\"\nbase_url = \"{}\"\n\n\
         [migration]\nsince = 2020-01-01T00:00:00Z\nconcurrency = 8\n\n\
         [paths]\nspec = \"mapping.toml\"\nledger = \"migration.sqlite\"\nout = \"out\"\n\
         exports = \"exports\"\n",
        sb.intercom_url
    ));
    t
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn secrets(sb: &SandboxHandle) -> InMemorySecrets {
    let mut m = BTreeMap::new();
    for (i, c) in sb.credentials.glassix.iter().enumerate() {
        m.insert(secret_var(i), SecretString::from(c.api_secret.clone()));
    }
    m.insert(
        TOKEN_VAR.to_owned(),
        SecretString::from(sb.credentials.intercom_token.clone()),
    );
    InMemorySecrets(m)
}

/// Plays the reviewer: confirms the proposal, with the token's admin and the first team as
/// fallbacks so that every ticket can move (a real migration decides this in review).
async fn auto_confirm(
    app: &App,
    mut spec: MappingSpec,
    discovery: &migration_core::discover::Discovery,
) -> Result<MappingSpec, CliError> {
    let ic = app.config.intercom_client()?;
    let me = ic.admins().me().await.map_err(from_intercom)?;
    let teams = ic.admins().list_teams().await.map_err(from_intercom)?;
    let c = &app.console;
    c.line("AUTO-CONFIRMED for the demo: a real migration waits here for a person to review and confirm the spec.");
    if spec.policies.missing_email == MissingEmailPolicy::Queue {
        spec.policies.missing_email = MissingEmailPolicy::ExternalIdFromGlassixId;
        c.line(
            "  Demo choice: customers without an e-mail (WhatsApp, SMS, Facebook…) are \
             identified by their Glassix id (policies.missing_email = \
             \"external_id_from_glassix_id\").",
        );
    }
    if !discovery.provisioning.agents.is_empty() {
        spec.policies.unmatched_agent = AgentPolicy::FallbackAdmin(me.admin.id.clone());
        c.line(format!(
            "  Demo choice: {} agent(s) without an Intercom teammate → admin {} (the token's \
             admin).",
            discovery.provisioning.agents.len(),
            me.admin.id
        ));
    }
    if let (false, Some(team)) = (discovery.provisioning.departments.is_empty(), teams.first()) {
        spec.policies.unmatched_department = DepartmentPolicy::FallbackTeam(team.id.clone());
        c.line(format!(
            "  Demo choice: {} department(s) without a team → team {} ({}).",
            discovery.provisioning.departments.len(),
            team.id,
            team.name.as_deref().unwrap_or("unnamed")
        ));
    }
    spec.confirmation.confirmed = true;
    spec.confirmation.confirmed_by = Some("glassix-to-intercom demo (auto-confirmed)".to_owned());
    spec.confirmation.confirmed_at = Some(chrono::Utc::now());
    Ok(spec)
}
