//! `queue`, `notes` and `watermarks`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Ledger, LossyNote, QueueEntry, Reason, RunId, now_text, parse_time, time_text};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

impl Ledger {
    /// Every record waiting for reconciliation, by kind then source id.
    pub fn queue_entries(&self) -> Result<Vec<QueueEntry>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT kind, source_id, reason_code, detail, field, run_id, created_at FROM queue
                 ORDER BY kind, source_id",
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
                ))
            })
            .map_err(Error::ledger("list queue"))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, source_id, code, detail, field, run, created) =
                row.map_err(Error::ledger("list queue"))?;
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
            });
        }
        Ok(out)
    }

    /// Record a field-level note about something lossy in one record's mapping.
    pub fn add_note(&self, note: &LossyNote, run: RunId) -> Result<()> {
        self.write("add note", |tx| {
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
        })
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

    /// Set (or move) the watermark `name`.
    pub fn set_watermark(&self, name: &str, at: DateTime<Utc>) -> Result<()> {
        self.write("set watermark", |tx| {
            tx.execute(
                "INSERT INTO watermarks (name, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                params![name, time_text(at), now_text()],
            )
            .map_err(Error::ledger("set watermark"))?;
            Ok(())
        })
    }
}
