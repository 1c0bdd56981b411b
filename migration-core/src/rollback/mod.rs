//! Rollback: undo what the migration created, from the ledger, as a mode of the record pipeline.
//!
//! [`Migration::rollback`] takes the objects of [`Ledger::rollback_order`] (only those the
//! migration created, never the ones it found and reused), keeps those in the [`RollbackScope`],
//! and undoes them in reverse dependency order through the run's writer (`execute::writer`): articles before
//! collections, tickets and conversations (their parts go with them) before the contacts they
//! reference, tags after everything that carried them, schema objects last (archived: Intercom
//! has no delete for them). Each object is marked rolled back in the ledger right after its
//! call; a 404 counts as done, so a rollback interrupted at any point converges when run again.
//! A later `migrate` creates rolled-back objects afresh ([`crate::ledger::WriteNeed::Create`]).
//!
//! The run is recorded in `runs` with mode `rollback`, its [`RollbackSummary`] as its counts.

mod summary;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

pub use summary::{KindUndo, LeftItem, RollbackSummary};

use crate::execute::writer::Writer;
use crate::execute::{ExecResult, Undone};
use crate::kind::{ObjectKind, RollbackAction};
use crate::ledger::{Ledger, RollbackItem, RunId, RunMode, RunStatus};
use crate::migration::Migration;
use crate::progress::{ProgressEvent, ProgressSender, RateTracker};

/// The progress step name of a rollback.
pub const ROLLBACK_STEP: &str = "rollback";

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

impl Migration {
    /// Undoes the objects of `scope` (see the [module](crate::rollback) documentation).
    /// With [`crate::MigrationBuilder::dry_run`], sends no write and changes no object in the
    /// ledger: the summary lists what would be deleted, archived or left, and the calls.
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
        let items = select(&self.ledger, scope)?;
        let started = Instant::now();
        let writer = if self.dry_run {
            Writer::dry(self.sample_size)
        } else {
            Writer::live(self.intercom.clone())
        };
        let run = if self.dry_run {
            None
        } else {
            Some(self.ledger.begin_run(RunMode::Rollback, "rollback")?)
        };
        let mut summary = RollbackSummary::new(run, self.dry_run);
        let schema_ids = if items.iter().any(|i| i.action == RollbackAction::Archive) {
            self.schema_ids().await?
        } else {
            BTreeMap::new()
        };
        progress.send(ProgressEvent::StepStarted {
            step: ROLLBACK_STEP.to_owned(),
            total: Some(items.len() as u64),
        });
        let mut tracker = RateTracker::new(Some(items.len() as u64), Duration::from_secs(10));
        let mut last_rate = Instant::now();
        for item in &items {
            let result = self
                .undo_one(&writer, item, &schema_ids, scope, &mut summary)
                .await;
            match result {
                Ok(Some(undone)) => {
                    summary.count(&item.kind, undone);
                    if let Some(run) = run {
                        self.ledger
                            .mark_rolled_back(&item.kind, &item.source_id, run)?;
                    }
                }
                Ok(None) => {}
                Err(message) => {
                    progress.send(ProgressEvent::Error {
                        step: ROLLBACK_STEP.to_owned(),
                        kind: Some(item.kind.clone()),
                        source_id: Some(item.source_id.clone()),
                        message: message.clone(),
                    });
                    summary.fail(item, message);
                }
            }
            tracker.add(1);
            if last_rate.elapsed() >= Duration::from_secs(1) {
                last_rate = Instant::now();
                progress.send(tracker.event(ROLLBACK_STEP));
            }
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
            step: ROLLBACK_STEP.to_owned(),
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
        }
        Ok(summary)
    }

    /// One object: `Ok(Some(_))` undone (mark it), `Ok(None)` left as it is (listed in the
    /// summary), `Err(message)` the call failed.
    async fn undo_one(
        &self,
        writer: &Writer,
        item: &RollbackItem,
        schema_ids: &BTreeMap<(ObjectKind, String), String>,
        scope: &RollbackScope,
        summary: &mut RollbackSummary,
    ) -> Result<Option<Undone>, String> {
        let failed = |e: intercom_client::Error| {
            format!(
                "{} {} (Intercom id {}): {e}; run `rollback` again to retry it",
                item.kind, item.source_id, item.target_id
            )
        };
        match item.action {
            RollbackAction::Delete => match writer.delete_object(&item.kind, &item.target_id).await
            {
                Some(r) => r.map(Some).map_err(failed),
                None => {
                    summary.leave(item, "Intercom has no delete for this kind");
                    Ok(None)
                }
            },
            RollbackAction::WithParent => {
                if scope.is_everything() {
                    Ok(Some(Undone::Deleted))
                } else {
                    // Parts go with their ticket or conversation (marked with it); alone they
                    // cannot be removed.
                    summary.leave(
                        item,
                        "removed only with its parent: Intercom cannot delete it alone",
                    );
                    Ok(None)
                }
            }
            RollbackAction::Archive => {
                let id = match item.kind {
                    ObjectKind::TicketType => Some(item.target_id.clone()),
                    _ => schema_ids
                        .get(&(item.kind.clone(), item.target_id.clone()))
                        .cloned(),
                };
                let r = match (&item.kind, id) {
                    (ObjectKind::TicketType, Some(id)) => writer.archive_ticket_type(&id).await,
                    (ObjectKind::DataAttribute, Some(id)) => {
                        writer.archive_data_attribute(&id).await
                    }
                    (ObjectKind::ConversationAttribute, Some(id)) => {
                        writer.archive_conversation_attribute(&id).await
                    }
                    (ObjectKind::DataAttribute | ObjectKind::ConversationAttribute, None) => {
                        return Ok(Some(Undone::AlreadyGone));
                    }
                    _ => {
                        summary.leave(
                            item,
                            "no archive call for this kind: archive it in Intercom's settings",
                        );
                        return Ok(None);
                    }
                };
                r.map(Some).map_err(failed)
            }
            RollbackAction::Manual => {
                summary.leave(item, "a custom kind: remove it by hand");
                Ok(None)
            }
        }
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
