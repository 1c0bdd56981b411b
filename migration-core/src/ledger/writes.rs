//! Write operations, available one transaction per call on [`Ledger`] and many per
//! transaction on [`LedgerBatch`].

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::intents::close_open;
use super::objects::{clear_queue_entry, migrated_in, migrated_object, set_status};
use super::parts::{Earlier, mark_in};
use super::{
    Intent, IntentId, IntentOutcome, Ledger, LossyNote, ObjectStatus, Origin, PartRecord, Reason,
    RunId, Settlement, now_text, parse_time, time_text,
};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// Several ledger writes in one transaction (see [`Ledger::batch`]): all are committed
/// together, or none if the closure returns an error.
#[derive(Debug)]
pub struct LedgerBatch<'a> {
    tx: &'a Connection,
}

impl Ledger {
    /// Run several writes in one transaction, e.g. registering all the messages of a ticket or
    /// a page of discovered records. The ledger is locked while `f` runs: keep it short.
    pub fn batch<T>(&self, f: impl FnOnce(&LedgerBatch<'_>) -> Result<T>) -> Result<T> {
        self.write("batch", |tx| f(&LedgerBatch { tx }))
    }

    /// Register a source record as known and not yet handled. Does nothing if the record is
    /// already in the ledger (whatever its status).
    pub fn mark_pending(&self, kind: &ObjectKind, source_id: &str, run: RunId) -> Result<()> {
        self.write_deferred("mark pending", |tx| {
            LedgerBatch { tx }.mark_pending(kind, source_id, run)
        })
    }

    /// Record that `source_id` exists in Intercom as `target_id`, written from a source whose
    /// hash is `source_hash`. Use [`Origin::Reused`] for objects found rather than created
    /// (rollback leaves those alone). Clears any queue entry.
    pub fn mark_migrated(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        target_id: &str,
        source_hash: &str,
        origin: Origin,
        run: RunId,
    ) -> Result<()> {
        self.write_deferred("mark migrated", |tx| {
            LedgerBatch { tx }.mark_migrated(kind, source_id, target_id, source_hash, origin, run)
        })
    }

    /// Queue a record for reconciliation with a reason (replaces an earlier queue entry).
    pub fn mark_queued(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        reason: &Reason,
        run: RunId,
    ) -> Result<()> {
        self.write_deferred("mark queued", |tx| {
            LedgerBatch { tx }.mark_queued(kind, source_id, reason, run)
        })
    }

    /// Record that a rule skipped the record, with the reason.
    pub fn mark_skipped(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        reason: &Reason,
        run: RunId,
    ) -> Result<()> {
        self.write_deferred("mark skipped", |tx| {
            LedgerBatch { tx }.mark_skipped(kind, source_id, reason, run)
        })
    }

    /// Record that writing the record failed with `error` (text only; never include secrets).
    pub fn mark_failed(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        error: &str,
        run: RunId,
    ) -> Result<()> {
        self.write_deferred("mark failed", |tx| {
            LedgerBatch { tx }.mark_failed(kind, source_id, error, run)
        })
    }

    /// Record that a rollback removed (or archived) the object. For a ticket or conversation,
    /// its parts are marked rolled back too.
    pub fn mark_rolled_back(&self, kind: &ObjectKind, source_id: &str, run: RunId) -> Result<()> {
        self.write("mark rolled back", |tx| {
            LedgerBatch { tx }.mark_rolled_back(kind, source_id, run)
        })
    }

    /// Announce a create **before** sending it. `fingerprint` identifies the request (e.g. a
    /// hash of its body) so that the object can be recognised when looked up after a crash.
    ///
    /// Fails if the record already has an open intent (settle it first) or is already migrated
    /// (updates are idempotent and need no intent).
    pub fn record_intent(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        fingerprint: &str,
        run: RunId,
    ) -> Result<Intent> {
        self.write("record intent", |tx| {
            LedgerBatch { tx }.record_intent(kind, source_id, fingerprint, run)
        })
    }

    /// [`Ledger::record_intent`] for a caller that sends its create only once this returns:
    /// while writes are grouped ([`Ledger::group_commits`]) the intent joins the open
    /// transaction and this awaits the commit that carries it, which the group's commit thread
    /// makes for every intent recorded meanwhile (the intents of all the tickets in flight share
    /// one commit). Outside a group it is committed at once, like [`Ledger::record_intent`].
    /// Either way the intent is on disk when this returns `Ok`.
    pub async fn record_intent_durable(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        fingerprint: &str,
        run: RunId,
    ) -> Result<Intent> {
        self.intent_durable(kind, source_id, fingerprint, run, false)
            .await
    }

    /// [`Ledger::record_intent_durable`] for the create of a ticket or conversation, with its
    /// parts-in-flight mark ([`Ledger::mark_parts_in_flight`]) in the same commit: the parts
    /// that follow the create need no commit of their own before the first is sent. The mark
    /// replaces one a stopped run left (the ticket is not in Intercom, so none of its parts
    /// is).
    pub async fn record_intent_durable_with_parts(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        fingerprint: &str,
        run: RunId,
    ) -> Result<Intent> {
        self.intent_durable(kind, source_id, fingerprint, run, true)
            .await
    }

    /// The one durable intent write behind [`Ledger::record_intent_durable`] and (with
    /// `parts_mark`: the ticket's mark written beside the intent)
    /// [`Ledger::record_intent_durable_with_parts`].
    async fn intent_durable(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        fingerprint: &str,
        run: RunId,
        parts_mark: bool,
    ) -> Result<Intent> {
        self.write_durable("record intent", |tx| {
            let intent = LedgerBatch { tx }.record_intent(kind, source_id, fingerprint, run)?;
            if parts_mark {
                mark_in(tx, source_id, run, Earlier::Replace)?;
            }
            Ok(intent)
        })
        .await
    }

    /// The create announced by `intent` succeeded with `target_id`: close the intent and record
    /// the object as migrated (created by the migration), in one transaction.
    pub fn complete_intent(
        &self,
        intent: IntentId,
        target_id: &str,
        source_hash: &str,
    ) -> Result<()> {
        self.complete_intent_as(intent, target_id, source_hash, Origin::Created)
    }

    /// Like [`Ledger::complete_intent`], with the object's origin: [`Origin::Reused`] when the
    /// create answered with an object that existed before (e.g. Intercom's 409 for a contact of
    /// the same e-mail), so that a rollback leaves it alone.
    pub fn complete_intent_as(
        &self,
        intent: IntentId,
        target_id: &str,
        source_hash: &str,
        origin: Origin,
    ) -> Result<()> {
        self.write_deferred("complete intent", |tx| {
            LedgerBatch { tx }.complete_intent_as(intent, target_id, source_hash, origin)
        })
    }

    /// Settle an open intent after looking the object up in Intercom: [`Settlement::Found`]
    /// records it as migrated; [`Settlement::NotCreated`] abandons the intent and returns the
    /// record to `pending`, so that it is created on the next pass.
    pub fn settle_intent(&self, intent: IntentId, settlement: Settlement) -> Result<()> {
        self.write_deferred("settle intent", |tx| {
            LedgerBatch { tx }.settle_intent(intent, settlement)
        })
    }

    /// Register (or update) one message of a ticket.
    ///
    /// The part is also an `objects` row of kind [`ObjectKind::Part`] keyed by its transaction
    /// guid, so intents, statuses and counts work for parts like for any object: after
    /// registering, use [`Ledger::record_intent`] / [`Ledger::complete_intent`] with
    /// `ObjectKind::Part` and the guid, and the part row follows. Registering again a part that
    /// is already further along (e.g. migrated) with status `pending` only updates its position.
    pub fn record_part(&self, part: &PartRecord, source_hash: &str, run: RunId) -> Result<()> {
        self.write_deferred("record part", |tx| {
            LedgerBatch { tx }.record_part(part, source_hash, run)
        })
    }

    /// Register a part the ledger has no row for together with its outcome: written to
    /// Intercom as `target_id` (from a source hashed `source_hash`, as `origin`). One write
    /// instead of [`Ledger::record_part`] before the create and [`Ledger::mark_migrated`] after
    /// it, for a part covered by its ticket's parts-in-flight mark (nothing of the part needs to
    /// be on disk before its create is sent). `part.status` and `part.target_part_id` are not
    /// read.
    pub fn record_part_migrated(
        &self,
        part: &PartRecord,
        target_id: &str,
        source_hash: &str,
        origin: Origin,
        run: RunId,
    ) -> Result<()> {
        self.write_deferred("record migrated part", |tx| {
            LedgerBatch { tx }.record_part_migrated(part, target_id, source_hash, origin, run)
        })
    }

    /// Record a field-level note about something lossy in one record's mapping.
    pub fn add_note(&self, note: &LossyNote, run: RunId) -> Result<()> {
        self.write_deferred("add note", |tx| LedgerBatch { tx }.add_note(note, run))
    }

    /// Set (or move) the watermark `name`.
    pub fn set_watermark(&self, name: &str, at: DateTime<Utc>) -> Result<()> {
        self.write("set watermark", |tx| {
            LedgerBatch { tx }.set_watermark(name, at)
        })
    }
}

impl LedgerBatch<'_> {
    /// Same as [`Ledger::mark_pending`], inside the batch's transaction.
    pub fn mark_pending(&self, kind: &ObjectKind, source_id: &str, run: RunId) -> Result<()> {
        {
            let tx = self.tx;
            tx.prepare_cached(
                "INSERT INTO objects (kind, source_id, status, run_id, updated_at)
                 VALUES (?1, ?2, 'pending', ?3, ?4) ON CONFLICT (kind, source_id) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![kind.as_str(), source_id, run.0, now_text()]))
            .map_err(Error::ledger("mark pending"))?;
            Ok(())
        }
    }

    /// Same as [`Ledger::mark_migrated`], inside the batch's transaction.
    pub fn mark_migrated(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        target_id: &str,
        source_hash: &str,
        origin: Origin,
        run: RunId,
    ) -> Result<()> {
        {
            let tx = self.tx;
            migrated_in(
                tx,
                kind,
                source_id,
                target_id,
                source_hash,
                origin,
                Some(run),
            )
        }
    }

    /// Same as [`Ledger::mark_queued`], inside the batch's transaction.
    pub fn mark_queued(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        reason: &Reason,
        run: RunId,
    ) -> Result<()> {
        {
            let tx = self.tx;
            set_status(
                tx,
                kind,
                source_id,
                ObjectStatus::Queued,
                Some(reason),
                Some(run),
            )?;
            tx.prepare_cached(
                "INSERT INTO queue (kind, source_id, reason_code, detail, field, run_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (kind, source_id) DO UPDATE SET reason_code = excluded.reason_code,
                   detail = excluded.detail, field = excluded.field, run_id = excluded.run_id,
                   created_at = excluded.created_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    kind.as_str(),
                    source_id,
                    reason.code,
                    reason.detail,
                    reason.field,
                    run.0,
                    now_text()
                ])
            })
            .map_err(Error::ledger("mark queued"))?;
            Ok(())
        }
    }

    /// Same as [`Ledger::mark_skipped`], inside the batch's transaction.
    pub fn mark_skipped(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        reason: &Reason,
        run: RunId,
    ) -> Result<()> {
        {
            let tx = self.tx;
            set_status(
                tx,
                kind,
                source_id,
                ObjectStatus::Skipped,
                Some(reason),
                Some(run),
            )
        }
    }

    /// Same as [`Ledger::mark_failed`], inside the batch's transaction.
    pub fn mark_failed(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        error: &str,
        run: RunId,
    ) -> Result<()> {
        let reason = Reason::new("error", error);
        {
            let tx = self.tx;
            set_status(
                tx,
                kind,
                source_id,
                ObjectStatus::Failed,
                Some(&reason),
                Some(run),
            )
        }
    }

    /// Same as [`Ledger::mark_rolled_back`], inside the batch's transaction.
    pub fn mark_rolled_back(&self, kind: &ObjectKind, source_id: &str, run: RunId) -> Result<()> {
        {
            let tx = self.tx;
            set_status(
                tx,
                kind,
                source_id,
                ObjectStatus::RolledBack,
                None,
                Some(run),
            )?;
            if matches!(kind, ObjectKind::Ticket | ObjectKind::Conversation) {
                let now = now_text();
                tx.execute(
                    "UPDATE objects SET status = 'rolled_back', run_id = ?1, updated_at = ?2
                     WHERE kind = 'part' AND status = 'migrated' AND source_id IN
                       (SELECT transaction_guid FROM parts WHERE ticket_source_id = ?3)",
                    params![run.0, now, source_id],
                )
                .map_err(Error::ledger("roll back parts"))?;
                tx.execute(
                    "UPDATE parts SET status = 'rolled_back', run_id = ?1, updated_at = ?2
                     WHERE ticket_source_id = ?3 AND status = 'migrated'",
                    params![run.0, now, source_id],
                )
                .map_err(Error::ledger("roll back parts"))?;
                tx.execute(
                    "DELETE FROM parts_in_flight WHERE ticket_source_id = ?1",
                    params![source_id],
                )
                .map_err(Error::ledger(
                    "forget a rolled-back record's parts in flight",
                ))?;
            }
            // What a delta compared the record with is gone with it: the next run writes it
            // again in full (its parts and tags included), not only the sections that changed.
            tx.execute(
                "DELETE FROM record_sections WHERE kind = ?1 AND source_id = ?2",
                params![kind.as_str(), source_id],
            )
            .map_err(Error::ledger("forget a rolled-back record's sections"))?;
            Ok(())
        }
    }

    /// Same as [`Ledger::record_intent`], inside the batch's transaction.
    pub fn record_intent(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        fingerprint: &str,
        run: RunId,
    ) -> Result<Intent> {
        {
            let tx = self.tx;
            let status: Option<(String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT status, target_id FROM objects WHERE kind = ?1 AND source_id = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(params![kind.as_str(), source_id], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()
                })
                .map_err(Error::ledger("record intent"))?;
            match status.as_ref().map(|(s, t)| (ObjectStatus::parse(s), t)) {
                Some((Ok(ObjectStatus::Intent), _)) => {
                    return Err(Error::LedgerState(format!(
                        "{kind} {source_id} already has an open intent; look the object up and \
                         settle that intent before creating it again"
                    )));
                }
                Some((Ok(ObjectStatus::Migrated), target)) => {
                    return Err(Error::LedgerState(format!(
                        "{kind} {source_id} is already migrated as {}; update it instead of \
                         creating it",
                        target.as_deref().unwrap_or("?")
                    )));
                }
                Some((Err(e), _)) => return Err(e),
                _ => {}
            }
            let now = now_text();
            tx.prepare_cached(
                "INSERT INTO intents (kind, source_id, fingerprint, run_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| s.execute(params![kind.as_str(), source_id, fingerprint, run.0, now]))
            .map_err(Error::ledger("record intent"))?;
            let id = tx.last_insert_rowid();
            set_status(tx, kind, source_id, ObjectStatus::Intent, None, Some(run))?;
            Ok(Intent {
                id: IntentId(id),
                kind: kind.clone(),
                source_id: source_id.to_owned(),
                fingerprint: fingerprint.to_owned(),
                run_id: Some(run),
                created_at: parse_time(&now)?,
            })
        }
    }

    /// Same as [`Ledger::complete_intent`], inside the batch's transaction.
    pub fn complete_intent(
        &self,
        intent: IntentId,
        target_id: &str,
        source_hash: &str,
    ) -> Result<()> {
        self.complete_intent_as(intent, target_id, source_hash, Origin::Created)
    }

    /// Same as [`Ledger::complete_intent_as`], inside the batch's transaction.
    pub fn complete_intent_as(
        &self,
        intent: IntentId,
        target_id: &str,
        source_hash: &str,
        origin: Origin,
    ) -> Result<()> {
        let tx = self.tx;
        let open = close_open(tx, intent, IntentOutcome::Completed, Some(target_id))?;
        migrated_in(
            tx,
            &open.kind,
            &open.source_id,
            target_id,
            source_hash,
            origin,
            open.run_id,
        )
    }

    /// Same as [`Ledger::settle_intent`], inside the batch's transaction.
    pub fn settle_intent(&self, intent: IntentId, settlement: Settlement) -> Result<()> {
        {
            let tx = self.tx;
            match settlement {
                Settlement::Found {
                    target_id,
                    source_hash,
                } => {
                    let open = close_open(tx, intent, IntentOutcome::Completed, Some(&target_id))?;
                    migrated_in(
                        tx,
                        &open.kind,
                        &open.source_id,
                        &target_id,
                        &source_hash,
                        Origin::Created,
                        open.run_id,
                    )
                }
                Settlement::NotCreated => {
                    let open = close_open(tx, intent, IntentOutcome::Abandoned, None)?;
                    set_status(
                        tx,
                        &open.kind,
                        &open.source_id,
                        ObjectStatus::Pending,
                        None,
                        open.run_id,
                    )
                }
            }
        }
    }

    /// Same as [`Ledger::record_part`], inside the batch's transaction.
    pub fn record_part(&self, part: &PartRecord, source_hash: &str, run: RunId) -> Result<()> {
        {
            let tx = self.tx;
            tx.prepare_cached(
                "INSERT INTO parts (ticket_source_id, transaction_guid, target_part_id, position,
                                    status, run_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (ticket_source_id, transaction_guid) DO UPDATE SET
                   position = excluded.position, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    part.ticket_source_id,
                    part.transaction_guid,
                    part.target_part_id,
                    part.position,
                    ObjectStatus::Pending.as_str(),
                    run.0,
                    now_text()
                ])
            })
            .map_err(Error::ledger("record part"))?;
            tx.prepare_cached(
                "INSERT INTO objects (kind, source_id, status, run_id, updated_at)
                 VALUES ('part', ?1, 'pending', ?2, ?3) ON CONFLICT (kind, source_id) DO NOTHING",
            )
            .and_then(|mut s| s.execute(params![part.transaction_guid, run.0, now_text()]))
            .map_err(Error::ledger("record part"))?;
            match (part.status, part.target_part_id.as_deref()) {
                (ObjectStatus::Pending, _) => Ok(()),
                (ObjectStatus::Migrated, Some(target)) => migrated_in(
                    tx,
                    &ObjectKind::Part,
                    &part.transaction_guid,
                    target,
                    source_hash,
                    Origin::Created,
                    Some(run),
                ),
                (ObjectStatus::Migrated, None) => Err(Error::LedgerState(format!(
                    "part {} of ticket {} is marked migrated without a target part id",
                    part.transaction_guid, part.ticket_source_id
                ))),
                (status, _) => set_status(
                    tx,
                    &ObjectKind::Part,
                    &part.transaction_guid,
                    status,
                    None,
                    Some(run),
                ),
            }
        }
    }

    /// Same as [`Ledger::record_part_migrated`], inside the batch's transaction.
    pub fn record_part_migrated(
        &self,
        part: &PartRecord,
        target_id: &str,
        source_hash: &str,
        origin: Origin,
        run: RunId,
    ) -> Result<()> {
        let tx = self.tx;
        let values = params![
            part.ticket_source_id,
            part.transaction_guid,
            target_id,
            part.position,
            run.0,
            now_text()
        ];
        // A plain insert first, and an update only when the part has a row after all: an
        // upsert (`DO UPDATE`) made SQLite open a statement journal and copy every page it
        // touched, for a row that is new on this path (`docs/performance.md`, "Eleventh
        // pass").
        let inserted = tx
            .prepare_cached(
                "INSERT INTO parts (ticket_source_id, transaction_guid, target_part_id, position,
                                    status, run_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'migrated', ?5, ?6)
                 ON CONFLICT (ticket_source_id, transaction_guid) DO NOTHING",
            )
            .and_then(|mut s| s.execute(values))
            .map_err(Error::ledger("record migrated part"))?;
        if inserted == 0 {
            tx.prepare_cached(
                "UPDATE parts SET target_part_id = ?3, position = ?4, status = 'migrated',
                                  run_id = ?5, updated_at = ?6
                  WHERE ticket_source_id = ?1 AND transaction_guid = ?2",
            )
            .and_then(|mut s| s.execute(values))
            .map_err(Error::ledger("record migrated part"))?;
        }
        let kind = ObjectKind::Part;
        migrated_object(
            tx,
            &kind,
            &part.transaction_guid,
            target_id,
            source_hash,
            origin,
            Some(run),
            true,
        )?;
        clear_queue_entry(tx, &kind, &part.transaction_guid)
    }

    /// Same as [`Ledger::add_note`], inside the batch's transaction.
    pub fn add_note(&self, note: &LossyNote, run: RunId) -> Result<()> {
        {
            let tx = self.tx;
            tx.prepare_cached(
                "INSERT INTO notes (kind, source_id, field, note, run_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    note.kind.as_str(),
                    note.source_id,
                    note.field,
                    note.note,
                    run.0,
                    now_text()
                ])
            })
            .map_err(Error::ledger("add note"))?;
            Ok(())
        }
    }

    /// Same as [`Ledger::set_watermark`], inside the batch's transaction.
    pub fn set_watermark(&self, name: &str, at: DateTime<Utc>) -> Result<()> {
        {
            let tx = self.tx;
            tx.execute(
                "INSERT INTO watermarks (name, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![name, time_text(at), now_text()],
            )
            .map_err(Error::ledger("set watermark"))?;
            Ok(())
        }
    }
}
