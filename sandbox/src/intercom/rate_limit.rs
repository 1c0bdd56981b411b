//! Intercom's limits: one per app (each access token is an app), spread evenly over fixed windows
//! (10 s by default), and one for the whole workspace that every app draws from (25,000/min
//! against 10,000/min per app by default: 2.5 × an app's). `X-RateLimit-Limit/Remaining/Reset`
//! on every authenticated response describe the **app's** window.
//!
//! Windows are aligned to multiples of the window length since the Unix epoch on the fake's
//! clock (the workspace's windows are the apps'); `X-RateLimit-Reset` is the window end in whole
//! Unix seconds. Only admitted requests count, against both limits; a refused request consumes
//! nothing. The limiter is exact: at most `limit` requests of an app and `workspace_limit`
//! requests of the workspace are admitted per window.

use std::sync::Mutex;

/// The three header values of one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    pub(crate) reset: i64,
}

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The app's window is spent.
    App,
    /// The workspace's window is spent (by this app and the others together).
    Workspace,
}

/// Counters of the limits, for `/__sandbox/state` and the harness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RateLimitCounters {
    /// Requests refused because their app's window was spent.
    pub refused_app: u64,
    /// Requests refused because the workspace's window was spent: the requests that would
    /// have gone over the workspace limit.
    pub refused_workspace: u64,
    /// The most requests the workspace admitted in one window.
    pub workspace_peak_per_window: u32,
}

#[derive(Debug)]
struct Windows {
    /// `(window number, requests admitted)` per app.
    apps: Vec<(i64, u32)>,
    /// `(window number, requests admitted)` of the workspace.
    workspace: (i64, u32),
    counters: RateLimitCounters,
}

/// The limits of the fake workspace.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: u32,
    workspace_limit: u32,
    window_ms: i64,
    state: Mutex<Windows>,
}

impl RateLimiter {
    /// `apps` apps of `limit` requests per window each, `workspace_limit` for all of them.
    pub(crate) fn new(limit: u32, workspace_limit: u32, window_secs: u64, apps: usize) -> Self {
        Self {
            limit,
            workspace_limit,
            window_ms: (window_secs.max(1) as i64) * 1000,
            state: Mutex::new(Windows {
                apps: vec![(i64::MIN, 0); apps.max(1)],
                workspace: (i64::MIN, 0),
                counters: RateLimitCounters::default(),
            }),
        }
    }

    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    pub(crate) fn workspace_limit(&self) -> u32 {
        self.workspace_limit
    }

    pub(crate) fn window_secs(&self) -> i64 {
        self.window_ms / 1000
    }

    pub(crate) fn counters(&self) -> RateLimitCounters {
        self.state.lock().map(|s| s.counters).unwrap_or_default()
    }

    fn headers(&self, window: i64, used: u32) -> RateHeaders {
        RateHeaders {
            limit: self.limit,
            remaining: self.limit.saturating_sub(used),
            reset: (window + 1) * self.window_ms / 1000,
        }
    }

    /// Admits (Ok) or refuses (Err, with the app's headers and which limit refused) one request
    /// of app `app` at `now_ms`.
    pub(crate) fn check(
        &self,
        app: usize,
        now_ms: i64,
    ) -> Result<RateHeaders, (RateHeaders, Refused)> {
        let window = now_ms.div_euclid(self.window_ms);
        let Ok(mut s) = self.state.lock() else {
            return Err((self.headers(window, self.limit), Refused::App));
        };
        let s = &mut *s;
        let Some(a) = s.apps.get_mut(app) else {
            return Err((self.headers(window, self.limit), Refused::App));
        };
        if a.0 != window {
            *a = (window, 0);
        }
        if s.workspace.0 != window {
            s.workspace = (window, 0);
        }
        if a.1 >= self.limit {
            s.counters.refused_app += 1;
            return Err((self.headers(window, a.1), Refused::App));
        }
        if s.workspace.1 >= self.workspace_limit {
            s.counters.refused_workspace += 1;
            return Err((self.headers(window, a.1), Refused::Workspace));
        }
        a.1 += 1;
        s.workspace.1 += 1;
        s.counters.workspace_peak_per_window =
            s.counters.workspace_peak_per_window.max(s.workspace.1);
        Ok(self.headers(window, a.1))
    }

    /// The headers of app `app`'s current window without consuming budget.
    pub(crate) fn peek(&self, app: usize, now_ms: i64) -> RateHeaders {
        let window = now_ms.div_euclid(self.window_ms);
        let used = self
            .state
            .lock()
            .ok()
            .and_then(|s| s.apps.get(app).map(|a| if a.0 == window { a.1 } else { 0 }))
            .unwrap_or(self.limit);
        self.headers(window, used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fixed_windows() {
        let l = RateLimiter::new(3, 100, 10, 1);
        let t = 1_700_000_000_000;
        let r: Vec<_> = (0..4).map(|_| l.check(0, t)).collect();
        assert_eq!(r[0].unwrap().remaining, 2);
        assert_eq!(r[2].unwrap().remaining, 0);
        assert_eq!(r[3].unwrap_err().1, Refused::App);
        assert_eq!(r[0].unwrap().reset, 1_700_000_010);
        assert!(l.check(0, t + 10_000).is_ok());
        assert_eq!(l.counters().refused_app, 1);
    }

    #[test]
    fn apps_have_their_own_windows_and_share_the_workspace() {
        // Three apps of 4 per window, a workspace of 10.
        let l = RateLimiter::new(4, 10, 10, 3);
        let t = 1_700_000_000_000;
        for app in 0..2 {
            for _ in 0..4 {
                assert!(l.check(app, t).is_ok());
            }
            assert_eq!(l.check(app, t).unwrap_err().1, Refused::App);
        }
        // The third app has room (its headers say so) but the workspace has 2 left.
        assert_eq!(l.check(2, t).unwrap().remaining, 3);
        assert_eq!(l.check(2, t).unwrap().remaining, 2);
        let (h, why) = l.check(2, t).unwrap_err();
        assert_eq!((why, h.remaining), (Refused::Workspace, 2));
        assert_eq!(l.peek(2, t).remaining, 2);
        let c = l.counters();
        assert_eq!(
            (
                c.refused_app,
                c.refused_workspace,
                c.workspace_peak_per_window
            ),
            (2, 1, 10)
        );
        // A new window refills both.
        assert!(l.check(2, t + 10_000).is_ok());
        assert!(l.check(7, t).is_err(), "an unknown app is refused");
    }
}
