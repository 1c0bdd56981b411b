//! `parts`: the per-message mapping (Glassix transaction → Intercom part), in ticket order.

use rusqlite::params;

use super::objects::{migrated_in, set_status};
use super::{Ledger, ObjectStatus, Origin, PartRecord, RunId, now_text};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

impl Ledger {
    /// Register (or update) one message of a ticket.
    ///
    /// The part is also an `objects` row of kind [`ObjectKind::Part`] keyed by its transaction
    /// guid, so intents, statuses and counts work for parts like for any object: after
    /// registering, use [`Ledger::record_intent`] / [`Ledger::complete_intent`] with
    /// `ObjectKind::Part` and the guid, and the part row follows. Registering again a part that
    /// is already further along (e.g. migrated) with status `pending` only updates its position.
    pub fn record_part(&self, part: &PartRecord, source_hash: &str, run: RunId) -> Result<()> {
        self.write("record part", |tx| {
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
        })
    }

    /// The messages of a ticket in position order.
    pub fn parts_for(&self, ticket_source_id: &str) -> Result<Vec<PartRecord>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT transaction_guid, target_part_id, position, status FROM parts
                 WHERE ticket_source_id = ?1 ORDER BY position, transaction_guid",
            )
            .map_err(Error::ledger("list parts"))?;
        let rows = stmt
            .query_map(params![ticket_source_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(Error::ledger("list parts"))?;
        let mut out = Vec::new();
        for row in rows {
            let (guid, target, position, status) = row.map_err(Error::ledger("list parts"))?;
            out.push(PartRecord {
                ticket_source_id: ticket_source_id.to_owned(),
                transaction_guid: guid,
                target_part_id: target,
                position,
                status: ObjectStatus::parse(&status)?,
            });
        }
        Ok(out)
    }
}
