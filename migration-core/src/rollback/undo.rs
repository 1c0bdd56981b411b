//! One object's undo: its call announced in the ledger (an intent), sent through the writer,
//! settled, and the object marked rolled back; a restore of an object the migration did not
//! create likewise.

use std::collections::BTreeMap;

use crate::execute::before_image::SECTIONS;
use crate::execute::writer::Writer;
use crate::execute::{ExecResult, Undone};
use crate::kind::{ObjectKind, RollbackAction};
use crate::ledger::{RollbackItem, RunId};
use crate::migration::Migration;
use crate::progress::{ProgressEvent, ProgressSender};

use super::plan::Restore;
use super::summary::{LeftItem, RollbackSummary};
use super::{ROLLBACK_STEP, restore};

/// How one object's undo ended.
pub(super) enum Step {
    /// Undone (mark it rolled back).
    Done(Undone),
    /// Left as it is, for this reason.
    Left(String),
    /// The call failed (the object stays as it is; a rerun retries it).
    Failed(String),
}

impl Migration {
    /// Counts one object's step in the summary (a failure is also reported as progress).
    pub(super) fn account(
        &self,
        item: &RollbackItem,
        step: Step,
        summary: &mut RollbackSummary,
        progress: &ProgressSender,
    ) {
        match step {
            Step::Done(undone) => summary.count(&item.kind, undone),
            Step::Left(why) => summary.leave(LeftItem::of(item, why, false)),
            Step::Failed(message) => {
                progress.send(ProgressEvent::Error {
                    step: ROLLBACK_STEP.to_owned(),
                    kind: Some(item.kind.clone()),
                    source_id: Some(item.source_id.clone()),
                    message: message.clone(),
                });
                summary.leave(LeftItem::of(item, message, true));
            }
        }
    }

    /// One created object: its call announced (live), sent, settled, and the object marked
    /// rolled back when done. An `Err` is a ledger error: the rollback stops.
    pub(super) async fn undo_one(
        &self,
        writer: &Writer,
        item: &RollbackItem,
        schema_ids: &BTreeMap<(ObjectKind, String), String>,
        run: Option<RunId>,
    ) -> ExecResult<Step> {
        let action = match item.action {
            RollbackAction::Delete => "delete",
            RollbackAction::Archive => "archive",
            // Counted with the parent the plan keeps in scope (no call of its own).
            RollbackAction::WithParent => {
                if let Some(run) = run {
                    self.ledger
                        .mark_rolled_back(&item.kind, &item.source_id, run)?;
                }
                return Ok(Step::Done(Undone::Deleted));
            }
            RollbackAction::Manual => {
                return Ok(Step::Left("a custom kind: remove it by hand".into()));
            }
        };
        // Kinds Intercom has no call for are left without an intent.
        let callable = match item.action {
            RollbackAction::Delete => matches!(
                item.kind,
                ObjectKind::Contact
                    | ObjectKind::Conversation
                    | ObjectKind::Ticket
                    | ObjectKind::Article
                    | ObjectKind::Collection
                    | ObjectKind::Tag
            ),
            _ => matches!(
                item.kind,
                ObjectKind::TicketType
                    | ObjectKind::DataAttribute
                    | ObjectKind::ConversationAttribute
            ),
        };
        let intent = match run {
            Some(run) if callable => Some(self.ledger.record_undo_intent(
                &item.kind,
                &item.source_id,
                &item.target_id,
                action,
                run,
            )?),
            _ => None,
        };
        let step = self.call(writer, item, schema_ids).await;
        if let Some(intent) = intent {
            self.ledger
                .settle_undo_intent(intent, matches!(step, Step::Done(_)))?;
        }
        if let (Step::Done(_), Some(run)) = (&step, run) {
            self.ledger
                .mark_rolled_back(&item.kind, &item.source_id, run)?;
            // Customers merged into this contact point at it too.
            self.ledger
                .mark_sharing_rolled_back(&item.kind, &item.target_id, run)?;
        }
        Ok(step)
    }

    /// The call that undoes `item`.
    async fn call(
        &self,
        writer: &Writer,
        item: &RollbackItem,
        schema_ids: &BTreeMap<(ObjectKind, String), String>,
    ) -> Step {
        let failed = |e: intercom_client::Error| {
            Step::Failed(format!(
                "{} {} (Intercom id {}): {e}; run `rollback` again to retry it",
                item.kind, item.source_id, item.target_id
            ))
        };
        let done = |r: Result<Undone, intercom_client::Error>| match r {
            Ok(u) => Step::Done(u),
            Err(e) => failed(e),
        };
        if item.action == RollbackAction::Delete {
            return match writer.delete_object(&item.kind, &item.target_id).await {
                Some(r) => done(r),
                None => Step::Left("Intercom has no delete for this kind".into()),
            };
        }
        let id = match item.kind {
            ObjectKind::TicketType => Some(item.target_id.clone()),
            _ => schema_ids
                .get(&(item.kind.clone(), item.target_id.clone()))
                .cloned(),
        };
        match (&item.kind, id) {
            (ObjectKind::TicketType, Some(id)) => done(writer.archive_ticket_type(&id).await),
            (ObjectKind::DataAttribute, Some(id)) => done(writer.archive_data_attribute(&id).await),
            (ObjectKind::ConversationAttribute, Some(id)) => {
                done(writer.archive_conversation_attribute(&id).await)
            }
            (ObjectKind::DataAttribute | ObjectKind::ConversationAttribute, None) => {
                Step::Done(Undone::AlreadyGone)
            }
            _ => Step::Left(
                "no archive call for this kind: archive it in Intercom's settings".into(),
            ),
        }
    }

    /// One object to restore: announced, sent, settled; its before-image forgotten and its
    /// record marked rolled back (a later `migrate` finds it again) when done.
    pub(super) async fn restore_one(
        &self,
        writer: &Writer,
        r: &Restore,
        run: Option<RunId>,
    ) -> ExecResult<(Step, Option<LeftItem>)> {
        let intent = match run {
            Some(run) => Some(self.ledger.record_undo_intent(
                &r.kind,
                &r.source_id,
                &r.target_id,
                "restore",
                run,
            )?),
            None => None,
        };
        let out = restore::restore(writer, r).await;
        if let Some(intent) = intent {
            self.ledger.settle_undo_intent(intent, out.result.is_ok())?;
        }
        if run.is_some() && !out.fields.is_empty() {
            match r.run {
                // One run's image (and the first-ever image when that run recorded it).
                Some(_) => {
                    self.ledger
                        .forget_run_image(&r.kind, &r.target_id, r.run, &out.fields)?
                }
                None => {
                    self.ledger
                        .forget_before_image(&r.kind, &r.target_id, &out.fields)?;
                    self.ledger
                        .forget_run_image(&r.kind, &r.target_id, None, &out.fields)?;
                }
            }
        }
        match (&out.result, run, r.run) {
            // Back as before one run: the next run writes it again.
            (Ok(_), Some(run), Some(_)) => {
                // Sections that do not decode: the record is written again in full instead.
                let sections = match r.fields.iter().find(|f| f.field == SECTIONS) {
                    None => None,
                    Some(f) => match serde_json::from_value(f.value.clone()) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            tracing::warn!(
                                kind = %r.kind, record = %r.source_id, error = %e,
                                "the sections kept in the before-image do not decode; the \
                                 next run writes the record again in full"
                            );
                            None
                        }
                    },
                };
                self.ledger
                    .mark_rewrite(&r.kind, &r.source_id, sections, run)?
            }
            (Ok(_), Some(run), None) => {
                if self.ledger.lookup(&r.kind, &r.source_id)?.is_some() {
                    self.ledger.mark_rolled_back(&r.kind, &r.source_id, run)?;
                }
                // Customers merged into this contact point at it too.
                self.ledger
                    .mark_sharing_rolled_back(&r.kind, &r.target_id, run)?;
            }
            _ => {}
        }
        let step = match out.result {
            Ok(u) => Step::Done(u),
            Err(m) => Step::Failed(m),
        };
        Ok((step, out.partial))
    }
}
