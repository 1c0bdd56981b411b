//! `queue`, `notes` and `watermarks`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Ledger, LossyNote, QueueEntry, Reason, RunId, parse_time};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

impl Ledger {
    /// Every record waiting for reconciliation, by kind then source id.
    pub fn queue_entries(&self) -> Result<Vec<QueueEntry>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT q.kind, q.source_id, q.reason_code, q.detail, q.field, q.run_id,
                        q.created_at, c.context
                 FROM queue q
                 LEFT JOIN queue_context c ON c.kind = q.kind AND c.source_id = q.source_id
                 ORDER BY q.kind, q.source_id",
            )
            .map_err(Error::ledger("list queue"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })
            .map_err(Error::ledger("list queue"))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, source_id, code, detail, field, run, created, context) =
                row.map_err(Error::ledger("list queue"))?;
            let context =
                context.and_then(|text| super::queue_context::parse(&kind, &source_id, &text));
            out.push(QueueEntry {
                kind: ObjectKind::from(kind),
                source_id,
                reason: Reason {
                    code,
                    detail,
                    field,
                },
                run_id: run.map(RunId),
                created_at: parse_time(&created)?,
                context,
            });
        }
        Ok(out)
    }

    /// The notes of one record, oldest first.
    pub fn notes_for(&self, kind: &ObjectKind, source_id: &str) -> Result<Vec<LossyNote>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT field, note FROM notes WHERE kind = ?1 AND source_id = ?2 ORDER BY id",
            )
            .map_err(Error::ledger("list notes"))?;
        let rows = stmt
            .query_map(params![kind.as_str(), source_id], |r| {
                Ok(LossyNote {
                    kind: kind.clone(),
                    source_id: source_id.to_owned(),
                    field: r.get(0)?,
                    note: r.get(1)?,
                })
            })
            .map_err(Error::ledger("list notes"))?;
        rows.map(|r| r.map_err(Error::ledger("list notes")))
            .collect()
    }

    /// The watermark called `name` (e.g. `tickets.last_activity`), if set.
    pub fn watermark(&self, name: &str) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let value: Option<String> = conn
            .query_row(
                "SELECT value FROM watermarks WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::ledger("read watermark"))?;
        value.as_deref().map(parse_time).transpose()
    }
}
