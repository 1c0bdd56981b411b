//! Rate and ETA of a step, measured over whole quota periods.
//!
//! A paced client does not send at an even rate: Glassix's pacer lets a minute's quota through
//! at once and then holds every request until the next minute; after a 429 either client holds
//! everything until the window resets. A rate measured over the last few seconds then swings
//! between "everything in 2 s" and zero. [`RateTracker`] measures over a whole number of the
//! quota's periods (the span from `now − k·period` to `now`, which holds exactly `k` cycles of a
//! periodic pace, whatever the phase), and gives no ETA before one whole period has passed.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::ProgressEvent;

/// The window the rate of a step is measured over: two minutes, longer than the one-minute
/// quota cycles of the services, so a run that is paced in bursts shows its sustained rate.
pub const RATE_WINDOW: Duration = Duration::from_secs(120);

/// Rate and ETA from elapsed time and counts, over a sliding window.
#[derive(Debug, Clone)]
pub struct RateTracker {
    started: Instant,
    total: Option<u64>,
    done: u64,
    window: Duration,
    /// The quota period the rate is measured in whole multiples of; zero while no quota binds
    /// (the rate is then measured over the window, or since the start when shorter).
    period: Duration,
    samples: VecDeque<(Instant, u64)>,
}

impl RateTracker {
    /// Start tracking now; the rate is measured over the last `window` (e.g. 30 s).
    pub fn new(total: Option<u64>, window: Duration) -> Self {
        let now = Instant::now();
        RateTracker {
            started: now,
            total,
            done: 0,
            window: window.max(Duration::from_millis(1)),
            period: Duration::ZERO,
            samples: VecDeque::from([(now, 0)]),
        }
    }

    /// Measure the rate over whole multiples of `period`, the window of the quota that paces
    /// the work (Intercom's rate-limit window, Glassix's minute). The measuring window grows to
    /// at least two periods; until one whole period has passed there is no ETA. A zero period
    /// (the default) measures over the window.
    pub fn set_period(&mut self, period: Duration) {
        self.period = period;
        self.window = self.window.max(period * 2);
    }

    /// The quota period the rate is measured over (zero when none).
    pub fn period(&self) -> Duration {
        self.period
    }

    fn min_gap(&self) -> Duration {
        let gap = self.window / 64;
        if self.period.is_zero() {
            gap
        } else {
            gap.min(self.period / 64)
        }
    }

    /// Count `n` more records done.
    pub fn add(&mut self, n: u64) {
        self.done += n;
        let now = Instant::now();
        let min_gap = self.min_gap();
        // Samples closer than `min_gap` are merged into the latest, but never into the first:
        // it is the baseline the rate is measured from.
        let len = self.samples.len();
        match self.samples.back_mut() {
            Some((t, d)) if len > 1 && now.duration_since(*t) < min_gap => *d = self.done,
            _ => self.samples.push_back((now, self.done)),
        }
        // Keep one sample at or before the window start, so the span covers the window.
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= self.window)
        {
            self.samples.pop_front();
        }
    }

    /// Records done.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Time since the tracker started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Records done by `at`: the count of the latest sample at or before it.
    fn done_at(&self, at: Instant) -> u64 {
        self.samples
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .map_or(0, |&(_, d)| d)
    }

    /// Whether one whole quota period has passed (always true without a period).
    pub fn measured(&self) -> bool {
        self.period.is_zero() || self.elapsed() >= self.period
    }

    /// Records per second: over the largest whole number of quota periods that fits the window
    /// and the time elapsed, or (no period yet, or less than one elapsed) over the window, since
    /// the start when shorter. 0 before any time has passed.
    pub fn per_second(&self) -> f64 {
        let now = Instant::now();
        let span = now.duration_since(self.started).min(self.window);
        if !self.period.is_zero() && span >= self.period {
            let k = (span.as_nanos() / self.period.as_nanos()).max(1);
            let length = self.period * u32::try_from(k).unwrap_or(u32::MAX);
            let from = now.checked_sub(length).unwrap_or(self.started);
            return (self.done - self.done_at(from)) as f64 / length.as_secs_f64();
        }
        let Some(&(t0, d0)) = self.samples.front() else {
            return 0.0;
        };
        let span = now.duration_since(t0).as_secs_f64();
        if span <= 0.0 {
            return 0.0;
        }
        (self.done - d0) as f64 / span
    }

    /// `(total − done) / per_second`, when the total is known, the rate positive and (under a
    /// quota period) one whole period measured; zero when everything is done.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        let remaining = total.saturating_sub(self.done);
        if remaining == 0 {
            return Some(Duration::ZERO);
        }
        if !self.measured() {
            return None;
        }
        let rate = self.per_second();
        (rate > 0.0).then(|| Duration::from_secs_f64(remaining as f64 / rate))
    }

    /// A [`ProgressEvent::Rate`] for `step`.
    pub fn event(&self, step: &str) -> ProgressEvent {
        ProgressEvent::Rate {
            step: step.to_owned(),
            done: self.done,
            total: self.total,
            per_second: self.per_second(),
            eta: self.eta(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_and_eta_follow_elapsed_time() {
        let mut t = RateTracker::new(Some(100), Duration::from_secs(30));
        assert_eq!(t.per_second(), 0.0);
        assert_eq!(t.eta(), None);
        for _ in 0..10 {
            tokio::time::advance(Duration::from_secs(1)).await;
            t.add(2);
        }
        assert!((t.per_second() - 2.0).abs() < 1e-9, "{}", t.per_second());
        assert_eq!(t.eta(), Some(Duration::from_secs(40)));
        assert_eq!(t.elapsed(), Duration::from_secs(10));
        let ProgressEvent::Rate { done, total, .. } = t.event("tickets") else {
            panic!()
        };
        assert_eq!((done, total), (20, Some(100)));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_uses_the_recent_window() {
        let mut t = RateTracker::new(None, Duration::from_secs(10));
        // Fast for 10 s, then slow for 20 s: the windowed rate reflects the slow phase.
        for _ in 0..10 {
            tokio::time::advance(Duration::from_secs(1)).await;
            t.add(100);
        }
        for _ in 0..20 {
            tokio::time::advance(Duration::from_secs(1)).await;
            t.add(1);
        }
        let r = t.per_second();
        assert!((0.9..=1.2).contains(&r), "windowed rate {r}");
        assert_eq!(t.eta(), None, "no total, no ETA");
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_then_a_pause_keeps_the_sustained_rate() {
        // A paced client reads a quota's worth at once, then waits for the next minute.
        let mut t = RateTracker::new(None, RATE_WINDOW);
        for _ in 0..100 {
            tokio::time::advance(Duration::from_millis(1)).await;
            t.add(1);
        }
        tokio::time::advance(Duration::from_millis(59_900)).await;
        t.add(1);
        let r = t.per_second();
        assert!(
            (1.6..=1.75).contains(&r),
            "101 records in 60 s, not the last 1: {r}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn eta_is_zero_when_done() {
        let mut t = RateTracker::new(Some(5), Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(1)).await;
        t.add(5);
        assert_eq!(t.eta(), Some(Duration::ZERO));
    }

    /// The records a quota-paced step does by each second, and when it ends: `burst` records
    /// at the start of every `period` (Glassix's pacer), or spread evenly (Intercom's).
    fn schedule(total: u64, per_period: u64, period: u64, burst: bool) -> (Vec<u64>, u64) {
        let mut at = Vec::new();
        let mut done = 0;
        let mut second = 0;
        while done < total {
            let phase = second % period;
            let n = if burst {
                if phase == 0 { per_period } else { 0 }
            } else {
                // Evenly: per_period / period a second, remainders spread.
                (per_period * (phase + 1)) / period - (per_period * phase) / period
            };
            let n = n.min(total - done);
            done += n;
            at.push(n);
            second += 1;
        }
        (at, second)
    }

    /// Runs the schedule on paused time and returns (second, ETA, true remaining) after each
    /// second in which the step is not finished.
    async fn etas(
        total: u64,
        per_period: u64,
        period: u64,
        burst: bool,
    ) -> Vec<(u64, Option<Duration>, Duration)> {
        let (at, end) = schedule(total, per_period, period, burst);
        let mut t = RateTracker::new(Some(total), RATE_WINDOW);
        t.set_period(Duration::from_secs(period));
        let mut out = Vec::new();
        for (second, n) in at.iter().enumerate() {
            // The records of a second land 1 ms into it.
            tokio::time::advance(Duration::from_millis(1)).await;
            if *n > 0 {
                t.add(*n);
            }
            tokio::time::advance(Duration::from_millis(999)).await;
            let now = second as u64 + 1;
            if now < end {
                // The last record lands 1 ms into the last second.
                let truth = Duration::from_millis((end - 1 - now) * 1000 + 1);
                out.push((now, t.eta(), truth));
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn evenly_paced_eta_is_within_15_percent_once_a_window_is_measured() {
        // Intercom-like: 20 requests per 10-s window spread evenly, 1,000 records (500 s).
        for (now, eta, truth) in etas(1_000, 20, 10, false).await {
            if now < 10 {
                assert_eq!(eta, None, "{now} s: no ETA before one whole window");
                continue;
            }
            let eta = eta.expect("an ETA after one window");
            let err = (eta.as_secs_f64() - truth.as_secs_f64()).abs();
            assert!(
                err <= 0.15 * truth.as_secs_f64() + 1.0,
                "{now} s: ETA {eta:?}, truth {truth:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn burst_paced_eta_stays_within_one_quota_period_and_15_percent_of_long_waits() {
        // Glassix-like: 100 records at the start of every minute, 1,000 records. A rate since
        // the start would read 100 records in 1 s (ETA 9 s) and then stall for 59 s.
        let mut checked = 0;
        for (now, eta, truth) in etas(1_000, 100, 60, true).await {
            if now < 60 {
                assert_eq!(eta, None, "{now} s: no ETA before one whole minute");
                continue;
            }
            let eta = eta.expect("an ETA after one minute");
            let err = (eta.as_secs_f64() - truth.as_secs_f64()).abs();
            // The work comes in steps of one period: the ETA can be up to one period off
            // depending on the phase, never more; far from the end that is within 15 %.
            assert!(err <= 60.0, "{now} s: ETA {eta:?}, truth {truth:?}");
            if truth >= Duration::from_secs(400) {
                assert!(
                    err <= 0.15 * truth.as_secs_f64(),
                    "{now} s: ETA {eta:?}, truth {truth:?}"
                );
            }
            checked += 1;
        }
        assert!(checked > 400, "{checked}");
    }

    #[tokio::test(start_paused = true)]
    async fn without_a_period_the_eta_is_immediate() {
        let mut t = RateTracker::new(Some(10), RATE_WINDOW);
        tokio::time::advance(Duration::from_secs(1)).await;
        t.add(5);
        assert_eq!(t.eta(), Some(Duration::from_secs(1)));
        t.set_period(Duration::from_secs(10));
        assert_eq!(t.eta(), None, "one second of a 10-s period is not a rate");
        assert_eq!(t.period(), Duration::from_secs(10));
    }
}
