//! Retry policy: how many attempts, exponential backoff with jitter, `Retry-After` parsing.

use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use reqwest::header::HeaderMap;

/// How failed reads are retried.
///
/// Two separate budgets bound one call:
/// - **Failures** (5xx, 408, transport errors): at most `max_attempts` sends may fail that way,
///   the first one included. Without a `Retry-After` header the n-th failure waits a random time
///   in `[d/2, d]` where `d = min(max_delay, base_delay · 2^(n-1))` ("equal jitter": never
///   shorter than half the exponential step, never all clients at once).
/// - **Time** (429s): a 429 does not use up a failure attempt. It is waited out, for
///   `Retry-After` when the answer has one, else for the backoff step of the call's n-th 429
///   (same formula), while the department's pace is lowered. A call gives up with
///   [`crate::Error::RateLimited`] when the next wait would end more than `time_budget` after its
///   first send, or when `Retry-After` is longer than `max_retry_after`.
///
/// The time budget bounds every wait a call chooses (429 pauses and failure backoffs); it does
/// not cut a send in flight (the per-request timeout does), and the wait for the first slot of
/// the configured quota is pacing, not trouble, so it is not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Sends in total that may fail with a 5xx, a 408 or a transport error, the first one
    /// included (at least 1). 429 answers do not count. Default 6.
    pub max_attempts: u32,
    /// First backoff step. Default 3 s.
    pub base_delay: Duration,
    /// Largest backoff step. Default 60 s (a Glassix minute bucket has always reset by then).
    pub max_delay: Duration,
    /// Longest `Retry-After` the client waits for. Default 15 minutes.
    pub max_retry_after: Duration,
    /// Longest time one call may take from its first send, all its retries and 429 waits
    /// included. Default 15 minutes: long enough to ride out a throttled quarter of an hour or a
    /// string of server errors, short enough that a stuck workspace ends the run with an error
    /// that says so (a migration then resumes where it stopped).
    pub time_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(3),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(15 * 60),
            time_budget: Duration::from_secs(15 * 60),
        }
    }
}

impl RetryPolicy {
    /// The un-jittered step before retry number `retry` (1 = first retry).
    pub fn step(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let factor = 1u32 << exp;
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Source of jitter; seedable so tests are deterministic.
#[derive(Debug)]
pub(crate) struct Jitter {
    rng: Mutex<SmallRng>,
}

impl Jitter {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => SmallRng::seed_from_u64(s),
            None => SmallRng::from_rng(&mut rand::rng()),
        };
        Jitter {
            rng: Mutex::new(rng),
        }
    }

    /// The jittered delay before retry number `retry`.
    pub(crate) fn backoff(&self, policy: &RetryPolicy, retry: u32) -> Duration {
        let step = policy.step(retry);
        let half = step / 2;
        let spread = step.saturating_sub(half).as_millis() as u64;
        let extra = match self.rng.lock() {
            Ok(mut rng) if spread > 0 => rng.random_range(0..=spread),
            // A poisoned lock only means another thread panicked mid-draw; use the midpoint.
            _ => spread / 2,
        };
        half + Duration::from_millis(extra)
    }
}

/// Parse `Retry-After`: delta seconds (possibly fractional) or an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            // A value past `Duration`'s range (`1e30`) would make `from_secs_f64` panic; it is
            // simply longer than any bound, so the caller gives up instead of waiting.
            return Some(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
        }
        return None;
    }
    let when = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// What the retry policy has waited so far, over every call of a client and its clones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RetryStats {
    /// Waits started before sending a call again (after a 429, a server or transport error).
    pub retries: u64,
    /// Their lengths added up. Calls in flight wait side by side, so this is not the time a
    /// run lost: it says how much waiting the faults caused.
    pub waited: Duration,
}

impl RetryStats {
    /// What was added since `earlier` (a snapshot of the same client).
    pub fn since(self, earlier: RetryStats) -> RetryStats {
        RetryStats {
            retries: self.retries.saturating_sub(earlier.retries),
            waited: self.waited.saturating_sub(earlier.waited),
        }
    }
}

/// The running totals behind [`RetryStats`], shared by a client's clones.
#[derive(Debug, Default)]
pub(crate) struct RetryTally {
    retries: std::sync::atomic::AtomicU64,
    waited_us: std::sync::atomic::AtomicU64,
}

impl RetryTally {
    /// Counts one wait of `wait` before a call is sent again.
    pub(crate) fn record(&self, wait: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        self.retries.fetch_add(1, Relaxed);
        let us = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
        self.waited_us.fetch_add(us, Relaxed);
    }

    /// The totals so far.
    pub(crate) fn stats(&self) -> RetryStats {
        use std::sync::atomic::Ordering::Relaxed;
        RetryStats {
            retries: self.retries.load(Relaxed),
            waited: Duration::from_micros(self.waited_us.load(Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_grow_exponentially_and_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.step(1), Duration::from_secs(3));
        assert_eq!(p.step(2), Duration::from_secs(6));
        assert_eq!(p.step(3), Duration::from_secs(12));
        assert_eq!(p.step(6), Duration::from_secs(60));
        assert_eq!(p.step(40), Duration::from_secs(60));
    }

    #[test]
    fn jitter_stays_in_the_upper_half_and_is_seeded() {
        let p = RetryPolicy::default();
        let a = Jitter::new(Some(7));
        let b = Jitter::new(Some(7));
        for retry in 1..8 {
            let d = a.backoff(&p, retry);
            assert_eq!(d, b.backoff(&p, retry));
            assert!(d >= p.step(retry) / 2 && d <= p.step(retry), "{d:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert("retry-after", "1.5".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(1500)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn retry_after_too_large_for_a_duration_does_not_panic() {
        let mut h = HeaderMap::new();
        for raw in ["1e30", "18446744073709551616", "1e308"] {
            h.insert("retry-after", raw.parse().unwrap());
            // Longer than any bound: the caller gives up instead of waiting.
            assert_eq!(retry_after(&h), Some(Duration::MAX), "{raw}");
        }
    }
}
