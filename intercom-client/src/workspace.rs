//! Several app tokens of one workspace: which token sends a request, and the workspace-wide
//! pacer that keeps all of them together under a share of the workspace's limit.
//!
//! Intercom limits each app (10,000 calls/min by default) and the whole workspace (25,000/min):
//! every app installed on the workspace draws from the workspace total, the other integrations
//! included. A client given several tokens (one per private app of the same workspace) paces
//! each token under its own `X-RateLimit-*` headers, as with one token, and sends no faster than
//! [`WorkspaceLimit::per_second`] across all of them, evenly spaced, so that no window of the
//! workspace's sees more than its share, whatever its alignment. A workspace slot goes to the
//! waiting request of the oldest object, so that a long conversation is not slowed down by every
//! ticket started after it (and does not end the run alone).
//!
//! Routing keeps an object on one token: the first request addressed to an object
//! (`/tickets/{id}/…`, `/conversations/{id}/…`, `/contacts/{id}`) goes to the token with the
//! fewest requests waiting or in flight, and every later request to that object goes to the same
//! token, so every part appended to a ticket or a conversation goes through one token, in the
//! order the caller sends them (the caller sends them one after the other). A busy object (a
//! conversation of 500 parts) therefore does not drag new objects onto its token; once an object
//! has sent [`LONG_OBJECT_REQUESTS`] requests, its token counts [`LONG_OBJECT_WEIGHT`] more busy
//! while the object is live, so that new objects keep off it and the long chain goes at its
//! token's rate. Requests not
//! addressed to an object (creates, searches, listings) go to the least busy token. The
//! object → token table forgets everything past [`STICKY_CAPACITY`] objects (an object seen
//! again later may then change token once; its order is still the caller's).

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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

/// Spaces sends evenly at the workspace share (on a fixed schedule: a late wake-up does not
/// lower the rate). When callers wait, the slot goes to the one whose object is oldest (see [`Routed::age`]): a long conversation is not slowed down by every new
/// ticket started after it, so it does not end the run alone.
#[derive(Debug)]
pub(crate) struct WorkspacePacer {
    interval: Duration,
    state: Mutex<PacerState>,
}

#[derive(Debug)]
struct PacerState {
    next: Instant,
    /// `(age, arrival)` of the callers waiting.
    waiting: BTreeSet<(u64, u64)>,
    arrivals: u64,
}

/// Removes a waiter from a pacer's queue when its call ends or is dropped.
struct Leave<'a> {
    pacer: &'a WorkspacePacer,
    me: (u64, u64),
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.pacer.lock().waiting.remove(&self.me);
    }
}

impl WorkspacePacer {
    pub(crate) fn new(limit: WorkspaceLimit) -> Self {
        Self {
            interval: Duration::from_secs_f64(1.0 / limit.per_second().max(1e-6)),
            state: Mutex::new(PacerState {
                next: Instant::now(),
                waiting: BTreeSet::new(),
                arrivals: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PacerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot for a request of an object of age `age` (smaller: older, served first;
    /// equal ages in order of arrival).
    pub(crate) async fn acquire(&self, age: u64) {
        let me = {
            let mut s = self.lock();
            s.arrivals += 1;
            let me = (age, s.arrivals);
            s.waiting.insert(me);
            me
        };
        let _leave = Leave { pacer: self, me };
        loop {
            let wait_until = {
                let mut s = self.lock();
                let now = Instant::now();
                let head = s.waiting.first() == Some(&me);
                if head && s.next <= now {
                    // On schedule: a caller woken late (the timer's resolution, a busy
                    // machine) does not push every later slot back; at most one interval of
                    // lateness is caught up, so a window sees at most one request more than
                    // the share's evenly spaced count, however it is aligned.
                    let floor = now.checked_sub(self.interval).unwrap_or(now);
                    s.next = s.next.max(floor) + self.interval;
                    return;
                }
                if head {
                    s.next
                } else {
                    s.next.max(now) + self.interval
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }
}

/// Objects the router remembers before it starts afresh (≈ 32 MB at most).
pub const STICKY_CAPACITY: usize = 1_000_000;

/// Requests to one object after which it counts as long (a conversation of many parts): its
/// token then counts [`LONG_OBJECT_WEIGHT`] more requests busy while the object is live.
pub const LONG_OBJECT_REQUESTS: u32 = 32;

/// How busy a token carrying a live long object counts, on top of its requests: new objects go
/// elsewhere unless every other token has this many more requests waiting or in flight. A long
/// object's parts go one after another on its token, each behind every request queued there;
/// keeping new objects off that token lets the chain go at the token's rate.
pub const LONG_OBJECT_WEIGHT: usize = 4;

/// A long object is live while it sent a request within this long.
pub const LONG_OBJECT_HOLD: Duration = Duration::from_secs(2);

/// Chooses the token of each request.
#[derive(Debug)]
pub(crate) struct Router {
    /// Where a tie between equally busy tokens starts (spreads ties round-robin).
    round_robin: AtomicUsize,
    /// Requests routed to each token and not finished.
    load: Vec<AtomicUsize>,
    /// Which token each object uses, and which tokens carry a live long object.
    table: Mutex<Table>,
    /// The next age handed out.
    ages: AtomicU64,
}

#[derive(Debug)]
struct Table {
    /// Object (hash of collection and id) → its token, age and requests so far.
    sticky: HashMap<u64, Sticky>,
    /// Per token: until when it carries a live long object.
    long_until: Vec<Option<Instant>>,
}

#[derive(Debug, Clone, Copy)]
struct Sticky {
    token: usize,
    age: u64,
    requests: u32,
}

/// Counts a request as waiting or in flight on its token until dropped.
pub(crate) struct Routed<'a> {
    router: &'a Router,
    /// The token's index.
    pub(crate) token: usize,
    /// When the object was first seen (a sequence number; requests without an object get a
    /// new one): the pacers serve older objects first.
    pub(crate) age: u64,
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
        let n = tokens.max(1);
        Self {
            round_robin: AtomicUsize::new(0),
            load: (0..n).map(|_| AtomicUsize::new(0)).collect(),
            table: Mutex::new(Table {
                sticky: HashMap::new(),
                long_until: vec![None; n],
            }),
            ages: AtomicU64::new(0),
        }
    }

    /// The token for a request to `segments` (the object's token, else the least busy one),
    /// counted busy until the guard is dropped. `forced` overrides the choice.
    pub(crate) fn route(&self, segments: &[String], forced: Option<usize>) -> Routed<'_> {
        let (token, age) = match forced {
            Some(t) => (t, self.new_age()),
            None => self.pick(segments),
        };
        if let Some(l) = self.load.get(token) {
            l.fetch_add(1, Ordering::Relaxed);
        }
        Routed {
            router: self,
            token,
            age,
        }
    }

    fn new_age(&self) -> u64 {
        self.ages.fetch_add(1, Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn pick(&self, segments: &[String]) -> (usize, u64) {
        let n = self.load.len();
        if n <= 1 {
            return (0, self.new_age());
        }
        let now = Instant::now();
        let mut table = self.lock();
        let Some((collection, id)) = object_key(segments) else {
            return (self.least_busy(&table.long_until, now), self.new_age());
        };
        let key = fnv1a(collection, id);
        if let Some(s) = table.sticky.get_mut(&key) {
            s.requests = s.requests.saturating_add(1);
            let (token, age, long) = (s.token, s.age, s.requests >= LONG_OBJECT_REQUESTS);
            if long {
                if let Some(u) = table.long_until.get_mut(token) {
                    *u = Some(now + LONG_OBJECT_HOLD);
                }
            }
            return (token, age);
        }
        if table.sticky.len() >= STICKY_CAPACITY {
            table.sticky.clear();
        }
        let t = (self.least_busy(&table.long_until, now), self.new_age());
        table.sticky.insert(
            key,
            Sticky {
                token: t.0,
                age: t.1,
                requests: 1,
            },
        );
        t
    }

    /// The token with the fewest requests waiting or in flight, a token carrying a live long
    /// object counting [`LONG_OBJECT_WEIGHT`] more.
    fn least_busy(&self, long_until: &[Option<Instant>], now: Instant) -> usize {
        let n = self.load.len();
        let start = self.round_robin.fetch_add(1, Ordering::Relaxed) % n;
        let busy = |t: usize| {
            let long = long_until
                .get(t)
                .copied()
                .flatten()
                .is_some_and(|until| until > now);
            self.load[t].load(Ordering::Relaxed) + if long { LONG_OBJECT_WEIGHT } else { 0 }
        };
        (0..n)
            .map(|i| (start + i) % n)
            .min_by_key(|t| busy(*t))
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

    #[tokio::test(start_paused = true)]
    async fn new_objects_keep_off_the_token_of_a_live_long_object() {
        let r = Router::new(3);
        let long: Vec<usize> = (0..LONG_OBJECT_REQUESTS)
            .map(|_| pick(&r, &["conversations", "77", "reply"]))
            .collect();
        let hot = long[0];
        assert!(long.iter().all(|t| *t == hot));
        // Nothing in flight anywhere: only the long object's weight keeps new objects away.
        for i in 0..30 {
            assert_ne!(pick(&r, &["tickets", &format!("{}", 100 + i)]), hot);
            assert_ne!(
                pick(&r, &["tickets"]),
                hot,
                "a create went to the long chain's token"
            );
        }
        // Unless every other token is busier by the weight.
        let mut others: Vec<Routed<'_>> = Vec::new();
        for i in 0..2 * LONG_OBJECT_WEIGHT {
            others.push(r.route(&segs(&["tickets", &format!("{}", 900 + i)]), None));
        }
        assert!(others.iter().all(|o| o.token != hot));
        assert_eq!(pick(&r, &["tickets", "5000"]), hot);
        drop(others);
        // The chain ended: its token takes new objects again once the hold has passed.
        tokio::time::advance(LONG_OBJECT_HOLD + Duration::from_millis(1)).await;
        let used: BTreeSet<usize> = (0..30)
            .map(|i| pick(&r, &["tickets", &format!("{}", 200 + i)]))
            .collect();
        assert!(used.contains(&hot));
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
    async fn a_waiting_slot_goes_to_the_oldest_object() {
        // 60/min: one slot a second. The first slot is taken; then a new object's request
        // arrives before an old object's: the old one is served first.
        let p = std::sync::Arc::new(WorkspacePacer::new(WorkspaceLimit {
            per_minute: 60,
            share: 1.0,
        }));
        p.acquire(0).await;
        let start = Instant::now();
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let newer = tokio::spawn({
            let (p, order) = (p.clone(), order.clone());
            async move {
                p.acquire(9).await;
                order.lock().unwrap().push((9, start.elapsed()));
            }
        });
        tokio::task::yield_now().await;
        let older = tokio::spawn({
            let (p, order) = (p.clone(), order.clone());
            async move {
                p.acquire(3).await;
                order.lock().unwrap().push((3, start.elapsed()));
            }
        });
        newer.await.unwrap();
        older.await.unwrap();
        let order = order.lock().unwrap().clone();
        assert_eq!(
            order,
            vec![(3, Duration::from_secs(1)), (9, Duration::from_secs(2))],
            "{order:?}"
        );
        assert!(p.lock().waiting.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_caller_does_not_push_the_schedule_back() {
        // One slot a second. A caller 0.3 s late for its slot is served at once, and the next
        // slot stays on the schedule (2 s, not 2.3 s); after an idle spell at most one slot
        // is caught up.
        let p = WorkspacePacer::new(WorkspaceLimit {
            per_minute: 60,
            share: 1.0,
        });
        let start = Instant::now();
        let mut at = Vec::new();
        p.acquire(0).await;
        at.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(1_300)).await;
        for _ in 0..2 {
            p.acquire(0).await;
            at.push(start.elapsed());
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        for _ in 0..3 {
            p.acquire(0).await;
            at.push(start.elapsed());
        }
        let ms = |v: u64| Duration::from_millis(v);
        assert_eq!(
            at,
            vec![ms(0), ms(1_300), ms(2_000), ms(7_000), ms(7_000), ms(8_000)],
            "{at:?}"
        );
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
                        p.acquire(0).await;
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
