//! Process figures read from `/proc` (Linux): the CPU time of waited-for children and the
//! peak resident set of a running child.

use std::path::Path;

/// Clock ticks per second of the `utime`/`cutime` fields (`USER_HZ`, 100 on every Linux
/// architecture the project builds for).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds (user + system) used by the children this process has waited for, from fields
/// 16 and 17 (`cutime`, `cstime`) of `/proc/self/stat`; `None` where `/proc` is not available.
pub fn children_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state), so field N is at index N - 3.
    let cutime: f64 = fields.get(13)?.parse().ok()?;
    let cstime: f64 = fields.get(14)?.parse().ok()?;
    Some((cutime + cstime) / TICKS_PER_SECOND)
}

/// The peak resident set (`VmHWM`) of process `pid` in KiB; `None` once it has exited.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_figures() {
        assert!(children_cpu_seconds().is_some_and(|s| s >= 0.0));
        assert!(peak_rss_kib(std::process::id()).is_some_and(|k| k > 0));
    }
}
