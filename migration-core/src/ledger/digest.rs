//! Read-only digests of the `notes` table for reports: notes grouped by field with counts and
//! examples, and the records whose notes match a text.

use std::collections::{HashMap, HashSet};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Ledger, LossyNote, WARNING_PREFIX};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// A note's field with its first index removed (`transactions[12].html` →
/// `transactions[].html`), so that the notes of every message of a ticket group together.
fn grouped_field(field: &str) -> std::borrow::Cow<'_, str> {
    match (field.find('['), field.find(']')) {
        (Some(open), Some(close)) if close > open => {
            format!("{}{}", &field[..=open], &field[close..]).into()
        }
        _ => field.into(),
    }
}

/// Whether a note is a warning: its text starts with [`WARNING_PREFIX`] (any case).
fn is_warning(note: &str) -> bool {
    note.as_bytes()
        .get(..WARNING_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(WARNING_PREFIX.as_bytes()))
}

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
    ///
    /// One pass over the table in the order the notes were written (the examples are the
    /// first distinct texts met): a query per group re-read the whole table once per group,
    /// 0.8 s of a 10,000-ticket run's report (`docs/performance.md`, "Seventh pass").
    pub fn note_groups(&self, examples: usize) -> Result<Vec<NoteGroup>> {
        #[derive(Default)]
        struct Tally {
            notes: u64,
            warnings: u64,
            records: HashSet<String>,
            examples: Vec<LossyNote>,
        }
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT kind, field, source_id, note FROM notes ORDER BY id")
            .map_err(Error::ledger("group notes"))?;
        let mut rows = stmt.query([]).map_err(Error::ledger("group notes"))?;
        let mut tallies: HashMap<(ObjectKind, String), Tally> = HashMap::new();
        while let Some(row) = rows.next().map_err(Error::ledger("group notes"))? {
            let read = |i| {
                row.get::<_, String>(i)
                    .map_err(Error::ledger("group notes"))
            };
            let (kind, field, source_id, note) = (read(0)?, read(1)?, read(2)?, read(3)?);
            let kind = ObjectKind::from(kind);
            let t = tallies
                .entry((kind.clone(), grouped_field(&field).into_owned()))
                .or_default();
            t.notes += 1;
            t.warnings += u64::from(is_warning(&note));
            if t.examples.len() < examples && t.examples.iter().all(|e| e.note != note) {
                t.examples.push(LossyNote {
                    kind,
                    source_id: source_id.clone(),
                    field,
                    note,
                });
            }
            t.records.insert(source_id);
        }
        let mut groups: Vec<NoteGroup> = tallies
            .into_iter()
            .map(|((kind, field), t)| NoteGroup {
                kind,
                field,
                notes: t.notes,
                records: t.records.len() as u64,
                warnings: t.warnings,
                examples: t.examples,
            })
            .collect();
        // Most notes first, then by kind and field (as text).
        groups.sort_by(|a, b| {
            b.notes
                .cmp(&a.notes)
                .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
                .then_with(|| a.field.cmp(&b.field))
        });
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
    fn note_groups_tie_break_by_kind_then_field_and_read_warnings_in_any_case() {
        let l = Ledger::open_in_memory().unwrap();
        let r = l.begin_run(RunMode::Migrate, "h").unwrap();
        for (kind, id, field, text) in [
            (ObjectKind::Ticket, "1", "b]x[0]", "kept as is"),
            (ObjectKind::Contact, "7", "email", "Warning: invalid"),
            (ObjectKind::Ticket, "1", "a[1].body", "first"),
            (ObjectKind::Ticket, "2", "a[2].body", "first"),
            (ObjectKind::Ticket, "2", "a[3].body", "second"),
            (ObjectKind::Ticket, "3", "a[4].body", "third"),
        ] {
            l.add_note(&note(kind, id, field, text), r).unwrap();
        }
        let groups = l.note_groups(2).unwrap();
        let keys: Vec<(&str, &str, u64, u64, u64)> = groups
            .iter()
            .map(|g| {
                (
                    g.kind.as_str(),
                    g.field.as_str(),
                    g.notes,
                    g.records,
                    g.warnings,
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("ticket", "a[].body", 4, 3, 0),
                ("contact", "email", 1, 1, 1),
                ("ticket", "b]x[0]", 1, 1, 0),
            ]
        );
        let first = &groups[0].examples;
        let seen: Vec<(&str, &str, &str)> = first
            .iter()
            .map(|n| (n.source_id.as_str(), n.field.as_str(), n.note.as_str()))
            .collect();
        assert_eq!(
            seen,
            [("1", "a[1].body", "first"), ("2", "a[3].body", "second")]
        );
        assert!(
            l.note_groups(0)
                .unwrap()
                .iter()
                .all(|g| g.examples.is_empty())
        );
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
