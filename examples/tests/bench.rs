//! Smoke test of the benchmark harness: the tiny scenario runs end to end and every column of
//! its row is filled and consistent with the sandbox's counters.

use glassix_to_intercom_examples::bench::{render_table, run_scenario, scenarios};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiny_scenario_fills_every_column() {
    let tiny = scenarios(true)
        .into_iter()
        .find(|s| s.name == "tiny")
        .expect("the tiny scenario exists");
    let out = tempfile::tempdir().unwrap();
    let cli = std::path::Path::new(env!("CARGO_BIN_EXE_glassix-to-intercom"));
    let row = run_scenario(&tiny, cli, out.path()).await.unwrap();

    assert_eq!(row.scenario, "tiny");
    assert_eq!(row.tickets, 5);
    assert_eq!(row.migrate_exit, Some(0));
    assert!(row.migrated > 0 && row.migrated <= row.tickets);
    assert!(row.parts >= row.migrated, "every ticket has a part");
    assert!(row.intercom_writes > 0 && row.intercom_writes <= row.intercom_calls);
    let per_part = row.intercom_calls as f64 / row.parts as f64;
    assert!((row.calls_per_part - per_part).abs() < 1e-9);
    let per_ticket = row.intercom_calls as f64 / row.tickets as f64;
    assert!((row.calls_per_ticket - per_ticket).abs() < 1e-9);
    assert!(row.discover_secs > 0.0 && row.migrate_secs > 0.0);
    // The budget ratio is migrate wall ÷ (calls ÷ the limit per second).
    let budget = row.budget_ratio.expect("Intercom is throttled in tiny");
    let rate = tiny.intercom_per_second();
    assert!((budget - row.migrate_secs / (row.intercom_calls as f64 / rate)).abs() < 1e-9);
    assert!(row.estimate_secs > 0.0);
    let est = row.estimate_secs / (row.discover_secs + row.migrate_secs);
    assert!((row.estimate_ratio - est).abs() < 1e-9);
    // The plan said how long `migrate` alone takes if started right after it.
    let mig = row
        .migrate_estimate_ratio
        .expect("the plan gives migrate's estimate if started now");
    assert!(mig > 0.0);
    assert!(!row.bound_by.is_empty());
    let (low, high) = row.range_secs;
    assert!(
        low <= row.estimate_secs && row.estimate_secs <= high,
        "{low}–{high}"
    );
    let actual = row.discover_secs + row.migrate_secs;
    assert_eq!(row.in_range, low <= actual && actual <= high);
    assert!(
        row.glassix_planned > 0,
        "the plan counts migrate's Glassix calls"
    );
    assert!((row.writes_per_sec - row.intercom_writes as f64 / row.migrate_secs).abs() < 1e-9);
    assert!(row.cli_cpu_ms_per_request.is_some_and(|ms| ms > 0.0));
    assert!(row.peak_rss_mib > 1.0);

    let table = render_table(std::slice::from_ref(&row));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "header, rule, one row: {table}");
    let columns = |l: &str| l.matches('|').count();
    assert_eq!(columns(lines[0]), columns(lines[2]));
    assert!(!lines[2].contains("||"), "no empty cell: {}", lines[2]);
}
