//! Read-only digests of the `notes` table for reports: notes grouped by field with counts and
//! examples, and the records whose notes match a text.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Ledger, LossyNote};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// A note's field with its first index removed (`transactions[12].html` → `transactions[].html`),
/// so that the notes of every message of a ticket group together. SQL over the column `field`.
const GROUPED_FIELD: &str =
    "CASE WHEN instr(field, '[') > 0 AND instr(field, ']') > instr(field, '[')
      THEN substr(field, 1, instr(field, '[')) || substr(field, instr(field, ']'))
      ELSE field END";

/// The notes of one field of one kind of record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteGroup {
    /// Object kind.
    pub kind: ObjectKind,
    /// Source field, with list indexes removed (`transactions[].html`).
    pub field: String,
    /// Notes recorded.
    pub notes: u64,
    /// Distinct records they concern.
    pub records: u64,
    /// Notes that are warnings (their text starts with `warning:`).
    pub warnings: u64,
    /// A few distinct notes, oldest first, with the record and exact field of each.
    pub examples: Vec<LossyNote>,
}

/// Records whose notes match a text (see [`Ledger::notes_matching`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteMatches {
    /// Distinct records with a matching note.
    pub records: u64,
    /// Their source ids, smallest first, at most the limit asked for.
    pub source_ids: Vec<String>,
}

impl Ledger {
    /// Every note grouped by kind and field (indexes removed), most notes first, each with up
    /// to `examples` distinct note texts.
    pub fn note_groups(&self, examples: usize) -> Result<Vec<NoteGroup>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT kind, {GROUPED_FIELD} AS f, COUNT(*), COUNT(DISTINCT source_id),
                        SUM(note LIKE 'warning:%')
                   FROM notes GROUP BY kind, f ORDER BY COUNT(*) DESC, kind, f"
            ))
            .map_err(Error::ledger("group notes"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(Error::ledger("group notes"))?;
        let mut groups = Vec::new();
        for row in rows {
            let (kind, field, notes, records, warnings) =
                row.map_err(Error::ledger("group notes"))?;
            groups.push(NoteGroup {
                kind: ObjectKind::from(kind),
                field,
                notes: notes.max(0) as u64,
                records: records.max(0) as u64,
                warnings: warnings.max(0) as u64,
                examples: Vec::new(),
            });
        }
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT source_id, field, note, MIN(id) FROM notes
                  WHERE kind = ?1 AND {GROUPED_FIELD} = ?2
                  GROUP BY note ORDER BY MIN(id) LIMIT ?3"
            ))
            .map_err(Error::ledger("note examples"))?;
        for g in &mut groups {
            let rows = stmt
                .query_map(params![g.kind.as_str(), g.field, examples as i64], |r| {
                    Ok(LossyNote {
                        kind: g.kind.clone(),
                        source_id: r.get(0)?,
                        field: r.get(1)?,
                        note: r.get(2)?,
                    })
                })
                .map_err(Error::ledger("note examples"))?;
            for n in rows {
                g.examples.push(n.map_err(Error::ledger("note examples"))?);
            }
        }
        Ok(groups)
    }

    /// The records of `kind` with a note on `field` whose text contains `text` (case
    /// sensitive): how many, and the first `limit` source ids.
    pub fn notes_matching(
        &self,
        kind: &ObjectKind,
        field: &str,
        text: &str,
        limit: usize,
    ) -> Result<NoteMatches> {
        let conn = self.lock();
        let pattern = format!("%{}%", like_escape(text));
        let records: i64 = conn
            .query_row(
                "SELECT COUNT(DISTINCT source_id) FROM notes
                  WHERE kind = ?1 AND field = ?2 AND note LIKE ?3 ESCAPE '\\'",
                params![kind.as_str(), field, pattern],
                |r| r.get(0),
            )
            .map_err(Error::ledger("match notes"))?;
        let mut stmt = conn
            .prepare_cached(
                "SELECT DISTINCT source_id FROM notes
                  WHERE kind = ?1 AND field = ?2 AND note LIKE ?3 ESCAPE '\\'
                  ORDER BY length(source_id), source_id LIMIT ?4",
            )
            .map_err(Error::ledger("match notes"))?;
        let ids = stmt
            .query_map(params![kind.as_str(), field, pattern, limit as i64], |r| {
                r.get::<_, String>(0)
            })
            .map_err(Error::ledger("match notes"))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::ledger("match notes"))?;
        Ok(NoteMatches {
            records: records.max(0) as u64,
            source_ids: ids,
        })
    }
}

/// `text` with LIKE's wildcards escaped (escape character `\`).
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ledger::RunMode;

    fn note(kind: ObjectKind, id: &str, field: &str, text: &str) -> LossyNote {
        LossyNote {
            kind,
            source_id: id.into(),
            field: field.into(),
            note: text.into(),
        }
    }

    #[test]
    fn notes_group_by_field_without_indexes_with_counts_and_distinct_examples() {
        let l = Ledger::open_in_memory().unwrap();
        let r = l.begin_run(RunMode::Migrate, "h").unwrap();
        for (id, field, text) in [
            ("1", "transactions[0].html", "HTML reduced"),
            ("1", "transactions[12].html", "HTML reduced"),
            ("2", "transactions[3].html", "warning: image removed"),
            ("2", "state", "snoozed"),
        ] {
            l.add_note(&note(ObjectKind::Ticket, id, field, text), r)
                .unwrap();
        }
        let groups = l.note_groups(5).unwrap();
        assert_eq!(groups.len(), 2);
        let html = &groups[0];
        assert_eq!(html.field, "transactions[].html");
        assert_eq!((html.notes, html.records, html.warnings), (3, 2, 1));
        let texts: Vec<&str> = html.examples.iter().map(|n| n.note.as_str()).collect();
        assert_eq!(texts, ["HTML reduced", "warning: image removed"]);
        assert_eq!(html.examples[0].field, "transactions[0].html");
        assert_eq!(groups[1].field, "state");
        assert_eq!(l.note_groups(1).unwrap()[0].examples.len(), 1);
    }

    #[test]
    fn notes_matching_counts_records_and_treats_wildcards_as_text() {
        let l = Ledger::open_in_memory().unwrap();
        let r = l.begin_run(RunMode::Migrate, "h").unwrap();
        for id in ["10", "9", "11"] {
            l.add_note(
                &note(
                    ObjectKind::Ticket,
                    id,
                    "channel",
                    "needs the WhatsApp add-on",
                ),
                r,
            )
            .unwrap();
        }
        l.add_note(&note(ObjectKind::Ticket, "12", "channel", "Mail"), r)
            .unwrap();
        let m = l
            .notes_matching(&ObjectKind::Ticket, "channel", "WhatsApp add-on", 2)
            .unwrap();
        assert_eq!(m.records, 3);
        assert_eq!(m.source_ids, ["9", "10"]);
        let none = l
            .notes_matching(&ObjectKind::Ticket, "channel", "%", 10)
            .unwrap();
        assert_eq!(none.records, 0, "% is a character, not a wildcard");
    }
}
