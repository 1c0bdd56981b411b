//! What a delta starts from: the instant each department's ticket listing started in the last
//! completed run (the `watermarks` table, one row per department), and per ticket the listing's
//! `lastActivity` and the hashes of its mapped sections when it was last written (the
//! `record_sections` table).
//!
//! A watermark is the local clock's reading when the listing was requested, taken before the
//! first page: every change Glassix stamps later has a `lastActivity` after it, as long as
//! Glassix's clock is not behind the local one by more than the delta's safety margin (default
//! one hour), which the delta subtracts.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Ledger, RunId, now_text, parse_time, time_text};
use crate::ObjectKind;
use crate::error::{Error, Result};

/// Prefix of the per-department listing watermarks (`tickets.listing_started:<department id>`).
pub const LISTING_WATERMARK: &str = "tickets.listing_started";

/// A ticket as it was last written, section by section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSections {
    /// The listing's `lastActivity` when it was written (`None` when Glassix gave none).
    #[serde(skip)]
    pub last_activity: Option<DateTime<Utc>>,
    /// Hash of the title and attributes written.
    pub fields: String,
    /// Hash of the state written.
    pub state: String,
    /// Hash of the admin and team assignees written.
    pub assignee: String,
    /// Names of the tags the migration attached (only these are ever removed).
    pub tags: Vec<String>,
    /// Per source transaction GUID, the hash of the body written as a part.
    pub parts: BTreeMap<String, String>,
}

fn watermark_name(department: &str) -> String {
    format!("{LISTING_WATERMARK}:{department}")
}

impl Ledger {
    /// The listing watermark of each department (by department id), from the last completed run
    /// that recorded one.
    pub fn listing_watermarks(&self) -> Result<BTreeMap<String, DateTime<Utc>>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT name, value FROM watermarks WHERE name LIKE ?1")
            .map_err(Error::ledger("list watermarks"))?;
        let rows = stmt
            .query_map(params![format!("{LISTING_WATERMARK}:%")], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(Error::ledger("list watermarks"))?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (name, value) = row.map_err(Error::ledger("list watermarks"))?;
            let dept = name
                .strip_prefix(LISTING_WATERMARK)
                .and_then(|d| d.strip_prefix(':'))
                .unwrap_or_default()
                .to_owned();
            out.insert(dept, parse_time(&value)?);
        }
        Ok(out)
    }

    /// Records the listing watermarks of a completed run, all or none.
    pub fn set_listing_watermarks(&self, marks: &BTreeMap<String, DateTime<Utc>>) -> Result<()> {
        let now = now_text();
        self.write("set listing watermarks", |tx| {
            for (dept, at) in marks {
                tx.execute(
                    "INSERT INTO watermarks (name, value, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                       updated_at = excluded.updated_at",
                    params![watermark_name(dept), time_text(*at), now],
                )
                .map_err(Error::ledger("set listing watermarks"))?;
            }
            Ok(())
        })
    }

    /// The sections `kind`/`source_id` was last written with, if recorded.
    pub fn record_sections(
        &self,
        kind: &ObjectKind,
        source_id: &str,
    ) -> Result<Option<RecordSections>> {
        let conn = self.lock();
        let row: Option<(Option<String>, String)> = conn
            .prepare_cached(
                "SELECT last_activity, sections FROM record_sections
                  WHERE kind = ?1 AND source_id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![kind.as_str(), source_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(Error::ledger("read record sections"))?;
        let Some((last, json)) = row else {
            return Ok(None);
        };
        let mut s: RecordSections = serde_json::from_str(&json).map_err(|e| {
            Error::LedgerState(format!(
                "the sections of {kind} {source_id} in the ledger do not decode ({e}); delete \
                 that record_sections row and the next run writes the record again in full"
            ))
        })?;
        s.last_activity = last.as_deref().map(parse_time).transpose()?;
        Ok(Some(s))
    }

    /// Records the sections `kind`/`source_id` was written with by `run`.
    pub fn set_record_sections(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        sections: &RecordSections,
        run: RunId,
    ) -> Result<()> {
        let json = serde_json::to_string(sections).map_err(|e| {
            Error::LedgerState(format!("encoding the sections of {kind} {source_id}: {e}"))
        })?;
        self.write_deferred("set record sections", |tx| {
            tx.prepare_cached(
                "INSERT INTO record_sections (kind, source_id, last_activity, sections, run_id, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kind, source_id) DO UPDATE SET
                   last_activity = excluded.last_activity, sections = excluded.sections,
                   run_id = excluded.run_id, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| s.execute(params![
                    kind.as_str(),
                    source_id,
                    sections.last_activity.map(time_text),
                    json,
                    run.0,
                    now_text()
                ]))
            .map(drop)
            .map_err(Error::ledger("set record sections"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::RunMode;

    #[test]
    fn watermarks_and_sections_round_trip() {
        let l = Ledger::open_in_memory().unwrap();
        assert!(l.listing_watermarks().unwrap().is_empty());
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let marks = BTreeMap::from([("d1".to_owned(), t), ("d2".to_owned(), t)]);
        l.set_listing_watermarks(&marks).unwrap();
        l.set_watermark("other", t).unwrap();
        assert_eq!(l.listing_watermarks().unwrap(), marks);

        let run = l.begin_run(RunMode::Delta, "h").unwrap();
        let kind = ObjectKind::Ticket;
        assert_eq!(l.record_sections(&kind, "7").unwrap(), None);
        let s = RecordSections {
            last_activity: Some(t),
            fields: "f".into(),
            state: "s".into(),
            assignee: "a".into(),
            tags: vec!["vip".into()],
            parts: BTreeMap::from([("g".into(), "b".into())]),
        };
        l.set_record_sections(&kind, "7", &s, run).unwrap();
        assert_eq!(l.record_sections(&kind, "7").unwrap(), Some(s.clone()));
        let moved = RecordSections {
            last_activity: None,
            ..s
        };
        l.set_record_sections(&kind, "7", &moved, run).unwrap();
        assert_eq!(l.record_sections(&kind, "7").unwrap(), Some(moved));
    }
}
