//! When and how long to wait before sending a request again.
//!
//! Policy (see `docs/intercom-client.md`):
//! - a 429 is retried for every method (Intercom did not process the request), after
//!   `Retry-After`; else, when the headers say the token's window is spent
//!   (`X-RateLimit-Remaining: 0`), at the window's `X-RateLimit-Reset`; else (no headers, or
//!   headers saying the window still has room: another limit refused it, e.g. the workspace's)
//!   after a short backoff that doubles with each 429 of the call
//!   ([`RetryPolicy::rate_limit_backoff`]), never a whole window at once; plus jitter. 429s never
//!   use up the retries kept for server and transport errors;
//! - 5xx, 408 and transport errors are retried with exponential backoff and jitter only for
//!   [`Idempotency::Safe`] requests (GET, DELETE, PUT of full state, search), at most
//!   [`RetryPolicy::max_retries`] times;
//! - a connection that could not be established is retried for every method (nothing was sent);
//! - a non-idempotent write whose outcome is unknown becomes [`crate::Error::OutcomeUnknown`];
//! - every call is bounded by [`RetryPolicy::time_budget`]: a wait that would end past it is not
//!   started, the call fails with the error of its last answer.

use std::time::Duration;

use rand::Rng;
use rand::rngs::SmallRng;

/// Whether a request may be sent twice without changing the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Sending it again has the same effect (reads, deletes, full-state updates, searches).
    Safe,
    /// Sending it again may create a duplicate (creates, replies, conversation parts).
    NotIdempotent,
}

/// Retry settings.
///
/// Server and transport errors and 429s have separate budgets: `max_retries` counts only the
/// former, 429s are waited out for as long as `time_budget` allows (and at most
/// `max_rate_limit_retries` times, unbounded by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after a 5xx/408/transport error (safe requests only). 429s do not count.
    pub max_retries: u32,
    /// Retries after a 429 (any request), on top of the time budget. Default unbounded
    /// (`u32::MAX`): the time budget ends a call that keeps being throttled.
    pub max_rate_limit_retries: u32,
    /// First backoff delay; doubled on each retry.
    pub base_delay: Duration,
    /// Upper bound of one backoff delay.
    pub max_delay: Duration,
    /// First wait after a 429 that does not say the token's window is spent (no
    /// `X-RateLimit-*` headers, or `Remaining` above 0); doubled with each further 429 of the
    /// same call, up to `rate_limit_fallback`.
    pub rate_limit_base: Duration,
    /// Longest wait after a 429 that does not say when the window refills (the cap of the
    /// doubling backoff that starts at `rate_limit_base`).
    pub rate_limit_fallback: Duration,
    /// Upper bound of the random jitter added to every wait.
    pub max_jitter: Duration,
    /// Longest time one call may take from its first send, all its retries and 429 waits
    /// included. A wait that would end past it is not started: the call fails at once with the
    /// error of its last answer ([`crate::Error::RateLimited`] after a 429). A send in flight
    /// is not cut (the request timeout bounds it). Default 5 minutes: thirty of Intercom's
    /// 10-second windows.
    pub time_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            max_rate_limit_retries: u32::MAX,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            rate_limit_base: Duration::from_millis(250),
            rate_limit_fallback: Duration::from_secs(10),
            max_jitter: Duration::from_millis(100),
            time_budget: Duration::from_secs(5 * 60),
        }
    }
}

impl RetryPolicy {
    /// The backoff before retry number `retry` (1-based), without jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait after the `throttled`-th 429 (1-based) of one call when the answer does not say
    /// when the window refills: `rate_limit_base` doubled per 429, at most
    /// `rate_limit_fallback`, without jitter.
    pub fn rate_limit_backoff(&self, throttled: u32) -> Duration {
        let factor = 2u32.saturating_pow(throttled.saturating_sub(1).min(20));
        self.rate_limit_base
            .saturating_mul(factor)
            .min(self.rate_limit_fallback)
    }

    /// A random jitter in `[0, max_jitter]`.
    pub(crate) fn jitter(&self, rng: &mut SmallRng) -> Duration {
        let max = self.max_jitter.as_millis() as u64;
        if max == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rng.random_range(0..=max))
    }
}

/// What the retry policy has waited so far, over every call of a client and its clones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(3), Duration::from_secs(2));
        assert_eq!(p.backoff(30), Duration::from_secs(30));
    }

    #[test]
    fn rate_limit_backoff_starts_short_and_caps_at_the_fallback() {
        let p = RetryPolicy::default();
        assert_eq!(p.rate_limit_backoff(1), Duration::from_millis(250));
        assert_eq!(p.rate_limit_backoff(2), Duration::from_millis(500));
        assert_eq!(p.rate_limit_backoff(4), Duration::from_secs(2));
        assert_eq!(p.rate_limit_backoff(7), Duration::from_secs(10));
        assert_eq!(p.rate_limit_backoff(u32::MAX), Duration::from_secs(10));
    }
}
