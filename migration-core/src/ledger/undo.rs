//! A rollback's bookkeeping beyond one record:
//!
//! * records that share an Intercom object: customers merged into one contact (the same
//!   e-mail up to case and white space) are each recorded as migrated to the survivor's
//!   contact; when a rollback deletes or restores that contact, every record pointing at it is
//!   rolled back too, so that a later `migrate` maps them afresh;
//! * per-run before-images (`run_before_images`): what a field of an object a run did not
//!   create held before that run first changed it, so that `rollback --run N` restores what
//!   run N changed on objects it did not create (a delta's updates to tickets and contacts an
//!   earlier run created, or a field an earlier run changed first). The first-ever image of a
//!   pre-existing object stays in `before_images` for a full rollback.

use std::collections::BTreeMap;

use rusqlite::params;
use serde_json::Value;

use super::before_images::{Table, imaged, images, record};
use super::objects::set_status;
use super::{BeforeImage, Ledger, ObjectStatus, RecordSections, RunId};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

impl Ledger {
    /// Marks rolled back (by `run`) every record of `kind` still migrated to `target_id`;
    /// answers their source ids.
    pub fn mark_sharing_rolled_back(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        run: RunId,
    ) -> Result<Vec<String>> {
        self.write("mark the records sharing an object rolled back", |tx| {
            let ids: Vec<String> = tx
                .prepare_cached(
                    "SELECT source_id FROM objects WHERE kind = ?1 AND target_id = ?2
                       AND status = 'migrated' ORDER BY source_id",
                )
                .and_then(|mut s| {
                    s.query_map(params![kind.as_str(), target_id], |r| r.get(0))?
                        .collect::<rusqlite::Result<Vec<String>>>()
                })
                .map_err(Error::ledger("list the records sharing an object"))?;
            for id in &ids {
                set_status(tx, kind, id, ObjectStatus::RolledBack, None, Some(run))?;
            }
            Ok(ids)
        })
    }
}

impl Ledger {
    /// The fields of `target_id` that already have a before-image of `run`.
    pub fn run_imaged_fields(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        run: RunId,
    ) -> Result<std::collections::BTreeSet<String>> {
        imaged(&self.lock(), Table::OfRun(run), kind, target_id)
    }

    /// Records the values `fields` of `target_id` held before `run` first changes them (first
    /// touch per run: a field `run` already imaged keeps its value). Answers how many were new.
    pub fn record_run_image(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        source_id: &str,
        run: RunId,
        fields: &BTreeMap<String, Value>,
    ) -> Result<usize> {
        self.write("record a run's before-image", |tx| {
            record(
                tx,
                Table::OfRun(run),
                kind,
                target_id,
                source_id,
                run,
                fields,
            )
        })
    }

    /// The before-images `run` recorded, by object (kind, then Intercom id); each field's
    /// [`BeforeField::run`] is `run`.
    ///
    /// [`BeforeField::run`]: super::BeforeField::run
    pub fn run_images(&self, run: RunId) -> Result<Vec<BeforeImage>> {
        images(&self.lock(), Table::OfRun(run))
    }

    /// Forgets `run`'s before-image of `fields` of `target_id` (restored), and the first-ever
    /// before-image of those fields when `run` recorded it (the object holds its value from
    /// before the migration again); `run` `None`: every run's image of those fields.
    pub fn forget_run_image(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        run: Option<RunId>,
        fields: &[String],
    ) -> Result<()> {
        self.write("forget a run's before-image", |tx| {
            for f in fields {
                let r = run.map(|r| r.0);
                tx.prepare_cached(
                    "DELETE FROM run_before_images WHERE kind = ?1 AND target_id = ?2
                       AND field = ?3 AND (?4 IS NULL OR run_id = ?4)",
                )
                .and_then(|mut s| s.execute(params![kind.as_str(), target_id, f, r]))
                .map_err(Error::ledger("forget a run's before-image"))?;
                if let Some(r) = r {
                    tx.prepare_cached(
                        "DELETE FROM before_images WHERE kind = ?1 AND target_id = ?2
                           AND field = ?3 AND run_id = ?4",
                    )
                    .and_then(|mut s| s.execute(params![kind.as_str(), target_id, f, r]))
                    .map_err(Error::ledger("forget a run's before-image"))?;
                }
            }
            Ok(())
        })
    }
}

impl Ledger {
    /// After a rollback of one run restored `kind`/`source_id` (an object that run updated but
    /// did not create) to what it held before: marks its source hash stale, so that the next
    /// `migrate` or `delta` writes it again (Intercom holds its earlier values; Glassix may
    /// still hold the newer ones). With `before`, the sections it was written with before that
    /// run (its before-image kept them), those replace the recorded ones, keeping the parts
    /// written since (Intercom has no part delete) and no listing activity (the next delta
    /// reads it): the next delta applies the newer values section by section, tags detached
    /// and conversation actions included. Without, the sections are forgotten and the record
    /// is written again in full. `run`: the rollback's run.
    pub fn mark_rewrite(
        &self,
        kind: &ObjectKind,
        source_id: &str,
        before: Option<RecordSections>,
        run: RunId,
    ) -> Result<()> {
        if let Some(mut before) = before {
            if let Some(now) = self.record_sections(kind, source_id)? {
                before.parts = now.parts;
            }
            before.last_activity = None;
            self.set_record_sections(kind, source_id, &before, run)?;
            return self.write("mark a restored record to be written again", |tx| {
                mark_stale(tx, kind, source_id)
            });
        }
        self.write("mark a restored record to be written again", |tx| {
            tx.prepare_cached("DELETE FROM record_sections WHERE kind = ?1 AND source_id = ?2")
                .and_then(|mut s| s.execute(params![kind.as_str(), source_id]))
                .map_err(Error::ledger("forget a restored record's sections"))?;
            mark_stale(tx, kind, source_id)
        })
    }
}

/// Marks the source hash of `kind`/`source_id` stale (`restored:` prefix): the next run writes
/// the record again.
fn mark_stale(tx: &rusqlite::Connection, kind: &ObjectKind, source_id: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE objects SET source_hash = 'restored:' || COALESCE(source_hash, '')
          WHERE kind = ?1 AND source_id = ?2 AND status = 'migrated'
            AND COALESCE(source_hash, '') NOT LIKE 'restored:%'",
    )
    .and_then(|mut s| s.execute(params![kind.as_str(), source_id]))
    .map(drop)
    .map_err(Error::ledger("mark a restored record stale"))
}
