//! Repeated runs of one scenario: the median run's row for the main table, and the spread of
//! the figures that vary between identical runs (`bench --repeat N`).
//!
//! On a shared machine the unthrottled scenarios' wall times move by ±10–25 % between runs of
//! the same binaries (`docs/performance.md`, "The estimate"), so one run says little; the
//! median run and the range over several say how the tool performs and how far to trust it.

use serde::Serialize;

use super::table::Row;

/// The spread of one scenario's figures over repeated runs.
#[derive(Clone, Debug, Serialize)]
pub struct Spread {
    /// Scenario name.
    pub scenario: String,
    /// Runs measured.
    pub runs: usize,
    /// `migrate` wall seconds: lowest, median, highest.
    pub migrate_secs: [f64; 3],
    /// Estimate ÷ (discover + migrate wall): lowest, median, highest.
    pub estimate_ratio: [f64; 3],
    /// Runs whose estimate ÷ actual fell within 0.85–1.15.
    pub estimate_within_15_percent: usize,
    /// Intercom writes per second: lowest, median, highest.
    pub writes_per_sec: [f64; 3],
    /// CLI CPU milliseconds per request: lowest, median, highest; `None` without `/proc`.
    pub cli_cpu_ms_per_request: Option<[f64; 3]>,
}

/// Lowest, median (the lower of the two middle values for an even count) and highest of
/// `values`; `None` when there are none.
fn low_median_high(mut values: Vec<f64>) -> Option<[f64; 3]> {
    values.sort_by(f64::total_cmp);
    let (first, last) = (*values.first()?, *values.last()?);
    Some([first, values[(values.len() - 1) / 2], last])
}

/// The run whose wall time (discover + migrate) is the median of `runs` (the lower of the two
/// middle ones for an even count): its row stands for the scenario in the main table.
pub fn median_run(runs: &[Row]) -> Option<&Row> {
    let mut sorted: Vec<&Row> = runs.iter().collect();
    sorted.sort_by(|a, b| {
        (a.discover_secs + a.migrate_secs).total_cmp(&(b.discover_secs + b.migrate_secs))
    });
    sorted.get(runs.len().checked_sub(1)? / 2).copied()
}

impl Spread {
    /// The spread of `runs` (all of one scenario); `None` for no runs.
    pub fn of(runs: &[Row]) -> Option<Spread> {
        let pick = |f: fn(&Row) -> f64| low_median_high(runs.iter().map(f).collect());
        let cpu: Option<Vec<f64>> = runs.iter().map(|r| r.cli_cpu_ms_per_request).collect();
        Some(Spread {
            scenario: runs.first()?.scenario.clone(),
            runs: runs.len(),
            migrate_secs: pick(|r| r.migrate_secs)?,
            estimate_ratio: pick(|r| r.estimate_ratio)?,
            estimate_within_15_percent: runs
                .iter()
                .filter(|r| (0.85..=1.15).contains(&r.estimate_ratio))
                .count(),
            writes_per_sec: pick(|r| r.writes_per_sec)?,
            cli_cpu_ms_per_request: cpu.and_then(low_median_high),
        })
    }
}

/// The spreads as one Markdown table (each cell `lowest / median / highest`).
pub fn render_spread(spreads: &[Spread]) -> String {
    let three = |v: [f64; 3], digits: usize| {
        format!("{:.digits$} / {:.digits$} / {:.digits$}", v[0], v[1], v[2])
    };
    let mut out = String::from(
        "| scenario | runs | migrate s | est/actual | est/actual in 0.85–1.15 | writes/s | cli ms/req |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for s in spreads {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} of {} | {} | {} |\n",
            s.scenario,
            s.runs,
            three(s.migrate_secs, 2),
            three(s.estimate_ratio, 2),
            s.estimate_within_15_percent,
            s.runs,
            three(s.writes_per_sec, 0),
            s.cli_cpu_ms_per_request
                .map_or("-".to_owned(), |v| three(v, 3)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(discover: f64, migrate: f64, estimate_ratio: f64, writes: f64) -> Row {
        Row {
            scenario: "s".into(),
            tickets: 1,
            migrated: 1,
            parts: 1,
            intercom_calls: 1,
            intercom_writes: 1,
            glassix_calls: 1,
            glassix_planned: 1,
            calls_per_part: 1.0,
            calls_per_ticket: 1.0,
            status_429: 0,
            discover_secs: discover,
            migrate_secs: migrate,
            budget_ratio: None,
            estimate_secs: 1.0,
            estimate_ratio,
            migrate_estimate_ratio: None,
            bound_by: "tool".into(),
            range_secs: (0.0, 1.0),
            in_range: true,
            writes_per_sec: writes,
            cli_cpu_ms_per_request: Some(writes / 1000.0),
            peak_rss_mib: 1.0,
            migrate_exit: Some(0),
        }
    }

    #[test]
    fn the_median_run_is_the_middle_wall_time_and_the_spread_brackets_every_run() {
        let runs = [
            row(0.2, 2.5, 0.80, 4000.0),
            row(0.2, 2.0, 1.00, 5000.0),
            row(0.3, 1.8, 1.05, 5100.0),
            row(0.2, 2.1, 0.95, 4800.0),
        ];
        // Wall times 2.7, 2.2, 2.1, 2.3: the lower middle one of four is 2.2.
        assert_eq!(median_run(&runs).map(|r| r.migrate_secs), Some(2.0));
        let s = Spread::of(&runs).expect("four runs");
        assert_eq!(s.runs, 4);
        assert_eq!(s.migrate_secs, [1.8, 2.0, 2.5]);
        assert_eq!(s.estimate_ratio, [0.80, 0.95, 1.05]);
        assert_eq!(s.estimate_within_15_percent, 3);
        assert_eq!(s.writes_per_sec, [4000.0, 4800.0, 5100.0]);
        assert_eq!(s.cli_cpu_ms_per_request, Some([4.0, 4.8, 5.1]));
        let table = render_spread(&[s]);
        assert!(
            table.contains("| s | 4 | 1.80 / 2.00 / 2.50 | 0.80 / 0.95 / 1.05 | 3 of 4 |"),
            "{table}"
        );
        assert!(median_run(&[]).is_none());
        assert!(Spread::of(&[]).is_none());
    }
}
