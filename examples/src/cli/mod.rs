//! The `glassix-to-intercom` command line: subcommands, configuration, outputs and exit codes
//! (reference: `docs/cli.md`).
//!
//! | Module | What it holds |
//! |---|---|
//! | [`args`] | the command line (clap) |
//! | [`config`] | the TOML configuration, its JSON Schema, the clients built from it |
//! | [`app`] | what every subcommand shares; how a migration is put together |
//! | [`prepare`] | `discover`, `propose`, `plan` |
//! | [`run`] | `migrate` |
//! | [`rollback`] | `rollback`: undo what the migration created |
//! | [`status`] | `status` |
//! | [`report`] | `report`, and the outputs `migrate` writes at its end |
//! | [`verify`] | `verify`: every migrated object read back and compared |
//! | [`logging`] | log output on stderr, repeated rate-limit warnings summarised |
//! | [`lookup`] | `lookup admins`, `lookup teams`: ids for the spec's fallbacks |
//! | [`demo`] | `demo`: the whole sequence against the in-process sandbox |
//! | [`outputs`] | the files written and the run summary |
//! | [`console`] | text and progress on screen, secrets masked |
//! | [`exit`] | exit codes and errors that say what to do |

pub mod app;
pub mod args;
pub mod config;
pub mod console;
pub mod delta;
pub mod demo;
pub mod exit;
pub mod logging;
pub mod lookup;
pub mod outputs;
pub mod prepare;
pub mod report;
pub mod rollback;
pub mod run;
pub mod status;
pub mod verify;

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use migration_core::map::Mappers;

use app::App;
use args::{Args, Command};
use config::Config;
use console::Console;
use exit::{CliError, Exit};

/// Runs the CLI on the process arguments with the default mappers.
pub fn main() -> ExitCode {
    main_with(Mappers::default())
}

/// Runs the CLI on the process arguments with `mappers` (custom mappers replace the defaults in
/// every subcommand that maps records).
pub fn main_with(mappers: Mappers) -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Config
            } else {
                Exit::Success
            };
            let _ = e.print();
            return code.into();
        }
    };
    init_logging(args.verbose);
    let console = Console::new(args.no_progress);
    // One thread: the run's work is one stream of small steps (a request, its ledger writes),
    // and on a multi-thread runtime the hand-offs between workers cost more CPU than a second
    // worker gave (docs/performance.md, "Hot path", third pass). Nothing blocks the thread for
    // long: ledger writes are short transactions in WAL mode with `synchronous = NORMAL` (no
    // fsync per commit); the ledger's idle-commit thread is its own.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            console.error(format!("error: cannot start the async runtime: {e}"));
            return Exit::Failure.into();
        }
    };
    let result = runtime.block_on(dispatch(args, Arc::new(mappers), console.clone()));
    // Do not wait for in-flight requests of an interrupted run.
    runtime.shutdown_background();
    logging::flush();
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            console.error(format!("error: {}", e.message));
            e.exit.into()
        }
    }
}

async fn dispatch(args: Args, mappers: Arc<Mappers>, console: Console) -> Result<Exit, CliError> {
    let load = || -> Result<App, CliError> {
        let config = Config::load(&args.config)?;
        Ok(App::new(config, mappers.clone(), console.clone()))
    };
    match &args.command {
        Command::Schema { spec } => {
            let schema = if *spec {
                migration_core::spec::MappingSpec::json_schema()
            } else {
                config::json_schema()
            };
            let text = serde_json::to_string_pretty(&schema)
                .map_err(|e| CliError::failure(format!("rendering the schema: {e}")))?;
            console.line(text);
            Ok(Exit::Success)
        }
        Command::Demo(d) => demo::run(d, mappers.clone(), console.clone()).await,
        Command::Discover => prepare::discover(&load()?).await.map(|_| Exit::Success),
        Command::Propose { force } => prepare::propose(&load()?, *force)
            .await
            .map(|_| Exit::Success),
        Command::Confirm { by } => prepare::confirm(&load()?, by).map(|()| Exit::Success),
        Command::Plan => prepare::plan(&load()?).await.map(|()| Exit::Success),
        Command::Migrate { dry_run } => run::migrate(&load()?, *dry_run).await.map(|o| o.exit),
        Command::Delta {
            until_quiet,
            max_rounds,
        } => delta::delta(&load()?, *until_quiet, *max_rounds).await,
        Command::Recover => run::recover(&load()?).await,
        Command::Verify {
            again,
            sample,
            seed,
        } => {
            let options = migration_core::verify::VerifyOptions::default()
                .again(*again)
                .sample(sample.unwrap_or(0), *seed);
            verify::verify(&load()?, &options).await
        }
        Command::Rollback(r) => rollback::rollback(&load()?, r).await,
        Command::Status => status::status(&load()?).map(|()| Exit::Success),
        Command::Report => report::report(&load()?).await.map(|_| Exit::Success),
        Command::Lookup { target } => lookup::lookup(&load()?, *target)
            .await
            .map(|()| Exit::Success),
    }
}

/// Logs to stderr: warnings by default, `-v` debug, `-vv` trace; `RUST_LOG` wins when set.
fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    if verbose > 0 {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
        return;
    }
    // The default level: repeated 429 warnings are summarised once a minute.
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(logging::SummariseRateLimits);
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init();
}
