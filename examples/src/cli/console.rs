//! What the user sees: lines on stdout, errors on stderr, progress as bars on a terminal or as
//! plain lines elsewhere. Every text passes through [`Console::scrub`], which masks the secret
//! values of the configuration, so a secret echoed by a service can never reach the screen.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use migration_core::progress::{ProgressEvent, Service, WaitReason};
use tokio::sync::broadcast;

/// Where the user-facing text goes.
#[derive(Debug, Clone)]
pub struct Console {
    secrets: Arc<Mutex<Vec<String>>>,
    bars: bool,
}

impl Console {
    /// A console; progress bars only when stdout is a terminal and `no_progress` is false.
    pub fn new(no_progress: bool) -> Self {
        Console {
            secrets: Arc::new(Mutex::new(Vec::new())),
            bars: !no_progress && std::io::stdout().is_terminal(),
        }
    }

    /// Values to mask in everything shown from now on.
    pub fn add_secrets(&self, values: impl IntoIterator<Item = String>) {
        if let Ok(mut s) = self.secrets.lock() {
            s.extend(values);
        }
    }

    /// `text` with every known secret value replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        if let Ok(s) = self.secrets.lock() {
            for secret in s.iter() {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
    }

    /// One line on stdout.
    pub fn line(&self, text: impl AsRef<str>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", self.scrub(text.as_ref()));
    }

    /// One line on stderr.
    pub fn error(&self, text: impl AsRef<str>) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", self.scrub(text.as_ref()));
    }

    /// Renders the progress events of a run until the channel closes (all senders dropped).
    pub async fn render(self, mut rx: broadcast::Receiver<ProgressEvent>) {
        let mut view = if self.bars {
            View::Bars(Bars::default())
        } else {
            View::Lines(Lines::default())
        };
        loop {
            match rx.recv().await {
                Ok(event) => view.show(&self, &event),
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
        view.finish();
    }
}

enum View {
    Bars(Bars),
    Lines(Lines),
}

impl View {
    fn show(&mut self, console: &Console, event: &ProgressEvent) {
        match self {
            View::Bars(b) => b.show(console, event),
            View::Lines(l) => l.show(console, event),
        }
    }

    fn finish(&mut self) {
        if let View::Bars(b) = self {
            for bar in b.bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}

/// `done in 1.2s: 3 migrated, …` (only the duration when the step counts no records). The
/// rollback step counts what it undid (deleted, archived or restored) and what it left.
fn finished(
    step: &str,
    counts: &migration_core::accounting::RunCounts,
    elapsed: Duration,
) -> String {
    let secs = elapsed.as_secs_f64();
    if counts.accounted() == 0 {
        return format!("done in {secs:.1}s");
    }
    if step == migration_core::rollback::ROLLBACK_STEP {
        return format!(
            "done in {secs:.1}s: {} undone (deleted, archived or restored), {} left, {} failed",
            counts.migrated, counts.skipped, counts.failed
        );
    }
    if step == migration_core::rollback::ROLLBACK_DRY_RUN_STEP {
        return format!(
            "done in {secs:.1}s: {} would be undone (deleted, archived or restored), {} would \
             be left; nothing was sent",
            counts.migrated, counts.skipped
        );
    }
    let migrated = match counts.unchanged {
        0 => format!("{} migrated", counts.migrated),
        n if n == counts.migrated => format!("{n} migrated before and unchanged"),
        n => format!("{} migrated ({n} of them unchanged)", counts.migrated),
    };
    format!(
        "done in {secs:.1}s: {migrated}, {} queued, {} skipped, {} failed",
        counts.queued, counts.skipped, counts.failed
    )
}

/// `waiting for Intercom quota, 7 s` / `waiting for Glassix (429 pause), 30 s`.
pub fn waiting(service: Service, reason: WaitReason, remaining: Duration) -> String {
    let secs = remaining.as_secs_f64().ceil() as u64;
    match reason {
        WaitReason::Quota => format!("waiting for {service} quota, {secs} s"),
        _ => format!("waiting for {service} ({reason}), {secs} s"),
    }
}

/// One bar per step, with rate and ETA.
struct Bars {
    multi: MultiProgress,
    bars: HashMap<String, ProgressBar>,
}

impl Default for Bars {
    fn default() -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            bars: HashMap::new(),
        }
    }
}

impl Bars {
    fn bar(&mut self, step: &str, total: Option<u64>) -> ProgressBar {
        if let Some(b) = self.bars.get(step) {
            return b.clone();
        }
        let bar = match total {
            Some(n) => {
                let b = ProgressBar::new(n);
                if let Ok(style) =
                    ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
                {
                    b.set_style(style.progress_chars("=> "));
                }
                b
            }
            None => {
                let b = ProgressBar::new_spinner();
                if let Ok(style) =
                    ProgressStyle::with_template("{prefix:>16} {spinner} {pos} {msg}")
                {
                    b.set_style(style);
                }
                b.enable_steady_tick(Duration::from_millis(200));
                b
            }
        };
        let bar = self.multi.add(bar);
        bar.set_prefix(step.to_owned());
        self.bars.insert(step.to_owned(), bar.clone());
        bar
    }

    fn show(&mut self, console: &Console, event: &ProgressEvent) {
        match event {
            ProgressEvent::StepStarted { step, total } => {
                self.bar(step, *total);
            }
            ProgressEvent::RecordDone { step, .. } => {
                // Steps with a total move with their `Rate` events (a step also reports the
                // records it creates on the way, e.g. the contacts and parts of tickets).
                let bar = self.bar(step, None);
                if bar.length().is_none() {
                    bar.inc(1);
                }
            }
            ProgressEvent::Rate {
                step,
                done,
                total,
                per_second,
                eta,
            } => {
                let bar = self.bar(step, *total);
                if let Some(t) = total {
                    if bar.length() != Some(*t) {
                        bar.set_length(*t);
                    }
                }
                if bar.position() < *done {
                    bar.set_position(*done);
                }
                let eta = eta
                    .map(|e| format!(", ETA {}s", e.as_secs()))
                    .unwrap_or_default();
                bar.set_message(format!("{per_second:.1}/s{eta}"));
            }
            ProgressEvent::Waiting {
                service,
                reason,
                remaining,
            } => {
                // Shown on every running bar until its next `Rate` event: nothing moves.
                let text = waiting(*service, *reason, *remaining);
                for bar in self.bars.values().filter(|b| !b.is_finished()) {
                    bar.set_message(text.clone());
                }
            }
            ProgressEvent::Error { message, .. } => {
                // A bar that cannot be drawn (closed terminal) loses nothing but the display.
                self.multi
                    .println(console.scrub(&format!("  ! {message}")))
                    .ok();
            }
            ProgressEvent::StepFinished {
                step,
                counts,
                elapsed,
            } => {
                let bar = self.bar(step, None);
                bar.finish_with_message(finished(step, counts, *elapsed));
            }
            _ => {}
        }
    }
}

/// Plain lines: a line when a step starts and ends, a progress line at most every 2 s, and a
/// line when a wait for quota starts (again every 10 s while it lasts).
#[derive(Default)]
struct Lines {
    last: HashMap<String, Instant>,
    waits: HashMap<Service, Wait>,
}

/// A wait for quota as last shown: when it was shown and when it was to end.
struct Wait {
    shown: Instant,
    ends: Instant,
}

/// How often a continuing wait is shown again.
const WAIT_REPEAT: Duration = Duration::from_secs(10);

impl Lines {
    /// Whether a `Waiting` event is worth a line: a new wait (none shown, or one ending at
    /// another time), or the same wait 10 s after it was last shown.
    fn wait_due(&mut self, service: Service, remaining: Duration) -> bool {
        let now = Instant::now();
        let ends = now + remaining;
        let due = match self.waits.get(&service) {
            None => true,
            Some(w) => {
                let moved = if ends > w.ends {
                    ends - w.ends
                } else {
                    w.ends - ends
                };
                now >= w.ends || moved > Duration::from_secs(2) || now - w.shown >= WAIT_REPEAT
            }
        };
        if due {
            self.waits.insert(service, Wait { shown: now, ends });
        }
        due
    }
}

impl Lines {
    fn show(&mut self, console: &Console, event: &ProgressEvent) {
        match event {
            ProgressEvent::StepStarted { step, total } => {
                let expected = total
                    .map(|t| format!(" ({t} expected)"))
                    .unwrap_or_default();
                console.line(format!("  {step}: started{expected}"));
                self.last.insert(step.clone(), Instant::now());
            }
            ProgressEvent::Rate {
                step,
                done,
                total,
                per_second,
                eta,
            } => {
                let due = self
                    .last
                    .get(step)
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(2));
                if due {
                    let total = total.map(|t| format!("/{t}")).unwrap_or_default();
                    let eta = eta
                        .map(|e| format!(", ETA {}s", e.as_secs()))
                        .unwrap_or_default();
                    console.line(format!("  {step}: {done}{total} ({per_second:.1}/s{eta})"));
                    self.last.insert(step.clone(), Instant::now());
                }
            }
            ProgressEvent::Waiting {
                service,
                reason,
                remaining,
            } if self.wait_due(*service, *remaining) => {
                console.line(format!("  {}", waiting(*service, *reason, *remaining)));
            }
            ProgressEvent::Error { message, .. } => console.line(format!("  ! {message}")),
            ProgressEvent::StepFinished {
                step,
                counts,
                elapsed,
            } => console.line(format!("  {step}: {}", finished(step, counts, *elapsed))),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_that_wrote_nothing_says_its_records_were_unchanged() {
        let counts = |migrated, unchanged| migration_core::accounting::RunCounts {
            source: migrated + 1,
            migrated,
            skipped: 1,
            unchanged,
            ..Default::default()
        };
        let d = Duration::from_millis(1500);
        assert_eq!(
            finished("tags", &counts(7, 7), d),
            "done in 1.5s: 7 migrated before and unchanged, 0 queued, 1 skipped, 0 failed"
        );
        assert_eq!(
            finished("tags", &counts(7, 2), d),
            "done in 1.5s: 7 migrated (2 of them unchanged), 0 queued, 1 skipped, 0 failed"
        );
        assert_eq!(
            finished("tags", &counts(7, 0), d),
            "done in 1.5s: 7 migrated, 0 queued, 1 skipped, 0 failed"
        );
    }

    #[test]
    fn a_wait_is_named_with_its_service_reason_and_seconds() {
        assert_eq!(
            waiting(
                Service::Glassix,
                WaitReason::Quota,
                Duration::from_millis(55_200)
            ),
            "waiting for Glassix quota, 56 s"
        );
        assert_eq!(
            waiting(
                Service::Intercom,
                WaitReason::RateLimited,
                Duration::from_secs(8)
            ),
            "waiting for Intercom (429 pause), 8 s"
        );
    }

    #[test]
    fn plain_lines_show_a_wait_once_then_again_only_when_it_changes() {
        let mut l = Lines::default();
        assert!(l.wait_due(Service::Glassix, Duration::from_secs(56)));
        // The same wait, seen again half a second later: not repeated.
        assert!(!l.wait_due(Service::Glassix, Duration::from_millis(55_500)));
        // Another service waits too: its own line.
        assert!(l.wait_due(Service::Intercom, Duration::from_secs(7)));
        // A wait that now ends much later (a 429 on top): shown again.
        assert!(l.wait_due(Service::Glassix, Duration::from_secs(90)));
    }
}
