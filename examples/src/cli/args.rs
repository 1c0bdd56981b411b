//! The command line (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Migrate a Glassix helpdesk to Intercom: customers, agents, departments, tickets with their
/// whole history and notes, custom fields, tags and knowledge-base articles.
///
/// A real migration runs: discover → propose (review and confirm the spec) → plan →
/// migrate --dry-run → migrate → verify → status / report, then `delta` daily until the
/// cutover's `delta --until-quiet`. `demo` does all of it but `delta` against a built-in sandbox.
/// Exit codes: 0 done, 1 unexpected failure, 2 configuration, 3 blocked on provisioning, 4
/// Glassix tier without API access, 5 partial (run `migrate` again), 6 `verify` found a
/// difference.
#[derive(Debug, Parser)]
#[command(name = "glassix-to-intercom", version, about, long_about)]
pub struct Args {
    /// The configuration file (`glassix-to-intercom schema` prints its JSON Schema).
    #[arg(
        long,
        global = true,
        env = "GLASSIX_TO_INTERCOM_CONFIG",
        default_value = "glassix-to-intercom.toml"
    )]
    pub config: PathBuf,
    /// More log output on stderr (-v: debug, -vv: trace); `RUST_LOG` also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Plain progress lines instead of progress bars (always plain when stdout is not a
    /// terminal).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a whole migration against a generated workspace in a built-in sandbox (no
    /// configuration, no network): discover, propose (auto-confirmed), plan, migrate, report.
    Demo(DemoArgs),
    /// Read both workspaces (writes nothing to Intercom) and report what is there, what
    /// matches, and what to create by hand in Intercom first.
    Discover,
    /// Draft the mapping spec from discovery for a person to review and confirm.
    Propose {
        /// Overwrite the spec file named in the configuration if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Confirm the reviewed mapping spec: validates it and writes its `[confirmation]` table
    /// (who, when, and a hash of its content). A later edit withdraws the confirmation:
    /// `migrate` refuses the spec and names what changed until it is confirmed again.
    Confirm {
        /// Who confirms (a name or an e-mail), recorded in the spec.
        #[arg(long)]
        by: String,
    },
    /// Order the steps and estimate calls and duration from the rate limits.
    Plan,
    /// Move the records (needs a confirmed spec). Safe to interrupt and run again: it resumes,
    /// and nothing is created twice.
    Migrate {
        /// Map everything and report what would be written, without writing to Intercom or to
        /// the ledger.
        #[arg(long)]
        dry_run: bool,
    },
    /// Move only what changed in Glassix since the last completed `migrate` or `delta` (its
    /// watermark minus `[migration] delta_margin_secs`, default one hour): new tickets, new
    /// messages, state, assignee, tags, fields, changed customers and articles. Records a new
    /// watermark when it completes; a failed or interrupted delta does not.
    Delta {
        /// Repeat deltas until one finds nothing new and nothing changed while it ran (for the
        /// freeze window), at most `--max-rounds` times.
        #[arg(long)]
        until_quiet: bool,
        /// The most deltas `--until-quiet` runs.
        #[arg(long, default_value_t = 5)]
        max_rounds: u32,
    },
    /// Rebuild a lost ledger from Intercom (needs a new, empty ledger file): every record is
    /// looked up and what this migration made is adopted; nothing is created. Then `migrate`
    /// creates only what was missing.
    Recover,
    /// Read back every migrated object from Intercom and compare it field by field with what
    /// the migration wrote (`out/verification.json`, refreshes report.html). Reads Intercom;
    /// writes nothing there. Exit 6 when a field differs or an object is missing.
    Verify {
        /// Check every object anew (an interrupted verification otherwise resumes, skipping
        /// the objects it already found equal).
        #[arg(long)]
        again: bool,
        /// Also spot-check N tickets (50 when N is not given), read again from Glassix and
        /// shown side by side with Intercom in report.html; seeded, stratified by department,
        /// channel and kind.
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "50")]
        sample: Option<usize>,
        /// Seed of the spot-check's choice (same seed, same tickets).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Undo what the migration created (everything, one run, some kinds or some Glassix ids):
    /// deletes it in reverse dependency order, archives schema objects, never touches what it
    /// found and reused. Safe to interrupt and run again.
    Rollback(super::rollback::RollbackArgs),
    /// Show where the migration stands, from the ledger only (no network).
    Status,
    /// Write the run summary, the reconciliation queue, report.html and the reports rebuild
    /// guide from the ledger and the output folder (no network).
    Report,
    /// Print the Intercom admins or teams (ids, names, e-mails) and the Glassix agents or
    /// departments discovery matched to each: the ids for the spec's `fallback_admin` and
    /// `fallback_team`. Reads Intercom; writes nothing.
    Lookup {
        /// What to list.
        #[arg(value_enum)]
        target: LookupTarget,
    },
    /// Print the JSON Schema of the configuration file (or of the mapping spec).
    Schema {
        /// Print the mapping spec's schema instead.
        #[arg(long)]
        spec: bool,
    },
}

/// Options of `demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Tickets in the generated workspace.
    #[arg(long, default_value_t = 300)]
    pub tickets: usize,
    /// Seed of the generator (same seed, same workspace).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Folder for the demo's configuration, spec, ledger and reports (replaced if it holds an
    /// earlier demo).
    #[arg(long, default_value = "glassix-to-intercom-demo")]
    pub out: PathBuf,
}

/// What `lookup` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LookupTarget {
    /// Intercom admins (teammates): for `unmatched_agent = { fallback_admin = "<id>" }`.
    Admins,
    /// Intercom teams: for `unmatched_department = { fallback_team = "<id>" }`.
    Teams,
}
