//! `intents`: written before every create, settled after it.

use rusqlite::{OptionalExtension, Row, Transaction, params};

use super::objects::{migrated_in, set_status};
use super::{
    Intent, IntentId, IntentOutcome, Ledger, ObjectStatus, Origin, RunId, Settlement, now_text,
    parse_time,
};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

const INTENT_COLUMNS: &str = "id, kind, source_id, fingerprint, run_id, created_at";

impl Ledger {
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
        })
    }

    /// The create announced by `intent` succeeded with `target_id`: close the intent and record
    /// the object as migrated (created by the migration), in one transaction.
    pub fn complete_intent(
        &self,
        intent: IntentId,
        target_id: &str,
        source_hash: &str,
    ) -> Result<()> {
        self.write("complete intent", |tx| {
            let open = load_open(tx, intent)?;
            close(tx, intent, IntentOutcome::Completed, Some(target_id))?;
            migrated_in(
                tx,
                &open.kind,
                &open.source_id,
                target_id,
                source_hash,
                Origin::Created,
                open.run_id,
            )
        })
    }

    /// Settle an open intent after looking the object up in Intercom: [`Settlement::Found`]
    /// records it as migrated; [`Settlement::NotCreated`] abandons the intent and returns the
    /// record to `pending`, so that it is created on the next pass.
    pub fn settle_intent(&self, intent: IntentId, settlement: Settlement) -> Result<()> {
        self.write("settle intent", |tx| {
            let open = load_open(tx, intent)?;
            match settlement {
                Settlement::Found {
                    target_id,
                    source_hash,
                } => {
                    close(tx, intent, IntentOutcome::Completed, Some(&target_id))?;
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
                    close(tx, intent, IntentOutcome::Abandoned, None)?;
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
        })
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

fn load_open(tx: &Transaction<'_>, intent: IntentId) -> Result<Intent> {
    let row = tx
        .query_row(
            &format!("SELECT {INTENT_COLUMNS}, outcome FROM intents WHERE id = ?1"),
            params![intent.0],
            |r| Ok((row_to_intent(r), r.get::<_, String>(6)?)),
        )
        .optional()
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

fn close(
    tx: &Transaction<'_>,
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
