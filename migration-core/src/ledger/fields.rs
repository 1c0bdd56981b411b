//! Field items: values of migrated records that did not convert under their rule.

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Ledger, QueueEntry, Reason, RunId, now_text, parse_time};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// One value left unwritten on an otherwise migrated record: the record, the source field, the
/// raw value as Glassix gave it, and why it did not convert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldItem {
    /// The source field (e.g. `field3`).
    pub field: String,
    /// The raw value, unchanged.
    pub raw_value: String,
    /// Stable reason code (`invalid_field_value`).
    pub reason_code: String,
    /// What did not convert, and what to do.
    pub detail: String,
}

impl Ledger {
    /// Replaces the field items of one record with `items` (none: the record has no field
    /// left unwritten any more).
    pub fn replace_field_items(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        items: &[FieldItem],
        run: RunId,
    ) -> Result<()> {
        if items.is_empty() {
            // The common case: read first, so that a record without items costs no write.
            let conn = self.lock();
            let any: bool = conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM field_items WHERE kind = ?1 AND source_id = ?2)",
                )
                .and_then(|mut s| s.query_row(params![kind.as_str(), source_id], |r| r.get(0)))
                .map_err(Error::ledger("read field items"))?;
            if !any {
                return Ok(());
            }
        }
        self.write_deferred("replace field items", |tx| {
            tx.prepare_cached("DELETE FROM field_items WHERE kind = ?1 AND source_id = ?2")
                .and_then(|mut s| s.execute(params![kind.as_str(), source_id]))
                .map_err(Error::ledger("replace field items"))?;
            for i in items {
                tx.prepare_cached(
                    "INSERT INTO field_items (kind, source_id, field, raw_value, reason_code,
                                              detail, run_id, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (kind, source_id, field) DO UPDATE SET
                        raw_value = excluded.raw_value, reason_code = excluded.reason_code,
                        detail = excluded.detail, run_id = excluded.run_id,
                        created_at = excluded.created_at",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        kind.as_str(),
                        source_id,
                        i.field,
                        i.raw_value,
                        i.reason_code,
                        i.detail,
                        run.0,
                        now_text()
                    ])
                })
                .map_err(Error::ledger("replace field items"))?;
            }
            Ok(())
        })
    }

    /// Every field item, by kind, source id and field, as reconciliation-queue entries: the
    /// reason's `field` names the source field and its `detail` starts with the raw value
    /// (`` value `30/02/2024`: … ``). [`queue_entries`](Self::queue_entries) lists records;
    /// these are values of migrated records, listed beside them.
    pub fn field_items(&self) -> Result<Vec<(QueueEntry, FieldItem)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT kind, source_id, field, raw_value, reason_code, detail, run_id, created_at
                 FROM field_items ORDER BY kind, source_id, field",
            )
            .map_err(Error::ledger("list field items"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    FieldItem {
                        field: r.get(2)?,
                        raw_value: r.get(3)?,
                        reason_code: r.get(4)?,
                        detail: r.get(5)?,
                    },
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .map_err(Error::ledger("list field items"))?;
        let mut out = Vec::new();
        for row in rows {
            let (kind, source_id, item, run, created) =
                row.map_err(Error::ledger("list field items"))?;
            out.push((
                QueueEntry {
                    kind: ObjectKind::from(kind),
                    source_id,
                    reason: Reason {
                        code: item.reason_code.clone(),
                        detail: format!("value `{}`: {}", item.raw_value, item.detail),
                        field: Some(item.field.clone()),
                    },
                    run_id: run.map(RunId),
                    created_at: parse_time(&created)?,
                    context: None,
                },
                item,
            ));
        }
        Ok(out)
    }
}
