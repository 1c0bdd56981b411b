//! `before_images`: what an object the migration did not create (a pre-existing contact matched
//! by e-mail) held before the migration first changed it, field by field, so that a rollback
//! can put it back instead of deleting the object.
//!
//! Field names: a top-level field by its Intercom name (`name`, `phone`, …),
//! `custom_attributes.<name>`, or `tags.<tag id>` (value `true`/`false`: whether the tag was
//! attached; `null`: unknown, the contact listed only part of its tags). A value of `null` for
//! any other field means the field was absent: a rollback sets it back to null. Only the first
//! image of a field is kept: a later run that changes the field again does not overwrite it.

use std::collections::BTreeMap;

use rusqlite::params;
use serde_json::Value;

use super::{Ledger, RunId, now_text};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// Meta key of the first run whose writes on reused objects record before-images (set when the
/// ledger is created or upgraded to a schema with `before_images`).
pub(crate) const FROM_RUN: &str = "before_images.from_run";

/// One field's value before the migration first changed it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BeforeField {
    /// The field (`name`, `custom_attributes.plan`, `tags.<tag id>`, …).
    pub field: String,
    /// Its value before (`null`: absent; for a tag, whether it was attached).
    pub value: Value,
    /// The run whose write first changed it.
    pub run: Option<RunId>,
}

/// The before-image of one object: every field the migration changed on it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BeforeImage {
    /// Object kind (a contact).
    pub kind: ObjectKind,
    /// Its Intercom id.
    pub target_id: String,
    /// The source record whose write first touched it.
    pub source_id: Option<String>,
    /// The fields, by name.
    pub fields: Vec<BeforeField>,
}

impl Ledger {
    /// The fields of `target_id` that already have a before-image.
    pub fn imaged_fields(
        &self,
        kind: &ObjectKind,
        target_id: &str,
    ) -> Result<std::collections::BTreeSet<String>> {
        imaged(&self.lock(), Table::FirstEver, kind, target_id)
    }

    /// Records the values `fields` held before `run` changes them (first touch only: a field
    /// already imaged keeps its first value). Answers how many fields were new.
    pub fn record_before_image(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        source_id: &str,
        run: RunId,
        fields: &BTreeMap<String, Value>,
    ) -> Result<usize> {
        self.write("record before-image", |tx| {
            record(
                tx,
                Table::FirstEver,
                kind,
                target_id,
                source_id,
                run,
                fields,
            )
        })
    }

    /// Every before-image, by object (kind, then Intercom id).
    pub fn before_images(&self) -> Result<Vec<BeforeImage>> {
        images(&self.lock(), Table::FirstEver)
    }

    /// Forgets the before-image of `fields` of `target_id` (restored: the next change is a
    /// first touch again).
    pub fn forget_before_image(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        fields: &[String],
    ) -> Result<()> {
        self.write("forget before-image", |tx| {
            for f in fields {
                tx.prepare_cached(
                    "DELETE FROM before_images WHERE kind = ?1 AND target_id = ?2 AND field = ?3",
                )
                .and_then(|mut s| s.execute(params![kind.as_str(), target_id, f]))
                .map_err(Error::ledger("forget before-image"))?;
            }
            Ok(())
        })
    }

    /// Objects of `kind` the migration found and reused (origin `reused`, still migrated) and
    /// wrote on in a run before this ledger recorded before-images: `(source id, Intercom id,
    /// run)`. Their earlier changes cannot be restored.
    pub fn reused_before_images(&self, kind: &ObjectKind) -> Result<Vec<(String, String, RunId)>> {
        let from: i64 = self
            .meta(FROM_RUN)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT o.source_id, o.target_id, MIN(i.run_id) FROM objects o
                   JOIN intents i ON i.kind = o.kind AND i.source_id = o.source_id
                 WHERE o.kind = ?1 AND o.origin = 'reused' AND o.status = 'migrated'
                   AND o.target_id IS NOT NULL AND i.run_id < ?2
                   AND i.fingerprint NOT LIKE 'undo:%'
                 GROUP BY o.source_id, o.target_id ORDER BY o.source_id",
            )
            .map_err(Error::ledger("list reused objects of older runs"))?;
        let rows = stmt
            .query_map(params![kind.as_str(), from], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    RunId(r.get::<_, i64>(2)?),
                ))
            })
            .map_err(Error::ledger("list reused objects of older runs"))?;
        rows.map(|r| r.map_err(Error::ledger("list reused objects of older runs")))
            .collect()
    }
}

/// Which of the two before-image tables: one shape, two lifetimes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Table {
    /// `before_images`: the first-ever image of a field of an object the migration did not
    /// create (a full rollback restores it).
    FirstEver,
    /// `run_before_images`: the image of one run (`rollback --run` restores it).
    OfRun(RunId),
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::FirstEver => "before_images",
            Table::OfRun(_) => "run_before_images",
        }
    }

    fn run(self) -> Option<i64> {
        match self {
            Table::FirstEver => None,
            Table::OfRun(r) => Some(r.0),
        }
    }

    /// What the ledger error says it was doing.
    fn doing(self, op: Op) -> &'static str {
        match (self, op) {
            (Table::FirstEver, Op::ReadFields) => "read before-image fields",
            (Table::FirstEver, Op::Record) => "record before-image",
            (Table::FirstEver, Op::Read) => "read before-images",
            (Table::OfRun(_), Op::ReadFields) => "read a run's before-image fields",
            (Table::OfRun(_), Op::Record) => "record a run's before-image",
            (Table::OfRun(_), Op::Read) => "read a run's before-images",
        }
    }
}

/// What is done with a before-image table (names the operation in ledger errors).
#[derive(Debug, Clone, Copy)]
enum Op {
    /// List the fields an object has an image of.
    ReadFields,
    /// Record fields.
    Record,
    /// Read every image.
    Read,
}

/// The fields of `target_id` that already have an image in `table` (of its run, for a run's).
pub(super) fn imaged(
    conn: &rusqlite::Connection,
    table: Table,
    kind: &ObjectKind,
    target_id: &str,
) -> Result<std::collections::BTreeSet<String>> {
    let doing = table.doing(Op::ReadFields);
    let sql = format!(
        "SELECT field FROM {} WHERE kind = ?1 AND target_id = ?2 AND (?3 IS NULL OR run_id = ?3)",
        table.name()
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(Error::ledger(doing))?;
    let rows = stmt
        .query_map(params![kind.as_str(), target_id, table.run()], |r| {
            r.get::<_, String>(0)
        })
        .map_err(Error::ledger(doing))?;
    rows.map(|r| r.map_err(Error::ledger(doing))).collect()
}

/// Records `fields` of `target_id` in `table`, first touch only (a field already imaged there
/// keeps its value). Answers how many were new.
pub(super) fn record(
    tx: &rusqlite::Connection,
    table: Table,
    kind: &ObjectKind,
    target_id: &str,
    source_id: &str,
    run: RunId,
    fields: &BTreeMap<String, Value>,
) -> Result<usize> {
    let doing = table.doing(Op::Record);
    let sql = format!(
        "INSERT OR IGNORE INTO {}
           (kind, target_id, field, run_id, value, source_id, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        table.name()
    );
    let now = now_text();
    let mut n = 0;
    for (field, value) in fields {
        n += tx
            .prepare_cached(&sql)
            .and_then(|mut s| {
                s.execute(params![
                    kind.as_str(),
                    target_id,
                    field,
                    run.0,
                    value.to_string(),
                    source_id,
                    now
                ])
            })
            .map_err(Error::ledger(doing))?;
    }
    Ok(n)
}

/// Every image in `table` (of its run, for a run's), by object (kind, then Intercom id).
pub(super) fn images(conn: &rusqlite::Connection, table: Table) -> Result<Vec<BeforeImage>> {
    let doing = table.doing(Op::Read);
    let sql = format!(
        "SELECT kind, target_id, field, value, source_id, run_id FROM {}
          WHERE ?1 IS NULL OR run_id = ?1 ORDER BY kind, target_id, field",
        table.name()
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(Error::ledger(doing))?;
    let rows = stmt
        .query_map(params![table.run()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })
        .map_err(Error::ledger(doing))?;
    let mut out: Vec<BeforeImage> = Vec::new();
    for row in rows {
        let (kind, target_id, field, value, source_id, run) = row.map_err(Error::ledger(doing))?;
        let value: Value = serde_json::from_str(&value).map_err(|e| {
            let whose = match table {
                Table::FirstEver => "before-image".to_owned(),
                Table::OfRun(r) => format!("run {}'s before-image", r.0),
            };
            Error::LedgerState(format!(
                "{whose} of {kind} {target_id} field `{field}` is not JSON ({e}); restore that \
                 field by hand"
            ))
        })?;
        let kind = ObjectKind::from(kind);
        let f = BeforeField {
            field,
            value,
            run: run.map(RunId),
        };
        match out.last_mut() {
            Some(last) if last.kind == kind && last.target_id == target_id => last.fields.push(f),
            _ => out.push(BeforeImage {
                kind,
                target_id,
                source_id,
                fields: vec![f],
            }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::RunMode;

    #[test]
    fn only_the_first_image_of_a_field_is_kept_and_forgetting_starts_over() {
        let l = Ledger::open_in_memory().unwrap();
        let run = l.begin_run(RunMode::Migrate, "h").unwrap();
        let k = ObjectKind::Contact;
        let first = BTreeMap::from([
            ("name".to_owned(), Value::from("Before")),
            ("tags.7".to_owned(), Value::from(false)),
        ]);
        assert_eq!(
            l.record_before_image(&k, "c1", "s1", run, &first).unwrap(),
            2
        );
        let later = BTreeMap::from([
            ("name".to_owned(), Value::from("Written by run 1")),
            ("custom_attributes.plan".to_owned(), Value::Null),
        ]);
        let run2 = l.begin_run(RunMode::Delta, "h").unwrap();
        assert_eq!(
            l.record_before_image(&k, "c1", "s1", run2, &later).unwrap(),
            1
        );
        let images = l.before_images().unwrap();
        assert_eq!(images.len(), 1);
        let by: BTreeMap<_, _> = images[0]
            .fields
            .iter()
            .map(|f| (f.field.as_str(), (f.value.clone(), f.run)))
            .collect();
        assert_eq!(by["name"], (Value::from("Before"), Some(run)));
        assert_eq!(by["custom_attributes.plan"], (Value::Null, Some(run2)));
        assert_eq!(by["tags.7"], (Value::from(false), Some(run)));
        assert_eq!(l.imaged_fields(&k, "c1").unwrap().len(), 3);
        l.forget_before_image(&k, "c1", &["name".to_owned()])
            .unwrap();
        assert!(!l.imaged_fields(&k, "c1").unwrap().contains("name"));
        // A fresh ledger records before-images from its first run: nothing is older.
        assert!(l.reused_before_images(&k).unwrap().is_empty());
    }
}
