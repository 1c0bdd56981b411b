//! The recorder: the one place where how a record ended ([`Outcome`]) becomes ledger rows,
//! progress events and the run's accounting. Step code hands it [`RecordEnd`]s; it never
//! writes the ledger's status tables itself (the intent protocol in `settle` aside, which
//! records creates as they happen).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ObjectKind;
use crate::accounting::Accounting;
use crate::ledger::{FieldItem, Ledger, ObjectStatus, Origin, RunId};
use crate::map::FieldNote;
use crate::outcome::{Outcome, Write};
use crate::plan::StepId;
use crate::progress::{ProgressEvent, ProgressSender, StepProgress};

use super::error::ExecResult;
use super::result::StepCounts;

/// How one source record ended, with what the ledger must keep about it.
#[derive(Debug, Clone)]
pub(crate) struct RecordEnd {
    pub(crate) kind: ObjectKind,
    pub(crate) source_id: String,
    pub(crate) outcome: Outcome,
    /// Field-level notes of the mapping (lossy changes), kept with the record.
    pub(crate) notes: Vec<FieldNote>,
    /// The source hash to record with a migrated or unchanged record, when the intent protocol
    /// has not recorded it already (an update, a ticket finished after its parts, a reused
    /// object). The ledger keeps the origin of a record it already has as migrated.
    pub(crate) hash: Option<String>,
    /// Who or what the record is, kept with its queue row when it is queued.
    pub(crate) context: Option<crate::ledger::QueueContext>,
}

impl RecordEnd {
    /// A record that ended with `outcome`.
    pub(crate) fn new(kind: ObjectKind, source_id: impl Into<String>, outcome: Outcome) -> Self {
        RecordEnd {
            kind,
            source_id: source_id.into(),
            outcome,
            notes: Vec::new(),
            hash: None,
            context: None,
        }
    }

    /// With who or what the record is (shown beside its queue row if it is queued).
    pub(crate) fn context(mut self, context: crate::ledger::QueueContext) -> Self {
        self.context = Some(context);
        self
    }

    /// With the mapping's notes.
    pub(crate) fn notes(mut self, notes: Vec<FieldNote>) -> Self {
        self.notes = notes;
        self
    }

    /// With the source hash to record.
    pub(crate) fn hash(mut self, hash: impl Into<String>) -> Self {
        self.hash = Some(hash.into());
        self
    }
}

/// One step's progress, and the kind of record it counts (others are reported beside it).
struct OpenStep {
    progress: StepProgress,
    kind: Option<ObjectKind>,
}

/// Turns record ends into ledger rows, progress events and accounting.
pub(crate) struct Recorder {
    ledger: Arc<Ledger>,
    run: RunId,
    sender: ProgressSender,
    accounting: Accounting,
    open: BTreeMap<StepId, OpenStep>,
    finished: Vec<StepCounts>,
    /// Records adopted from Intercom (a ledger that knew nothing), per kind.
    adopted: BTreeMap<ObjectKind, u64>,
}

impl Recorder {
    /// A recorder for run `run`.
    pub(crate) fn new(ledger: Arc<Ledger>, run: RunId, sender: ProgressSender) -> Self {
        Recorder {
            ledger,
            run,
            sender,
            accounting: Accounting::new(),
            open: BTreeMap::new(),
            finished: Vec::new(),
            adopted: BTreeMap::new(),
        }
    }

    /// Starts step `step`, which counts records of `kind`, `total` expected if known.
    pub(crate) fn start(&mut self, step: StepId, kind: Option<ObjectKind>, total: Option<u64>) {
        let progress = StepProgress::start(self.sender.clone(), step.as_str(), total);
        self.open.insert(step, OpenStep { progress, kind });
    }

    /// Whether `step` is started and not finished.
    pub(crate) fn is_open(&self, step: StepId) -> bool {
        self.open.contains_key(&step)
    }

    /// Finishes `step` (sends `StepFinished`).
    pub(crate) fn finish(&mut self, step: StepId) {
        if let Some(s) = self.open.remove(&step) {
            let counts = s.progress.finish();
            self.finished.push(StepCounts { step, counts });
        }
    }

    /// Records how one record ended, as handled by `step`: its ledger row (unless the intent
    /// protocol recorded it), its notes, a progress event (counted by the open step of its kind
    /// if there is one, else reported beside `step`), and the run's accounting.
    ///
    /// A failure never demotes a record that Intercom already has (kept `migrated`, with a note,
    /// so that the next run finishes it) nor one whose create is unsettled (kept `intent`, so
    /// that the next run looks it up before sending anything).
    pub(crate) fn record(&mut self, step: StepId, end: RecordEnd) -> ExecResult<()> {
        let RecordEnd {
            kind,
            source_id: sid,
            outcome,
            notes,
            hash,
            context,
        } = end;
        match &outcome {
            Outcome::Migrated { target_id, write } => {
                if let Some(h) = &hash {
                    self.ledger.mark_migrated(
                        &kind,
                        &sid,
                        target_id,
                        h,
                        write.origin(),
                        self.run,
                    )?;
                    // The record's values left unwritten, as of this write (none: a fixed rule
                    // wrote them, and their items are cleared).
                    let items: Vec<FieldItem> =
                        notes.iter().filter_map(|n| n.item.clone()).collect();
                    self.ledger
                        .replace_field_items(&kind, &sid, &items, self.run)?;
                }
            }
            // Nothing written; a new source hash is recorded when given (a changed message
            // that Intercom cannot edit is kept, and not reported again).
            Outcome::Unchanged { target_id } => {
                if let Some(h) = &hash {
                    self.ledger.mark_migrated(
                        &kind,
                        &sid,
                        target_id,
                        h,
                        Origin::Created,
                        self.run,
                    )?;
                }
            }
            Outcome::Queued(r) => {
                self.ledger.mark_queued(&kind, &sid, r, self.run)?;
                if let Some(c) = &context {
                    self.ledger.set_queue_context(&kind, &sid, c)?;
                }
            }
            Outcome::Skipped(r) => self.ledger.mark_skipped(&kind, &sid, r, self.run)?,
            Outcome::Failed(f) => {
                match self.ledger.lookup(&kind, &sid)?.map(|r| r.status) {
                    Some(ObjectStatus::Intent) => {}
                    Some(ObjectStatus::Migrated) => {
                        let note = FieldNote::warning("", format!("incomplete: {}", f.message));
                        self.ledger
                            .add_note(&note.to_lossy_note(kind.clone(), &sid), self.run)?;
                    }
                    _ => self.ledger.mark_failed(&kind, &sid, &f.message, self.run)?,
                }
                tracing::warn!(kind = %kind, source_id = %sid, retry = ?f.retry, "{}", f.message);
            }
        }
        for n in &notes {
            self.ledger
                .add_note(&n.to_lossy_note(kind.clone(), &sid), self.run)?;
        }
        if let Outcome::Migrated {
            write: Write::Adopted,
            ..
        } = &outcome
        {
            *self.adopted.entry(kind.clone()).or_default() += 1;
        }
        self.report(step, &kind, &sid, &outcome);
        self.accounting.add_source(&kind, 1);
        self.accounting.record(&kind, &outcome);
        Ok(())
    }

    fn report(&mut self, step: StepId, kind: &ObjectKind, sid: &str, outcome: &Outcome) {
        let counted = self
            .open
            .values_mut()
            .find(|s| s.kind.as_ref() == Some(kind));
        if let Some(s) = counted {
            match outcome {
                Outcome::Queued(r) => s.progress.queued(kind, sid, r.clone()),
                Outcome::Failed(f) => s.progress.failed(kind, sid, f.clone()),
                other => s.progress.record(kind, sid, other.clone()),
            }
            return;
        }
        // Beside the step (a ticket's parts): reported, not counted in its rate.
        let step = step.as_str().to_owned();
        match outcome {
            Outcome::Queued(r) => self.sender.send(ProgressEvent::Queued {
                step: step.clone(),
                kind: kind.clone(),
                source_id: sid.to_owned(),
                reason: r.clone(),
            }),
            Outcome::Failed(f) => self.sender.send(ProgressEvent::Error {
                step: step.clone(),
                kind: Some(kind.clone()),
                source_id: Some(sid.to_owned()),
                message: f.message.clone(),
            }),
            _ => {}
        }
        self.sender.send(ProgressEvent::RecordDone {
            step,
            kind: kind.clone(),
            source_id: sid.to_owned(),
            outcome: outcome.clone(),
        });
    }

    /// An error of the step that did not stop it (e.g. a listing that broke off).
    pub(crate) fn step_error(&self, step: StepId, message: String) {
        self.sender.send(ProgressEvent::Error {
            step: step.as_str().to_owned(),
            kind: None,
            source_id: None,
            message,
        });
    }

    /// Finishes the steps still open (e.g. contacts, when a plan has no tickets step).
    pub(crate) fn finish_all(&mut self) {
        let open: Vec<StepId> = self.open.keys().copied().collect();
        for step in open {
            self.finish(step);
        }
    }

    /// What the run handled per kind, each finished step with its counts (in the order they
    /// finished), and what it adopted per kind.
    pub(crate) fn into_parts(self) -> (Accounting, Vec<StepCounts>, BTreeMap<ObjectKind, u64>) {
        (self.accounting, self.finished, self.adopted)
    }
}
