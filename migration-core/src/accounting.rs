//! Accounting: every source record ends migrated, queued with a reason, skipped by a rule with
//! a reason, or failed — and the counts add up.
//!
//! The invariant checked per object kind is
//! `source == migrated + queued + skipped + failed`. A record still `pending` or `intent` (or
//! rolled back) is unaccounted and makes the kind unbalanced.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::kind::ObjectKind;
use crate::ledger::StatusCounts;

pub use crate::outcome::Outcome;

/// Counts for one object kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunCounts {
    /// Source records seen.
    pub source: u64,
    /// Migrated.
    pub migrated: u64,
    /// Queued with a reason.
    pub queued: u64,
    /// Skipped by a rule with a reason.
    pub skipped: u64,
    /// Failed.
    pub failed: u64,
    /// Of `migrated`: records already up to date in Intercom, for which nothing was written (a
    /// rerun or a delta meeting a record it migrated before). Not a fifth outcome: they are
    /// counted in `migrated` too, so `source == migrated + queued + skipped + failed` holds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unchanged: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl RunCounts {
    /// `migrated + queued + skipped + failed`.
    pub fn accounted(&self) -> u64 {
        self.migrated + self.queued + self.skipped + self.failed
    }

    /// Whether `source == migrated + queued + skipped + failed`.
    pub fn is_balanced(&self) -> bool {
        self.source == self.accounted()
    }

    /// `source − accounted`: positive when records are missing, negative when some were
    /// counted twice.
    pub fn difference(&self) -> i64 {
        self.source as i64 - self.accounted() as i64
    }

    /// From the ledger's status counts: every row is a source record; pending, intent and
    /// rolled-back rows are unaccounted.
    pub fn from_status(c: &StatusCounts) -> Self {
        RunCounts {
            source: c.total(),
            migrated: c.migrated,
            queued: c.queued,
            skipped: c.skipped,
            failed: c.failed,
            unchanged: 0,
        }
    }
}

/// A kind whose counts do not add up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Imbalance {
    /// Object kind.
    pub kind: ObjectKind,
    /// Its counts.
    pub counts: RunCounts,
    /// `source − accounted`.
    pub difference: i64,
}

/// Per-kind counts for a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    by_kind: BTreeMap<ObjectKind, RunCounts>,
}

impl Accounting {
    /// Empty accounting.
    pub fn new() -> Self {
        Self::default()
    }

    /// From the ledger's counts per kind (see [`RunCounts::from_status`]).
    pub fn from_ledger_counts(counts: &BTreeMap<ObjectKind, StatusCounts>) -> Self {
        Accounting {
            by_kind: counts
                .iter()
                .map(|(k, c)| (k.clone(), RunCounts::from_status(c)))
                .collect(),
        }
    }

    /// Count `n` source records of `kind`.
    pub fn add_source(&mut self, kind: &ObjectKind, n: u64) {
        self.entry(kind).source += n;
    }

    /// Count where one record ended.
    pub fn record(&mut self, kind: &ObjectKind, outcome: &Outcome) {
        let c = self.entry(kind);
        match outcome {
            Outcome::Migrated { .. } => c.migrated += 1,
            Outcome::Unchanged { .. } => {
                c.migrated += 1;
                c.unchanged += 1;
            }
            Outcome::Queued(_) => c.queued += 1,
            Outcome::Skipped(_) => c.skipped += 1,
            Outcome::Failed(_) => c.failed += 1,
        }
    }

    fn entry(&mut self, kind: &ObjectKind) -> &mut RunCounts {
        self.by_kind.entry(kind.clone()).or_default()
    }

    /// Counts of one kind.
    pub fn counts(&self, kind: &ObjectKind) -> RunCounts {
        self.by_kind.get(kind).copied().unwrap_or_default()
    }

    /// Counts of every kind seen.
    pub fn by_kind(&self) -> &BTreeMap<ObjectKind, RunCounts> {
        &self.by_kind
    }

    /// The kinds whose counts do not add up.
    pub fn imbalances(&self) -> Vec<Imbalance> {
        self.by_kind
            .iter()
            .filter(|(_, c)| !c.is_balanced())
            .map(|(k, c)| Imbalance {
                kind: k.clone(),
                counts: *c,
                difference: c.difference(),
            })
            .collect()
    }

    /// `Ok` when every kind balances; otherwise [`Error::Unbalanced`] naming each kind.
    pub fn check(&self) -> Result<()> {
        let imbalances = self.imbalances();
        if imbalances.is_empty() {
            return Ok(());
        }
        let details = imbalances
            .iter()
            .map(|i| {
                format!(
                    "{}: source {} ≠ migrated {} + queued {} + skipped {} + failed {} ({} {})",
                    i.kind,
                    i.counts.source,
                    i.counts.migrated,
                    i.counts.queued,
                    i.counts.skipped,
                    i.counts.failed,
                    i.difference.abs(),
                    if i.difference > 0 {
                        "unaccounted"
                    } else {
                        "counted twice"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        Err(Error::Unbalanced { details })
    }

    /// A Markdown table with a ✓/✗ per kind and a closing verdict.
    pub fn to_markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "| Object | Source | Migrated | Queued | Skipped | Failed | Adds up |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|:---:|");
        for (k, c) in &self.by_kind {
            let _ = writeln!(
                o,
                "| {k} | {} | {} | {} | {} | {} | {} |",
                c.source,
                c.migrated,
                c.queued,
                c.skipped,
                c.failed,
                if c.is_balanced() { "✓" } else { "✗" }
            );
        }
        match self.check() {
            Ok(()) => {
                let _ = writeln!(o, "\nEvery source record is accounted for.");
            }
            Err(e) => {
                let _ = writeln!(o, "\n**Counts do not add up:** {e}");
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Reason;

    #[test]
    fn balanced_when_every_record_ends_somewhere() {
        let mut a = Accounting::new();
        let k = ObjectKind::Ticket;
        a.add_source(&k, 4);
        a.record(&k, &Outcome::created("x"));
        a.record(
            &k,
            &Outcome::Queued(Reason::new("missing_email", "no e-mail")),
        );
        a.record(
            &k,
            &Outcome::Skipped(Reason::new("scrambled", "isScrambled")),
        );
        a.record(&k, &Outcome::failed("HTTP 500"));
        assert!(a.counts(&k).is_balanced());
        a.check().unwrap();
        assert!(
            a.to_markdown()
                .contains("| ticket | 4 | 1 | 1 | 1 | 1 | ✓ |")
        );
    }

    #[test]
    fn missing_and_double_counted_records_are_reported() {
        let mut a = Accounting::new();
        a.add_source(&ObjectKind::Contact, 3);
        a.record(&ObjectKind::Contact, &Outcome::created("x"));
        a.add_source(&ObjectKind::Tag, 1);
        a.record(&ObjectKind::Tag, &Outcome::created("x"));
        a.record(&ObjectKind::Tag, &Outcome::created("x"));
        let im = a.imbalances();
        assert_eq!(im.len(), 2);
        let diff = |k: ObjectKind| im.iter().find(|i| i.kind == k).unwrap().difference;
        assert_eq!(diff(ObjectKind::Contact), 2);
        assert_eq!(diff(ObjectKind::Tag), -1);
        let msg = a.check().unwrap_err().to_string();
        assert!(msg.contains("contact: source 3"), "{msg}");
        assert!(msg.contains("2 unaccounted"), "{msg}");
        assert!(msg.contains("1 counted twice"), "{msg}");
        assert!(a.to_markdown().contains("✗"));
    }

    #[test]
    fn from_ledger_counts_treats_pending_as_unaccounted() {
        let mut counts = BTreeMap::new();
        counts.insert(
            ObjectKind::Contact,
            StatusCounts {
                migrated: 5,
                queued: 1,
                pending: 2,
                ..Default::default()
            },
        );
        counts.insert(
            ObjectKind::Tag,
            StatusCounts {
                migrated: 2,
                skipped: 1,
                ..Default::default()
            },
        );
        let a = Accounting::from_ledger_counts(&counts);
        assert_eq!(a.counts(&ObjectKind::Contact).source, 8);
        assert_eq!(a.imbalances().len(), 1);
        assert_eq!(a.imbalances()[0].kind, ObjectKind::Contact);
        assert!(a.counts(&ObjectKind::Tag).is_balanced());
        assert_eq!(
            serde_json::to_value(a.by_kind()).unwrap()["tag"]["migrated"],
            2
        );
    }
}
