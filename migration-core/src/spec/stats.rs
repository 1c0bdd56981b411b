//! Bounded value statistics of a custom field: how often each value occurs, in one department
//! or over all of them. Discovery counts with a [`ValueCounter`]; the proposal infers types from
//! the resulting [`ValueStats`].
//!
//! Memory is bounded: a counter tracks at most [`TRACKED_DISTINCT`] distinct values. When a
//! field has more, it keeps those whose stable hash is smallest (a bottom-k sketch): a uniform
//! sample of the distinct values that does not depend on the order the tickets were read in,
//! with exact counts for the values it keeps.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Distinct values a [`ValueCounter`] tracks with exact counts.
pub const TRACKED_DISTINCT: usize = 1_000;

/// Distinct values kept in [`ValueStats::top`] by [`ValueCounter::stats`].
pub const TOP_VALUES: usize = 100;

/// One value and how many times it occurred.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValueCount {
    /// The value, trimmed.
    pub value: String,
    /// Occurrences.
    pub count: u64,
}

/// Bounded statistics of one field's values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValueStats {
    /// Values seen, blank ones included.
    pub total: u64,
    /// Blank values (empty or white space only).
    pub blank: u64,
    /// Distinct non-blank values; a lower bound when `distinct_capped`.
    pub distinct: u64,
    /// More distinct values occurred than were tracked (then `top` is a sample of them).
    #[serde(default)]
    pub distinct_capped: bool,
    /// The most frequent non-blank values with their counts, most frequent first (ties in a
    /// stable pseudo-random order), at most [`TOP_VALUES`].
    pub top: Vec<ValueCount>,
    /// Occurrences of non-blank values not listed in `top`.
    pub other: u64,
}

impl ValueStats {
    /// Statistics of a list of raw values (each occurrence counted).
    pub fn from_values<S: AsRef<str>>(values: &[S]) -> Self {
        let mut c = ValueCounter::default();
        for v in values {
            c.observe(v.as_ref());
        }
        c.stats(TOP_VALUES)
    }

    /// Non-blank occurrences (listed or not).
    pub fn non_blank(&self) -> u64 {
        self.total.saturating_sub(self.blank)
    }

    /// Occurrences of the listed values.
    pub fn listed(&self) -> u64 {
        self.top.iter().map(|v| v.count).sum()
    }

    /// Whether `top` lists every non-blank value.
    pub fn complete(&self) -> bool {
        self.other == 0 && !self.distinct_capped
    }
}

/// Counts a field's values with bounded memory (see the module documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValueCounter {
    total: u64,
    blank: u64,
    /// Tracked values keyed by (stable hash, value).
    counts: BTreeMap<(u64, String), u64>,
    /// Non-blank occurrences of values no longer (or never) tracked.
    untracked: u64,
    capped: bool,
}

/// FNV-1a, 64 bits: stable across runs and platforms.
fn stable_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl ValueCounter {
    /// Counts one raw value (trimmed; blank values are counted as blank).
    pub fn observe(&mut self, raw: &str) {
        self.total += 1;
        let v = raw.trim();
        if v.is_empty() {
            self.blank += 1;
            return;
        }
        self.add((stable_hash(v), v.to_owned()), 1);
    }

    fn add(&mut self, key: (u64, String), n: u64) {
        if let Some(c) = self.counts.get_mut(&key) {
            *c += n;
            return;
        }
        if self.counts.len() >= TRACKED_DISTINCT {
            self.capped = true;
            // Keep the smallest hashes: drop the new value or the largest tracked one.
            let largest = self.counts.last_key_value().map(|(k, _)| k.clone());
            match largest {
                Some(l) if key < l => {
                    if let Some(c) = self.counts.remove(&l) {
                        self.untracked += c;
                    }
                }
                _ => {
                    self.untracked += n;
                    return;
                }
            }
        }
        self.counts.insert(key, n);
    }

    /// Adds another counter's counts (for statistics over several departments).
    pub fn merge(&mut self, other: &ValueCounter) {
        self.total += other.total;
        self.blank += other.blank;
        self.untracked += other.untracked;
        self.capped |= other.capped;
        for (k, n) in &other.counts {
            self.add(k.clone(), *n);
        }
    }

    /// Whether no value was observed.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Whether every value observed was blank.
    pub fn all_blank(&self) -> bool {
        self.total == self.blank
    }

    /// The statistics, listing at most `top` values.
    pub fn stats(&self, top: usize) -> ValueStats {
        let mut by_count: Vec<(&(u64, String), &u64)> = self.counts.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<ValueCount> = by_count
            .iter()
            .take(top)
            .map(|((_, v), n)| ValueCount {
                value: v.clone(),
                count: **n,
            })
            .collect();
        let listed_sum: u64 = listed.iter().map(|v| v.count).sum();
        ValueStats {
            total: self.total,
            blank: self.blank,
            distinct: self.counts.len() as u64,
            distinct_capped: self.capped,
            other: self.total - self.blank - listed_sum,
            top: listed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_blanks_repeats_and_lists_the_most_frequent_first() {
        let s = ValueStats::from_values(&["gold", " gold ", "", "silver", "  ", "gold"]);
        assert_eq!((s.total, s.blank, s.distinct, s.other), (6, 2, 2, 0));
        assert_eq!(
            s.top,
            vec![
                ValueCount {
                    value: "gold".into(),
                    count: 3
                },
                ValueCount {
                    value: "silver".into(),
                    count: 1
                }
            ]
        );
        assert!(s.complete());
        assert_eq!(s.non_blank(), 4);
    }

    #[test]
    fn memory_is_bounded_and_the_result_does_not_depend_on_order() {
        let values: Vec<String> = (0..3 * TRACKED_DISTINCT)
            .map(|i| format!("v{}", i % (2 * TRACKED_DISTINCT)))
            .collect();
        let mut forward = ValueCounter::default();
        values.iter().for_each(|v| forward.observe(v));
        let mut backward = ValueCounter::default();
        values.iter().rev().for_each(|v| backward.observe(v));
        assert_eq!(forward, backward);
        let s = forward.stats(TOP_VALUES);
        assert!(s.distinct_capped);
        assert_eq!(s.distinct, TRACKED_DISTINCT as u64);
        assert_eq!(s.top.len(), TOP_VALUES);
        assert_eq!(s.listed() + s.other, s.non_blank());
        // Halves merged equal the whole.
        let (a, b) = values.split_at(values.len() / 2);
        let mut left = ValueCounter::default();
        a.iter().for_each(|v| left.observe(v));
        let mut right = ValueCounter::default();
        b.iter().for_each(|v| right.observe(v));
        left.merge(&right);
        assert_eq!(left, forward);
    }
}
