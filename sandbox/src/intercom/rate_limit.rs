//! Intercom's per-app limit, spread evenly over fixed windows (10 s by default), with
//! `X-RateLimit-Limit/Remaining/Reset` on every authenticated response.
//!
//! Windows are aligned to multiples of the window length since the Unix epoch on the fake's
//! clock; `X-RateLimit-Reset` is the window end in whole Unix seconds. Only admitted requests
//! count; a refused request does not consume budget. The limiter is exact: at most `limit`
//! requests are admitted per window.

use std::sync::Mutex;

/// The three header values of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: i64,
}

#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: u32,
    window_ms: i64,
    state: Mutex<(i64, u32)>,
}

impl RateLimiter {
    pub(crate) fn new(limit: u32, window_secs: u64) -> Self {
        Self {
            limit,
            window_ms: (window_secs.max(1) as i64) * 1000,
            state: Mutex::new((i64::MIN, 0)),
        }
    }

    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    pub(crate) fn window_secs(&self) -> i64 {
        self.window_ms / 1000
    }

    /// Admits (Ok) or refuses (Err) one request at `now_ms`.
    pub(crate) fn check(&self, now_ms: i64) -> Result<RateHeaders, RateHeaders> {
        let window = now_ms.div_euclid(self.window_ms);
        let reset = (window + 1) * self.window_ms / 1000;
        let Ok(mut s) = self.state.lock() else {
            return Err(RateHeaders {
                limit: self.limit,
                remaining: 0,
                reset,
            });
        };
        if s.0 != window {
            *s = (window, 0);
        }
        if s.1 >= self.limit {
            return Err(RateHeaders {
                limit: self.limit,
                remaining: 0,
                reset,
            });
        }
        s.1 += 1;
        Ok(RateHeaders {
            limit: self.limit,
            remaining: self.limit - s.1,
            reset,
        })
    }

    /// The headers for the current window without consuming budget.
    pub(crate) fn peek(&self, now_ms: i64) -> RateHeaders {
        let window = now_ms.div_euclid(self.window_ms);
        let used = self
            .state
            .lock()
            .map(|s| if s.0 == window { s.1 } else { 0 })
            .unwrap_or(self.limit);
        RateHeaders {
            limit: self.limit,
            remaining: self.limit.saturating_sub(used),
            reset: (window + 1) * self.window_ms / 1000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fixed_windows() {
        let l = RateLimiter::new(3, 10);
        let t = 1_700_000_000_000;
        let r: Vec<_> = (0..4).map(|_| l.check(t)).collect();
        assert_eq!(r[0].unwrap().remaining, 2);
        assert_eq!(r[2].unwrap().remaining, 0);
        assert!(r[3].is_err());
        assert_eq!(r[0].unwrap().reset, 1_700_000_010);
        assert!(l.check(t + 10_000).is_ok());
    }
}
