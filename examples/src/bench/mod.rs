//! The benchmark harness behind the `bench` binary: runs migration scenarios against the
//! in-process sandbox and measures them from the sandbox's own counters.
//!
//! The sandbox runs inside the harness process; the migration is the real CLI binary
//! (`glassix-to-intercom`), spawned once per command (`discover`, `propose`, `plan`,
//! `migrate`). The CLI's CPU time is therefore its own (the children's `cutime + cstime` of
//! `/proc/self/stat`), never mixed with the sandbox's, and its peak RSS is sampled from
//! `/proc/<pid>/status` (`VmHWM`) while it runs. See `docs/performance.md`.

pub mod procfs;
pub mod runner;
pub mod scenario;
pub mod spread;
pub mod table;

pub use runner::{BenchError, run_scenario};
pub use scenario::{Scenario, scenarios};
pub use spread::{Spread, median_run, render_spread};
pub use table::{Row, render_table};
