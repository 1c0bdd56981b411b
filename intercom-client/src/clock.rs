//! Maps Intercom's wall-clock `X-RateLimit-Reset` (Unix seconds) onto tokio's monotonic clock.
//!
//! All waiting is done on `tokio::time::Instant`, so tests on paused time are exact. The Unix time
//! is `origin_unix + (now - origin)`: the system clock read once when the client is built (or a
//! value given to the builder for simulations).

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// A monotonic clock that also knows the Unix time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    origin_unix: f64,
    origin: Instant,
}

impl Clock {
    /// A clock whose Unix time starts at `origin_unix` now (system time when `None`).
    pub(crate) fn new(origin_unix: Option<f64>) -> Self {
        let origin_unix = origin_unix.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0)
        });
        Self {
            origin_unix,
            origin: Instant::now(),
        }
    }

    /// The current Unix time in (fractional) seconds.
    pub(crate) fn now_unix(&self) -> f64 {
        self.origin_unix + self.origin.elapsed().as_secs_f64()
    }

    /// The monotonic instant at which the Unix time will be `unix` (now, if it has passed).
    pub(crate) fn instant_at(&self, unix: f64) -> Instant {
        let offset = unix - self.origin_unix;
        if offset <= 0.0 || !offset.is_finite() {
            return self.origin;
        }
        self.origin + Duration::from_secs_f64(offset.min(1.0e9))
    }
}
