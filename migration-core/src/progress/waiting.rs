//! Seeing, from the caller's side, that a client holds requests back for quota.
//!
//! Neither client reports its waits as they happen; both publish their pacing state. A
//! [`QuotaWatch`] reads that state twice a second while a run lasts and, whenever requests are
//! held back for at least [`QuotaWatch::SHOWN_FROM`], sends a [`ProgressEvent::Waiting`]
//! naming the service, the reason and how long the wait still lasts. It also tells the
//! [`ProgressSender`] which quota period binds, so that the steps' ETAs are measured over it.
//!
//! - Glassix: a department's pacer (or the token endpoint's) has a request booked for a later
//!   slot ([`glassix_client::PaceStats::next_release`]), or holds everything after a 429
//!   (`paused_for`). Its quota period is the minute.
//! - Intercom: the budget of the current window is used up to the pacer's safety margin
//!   (`remaining` ≤ margin), so the next request waits for `X-RateLimit-Reset`; after a 429 the
//!   client marks the window empty the same way. Its period is the window the headers show.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::{ProgressEvent, ProgressSender};

/// A service whose quota a run may wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// The Intercom REST API (rate-limit window of the app).
    Intercom,
    /// The Glassix API (per-department minute and hour quotas).
    Glassix,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Service::Intercom => "Intercom",
            Service::Glassix => "Glassix",
        })
    }
}

/// Why requests are held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitReason {
    /// The pacer used up the quota of the current window and waits for the next one.
    Quota,
    /// The service answered 429: everything waits for the time it named.
    RateLimited,
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WaitReason::Quota => "quota",
            WaitReason::RateLimited => "429 pause",
        })
    }
}

/// Glassix's quota period: its pacer books per minute (the hour quota is 60 of them).
const GLASSIX_PERIOD: Duration = Duration::from_secs(60);

/// The share of Intercom's window limit the client keeps unused
/// (`intercom_client::PacingConfig::default().safety_fraction`).
fn intercom_margin(limit: u32) -> u32 {
    let fraction = intercom_client::PacingConfig::default().safety_fraction;
    ((f64::from(limit) * fraction).ceil() as u32).max(1)
}

/// How long Intercom requests are held back, read from the client's status at `now_unix`
/// (local Unix seconds): `None` while the window's budget is not used up.
pub(crate) fn intercom_wait(
    status: &intercom_client::RateLimitStatus,
    now_unix: f64,
) -> Option<Duration> {
    let (limit, remaining, reset) = (status.limit?, status.remaining?, status.reset?);
    if remaining > intercom_margin(limit) {
        return None;
    }
    let server_now = now_unix + status.clock_offset_ms as f64 / 1000.0;
    let left = reset as f64 - server_now;
    (left > 0.0).then(|| Duration::from_secs_f64(left))
}

/// How long the Glassix requests already waiting are held back (the longest of the limiters:
/// the token endpoint's and each department's), and why: `None` when no request waits.
pub(crate) fn glassix_wait<'a>(
    paces: impl IntoIterator<Item = &'a glassix_client::PaceStats>,
) -> Option<(WaitReason, Duration)> {
    paces
        .into_iter()
        .filter_map(|p| {
            if !p.paused_for.is_zero() {
                Some((WaitReason::RateLimited, p.paused_for.max(p.next_release)))
            } else {
                (!p.next_release.is_zero()).then_some((WaitReason::Quota, p.next_release))
            }
        })
        .max_by_key(|(_, d)| *d)
}

/// Watches the clients' pacing while a run lasts; stops when dropped.
#[derive(Debug)]
pub struct QuotaWatch {
    task: JoinHandle<()>,
}

impl QuotaWatch {
    /// Waits shorter than this are not reported (the pacers spread requests in short gaps).
    pub const SHOWN_FROM: Duration = Duration::from_secs(1);
    /// How often the clients' state is read.
    pub const EVERY: Duration = Duration::from_millis(500);

    /// Starts watching `intercom` and `glassix` (either may be absent), sending
    /// [`ProgressEvent::Waiting`] on `sender`.
    pub fn spawn(
        sender: ProgressSender,
        intercom: Option<intercom_client::Client>,
        glassix: Option<glassix_client::Client>,
    ) -> QuotaWatch {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Self::EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut throttled_seen = intercom.as_ref().map_or(0, |c| c.rate_limit().throttled);
            let mut intercom_429 = false;
            loop {
                tick.tick().await;
                if let Some(client) = &intercom {
                    let status = client.rate_limit();
                    if status.throttled > throttled_seen {
                        throttled_seen = status.throttled;
                        intercom_429 = true;
                    }
                    match intercom_wait(&status, unix_now()) {
                        Some(left) => {
                            let reason = if intercom_429 {
                                WaitReason::RateLimited
                            } else {
                                WaitReason::Quota
                            };
                            report(&sender, Service::Intercom, reason, left, status.window_ms);
                        }
                        None => intercom_429 = false,
                    }
                }
                if let Some(client) = &glassix {
                    let stats = client.stats();
                    let paces = std::iter::once(&stats.token)
                        .chain(stats.departments.iter().map(|d| &d.pace));
                    if let Some((reason, left)) = glassix_wait(paces) {
                        let period = u64::try_from(GLASSIX_PERIOD.as_millis()).unwrap_or(0);
                        report(&sender, Service::Glassix, reason, left, period);
                    }
                }
            }
        });
        QuotaWatch { task }
    }
}

impl Drop for QuotaWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn report(
    sender: &ProgressSender,
    service: Service,
    reason: WaitReason,
    remaining: Duration,
    period_ms: u64,
) {
    if remaining < QuotaWatch::SHOWN_FROM {
        return;
    }
    sender.quota_binds(Duration::from_millis(period_ms));
    sender.send(ProgressEvent::Waiting {
        service,
        reason,
        remaining,
    });
}

fn unix_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use glassix_client::{PaceStats, Quota};

    fn status(limit: u32, remaining: u32, reset: i64) -> intercom_client::RateLimitStatus {
        intercom_client::RateLimitStatus {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(reset),
            window_ms: 10_000,
            ..Default::default()
        }
    }

    #[test]
    fn intercom_waits_for_the_reset_once_the_budget_is_down_to_the_margin() {
        // 100 a window: the client keeps 2 unused.
        assert_eq!(intercom_wait(&status(100, 3, 1_010), 1_003.0), None);
        assert_eq!(
            intercom_wait(&status(100, 2, 1_010), 1_003.0),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            intercom_wait(&status(100, 0, 1_010), 1_009.5),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            intercom_wait(&status(100, 0, 1_010), 1_011.0),
            None,
            "the reset has passed"
        );
        assert_eq!(
            intercom_wait(&intercom_client::RateLimitStatus::default(), 1_000.0),
            None,
            "no header seen yet"
        );
        // Intercom's clock 2 s ahead of ours: 5 s left, not 7.
        let mut ahead = status(100, 0, 1_010);
        ahead.clock_offset_ms = 2_000;
        assert_eq!(intercom_wait(&ahead, 1_003.0), Some(Duration::from_secs(5)));
    }

    fn pace(next_release: u64, paused_for: u64) -> PaceStats {
        PaceStats {
            quota: Quota::new(10, 100),
            factor: 1.0,
            per_minute: 10,
            per_hour: 100,
            requests: 0,
            rate_limited: 0,
            retries: 0,
            slowdowns: 0,
            waited: Duration::ZERO,
            paused_for: Duration::from_secs(paused_for),
            next_release: Duration::from_secs(next_release),
        }
    }

    #[test]
    fn glassix_waits_are_the_longest_department_and_a_429_pause_names_itself() {
        assert_eq!(glassix_wait(&[pace(0, 0), pace(0, 0)]), None);
        assert_eq!(
            glassix_wait(&[pace(0, 0), pace(12, 0), pace(40, 0)]),
            Some((WaitReason::Quota, Duration::from_secs(40)))
        );
        assert_eq!(
            glassix_wait(&[pace(0, 0), pace(5, 0), pace(0, 30)]),
            Some((WaitReason::RateLimited, Duration::from_secs(30)))
        );
    }
}
