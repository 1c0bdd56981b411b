//! Rollback: undo what the migration did, from the ledger, as a mode of the record pipeline.
//!
//! [`Migration::rollback`] works from a [`RollbackPlan`] ([`plan`]):
//!
//! * objects the migration did not create but changed (pre-existing contacts matched by e-mail)
//!   are **restored** first from their before-images ([`crate::ledger::BeforeImage`]): the old
//!   values written back, the tags the migration attached detached;
//! * the objects of [`Ledger::rollback_order`] (only those the migration created) in the
//!   [`RollbackScope`] are undone in reverse dependency order through the run's writer
//!   (`execute::writer`): articles before collections, tickets and conversations (their parts
//!   go with them) before the contacts they reference, tags after everything that carried
//!   them, schema objects last (archived: Intercom has no delete for them);
//! * what cannot be undone is listed with the reason: parts a later run appended to a ticket
//!   it keeps, fields a run updated on an object an earlier run created, pre-existing objects
//!   written before the ledger kept before-images.
//!
//! Each phase (the restores, then each kind in order) runs with the migration's `concurrency`
//! calls in flight, phases strictly one after the other, paced by the same client. Every call
//! is announced in the ledger's `intents` before it is sent and settled after it; the object is
//! marked rolled back right after its call; a 404 counts as done; so a rollback interrupted at
//! any point converges when run again. A later `migrate` creates rolled-back objects afresh
//! ([`crate::ledger::WriteNeed::Create`]).
//!
//! The run is recorded in `runs` with mode `rollback`, its [`RollbackSummary`] as its counts.

mod guard;
mod plan;
mod restore;
mod summary;
mod undo;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::StreamExt;

pub use guard::{UNFINISHED, Unfinished, require_finished, unfinished};
pub use plan::{Restore, RollbackPlan, plan};
pub use summary::{KindUndo, LeftItem, RollbackSummary};

use crate::execute::ExecResult;
use crate::execute::writer::Writer;
use crate::kind::{ObjectKind, RollbackAction};
use crate::ledger::{Ledger, RollbackItem, RunId, RunMode, RunStatus};
use crate::migration::Migration;
use crate::progress::{ProgressEvent, ProgressSender, RateTracker};

/// The progress step name of a rollback.
pub const ROLLBACK_STEP: &str = "rollback";

/// The progress step name of a rollback's dry run (what it counts would be undone).
pub const ROLLBACK_DRY_RUN_STEP: &str = "rollback (dry run)";

/// Which created objects a rollback undoes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackScope {
    /// Everything the migration created.
    All,
    /// Objects created by one run (e.g. a sample or a delta); objects a later run only
    /// updated stay with the run that created them.
    Run(RunId),
    /// Objects of these kinds.
    Kinds(Vec<ObjectKind>),
    /// Objects with these Glassix (source) ids, any kind.
    Ids(BTreeSet<String>),
}

impl RollbackScope {
    /// Whether the scope is the whole migration.
    pub fn is_everything(&self) -> bool {
        matches!(self, RollbackScope::All)
    }
}

/// The objects a rollback of `scope` would undo, in order (reads the ledger only).
pub fn select(ledger: &Ledger, scope: &RollbackScope) -> ExecResult<Vec<RollbackItem>> {
    let items = ledger.rollback_order()?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let keep = match scope {
            RollbackScope::All => true,
            RollbackScope::Kinds(kinds) => kinds.contains(&item.kind),
            RollbackScope::Ids(ids) => ids.contains(&item.source_id),
            // The run that created the object (a later delta that only updated it does not
            // make it that delta's); the last run that wrote it when no intent says.
            RollbackScope::Run(run) => {
                let created = ledger.creating_run(&item.kind, &item.source_id, &item.target_id)?;
                let created = match created {
                    Some(r) => Some(r),
                    None => ledger
                        .lookup(&item.kind, &item.source_id)?
                        .and_then(|r| r.run_id),
                };
                created == Some(*run)
            }
        };
        if keep {
            out.push(item);
        }
    }
    Ok(out)
}

/// Progress of the rollback step.
struct Ticker {
    tracker: RateTracker,
    last: Instant,
    step: &'static str,
}

impl Ticker {
    fn tick(&mut self, progress: &ProgressSender) {
        self.tracker.add(1);
        if self.last.elapsed() >= Duration::from_secs(1) {
            self.last = Instant::now();
            progress.send(self.tracker.event(self.step));
        }
    }
}

impl Migration {
    /// Undoes the objects of `scope` (see the [module](crate::rollback) documentation).
    /// With [`crate::MigrationBuilder::dry_run`], sends no write and changes nothing in the
    /// ledger: the summary lists what would be deleted, archived, restored or left, and the
    /// calls.
    ///
    /// Refuses to start when the Intercom workspace differs from the one the ledger recorded
    /// (`intercom.workspace` in the ledger's meta). A failed call fails that object only (it stays
    /// migrated, so running again retries it); the summary counts it.
    pub async fn rollback(
        &self,
        scope: &RollbackScope,
        progress: ProgressSender,
    ) -> ExecResult<RollbackSummary> {
        self.bind_workspace().await?;
        let plan = plan(&self.ledger, scope)?;
        let started = Instant::now();
        let writer = if self.dry_run {
            Writer::dry(self.sample_size)
        } else {
            // Restores record what Intercom holds from then on, as writes do: `verify` after a
            // run-scoped rollback compares restored objects with their restored values.
            Writer::live(self.intercom.clone()).expecting(self.ledger.clone())
        };
        let run = if self.dry_run {
            None
        } else {
            // Calls an interrupted rollback left open are sent again by this one.
            self.ledger.abandon_open_undo_intents()?;
            let run = self.ledger.begin_run(RunMode::Rollback, "rollback")?;
            guard::started(&self.ledger, run, scope)?;
            Some(run)
        };
        let mut summary = RollbackSummary::new(run, self.dry_run);
        let schema_ids = if plan
            .items
            .iter()
            .any(|i| i.action == RollbackAction::Archive)
        {
            self.schema_ids().await?
        } else {
            BTreeMap::new()
        };
        let step = if self.dry_run {
            ROLLBACK_DRY_RUN_STEP
        } else {
            ROLLBACK_STEP
        };
        progress.send(ProgressEvent::StepStarted {
            step: step.to_owned(),
            total: Some(plan.len() as u64),
        });
        let mut ticker = Ticker {
            tracker: RateTracker::new(Some(plan.len() as u64), Duration::from_secs(10)),
            last: Instant::now(),
            step,
        };
        let width = self.concurrency.max(1);
        // Restores first: they detach tags the migration created (deleted last) and write
        // attributes it may archive (last too).
        let restored: Vec<_> = futures::stream::iter(&plan.restores)
            .map(|r| self.restore_one(&writer, r, run))
            .buffered(width)
            .collect()
            .await;
        for (r, res) in plan.restores.iter().zip(restored) {
            let (step, partial) = res?;
            let item = RollbackItem {
                kind: r.kind.clone(),
                source_id: r.source_id.clone(),
                target_id: r.target_id.clone(),
                action: RollbackAction::Delete,
            };
            if let Some(p) = partial {
                summary.restored_in_part(p);
            }
            self.account(&item, step, &mut summary, &progress);
            ticker.tick(&progress);
        }
        // Then each phase (same kind rank) in order, its objects `width` at a time.
        let mut rest = plan.items.as_slice();
        while let Some(first) = rest.first() {
            let rank = first.kind.rollback_rank();
            let n = rest
                .iter()
                .take_while(|i| i.kind.rollback_rank() == rank)
                .count();
            let (phase, later) = rest.split_at(n);
            rest = later;
            let steps: Vec<_> = futures::stream::iter(phase)
                .map(|item| self.undo_one(&writer, item, &schema_ids, run))
                .buffered(width)
                .collect()
                .await;
            for (item, step) in phase.iter().zip(steps) {
                self.account(item, step?, &mut summary, &progress);
                ticker.tick(&progress);
            }
        }
        for l in plan.left {
            ticker.tracker.add(l.objects.saturating_sub(1));
            summary.leave(l);
            ticker.tick(&progress);
        }
        summary.calls = if self.dry_run {
            writer
                .dry_report()
                .map(|r| r.would_write.values().sum())
                .unwrap_or(0)
        } else {
            writer.writes_sent()
        };
        summary.elapsed_ms = started.elapsed().as_millis() as u64;
        progress.send(ProgressEvent::StepFinished {
            step: step.to_owned(),
            counts: summary.run_counts(),
            elapsed: started.elapsed(),
        });
        if let Some(run) = run {
            let status = if summary.failed() == 0 {
                RunStatus::Succeeded
            } else {
                RunStatus::Failed
            };
            self.ledger.finish_run(run, status, &summary)?;
            if let RollbackScope::Run(undone) = scope {
                if plan.restores.iter().any(|r| r.run.is_some()) {
                    self.relist_from_before(*undone)?;
                }
            }
            guard::finished(&self.ledger, scope)?;
        }
        Ok(summary)
    }

    /// After `rollback --run N` put objects back as they were before run N, the next `delta`
    /// must list again what run N listed, so that it writes Glassix's newer values again:
    /// every department's listing watermark goes back to the start of the last migrate or
    /// delta before run N (run N listed from that run's watermark, which is no earlier).
    fn relist_from_before(&self, undone: RunId) -> ExecResult<()> {
        let Some(earlier) = self
            .ledger
            .runs()?
            .into_iter()
            .filter(|r| r.id < undone && matches!(r.mode, RunMode::Migrate | RunMode::Delta))
            .map(|r| r.started_at)
            .max()
        else {
            return Ok(());
        };
        let marks = self.ledger.listing_watermarks()?;
        if marks.values().all(|t| *t <= earlier) {
            return Ok(());
        }
        let back = marks
            .into_iter()
            .map(|(d, t)| (d, t.min(earlier)))
            .collect();
        Ok(self.ledger.set_listing_watermarks(&back)?)
    }

    /// Intercom ids of the data and conversation attributes, by (kind, name): the ledger keeps
    /// their names.
    async fn schema_ids(&self) -> ExecResult<BTreeMap<(ObjectKind, String), String>> {
        let mut out = BTreeMap::new();
        for a in self
            .intercom
            .attributes()
            .list_data_attributes(None, false)
            .await?
        {
            for name in [a.name.as_deref(), a.full_name.as_deref()]
                .into_iter()
                .flatten()
            {
                out.insert((ObjectKind::DataAttribute, name.to_owned()), a.id.clone());
            }
        }
        for a in self
            .intercom
            .attributes()
            .list_conversation_attributes(false)
            .await?
        {
            if let Some(name) = a.name {
                out.insert((ObjectKind::ConversationAttribute, name), a.id.clone());
            }
        }
        Ok(out)
    }
}
