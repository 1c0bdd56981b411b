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
//! Routing keeps an object on one token: the first request addressed to an object
//! (`/tickets/{id}/…`, `/conversations/{id}/…`, `/contacts/{id}`) goes to the token with the
//! fewest requests waiting or in flight, and every later request to that object goes to the same
//! token, so every part appended to a ticket or a conversation goes through one token, in the
//! order the caller sends them (the caller sends them one after the other). A busy object (a
//! conversation of 500 parts) therefore does not drag new objects onto its token. Requests not
//! addressed to an object (creates, searches, listings) go to the least busy token. The
//! object → token table forgets everything past [`STICKY_CAPACITY`] objects (an object seen
//! again later may then change token once; its order is still the caller's).

use std::collections::HashMap;
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

/// Objects the router remembers before it starts afresh (≈ 24 MB at most).
pub const STICKY_CAPACITY: usize = 1_000_000;

/// Chooses the token of each request.
#[derive(Debug)]
pub(crate) struct Router {
    /// Where a tie between equally busy tokens starts (spreads ties round-robin).
    round_robin: AtomicUsize,
    /// Requests routed to each token and not finished.
    load: Vec<AtomicUsize>,
    /// Object (hash of collection and id) → token.
    sticky: Mutex<HashMap<u64, usize>>,
}

/// Counts a request as waiting or in flight on its token until dropped.
pub(crate) struct Routed<'a> {
    router: &'a Router,
    /// The token's index.
    pub(crate) token: usize,
}

impl Drop for Routed<'_> {
    fn drop(&mut self) {
        if let Some(l) = self.router.load.get(self.token) {
            l.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Router {
    pub(crate) fn new(tokens: usize) -> Self {
        Self {
            round_robin: AtomicUsize::new(0),
            load: (0..tokens.max(1)).map(|_| AtomicUsize::new(0)).collect(),
            sticky: Mutex::new(HashMap::new()),
        }
    }

    /// The token for a request to `segments` (the object's token, else the least busy one),
    /// counted busy until the guard is dropped. `forced` overrides the choice.
    pub(crate) fn route(&self, segments: &[String], forced: Option<usize>) -> Routed<'_> {
        let token = forced.unwrap_or_else(|| self.pick(segments));
        if let Some(l) = self.load.get(token) {
            l.fetch_add(1, Ordering::Relaxed);
        }
        Routed {
            router: self,
            token,
        }
    }

    fn pick(&self, segments: &[String]) -> usize {
        let n = self.load.len();
        if n <= 1 {
            return 0;
        }
        let Some((collection, id)) = object_key(segments) else {
            return self.least_busy();
        };
        let key = fnv1a(collection, id);
        let mut sticky = self.sticky.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = sticky.get(&key) {
            return *t;
        }
        if sticky.len() >= STICKY_CAPACITY {
            sticky.clear();
        }
        let t = self.least_busy();
        sticky.insert(key, t);
        t
    }

    fn least_busy(&self) -> usize {
        let n = self.load.len();
        let start = self.round_robin.fetch_add(1, Ordering::Relaxed) % n;
        (0..n)
            .map(|i| (start + i) % n)
            .min_by_key(|t| self.load[*t].load(Ordering::Relaxed))
            .unwrap_or(0)
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

    fn pick(r: &Router, p: &[&str]) -> usize {
        r.route(&segs(p), None).token
    }

    #[test]
    fn an_object_always_goes_to_the_same_token() {
        let r = Router::new(3);
        let reply = pick(&r, &["tickets", "100000045", "reply"]);
        for _ in 0..10 {
            assert_eq!(pick(&r, &["tickets", "100000045", "reply"]), reply);
            assert_eq!(pick(&r, &["tickets", "100000045"]), reply);
            assert_eq!(pick(&r, &["tickets", "100000045", "tags"]), reply);
        }
        // Objects spread over every token.
        let used: std::collections::BTreeSet<usize> = (0..60)
            .map(|i| pick(&r, &["conversations", &format!("{}", 5000 + i), "reply"]))
            .collect();
        assert_eq!(used.len(), 3);
    }

    #[test]
    fn new_objects_avoid_the_busy_token() {
        let r = Router::new(3);
        // A long conversation keeps its token busy (5 requests waiting there).
        let busy: Vec<Routed<'_>> = (0..5)
            .map(|_| r.route(&segs(&["conversations", "77", "reply"]), None))
            .collect();
        let hot = busy[0].token;
        assert!(busy.iter().all(|b| b.token == hot));
        for i in 0..20 {
            let t = pick(&r, &["tickets", &format!("{}", 100 + i)]);
            assert_ne!(t, hot, "a new object was sent to the busy token");
        }
        drop(busy);
        assert!(r.load.iter().all(|l| l.load(Ordering::Relaxed) == 0));
    }

    #[test]
    fn requests_without_an_object_are_spread_round_robin() {
        let r = Router::new(3);
        let picks: Vec<usize> = (0..6).map(|_| pick(&r, &["tickets"])).collect();
        assert_eq!(picks, vec![0, 1, 2, 0, 1, 2]);
        let searches: Vec<usize> = (0..3).map(|_| pick(&r, &["contacts", "search"])).collect();
        assert_eq!(searches, vec![0, 1, 2]);
        assert_eq!(pick(&Router::new(1), &["tickets", "1"]), 0);
        assert_eq!(r.route(&segs(&["tickets", "1"]), Some(2)).token, 2);
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
