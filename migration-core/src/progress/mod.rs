//! Progress events for CLIs and library users, with rate and ETA.
//!
//! The executor publishes [`ProgressEvent`]s on a [`tokio::sync::broadcast`] channel through a
//! [`ProgressSender`]. Publishing never blocks and never fails the migration: with no
//! subscriber events are dropped, and a subscriber that falls behind skips the oldest events
//! (it receives `RecvError::Lagged`). [`RateTracker`] turns elapsed time and counts into a
//! rate and an ETA; it uses `tokio::time::Instant`, so paused-time tests drive it exactly.
//! While a client holds requests back for quota, a [`QuotaWatch`] sends
//! [`ProgressEvent::Waiting`] (what is waited for, and how long still), and the rates of the
//! steps are measured over whole periods of that quota (see [`rate`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::accounting::RunCounts;
use crate::kind::ObjectKind;
use crate::ledger::Reason;
use crate::outcome::{Failure, Outcome};

pub mod rate;
mod waiting;

pub use rate::{RATE_WINDOW, RateTracker};
pub use waiting::{QuotaWatch, Service, WaitReason};

/// An event of a running migration.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A plan step started; `total` records are expected, if known.
    StepStarted {
        /// Step id.
        step: String,
        /// Records expected.
        total: Option<u64>,
    },
    /// One record is done.
    RecordDone {
        /// Step id.
        step: String,
        /// Object kind.
        kind: ObjectKind,
        /// Source id.
        source_id: String,
        /// How it ended.
        outcome: Outcome,
    },
    /// A record was queued for reconciliation.
    Queued {
        /// Step id.
        step: String,
        /// Object kind.
        kind: ObjectKind,
        /// Source id.
        source_id: String,
        /// Why.
        reason: Reason,
    },
    /// An error that did not stop the run (the record is failed or will be retried).
    Error {
        /// Step id.
        step: String,
        /// Object kind, if the error concerns a record.
        kind: Option<ObjectKind>,
        /// Source id, if the error concerns a record.
        source_id: Option<String>,
        /// The error, without secrets.
        message: String,
    },
    /// Throughput of the current step.
    Rate {
        /// Step id.
        step: String,
        /// Records done so far.
        done: u64,
        /// Records expected, if known.
        total: Option<u64>,
        /// Records per second over the recent window.
        per_second: f64,
        /// Estimated time to finish the step, if the total is known and the rate positive.
        eta: Option<Duration>,
    },
    /// Requests to `service` are held back: nothing moves for `remaining` (e.g. "waiting for
    /// Intercom quota, 7 s"). Sent about twice a second while the wait lasts; a step's next
    /// `Rate` event means work moves again.
    Waiting {
        /// The service whose quota is waited for.
        service: Service,
        /// Why: the pacer's quota is used up, or the service answered 429.
        reason: WaitReason,
        /// How long the wait still lasts.
        remaining: Duration,
    },
    /// A plan step finished.
    StepFinished {
        /// Step id.
        step: String,
        /// Final counts of the step.
        counts: RunCounts,
        /// How long it took.
        elapsed: Duration,
    },
}

/// The publishing side of the progress channel. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProgressSender {
    tx: broadcast::Sender<ProgressEvent>,
    /// The longest quota period seen binding in this run, in milliseconds (0: none yet).
    period_ms: Arc<AtomicU64>,
}

impl ProgressSender {
    /// A channel keeping at most `capacity` undelivered events per subscriber.
    pub fn channel(capacity: usize) -> (ProgressSender, broadcast::Receiver<ProgressEvent>) {
        let (tx, rx) = broadcast::channel(capacity.max(1));
        let period_ms = Arc::new(AtomicU64::new(0));
        (ProgressSender { tx, period_ms }, rx)
    }

    /// Another subscriber (sees events sent from now on).
    pub fn subscribe(&self) -> broadcast::Receiver<ProgressEvent> {
        self.tx.subscribe()
    }

    /// Publish an event; dropped silently when nobody listens.
    pub fn send(&self, event: ProgressEvent) {
        // The only error is "no receiver": progress nobody watches is not a failure.
        self.tx.send(event).ok();
    }

    /// A quota with this period was seen holding requests back: from now on the steps measure
    /// their rate over whole multiples of the longest such period (see [`RateTracker::set_period`]).
    pub fn quota_binds(&self, period: Duration) {
        let ms = u64::try_from(period.as_millis()).unwrap_or(u64::MAX);
        self.period_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// The longest quota period seen binding so far (zero when none).
    pub fn quota_period(&self) -> Duration {
        Duration::from_millis(self.period_ms.load(Ordering::Relaxed))
    }
}

/// Progress of one plan step: emits `StepStarted`, a `RecordDone` (and `Queued`/`Error`) per
/// record, a `Rate` event at most once per `rate_interval`, and `StepFinished` with the counts.
#[derive(Debug)]
pub struct StepProgress {
    sender: ProgressSender,
    step: String,
    tracker: RateTracker,
    counts: RunCounts,
    rate_interval: Duration,
    last_rate: Instant,
}

impl StepProgress {
    /// Start a step expecting `total` records (sends `StepStarted`).
    pub fn start(sender: ProgressSender, step: impl Into<String>, total: Option<u64>) -> Self {
        let step = step.into();
        sender.send(ProgressEvent::StepStarted {
            step: step.clone(),
            total,
        });
        StepProgress {
            sender,
            step,
            tracker: RateTracker::new(total, RATE_WINDOW),
            counts: RunCounts {
                source: total.unwrap_or(0),
                ..RunCounts::default()
            },
            rate_interval: Duration::from_secs(1),
            last_rate: Instant::now(),
        }
    }

    /// Emit `Rate` events at most this often (default 1 s).
    pub fn with_rate_interval(mut self, interval: Duration) -> Self {
        self.rate_interval = interval;
        self
    }

    /// One record is done. `Queued` and `Failed` outcomes should be reported through
    /// [`StepProgress::queued`] and [`StepProgress::failed`], which call this.
    pub fn record(&mut self, kind: &ObjectKind, source_id: &str, outcome: Outcome) {
        match &outcome {
            Outcome::Migrated { .. } => self.counts.migrated += 1,
            Outcome::Unchanged { .. } => {
                self.counts.migrated += 1;
                self.counts.unchanged += 1;
            }
            Outcome::Queued(_) => self.counts.queued += 1,
            Outcome::Skipped(_) => self.counts.skipped += 1,
            Outcome::Failed(_) => self.counts.failed += 1,
        }
        self.sender.send(ProgressEvent::RecordDone {
            step: self.step.clone(),
            kind: kind.clone(),
            source_id: source_id.to_owned(),
            outcome,
        });
        self.tracker.add(1);
        let period = self.sender.quota_period();
        if period > self.tracker.period() {
            self.tracker.set_period(period);
        }
        if self.last_rate.elapsed() >= self.rate_interval {
            self.last_rate = Instant::now();
            self.sender.send(self.tracker.event(&self.step));
        }
    }

    /// A record was queued with `reason` (sends `Queued` and `RecordDone`).
    pub fn queued(&mut self, kind: &ObjectKind, source_id: &str, reason: Reason) {
        self.sender.send(ProgressEvent::Queued {
            step: self.step.clone(),
            kind: kind.clone(),
            source_id: source_id.to_owned(),
            reason: reason.clone(),
        });
        self.record(kind, source_id, Outcome::Queued(reason));
    }

    /// A record failed with `message` (sends `Error` and `RecordDone`).
    pub fn failed(&mut self, kind: &ObjectKind, source_id: &str, failure: Failure) {
        self.sender.send(ProgressEvent::Error {
            step: self.step.clone(),
            kind: Some(kind.clone()),
            source_id: Some(source_id.to_owned()),
            message: failure.message.clone(),
        });
        self.record(kind, source_id, Outcome::Failed(failure));
    }

    /// The rate tracker (done, rate, ETA).
    pub fn tracker(&self) -> &RateTracker {
        &self.tracker
    }

    /// Finish the step (sends `StepFinished`) and return its counts. When the total was not
    /// known at the start, `source` is the number of records reported.
    pub fn finish(mut self) -> RunCounts {
        if self.counts.source == 0 {
            self.counts.source = self.tracker.done();
        }
        self.sender.send(ProgressEvent::StepFinished {
            step: self.step.clone(),
            counts: self.counts,
            elapsed: self.tracker.elapsed(),
        });
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_reach_every_subscriber_and_sending_never_fails() {
        let (tx, mut rx) = ProgressSender::channel(16);
        let mut rx2 = tx.subscribe();
        tx.send(ProgressEvent::StepStarted {
            step: "contacts".into(),
            total: Some(3),
        });
        tx.send(ProgressEvent::Queued {
            step: "contacts".into(),
            kind: ObjectKind::Contact,
            source_id: "c1".into(),
            reason: Reason::new("missing_email", "no e-mail"),
        });
        for r in [&mut rx, &mut rx2] {
            assert!(matches!(
                r.recv().await.unwrap(),
                ProgressEvent::StepStarted { total: Some(3), .. }
            ));
            assert!(matches!(
                r.recv().await.unwrap(),
                ProgressEvent::Queued { .. }
            ));
        }
        drop(rx);
        drop(rx2);
        // No subscriber: still fine.
        tx.send(ProgressEvent::StepFinished {
            step: "contacts".into(),
            counts: RunCounts::default(),
            elapsed: Duration::ZERO,
        });
    }

    #[tokio::test(start_paused = true)]
    async fn step_progress_emits_the_whole_story() {
        let (tx, mut rx) = ProgressSender::channel(64);
        let mut p = StepProgress::start(tx, "contacts", Some(4));
        let k = ObjectKind::Contact;
        tokio::time::advance(Duration::from_millis(500)).await;
        p.record(&k, "c1", Outcome::created("1"));
        tokio::time::advance(Duration::from_millis(600)).await;
        p.record(
            &k,
            "c2",
            Outcome::Unchanged {
                target_id: "2".into(),
            },
        );
        p.queued(&k, "c3", Reason::new("missing_email", "no e-mail"));
        p.failed(&k, "c4", Failure::transient("HTTP 422"));
        let counts = p.finish();
        assert_eq!(
            (counts.source, counts.migrated, counts.queued, counts.failed),
            (4, 2, 1, 1)
        );
        assert!(counts.is_balanced());
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        assert!(matches!(
            events[0],
            ProgressEvent::StepStarted { total: Some(4), .. }
        ));
        // One Rate event: the second record came after the 1 s interval.
        let rates: Vec<_> = events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::Rate { .. }))
            .collect();
        assert_eq!(rates.len(), 1);
        let ProgressEvent::Rate {
            done,
            per_second,
            eta,
            ..
        } = rates[0]
        else {
            panic!()
        };
        assert_eq!(*done, 2);
        assert!((per_second - 2.0 / 1.1).abs() < 1e-6, "{per_second}");
        assert_eq!(*eta, Some(Duration::from_secs_f64(2.0 / (2.0 / 1.1))));
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ProgressEvent::Queued { source_id, .. } if source_id == "c3"))
        );
        assert!(
            events.iter().any(
                |e| matches!(e, ProgressEvent::Error { message, .. } if message == "HTTP 422")
            )
        );
        let done = events
            .iter()
            .filter(|e| matches!(e, ProgressEvent::RecordDone { .. }))
            .count();
        assert_eq!(done, 4);
        let ProgressEvent::StepFinished { elapsed, .. } = events.last().unwrap() else {
            panic!()
        };
        assert_eq!(*elapsed, Duration::from_millis(1100));
    }

    #[tokio::test]
    async fn a_slow_subscriber_lags_instead_of_blocking() {
        let (tx, mut rx) = ProgressSender::channel(2);
        for i in 0..5 {
            tx.send(ProgressEvent::Error {
                step: "s".into(),
                kind: None,
                source_id: None,
                message: format!("e{i}"),
            });
        }
        assert!(matches!(
            rx.recv().await,
            Err(broadcast::error::RecvError::Lagged(3))
        ));
        let ProgressEvent::Error { message, .. } = rx.recv().await.unwrap() else {
            panic!()
        };
        assert_eq!(message, "e3");
    }
}
