//! What a rollback did (or would do), per kind, and what it left for an admin.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::accounting::RunCounts;
use crate::execute::Undone;
use crate::kind::ObjectKind;
use crate::ledger::{RollbackItem, RunId};

/// Counts of one kind. `deleted + archived + restored + already_gone + left + failed` is the
/// number of objects of that kind in scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindUndo {
    /// Deleted in Intercom (for a dry run: would be). Parts and notes removed with their
    /// parent are counted here too, with no call of their own.
    pub deleted: u64,
    /// Archived (schema objects, which Intercom cannot delete).
    pub archived: u64,
    /// Objects the migration did not create (pre-existing contacts) given back the values
    /// they held before it changed them, and the tags it attached detached.
    #[serde(default)]
    pub restored: u64,
    /// Already gone (404): removed by someone else or by an interrupted rollback.
    pub already_gone: u64,
    /// Left as they are and listed for the admin.
    pub left: u64,
    /// The call failed; the object stays migrated and a rerun retries it.
    pub failed: u64,
}

impl KindUndo {
    /// Objects of the kind in scope.
    pub fn total(&self) -> u64 {
        self.deleted + self.archived + self.restored + self.already_gone + self.left + self.failed
    }
}

/// One object the rollback did not undo, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftItem {
    /// Object kind.
    pub kind: ObjectKind,
    /// Source (Glassix) id.
    pub source_id: String,
    /// Intercom id.
    pub target_id: String,
    /// Why it was left, or the error that failed it.
    pub why: String,
    /// Whether its call failed (else it cannot be undone through the API).
    pub failed: bool,
    /// How many objects the line stands for (e.g. the parts a later run appended to one
    /// ticket); 1 for one object.
    #[serde(default = "one")]
    pub objects: u64,
}

fn one() -> u64 {
    1
}

/// The outcome of [`crate::Migration::rollback`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackSummary {
    /// The rollback's run in the ledger (`None` for a dry run).
    pub run: Option<RunId>,
    /// Whether nothing was sent.
    pub dry_run: bool,
    /// Counts per kind, in rollback order of kinds.
    pub per_kind: BTreeMap<ObjectKind, KindUndo>,
    /// Objects left as they are or failed.
    pub left: Vec<LeftItem>,
    /// Objects restored in part: what could not be put back, and why (they are counted as
    /// restored).
    #[serde(default)]
    pub partial: Vec<LeftItem>,
    /// Intercom write calls sent (or, dry, that would be sent).
    pub calls: u64,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

impl RollbackSummary {
    pub(super) fn new(run: Option<RunId>, dry_run: bool) -> Self {
        RollbackSummary {
            run,
            dry_run,
            per_kind: BTreeMap::new(),
            left: Vec::new(),
            partial: Vec::new(),
            calls: 0,
            elapsed_ms: 0,
        }
    }

    pub(super) fn count(&mut self, kind: &ObjectKind, undone: Undone) {
        let k = self.per_kind.entry(kind.clone()).or_default();
        match undone {
            Undone::Deleted => k.deleted += 1,
            Undone::Archived => k.archived += 1,
            Undone::Restored => k.restored += 1,
            Undone::AlreadyGone => k.already_gone += 1,
        }
    }

    /// Counts `l` (its `objects`) as left, or failed, and lists it.
    pub(super) fn leave(&mut self, l: LeftItem) {
        let k = self.per_kind.entry(l.kind.clone()).or_default();
        if l.failed {
            k.failed += l.objects;
        } else {
            k.left += l.objects;
        }
        self.left.push(l);
    }

    /// Lists what could not be put back of an object counted as restored.
    pub(super) fn restored_in_part(&mut self, l: LeftItem) {
        self.partial.push(l);
    }

    /// Sum over kinds.
    pub fn totals(&self) -> KindUndo {
        self.per_kind
            .values()
            .fold(KindUndo::default(), |mut t, k| {
                t.deleted += k.deleted;
                t.archived += k.archived;
                t.restored += k.restored;
                t.already_gone += k.already_gone;
                t.left += k.left;
                t.failed += k.failed;
                t
            })
    }

    /// Objects whose call failed.
    pub fn failed(&self) -> u64 {
        self.totals().failed
    }

    /// As the run counts of the progress events: undone → migrated, left → skipped.
    pub fn run_counts(&self) -> RunCounts {
        let t = self.totals();
        RunCounts {
            source: t.total(),
            migrated: t.deleted + t.archived + t.restored + t.already_gone,
            queued: 0,
            skipped: t.left,
            failed: t.failed,
            unchanged: 0,
        }
    }

    /// A Markdown report: per kind, then what was left and why.
    pub fn to_markdown(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for RollbackSummary {
    /// The Markdown report of [`RollbackSummary::to_markdown`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run { "would be " } else { "" };
        writeln!(
            f,
            "# Rollback{}\n",
            if self.dry_run { " (dry run)" } else { "" }
        )?;
        if let Some(run) = self.run {
            writeln!(f, "Run {}.\n", run.0)?;
        }
        writeln!(
            f,
            "| kind | {verb}deleted | {verb}archived | {verb}restored | already gone | {verb}left for the admin | failed |\n|---|---|---|---|---|---|---|"
        )?;
        for (kind, k) in &self.per_kind {
            writeln!(
                f,
                "| {kind} | {} | {} | {} | {} | {} | {} |",
                k.deleted, k.archived, k.restored, k.already_gone, k.left, k.failed
            )?;
        }
        let t = self.totals();
        writeln!(
            f,
            "| **total** | {} | {} | {} | {} | {} | {} |\n",
            t.deleted, t.archived, t.restored, t.already_gone, t.left, t.failed
        )?;
        writeln!(
            f,
            "Intercom write calls: {}{}; time: {:.1} s.\n",
            self.calls,
            if self.dry_run { " (none sent)" } else { "" },
            self.elapsed_ms as f64 / 1000.0
        )?;
        if !self.left.is_empty() {
            let heading = if self.dry_run {
                "Would not be undone"
            } else {
                "Not undone"
            };
            writeln!(f, "## {heading}\n")?;
            for l in &self.left {
                writeln!(
                    f,
                    "- {} `{}` (Intercom `{}`): {}",
                    l.kind, l.source_id, l.target_id, l.why
                )?;
            }
        }
        if !self.partial.is_empty() {
            writeln!(f, "\n## Restored in part\n")?;
            for l in &self.partial {
                writeln!(
                    f,
                    "- {} `{}` (Intercom `{}`): {}",
                    l.kind, l.source_id, l.target_id, l.why
                )?;
            }
        }
        Ok(())
    }
}

impl LeftItem {
    /// One object of `item`, left (or failed) for `why`.
    pub(super) fn of(item: &RollbackItem, why: impl Into<String>, failed: bool) -> Self {
        LeftItem {
            kind: item.kind.clone(),
            source_id: item.source_id.clone(),
            target_id: item.target_id.clone(),
            why: why.into(),
            failed,
            objects: 1,
        }
    }
}
