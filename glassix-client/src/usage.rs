//! A department key's quota usage carried from one process to the next.
//!
//! Glassix counts each key's requests in calendar minutes and clock hours, whichever process
//! sent them. A `migrate` started in the minute that `discover`'s burst used would meet 429s if
//! its pacer started from nothing. So a command saves what each key sent in the last hour
//! ([`crate::Client::quota_usage`]) and the next one continues that budget
//! ([`crate::Client::continue_quota_usage`]). [`QuotaUsage::wait_for`] answers, with the
//! pacer's own arithmetic, how long `n` more requests on a key take from a given time.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use uuid::Uuid;

use crate::client::Client;
use crate::config::Quota;
use crate::throttle::book;

/// The requests one department key sent within the last hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct KeyUsage {
    /// The department id (its API key).
    pub department: Uuid,
    /// When each request was let through by the pacer, Unix milliseconds, oldest first.
    pub sent_at_ms: Vec<i64>,
}

/// Every department key's usage, as one command leaves it for the next.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QuotaUsage {
    /// When it was recorded (Unix milliseconds).
    pub recorded_at_ms: i64,
    /// Per department key.
    pub keys: Vec<KeyUsage>,
}

/// `instant` as Unix milliseconds, given that `now` is `now_ms`.
fn to_ms(instant: Instant, now: Instant, now_ms: i64) -> i64 {
    if instant >= now {
        now_ms.saturating_add(millis(instant - now))
    } else {
        now_ms.saturating_sub(millis(now - instant))
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl QuotaUsage {
    /// The usage of `department`'s key, if recorded.
    pub fn key(&self, department: Uuid) -> Option<&KeyUsage> {
        self.keys.iter().find(|k| k.department == department)
    }

    /// How long from `now` until `n` more requests on `department`'s key have been let
    /// through under `quota` (the moment the last one may be sent), the key's recorded
    /// requests counting against the same minute and hour: what the client's pacer, seeded
    /// with this usage, would do. Zero for `n = 0`; a key without usage starts afresh.
    pub fn wait_for(&self, department: Uuid, quota: Quota, n: u64, now: DateTime<Utc>) -> Duration {
        let sent = self.key(department).map_or(&[][..], |k| &k.sent_at_ms[..]);
        wait_for(quota, sent, n, now.timestamp_millis())
    }
}

/// [`QuotaUsage::wait_for`] over one key's `sent_at_ms`, on a clock of plain offsets.
pub fn wait_for(quota: Quota, sent_at_ms: &[i64], n: u64, now_ms: i64) -> Duration {
    if n == 0 {
        return Duration::ZERO;
    }
    let limits = (
        usize::try_from(quota.per_minute.max(1)).unwrap_or(usize::MAX),
        usize::try_from(quota.per_hour.max(1)).unwrap_or(usize::MAX),
    );
    // Offsets from the earliest relevant moment, so that every time is a `Duration`.
    let hour_ms = 3_600_000 + 1_000;
    let recent: Vec<i64> = sent_at_ms
        .iter()
        .copied()
        .filter(|&t| t > now_ms - hour_ms)
        .collect();
    let origin = recent.iter().copied().min().unwrap_or(now_ms).min(now_ms);
    let at = |ms: i64| Duration::from_millis(u64::try_from(ms - origin).unwrap_or(0));
    let now = at(now_ms);
    let mut minute: VecDeque<Duration> = recent.iter().map(|&t| at(t)).collect();
    let mut hour = minute.clone();
    let mut last = now;
    for _ in 0..n {
        last = book(now, None, &mut minute, &mut hour, limits, limits);
    }
    last.saturating_sub(now)
}

impl Client {
    /// What each department key sent within the last hour (with bookings still ahead), for
    /// the next command to continue with [`Client::continue_quota_usage`].
    pub fn quota_usage(&self) -> QuotaUsage {
        let now_ms = Utc::now().timestamp_millis();
        let keys = self
            .departments()
            .iter()
            .map(|d| {
                let (bookings, now) = d.state.pacer.bookings();
                KeyUsage {
                    department: d.id(),
                    sent_at_ms: bookings.iter().map(|&b| to_ms(b, now, now_ms)).collect(),
                }
            })
            .collect();
        QuotaUsage {
            recorded_at_ms: now_ms,
            keys,
        }
    }

    /// Continues the budget `usage` recorded: each configured department key's pacer counts
    /// the requests another process sent on it within the last hour, so this process does
    /// not send more than the quota in the same minute or hour (Glassix counts per key, not
    /// per process). Keys the client does not have are ignored; answers how many were seeded.
    pub fn continue_quota_usage(&self, usage: &QuotaUsage) -> usize {
        let now_ms = Utc::now().timestamp_millis();
        let mut seeded = 0;
        for d in self.departments() {
            let Some(key) = usage.key(d.id()) else {
                continue;
            };
            let now = Instant::now();
            let bookings: Vec<Instant> = key
                .sent_at_ms
                .iter()
                .filter_map(|&ms| {
                    let offset = Duration::from_millis(ms.abs_diff(now_ms));
                    if ms >= now_ms {
                        now.checked_add(offset)
                    } else {
                        now.checked_sub(offset)
                    }
                })
                .collect();
            d.state.pacer.seed(&bookings);
            seeded += 1;
        }
        seeded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: i64 = 60_000;

    #[test]
    fn a_fresh_key_sends_a_minute_quota_at_once_then_waits_for_the_window() {
        let q = Quota::new(120, 3000);
        assert_eq!(wait_for(q, &[], 0, 0), Duration::ZERO);
        assert_eq!(wait_for(q, &[], 120, 0), Duration::ZERO);
        // The 121st waits a minute and the pacer's 250 ms of slack; the 241st two.
        assert_eq!(wait_for(q, &[], 121, 0), Duration::from_millis(60_250));
        assert_eq!(wait_for(q, &[], 241, 0), Duration::from_millis(120_500));
    }

    #[test]
    fn requests_another_process_sent_count_against_the_same_minute() {
        let q = Quota::new(120, 3000);
        // 105 sent 10 s ago: 15 more go now, the 16th when the first of them is a minute old.
        let sent: Vec<i64> = vec![-10_000; 105];
        assert_eq!(wait_for(q, &sent, 15, 0), Duration::ZERO);
        assert_eq!(wait_for(q, &sent, 16, 0), Duration::from_millis(50_250));
        // Sent two minutes ago: nothing left of them in the minute window.
        let old: Vec<i64> = vec![-2 * M; 120];
        assert_eq!(wait_for(q, &old, 120, 0), Duration::ZERO);
        // …but they still count in the hour: at 150 an hour, 30 more go now, then the hour.
        let q = Quota::new(120, 150);
        assert_eq!(wait_for(q, &old, 30, 0), Duration::ZERO);
        // The 31st: an hour and 250 ms after the oldest, sent two minutes ago.
        assert_eq!(wait_for(q, &old, 31, 0), Duration::from_millis(3_480_250));
    }

    fn client(keys: &[Uuid]) -> Client {
        let mut b = Client::builder()
            .base_url("http://127.0.0.1:9")
            .quota(Quota::new(120, 3000));
        for k in keys {
            let creds = crate::Credentials::new(&k.to_string(), "secret", "u@x.test").unwrap();
            b = b.department(creds);
        }
        b.build().unwrap()
    }

    /// A command that follows another within the minute continues its budget: the second
    /// client's pacer lets through only what the first left of the minute, then waits.
    #[tokio::test(start_paused = true)]
    async fn the_next_command_continues_the_budget_the_last_one_left() {
        let key = Uuid::from_u128(7);
        let first = client(&[key]);
        let dept = first.department(key).unwrap();
        for _ in 0..100 {
            dept.state.pacer.acquire().await;
        }
        let usage = first.quota_usage();
        assert_eq!(usage.key(key).map(|k| k.sent_at_ms.len()), Some(100));
        // Through the file the CLI writes.
        let text = serde_json::to_string(&usage).unwrap();
        let usage: QuotaUsage = serde_json::from_str(&text).unwrap();

        // (No paused-time advance here: the file holds wall-clock times, which paused time
        // does not move.)
        let second = client(&[key, Uuid::from_u128(8)]);
        assert_eq!(
            second.continue_quota_usage(&usage),
            1,
            "only the key it has"
        );
        let pacer = &second.department(key).unwrap().state.pacer;
        let start = Instant::now();
        for _ in 0..20 {
            pacer.acquire().await;
        }
        assert_eq!(Instant::now(), start, "20 of the minute's 120 were left");
        pacer.acquire().await;
        // The 121st of the minute: a minute and 250 ms after the first command's first
        // request (less the few wall-clock milliseconds this test took).
        let waited = Instant::now() - start;
        assert!(
            waited >= Duration::from_millis(59_000) && waited <= Duration::from_millis(60_251),
            "{waited:?}"
        );
        // A key the usage does not name starts afresh.
        let other = &second.department(Uuid::from_u128(8)).unwrap().state.pacer;
        let start = Instant::now();
        for _ in 0..120 {
            other.acquire().await;
        }
        assert_eq!(Instant::now(), start);
    }

    /// What a command waits before its first request on a key the previous command used up
    /// (the preflight gives Glassix that much more time to answer): the pacer's own booking,
    /// without booking anything.
    #[tokio::test(start_paused = true)]
    async fn a_key_says_how_long_its_quota_holds_back_the_next_requests() {
        let key = Uuid::from_u128(9);
        let first = client(&[key]);
        let dept = first.department(key).unwrap();
        assert_eq!(dept.quota_wait(120), Duration::ZERO, "a fresh key has room");
        for _ in 0..120 {
            dept.state.pacer.acquire().await;
        }
        let second = client(&[key]);
        second.continue_quota_usage(&first.quota_usage());
        let next = second.department(key).unwrap();
        let wait = next.quota_wait(1);
        // A minute and 250 ms after the first command's first request, less the wall-clock
        // milliseconds this test took.
        assert!(
            wait >= Duration::from_millis(59_000) && wait <= Duration::from_millis(60_250),
            "{wait:?}"
        );
        assert_eq!(next.quota_wait(1), wait, "asking books nothing");
        let start = Instant::now();
        next.state.pacer.acquire().await;
        assert_eq!(Instant::now() - start, wait, "the pacer waits that long");
    }

    #[test]
    fn usage_of_another_key_does_not_count() {
        let a = Uuid::from_u128(1);
        let usage = QuotaUsage {
            recorded_at_ms: 0,
            keys: vec![KeyUsage {
                department: a,
                sent_at_ms: vec![0; 120],
            }],
        };
        let now = DateTime::<Utc>::from_timestamp_millis(1_000).unwrap_or_default();
        let q = Quota::new(120, 3000);
        assert_eq!(usage.wait_for(a, q, 1, now), Duration::from_millis(59_250));
        assert_eq!(
            usage.wait_for(Uuid::from_u128(2), q, 1, now),
            Duration::ZERO
        );
    }
}
