//! Proactive pacing learned from `X-RateLimit-Limit/Remaining/Reset`.
//!
//! Policy: keep an estimate of the requests left in the current window (the smaller of the last
//! header and our own count of sends since), keep a small safety margin, and spread what is left
//! evenly over the time left until `Reset`. When nothing is left, wait for `Reset` (plus a small
//! guard). Before any header is seen, a configurable default budget applies (10,000/min spread as
//! 1,666 per 10 s). The window length is learned from successive `Reset` values, so scaled-down
//! windows (e.g. 50 per second in a sandbox) work without configuration, and the offset of
//! Intercom's clock from ours is bounded by every response (`Reset - now` lies in
//! `(offset, offset + window]`), so a skewed or jumping server clock does not break the pacing.

use std::sync::Mutex;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::clock::Clock;

/// The budget assumed before Intercom's headers have been seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultBudget {
    /// Requests allowed per window.
    pub requests: u32,
    /// Window length.
    pub window: Duration,
}

impl Default for DefaultBudget {
    /// 10,000 requests per minute, which Intercom spreads as 1,666 per 10 seconds.
    fn default() -> Self {
        Self {
            requests: 1_666,
            window: Duration::from_secs(10),
        }
    }
}

/// Tuning of the pacer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacingConfig {
    /// Budget before the first response.
    pub default_budget: DefaultBudget,
    /// Fraction of each window's limit kept unused as a safety margin (at least one request).
    pub safety_fraction: f64,
    /// Extra wait after `Reset` before sending into the new window (clock granularity).
    pub reset_guard: Duration,
    /// Whether to pace at all (when false, only 429s slow the client down).
    pub enabled: bool,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            default_budget: DefaultBudget::default(),
            safety_fraction: 0.02,
            reset_guard: Duration::from_millis(50),
            enabled: true,
        }
    }
}

/// A snapshot of the rate-limit budget, as seen by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitStatus {
    /// `X-RateLimit-Limit` of the current window (requests per window), once seen.
    pub limit: Option<u32>,
    /// The client's estimate of requests left in the current window (header value minus the
    /// requests sent since), once a header was seen.
    pub remaining: Option<u32>,
    /// `X-RateLimit-Reset`: Unix seconds when the current window refills, once seen.
    pub reset: Option<i64>,
    /// Learned window length in milliseconds (the default budget's window until learned).
    pub window_ms: u64,
    /// Requests sent so far (every attempt, retries included).
    pub requests_sent: u64,
    /// 429 responses seen so far.
    pub throttled: u64,
    /// Estimated offset of Intercom's clock from the local one, in milliseconds (0 when the
    /// headers are consistent with the local clock).
    pub clock_offset_ms: i64,
}

/// Rate-limit headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Observed {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: i64,
}

impl Observed {
    /// Reads the three headers; `None` when any is missing or unreadable.
    pub(crate) fn from_headers(h: &HeaderMap) -> Option<Self> {
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        Some(Self {
            limit: get("x-ratelimit-limit")? as u32,
            remaining: get("x-ratelimit-remaining")?.max(0.0) as u32,
            reset: get("x-ratelimit-reset")? as i64,
        })
    }
}

#[derive(Debug)]
struct State {
    limit: u32,
    remaining: u32,
    /// Unix second at which the current (possibly locally rolled) window ends, when known.
    reset_unix: Option<i64>,
    /// The last `X-RateLimit-Reset` seen, to learn the window length from successive values.
    last_header_reset: Option<i64>,
    reset_at: Instant,
    window: Duration,
    window_learned: bool,
    /// Bounds on `Reset - local now` seen so far (max, min): the server's clock offset `d`
    /// satisfies `max - window <= d <= min`. `None` before the first header.
    skew: Option<(f64, f64)>,
    next_slot: Instant,
    /// No request is sent before this instant (a short hold after a 429 that did not say the
    /// window is spent); the window's own numbers are left alone.
    paused_until: Instant,
    sent: u64,
    throttled: u64,
    seen_header: bool,
}

/// The pacer shared by all requests of one client.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    clock: Clock,
    cfg: PacingConfig,
    state: Mutex<State>,
}

impl RateLimiter {
    pub(crate) fn new(clock: Clock, cfg: PacingConfig) -> Self {
        let now = Instant::now();
        let window = cfg.default_budget.window.max(Duration::from_millis(1));
        Self {
            clock,
            cfg,
            state: Mutex::new(State {
                limit: cfg.default_budget.requests.max(1),
                remaining: cfg.default_budget.requests.max(1),
                reset_unix: None,
                last_header_reset: None,
                reset_at: now + window,
                window,
                window_learned: false,
                skew: None,
                next_slot: now,
                paused_until: now,
                sent: 0,
                throttled: 0,
                seen_header: false,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another task panicked mid-update; the numbers are still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn margin(&self, limit: u32) -> u32 {
        ((f64::from(limit) * self.cfg.safety_fraction).ceil() as u32).max(1)
    }

    /// Rolls the window forward locally once its reset time (plus the guard) has passed.
    fn roll(&self, s: &mut State, now: Instant) {
        if now < s.reset_at + self.cfg.reset_guard {
            return;
        }
        while s.reset_at + self.cfg.reset_guard <= now {
            s.reset_at += s.window;
            s.reset_unix = match (s.reset_unix, s.window_learned) {
                (Some(r), true) => Some(r + s.window.as_secs().max(1) as i64),
                _ => None,
            };
        }
        s.remaining = s.limit;
        if s.next_slot > now {
            s.next_slot = now;
        }
    }

    /// Waits until a request may be sent under the budget, then counts it as sent.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait_until = {
                let mut s = self.lock();
                let now = Instant::now();
                if s.paused_until > now {
                    s.paused_until
                } else if !self.cfg.enabled {
                    s.sent += 1;
                    return;
                } else {
                    self.roll(&mut s, now);
                    let usable = s.remaining.saturating_sub(self.margin(s.limit));
                    if usable == 0 {
                        s.reset_at + self.cfg.reset_guard
                    } else if s.next_slot > now {
                        s.next_slot
                    } else {
                        let left = s.reset_at.saturating_duration_since(now);
                        s.next_slot = now + left / usable;
                        s.remaining -= 1;
                        s.sent += 1;
                        return;
                    }
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// Learns from a response's headers.
    pub(crate) fn observe(&self, o: Observed) {
        let mut s = self.lock();
        let now = Instant::now();
        s.limit = o.limit.max(1);
        if let Some(prev) = s.last_header_reset {
            if o.reset > prev {
                let diff = Duration::from_secs((o.reset - prev) as u64);
                if !s.window_learned || diff < s.window {
                    s.window = diff;
                    s.window_learned = true;
                }
            }
        }
        if s.last_header_reset.is_none_or(|prev| o.reset > prev) {
            s.last_header_reset = Some(o.reset);
        }
        // Learn how far Intercom's clock is from ours: `Reset - now` lies in `(d, d + window]`.
        let x = o.reset as f64 - self.clock.now_unix();
        s.skew = match s.skew {
            None => Some((x, x)),
            Some((max, min)) => {
                let (max, min) = (max.max(x), min.min(x));
                if max - s.window.as_secs_f64() > min {
                    // Inconsistent: the server's clock jumped (e.g. a sandbox clock advanced).
                    Some((x, x))
                } else {
                    Some((max, min))
                }
            }
        };
        match s.reset_unix {
            // A late response from an older window says nothing about this one.
            Some(cur) if o.reset < cur => {}
            Some(cur) if o.reset == cur => s.remaining = s.remaining.min(o.remaining),
            _ => {
                s.reset_unix = Some(o.reset);
                s.reset_at = self.clock.instant_at(o.reset as f64 - Self::offset(&s));
                s.remaining = o.remaining;
            }
        }
        s.seen_header = true;
        // Re-spread what is left now that the budget is known better.
        let usable = s.remaining.saturating_sub(self.margin(s.limit));
        if usable > 0 {
            let candidate = now + s.reset_at.saturating_duration_since(now) / usable;
            if s.next_slot > candidate {
                s.next_slot = candidate;
            }
        }
    }

    /// Records a 429: nothing is left until `until` (the reset, `Retry-After`, or the fallback);
    /// every caller of [`RateLimiter::acquire`] waits for it.
    pub(crate) fn throttled(&self, o: Option<Observed>, until: Instant) {
        if let Some(o) = o {
            self.observe(o);
        }
        let mut s = self.lock();
        s.throttled += 1;
        s.remaining = 0;
        s.reset_at = until;
    }

    /// Records a 429 that did not say the window is spent: every caller of
    /// [`RateLimiter::acquire`] waits until `until`, and the window's budget is kept as it was
    /// (a later header corrects it).
    pub(crate) fn hold(&self, o: Option<Observed>, until: Instant) {
        if let Some(o) = o {
            self.observe(o);
        }
        let mut s = self.lock();
        s.throttled += 1;
        if until > s.paused_until {
            s.paused_until = until;
        }
    }

    /// The estimated offset (seconds) of Intercom's clock from ours: 0 (trust the local clock)
    /// unless the headers prove otherwise, else the nearest value they allow.
    fn offset(s: &State) -> f64 {
        match s.skew {
            None => 0.0,
            Some((max, min)) => {
                let lower = max - s.window.as_secs_f64();
                if lower > 0.0 {
                    lower
                } else if min < 0.0 {
                    min
                } else {
                    0.0
                }
            }
        }
    }

    /// The local instant at which a `Reset` header value (Intercom's clock) falls.
    pub(crate) fn instant_at(&self, reset_unix: i64) -> Instant {
        let offset = Self::offset(&self.lock());
        self.clock.instant_at(reset_unix as f64 - offset)
    }

    /// What callers see.
    pub(crate) fn status(&self) -> RateLimitStatus {
        let s = self.lock();
        RateLimitStatus {
            limit: s.seen_header.then_some(s.limit),
            remaining: s.seen_header.then_some(s.remaining),
            reset: s.reset_unix.or(s.last_header_reset),
            window_ms: s.window.as_millis() as u64,
            requests_sent: s.sent,
            throttled: s.throttled,
            clock_offset_ms: (Self::offset(&s) * 1000.0) as i64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    const ORIGIN: f64 = 1_000_000.0;

    /// A fixed-window server on virtual time: `limit` requests per `window_secs`, windows
    /// aligned on Unix seconds, like Intercom's headers describe.
    struct FakeServer {
        clock: Clock,
        /// The server's clock runs this many milliseconds ahead of the client's.
        offset_ms: std::sync::atomic::AtomicI64,
        limit: u32,
        window_secs: i64,
        counts: Mutex<std::collections::HashMap<i64, u32>>,
    }

    impl FakeServer {
        /// Counts one request; `Err` is a 429.
        fn hit(&self) -> Result<Observed, Observed> {
            let now =
                self.clock.now_unix() + self.offset_ms.load(Ordering::Relaxed) as f64 / 1000.0;
            let win = (now.floor() as i64).div_euclid(self.window_secs);
            let reset = (win + 1) * self.window_secs;
            let mut c = self.counts.lock().unwrap();
            let n = c.entry(win).or_insert(0);
            if *n >= self.limit {
                return Err(Observed {
                    limit: self.limit,
                    remaining: 0,
                    reset,
                });
            }
            *n += 1;
            Ok(Observed {
                limit: self.limit,
                remaining: self.limit - *n,
                reset,
            })
        }
    }

    async fn run_simulation(
        limit: u32,
        window_secs: i64,
        workers: usize,
        latency: Duration,
        run_for: Duration,
    ) -> (u64, u64, RateLimitStatus) {
        run_skewed_simulation(limit, window_secs, workers, latency, run_for, 0, None).await
    }

    /// Like `run_simulation`, with the server's clock `offset_ms` ahead of the client's and an
    /// optional jump of the server's clock (`after`, `by_ms`).
    async fn run_skewed_simulation(
        limit: u32,
        window_secs: i64,
        workers: usize,
        latency: Duration,
        run_for: Duration,
        offset_ms: i64,
        jump: Option<(Duration, i64)>,
    ) -> (u64, u64, RateLimitStatus) {
        let clock = Clock::new(Some(ORIGIN));
        let limiter = Arc::new(RateLimiter::new(clock, PacingConfig::default()));
        let server = Arc::new(FakeServer {
            clock,
            offset_ms: std::sync::atomic::AtomicI64::new(offset_ms),
            limit,
            window_secs,
            counts: Mutex::new(Default::default()),
        });
        let ok = Arc::new(AtomicU64::new(0));
        let rejected = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + run_for;
        let mut tasks = Vec::new();
        if let Some((after, by_ms)) = jump {
            let server = server.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(after).await;
                server.offset_ms.fetch_add(by_ms, Ordering::Relaxed);
            }));
        }
        for _ in 0..workers {
            let (limiter, server, ok, rejected) = (
                limiter.clone(),
                server.clone(),
                ok.clone(),
                rejected.clone(),
            );
            tasks.push(tokio::spawn(async move {
                while Instant::now() < deadline {
                    limiter.acquire().await;
                    tokio::time::sleep(latency / 2).await;
                    let result = server.hit();
                    tokio::time::sleep(latency / 2).await;
                    match result {
                        Ok(o) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            limiter.observe(o);
                        }
                        Err(o) => {
                            rejected.fetch_add(1, Ordering::Relaxed);
                            limiter.throttled(Some(o), limiter.instant_at(o.reset));
                            tokio::time::sleep_until(limiter.instant_at(o.reset)).await;
                        }
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        (
            ok.load(Ordering::Relaxed),
            rejected.load(Ordering::Relaxed),
            limiter.status(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn paced_run_uses_the_budget_without_429_on_one_second_windows() {
        // Sandbox-like: 50 per 1-second window, 8 concurrent workers, 30 ms round trips.
        let (ok, rejected, status) =
            run_simulation(50, 1, 8, Duration::from_millis(30), Duration::from_secs(20)).await;
        assert_eq!(rejected, 0, "no 429 expected, status {status:?}");
        // 20 windows of 50; the margin keeps one per window and the first window is the default.
        assert!(ok >= 20 * 50 * 90 / 100, "only {ok} requests in 20 s");
        assert!(ok <= 21 * 50, "{ok} requests: more than the budget allows");
        assert_eq!(status.window_ms, 1000, "window length learned from Reset");
    }

    #[tokio::test(start_paused = true)]
    async fn paced_run_on_ten_second_windows_spreads_evenly() {
        // Intercom-like: 1,666 per 10 s (scaled: 200 per 10 s), 16 workers, 50 ms round trips.
        let (ok, rejected, _) = run_simulation(
            200,
            10,
            16,
            Duration::from_millis(50),
            Duration::from_secs(60),
        )
        .await;
        assert_eq!(rejected, 0);
        assert!(ok >= 6 * 200 * 90 / 100, "only {ok} requests in 60 s");
    }

    #[tokio::test(start_paused = true)]
    async fn server_clock_hours_ahead_is_learned_from_the_headers() {
        // A sandbox whose clock was advanced by 3 h: Reset is far in our future.
        let (ok, rejected, status) = run_skewed_simulation(
            50,
            1,
            8,
            Duration::from_millis(30),
            Duration::from_secs(20),
            3 * 3600 * 1000 + 370,
            None,
        )
        .await;
        eprintln!("server 3 h ahead: {ok} ok, {rejected} rejected, {status:?}");
        assert_eq!(rejected, 0);
        assert!(ok >= 20 * 50 * 85 / 100, "only {ok} requests in 20 s");
        let off = status.clock_offset_ms;
        assert!(
            (off - (3 * 3600 * 1000 + 370)).abs() < 100,
            "offset {off} ms"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn server_clock_behind_ours_is_learned_from_the_headers() {
        let (ok, rejected, status) = run_skewed_simulation(
            50,
            1,
            8,
            Duration::from_millis(30),
            Duration::from_secs(20),
            -400,
            None,
        )
        .await;
        eprintln!("server 0.4 s behind: {ok} ok, {rejected} rejected, {status:?}");
        // Until the headers prove our clock is ahead, we roll into the next window early; the
        // first few boundaries cost a few 429s (measured: 9 of ~1,000), then the offset is known.
        assert!(rejected * 100 <= ok, "{rejected} rejected");
        let off = status.clock_offset_ms;
        assert!((-500..=-400).contains(&off), "offset {off} ms");
        assert!(ok >= 20 * 50 * 85 / 100, "only {ok} requests in 20 s");
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_clock_jump_mid_run_is_followed() {
        // The sandbox clock is advanced by 3 h after 5 s.
        let (ok, rejected, status) = run_skewed_simulation(
            50,
            1,
            8,
            Duration::from_millis(30),
            Duration::from_secs(20),
            0,
            Some((Duration::from_secs(5), 3 * 3600 * 1000)),
        )
        .await;
        eprintln!("server clock jump: {ok} ok, {rejected} rejected, {status:?}");
        assert!(rejected <= 2, "{rejected} rejected");
        assert!(ok >= 20 * 50 * 80 / 100, "only {ok} requests in 20 s");
    }

    #[tokio::test(start_paused = true)]
    async fn default_budget_applies_before_any_header() {
        let clock = Clock::new(Some(ORIGIN));
        let cfg = PacingConfig {
            default_budget: DefaultBudget {
                requests: 11,
                window: Duration::from_secs(1),
            },
            ..PacingConfig::default()
        };
        let limiter = RateLimiter::new(clock, cfg);
        let start = Instant::now();
        for _ in 0..10 {
            limiter.acquire().await;
        }
        // 10 usable (margin 1) spread over 1 s: the 10th send happens at about 0.9 s.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(850) && took < Duration::from_millis(1000),
            "{took:?}"
        );
        // The 11th must wait for the next window (plus the guard).
        limiter.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_millis(1050),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(limiter.status().requests_sent, 11);
        assert_eq!(limiter.status().limit, None);
    }

    #[tokio::test(start_paused = true)]
    async fn empty_window_waits_for_reset() {
        let clock = Clock::new(Some(ORIGIN));
        let limiter = RateLimiter::new(clock, PacingConfig::default());
        limiter.observe(Observed {
            limit: 50,
            remaining: 0,
            reset: ORIGIN as i64 + 3,
        });
        let start = Instant::now();
        limiter.acquire().await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_millis(3100),
            "{waited:?}"
        );
        let st = limiter.status();
        assert_eq!(st.limit, Some(50));
        assert_eq!(st.remaining, Some(49));
    }

    #[test]
    fn reads_headers() {
        let mut h = HeaderMap::new();
        h.insert("X-RateLimit-Limit", "167".parse().unwrap());
        h.insert("X-RateLimit-Remaining", "3".parse().unwrap());
        h.insert("X-RateLimit-Reset", "1700000010".parse().unwrap());
        assert_eq!(
            Observed::from_headers(&h),
            Some(Observed {
                limit: 167,
                remaining: 3,
                reset: 1_700_000_010
            })
        );
        h.remove("X-RateLimit-Reset");
        assert_eq!(Observed::from_headers(&h), None);
    }
}
