//! What a rollback of a scope will do, from the ledger only: the created objects to delete or
//! archive (in order), the objects the migration did not create to restore from their
//! before-images, and what it must leave, with the reason, decided up front.

use std::collections::{BTreeMap, BTreeSet};

use crate::execute::ExecResult;
use crate::kind::{ObjectKind, RollbackAction};
use crate::ledger::{BeforeField, Ledger, RollbackItem, RunId};

use super::summary::LeftItem;
use super::{RollbackScope, select};

/// An object the migration did not create, to be given back the values it held before.
#[derive(Debug, Clone, PartialEq)]
pub struct Restore {
    /// Object kind (a contact).
    pub kind: ObjectKind,
    /// The record whose write first changed it.
    pub source_id: String,
    /// Its Intercom id.
    pub target_id: String,
    /// The fields to put back (those of the scope).
    pub fields: Vec<BeforeField>,
    /// `Some(run)`: the image is that run's (a rollback of one run), `None`: the first-ever
    /// image of an object that existed before the migration.
    pub run: Option<RunId>,
}

/// Everything a rollback of one scope does (see [`plan`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollbackPlan {
    /// Created objects to delete, archive or count with their parent, in undo order.
    pub items: Vec<RollbackItem>,
    /// Objects to restore from their before-images (sent before any delete).
    pub restores: Vec<Restore>,
    /// What the rollback leaves, and why (counted as left).
    pub left: Vec<LeftItem>,
}

impl RollbackPlan {
    /// Objects in scope (a left line may stand for several).
    pub fn len(&self) -> usize {
        self.items.len()
            + self.restores.len()
            + self.left.iter().map(|l| l.objects as usize).sum::<usize>()
    }

    /// Whether the scope holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The plan of a rollback of `scope` (reads the ledger only).
pub fn plan(ledger: &Ledger, scope: &RollbackScope) -> ExecResult<RollbackPlan> {
    let mut items = select(ledger, scope)?;
    let mut left = Vec::new();
    if !scope.is_everything() {
        items = parts_alone(ledger, scope, items, &mut left)?;
    }
    let mut restores = Vec::new();
    if let RollbackScope::Run(run) = scope {
        restores = run_restores(ledger, *run, &items)?;
        let restored: BTreeSet<(ObjectKind, String)> = restores
            .iter()
            .map(|r| (r.kind.clone(), r.target_id.clone()))
            .collect();
        left.extend(
            updated_by(ledger, *run)?
                .into_iter()
                .filter(|l| !restored.contains(&(l.kind.clone(), l.target_id.clone()))),
        );
    }
    let created: BTreeSet<(ObjectKind, String)> = ledger
        .rollback_order()?
        .into_iter()
        .map(|i| (i.kind, i.target_id))
        .collect();
    for image in ledger.before_images()? {
        // An object the migration created is deleted, not restored.
        if created.contains(&(image.kind.clone(), image.target_id.clone())) {
            continue;
        }
        let source_id = image
            .source_id
            .clone()
            .unwrap_or_else(|| image.target_id.clone());
        let fields: Vec<BeforeField> = match scope {
            RollbackScope::All => image.fields,
            RollbackScope::Kinds(k) if k.contains(&image.kind) => image.fields,
            RollbackScope::Ids(ids) if ids.contains(&source_id) => image.fields,
            // A ledger older than per-run images: the first-ever image of the run's fields.
            RollbackScope::Run(run)
                if !restores
                    .iter()
                    .any(|r| r.kind == image.kind && r.target_id == image.target_id) =>
            {
                image
                    .fields
                    .into_iter()
                    .filter(|f| f.run == Some(*run))
                    .collect()
            }
            _ => Vec::new(),
        };
        if !fields.is_empty() {
            restores.push(Restore {
                kind: image.kind,
                source_id,
                target_id: image.target_id,
                fields,
                run: None,
            });
        }
    }
    // Pre-existing objects written before this ledger kept before-images.
    for (source_id, target_id, run) in ledger.reused_before_images(&ObjectKind::Contact)? {
        let in_scope = match scope {
            RollbackScope::All => true,
            RollbackScope::Kinds(k) => k.contains(&ObjectKind::Contact),
            RollbackScope::Ids(ids) => ids.contains(&source_id),
            RollbackScope::Run(r) => *r == run,
        };
        if !in_scope || restores.iter().any(|r| r.target_id == target_id) {
            continue;
        }
        left.push(LeftItem {
            kind: ObjectKind::Contact,
            source_id,
            target_id,
            why: format!(
                "a contact that existed before the migration, written by run {} before this \
                 ledger recorded before-images: the attributes and tags the migration wrote on \
                 it cannot be restored; compare it with `verify`'s expectations and fix it in \
                 Intercom by hand",
                run.0
            ),
            failed: false,
            objects: 1,
        });
    }
    Ok(RollbackPlan {
        items,
        restores,
        left,
    })
}

/// The objects `run` changed but did not create, to restore from `run`'s before-images (those
/// this rollback deletes are not restored).
fn run_restores(ledger: &Ledger, run: RunId, deleted: &[RollbackItem]) -> ExecResult<Vec<Restore>> {
    let deleted: BTreeSet<(&ObjectKind, &str)> = deleted
        .iter()
        .map(|i| (&i.kind, i.target_id.as_str()))
        .collect();
    let mut out = Vec::new();
    for image in ledger.run_images(run)? {
        if deleted.contains(&(&image.kind, image.target_id.as_str())) {
            continue;
        }
        out.push(Restore {
            source_id: image
                .source_id
                .clone()
                .unwrap_or_else(|| image.target_id.clone()),
            kind: image.kind,
            target_id: image.target_id,
            fields: image.fields,
            run: Some(run),
        });
    }
    Ok(out)
}

/// Parts (and other objects removed with a parent) whose parent is not deleted by this
/// rollback cannot be removed: they leave `items` and are listed, one line per parent.
fn parts_alone(
    ledger: &Ledger,
    scope: &RollbackScope,
    items: Vec<RollbackItem>,
    left: &mut Vec<LeftItem>,
) -> ExecResult<Vec<RollbackItem>> {
    let deleted: BTreeSet<String> = items
        .iter()
        .filter(|i| matches!(i.kind, ObjectKind::Ticket | ObjectKind::Conversation))
        .map(|i| i.source_id.clone())
        .collect();
    let mut kept = Vec::with_capacity(items.len());
    // Parent source id → (parts, an example part).
    let mut alone: BTreeMap<String, (u64, RollbackItem)> = BTreeMap::new();
    for item in items {
        if item.action != RollbackAction::WithParent {
            kept.push(item);
            continue;
        }
        let guid = item.source_id.split('#').next().unwrap_or(&item.source_id);
        let mut parent = None;
        if item.kind == ObjectKind::Part {
            parent = ledger.part_parent(&item.source_id)?;
            if parent.is_none() && guid != item.source_id {
                parent = ledger.part_parent(guid)?;
            }
        }
        match parent {
            Some(p) if deleted.contains(&p) => kept.push(item),
            Some(p) => {
                let e = alone.entry(p).or_insert((0, item));
                e.0 += 1;
            }
            None => left.push(LeftItem::of(
                &item,
                "removed only with its parent: Intercom cannot delete it alone",
                false,
            )),
        }
    }
    for (parent, (n, example)) in alone {
        let (target, created) = parent_of(ledger, &parent)?;
        let why = match (scope, created) {
            (RollbackScope::Run(run), Some(c)) => format!(
                "{n} part(s) appended by run {} to ticket {parent} (Intercom {target}), which run \
                 {} created: Intercom has no part delete; roll back run {} to remove the \
                 ticket with all its parts",
                run.0, c.0, c.0
            ),
            _ => format!(
                "{n} part(s) of ticket {parent} (Intercom {target}), which this rollback keeps: \
                 Intercom has no part delete; roll back the ticket to remove them with it"
            ),
        };
        left.push(LeftItem {
            kind: example.kind,
            source_id: parent,
            target_id: target,
            why,
            failed: false,
            objects: n,
        });
    }
    Ok(kept)
}

/// A ticket's (or conversation's) Intercom id and the run that created it.
fn parent_of(ledger: &Ledger, source_id: &str) -> ExecResult<(String, Option<RunId>)> {
    for kind in [ObjectKind::Ticket, ObjectKind::Conversation] {
        if let Some(target) = ledger.lookup(&kind, source_id)?.and_then(|r| r.target_id) {
            let run = ledger.creating_run(&kind, source_id, &target)?;
            return Ok((target, run));
        }
    }
    Ok((String::new(), None))
}

/// Objects an earlier run created and `run` wrote last without a before-image of `run` (parts
/// appended, a ticket written again in full, or a run recorded before per-run images): a
/// rollback of `run` keeps what `run` changed on them. (Those with an image
/// are restored instead: the caller drops them from this list.)
fn updated_by(ledger: &Ledger, run: RunId) -> ExecResult<Vec<LeftItem>> {
    let mut out = Vec::new();
    for item in ledger.written_by_run(run)? {
        if item.action == RollbackAction::WithParent {
            continue;
        }
        let created = ledger.creating_run(&item.kind, &item.source_id, &item.target_id)?;
        let Some(created) = created.filter(|c| *c != run) else {
            continue;
        };
        out.push(LeftItem::of(
            &item,
            format!(
                "created by run {} and updated by run {}: what run {} changed on it without a \
                 before-image (parts appended, a ticket written again in full, or a run \
                 recorded before this ledger kept per-run images) is kept; roll back run {} to remove it, or fix it in Intercom",
                created.0, run.0, run.0, created.0
            ),
            false,
        ));
    }
    out.sort_by(|a, b| (&a.kind, &a.source_id).cmp(&(&b.kind, &b.source_id)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::ledger::RunMode;

    /// A ledger written before before-images existed: its pre-existing contact (reused, tags
    /// attached by run 1) cannot be restored, and the plan says so, per object; a contact
    /// reused by a run after the upgrade is not listed (its writes have before-images).
    #[test]
    fn an_older_ledger_lists_the_pre_existing_contacts_it_cannot_restore() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);",
            )
            .unwrap();
            let mut applied = 0;
            while let Some(sql) = crate::ledger::migration_sql_for_tests(applied) {
                if sql.contains("before_images") {
                    break;
                }
                conn.execute_batch(sql).unwrap();
                applied += 1;
            }
            conn.execute(
                "INSERT INTO schema_version VALUES (?1, '2026-01-01T00:00:00Z')",
                [applied as i64],
            )
            .unwrap();
            conn.execute_batch(
                "INSERT INTO runs (id, started_at, spec_hash, mode, status) VALUES
                  (1, '2026-01-01T10:00:00.000000Z', 'h', 'migrate', 'succeeded');
                 INSERT INTO intents (kind, source_id, fingerprint, run_id, created_at, outcome, target_id)
                  VALUES ('contact', 'c-old', 'fp', 1, '2026-01-01T10:00:01.000000Z', 'completed', 'ic-old');
                 INSERT INTO objects (kind, source_id, target_id, status, source_hash, origin, seq, run_id, updated_at)
                  VALUES ('contact', 'c-old', 'ic-old', 'migrated', 'h', 'reused', 1, 1, '2026-01-01T10:00:01.000000Z');",
            )
            .unwrap();
        }
        let l = Ledger::open(&path).unwrap();
        let run = l.begin_run(RunMode::Migrate, "h").unwrap();
        let i = l
            .record_intent(&ObjectKind::Contact, "c-new", "fp", run)
            .unwrap();
        l.complete_intent_as(i.id, "ic-new", "h", crate::ledger::Origin::Reused)
            .unwrap();
        let p = plan(&l, &RollbackScope::All).unwrap();
        assert_eq!(p.left.len(), 1, "{:?}", p.left);
        assert_eq!(p.left[0].source_id, "c-old");
        assert!(
            p.left[0]
                .why
                .contains("before this ledger recorded before-images"),
            "{}",
            p.left[0].why
        );
        assert!(p.restores.is_empty() && p.items.is_empty());
        // Scoped to run 1 it is listed; to the later run it is not.
        assert_eq!(
            plan(&l, &RollbackScope::Run(RunId(1))).unwrap().left.len(),
            1
        );
        assert!(plan(&l, &RollbackScope::Run(run)).unwrap().left.is_empty());
    }
}
