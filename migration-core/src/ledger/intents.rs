//! `intents`: written before every create, settled after it; and before every call of a
//! rollback (a delete, an archive or a restore: fingerprint `undo:<action>`, the Intercom id
//! recorded up front), settled after it. The migration's own intent handling (open intents,
//! the run that created an object) ignores a rollback's intents.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Intent, IntentId, IntentOutcome, Ledger, RunId, now_text, parse_time};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

const INTENT_COLUMNS: &str = "id, kind, source_id, fingerprint, run_id, created_at";

/// Fingerprint prefix of a rollback's intents.
pub(crate) const UNDO: &str = "undo:";

/// The first run whose intent created an object ([`Ledger::creating_run`]).
pub(super) const CREATING_RUN: &str =
    "SELECT run_id FROM intents WHERE kind = ?1 AND source_id = ?2 AND target_id = ?3
       AND fingerprint NOT LIKE 'undo:%' ORDER BY id LIMIT 1";

impl Ledger {
    /// The run whose write made `target_id` for this record: the first intent that settled
    /// naming it. A later run that only updated the object (a delta) does not change it.
    /// `None` when no intent names it (an object adopted by `recover`, or one reused).
    pub fn creating_run(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        target_id: &str,
    ) -> Result<Option<RunId>> {
        let conn = self.lock();
        conn.prepare_cached(CREATING_RUN)
            .and_then(|mut s| {
                s.query_row(params![kind.as_str(), source_id, target_id], |r| {
                    r.get::<_, Option<i64>>(0)
                })
                .optional()
            })
            .map(|r| r.flatten().map(RunId))
            .map_err(Error::ledger("read the run that created an object"))
    }

    /// Intents still open (oldest first): creates whose outcome is unknown after a crash.
    pub fn open_intents(&self) -> Result<Vec<Intent>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {INTENT_COLUMNS} FROM intents WHERE outcome = 'open'
                   AND fingerprint NOT LIKE 'undo:%' ORDER BY id"
            ))
            .map_err(Error::ledger("list open intents"))?;
        let rows = stmt
            .query_map([], |r| Ok(row_to_intent(r)))
            .map_err(Error::ledger("list open intents"))?;
        rows.map(|r| {
            r.map_err(Error::ledger("list open intents"))
                .and_then(|x| x)
        })
        .collect()
    }

    pub(super) fn open_intent_for(
        &self,
        kind: &ObjectKind,
        source_id: &str,
    ) -> Result<Option<Intent>> {
        let conn = self.lock();
        conn.query_row(
            &format!(
                "SELECT {INTENT_COLUMNS} FROM intents
                 WHERE kind = ?1 AND source_id = ?2 AND outcome = 'open'
                   AND fingerprint NOT LIKE 'undo:%'"
            ),
            params![kind.as_str(), source_id],
            |r| Ok(row_to_intent(r)),
        )
        .optional()
        .map_err(Error::ledger("find open intent"))?
        .transpose()
    }
}

impl Ledger {
    /// Announces a rollback's call on `target_id` (`action`: `delete`, `archive`, `restore`)
    /// **before** sending it. A rollback interrupted during the call leaves it open; the next
    /// rollback closes it ([`Ledger::abandon_open_undo_intents`]) and sends the call again (a
    /// delete answered 404 counts as done).
    pub fn record_undo_intent(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        target_id: &str,
        action: &str,
        run: RunId,
    ) -> Result<IntentId> {
        self.write("record a rollback intent", |tx| {
            tx.prepare_cached(
                "INSERT INTO intents (kind, source_id, fingerprint, run_id, created_at, target_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    kind.as_str(),
                    source_id,
                    format!("{UNDO}{action}"),
                    run.0,
                    now_text(),
                    target_id
                ])
            })
            .map_err(Error::ledger("record a rollback intent"))?;
            Ok(IntentId(tx.last_insert_rowid()))
        })
    }

    /// Settles a rollback's intent: `done` (the call succeeded, or the object was already
    /// gone) → completed; otherwise (the call was refused) → abandoned.
    pub fn settle_undo_intent(&self, intent: IntentId, done: bool) -> Result<()> {
        let outcome = if done {
            IntentOutcome::Completed
        } else {
            IntentOutcome::Abandoned
        };
        self.write("settle a rollback intent", |tx| {
            tx.prepare_cached(
                "UPDATE intents SET outcome = ?1, settled_at = ?2
                 WHERE id = ?3 AND outcome = 'open' AND fingerprint LIKE 'undo:%'",
            )
            .and_then(|mut s| s.execute(params![outcome.as_str(), now_text(), intent.0]))
            .map_err(Error::ledger("settle a rollback intent"))?;
            Ok(())
        })
    }

    /// Closes (as abandoned) the intents an interrupted rollback left open: their calls are
    /// sent again by this rollback. Answers how many there were.
    pub fn abandon_open_undo_intents(&self) -> Result<usize> {
        self.write("close an interrupted rollback's intents", |tx| {
            tx.execute(
                "UPDATE intents SET outcome = 'abandoned', settled_at = ?1
                 WHERE outcome = 'open' AND fingerprint LIKE 'undo:%'",
                params![now_text()],
            )
            .map_err(Error::ledger("close an interrupted rollback's intents"))
        })
    }

    /// The run of the newest rollback intent still open (a rollback interrupted during a
    /// call), if any.
    pub fn open_undo_run(&self) -> Result<Option<RunId>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT run_id FROM intents WHERE outcome = 'open' AND fingerprint LIKE 'undo:%'
              ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get::<_, Option<i64>>(0),
        )
        .optional()
        .map(|r| r.flatten().map(RunId))
        .map_err(Error::ledger("find an interrupted rollback's open intent"))
    }

    /// Counts of a run's rollback intents: (completed, abandoned, open).
    pub fn undo_intent_counts(&self, run: RunId) -> Result<(u64, u64, u64)> {
        let conn = self.lock();
        conn.query_row(
            "SELECT COALESCE(SUM(outcome = 'completed'), 0), COALESCE(SUM(outcome = 'abandoned'), 0),
                    COALESCE(SUM(outcome = 'open'), 0)
               FROM intents WHERE run_id = ?1 AND fingerprint LIKE 'undo:%'",
            params![run.0],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
        )
        .map(|(a, b, c)| (a.max(0) as u64, b.max(0) as u64, c.max(0) as u64))
        .map_err(Error::ledger("count a run's rollback intents"))
    }
}

impl Ledger {
    /// The records of `kind` left unfinished (`failed` or `pending`): `(source id, status)`, by
    /// source id.
    pub fn unfinished_records(
        &self,
        kind: &ObjectKind,
    ) -> Result<Vec<(String, super::ObjectStatus)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT source_id, status FROM objects
                  WHERE kind = ?1 AND status IN ('failed', 'pending') ORDER BY source_id",
            )
            .map_err(Error::ledger("list unfinished records"))?;
        let rows = stmt
            .query_map(params![kind.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(Error::ledger("list unfinished records"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, status) = row.map_err(Error::ledger("list unfinished records"))?;
            out.push((id, super::ObjectStatus::parse(&status)?));
        }
        Ok(out)
    }
}

impl Ledger {
    /// When the migration intent that settled `kind`/`source_id` on `target_id` was recorded
    /// (the latest such intent; a rollback's intents are not counted), if any.
    pub fn settling_intent_time(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        target_id: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        let conn = self.lock();
        let at: Option<String> = conn
            .query_row(
                "SELECT created_at FROM intents
                  WHERE kind = ?1 AND source_id = ?2 AND target_id = ?3
                    AND fingerprint NOT LIKE 'undo:%'
                  ORDER BY id DESC LIMIT 1",
                params![kind.as_str(), source_id, target_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::ledger("read the settling intent's time"))?;
        at.as_deref().map(parse_time).transpose()
    }

    /// Records that the Intercom object of `kind`/`source_id` existed before the migration
    /// (origin `reused`): a create whose answer was lost was settled by a look-up that found an
    /// object older than the create. A rollback then restores it instead of deleting it.
    pub fn mark_existed_before(&self, kind: &ObjectKind, source_id: &str) -> Result<()> {
        self.write("record that an object existed before", |tx| {
            tx.prepare_cached(
                "UPDATE objects SET origin = 'reused' WHERE kind = ?1 AND source_id = ?2",
            )
            .and_then(|mut s| s.execute(params![kind.as_str(), source_id]))
            .map_err(Error::ledger("record that an object existed before"))?;
            Ok(())
        })
    }
}

fn load_open(tx: &Connection, intent: IntentId) -> Result<Intent> {
    let row = tx
        .prepare_cached(
            "SELECT id, kind, source_id, fingerprint, run_id, created_at, outcome
               FROM intents WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.query_row(params![intent.0], |r| {
                Ok((row_to_intent(r), r.get::<_, String>(6)?))
            })
            .optional()
        })
        .map_err(Error::ledger("load intent"))?;
    match row {
        None => Err(Error::LedgerState(format!(
            "intent {} does not exist",
            intent.0
        ))),
        Some((i, outcome)) if outcome == "open" => i,
        Some((_, outcome)) => Err(Error::LedgerState(format!(
            "intent {} is already {outcome}; it cannot be settled twice",
            intent.0
        ))),
    }
}

/// Settles the open intent `intent` with `outcome` and answers it as it was recorded: one
/// statement (`UPDATE … RETURNING`) on the hot path; an intent that does not exist or is already
/// settled is left as it is, and [`load_open`] names the error.
pub(super) fn close_open(
    tx: &Connection,
    intent: IntentId,
    outcome: IntentOutcome,
    target_id: Option<&str>,
) -> Result<Intent> {
    let closed = tx
        .prepare_cached(&format!(
            "UPDATE intents SET outcome = ?1, target_id = ?2, settled_at = ?3
              WHERE id = ?4 AND outcome = 'open' RETURNING {INTENT_COLUMNS}"
        ))
        .and_then(|mut s| {
            s.query_row(
                params![outcome.as_str(), target_id, now_text(), intent.0],
                |r| Ok(row_to_intent(r)),
            )
            .optional()
        })
        .map_err(Error::ledger("close intent"))?;
    match closed {
        Some(open) => open,
        None => load_open(tx, intent).and_then(|_| {
            Err(Error::LedgerState(format!(
                "intent {} could not be settled",
                intent.0
            )))
        }),
    }
}

fn row_to_intent(r: &Row<'_>) -> Result<Intent> {
    let e = |e| Error::ledger("read intent")(e);
    let created: String = r.get(5).map_err(e)?;
    Ok(Intent {
        id: IntentId(r.get(0).map_err(e)?),
        kind: ObjectKind::from(r.get::<_, String>(1).map_err(e)?),
        source_id: r.get(2).map_err(e)?,
        fingerprint: r.get(3).map_err(e)?,
        run_id: r.get::<_, Option<i64>>(4).map_err(e)?.map(RunId),
        created_at: parse_time(&created)?,
    })
}
