//! `objects`: one row per source record and its fate.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{
    Ledger, ObjectRecord, ObjectStatus, Origin, Reason, RollbackItem, RunId, StatusCounts,
    WriteNeed, now_text, parse_time,
};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

impl Ledger {
    /// The ledger's row for a record, if any.
    pub fn lookup(&self, kind: &ObjectKind, source_id: &str) -> Result<Option<ObjectRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT target_id, status, source_hash, run_id, updated_at, reason_code, reason,
                        reason_field, origin
                 FROM objects WHERE kind = ?1 AND source_id = ?2",
            )
            .map_err(Error::ledger("lookup"))?;
        let row = stmt
            .query_row(params![kind.as_str(), source_id], |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            })
            .optional()
            .map_err(Error::ledger("lookup"))?;
        let Some((target_id, status, source_hash, run_id, updated_at, code, detail, field, origin)) =
            row
        else {
            return Ok(None);
        };
        Ok(Some(ObjectRecord {
            kind: kind.clone(),
            source_id: source_id.to_owned(),
            target_id,
            status: ObjectStatus::parse(&status)?,
            source_hash,
            run_id: run_id.map(RunId),
            updated_at: parse_time(&updated_at)?,
            reason: code.map(|code| Reason {
                code,
                detail: detail.unwrap_or_default(),
                field,
            }),
            origin: origin.as_deref().map(Origin::parse).transpose()?,
        }))
    }

    /// Whether the record must be written, given the hash of its current source.
    ///
    /// Migrated with the same hash → [`WriteNeed::Unchanged`] (no write); migrated with another
    /// hash → [`WriteNeed::Update`]; an open intent → [`WriteNeed::SettleIntent`]; anything else
    /// (unknown, pending, queued, skipped, failed, rolled back) → [`WriteNeed::Create`].
    pub fn needs_write(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        source_hash: &str,
    ) -> Result<WriteNeed> {
        let Some(rec) = self.lookup(kind, source_id)? else {
            return Ok(WriteNeed::Create);
        };
        if let Some(need) = need_of(rec.status, rec.target_id, rec.source_hash, source_hash) {
            return Ok(need);
        }
        match self.open_intent_for(kind, source_id)? {
            Some(intent) => Ok(WriteNeed::SettleIntent(intent)),
            None => Err(Error::LedgerState(format!(
                "{kind} {source_id} is marked `intent` but has no open intent"
            ))),
        }
    }

    /// Records of `kind` per status.
    pub fn counts(&self, kind: &ObjectKind) -> Result<StatusCounts> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT status, COUNT(*) FROM objects WHERE kind = ?1 GROUP BY status")
            .map_err(Error::ledger("count"))?;
        let rows = stmt
            .query_map(params![kind.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
            })
            .map_err(Error::ledger("count"))?;
        let mut out = StatusCounts::default();
        for row in rows {
            let (status, n) = row.map_err(Error::ledger("count"))?;
            out.add(ObjectStatus::parse(&status)?, n.max(0) as u64);
        }
        Ok(out)
    }

    /// Records per status for every kind present.
    pub fn counts_by_kind(&self) -> Result<BTreeMap<ObjectKind, StatusCounts>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT kind, status, COUNT(*) FROM objects GROUP BY kind, status")
            .map_err(Error::ledger("count"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(Error::ledger("count"))?;
        let mut out: BTreeMap<ObjectKind, StatusCounts> = BTreeMap::new();
        for row in rows {
            let (kind, status, n) = row.map_err(Error::ledger("count"))?;
            out.entry(ObjectKind::from(kind))
                .or_default()
                .add(ObjectStatus::parse(&status)?, n.max(0) as u64);
        }
        Ok(out)
    }

    /// Objects created by the migration and still in Intercom, in the order to undo them:
    /// kinds by [`ObjectKind::rollback_rank`], and within a kind the most recently created
    /// first. Objects with [`Origin::Reused`] are never listed. Items whose action is
    /// [`crate::RollbackAction::WithParent`] need no API call.
    pub fn rollback_order(&self) -> Result<Vec<RollbackItem>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT kind, source_id, target_id, seq FROM objects
                 WHERE status = 'migrated' AND origin = 'created' AND target_id IS NOT NULL",
            )
            .map_err(Error::ledger("rollback order"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .map_err(Error::ledger("rollback order"))?;
        let mut items = Vec::new();
        for row in rows {
            let (kind, source_id, target_id, seq) = row.map_err(Error::ledger("rollback order"))?;
            let kind = ObjectKind::from(kind);
            items.push((
                kind.rollback_rank(),
                std::cmp::Reverse(seq.unwrap_or(0)),
                kind,
                source_id,
                target_id,
            ));
        }
        items.sort_by_key(|a| (a.0, a.1));
        Ok(items
            .into_iter()
            .map(|(_, _, kind, source_id, target_id)| RollbackItem {
                action: kind.rollback_action(),
                kind,
                source_id,
                target_id,
            })
            .collect())
    }
}

impl Ledger {
    /// Objects the migration created that `run` wrote last (created, or updated by a delta),
    /// still migrated, in [`Ledger::rollback_order`]'s item shape (no particular order).
    pub fn written_by_run(&self, run: RunId) -> Result<Vec<RollbackItem>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT kind, source_id, target_id FROM objects
                 WHERE status = 'migrated' AND origin = 'created' AND target_id IS NOT NULL
                   AND run_id = ?1",
            )
            .map_err(Error::ledger("objects written by a run"))?;
        let rows = stmt
            .query_map(params![run.0], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(Error::ledger("objects written by a run"))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, source_id, target_id) =
                row.map_err(Error::ledger("objects written by a run"))?;
            let kind = ObjectKind::from(kind);
            out.push(RollbackItem {
                action: kind.rollback_action(),
                kind,
                source_id,
                target_id,
            });
        }
        Ok(out)
    }
}

/// Set a status (and reason), creating the row if needed; keep the queue and parts in step.
pub(super) fn set_status(
    tx: &Connection,
    kind: &ObjectKind,
    source_id: &str,
    status: ObjectStatus,
    reason: Option<&Reason>,
    run: Option<RunId>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO objects (kind, source_id, status, run_id, updated_at, reason_code, reason, reason_field)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (kind, source_id) DO UPDATE SET status = excluded.status,
           run_id = COALESCE(excluded.run_id, objects.run_id), updated_at = excluded.updated_at,
           reason_code = excluded.reason_code, reason = excluded.reason,
           reason_field = excluded.reason_field",
    )
    .and_then(|mut s| {
        s.execute(params![
            kind.as_str(),
            source_id,
            status.as_str(),
            run.map(|r| r.0),
            now_text(),
            reason.map(|r| r.code.as_str()),
            reason.map(|r| r.detail.as_str()),
            reason.and_then(|r| r.field.as_deref()),
        ])
    })
    .map_err(Error::ledger("set status"))?;
    after_status(tx, kind, source_id, status, None, run)
}

/// Removes the record's queue entry, if it has one (it is no longer waiting).
pub(super) fn clear_queue_entry(tx: &Connection, kind: &ObjectKind, source_id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM queue WHERE kind = ?1 AND source_id = ?2")
        .and_then(|mut s| s.execute(params![kind.as_str(), source_id]))
        .map(drop)
        .map_err(Error::ledger("clear queue entry"))
}

/// Keep `queue` and `parts` consistent with a new object status.
fn after_status(
    tx: &Connection,
    kind: &ObjectKind,
    source_id: &str,
    status: ObjectStatus,
    target_id: Option<&str>,
    run: Option<RunId>,
) -> Result<()> {
    if status != ObjectStatus::Queued {
        clear_queue_entry(tx, kind, source_id)?;
    }
    if *kind == ObjectKind::Part {
        tx.prepare_cached(
            "UPDATE parts SET status = ?1, target_part_id = COALESCE(?2, target_part_id),
               run_id = COALESCE(?3, run_id), updated_at = ?4
             WHERE transaction_guid = ?5",
        )
        .and_then(|mut s| {
            s.execute(params![
                status.as_str(),
                target_id,
                run.map(|r| r.0),
                now_text(),
                source_id
            ])
        })
        .map_err(Error::ledger("update part"))?;
    }
    Ok(())
}

/// What [`Ledger::needs_write`] answers for a row in `status`, written as `target_id` from a
/// source hashed `stored`, when the source now hashes `hash`; `None` for an open intent (only
/// the intent, read next, can say).
pub(super) fn need_of(
    status: ObjectStatus,
    target_id: Option<String>,
    stored: Option<String>,
    hash: &str,
) -> Option<WriteNeed> {
    match (status, target_id) {
        (ObjectStatus::Migrated, Some(target_id)) if stored.as_deref() == Some(hash) => {
            Some(WriteNeed::Unchanged { target_id })
        }
        (ObjectStatus::Migrated, Some(target_id)) => Some(WriteNeed::Update { target_id }),
        (ObjectStatus::Intent, _) => None,
        _ => Some(WriteNeed::Create),
    }
}

/// Record a migrated object inside an open transaction (shared with intent completion).
///
/// Most objects have a row already (a part registered pending, an object whose intent is
/// open): it is updated in place. Only an object without one is inserted. (As one upsert, the
/// failed insert, computing the next `seq` and probing the unique index, came first for every
/// part: `docs/performance.md`, "Ninth pass".)
pub(super) fn migrated_in(
    tx: &Connection,
    kind: &ObjectKind,
    source_id: &str,
    target_id: &str,
    source_hash: &str,
    origin: Origin,
    run: Option<RunId>,
) -> Result<()> {
    migrated_object(
        tx,
        kind,
        source_id,
        target_id,
        source_hash,
        origin,
        run,
        false,
    )?;
    after_status(
        tx,
        kind,
        source_id,
        ObjectStatus::Migrated,
        Some(target_id),
        run,
    )
}

/// A migrated record's `objects` row, inserted with the next creation order (`seq`).
macro_rules! insert_migrated {
    () => {
        "INSERT INTO objects (kind, source_id, target_id, status, source_hash, origin, seq,
                              run_id, updated_at)
         VALUES (?1, ?2, ?3, 'migrated', ?4, ?5,
                 (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects), ?6, ?7)"
    };
}

/// The `objects` row of [`migrated_in`], alone: the caller keeps the queue and the parts in
/// step. `likely_new`: the record most likely has no row yet (a new part), so a plain insert
/// is tried first and the update only when a row exists after all. The update makes SQLite
/// open a statement journal (it changes a column with a foreign key and may abort after its
/// first change) and copy every page it touches, even when it matches no row.
#[allow(clippy::too_many_arguments)]
pub(super) fn migrated_object(
    tx: &Connection,
    kind: &ObjectKind,
    source_id: &str,
    target_id: &str,
    source_hash: &str,
    origin: Origin,
    run: Option<RunId>,
    likely_new: bool,
) -> Result<()> {
    let exec = |sql: &str| {
        tx.prepare_cached(sql)
            .and_then(|mut s| {
                s.execute(params![
                    kind.as_str(),
                    source_id,
                    target_id,
                    source_hash,
                    origin.as_str(),
                    run.map(|r| r.0),
                    now_text()
                ])
            })
            .map_err(Error::ledger("mark migrated"))
    };
    if likely_new
        && exec(concat!(
            insert_migrated!(),
            " ON CONFLICT (kind, source_id) DO NOTHING"
        ))? == 1
    {
        return Ok(());
    }
    // A record kept migrated to the same Intercom object keeps its origin and creation order
    // (`seq`); any other takes the given origin and the next order.
    let updated = exec(
        "UPDATE objects SET
           origin = CASE WHEN status = 'migrated' AND target_id = ?3 THEN origin ELSE ?5 END,
           seq = CASE WHEN status = 'migrated' AND target_id = ?3
                      THEN seq ELSE (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects) END,
           target_id = ?3, status = 'migrated', source_hash = ?4,
           run_id = COALESCE(?6, run_id), updated_at = ?7,
           reason_code = NULL, reason = NULL, reason_field = NULL
         WHERE kind = ?1 AND source_id = ?2",
    )?;
    if updated == 0 {
        // No row (the connection is held, so none can appear in between).
        exec(insert_migrated!())?;
    }
    Ok(())
}
