//! `intents`: written before every create, settled after it.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Intent, IntentId, IntentOutcome, Ledger, RunId, now_text, parse_time};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

const INTENT_COLUMNS: &str = "id, kind, source_id, fingerprint, run_id, created_at";

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
        conn.prepare_cached(
            "SELECT run_id FROM intents WHERE kind = ?1 AND source_id = ?2 AND target_id = ?3
             ORDER BY id LIMIT 1",
        )
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
                "SELECT {INTENT_COLUMNS} FROM intents WHERE outcome = 'open' ORDER BY id"
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
                 WHERE kind = ?1 AND source_id = ?2 AND outcome = 'open'"
            ),
            params![kind.as_str(), source_id],
            |r| Ok(row_to_intent(r)),
        )
        .optional()
        .map_err(Error::ledger("find open intent"))?
        .transpose()
    }
}

pub(super) fn load_open(tx: &Connection, intent: IntentId) -> Result<Intent> {
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

pub(super) fn close(
    tx: &Connection,
    intent: IntentId,
    outcome: IntentOutcome,
    target_id: Option<&str>,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE intents SET outcome = ?1, target_id = ?2, settled_at = ?3 WHERE id = ?4",
    )
    .and_then(|mut s| s.execute(params![outcome.as_str(), target_id, now_text(), intent.0]))
    .map_err(Error::ledger("close intent"))?;
    Ok(())
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
