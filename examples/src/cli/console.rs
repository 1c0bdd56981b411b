//! What the user sees: lines on stdout, errors on stderr, progress as bars on a terminal or as
//! plain lines elsewhere. Every text passes through [`Console::scrub`], which masks the secret
//! values of the configuration, so a secret echoed by a service can never reach the screen.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use migration_core::progress::ProgressEvent;
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
    format!(
        "done in {secs:.1}s: {} migrated, {} queued, {} skipped, {} failed",
        counts.migrated, counts.queued, counts.skipped, counts.failed
    )
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
            ProgressEvent::Error { message, .. } => {
                let _ = self.multi.println(console.scrub(&format!("  ! {message}")));
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

/// Plain lines: a line when a step starts and ends, and a progress line at most every 2 s.
#[derive(Default)]
struct Lines {
    last: HashMap<String, Instant>,
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
