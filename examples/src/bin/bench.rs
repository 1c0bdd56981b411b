//! `bench`: runs the benchmark scenarios against the in-process sandbox and prints one table
//! (see `docs/performance.md`). Build in release for the unthrottled figures:
//! `cargo run --release -p glassix-to-intercom-examples --bin bench -- --quick`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use glassix_to_intercom_examples::bench::{
    Spread, median_run, render_spread, render_table, run_scenario, scenarios,
};

/// Benchmark scenarios against the built-in sandbox.
#[derive(Parser, Debug)]
#[command(name = "bench")]
struct Args {
    /// Run only these scenarios (repeatable); default: all but `tiny`.
    #[arg(long = "scenario")]
    scenario: Vec<String>,
    /// Smaller workspaces (same limits), for a smoke run.
    #[arg(long)]
    quick: bool,
    /// Print the rows as JSON instead of the table (with `--repeat`: an object with the median
    /// `rows`, every run's row in `runs`, and the `spread`).
    #[arg(long)]
    json: bool,
    /// List the scenarios and exit.
    #[arg(long)]
    list: bool,
    /// Folder for the scenarios' configs, ledgers, logs and outputs.
    #[arg(long, default_value = "bench-out")]
    out: PathBuf,
    /// The CLI binary to measure; default: `glassix-to-intercom` beside this binary.
    #[arg(long)]
    cli: Option<PathBuf>,
    /// Generate this many tickets instead of the scenario's size (e.g. the memory check:
    /// `--scenario unthrottled-1k --tickets 2000`, then `--tickets 20000`).
    #[arg(long)]
    tickets: Option<usize>,
    /// Run the migration with this concurrency instead of the scenario's (tickets in flight).
    #[arg(long)]
    concurrency: Option<usize>,
    /// Run each scenario this many times (each from a fresh sandbox and ledger, in
    /// `OUT/run-<n>/<scenario>`): the table shows each scenario's median run (by discover +
    /// migrate wall time), followed by the spread of the figures over the runs.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let mut all = scenarios(args.quick);
    if let Some(n) = args.tickets {
        all.iter_mut().for_each(|s| s.tickets = n);
    }
    if let Some(n) = args.concurrency {
        all.iter_mut().for_each(|s| s.concurrency = n);
    }
    if args.list {
        let list: String = all
            .iter()
            .map(|s| {
                format!(
                    "{:<22} {:>6} tickets  {}\n",
                    s.name, s.tickets, s.description
                )
            })
            .collect();
        return emit(&list);
    }
    let chosen: Vec<_> = if args.scenario.is_empty() {
        all.into_iter().filter(|s| s.name != "tiny").collect()
    } else {
        let mut chosen = vec![];
        for name in &args.scenario {
            match all.iter().find(|s| s.name == name) {
                Some(s) => chosen.push(s.clone()),
                None => {
                    eprintln!("unknown scenario `{name}`: `bench --list` shows them");
                    return ExitCode::from(2);
                }
            }
        }
        chosen
    };
    let cli = match args.cli.clone().or_else(beside_me) {
        Some(cli) => cli,
        None => {
            eprintln!("cannot find the glassix-to-intercom binary: pass --cli PATH");
            return ExitCode::from(2);
        }
    };
    let mut rows = vec![];
    let mut every_run = vec![];
    let mut spreads = vec![];
    for s in &chosen {
        eprintln!(
            "running {} ({} tickets): {}",
            s.name, s.tickets, s.description
        );
        let mut runs = vec![];
        for n in 1..=args.repeat {
            let out = if args.repeat == 1 {
                args.out.clone()
            } else {
                args.out.join(format!("run-{n}"))
            };
            match run_scenario(s, &cli, &out).await {
                Ok(row) => {
                    // Each row as it is measured, so that a long run shows progress.
                    eprint!("{}", render_table(std::slice::from_ref(&row)));
                    runs.push(row);
                }
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        if let Some(median) = median_run(&runs) {
            rows.push(median.clone());
        }
        if args.repeat > 1 {
            spreads.extend(Spread::of(&runs));
            every_run.extend(runs);
        }
    }
    if args.json {
        let json = if spreads.is_empty() {
            serde_json::to_string_pretty(&rows)
        } else {
            serde_json::to_string_pretty(
                &serde_json::json!({ "rows": rows, "runs": every_run, "spread": spreads }),
            )
        };
        match json {
            Ok(text) => emit(&format!("{text}\n")),
            Err(e) => {
                eprintln!("the rows could not be written as JSON: {e}");
                ExitCode::FAILURE
            }
        }
    } else if spreads.is_empty() {
        emit(&render_table(&rows))
    } else {
        emit(&format!(
            "{}\nSpread over {} runs of each scenario (lowest / median / highest of each column \
             on its own, so two columns' medians may come from different runs):\n\n{}",
            render_table(&rows),
            args.repeat,
            render_spread(&spreads)
        ))
    }
}

/// Writes `text` to standard output.
fn emit(text: &str) -> ExitCode {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("standard output could not be written: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `glassix-to-intercom` in the folder of this executable.
fn beside_me() -> Option<PathBuf> {
    let me = std::env::current_exe().ok()?;
    let cli = me.parent()?.join("glassix-to-intercom");
    cli.exists().then_some(cli)
}
