//! The Glassix side of the estimate with the client's own pacing arithmetic, and `migrate`'s
//! duration "if started now".
//!
//! The Glassix client paces each department key with a sliding log (a minute's quota at once,
//! the next a minute and 250 ms after the first of them), and the commands carry each key's
//! log from one to the next (`glassix_client::QuotaUsage`, saved by `discover`): `migrate`
//! continues the budget `discover` left instead of colliding with it. So how long `migrate`
//! waits for Glassix depends on what the keys sent in the last minute and hour, which the plan
//! knows when it has that usage: [`MigrateNow`].

use chrono::{DateTime, Utc};
use glassix_client::{Quota, QuotaUsage};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{RateLimits, Workload};
use crate::map::guid_key;

/// The keys' recent usage and the moment `migrate` would start: the inputs of
/// [`MigrateNow`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StartState {
    /// What each department key sent within the last hour (saved by the previous command).
    pub usage: QuotaUsage,
    /// When `migrate` would start (Unix milliseconds): the time the plan was made.
    pub at_ms: i64,
}

/// `migrate` alone (not discovery), started at [`StartState::at_ms`] and on a fresh quota.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MigrateNow {
    /// When it would start (UTC, RFC 3339).
    pub at: String,
    /// Its duration if started then: the keys continue the minute and hour the previous
    /// commands used.
    pub seconds: f64,
    /// Its duration on a fresh quota period (started more than a minute after the last
    /// Glassix request, or an hour when the hourly quota binds).
    pub fresh_seconds: f64,
    /// The slowest key's wait for its quota if started then.
    pub glassix_seconds: f64,
}

/// The key quota of `limits` with its pace scaled by `pace` (1 = as configured), the way the
/// client's pacer scales it; `None` when no Glassix quota is known.
fn quota(limits: &RateLimits, pace: f64) -> Option<Quota> {
    let scale = |q: Option<f64>| {
        q.map_or(u32::MAX, |q| {
            ((q * pace).floor().clamp(1.0, f64::from(u32::MAX))) as u32
        })
    };
    (limits.glassix_per_minute.is_some() || limits.glassix_per_hour.is_some()).then(|| {
        Quota::new(
            scale(limits.glassix_per_minute),
            scale(limits.glassix_per_hour),
        )
    })
}

/// Seconds one department key's quota holds back `calls` requests sent from `now_ms`, with
/// `sent` (Unix ms) already counted in its minute and hour: when the last of them may go.
pub(super) fn key_seconds(
    limits: &RateLimits,
    pace: f64,
    sent: &[i64],
    calls: u64,
    now_ms: i64,
) -> f64 {
    quota(limits, pace).map_or(0.0, |q| {
        glassix_client::usage::wait_for(q, sent, calls, now_ms).as_secs_f64()
    })
}

/// `migrate`'s duration from `state`: the longer of its Intercom (or tool) path `migrate_path`
/// (serial steps and tickets phase) and the slowest key's quota wait, once with the keys'
/// recorded usage and once on a fresh quota.
pub(super) fn migrate_now(
    limits: &RateLimits,
    w: &Workload,
    state: &StartState,
    migrate_path: f64,
) -> MigrateNow {
    let mut now = 0.0_f64;
    let mut fresh = 0.0_f64;
    for d in &w.departments {
        let calls = d.migrate.quota_paced();
        let sent = state
            .usage
            .keys
            .iter()
            .find(|k| guid_key(k.department) == d.department)
            .map_or(&[][..], |k| &k.sent_at_ms[..]);
        now = now.max(key_seconds(limits, 1.0, sent, calls, state.at_ms));
        fresh = fresh.max(key_seconds(limits, 1.0, &[], calls, state.at_ms));
    }
    let at = DateTime::<Utc>::from_timestamp_millis(state.at_ms)
        .map_or_else(|| state.at_ms.to_string(), |t| t.to_rfc3339());
    MigrateNow {
        at,
        seconds: migrate_path.max(now),
        fresh_seconds: migrate_path.max(fresh),
        glassix_seconds: now,
    }
}
