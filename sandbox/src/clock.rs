//! An injectable clock so tests can expire tokens, page tokens, links and rate-limit windows
//! without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeZone, Utc};

/// Sentinel meaning "not frozen: follow the system clock".
const NOT_FROZEN: i64 = i64::MIN;

/// The clock's range (chrono's `DateTime<Utc>` range): advancing past either end stops there, so
/// a huge `advance` (it can come over HTTP) neither overflows nor hits the sentinel.
fn clamp_ms(ms: i64) -> i64 {
    ms.clamp(
        DateTime::<Utc>::MIN_UTC.timestamp_millis(),
        DateTime::<Utc>::MAX_UTC.timestamp_millis(),
    )
}

/// A shared clock: the system time plus an offset, or a frozen instant. Cheap to clone; all clones
/// see the same time. Both fake servers read every time-dependent rule from it.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
struct ClockInner {
    offset_ms: AtomicI64,
    frozen_ms: AtomicI64,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// A clock that follows `chrono::Utc::now()` (plus any offset added later with [`Clock::advance`]).
    pub fn system() -> Self {
        Self {
            inner: Arc::new(ClockInner {
                offset_ms: AtomicI64::new(0),
                frozen_ms: AtomicI64::new(NOT_FROZEN),
            }),
        }
    }

    /// A clock stopped at `at`; it only moves when [`Clock::advance`] is called. Ideal for tests
    /// of fixed rate-limit windows.
    pub fn frozen_at(at: DateTime<Utc>) -> Self {
        let clock = Self::system();
        clock.freeze_at(at);
        clock
    }

    /// Stops this clock (and every clone) at `at`.
    pub fn freeze_at(&self, at: DateTime<Utc>) {
        self.inner.offset_ms.store(0, Ordering::SeqCst);
        self.inner
            .frozen_ms
            .store(at.timestamp_millis(), Ordering::SeqCst);
    }

    /// Moves the clock forward (or backward with a negative duration), stopping at the ends of
    /// chrono's date range.
    pub fn advance(&self, by: chrono::Duration) {
        let ms = by.num_milliseconds();
        let add = |v: i64| Some(clamp_ms(v.saturating_add(ms)));
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        if self.inner.frozen_ms.load(Ordering::SeqCst) == NOT_FROZEN {
            let _ = self
                .inner
                .offset_ms
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, add);
        } else {
            let _ = self
                .inner
                .frozen_ms
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, add);
        }
    }

    /// Advances by `seconds` as sent to `POST /__sandbox/clock/advance` (any `i64`; values past
    /// what a `chrono::Duration` holds saturate).
    pub(crate) fn advance_secs(&self, seconds: i64) {
        let by = chrono::Duration::try_seconds(seconds).unwrap_or(if seconds < 0 {
            chrono::Duration::MIN
        } else {
            chrono::Duration::MAX
        });
        self.advance(by);
    }

    /// The current time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let frozen = self.inner.frozen_ms.load(Ordering::SeqCst);
        if frozen != NOT_FROZEN {
            return frozen;
        }
        clamp_ms(
            Utc::now()
                .timestamp_millis()
                .saturating_add(self.inner.offset_ms.load(Ordering::SeqCst)),
        )
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.now_ms())
            .single()
            .unwrap_or_else(Utc::now)
    }

    /// The current time in whole Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_advanced() {
        let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        let clock = Clock::frozen_at(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(chrono::Duration::hours(3));
        assert_eq!(clock.clone().now(), t0 + chrono::Duration::hours(3));
    }

    #[test]
    fn huge_advances_stop_at_the_ends_of_the_range() {
        let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
        let frozen = Clock::frozen_at(t0);
        frozen.advance_secs(i64::MAX);
        assert_eq!(frozen.now_ms(), DateTime::<Utc>::MAX_UTC.timestamp_millis());
        let _ = frozen.now();
        frozen.advance_secs(i64::MIN);
        frozen.advance_secs(i64::MIN);
        assert_eq!(frozen.now_ms(), DateTime::<Utc>::MIN_UTC.timestamp_millis());
        frozen.advance(chrono::Duration::days(1));
        assert_eq!(
            frozen.now_ms(),
            DateTime::<Utc>::MIN_UTC.timestamp_millis() + 86_400_000,
            "still frozen (the sentinel was never reached)"
        );
        let system = Clock::system();
        system.advance_secs(i64::MAX);
        system.advance_secs(i64::MAX);
        assert_eq!(system.now_ms(), DateTime::<Utc>::MAX_UTC.timestamp_millis());
        let _ = system.unix();
    }

    #[test]
    fn system_clock_offset() {
        let clock = Clock::system();
        let before = clock.unix();
        clock.advance(chrono::Duration::days(1));
        assert!(clock.unix() >= before + 86_399);
    }
}
