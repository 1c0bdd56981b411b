//! `parts`: the per-message mapping (Glassix transaction → Intercom part), in ticket order.

use rusqlite::{OptionalExtension, params};

use std::collections::HashMap;

use super::objects::need_of;
use super::{Ledger, ObjectStatus, PartRecord, RunId, WriteNeed, now_text};
use crate::error::{Error, Result};

/// The ledger's rows of a ticket's registered parts ([`Ledger::part_needs`]).
pub(super) const PART_NEEDS: &str = "SELECT o.source_id, o.status, o.target_id, o.source_hash
   FROM parts p
   JOIN objects o ON o.kind = 'part' AND o.source_id = p.transaction_guid
  WHERE p.ticket_source_id = ?1";

impl Ledger {
    /// Records, **on disk before this returns**, that `run` may now send parts of the ticket
    /// (or conversation) `ticket_source_id`. While it is recorded, the parts' own intents may
    /// wait for a later commit (they are grouped, not awaited one by one): a run that dies
    /// with the mark still on disk leaves the next run to look up every unsettled part of the
    /// ticket, in order, before it sends one ([`Ledger::parts_in_flight`]). Marking a ticket
    /// already marked keeps the earlier mark (an interrupted run's parts are still unsettled).
    pub async fn mark_parts_in_flight(&self, ticket_source_id: &str, run: RunId) -> Result<()> {
        self.write_durable("mark parts in flight", |tx| {
            mark_in(tx, ticket_source_id, run, Earlier::Keep)
        })
        .await
    }

    /// The ticket's parts-in-flight mark, if a run has not cleared it: left by a run that died
    /// (or stopped) while sending the parts, or made unsettled by
    /// [`Ledger::mark_parts_unsettled`], some of its parts may be in Intercom without their
    /// outcome in the ledger. `None` when no part of the ticket can have been sent unrecorded.
    pub fn parts_in_flight(&self, ticket_source_id: &str) -> Result<Option<PartsMark>> {
        let conn = self.lock();
        conn.prepare_cached(
            "SELECT run_id, unsettled FROM parts_in_flight WHERE ticket_source_id = ?1",
        )
        .and_then(|mut s| {
            s.query_row(params![ticket_source_id], |r| {
                Ok(PartsMark {
                    run: r.get::<_, Option<i64>>(0)?.map(RunId),
                    unsettled: r.get(1)?,
                })
            })
            .optional()
        })
        .map_err(Error::ledger("read parts in flight"))
    }

    /// The tickets (or conversations) whose parts-in-flight mark a stopped run left: the next
    /// run looks up their unsettled parts before it sends any.
    pub fn tickets_with_parts_in_flight(&self) -> Result<Vec<String>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT ticket_source_id FROM parts_in_flight ORDER BY ticket_source_id",
            )
            .map_err(Error::ledger("list parts in flight"))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(Error::ledger("list parts in flight"))?;
        rows.map(|r| r.map_err(Error::ledger("list parts in flight")))
            .collect()
    }

    /// Marks the ticket's parts as possibly sent without a trace, whatever run it is: a part
    /// failed in this run after its answer was lost and its look-up could not tell, and a part
    /// has no intent of its own to say so. The mark then reads as unsettled
    /// ([`PartsMark::unsettled`]), so the next attempt at the ticket, in this run or a later
    /// one, looks its unsettled parts up first.
    pub fn mark_parts_unsettled(&self, ticket_source_id: &str) -> Result<()> {
        self.write_deferred("mark parts unsettled", |tx| {
            tx.prepare_cached(
                "UPDATE parts_in_flight SET unsettled = 1 WHERE ticket_source_id = ?1",
            )
            .and_then(|mut s| s.execute(params![ticket_source_id]))
            .map(|_| ())
            .map_err(Error::ledger("mark parts unsettled"))
        })
    }

    /// Clears the mark once every part the run sent is settled in the ledger (written after
    /// those settlements, so a crash that loses one of them keeps the mark as well).
    pub fn clear_parts_in_flight(&self, ticket_source_id: &str) -> Result<()> {
        self.write_deferred("clear parts in flight", |tx| {
            tx.prepare_cached("DELETE FROM parts_in_flight WHERE ticket_source_id = ?1")
                .and_then(|mut s| s.execute(params![ticket_source_id]))
                .map(|_| ())
                .map_err(Error::ledger("clear parts in flight"))
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

    /// What the ledger holds of each registered part of a ticket, read at once, so that the
    /// ticket's parts need no read each ([`PartNeeds::need`]). Only the ticket's own writer
    /// changes these rows while it writes the parts, so the answer stays true for that writer.
    pub fn part_needs(&self, ticket_source_id: &str) -> Result<PartNeeds> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(PART_NEEDS)
            .map_err(Error::ledger("read a ticket's parts"))?;
        let rows = stmt
            .query_map(params![ticket_source_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(Error::ledger("read a ticket's parts"))?;
        let mut by_guid = HashMap::new();
        for row in rows {
            let (guid, status, target, hash) =
                row.map_err(Error::ledger("read a ticket's parts"))?;
            by_guid.insert(guid, (ObjectStatus::parse(&status)?, target, hash));
        }
        Ok(PartNeeds { rows: by_guid })
    }

    /// The Glassix ticket a message (`transaction_guid`, the part's source id) belongs to.
    pub fn part_parent(&self, transaction_guid: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.lock()
            .query_row(
                "SELECT ticket_source_id FROM parts WHERE transaction_guid = ?1",
                params![transaction_guid],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::ledger("find a part's ticket"))
    }
}

/// A ticket's parts-in-flight mark ([`Ledger::parts_in_flight`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartsMark {
    /// The run that put it on disk (`None` for a mark made unsettled by a schema-12 ledger,
    /// which cleared the run instead).
    pub run: Option<RunId>,
    /// A part of the ticket failed with its outcome unknown since the mark was put.
    pub unsettled: bool,
}

impl PartsMark {
    /// Whether `run` put the mark and every part it sent since is settled in the ledger: its
    /// unsettled parts need no look-up. Any other mark is a stopped run's, or unsettled.
    pub fn settled_for(&self, run: RunId) -> bool {
        self.run == Some(run) && !self.unsettled
    }
}

/// A ticket's parts as the ledger held them when [`Ledger::part_needs`] read them.
#[derive(Debug, Clone, Default)]
pub struct PartNeeds {
    /// Transaction guid → status, Intercom part id, source hash.
    rows: HashMap<String, (ObjectStatus, Option<String>, Option<String>)>,
}

impl PartNeeds {
    /// What [`Ledger::needs_write`] would answer for part `guid` whose source hashes `hash`;
    /// `None` when only the ledger can say (an open intent, which an older run may have left).
    pub fn need(&self, guid: &str, hash: &str) -> Option<WriteNeed> {
        match self.rows.get(guid) {
            None => Some(WriteNeed::Create),
            Some((status, target, stored)) => {
                need_of(*status, target.clone(), stored.clone(), hash)
            }
        }
    }

    /// Whether the ledger held a row for part `guid` (in `parts` and `objects` both).
    pub fn has_row(&self, guid: &str) -> bool {
        self.rows.contains_key(guid)
    }

    /// Whether every part of `guids` is migrated (none of them is left to send).
    pub fn all_migrated<S: AsRef<str>>(&self, guids: impl IntoIterator<Item = S>) -> bool {
        guids.into_iter().all(|g| {
            self.rows
                .get(g.as_ref())
                .is_some_and(|(s, _, _)| *s == ObjectStatus::Migrated)
        })
    }
}

/// What [`mark_in`] does with a mark already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Earlier {
    /// Keep it: a stopped run's parts of the ticket may still be unsettled.
    Keep,
    /// Replace it with this run's: the ticket itself is being created, so it has no part yet.
    Replace,
}

/// Writes the parts-in-flight mark of `ticket_source_id` for `run` in the open transaction.
pub(super) fn mark_in(
    tx: &rusqlite::Connection,
    ticket_source_id: &str,
    run: RunId,
    earlier: Earlier,
) -> Result<()> {
    let sql = match earlier {
        Earlier::Keep => {
            "INSERT INTO parts_in_flight (ticket_source_id, run_id, opened_at)
             VALUES (?1, ?2, ?3) ON CONFLICT (ticket_source_id) DO NOTHING"
        }
        Earlier::Replace => {
            "INSERT INTO parts_in_flight (ticket_source_id, run_id, opened_at)
             VALUES (?1, ?2, ?3) ON CONFLICT (ticket_source_id) DO UPDATE SET
               run_id = excluded.run_id, opened_at = excluded.opened_at, unsettled = 0"
        }
    };
    tx.prepare_cached(sql)
        .and_then(|mut s| s.execute(params![ticket_source_id, run.0, now_text()]))
        .map(|_| ())
        .map_err(Error::ledger("mark parts in flight"))
}
