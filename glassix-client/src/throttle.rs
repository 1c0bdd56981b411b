//! Client-side pacing: a sliding-window limiter per department (and one for the token endpoint)
//! that learns from 429 answers.
//!
//! Why not `governor`: governor keeps its own clock (`quanta`), which does not follow tokio's
//! paused test clock, so pacing and backoff could not be tested deterministically with
//! `tokio::time::pause`. This limiter reads `tokio::time::Instant`, and a sliding log matches the
//! server's fixed minute/hour buckets exactly: at most N requests in *any* window of the bucket
//! length implies at most N in each fixed bucket.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::config::Quota;

/// Margin added to each window so that network jitter between our send time and the server's
/// receive time cannot push one request too many into a server bucket.
const SLACK: Duration = Duration::from_millis(250);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
/// Stand-in for "never" where `Instant + Duration` would overflow (about 30 years).
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 86_400);

/// How the pace adapts to the 429 answers it meets (multiplicative decrease, additive increase).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adaptation {
    /// Whether the pace adapts at all (otherwise only the configured quota applies).
    pub enabled: bool,
    /// Factor applied to the pace on a 429 (default 0.75).
    pub decrease: f64,
    /// At most one decrease per this interval, so a burst of 429s from one server window counts
    /// once (default 60 s, the length of the server's minute bucket).
    pub decrease_cooldown: Duration,
    /// Fraction of the quota given back after each `recovery_interval` without a 429 (default 0.02).
    pub recovery_step: f64,
    /// Quiet time needed before each step back up (default 60 s).
    pub recovery_interval: Duration,
    /// Lowest fraction of the quota the pace may fall to (default 0.05).
    pub floor: f64,
}

impl Default for Adaptation {
    fn default() -> Self {
        Adaptation {
            enabled: true,
            decrease: 0.75,
            decrease_cooldown: MINUTE,
            recovery_step: 0.02,
            recovery_interval: MINUTE,
            floor: 0.05,
        }
    }
}

/// A snapshot of one limiter's pace and counters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct PaceStats {
    /// The configured quota (the ceiling of the pace).
    pub quota: Quota,
    /// Current fraction of the quota in use (1.0 until a 429 is met).
    pub factor: f64,
    /// Requests currently allowed per minute.
    pub per_minute: u32,
    /// Requests currently allowed per hour.
    pub per_hour: u32,
    /// Requests let through.
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// Retries made (after 429, 5xx or transport errors).
    pub retries: u64,
    /// Times the pace was lowered.
    pub slowdowns: u64,
    /// Total time callers spent waiting for a slot (summed over concurrent callers).
    pub waited: Duration,
    /// How long new requests are currently held back after a 429 (zero when not paused).
    pub paused_for: Duration,
    /// How long until the earliest request already waiting for a slot is let through (zero
    /// when no request is waiting): what a progress display shows as "waiting for quota".
    pub next_release: Duration,
}

#[derive(Debug)]
struct State {
    minute: VecDeque<Instant>,
    hour: VecDeque<Instant>,
    gate: Option<Instant>,
    factor: f64,
    last_decrease: Option<Instant>,
    last_adjust: Instant,
    requests: u64,
    rate_limited: u64,
    retries: u64,
    slowdowns: u64,
    waited: Duration,
}

/// A sliding-window pacer over a minute and an hour window.
#[derive(Debug)]
pub(crate) struct Pacer {
    quota: Quota,
    adapt: Adaptation,
    state: Mutex<State>,
}

impl Pacer {
    pub(crate) fn new(quota: Quota, adapt: Adaptation) -> Self {
        Pacer {
            quota,
            adapt,
            state: Mutex::new(State {
                minute: VecDeque::new(),
                hour: VecDeque::new(),
                gate: None,
                factor: 1.0,
                last_decrease: None,
                last_adjust: Instant::now(),
                requests: 0,
                rate_limited: 0,
                retries: 0,
                slowdowns: 0,
                waited: Duration::ZERO,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere mid-update; the counters stay usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn limits(&self, factor: f64) -> (usize, usize) {
        let scale = |q: u32| ((f64::from(q) * factor).floor() as usize).max(1);
        (scale(self.quota.per_minute), scale(self.quota.per_hour))
    }

    /// Wait until a request may be sent, and book its slot.
    ///
    /// The slot is booked before waiting (first come, first served). If the caller's future is
    /// dropped while waiting, the slot stays booked: a small waste, never an overrun.
    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let at = {
            let mut s = self.lock();
            let limits = self.limits(s.factor);
            // `limits(1.0)`, not the raw quota: a `Quota` built field by field may hold a zero,
            // which `limits` raises to 1 and which would otherwise prune every booking.
            let keep = self.limits(1.0);
            let gate = s.gate;
            let State { minute, hour, .. } = &mut *s;
            let t = book(now, gate, minute, hour, limits, keep);
            s.requests += 1;
            s.waited += t - now;
            t
        };
        if at > now {
            tracing::debug!(
                wait_ms = (at - now).as_millis() as u64,
                "glassix pacer: waiting for a slot"
            );
            tokio::time::sleep_until(at).await;
        }
    }

    /// Record a successful answer: after a quiet interval, give some pace back.
    pub(crate) fn on_success(&self) {
        if !self.adapt.enabled {
            return;
        }
        let now = Instant::now();
        let mut s = self.lock();
        if s.factor < 1.0 && now.duration_since(s.last_adjust) >= self.adapt.recovery_interval {
            s.factor = (s.factor + self.adapt.recovery_step).min(1.0);
            s.last_adjust = now;
        }
    }

    /// Record a 429: hold every request back for `pause`, and lower the pace (at most once per
    /// cooldown).
    pub(crate) fn on_rate_limited(&self, pause: Duration) {
        let now = Instant::now();
        let mut s = self.lock();
        s.rate_limited += 1;
        // `pause` is bounded by `RetryPolicy::max_retry_after`, which a caller may set very high.
        let until = now.checked_add(pause).unwrap_or(now + FAR_FUTURE);
        s.gate = Some(s.gate.map_or(until, |g| g.max(until)));
        if !self.adapt.enabled {
            return;
        }
        let cooled = s
            .last_decrease
            .is_none_or(|t| now.duration_since(t) >= self.adapt.decrease_cooldown);
        if cooled {
            s.factor = (s.factor * self.adapt.decrease).max(self.adapt.floor);
            s.last_decrease = Some(now);
            s.last_adjust = now;
            s.slowdowns += 1;
            let (m, h) = self.limits(s.factor);
            tracing::info!(
                per_minute = m,
                per_hour = h,
                "glassix pacer: 429 received, pace lowered"
            );
        }
    }

    /// How long from now until `n` more requests may be sent, as [`Pacer::acquire`] would
    /// book them (this books nothing): zero while the key has room.
    pub(crate) fn wait_for(&self, n: u64) -> Duration {
        let now = Instant::now();
        let s = self.lock();
        let limits = self.limits(s.factor);
        let keep = self.limits(1.0);
        let (mut minute, mut hour) = (s.minute.clone(), s.hour.clone());
        let mut last = now;
        for _ in 0..n {
            last = book(now, s.gate, &mut minute, &mut hour, limits, keep);
        }
        last.saturating_duration_since(now)
    }

    /// The bookings of the last hour (the hour log: every slot that can still constrain a
    /// request), oldest first, with `now`.
    pub(crate) fn bookings(&self) -> (Vec<Instant>, Instant) {
        let s = self.lock();
        (s.hour.iter().copied().collect(), Instant::now())
    }

    /// Adds `bookings` (slots another process used on the same key, oldest first) to the logs,
    /// so that this pacer continues that budget instead of starting a fresh one.
    pub(crate) fn seed(&self, bookings: &[Instant]) {
        let now = Instant::now();
        let keep = self.limits(1.0);
        let mut s = self.lock();
        let merge = |log: &mut VecDeque<Instant>| {
            let mut all: Vec<Instant> = log.iter().chain(bookings).copied().collect();
            all.sort_unstable();
            *log = all.into();
        };
        merge(&mut s.minute);
        merge(&mut s.hour);
        let State { minute, hour, .. } = &mut *s;
        prune(minute, keep.0, now, MINUTE + SLACK);
        prune(hour, keep.1, now, HOUR + SLACK);
    }

    /// Count a retry (for the stats).
    pub(crate) fn on_retry(&self) {
        self.lock().retries += 1;
    }

    /// The current pace and counters.
    pub(crate) fn stats(&self) -> PaceStats {
        let now = Instant::now();
        let s = self.lock();
        let (m, h) = self.limits(s.factor);
        PaceStats {
            quota: self.quota,
            factor: s.factor,
            per_minute: u32::try_from(m).unwrap_or(u32::MAX),
            per_hour: u32::try_from(h).unwrap_or(u32::MAX),
            requests: s.requests,
            rate_limited: s.rate_limited,
            retries: s.retries,
            slowdowns: s.slowdowns,
            waited: s.waited,
            paused_for: s
                .gate
                .map_or(Duration::ZERO, |g| g.saturating_duration_since(now)),
            next_release: next_release(&s.minute, now),
        }
    }
}

/// Books the next slot at or after `now` in the minute and hour logs (the pacer's whole
/// arithmetic, over any clock: tokio's `Instant` in the pacer, plain offsets in
/// [`crate::usage`]): after `gate`, after the last booking, and a window (plus [`SLACK`]) after
/// the booking `limits` places back in each log; then drops what can no longer constrain (only
/// the last `keep` bookings can, and none older than a window).
pub(crate) fn book<T>(
    now: T,
    gate: Option<T>,
    minute: &mut VecDeque<T>,
    hour: &mut VecDeque<T>,
    (per_min, per_hour): (usize, usize),
    (keep_minute, keep_hour): (usize, usize),
) -> T
where
    T: Copy + Ord + std::ops::Add<Duration, Output = T>,
{
    let mut t = now;
    if let Some(gate) = gate {
        t = t.max(gate);
    }
    if let Some(&last) = minute.back() {
        t = t.max(last);
    }
    if minute.len() >= per_min {
        t = t.max(minute[minute.len() - per_min] + MINUTE + SLACK);
    }
    if hour.len() >= per_hour {
        t = t.max(hour[hour.len() - per_hour] + HOUR + SLACK);
    }
    minute.push_back(t);
    hour.push_back(t);
    prune(minute, keep_minute, now, MINUTE + SLACK);
    prune(hour, keep_hour, now, HOUR + SLACK);
    t
}

/// Time until the earliest booked slot still ahead of `now` (slots are booked in order, so the
/// ones ahead are at the back of the log).
fn next_release(log: &VecDeque<Instant>, now: Instant) -> Duration {
    log.iter()
        .rev()
        .take_while(|&&t| t > now)
        .last()
        .map_or(Duration::ZERO, |&t| t - now)
}

fn prune<T>(log: &mut VecDeque<T>, keep: usize, now: T, window: Duration)
where
    T: Copy + Ord + std::ops::Add<Duration, Output = T>,
{
    while log.len() > keep {
        log.pop_front();
    }
    while log.front().is_some_and(|&t| t + window <= now) {
        log.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quota(m: u32, h: u32) -> Quota {
        Quota::new(m, h)
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_the_minute_quota_in_any_minute() {
        let p = Pacer::new(quota(10, 1000), Adaptation::default());
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..35 {
            p.acquire().await;
            sent.push(Instant::now() - start);
        }
        for (i, &t) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().filter(|&&u| u < t + MINUTE).count();
            assert!(
                in_window <= 10,
                "{in_window} requests within a minute of {t:?}"
            );
        }
        // 35 requests at 10/min: bursts at 0, 60.25, 120.5, 180.75 s.
        assert_eq!(sent[9], Duration::ZERO);
        assert_eq!(sent[10], MINUTE + SLACK);
        assert_eq!(sent[34], (MINUTE + SLACK) * 3);
        assert_eq!(p.stats().requests, 35);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_held_for_the_next_minute_is_seen_with_its_wait() {
        let p = std::sync::Arc::new(Pacer::new(quota(10, 1000), Adaptation::default()));
        for _ in 0..10 {
            p.acquire().await;
        }
        assert_eq!(p.stats().next_release, Duration::ZERO, "nobody waits yet");
        tokio::time::advance(Duration::from_secs(20)).await;
        let held = tokio::spawn({
            let p = p.clone();
            async move { p.acquire().await }
        });
        tokio::task::yield_now().await;
        // Booked at 60.25 s, seen at 20 s: 40.25 s to go.
        assert_eq!(p.stats().next_release, Duration::from_millis(40_250));
        tokio::time::advance(Duration::from_secs(30)).await;
        assert_eq!(p.stats().next_release, Duration::from_millis(10_250));
        held.await.unwrap();
        assert_eq!(p.stats().next_release, Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn hour_quota_binds_when_lower_than_sixty_minutes() {
        let p = Pacer::new(quota(10, 15), Adaptation::default());
        let start = Instant::now();
        for _ in 0..16 {
            p.acquire().await;
        }
        assert_eq!(Instant::now() - start, HOUR + SLACK);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_and_lowers_the_pace_once_per_cooldown() {
        let p = Pacer::new(quota(100, 3000), Adaptation::default());
        p.acquire().await;
        p.on_rate_limited(Duration::from_secs(5));
        p.on_rate_limited(Duration::from_secs(2));
        let s = p.stats();
        assert_eq!(s.per_minute, 75);
        assert_eq!(s.slowdowns, 1);
        assert_eq!(s.rate_limited, 2);
        assert_eq!(s.paused_for, Duration::from_secs(5));
        let start = Instant::now();
        p.acquire().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_quota_built_field_by_field_still_paces_one_a_minute() {
        let p = Pacer::new(
            Quota {
                per_minute: 0,
                per_hour: 0,
            },
            Adaptation::default(),
        );
        let start = Instant::now();
        p.acquire().await;
        p.acquire().await;
        assert!(
            Instant::now() - start >= MINUTE,
            "{:?}",
            Instant::now() - start
        );
    }

    #[test]
    fn an_unbounded_pause_does_not_overflow_the_clock() {
        let p = Pacer::new(quota(100, 3000), Adaptation::default());
        p.on_rate_limited(Duration::MAX);
        assert!(p.stats().paused_for >= FAR_FUTURE - MINUTE);
    }

    #[tokio::test(start_paused = true)]
    async fn pace_recovers_slowly_after_quiet_minutes() {
        let p = Pacer::new(quota(100, 3000), Adaptation::default());
        p.on_rate_limited(Duration::ZERO);
        assert_eq!(p.stats().per_minute, 75);
        p.on_success();
        assert_eq!(
            p.stats().per_minute,
            75,
            "no recovery before a quiet minute"
        );
        for expected in [77, 79, 81] {
            tokio::time::advance(MINUTE).await;
            p.on_success();
            assert_eq!(p.stats().per_minute, expected);
        }
    }

    /// A simulated server with a fixed-window limit of 60 a minute, below the configured 120:
    /// the pacer must converge near the real limit and waste few requests on 429s.
    #[tokio::test(start_paused = true)]
    async fn converges_on_a_lower_real_limit() {
        let real_limit = 60u32;
        let p = Pacer::new(quota(120, 100_000), Adaptation::default());
        let start = Instant::now();
        let mut buckets: std::collections::HashMap<u64, u32> = Default::default();
        let (mut ok_late, mut limited_late) = (0u32, 0u32);
        let warmup = Duration::from_secs(10 * 60);
        let end = Duration::from_secs(70 * 60);
        loop {
            p.acquire().await;
            let elapsed = Instant::now() - start;
            if elapsed >= end {
                break;
            }
            let bucket = buckets.entry(elapsed.as_secs() / 60).or_default();
            let late = elapsed >= warmup;
            if *bucket >= real_limit {
                p.on_rate_limited(Duration::from_secs(3));
                if late {
                    limited_late += 1;
                }
            } else {
                *bucket += 1;
                p.on_success();
                if late {
                    ok_late += 1;
                }
            }
        }
        let minutes = ((end - warmup).as_secs() / 60) as u32;
        let throughput = f64::from(ok_late) / f64::from(real_limit * minutes);
        eprintln!(
            "throughput {throughput:.3} stats {:?} limited_late {limited_late}",
            p.stats()
        );
        let waste = f64::from(limited_late) / f64::from(ok_late + limited_late);
        assert!(
            throughput >= 0.8,
            "throughput {throughput:.2} of the real limit"
        );
        assert!(waste <= 0.05, "429 share {waste:.3}");
        assert!(p.stats().per_minute <= 70, "{:?}", p.stats());
    }
}
