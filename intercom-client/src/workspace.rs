//! Several app tokens of one workspace: which token sends a request, and the workspace-wide
//! pacer that keeps all of them together under a share of the workspace's limit.
//!
//! Intercom limits each app (10,000 calls/min by default) and the whole workspace (25,000/min):
//! every app installed on the workspace draws from the workspace total, the other integrations
//! included. A client given several tokens (one per private app of the same workspace) paces
//! each token under its own `X-RateLimit-*` headers, as with one token, and sends no faster than
//! [`WorkspaceLimit::per_second`] across all of them, evenly spaced, so that no window of the
//! workspace's sees more than its share, whatever its alignment.
//!
//! Routing keeps an object on one token: a request addressed to an object (`/tickets/{id}/…`,
//! `/conversations/{id}/…`, `/contacts/{id}`) goes to the token chosen by a hash of the object's
//! id, so every part appended to a ticket or a conversation goes through the same token, in the
//! order the caller sends them. Requests not addressed to an object (creates, searches,
//! listings) are spread round-robin.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The workspace's limit and the share of it the client may use (only applied with more than
/// one token: one token is bounded by its own app limit, below the workspace's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkspaceLimit {
    /// The workspace's limit, requests per minute across every app (Intercom's default 25,000).
    pub per_minute: u32,
    /// The fraction of `per_minute` this client may use, leaving the rest to the workspace's
    /// other integrations (default 0.8, i.e. 20,000/min). Between 0 (exclusive) and 1.
    pub share: f64,
}

impl Default for WorkspaceLimit {
    /// 80 % of 25,000 requests per minute.
    fn default() -> Self {
        Self {
            per_minute: 25_000,
            share: 0.8,
        }
    }
}

impl WorkspaceLimit {
    /// Requests per second the client may send across all its tokens.
    pub fn per_second(&self) -> f64 {
        f64::from(self.per_minute) * self.share / 60.0
    }

    /// Whether the settings can pace anything (a positive limit, a share in `(0, 1]`).
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.per_minute == 0 {
            return Err("the workspace limit must be at least 1 request per minute".into());
        }
        if !(self.share > 0.0 && self.share <= 1.0) {
            return Err(format!(
                "the workspace share must be above 0 and at most 1 (a fraction of the \
                 workspace's limit), got {}",
                self.share
            ));
        }
        Ok(())
    }
}

/// Spaces sends evenly at the workspace share: each caller reserves the next free slot.
#[derive(Debug)]
pub(crate) struct WorkspacePacer {
    interval: Duration,
    next: Mutex<Instant>,
}

impl WorkspacePacer {
    pub(crate) fn new(limit: WorkspaceLimit) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / limit.per_second().max(1e-6)),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for this request's slot.
    pub(crate) async fn acquire(&self) {
        let now = Instant::now();
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }
}

/// Chooses the token of each request.
#[derive(Debug, Default)]
pub(crate) struct Router {
    round_robin: AtomicUsize,
}

impl Router {
    /// The token (index below `tokens`) for a request to `segments`: by the object's id when the
    /// path names one, else round-robin.
    pub(crate) fn pick(&self, segments: &[String], tokens: usize) -> usize {
        if tokens <= 1 {
            return 0;
        }
        match object_key(segments) {
            Some((collection, id)) => (fnv1a(collection, id) % tokens as u64) as usize,
            None => self.round_robin.fetch_add(1, Ordering::Relaxed) % tokens,
        }
    }
}

/// `(collection, id)` when the path addresses one object: the second segment holds a digit
/// (Intercom's ids are numbers or hexadecimal; `search`, `find_by_external_id` are not ids).
fn object_key(segments: &[String]) -> Option<(&str, &str)> {
    let collection = segments.first()?;
    let id = segments.get(1)?;
    id.bytes()
        .any(|b| b.is_ascii_digit())
        .then_some((collection.as_str(), id.as_str()))
}

/// A stable hash (the same token for the same object in every run).
fn fnv1a(collection: &str, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in collection.bytes().chain([b'/']).chain(id.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn an_object_always_goes_to_the_same_token() {
        let r = Router::default();
        let reply = r.pick(&segs(&["tickets", "100000045", "reply"]), 3);
        for _ in 0..10 {
            assert_eq!(r.pick(&segs(&["tickets", "100000045", "reply"]), 3), reply);
            assert_eq!(r.pick(&segs(&["tickets", "100000045"]), 3), reply);
            assert_eq!(r.pick(&segs(&["tickets", "100000045", "tags"]), 3), reply);
        }
        // Ids spread over every token.
        let used: std::collections::BTreeSet<usize> = (0..60)
            .map(|i| r.pick(&segs(&["conversations", &format!("{}", 5000 + i), "reply"]), 3))
            .collect();
        assert_eq!(used.len(), 3);
    }

    #[test]
    fn requests_without_an_object_are_spread_round_robin() {
        let r = Router::default();
        let picks: Vec<usize> = (0..6).map(|_| r.pick(&segs(&["tickets"]), 3)).collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
        let searches: Vec<usize> = (0..3)
            .map(|_| r.pick(&segs(&["contacts", "search"]), 3))
            .collect();
        assert_eq!(searches, vec![0, 1, 2]);
        assert_eq!(r.pick(&segs(&["tickets", "1"]), 1), 0);
    }

    #[test]
    fn settings_are_checked() {
        assert!(WorkspaceLimit::default().check().is_ok());
        assert!((WorkspaceLimit::default().per_second() - 20_000.0 / 60.0).abs() < 1e-9);
        for share in [0.0, -0.1, 1.5, f64::NAN] {
            let l = WorkspaceLimit {
                share,
                ..WorkspaceLimit::default()
            };
            assert!(l.check().is_err(), "{share}");
        }
        let zero = WorkspaceLimit {
            per_minute: 0,
            ..WorkspaceLimit::default()
        };
        assert!(zero.check().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn the_pacer_never_exceeds_the_share_in_any_window() {
        // 600/min at share 0.5 → 5 per second, evenly spaced.
        let p = std::sync::Arc::new(WorkspacePacer::new(WorkspaceLimit {
            per_minute: 600,
            share: 0.5,
        }));
        let start = Instant::now();
        let sends = std::sync::Arc::new(Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (p, sends) = (p.clone(), sends.clone());
                tokio::spawn(async move {
                    for _ in 0..25 {
                        p.acquire().await;
                        sends.lock().unwrap().push(start.elapsed());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut at = sends.lock().unwrap().clone();
        at.sort();
        assert_eq!(at.len(), 100);
        // 100 sends at 5/s: the last at 19.8 s.
        assert_eq!(at[99], Duration::from_millis(19_800));
        for w in at.windows(6) {
            assert!(w[5] - w[0] >= Duration::from_secs(1), "6 sends within 1 s");
        }
    }
}
