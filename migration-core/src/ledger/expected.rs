//! Expectations: what Intercom should hold of every object the migration wrote, recorded at
//! write time (so that `verify` never re-reads Glassix), and the outcome of the last
//! verification of each object (so that a verification resumes).
//!
//! One row per written object or part: a JSON object of field → value in the canonical form
//! `verify` compares (see [`crate::verify`]). A later write to the same object (an update, an
//! action, a tag) merges its fields in: the row stays what Intercom should hold now. Any
//! change to an object's expectation (or to one of its parts') forgets its last verification.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::{Ledger, now_text};
use crate::error::{Error, Result};
use crate::kind::ObjectKind;

/// Field path → expected value, e.g. `custom_attributes.Channel` → `"WhatsApp"`.
pub type ExpectedFields = BTreeMap<String, Value>;

/// The field whose values are a set: merged by union rather than replaced.
const SET_FIELD: &str = "tags";

/// The key under which a write lists members it removed from the `tags` set (a tag detached by
/// a delta). Never stored: merging takes them out of the set.
pub const SET_REMOVED: &str = "tags.removed";

/// What Intercom should hold of one written object or part.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// Object kind (`part` for a part).
    pub kind: ObjectKind,
    /// Intercom id (for attributes: the name).
    pub target_id: String,
    /// The ticket or conversation a part belongs to.
    pub parent_id: Option<String>,
    /// A part's position in its ticket (0-based, the order it was written).
    pub position: Option<i64>,
    /// The expected fields.
    pub fields: ExpectedFields,
}

/// Merges `new` into `old`: values replace, except [`SET_FIELD`], whose string arrays unite
/// (sorted, without duplicates), and [`SET_REMOVED`], whose members leave that set.
fn merge(old: &mut ExpectedFields, new: &ExpectedFields) {
    for (k, v) in new {
        if k == SET_REMOVED {
            if let (Some(Value::Array(have)), Value::Array(gone)) = (old.get_mut(SET_FIELD), v) {
                have.retain(|x| !gone.contains(x));
            }
            continue;
        }
        match (k.as_str(), old.get_mut(k), v) {
            (SET_FIELD, Some(Value::Array(have)), Value::Array(add)) => {
                let mut all: Vec<String> = have
                    .iter()
                    .chain(add)
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect();
                all.sort();
                all.dedup();
                *have = all.into_iter().map(Value::String).collect();
            }
            _ => {
                old.insert(k.clone(), v.clone());
            }
        }
    }
}

fn parse_fields(kind: &str, id: &str, text: &str) -> Result<ExpectedFields> {
    serde_json::from_str(text).map_err(|e| {
        Error::LedgerState(format!(
            "the expected fields of {kind} `{id}` in the ledger are not a JSON object ({e}); \
             run `migrate` again to rewrite them, or `verify` will skip this object"
        ))
    })
}

fn encode(fields: &ExpectedFields) -> Result<String> {
    serde_json::to_string(fields)
        .map_err(|e| Error::LedgerState(format!("cannot encode expected fields: {e}")))
}

type Row = (String, String, Option<String>, Option<i64>, String);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn expectation((kind, target_id, parent_id, position, text): Row) -> Result<Expectation> {
    let fields = parse_fields(&kind, &target_id, &text)?;
    Ok(Expectation {
        kind: ObjectKind::from(kind),
        target_id,
        parent_id,
        position,
        fields,
    })
}

/// An object's first expectation; an existing row is left alone (0 rows changed).
const INSERT_NEW: &str =
    "INSERT INTO expected (kind, target_id, parent_id, position, fields, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (kind, target_id) DO NOTHING";

/// An expectation merged with the row before: the row takes its fields.
const UPSERT: &str =
    "INSERT INTO expected (kind, target_id, parent_id, position, fields, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (kind, target_id) DO UPDATE SET
        parent_id = COALESCE(excluded.parent_id, parent_id),
        position = COALESCE(excluded.position, position),
        fields = excluded.fields, updated_at = excluded.updated_at";

/// Forgets the last verification of one Intercom id, whatever its kind.
const FORGET_VERIFICATION: &str = "DELETE FROM verified WHERE target_id = ?1";

/// Runs [`INSERT_NEW`] or [`UPSERT`] for one row; the rows changed.
fn store(
    tx: &rusqlite::Connection,
    sql: &'static str,
    kind: &ObjectKind,
    target_id: &str,
    parent: Option<(&str, i64)>,
    fields_text: &str,
) -> Result<usize> {
    tx.prepare_cached(sql)
        .and_then(|mut s| {
            s.execute(params![
                kind.as_str(),
                target_id,
                parent.map(|p| p.0),
                parent.map(|p| p.1),
                fields_text,
                now_text()
            ])
        })
        .map_err(Error::ledger("record expected fields"))
}

impl Ledger {
    /// Records (or merges into) what Intercom should hold of `kind` `target_id`; `parent` is
    /// the ticket or conversation and position of a part. Forgets the last verification of the
    /// object and of its parent.
    pub fn expect(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        parent: Option<(&str, i64)>,
        fields: &ExpectedFields,
    ) -> Result<()> {
        // The verifications are forgotten first and the fields stored last, each statement
        // atomic: a failure part-way leaves at most a verification forgotten (the object is
        // then checked again), never fields stored with a verification of older ones. So its
        // failure (which the executor only logs) need not lose the open group
        // (`Ledger::write_deferred_any_prefix`).
        self.write_deferred_any_prefix("record expected fields", |tx| {
            // One equality delete per id: `target_id = ?1 OR target_id = ?2` is planned as a
            // multi-index OR, which cost a part's write about 20,000 instructions under
            // callgrind against a few thousand for each plain look-up (`docs/performance.md`,
            // "Ninth pass").
            let forget = |id: &str| {
                tx.prepare_cached(FORGET_VERIFICATION)
                    .and_then(|mut s| s.execute(params![id]))
                    .map(drop)
                    .map_err(Error::ledger("forget verification"))
            };
            forget(target_id)?;
            if let Some((p, _)) = parent.filter(|(p, _)| *p != target_id) {
                forget(p)?;
            }
            // Most expectations are an object's first (every part, every create): merged into
            // nothing, `fields` is what to store, so it is inserted without a read. Only a row
            // that exists already (or a write that removes tags) is read and merged below.
            if !fields.contains_key(SET_REMOVED) {
                let text = encode(fields)?;
                if store(tx, INSERT_NEW, kind, target_id, parent, &text)? == 1 {
                    return Ok(());
                }
            }
            let old: Option<String> = tx
                .prepare_cached("SELECT fields FROM expected WHERE kind = ?1 AND target_id = ?2")
                .and_then(|mut s| {
                    s.query_row(params![kind.as_str(), target_id], |r| r.get(0))
                        .optional()
                })
                .map_err(Error::ledger("read expected fields"))?;
            let mut all = match old {
                Some(t) => parse_fields(kind.as_str(), target_id, &t)?,
                None => ExpectedFields::new(),
            };
            merge(&mut all, fields);
            store(tx, UPSERT, kind, target_id, parent, &encode(&all)?)?;
            Ok(())
        })
    }

    /// The expectation of one object, if one was recorded.
    pub fn expectation(&self, kind: &ObjectKind, target_id: &str) -> Result<Option<Expectation>> {
        let r = self
            .lock()
            .prepare_cached(
                "SELECT kind, target_id, parent_id, position, fields FROM expected
                  WHERE kind = ?1 AND target_id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![kind.as_str(), target_id], row)
                    .optional()
            })
            .map_err(Error::ledger("read expected fields"))?;
        r.map(expectation).transpose()
    }

    /// The expectations of a ticket's or conversation's parts, in the order they were written.
    pub fn expected_parts(&self, parent_id: &str) -> Result<Vec<Expectation>> {
        let rows = {
            let conn = self.lock();
            let mut s = conn
                .prepare_cached(
                    "SELECT kind, target_id, parent_id, position, fields FROM expected
                      WHERE parent_id = ?1 ORDER BY position, target_id",
                )
                .map_err(Error::ledger("read expected parts"))?;
            s.query_map(params![parent_id], row)
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(Error::ledger("read expected parts"))?
        };
        rows.into_iter().map(expectation).collect()
    }

    /// Objects with an expectation, by kind (parts not included).
    pub fn expected_counts(&self) -> Result<BTreeMap<ObjectKind, u64>> {
        let conn = self.lock();
        let mut s = conn
            .prepare_cached(
                "SELECT kind, COUNT(*) FROM expected WHERE parent_id IS NULL GROUP BY kind",
            )
            .map_err(Error::ledger("count expectations"))?;
        let rows = s
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(Error::ledger("count expectations"))?;
        Ok(rows
            .into_iter()
            .map(|(k, n)| (ObjectKind::from(k), u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The last verification of one object: whether it was equal, and its result document.
    pub fn verification(
        &self,
        kind: &ObjectKind,
        target_id: &str,
    ) -> Result<Option<(bool, Value)>> {
        let r: Option<(bool, String)> = self
            .lock()
            .prepare_cached("SELECT equal, result FROM verified WHERE kind = ?1 AND target_id = ?2")
            .and_then(|mut s| {
                s.query_row(params![kind.as_str(), target_id], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(Error::ledger("read verification"))?;
        r.map(|(eq, text)| {
            serde_json::from_str(&text).map(|v| (eq, v)).map_err(|e| {
                Error::LedgerState(format!(
                    "the stored verification of {kind} `{target_id}` is not JSON ({e}); \
                         run `verify --again`"
                ))
            })
        })
        .transpose()
    }

    /// Records the outcome of verifying one object.
    pub fn record_verification(
        &self,
        kind: &ObjectKind,
        target_id: &str,
        equal: bool,
        result: &Value,
    ) -> Result<()> {
        self.write("record verification", |tx| {
            tx.prepare_cached(
                "INSERT INTO verified (kind, target_id, equal, result, verified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, target_id) DO UPDATE SET equal = excluded.equal,
                    result = excluded.result, verified_at = excluded.verified_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    kind.as_str(),
                    target_id,
                    equal,
                    result.to_string(),
                    now_text()
                ])
            })
            .map_err(Error::ledger("record verification"))?;
            Ok(())
        })
    }

    /// The objects of `kinds` recorded as migrated, with their Intercom id and whether they
    /// were reused (found in Intercom, not written), in the order they were recorded.
    pub fn migrated_objects(
        &self,
        kinds: &[ObjectKind],
    ) -> Result<Vec<(ObjectKind, String, String, bool)>> {
        let conn = self.lock();
        let mut s = conn
            .prepare_cached(
                "SELECT kind, source_id, target_id, COALESCE(origin, '') = 'reused' FROM objects
                  WHERE status = 'migrated' AND target_id IS NOT NULL
                  ORDER BY seq, id",
            )
            .map_err(Error::ledger("list migrated objects"))?;
        let rows = s
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(Error::ledger("list migrated objects"))?;
        let mut out: Vec<_> = rows
            .into_iter()
            .map(|(k, s, t, r)| (ObjectKind::from(k), s, t, r))
            .filter(|(k, ..)| kinds.contains(k))
            .collect();
        out.sort_by_key(|(k, ..)| kinds.iter().position(|x| x == k));
        Ok(out)
    }

    /// Forgets every verification (`verify --again` checks everything anew).
    pub fn clear_verifications(&self) -> Result<()> {
        self.write("clear verifications", |tx| {
            tx.execute("DELETE FROM verified", [])
                .map_err(Error::ledger("clear verifications"))?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields(v: Value) -> ExpectedFields {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn later_writes_merge_and_tags_unite() -> Result<()> {
        let l = Ledger::open_in_memory()?;
        let k = ObjectKind::Ticket;
        l.expect(&k, "7", None, &fields(json!({"open": true, "tags": ["b"]})))?;
        l.record_verification(&k, "7", true, &json!({"equal": true}))?;
        l.expect(
            &k,
            "7",
            None,
            &fields(json!({"open": false, "tags": ["a", "b"]})),
        )?;
        let e = l.expectation(&k, "7")?.map(|e| e.fields);
        assert_eq!(e, Some(fields(json!({"open": false, "tags": ["a", "b"]}))));
        assert_eq!(
            l.verification(&k, "7")?,
            None,
            "a change forgets the verification"
        );
        Ok(())
    }

    #[test]
    fn a_first_expectation_is_stored_as_given_and_forgets_an_older_verification() -> Result<()> {
        let l = Ledger::open_in_memory()?;
        let k = ObjectKind::Contact;
        // A verification left from before (an object verified, then its expectation removed).
        l.record_verification(&k, "c1", false, &json!({"equal": false}))?;
        l.expect(
            &k,
            "c1",
            None,
            &fields(json!({"name": "Dana", "tags": ["z", "a"]})),
        )?;
        let e = l.expectation(&k, "c1")?.map(|e| e.fields);
        assert_eq!(e, Some(fields(json!({"name": "Dana", "tags": ["z", "a"]}))));
        assert_eq!(l.verification(&k, "c1")?, None);
        // A first write that removes tags never stores the removal itself.
        l.expect(
            &k,
            "c2",
            None,
            &fields(json!({"tags": ["a"], SET_REMOVED: ["b"]})),
        )?;
        let e = l.expectation(&k, "c2")?.map(|e| e.fields);
        assert_eq!(e, Some(fields(json!({"tags": ["a"]}))));
        Ok(())
    }

    #[test]
    fn forgetting_a_verification_looks_it_up_by_index_not_by_scanning() -> Result<()> {
        let l = Ledger::open_in_memory()?;
        let plan: Vec<String> = {
            let conn = l.lock();
            let mut s = conn
                .prepare(&format!("EXPLAIN QUERY PLAN {FORGET_VERIFICATION}"))
                .map_err(Error::ledger("explain"))?;
            s.query_map(params!["a"], |r| r.get::<_, String>(3))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(Error::ledger("explain"))?
        };
        assert!(
            !plan.is_empty() && plan.iter().all(|p| p.contains("verified_target")),
            "every step uses the index: {plan:?}"
        );
        Ok(())
    }

    #[test]
    fn a_merged_expectation_forgets_its_own_and_its_parents_verification_only() -> Result<()> {
        let l = Ledger::open_in_memory()?;
        let (t, p) = (&ObjectKind::Ticket, &ObjectKind::Part);
        l.expect(t, "7", None, &ExpectedFields::new())?;
        l.expect(p, "p1", Some(("7", 0)), &fields(json!({"body": "a"})))?;
        l.expect(t, "8", None, &ExpectedFields::new())?;
        for (k, id) in [(t, "7"), (p, "p1"), (t, "8")] {
            l.record_verification(k, id, true, &json!({}))?;
        }
        // A second write to the part: merged (not a first insert), it still forgets both.
        l.expect(p, "p1", Some(("7", 0)), &fields(json!({"body": "b"})))?;
        assert_eq!(l.verification(p, "p1")?, None);
        assert_eq!(l.verification(t, "7")?, None);
        assert_eq!(l.verification(t, "8")?, Some((true, json!({}))));
        // An object without a parent forgets only its own.
        l.record_verification(t, "7", true, &json!({}))?;
        l.expect(t, "8", None, &fields(json!({"state": "open"})))?;
        assert_eq!(l.verification(t, "8")?, None);
        assert_eq!(l.verification(t, "7")?, Some((true, json!({}))));
        Ok(())
    }

    #[test]
    fn parts_are_listed_in_written_order_and_forget_the_parents_verification() -> Result<()> {
        let l = Ledger::open_in_memory()?;
        l.expect(&ObjectKind::Ticket, "7", None, &ExpectedFields::new())?;
        l.record_verification(&ObjectKind::Ticket, "7", true, &json!({}))?;
        l.expect(
            &ObjectKind::Part,
            "p2",
            Some(("7", 1)),
            &fields(json!({"body": "b"})),
        )?;
        l.expect(
            &ObjectKind::Part,
            "p1",
            Some(("7", 0)),
            &fields(json!({"body": "a"})),
        )?;
        let ids: Vec<String> = l
            .expected_parts("7")?
            .into_iter()
            .map(|e| e.target_id)
            .collect();
        assert_eq!(ids, ["p1", "p2"]);
        assert_eq!(l.verification(&ObjectKind::Ticket, "7")?, None);
        assert_eq!(l.expected_counts()?.get(&ObjectKind::Ticket), Some(&1));
        assert_eq!(l.expected_counts()?.get(&ObjectKind::Part), None);
        Ok(())
    }
}
