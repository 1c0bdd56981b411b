//! `parts`: the per-message mapping (Glassix transaction → Intercom part), in ticket order.

use rusqlite::params;

use super::{Ledger, ObjectStatus, PartRecord};
use crate::error::{Error, Result};

impl Ledger {
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
