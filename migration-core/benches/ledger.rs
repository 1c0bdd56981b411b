//! Ledger write throughput (no criterion: `cargo bench -p migration-core --bench ledger`).
//!
//! Measures, on a temporary file in WAL mode:
//! * `mark_migrated`: one upsert transaction per record;
//! * `mark_pending` in batches of 100 records per transaction ([`Ledger::batch`]);
//! * `record_intent` + `complete_intent`: the two transactions the executor writes per create;
//! * the same with 8 threads sharing one `Ledger` (the async executor's situation);
//! * `record_intent` + `complete_intent` with `LedgerOptions { durable: true }` (fsync each commit).
#![allow(clippy::print_stdout)] // a benchmark reports on stdout

use std::sync::Arc;
use std::time::Instant;

use migration_core::ObjectKind;
use migration_core::ledger::{Ledger, LedgerOptions, Origin, RunMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::var("LEDGER_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let dir = tempfile::tempdir()?;

    let l = Ledger::open(dir.path().join("a.sqlite"))?;
    let run = l.begin_run(RunMode::Migrate, "bench")?;
    let t = Instant::now();
    for i in 0..n {
        l.mark_migrated(
            &ObjectKind::Contact,
            &format!("c{i}"),
            &format!("ic{i}"),
            "h",
            Origin::Created,
            run,
        )?;
    }
    report("mark_migrated (1 tx/record)", n, t);

    let t = Instant::now();
    for i in 0..n {
        let intent = l.record_intent(&ObjectKind::Ticket, &format!("t{i}"), "fp", run)?;
        l.complete_intent(intent.id, &format!("it{i}"), "h")?;
    }
    report("record_intent + complete_intent (2 tx/record)", n, t);

    let t = Instant::now();
    for chunk in 0..n / 100 {
        l.batch(|b| {
            for i in 0..100 {
                let id = format!("p{chunk}-{i}");
                b.mark_pending(&ObjectKind::Contact, &id, run)?;
            }
            Ok(())
        })?;
    }
    report("mark_pending in batches of 100", n / 100 * 100, t);

    let shared = Arc::new(Ledger::open(dir.path().join("b.sqlite"))?);
    let run = shared.begin_run(RunMode::Migrate, "bench")?;
    let threads = 8;
    let t = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|th| {
            let l = shared.clone();
            std::thread::spawn(move || -> Result<(), migration_core::Error> {
                for i in 0..n / threads {
                    let id = format!("t{th}-{i}");
                    let intent = l.record_intent(&ObjectKind::Ticket, &id, "fp", run)?;
                    l.complete_intent(intent.id, &id, "h")?;
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join().map_err(|_| "bench thread panicked")??;
    }
    report(
        "intent + complete, 8 threads, one Ledger",
        n / threads * threads,
        t,
    );

    let durable = Ledger::open_with(dir.path().join("c.sqlite"), LedgerOptions { durable: true })?;
    let run = durable.begin_run(RunMode::Migrate, "bench")?;
    let m = (n / 10).max(100);
    let t = Instant::now();
    for i in 0..m {
        let intent = durable.record_intent(&ObjectKind::Ticket, &format!("t{i}"), "fp", run)?;
        durable.complete_intent(intent.id, &format!("it{i}"), "h")?;
    }
    report("intent + complete, synchronous=FULL", m, t);
    Ok(())
}

fn report(what: &str, n: usize, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what:<48} {n:>7} records in {secs:>7.3} s = {:>9.0} records/s ({:.1} µs/record)",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
