//! Log output on stderr. At the default level, repeated rate-limit warnings (a 429 from Glassix
//! or Intercom, which the clients already absorb by pacing and retrying) are summarised: the
//! first of each kind is shown, the following ones within a minute are counted, and the count is
//! shown as one line when the next one arrives after that minute, or when the command ends.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata};
use tracing_subscriber::layer::{Context, Filter};

/// How long repeats of one warning are counted before the count is shown.
pub const SUMMARY_PERIOD: Duration = Duration::from_secs(60);

/// Whether a warning is one of the rate-limit warnings summarised.
pub fn is_rate_limit(message: &str) -> bool {
    message.contains("429") || message.contains("rate limited")
}

/// What to do with one repeated warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Show it; `hidden` repeats were counted since the last one shown.
    Show {
        /// Repeats hidden before it.
        hidden: u64,
    },
    /// Count it, do not show it.
    Hide,
}

#[derive(Debug)]
struct Window {
    shown_at: Instant,
    hidden: u64,
}

/// Repeats of each warning, by message.
#[derive(Debug)]
pub struct Repeats {
    period: Duration,
    windows: BTreeMap<String, Window>,
}

impl Repeats {
    /// Counts repeats over `period`.
    pub fn new(period: Duration) -> Self {
        Repeats {
            period,
            windows: BTreeMap::new(),
        }
    }

    /// One warning with `message` at `now`.
    pub fn admit(&mut self, message: &str, now: Instant) -> Admit {
        match self.windows.get_mut(message) {
            Some(w) if now.duration_since(w.shown_at) < self.period => {
                w.hidden += 1;
                Admit::Hide
            }
            Some(w) => {
                let hidden = w.hidden;
                *w = Window {
                    shown_at: now,
                    hidden: 0,
                };
                Admit::Show { hidden }
            }
            None => {
                self.windows.insert(
                    message.to_owned(),
                    Window {
                        shown_at: now,
                        hidden: 0,
                    },
                );
                Admit::Show { hidden: 0 }
            }
        }
    }

    /// The counts not shown yet (message, hidden repeats), and forgets them.
    pub fn drain(&mut self) -> Vec<(String, u64)> {
        std::mem::take(&mut self.windows)
            .into_iter()
            .filter(|(_, w)| w.hidden > 0)
            .map(|(m, w)| (m, w.hidden))
            .collect()
    }
}

/// The line that reports `hidden` repeats of `message`.
pub fn summary_line(message: &str, hidden: u64) -> String {
    format!(
        "warning: {hidden} more \"{message}\" in the last minute (retried and paced by the client; \
         -v shows each one)"
    )
}

static REPEATS: OnceLock<Mutex<Repeats>> = OnceLock::new();

fn repeats() -> &'static Mutex<Repeats> {
    REPEATS.get_or_init(|| Mutex::new(Repeats::new(SUMMARY_PERIOD)))
}

/// The per-layer filter that summarises rate-limit warnings (see the module documentation).
#[derive(Debug, Default, Clone, Copy)]
pub struct SummariseRateLimits;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S> Filter<S> for SummariseRateLimits {
    fn enabled(&self, _meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        if *event.metadata().level() != Level::WARN {
            return true;
        }
        let mut m = Message(String::new());
        event.record(&mut m);
        if !is_rate_limit(&m.0) {
            return true;
        }
        let admit = repeats()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .admit(&m.0, Instant::now());
        match admit {
            Admit::Hide => false,
            Admit::Show { hidden } => {
                if hidden > 0 {
                    eprintln!("{}", summary_line(&m.0, hidden));
                }
                true
            }
        }
    }
}

/// Shows the counts of repeats not shown yet (at the end of a command).
pub fn flush() {
    let pending = repeats()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .drain();
    for (message, hidden) in pending {
        eprintln!("{}", summary_line(&message, hidden));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_within_a_minute_are_counted_and_shown_once_after_it() {
        let mut r = Repeats::new(SUMMARY_PERIOD);
        let t0 = Instant::now();
        let m = "glassix: 429 Too Many Requests";
        assert_eq!(r.admit(m, t0), Admit::Show { hidden: 0 });
        for s in 1..=30 {
            assert_eq!(r.admit(m, t0 + Duration::from_secs(s)), Admit::Hide);
        }
        assert_eq!(r.admit("429 rate limited", t0), Admit::Show { hidden: 0 });
        assert_eq!(
            r.admit(m, t0 + Duration::from_secs(61)),
            Admit::Show { hidden: 30 }
        );
        assert_eq!(r.admit(m, t0 + Duration::from_secs(62)), Admit::Hide);
        assert_eq!(r.drain(), vec![(m.to_owned(), 1)]);
        assert!(r.drain().is_empty());
    }

    #[test]
    fn only_rate_limit_warnings_are_summarised() {
        assert!(is_rate_limit("glassix: 429 Too Many Requests"));
        assert!(is_rate_limit("429 rate limited"));
        assert!(!is_rate_limit("glassix: server error, retrying"));
    }
}
