//! Tags: every Glassix tag of every department is found (by name) or created in Intercom, and
//! tags a tag rule produces on the way are created when a record first needs them.

use std::collections::BTreeMap;

use intercom_client::models::CreateTag;

use crate::ObjectKind;
use crate::hashing::source_hash;
use crate::ledger::{ObjectStatus, Settlement};
use crate::outcome::{Outcome, Write};
use crate::plan::StepId;

use super::error::{ExecResult, Fault};
use super::recorder::{RecordEnd, Recorder};
use super::settle::{Created, Once, keep, kept, upsert_once};
use super::state::RunState;

/// The tags step.
pub(crate) async fn run(st: &RunState, rec: &mut Recorder) -> ExecResult<()> {
    let mut names = BTreeMap::new();
    for dept in st.glassix.departments() {
        for t in dept.tags().await? {
            let n = t.name.trim();
            if !n.is_empty() {
                names
                    .entry(n.to_lowercase())
                    .or_insert_with(|| n.to_owned());
            }
        }
    }
    let existing = existing_tags(st).await?;
    st.update_directory(|d| d.tags.extend(existing.clone()));
    settle_open_tag_intents(st, &existing)?;
    rec.start(
        StepId::Tags,
        Some(ObjectKind::Tag),
        Some(names.len() as u64),
    );
    for (key, name) in &names {
        let outcome = match ensure_tag(st, key, name, existing.get(key).cloned()).await {
            Ok(end) => end,
            Err(Fault::Record(f)) => RecordEnd::new(ObjectKind::Tag, name, Outcome::Failed(f)),
            Err(Fault::Run(e)) => return Err(*e),
        };
        rec.record(StepId::Tags, outcome)?;
    }
    finish_rule_tags(st, rec, &names, &existing).await?;
    rec.finish(StepId::Tags);
    Ok(())
}

/// Tags a tag rule made on the way (not in any department's list) that an earlier run left
/// failed or pending: a ticket needing one later finds it in the directory and never records
/// it, so it is finished here: found in Intercom → migrated (see [`ensure_tag`] for created or
/// reused); not there → created now (the ledger knows a record needs it).
async fn finish_rule_tags(
    st: &RunState,
    rec: &mut Recorder,
    listed: &BTreeMap<String, String>,
    existing: &BTreeMap<String, String>,
) -> ExecResult<()> {
    for (name, _) in st.ledger.unfinished_records(&ObjectKind::Tag)? {
        let key = name.trim().to_lowercase();
        if key.is_empty() || listed.contains_key(&key) {
            continue;
        }
        let end = match ensure_tag(st, &key, &name, existing.get(&key).cloned()).await {
            Ok(end) => end,
            Err(Fault::Record(f)) => RecordEnd::new(ObjectKind::Tag, &name, Outcome::Failed(f)),
            Err(Fault::Run(e)) => return Err(*e),
        };
        rec.record(StepId::Tags, end)?;
    }
    Ok(())
}

/// Intercom's tags by lower-case name.
async fn existing_tags(st: &RunState) -> Result<BTreeMap<String, String>, intercom_client::Error> {
    Ok(st
        .intercom
        .tags()
        .list()
        .await?
        .into_iter()
        .filter_map(|t| t.name.map(|n| (n.to_lowercase(), t.id)))
        .collect())
}

/// Settles the tag creates a stopped run left open. A tag created on the way by a ticket (a tag
/// rule) is found in the directory by the next run and never created again, so nothing else
/// would ever settle its intent: look it up in Intercom's tag list (`existing`, by lower-case
/// name) now. A tag that is not there was never created; its record returns to pending and is
/// created when a ticket needs it.
fn settle_open_tag_intents(st: &RunState, existing: &BTreeMap<String, String>) -> ExecResult<()> {
    for intent in st.ledger.open_intents()? {
        if intent.kind != ObjectKind::Tag {
            continue;
        }
        let key = intent.source_id.trim().to_lowercase();
        let settlement = match existing.get(&key) {
            Some(id) => Settlement::Found {
                target_id: id.clone(),
                source_hash: source_hash(&key)?,
            },
            None => Settlement::NotCreated,
        };
        st.ledger.settle_intent(intent.id, settlement)?;
    }
    Ok(())
}

/// The Intercom id of tag `name`, creating the tag when it is new (a tag rule's tag, met on the
/// way by a record).
pub(crate) async fn tag_id(st: &RunState, name: &str) -> Result<Option<String>, Fault> {
    let key = name.trim().to_lowercase();
    if key.is_empty() {
        return Ok(None);
    }
    if let Some(id) = st.directory().tag_id(&key) {
        return Ok(Some(id.to_owned()));
    }
    // One creator per tag: concurrent tickets wait, then find it in the directory.
    let lock = st.lock_for(&format!("tag:{key}"));
    let _guard = lock.lock().await;
    if let Some(id) = st.directory().tag_id(&key) {
        return Ok(Some(id.to_owned()));
    }
    match ensure_tag(st, &key, name.trim(), None).await {
        Ok(_) => {}
        // The tag's own record ends failed too (the record needing it fails with it): else it
        // would stay pending, in no column of the run's counts. The next run's tags step
        // finishes it ([`finish_rule_tags`]).
        Err(Fault::Record(f)) => {
            let status = st.ledger.lookup(&ObjectKind::Tag, name.trim())?;
            if status.is_none_or(|r| r.status == ObjectStatus::Pending) {
                st.ledger
                    .mark_failed(&ObjectKind::Tag, name.trim(), &f.message, st.run)?;
            }
            return Err(Fault::Record(f));
        }
        Err(run) => return Err(run),
    }
    Ok(st.directory().tag_id(&key).map(str::to_owned))
}

/// Finds (`existing`, Intercom's id of a tag of that name) or creates one tag, and records its
/// id in the directory.
async fn ensure_tag(
    st: &RunState,
    key: &str,
    name: &str,
    existing: Option<String>,
) -> Result<RecordEnd, Fault> {
    let kind = ObjectKind::Tag;
    let hash = source_hash(&key)?;
    if let Some(id) = existing {
        // Migrated before: unchanged. New to the ledger, or left failed or pending by an
        // earlier run (its create's answer lost, say): the tag is there now, so the record is
        // migrated: as created when a create of this migration settled on this very tag (the
        // ledger's intent names it), else as reused, because the ledger cannot show that this
        // migration created it (a rollback then leaves the tag rather than risk deleting one
        // of the workspace's). Intercom gives a tag no creation time to compare.
        let migrated = st
            .ledger
            .lookup(&kind, name)?
            .is_some_and(|r| r.status == ObjectStatus::Migrated);
        return Ok(if migrated {
            RecordEnd::new(kind, name, Outcome::Unchanged { target_id: id })
        } else {
            let write = if st.ledger.creating_run(&kind, name, &id)?.is_some() {
                Write::Found
            } else {
                Write::Reused
            };
            let found = Outcome::Migrated {
                target_id: id,
                write,
            };
            RecordEnd::new(kind, name, found).hash(hash)
        });
    }
    let req = CreateTag {
        name: name.to_owned(),
        id: None,
    };
    let outcome = upsert_once(
        st,
        Once::new(&kind, name, &hash, &hash),
        || async { st.writer.create_tag(&req).await.map(Created::from) },
        || async { Ok(existing_tags(st).await?.get(key).cloned()) },
        keep,
    )
    .await?;
    st.writer.expected_if_found(&kind, &outcome, |w| {
        (*w == Write::Found).then(|| crate::verify::expect::tag(&req))
    })?;
    if let Some(id) = outcome.target_id() {
        let id = id.to_owned();
        st.update_directory(|d| {
            d.tags.insert(key.to_owned(), id);
        });
    }
    Ok(RecordEnd::new(kind, name, kept(outcome)))
}
